"""Robustness trial: does one ankle misdrawn for a moment at a rep's bottom change what a real clip reads?

    python benchmarks/misdrawn_ankle.py OUT --corpus ~/formreview-corpus      # keypoints cached by real_clips.py
    python benchmarks/misdrawn_ankle.py OUT --corpus ... --shanks 0.8 --half-s 0.08 --views front side oblique

The pose model sometimes draws an ankle well below (or above) the foot for a look or two, most often at the bottom
of a fast rep, where the shin is steep and the knee hides the ankle. For every clip read from `--views` (front by
default) and every rep bottom it found, the keypoints within `--half-s` of the bottom get one ankle moved
`--shanks` shank lengths down the picture (the clip's median knee-to-ankle distance), the left and the right ankle
in turn, and the clip is read again from those keypoints. A trial "changed" when the view, the exercise or the rep
count read differently. Readings are compared as analysed, before the job's flipped look (which re-reads only
colours), so a trial needs no second pose run.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from real_clips import DEFAULTS, current_track, found_clips

from pipeline.keypoints import Kp, PoseTrack
from pipeline.result import ClipResult
from pipeline.scoring import evaluate


def reading(r: ClipResult) -> tuple[str, str, int]:
    """What a trial compares: view, exercise and rep count."""
    return r.view, r.exercise, len(r.reps)


def misdrawn(track: PoseTrack, ankle: Kp, knee: Kp, bottom_s: float, half_s: float, shanks: float) -> PoseTrack:
    """`track` with `ankle` moved `shanks` shank lengths down the picture within `half_s` of `bottom_s`."""
    xy = np.array(track.xy, dtype=np.float32, copy=True)
    shank = float(np.nanmedian(np.linalg.norm(xy[:, int(knee)] - xy[:, int(ankle)], axis=1)))
    near = np.abs(np.asarray(track.t_s) - bottom_s) <= half_s + 1e-9
    xy[near, int(ankle), 1] += shanks * shank  # NaN stays NaN: an unseen ankle is not drawn
    return track.with_xy(xy)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="batch output folder holding OUT/<clip>/keypoints.npz")
    ap.add_argument("--corpus", type=Path, help="folder holding the clips of benchmarks/corpus.toml")
    ap.add_argument("--shanks", type=float, default=0.8, help="how far down the ankle is drawn, shank lengths")
    ap.add_argument("--half-s", type=float, default=0.08, help="for how long either side of the bottom, seconds")
    ap.add_argument("--views", nargs="+", default=["front"], help="clips read from these views are tried")
    args = ap.parse_args()
    trials = changed = 0
    kinds: Counter[str] = Counter()
    for c, _ in found_clips(args.corpus):
        track = current_track(args.out / c.file / "keypoints.npz", DEFAULTS)
        if track is None:
            continue
        base = evaluate(track, DEFAULTS, c.file)
        if base.view not in args.views:
            continue
        for rep in base.reps:
            for ankle, knee in ((Kp.L_ANKLE, Kp.L_KNEE), (Kp.R_ANKLE, Kp.R_KNEE)):
                trials += 1
                got = evaluate(misdrawn(track, ankle, knee, rep.bottom_s, args.half_s, args.shanks), DEFAULTS, c.file)
                if reading(got) == reading(base):
                    continue
                changed += 1
                what = [
                    name
                    for name, a, b in zip(("view", "exercise", "reps"), reading(base), reading(got), strict=True)
                    if a != b
                ]
                kinds.update(what)
                print(
                    f"{c.stem}: rep {rep.index} {ankle.name.lower()}: {'/'.join(map(str, reading(base)))} → "
                    f"{'/'.join(map(str, reading(got)))}",
                    flush=True,
                )
    print(
        f"\n{changed}/{trials} trials changed a reading (ankle {args.shanks:g} shank down for ±{args.half_s:g} s at a "
        f"bottom; views {', '.join(args.views)}): " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
