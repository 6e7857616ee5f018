"""Cluster benchmark: the local batch at each --jobs against `--cluster auto` (a local Ray head of this machine's
CPUs, started by the run as a coach's first try would), same clips, in ONE session, interleaved.

Each batch runs in a fresh subprocess into a fresh folder (no cache), so both sides pay their start-up. Then one
instrumented cluster run in this process gives what the README's estimate needs: Ray's start-up time, the RSS of
Ray's own processes and of the workers (sampled every 0.2 s, peak per process), the driver's CPU seconds per clip,
and the per-stage seconds the workers wrote in each done.json, with the decode alone timed apart.

    python benchmarks/bench_cluster.py --model ../shared/models/yolov8n-pose_int8_openvino_model --runs 3

Clips: the bundled sample_videos/*.mp4 by default, each linked `--copies` times (different names, so no cache is
shared) to make a folder long enough that start-up does not decide everything. Needs Ray (.[cluster]) and no Ray
head already running on the machine (`auto` would join it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's pipeline, not an installed one (the subprocesses run from ROOT too)


def folder_of(clips: list[Path], copies: int, tmp: Path) -> Path:
    src = tmp / "in"
    src.mkdir()
    for k in range(copies):
        for clip in clips:
            os.symlink(clip.resolve(), src / f"{k}_{clip.name}")
    return src


def run_batch(src: Path, out: Path, model: Path, extra: list[str]) -> float:
    cmd = [sys.executable, "-m", "pipeline.cli", "batch", str(src), "-o", str(out), "--model", str(model), *extra]
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    dt = time.monotonic() - t
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return dt


def kind_of(name: str, cmdline: list[str]) -> str:
    """Group Ray's processes by role for the memory table."""
    head = " ".join(cmdline[:3])
    for key, label in (
        ("gcs_server", "gcs_server"),
        ("raylet", "raylet"),
        ("VideoWorker", "worker (VideoWorker actor)"),
        ("DashboardAgent", "dashboard agent"),
        ("RuntimeEnvAgent", "runtime-env agent"),
        ("log_monitor", "log monitor"),
        ("ray::IDLE", "idle pre-started worker"),
    ):
        if key in head or key in name:
            return label
    return "other ray::" if head.startswith("ray::") else ""


def instrumented(src: Path, out: Path, model: Path) -> None:
    """One cluster batch in this process: start-up, memory, driver CPU, stages."""
    import psutil

    from pipeline.batch import process_folder
    from pipeline.cluster import connect
    from pipeline.settings import load_settings

    settings = load_settings(None, pose__model=str(model))
    me = psutil.Process()
    peak: dict[int, tuple[str, float]] = {}
    stop = threading.Event()
    sampler_cpu = [0.0]  # the sampler's own CPU, taken off the driver's

    def sample() -> None:
        t_cpu = time.thread_time()
        while not stop.is_set():
            for p in psutil.process_iter(["pid", "name", "cmdline", "memory_info"]):
                try:
                    k = kind_of(p.info["name"] or "", p.info["cmdline"] or [])
                    if k and p.info["memory_info"] is not None:
                        rss = p.info["memory_info"].rss / 2**20
                        peak[p.info["pid"]] = (k, max(rss, peak.get(p.info["pid"], (k, 0.0))[1]))
                except (psutil.Error, TypeError):
                    continue
            sampler_cpu[0] = time.thread_time() - t_cpu
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t = time.monotonic()
    ray = connect("local")
    t_connect = time.monotonic() - t

    @ray.remote(num_cpus=0)
    def ping() -> int:
        return os.getpid()

    ray.get(ping.remote())
    t_first = time.monotonic() - t
    cpu0, t0 = me.cpu_times(), time.monotonic()
    summary = process_folder(src, out, settings, cluster="auto")
    cpu1, wall = me.cpu_times(), time.monotonic() - t0
    stop.set()
    sampler.join()
    ray.shutdown()
    n = len(summary.outcomes)
    driver_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system) - sampler_cpu[0]
    print(f"\nRay start-up (ray.init of a new local head, 2 CPUs): {t_connect:.1f} s; first task back: {t_first:.1f} s")
    print(
        f"instrumented cluster batch: {n} clips in {wall:.1f} s; "
        f"driver CPU {driver_cpu:.1f} s = {driver_cpu / n:.2f} s/clip"
    )
    by_kind: dict[str, list[float]] = {}
    for k, rss in peak.values():
        by_kind.setdefault(k, []).append(rss)
    print("peak RSS by process (MB; RSS counts shared libraries in each):")
    for k, v in sorted(by_kind.items()):
        print(f"  {k:28s} {len(v)} process(es), {max(v):6.0f} MB the largest, {sum(v):6.0f} MB together")
    stages: dict[str, list[float]] = {}
    for d in sorted(out.glob("*/done.json")):
        for k, v in json.loads(d.read_text())["stage_s"].items():
            stages.setdefault(k, []).append(v)
    print(
        "per-clip stage seconds in the workers (median over clips): "
        + ", ".join(f"{k} {statistics.median(v):.2f}" for k, v in stages.items())
    )


def decode_seconds(clips: list[Path]) -> None:
    """The decode alone, as the hybrid's passes read it (YOLO at 640 on every frame it samples, crops at 1280)."""
    from pipeline.pose import CROP_DECODE_LONG_SIDE, YOLO_DECODE_LONG_SIDE
    from pipeline.video import long_side_height, probe, read_frames

    for clip in clips:
        info = probe(clip)
        t = time.monotonic()
        for side in (YOLO_DECODE_LONG_SIDE, CROP_DECODE_LONG_SIDE):
            for _ in read_frames(info, max_height=long_side_height(info, side)):
                pass
        print(
            f"  decode {clip.name}: {time.monotonic() - t:.2f} s for both passes, every frame ({info.n_frames} frames)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="*", type=Path)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    clips = a.clips or sorted((ROOT / "sample_videos").glob("*.mp4"))
    n = len(clips) * a.copies
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} CPUs; {n} clips")
    configs = {f"local --jobs {j}": ["-j", str(j)] for j in a.jobs}
    configs["cluster auto (new local head)"] = ["--cluster", "auto"]
    times: dict[str, list[float]] = {c: [] for c in configs}
    with tempfile.TemporaryDirectory() as tmp:
        src = folder_of(clips, a.copies, Path(tmp))
        for run in range(a.runs):  # interleaved, so a neighbour's load hits both sides alike
            for name, extra in configs.items():
                dt = run_batch(src, Path(tmp) / f"out-{run}-{len(times[name])}-{extra[-1]}", a.model, extra)
                times[name].append(dt)
                print(f"  run {run + 1}: {name}: {dt:.1f} s", flush=True)
        print(f"\nmedians of {a.runs} interleaved runs, {n} clips each, start-up included:")
        best_local = min(statistics.median(v) for c, v in times.items() if c.startswith("local"))
        for name, v in times.items():
            m = statistics.median(v)
            print(f"  {name:32s} {m:6.1f} s  {3600 * n / m:6.0f} clips/hour  ×{m / best_local:.2f} of the best local")
        instrumented(src, Path(tmp) / "out-instrumented", a.model)
        decode_seconds(clips)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
