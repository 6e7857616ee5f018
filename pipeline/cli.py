"""Command line: parse options, load settings, call the library, print, exit. Nothing else lives here."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

EXAMPLES = """
\b
Examples:
  formreview batch clients/ -o reports/
  formreview batch clients/ --model models/yolov8n-pose_openvino_model/ --jobs 2
  formreview batch clients/ --pose mediapipe --force
  formreview batch clients/ -o reports/ --cluster ray://head:10001
\b
Exit codes: 0 every video ok · 1 some videos failed · 2 usage error.
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="formreview")
def cli() -> None:
    """formreview: knee tracking and hip control from squat and lunge videos, as reports for your clients."""


@cli.command(epilog=EXAMPLES)
@click.argument("input_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Output folder: one sub-folder per video, plus index.html and summary.csv.",
)
@click.option(
    "--pose",
    type=click.Choice(["auto", "hybrid", "yolo", "mediapipe"]),
    default=None,
    help="Pose set-up. auto (default): hybrid when YOLO weights are given, else BlazePose alone.",
)
@click.option(
    "--model",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="YOLO pose weights: a .pt file or an exported OpenVINO/ONNX folder. Default: $FORMREVIEW_MODEL.",
)
@click.option("--download", is_flag=True, default=None, help="Allow ultralytics to download weights by name.")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file overriding configs/default.toml (and bands).",
)
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, help="Parallel workers (0 = automatic).")
@click.option("--force", is_flag=True, help="Redo videos that finished earlier.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, help="Per-video time limit, seconds.")
@click.option(
    "--cluster",
    metavar="ADDRESS",
    default=None,
    help="Run the videos on a Ray cluster: auto (this machine's head, else a new local one) or ray://HOST:10001. "
    "--jobs then counts workers over the cluster. Needs pip install 'formreview[cluster]'.",
)
def batch(
    input_dir: Path,
    out_dir: Path,
    pose: str | None,
    model: Path | None,
    download: bool | None,
    config_path: Path | None,
    jobs: int | None,
    force: bool,
    timeout: float | None,
    cluster: str | None,
) -> None:
    """Analyse every video in INPUT_DIR and write a report for each."""
    from pipeline.batch import process_folder
    from pipeline.errors import PoseError
    from pipeline.settings import load_settings

    env_model = os.environ.get("FORMREVIEW_MODEL") or None
    settings = load_settings(
        config_path,
        pose__backend=pose,
        pose__model=str(model) if model else None,
        pose__allow_download=download,
        batch__jobs=jobs,
        batch__timeout_s=timeout,
        env__model=env_model,
    )
    err = sys.stderr
    live = err.isatty()

    def status(line: str) -> None:
        err.write("\r\033[K" + line[: max(20, _width() - 1)])
        err.flush()

    def echo(line: str) -> None:
        if live:
            err.write("\r\033[K")
        click.echo(line)

    try:
        summary = process_folder(
            input_dir,
            out_dir,
            settings,
            force=force,
            jobs=settings.batch.jobs,
            echo=echo,
            status=status if live else None,
            cluster=cluster,
        )
    except PoseError as e:
        raise click.UsageError(e.format_message()) from None
    except KeyboardInterrupt:
        click.echo("\ninterrupted: finished reports are kept; run the same command to resume", err=True)
        sys.exit(130)
    if live:
        err.write("\r\033[K")
    n = len(summary.outcomes)
    ok = sum(o.status == "ok" for o in summary.outcomes)
    skipped = sum(o.status == "skipped" for o in summary.outcomes)
    failed = len(summary.failed)
    click.echo(
        f"{n} video(s): {ok} ok, {skipped} skipped, {failed} failed in {summary.seconds:.0f} s → {summary.index_path}"
    )
    if n == 0:
        click.echo(f"no videos found in {input_dir} (looked for {', '.join(settings.batch.extensions)})", err=True)
    sys.exit(summary.exit_code)


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 20)).columns


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    cli()


if __name__ == "__main__":
    main()
