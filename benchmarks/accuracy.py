"""Accuracy harness: render a sweep of mannequin clips with known joints, run the full pipeline, print the errors.

    python benchmarks/accuracy.py --model ../shared/models/yolov8n-pose_int8_openvino_model            # full sweep
    python benchmarks/accuracy.py --quick --backends hybrid,mediapipe --keypoint-hz 0,12                # quick
    python benchmarks/accuracy.py --model ... --variations --backends hybrid     # + stance/toe-out/depth/look grid
    python benchmarks/accuracy.py --model ... --lunges --backends hybrid         # + 15 lunges, front to side
    python benchmarks/accuracy.py --model ... --phases --backends hybrid         # + 29 caves on one phase of the rep
    python benchmarks/accuracy.py --model ... --angles --backends hybrid         # + 12 squats filmed 38° and 42° off

Rendered clips are kept in --folder (default /tmp/formreview-accuracy) and reused by later runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from pipeline.pose import BackendPlan
from pipeline.settings import load_settings
from pipeline.synth.harness import render_cases, run_case, sweep, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", type=Path, help="YOLO pose weights (needed for hybrid and yolo)")
    ap.add_argument("--backends", default="hybrid,mediapipe,yolo")
    ap.add_argument("--keypoint-hz", default="12", help="comma list: keypoint model rate (0: every frame)")
    ap.add_argument("--quick", action="store_true", help="4 clips instead of the full grid")
    ap.add_argument("--variations", action="store_true", help="add 16 clips varying stance, toe-out, depth, look")
    ap.add_argument("--lunges", action="store_true", help="add 15 lunges, front to side (reps, exercise, front leg)")
    ap.add_argument("--phases", action="store_true", help="add 29 clips caving only going down, at the bottom or up")
    ap.add_argument("--angles", action="store_true", help="add 12 squats filmed 38° and 42° off (knees only flagged)")
    ap.add_argument("--folder", type=Path, default=Path("/tmp/formreview-accuracy"))
    args = ap.parse_args()
    cases = sweep(
        quick=args.quick, variations=args.variations, lunges=args.lunges, phases=args.phases, angles=args.angles
    )
    t0 = time.monotonic()
    rendered = render_cases(cases, args.folder)
    print(f"rendered/reused {len(rendered)} clips in {time.monotonic() - t0:.0f} s → {args.folder}", flush=True)
    rows = []
    for hz in (float(x) for x in args.keypoint_hz.split(",")):
        settings = load_settings(None, pose__keypoint_hz=hz)
        for backend in args.backends.split(","):
            if backend != "mediapipe" and args.model is None:
                print(f"skipping {backend}: no --model given", file=sys.stderr)
                continue
            plan = BackendPlan(backend, args.model if backend != "mediapipe" else None)
            for case, video, truth in rendered:
                r = run_case(case, video, truth, settings, plan)
                rows.append(replace(r, backend=f"{backend}/{hz:g}Hz" if hz > 0 else backend))
                print(f"  {r.name} {backend} {hz:g} Hz: det {r.detect_rate:.2f}, knee {r.knee_colour}", flush=True)
    print()
    print(table(rows))
    print(f"\n{len(rows)} runs in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
