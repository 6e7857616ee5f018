"""Mirror check: the labelled real clips flipped left to right, run again, and compared with the originals.

    python benchmarks/real_clips.py REAL_OUT --corpus FOLDER                   # the originals first
    python benchmarks/mirror_clips.py MIRROR_OUT --real REAL_OUT --corpus FOLDER
    python benchmarks/mirror_clips.py SENT_OUT --real REAL_OUT --corpus FOLDER --look sent

`--look sent` checks the clips as a client's phone would send them through a messaging app instead: the short side
cut to 480 px and compressed hard (x264 CRF 30). The same reasoning holds: nothing but the pixels changes.
`--look tilt` turns each clip 5° clockwise, as a phone propped on the floor or held by hand is seldom level (same
size, the corners filled black): only the camera's roll changes, which no verdict should depend on.

A mirror image holds the same person, motion and camera angle, so view, exercise, reps and every verdict colour
should stay the same (a left knee's reading becomes the right knee's). What changes is only what the pose model sees,
so a clip that reads differently mirrored shows how near its reading sits to a model's whim: a check that needs no
new labels. The copies (OUT/clips, re-encoded with the project's ffmpeg; give each look its own OUT) and their
keypoints (OUT/runs) are kept for the next run. Printed: each clip whose reading changed, then the labelled
scores (as `real_clips.py`) of the originals and of the mirror images.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from real_clips import found_clips, run_batch, scored_all

from pipeline.result import ClipResult
from pipeline.settings import load_settings
from pipeline.video import ffmpeg_exe

# each look: the ffmpeg filter and the x264 quality; "sent" keeps a clip already under 480 px as it is (even sizes)
LOOKS = {
    "mirror": ("hflip", "17"),
    "sent": (
        "scale='if(gt(iw,ih),-2,trunc(min(480,iw)/2)*2)':'if(gt(iw,ih),trunc(min(480,ih)/2)*2,-2)',setsar=1",
        "30",
    ),
    "tilt": ("rotate=5*PI/180:fillcolor=black,setsar=1", "17"),
}


def mirror(src: Path, dst: Path, look: str = "mirror") -> None:
    """Write `src` in `look` (`LOOKS`; rotation flags applied first, sound dropped) to `dst`, atomically."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(".part-" + dst.name)
    vf, crf = LOOKS[look]
    cmd = [ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(src), "-vf", vf, "-an"]
    cmd += ["-c:v", "libx264", "-preset", "veryfast", "-crf", crf, "-pix_fmt", "yuv420p", "-f", "mp4", str(tmp)]
    subprocess.run(cmd, check=True)
    tmp.replace(dst)


def reading(r: ClipResult) -> tuple[str, str, int, str, str]:
    """What a mirror image must not change: view, exercise, rep count, knee and hip colours."""
    v = {x.area: x.colour for x in r.verdicts}
    return r.view, r.exercise, len(r.reps), v.get("knee_tracking", "-"), v.get("hip_control", "-")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="folder for the copies (mirrored or sent) and their batch output")
    ap.add_argument("--real", type=Path, required=True, help="the originals' output folder from real_clips.py")
    ap.add_argument("--corpus", type=Path, help="folder holding the clips of benchmarks/corpus.toml")
    ap.add_argument("-c", "--config", type=Path, help="settings overrides, as for formreview batch")
    ap.add_argument(
        "--look", choices=sorted(LOOKS), default="mirror", help="mirrored (default), as a phone sends it, or turned 5°"
    )
    args = ap.parse_args()
    found = found_clips(args.corpus)
    flipped = []
    for c, f in found:
        dst = args.out / "clips" / c.file
        if not dst.exists():
            print(f"{args.look}: {c.file}", flush=True)
            mirror(f, dst, args.look)
        flipped.append((c, dst))
    run_batch(flipped, args.out / "runs")
    settings = load_settings(args.config)
    originals, mirrored = scored_all(found, args.real, settings), scored_all(flipped, args.out / "runs", settings)
    n = changed = vex = vex_m = knee = knee_ok = knee_ok_m = 0
    for c, _ in found:
        a, b = originals[c.file], mirrored[c.file]
        if a is None or b is None:
            print(f"{c.stem:46} (no keypoints{' for the original' if a is None else f' {args.look}'})")
            continue
        n += 1
        vex, vex_m = vex + a[1], vex_m + b[1]
        knee += a[2] is not None
        knee_ok, knee_ok_m = knee_ok + bool(a[2]), knee_ok_m + bool(b[2])
        if reading(a[0]) != reading(b[0]):
            changed += 1
            truth = f"{c.view}/{c.exercise}/{c.reps} knee {c.knee}"
            print(f"{c.stem:46} {truth:32} {'/'.join(map(str, reading(a[0])))} -> {'/'.join(map(str, reading(b[0])))}")
    print(f"\nclips whose reading changed ({args.look}): {changed}/{n}")
    print(f"view, exercise and reps right: {vex}/{n} original, {vex_m}/{n} {args.look}")
    print(f"knee verdicts right: {knee_ok}/{knee} original, {knee_ok_m}/{knee} {args.look}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
