"""Render mannequin clips with ground truth.

python -m pipeline.synth samples sample_videos/
python -m pipeline.synth clip out/ --name my_squat --exercise squat --valgus 15 15 --yaw 45 --vfr
python -m pipeline.synth clip out/ --name cave_up --valgus 20 20 --valgus-phase up
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pipeline.synth.camera import Camera
from pipeline.synth.clips import ClipPlan, render_clip, sample_plans
from pipeline.synth.kinematics import ARMS, EXERCISES, VALGUS_PHASES, MotionSpec
from pipeline.synth.render import BACKGROUNDS, SKIN_TONES, Look


def _progress(name: str) -> object:
    start = time.perf_counter()

    def cb(done: int, total: int) -> None:
        if done % 30 == 0 or done == total:
            ms = (time.perf_counter() - start) / done * 1000
            print(f"\r  {name}: frame {done}/{total} ({ms:.0f} ms/frame)", end="" if done < total else "\n", flush=True)

    return cb


def _colour(s: str) -> tuple[float, float, float]:
    r, g, b = (float(v) for v in s.split(","))
    return (r, g, b)


def _measure(out: Path, yolo: Path, size: str) -> int:
    from pipeline.pose.mediapipe import BlazePose
    from pipeline.pose.yolo import YoloPose
    from pipeline.synth import measure

    w, h = (int(v) for v in size.lower().split("x"))
    models = {"blazepose": BlazePose, "yolov8n-int8": lambda: YoloPose(yolo)}
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rows = measure.run(out, models, measure.plans((w, h)))  # type: ignore[arg-type]
    print(measure.table(rows))
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.synth", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("samples", help="render the shipped sample clips and their truth files")
    sp.add_argument("out", type=Path)
    mp_ = sub.add_parser("measure", help="render test clips, run BlazePose and YOLO on them, print their accuracy")
    mp_.add_argument("out", type=Path, help="folder for the clips (reused when present)")
    mp_.add_argument("--yolo", type=Path, default=Path("/work/shared/models/yolov8n-pose_int8_openvino_model"))
    mp_.add_argument("--size", default="360x640", help="WxH")
    cp = sub.add_parser("clip", help="render one clip and its truth file")
    cp.add_argument("out", type=Path, help="output folder")
    cp.add_argument("--name", default="mannequin")
    cp.add_argument("--exercise", choices=EXERCISES, default="squat")
    cp.add_argument("--reps", type=int, default=3)
    cp.add_argument("--depth", type=float, default=1.0)
    cp.add_argument("--rep-s", type=float, default=2.4)
    cp.add_argument("--pause-s", type=float, default=0.3)
    cp.add_argument("--valgus", type=float, nargs=2, default=(0.0, 0.0), metavar=("LEFT", "RIGHT"))
    cp.add_argument(
        "--valgus-phase",
        choices=VALGUS_PHASES,
        default="all",
        help="when the knees cave: all (most at the bottom), down, bottom or up (only that part of the rep)",
    )
    cp.add_argument("--stance", type=float, default=0.30, help="ankle-to-ankle width, m")
    cp.add_argument("--toe-out", type=float, default=10.0)
    cp.add_argument("--lean", type=float, default=None, help="trunk lean at the bottom, degrees")
    cp.add_argument("--arms", choices=ARMS, default="hips")
    cp.add_argument("--lead-leg", choices=("left", "right", "alternate"), default="alternate", help="lunges")
    cp.add_argument("--yaw", type=float, default=0.0, help="0 front, 45 oblique, 90 side (camera on the left)")
    cp.add_argument("--distance", type=float, default=2.8)
    cp.add_argument("--size", default="360x640", help="WxH")
    cp.add_argument("--fps", type=float, default=30.0)
    cp.add_argument("--vfr", action="store_true", help="real jittered timestamps (VFR file)")
    cp.add_argument("--crf", type=int, default=28)
    cp.add_argument("--skin", choices=sorted(SKIN_TONES), default="medium")
    cp.add_argument("--shirt", type=_colour, default=Look().shirt, help="linear RGB, e.g. 0.1,0.3,0.6")
    cp.add_argument("--shorts", type=_colour, default=Look().shorts)
    cp.add_argument("--background", choices=BACKGROUNDS, default="gym")
    cp.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    if a.cmd == "measure":
        return _measure(a.out, a.yolo, a.size)
    if a.cmd == "samples":
        plans = sample_plans()
    else:
        w, h = (int(v) for v in a.size.lower().split("x"))
        spec = MotionSpec(
            exercise=a.exercise,
            reps=a.reps,
            depth=a.depth,
            rep_s=a.rep_s,
            pause_s=a.pause_s,
            valgus_deg=tuple(a.valgus),
            valgus_phase=a.valgus_phase,
            trunk_lean_deg=a.lean,
            stance_width=a.stance,
            toe_out_deg=a.toe_out,
            fps=a.fps,
            arms=a.arms,
            lead_leg=a.lead_leg,
            seed=a.seed,
        )
        cam = Camera(yaw_deg=a.yaw, distance_m=a.distance, W=w, H=h)
        look = Look(skin=SKIN_TONES[a.skin], shirt=a.shirt, shorts=a.shorts, background=a.background)
        plans = [ClipPlan(a.name, spec, cam, look, crf=a.crf, vfr=a.vfr)]
    for plan in plans:
        video, truth = render_clip(plan, a.out, _progress(plan.name))  # type: ignore[arg-type]
        print(f"  wrote {video} ({video.stat().st_size / 1e6:.2f} MB) and {truth.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
