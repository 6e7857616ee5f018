"""`formreview batch --cluster` on a local 2-CPU Ray cluster this module starts: the same results as a local batch,
and a worker killed mid-video costs only time (the video is done again, once, with no half output).

One cluster for the module (about 3 s to start); three of the bundled short clips; the real YOLO + BlazePose models.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import WEIGHTS

from pipeline.batch import process_folder
from pipeline.settings import Settings, load_settings

if os.environ.get("CI"):  # CI installs the [cluster] extra through [dev]: a Ray missing there fails, never skips
    import ray
else:
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[cluster]' (CI installs it)")
psutil = pytest.importorskip("psutil", reason="psutil finds the worker to kill; ultralytics brings it")

ROOT = Path(__file__).resolve().parent.parent
# 3 s each: both exercises, 2 views; one in a client's sub-folder, whose outputs go to OUT/anna/<video>/
CLIPS = ("anna/squat_front_good.mp4", "lunge_forward_front.mp4", "squat_side.mp4")
BROKEN = "x_not_a_video.mp4"  # last in the folder, so the worker killed below is busy with a real clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def settings() -> Settings:
    assert WEIGHTS.exists(), f"the shared model is missing: {WEIGHTS}"
    return load_settings(None, pose__model=str(WEIGHTS))


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("in")
    for rel in CLIPS:
        (d / rel).parent.mkdir(exist_ok=True)
        os.symlink(ROOT / "sample_videos" / Path(rel).name, d / rel)
    (d / BROKEN).write_text("not a video")
    return d


@pytest.fixture(scope="module")
def local(clip_dir: Path, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """The reference: the same clips through the local batch."""
    out, lines = tmp_path_factory.mktemp("local"), []
    summary = process_folder(clip_dir, out, settings, jobs=1, echo=lines.append)
    assert [o.video for o in summary.failed] == [BROKEN], lines
    return out, lines


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from pipeline.cluster import connect

    connected = connect("local", num_cpus=2)  # a new head for this module, whatever else runs on the machine
    yield connected
    connected.shutdown()


def plain(line: str) -> str:
    return re.sub(r"\(\d+\.\d s; ", "(", line)  # the seconds a video took differ between runs


def test_workers_run_this_checkout_not_an_installed_copy(cluster: Any) -> None:
    """The driver ships its own `pipeline` package: a worker's copy of cluster.py is byte for byte this one."""

    @cluster.remote
    def worker_copy() -> bytes:
        import pipeline.cluster

        return Path(pipeline.cluster.__file__).read_bytes()

    here = (ROOT / "pipeline" / "cluster.py").read_bytes()
    assert hashlib.sha256(cluster.get(worker_copy.remote())).digest() == hashlib.sha256(here).digest()


def test_cluster_batch_gives_the_local_results_lines_and_resumes(
    cluster: Any, clip_dir: Path, settings: Settings, local: tuple[Path, list[str]], tmp_path: Path
) -> None:
    local_out, local_lines = local
    lines: list[str] = []
    summary = process_folder(clip_dir, tmp_path, settings, echo=lines.append, cluster="auto")
    assert [o.video for o in summary.failed] == [BROKEN], lines  # a bad video fails alone, with the local line
    assert [plain(s) for s in lines] == [plain(s) for s in local_lines]
    for name in CLIPS:
        # result.json holds no timings (those are in done.json), so the whole file must match
        ours = json.loads((tmp_path / name / "result.json").read_text())
        assert ours == json.loads((local_out / name / "result.json").read_text()), name
        assert (
            json.loads((tmp_path / name / "done.json").read_text())["key"]
            == json.loads((local_out / name / "done.json").read_text())["key"]
        ), f"{name}: the cluster's run key differs from the local batch's"
    assert (tmp_path / "index.html").exists() and (tmp_path / "summary.csv").exists()

    again: list[str] = []  # the driver's skip rule: a re-run (after a killed driver, say) redoes nothing
    summary = process_folder(clip_dir, tmp_path, settings, echo=again.append, cluster="auto")
    assert [o.status for o in summary.outcomes] == ["skipped"] * len(CLIPS) + ["error"], again


def test_worker_killed_mid_video_is_redone_once_elsewhere(
    cluster: Any, clip_dir: Path, settings: Settings, local: tuple[Path, list[str]], tmp_path: Path
) -> None:
    killed: list[int] = []
    stop = threading.Event()

    def kill_first_busy_worker() -> None:
        """SIGKILL the first actor seen inside `run` (Ray titles it so only while a video is in its hands)."""
        while not stop.is_set() and not killed:
            for p in psutil.process_iter(["pid", "cmdline"]):
                if (p.info["cmdline"] or [""])[0].startswith("ray::VideoWorker.run"):
                    os.kill(p.info["pid"], signal.SIGKILL)
                    killed.append(p.info["pid"])
                    break
            stop.wait(0.05)

    killer = threading.Thread(target=kill_first_busy_worker, daemon=True)
    killer.start()
    lines: list[str] = []
    try:
        summary = process_folder(clip_dir, tmp_path, settings, echo=lines.append, cluster="auto")
    finally:
        stop.set()
        killer.join()
    assert killed, "no worker was ever seen working"
    assert [o.video for o in summary.failed] == [BROKEN], lines
    assert sorted(o.video for o in summary.outcomes) == sorted([*CLIPS, BROKEN]), lines  # each exactly once
    finished = sorted(d.parent.relative_to(tmp_path).as_posix() for d in tmp_path.rglob("done.json"))
    assert finished == sorted(CLIPS), finished
    assert not [p for p in tmp_path.rglob(".*") if p.name.endswith(".partial") or ".old-" in p.name]
    for name in CLIPS:
        ours = json.loads((tmp_path / name / "result.json").read_text())
        assert ours == json.loads((local[0] / name / "result.json").read_text()), name
