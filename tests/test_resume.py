"""A batch killed with kill -9 mid-way resumes: finished videos are skipped, nothing half-written survives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SHARED

CLIP = SHARED / "videos" / "squat_front_bodyweight_home_02.mp4"  # 7.5 s at 10 fps: the cheapest real clip

pytestmark = pytest.mark.slow


def batch(src: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "batch", str(src), "-o", str(out), "--pose", "mediapipe", "-j", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_kill_9_mid_batch_then_rerun_finishes_everything_and_redoes_nothing(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a first.mp4", "b second.mp4", "c third.mp4"):
        os.symlink(CLIP, src / name)
    out = tmp_path / "out"
    p = batch(src, out)
    deadline = time.monotonic() + 300
    while not (out / "a first.mp4" / "done.json").exists():  # first video finished
        assert p.poll() is None and time.monotonic() < deadline, p.communicate()[0]
        time.sleep(0.2)
    os.killpg(p.pid, signal.SIGKILL)  # the whole process group: parent and worker, like a power cut
    p.wait()
    first_done = json.loads((out / "a first.mp4" / "done.json").read_text())
    first_mtime = (out / "a first.mp4" / "report.html").stat().st_mtime_ns

    p = batch(src, out)
    log = p.communicate(timeout=600)[0]
    assert p.returncode == 0, log
    assert "skip   a first.mp4" in log, log
    assert "ok     b second.mp4" in log and "ok     c third.mp4" in log, log
    assert (out / "a first.mp4" / "report.html").stat().st_mtime_ns == first_mtime  # not redone
    assert json.loads((out / "a first.mp4" / "done.json").read_text()) == first_done
    assert not [p.name for p in out.iterdir() if p.name.endswith(".partial")]
    index = (out / "index.html").read_text()
    assert all(n in index for n in ("a first.mp4", "b second.mp4", "c third.mp4"))
