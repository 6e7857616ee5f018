"""CLI edges: usage errors exit 2 with one clear line; the CLI passes options through to the library."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.batch import BatchSummary
from pipeline.cli import cli
from pipeline.job import JobOutcome


def test_help_lists_examples_and_exit_codes() -> None:
    r = CliRunner().invoke(cli, ["batch", "--help"])
    assert r.exit_code == 0
    assert "formreview batch clients/ -o reports/" in r.output and "Exit codes" in r.output


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["batch", str(tmp_path / "nope")])
    assert r.exit_code == 2
    assert "does not exist" in r.stderr


def test_missing_model_path_is_a_usage_error(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["batch", str(tmp_path), "--model", str(tmp_path / "no-weights")])
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_bad_config_is_a_usage_error_listing_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[pose]\nbackend = 3\n")
    r = CliRunner().invoke(cli, ["batch", str(tmp_path), "-c", str(cfg)])
    assert r.exit_code == 2 and "backend: expected str" in r.stderr


def test_unknown_yolo_runtime_is_a_usage_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[pose]\nyolo_runtime = "tensorrt"\n')
    r = CliRunner().invoke(cli, ["batch", str(tmp_path), "-c", str(cfg)])
    assert r.exit_code == 2 and "unknown yolo_runtime 'tensorrt'" in r.stderr


@pytest.mark.parametrize(
    ("outcomes", "code"),
    [([JobOutcome("a.mp4", "ok")], 0), ([JobOutcome("a.mp4", "ok"), JobOutcome("b.mp4", "error", "bad")], 1)],
    ids=["all-ok", "one-failed"],
)
def test_options_reach_the_library_and_exit_code_follows_failures(tmp_path: Path, monkeypatch, outcomes, code) -> None:
    seen = {}

    def fake(input_dir, out_root, settings, **kw):
        seen.update(
            input_dir=input_dir,
            out_root=out_root,
            backend=settings.pose.backend,
            jobs=kw["jobs"],
            force=kw["force"],
            timeout=settings.batch.timeout_s,
        )
        return BatchSummary(outcomes=outcomes, index_path=out_root / "index.html")

    monkeypatch.setattr("pipeline.batch.process_folder", fake)
    r = CliRunner().invoke(
        cli,
        [
            "batch",
            str(tmp_path),
            "-o",
            str(tmp_path / "o"),
            "--pose",
            "mediapipe",
            "-j",
            "2",
            "--force",
            "--timeout",
            "60",
        ],
    )
    assert r.exit_code == code, r.output
    assert seen == {
        "input_dir": tmp_path,
        "out_root": tmp_path / "o",
        "backend": "mediapipe",
        "jobs": 2,
        "force": True,
        "timeout": 60.0,
    }


def test_watch_passes_its_options_to_the_watcher_and_stops_cleanly(tmp_path: Path, monkeypatch) -> None:
    seen = {}

    def fake(input_dir, out_root, settings, **kw):
        seen.update(input_dir=input_dir, out_root=out_root, settle=kw["settle_s"], side=settings.report.share_max_side)
        raise KeyboardInterrupt  # what SIGTERM and Ctrl-C become

    monkeypatch.setattr("pipeline.watch.watch_folder", fake)
    monkeypatch.setattr("signal.signal", lambda *a: None)  # leave the test runner's own handlers alone
    args = ["watch", str(tmp_path), "-o", str(tmp_path / "o"), "--settle", "0.5", "--share-max-side", "720"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert seen == {"input_dir": tmp_path, "out_root": tmp_path / "o", "settle": 0.5, "side": 720}
    assert "finished reports are kept" in r.stderr
