"""Speed benchmark: formreview end to end against ultralytics' own bare loop, in ONE run, same clips and weights.

(a) `for r in YOLO(w).predict(clip, stream=True, imgsz=640): pass`  — the model alone, as a user would run it
(b) `formreview batch DIR --jobs 1`, fresh output folder (no cache) — decode → pose → analysis → clip → report

Each is run `--runs` times in a fresh subprocess (so peak RSS is that process's own); medians are reported with
the ratio (b)/(a), frames per second, multiple of real time, peak RSS, and our time split by stage.

    python benchmarks/bench_speed.py --model ../shared/models/yolov8n-pose_int8_openvino_model \
        ../shared/videos/squat_front_dumbbell_good_03.mp4 ../shared/videos/lunge_front_narrowbase_fault_03.mp4

With --baseline DIR (a checkout of an earlier version), that version's batch is timed in the same interleaved
runs, and the stage table shows both: a before/after that shares one machine state.

With --folder, it instead treats the clips as one coach's folder: (a) one process loads the model once and runs
the bare loop over every clip, (b) one `formreview batch` over the folder with its default --jobs. This is how the
tool is used (20–200 clips a night), and both sides pay their start-up once.

With --jobs-scaling, it instead times one `formreview batch` over all the given clips at each --jobs count
(interleaved, medians) and prints the speed-up over --jobs 1.

The load average is printed before and after: on a shared machine other work changes both sides, and the
YOLO side (OpenVINO on every core) more than BlazePose (one core per part).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = """
import os, sys
os.environ.setdefault("YOLO_OFFLINE", "1"); os.environ.setdefault("YOLO_AUTOINSTALL", "False")
from ultralytics import YOLO
n = 0
for r in YOLO(sys.argv[1], task="pose").predict(sys.argv[2], stream=True, imgsz=640, verbose=False):
    n += 1
print(n)
"""

BARE_FOLDER = """
import os, sys
os.environ.setdefault("YOLO_OFFLINE", "1"); os.environ.setdefault("YOLO_AUTOINSTALL", "False")
from ultralytics import YOLO
model, n = YOLO(sys.argv[1], task="pose"), 0
for clip in sys.argv[2:]:
    for r in model.predict(clip, stream=True, imgsz=640, verbose=False):
        n += 1
print(n)
"""


def timed(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[float, float, str]:
    """Run `cmd` (in `cwd`) in a wrapper that reports the child's own wall time and peak RSS (MB)."""
    wrapper = (
        "import resource, subprocess, sys, time; t = time.monotonic(); "
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True); dt = time.monotonic() - t; "
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
        "print(dt, rss); sys.stderr.write(p.stdout[-2000:] + p.stderr[-2000:]); sys.exit(p.returncode)"
    )
    p = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env, cwd=cwd)
    if p.returncode not in (0, 1):
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    dt, rss = map(float, p.stdout.split())
    return dt, rss, p.stderr


def folder_of(clips: list[Path], tmp: Path) -> Path:
    """A folder in `tmp` holding a link to each clip: what `formreview batch` is pointed at."""
    src = tmp / "in"
    src.mkdir()
    for clip in clips:
        os.symlink(clip.resolve(), src / clip.name)
    return src


def batch_cmd(src: Path, out: Path, model: Path, pose: str, jobs: int | None = None) -> list[str]:
    """`formreview batch` on `src` into `out`; `jobs` None leaves --jobs to its default."""
    cmd = [sys.executable, "-m", "pipeline.cli", "batch", str(src), "-o", str(out), "--model", str(model)]
    return [*cmd, "--pose", pose, *([] if jobs is None else ["-j", str(jobs)])]


def probe_frames(clip: Path) -> tuple[int, float, str]:
    from pipeline.video import probe

    info = probe(clip)
    return info.n_frames, info.duration_s, f"{info.width}x{info.height}@{float(info.fps):.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("clips", nargs="+", type=Path)
    ap.add_argument("--model", required=True, type=Path, help="YOLO pose weights used by both sides")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pose", default="auto", help="formreview --pose setting for (b)")
    ap.add_argument("--jobs-scaling", default="", help="comma list of --jobs counts, e.g. 1,2: batch wall times")
    ap.add_argument("--folder", action="store_true", help="all clips as one folder: bare loop vs one batch")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of an earlier formreview (e.g. `git worktree add /tmp/old REV`): its batch is timed in the "
        "same interleaved runs, and the stage table compares it with this one",
    )
    args = ap.parse_args()
    print(f"load average at start: {_load()}", flush=True)
    if args.folder:
        folder(args.clips, args.model, args.pose, args.runs)
        print(f"load average at end: {_load()}")
        return
    if args.jobs_scaling:
        jobs_scaling(args.clips, args.model, args.pose, [int(j) for j in args.jobs_scaling.split(",")], args.runs)
        print(f"load average at end: {_load()}")
        return
    rows = []
    for clip in args.clips:
        n, dur, fmt = probe_frames(clip)
        with tempfile.TemporaryDirectory() as tmp:
            src = folder_of([clip], Path(tmp))
            a, rss_a = [], []
            ours: dict[str, list[tuple[float, float, dict[str, float]]]] = {"ours": [], "baseline": []}
            for run in range(args.runs):  # interleaved, so drift on a shared machine hits every side alike
                dt, rss, _ = timed([sys.executable, "-c", BARE, str(args.model), str(clip)])
                a.append(dt)
                rss_a.append(rss)
                for side in ("baseline", "ours") if args.baseline else ("ours",):
                    out = Path(tmp) / f"{side}{run}"
                    # `python -m` puts the working folder first on sys.path: run the baseline from its own checkout
                    base = args.baseline.resolve() if side == "baseline" and args.baseline else None
                    env = {**os.environ, "PYTHONPATH": str(base)} if base else None
                    cmd = batch_cmd(src, out.resolve(), args.model.resolve(), args.pose, jobs=1)
                    dt, rss, _ = timed(cmd, env=env, cwd=base)
                    done = json.loads((out / clip.name / "done.json").read_text())
                    ours[side].append((dt, rss, done.get("stage_s", {})))
        rows.append((clip.name, fmt, n, dur, statistics.median(a), max(rss_a), ours))
    print(
        f"\n{'clip':44s} {'format':18s} {'frames':>6s} | {'(a) bare s':>10s} {'fps':>6s} | "
        f"{'(b) ours s':>10s} {'fps':>6s} {'x real':>6s} | {'(b)/(a)':>7s} | RSS a/b MB"
    )
    for name, fmt, n, dur, ma, ra, ours in rows:
        for side, runs in ours.items():
            if not runs:
                continue
            mb, rb = statistics.median(r[0] for r in runs), max(r[1] for r in runs)
            label = name[:44] if side == "ours" else f"  baseline {args.baseline.name}"[:44]
            print(
                f"{label:44s} {fmt:18s} {n:6d} | {ma:10.2f} {n / ma:6.1f} | {mb:10.2f} {n / mb:6.1f} "
                f"{dur / mb:6.2f} | {mb / ma:7.2f} | {ra:.0f}/{rb:.0f}"
            )
        print_stages(ours)
    print(
        f"\nmedians of {args.runs} interleaved runs each; (a) = ultralytics predict(stream=True), imgsz 640, "
        f"same weights; peak RSS = max over runs. Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}; load average at end: {_load()}."
    )


def print_stages(ours: dict[str, list[tuple[float, float, dict[str, float]]]]) -> None:
    """Median seconds per stage of each side (ours, and the baseline when timed), start-up and overhead last."""
    sides = [k for k, v in ours.items() if v]
    medians = {}
    for side in sides:
        runs = ours[side]
        stages = {k: statistics.median(r[2].get(k, 0.0) for r in runs) for k in runs[0][2]}
        stages["start-up + batch overhead"] = statistics.median(r[0] - sum(r[2].values()) for r in runs)
        stages["total"] = statistics.median(r[0] for r in runs)
        medians[side] = stages
    names = list(medians[sides[0]])
    print("    " + f"{'stage (median s)':28s}" + "".join(f"{side:>10s}" for side in sides))
    for k in names:
        print("    " + f"{k:28s}" + "".join(f"{medians[side].get(k, 0.0):10.2f}" for side in sides))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def folder(clips: list[Path], model: Path, pose: str, runs: int) -> None:
    """One process's bare loop over all `clips` (model loaded once) against one batch over the same folder."""
    probed = [probe_frames(c) for c in clips]
    n_frames, duration = sum(p[0] for p in probed), sum(p[1] for p in probed)
    a: list[float] = []
    b: list[float] = []
    rss_a = rss_b = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        src = folder_of(clips, Path(tmp))
        for run in range(runs):  # interleaved
            dt, rss, _ = timed([sys.executable, "-c", BARE_FOLDER, str(model), *map(str, clips)])
            a.append(dt)
            rss_a = max(rss_a, rss)
            dt, rss, _ = timed(batch_cmd(src, Path(tmp) / f"out{run}", model, pose))
            b.append(dt)
            rss_b = max(rss_b, rss)
            print(f"  run {run + 1}: bare {a[-1]:.1f} s, ours {b[-1]:.1f} s", flush=True)
    ma, mb = statistics.median(a), statistics.median(b)
    print(
        f"\n{len(clips)} clips, {n_frames} frames, {duration:.1f} s of video; medians of {runs} interleaved runs:\n"
        f"  (a) bare loop, one process: {ma:6.1f} s  {n_frames / ma:5.1f} frames/s  {duration / ma:4.2f}x real time"
        f"  peak RSS {rss_a:.0f} MB\n"
        f"  (b) formreview batch:       {mb:6.1f} s  {n_frames / mb:5.1f} frames/s  {duration / mb:4.2f}x real time"
        f"  peak RSS {rss_b:.0f} MB (all processes' largest)\n"
        f"  (b)/(a) = {mb / ma:.2f}"
    )


def jobs_scaling(clips: list[Path], model: Path, pose: str, jobs: list[int], runs: int) -> None:
    """Wall time of one batch over all `clips` at each worker count, interleaved; medians and speed-up."""
    n_frames = sum(probe_frames(c)[0] for c in clips)
    times: dict[int, list[float]] = {j: [] for j in jobs}
    rss: dict[int, float] = dict.fromkeys(jobs, 0.0)
    with tempfile.TemporaryDirectory() as tmp:
        src = folder_of(clips, Path(tmp))
        for run in range(runs):
            for j in jobs:
                dt, peak, _ = timed(batch_cmd(src, Path(tmp) / f"out-j{j}-{run}", model, pose, jobs=j))
                times[j].append(dt)
                rss[j] = max(rss[j], peak)
                print(f"  run {run + 1}: --jobs {j}: {dt:.1f} s", flush=True)
    base = statistics.median(times[jobs[0]])
    print(f"\n{len(clips)} clips, {n_frames} frames; medians of {runs} interleaved runs:")
    for j in jobs:
        m = statistics.median(times[j])
        print(
            f"  --jobs {j}: {m:6.1f} s  {n_frames / m:5.1f} frames/s  speed-up {base / m:4.2f}x over --jobs {jobs[0]}"
            f"  (peak RSS of one worker {rss[j]:.0f} MB)"
        )


if __name__ == "__main__":
    main()
