"""`formreview watch`: each video is analysed once, and only once it has finished arriving.

The watcher runs for real (watchfiles, the settle check, the whole-file check, the overviews); the batch it hands
videos to is a recorder, so no pose model runs here.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline.batch import BatchSummary
from pipeline.inputs import VideoInput
from pipeline.job import JobOutcome
from pipeline.settings import load_settings
from pipeline.video import looks_whole
from pipeline.watch import watch_folder

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"
CLIPS = ("squat_side.mp4", "squat_front_good.mp4", "lunge_forward_front.mp4")


class Recorder:
    """Stands in for run_batch: notes each video it is given and whether the file was whole at that moment."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, videos: list[VideoInput], out_root: Path, settings: object, plan: object, **kw: object):
        outcomes = []
        for v in videos:
            whole = v.path.read_bytes() == (SAMPLES / v.path.name.split("__")[-1]).read_bytes()
            self.calls.append((v.label, whole))
            outcomes.append(JobOutcome(v.label, "ok"))
        return BatchSummary(outcomes=outcomes)


def _until(cond: Callable[[], bool], what: str, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s  # a safety net for a hung watcher, not a timing assertion
    while not cond():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def _slow_copy(src: Path, dst: Path, pause_s: float) -> None:
    """Copy in 4 KB chunks, stopping half-way for `pause_s` (longer than the settle time: the size holds still,
    but the file is not whole)."""
    data = src.read_bytes()
    with dst.open("wb") as f:
        for i in range(0, len(data), 4096):
            f.write(data[i : i + 4096])
            f.flush()
            if i <= len(data) // 2 < i + 4096:
                time.sleep(pause_s)
            elif i % (4096 * 8) == 0:
                time.sleep(0.02)


def test_three_clips_dropped_one_at_a_time_are_each_analysed_once_when_whole(tmp_path: Path) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "reports"
    (inbox / "anna").mkdir(parents=True)
    rec, stop, failed = Recorder(), threading.Event(), []
    settings = load_settings(None, pose__backend="mediapipe")

    def run() -> None:
        try:
            watch_folder(inbox, out, settings, stop=stop, settle_s=0.3, run=rec)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            failed.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        shutil.copy(SAMPLES / CLIPS[0], inbox / "anna" / CLIPS[0])
        _until(lambda: len(rec.calls) == 1, "the first clip")
        _slow_copy(SAMPLES / CLIPS[1], inbox / "anna" / CLIPS[1], pause_s=1.5)
        _until(lambda: len(rec.calls) == 2, "the slowly copied clip")
        shutil.copy(SAMPLES / CLIPS[2], inbox / CLIPS[2])
        _until(lambda: len(rec.calls) == 3, "the third clip")
        time.sleep(1.0)  # several more ticks: nothing is analysed twice
    finally:
        stop.set()
        t.join(10)
    assert not failed, failed
    assert rec.calls == [(f"anna/{CLIPS[0]}", True), (f"anna/{CLIPS[1]}", True), (CLIPS[2], True)]
    assert (out / "index.html").exists() and (out / "anna" / "index.html").exists()


@pytest.mark.parametrize(
    "cut", [0, 16, 1000, 60_000, -1], ids=["empty", "ftyp-only", "in-moov", "in-mdat", "last-byte"]
)
def test_a_cut_mp4_is_not_whole(tmp_path: Path, cut: int) -> None:
    data = (SAMPLES / CLIPS[0]).read_bytes()
    part = tmp_path / "part.mp4"
    part.write_bytes(data[:cut])
    assert not looks_whole(part)
    part.write_bytes(data)
    assert looks_whole(part)


def test_a_settled_but_half_copied_file_is_waited_for_and_a_stuck_one_is_handed_on(tmp_path: Path) -> None:
    from pipeline.inputs import find_inputs
    from pipeline.watch import WatchState, ready_videos

    data = (SAMPLES / CLIPS[1]).read_bytes()
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(data[: len(data) // 2])  # a faststart MP4 cut in half still probes: the box walk catches it
    state, said = WatchState(), []

    def ready(now: float) -> list[str]:
        return [
            v.label for v in ready_videos(find_inputs(tmp_path, (".mp4",)).videos, state, now, 2.0, 60.0, said.append)
        ]

    assert ready(0.0) == []  # first sight: not settled
    assert ready(5.0) == [] and said == ["waiting   clip.mp4: not a whole video yet (still copying?)"]
    assert ready(10.0) == [] and len(said) == 1  # said once
    assert ready(61.0) == ["clip.mp4"]  # stuck for a minute: the batch will say why it cannot be read
    clip.write_bytes(data)
    assert ready(62.0) == [] and ready(64.5) == ["clip.mp4"]


@pytest.mark.slow
def test_sigterm_mid_video_leaves_no_half_output_and_a_restart_finishes(tmp_path: Path) -> None:
    """The real command with the real model: stopped while it analyses, then started again."""
    import signal
    import subprocess
    import sys

    inbox, out = tmp_path / "inbox", tmp_path / "reports"
    (inbox / "anna").mkdir(parents=True)
    shutil.copy(SAMPLES / CLIPS[0], inbox / "anna" / CLIPS[0])
    cmd = [sys.executable, "-m", "pipeline.cli", "watch", str(inbox), "-o", str(out), "--pose", "mediapipe"]
    cmd += ["-j", "1", "--settle", "0.5"]
    done = out / "anna" / CLIPS[0] / "done.json"

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    p = start()
    _until(lambda: (out / ".worker-0.log").exists(), "a worker to start", 120)
    time.sleep(2.0)  # the model is loading or running on the clip
    assert not done.exists()
    p.send_signal(signal.SIGTERM)
    log = p.communicate(timeout=60)[0]
    assert p.returncode == 0 and "finished reports are kept" in log, log
    assert not [q for q in out.rglob("*") if q.name.endswith(".partial") or ".old-" in q.name]
    assert not (out / "anna" / CLIPS[0]).exists()  # nothing half-written in its place

    p = start()
    try:
        _until(done.exists, "the restarted watcher to finish the clip", 300)
        page = out / "anna" / "index.html"
        _until(lambda: page.exists() and CLIPS[0] in page.read_text(), "the client page", 30)
    finally:
        p.send_signal(signal.SIGTERM)
        log = p.communicate(timeout=60)[0]
    assert f"ok     anna/{CLIPS[0]}" in log, log
