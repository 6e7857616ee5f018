"""Command line: parse options, load settings, call the library, print, exit. Nothing else lives here."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pipeline.settings import Settings

EXAMPLES = """
\b
Examples:
  formreview batch clients/ -o reports/
  formreview batch clients/ --model models/yolov8n-pose_openvino_model/ --jobs 2
  formreview batch clients/ --pose mediapipe --force
  formreview batch clients/ --share-max-side 720     # smaller files to send
  formreview batch clients/ -o reports/ --cluster ray://head:10001
\b
Exit codes: 0 every video ok · 1 some videos failed · 2 usage error.
"""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="formreview")
def cli() -> None:
    """formreview: knee tracking and hip control from squat and lunge videos, as reports for your clients."""


def _run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options `batch` and `watch` share: where, which pose set-up, settings, workers."""
    options = [
        click.argument("input_dir", type=click.Path(exists=True, file_okay=False, path_type=Path)),
        click.option(
            "-o",
            "--out",
            "out_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("reports"),
            show_default=True,
            help="Output folder: a folder per client and per video, plus index.html and summary.csv.",
        ),
        click.option(
            "--pose",
            type=click.Choice(["auto", "hybrid", "yolo", "mediapipe"]),
            default=None,
            help="Pose set-up. auto (default): hybrid when YOLO weights are given, else BlazePose alone.",
        ),
        click.option(
            "--model",
            type=click.Path(exists=True, path_type=Path),
            default=None,
            help="YOLO pose weights: a .pt file or an exported OpenVINO/ONNX folder. Default: $FORMREVIEW_MODEL.",
        ),
        click.option("--download", is_flag=True, default=None, help="Allow ultralytics to download weights by name."),
        click.option(
            "-c",
            "--config",
            "config_path",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A TOML file overriding configs/default.toml (and bands).",
        ),
        click.option(
            "-j", "--jobs", type=click.IntRange(min=0), default=None, help="Parallel workers (0 = automatic)."
        ),
        click.option("--force", is_flag=True, help="Redo videos that finished earlier."),
        click.option("--timeout", type=click.FloatRange(min=0), default=None, help="Per-video time limit, seconds."),
        click.option(
            "--share-max-side",
            type=click.IntRange(min=64),
            default=None,
            help="Long side, pixels, of the clip inside each .share.html (e.g. 720): a smaller file to e-mail.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _settings(
    config_path: Path | None,
    pose: str | None,
    model: Path | None,
    download: bool | None,
    jobs: int | None,
    timeout: float | None,
    share_max_side: int | None,
) -> Settings:
    from pipeline.settings import load_settings

    return load_settings(
        config_path,
        pose__backend=pose,
        pose__model=str(model) if model else None,
        pose__allow_download=download,
        batch__jobs=jobs,
        batch__timeout_s=timeout,
        report__share_max_side=share_max_side,
        env__model=os.environ.get("FORMREVIEW_MODEL") or None,
    )


class _Terminal:
    """One finished line per video on stderr/stdout; on a terminal, a progress line overwritten in place."""

    def __init__(self) -> None:
        self.err = sys.stderr
        self.live = self.err.isatty()

    def status(self, line: str) -> None:
        self.err.write("\r\033[K" + line[: max(20, _width() - 1)])
        self.err.flush()

    def echo(self, line: str) -> None:
        if self.live:
            self.err.write("\r\033[K")
        click.echo(line)

    def done(self) -> None:
        if self.live:
            self.err.write("\r\033[K")


@cli.command(epilog=EXAMPLES)
@_run_options
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
    share_max_side: int | None,
    cluster: str | None,
) -> None:
    """Analyse every video in INPUT_DIR and write a report for each. Each sub-folder is a client."""
    from pipeline.batch import process_folder
    from pipeline.errors import PoseError

    settings = _settings(config_path, pose, model, download, jobs, timeout, share_max_side)
    term = _Terminal()
    try:
        summary = process_folder(
            input_dir,
            out_dir,
            settings,
            force=force,
            jobs=settings.batch.jobs,
            echo=term.echo,
            status=term.status if term.live else None,
            cluster=cluster,
        )
    except PoseError as e:
        raise click.UsageError(e.format_message()) from None
    except KeyboardInterrupt:
        click.echo("\ninterrupted: finished reports are kept; run the same command to resume", err=True)
        sys.exit(130)
    term.done()
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


WATCH_EXAMPLES = """
\b
Examples:
  formreview watch inbox/ -o reports/
  formreview watch clients/ -o reports/ --share-max-side 720
\b
Stops on Ctrl-C or SIGTERM; finished reports are kept and a restart carries on.
"""


@cli.command(epilog=WATCH_EXAMPLES)
@_run_options
@click.option(
    "--settle",
    "settle_s",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds a video's size must hold still before it counts as arrived.",
)
def watch(
    input_dir: Path,
    out_dir: Path,
    pose: str | None,
    model: Path | None,
    download: bool | None,
    config_path: Path | None,
    jobs: int | None,
    force: bool,
    timeout: float | None,
    share_max_side: int | None,
    settle_s: float,
) -> None:
    """Watch INPUT_DIR and analyse each video once it has finished arriving, keeping the overviews current."""
    import signal

    from pipeline.errors import PoseError
    from pipeline.watch import watch_folder

    settings = _settings(config_path, pose, model, download, jobs, timeout, share_max_side)
    term = _Terminal()

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # the same clean stop as Ctrl-C: workers killed, staging removed, overviews written

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)  # also when started in the background, where a shell ignores SIGINT
    try:
        watch_folder(
            input_dir,
            out_dir,
            settings,
            force=force,
            jobs=settings.batch.jobs,
            echo=term.echo,
            status=term.status if term.live else None,
            settle_s=settle_s,
        )
    except PoseError as e:
        raise click.UsageError(e.format_message()) from None
    except KeyboardInterrupt:
        term.done()
        click.echo("stopped: finished reports are kept; run the same command to carry on", err=True)


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 20)).columns


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    cli()


if __name__ == "__main__":
    main()
