"""Real-clip benchmark: view, exercise, reps and the knee and hip verdicts of every labelled real clip.

    python benchmarks/real_clips.py OUT                              # batch into OUT where needed, then score
    python benchmarks/real_clips.py OUT --corpus ~/formreview-corpus  # + the clips of corpus.toml in that folder
    python benchmarks/real_clips.py OUT --corpus ... --hide upper       # as if filmed from the hips down
    python benchmarks/real_clips.py OUT2 --corpus ... --pose mediapipe  # BlazePose alone: no YOLO weights given

Labels come from the manifests (`benchmarks/corpus_shared.toml` for ../shared/videos, `benchmarks/corpus.toml` for
clips fetched from public repositories; see `benchmarks/corpus.py`). A clip whose keypoints are already in
OUT/<clip>/keypoints.npz, made by this code's pose stage, is scored from them (the analysis re-runs in well under a
second); others go through `formreview batch` first. Scored per clip:
- view, exercise and rep count against the labels (`view_also` / `reps_also` accept a partial rep or a boundary view);
- knee: a clip labelled "cave" must read amber or red; "good" must not read red; "unsure" is listed, not scored;
- the hip verdict and the data-quality gate are printed beside them.
A red knee or hip card, and a knee reading that asks for a check, is checked as the job checks it, against the pose
model's look at the clip flipped left to right (OUT/<clip>/keypoints_flipped.npz; a clip without one goes through the
batch again to make it).
`--hide upper` scores every clip with its head and shoulders taken out (NaN): the same people and reps as a camera
framing the hips down would show them, a framing that real clips use and that the labels need not change for.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np
from corpus import MANIFEST, SHARED_MANIFEST, SHARED_VIDEOS, Clip, check, load

from pipeline import __version__
from pipeline.cache import FLIP_CACHE_NAME, read_track, track_pose
from pipeline.keypoints import Kp, PoseTrack
from pipeline.mirror import checked, second_look_for
from pipeline.pose import POSE_VERSION, made_alike
from pipeline.result import ClipResult
from pipeline.scoring import evaluate
from pipeline.settings import Settings, load_settings

MODEL = SHARED_VIDEOS.parent / "models" / "yolov8n-pose_int8_openvino_model"
POSE = "hybrid" if MODEL.exists() else "mediapipe"  # what a batch here runs unless told: the job's own `auto`
DEFAULTS = load_settings(None)  # what `run_batch`'s `formreview batch` runs with
HIDE = {"upper": [int(k) for k in (Kp.NOSE, Kp.L_EYE, Kp.R_EYE, Kp.L_EAR, Kp.R_EAR, Kp.L_SHOULDER, Kp.R_SHOULDER)]}


def _this_stage(made: str) -> bool:
    """`track_pose`'s record is this code's pose stage, or absent (files from before 0.7.5: taken as they are)."""
    return not made or made.endswith(f"/v{POSE_VERSION}")


def current_track(cache: Path, settings: Settings) -> PoseTrack | None:
    """The keypoints there when this code's pose stage made them as it runs for that clip (`pose.made_alike`); else
    None. Files from before 0.7.5 do not say which stage made them: they are taken as they are (`run_batch` says how
    many)."""
    if not cache.exists() or not _this_stage(track_pose(cache)):
        return None
    track = read_track(cache)[0]
    return track if made_alike(track, settings) else None


def current(cache: Path, settings: Settings) -> bool:
    """`current_track` finds keypoints there."""
    return current_track(cache, settings) is not None


def run_batch(clips: list[tuple[Clip, Path]], out: Path, force: bool = False, pose: str = POSE) -> None:
    """`formreview batch` over the clips that have no keypoints in `out` yet, or keypoints from an older pose stage
    (the batch's own cache key then redoes their pose), linked into one input folder. With `force`, over all of
    `clips` (the batch then reuses their keypoints and makes what is missing: the flipped look of a red card or of a
    knee reading to check). `pose`: "hybrid" (with `MODEL`) or "mediapipe" (BlazePose alone, as a coach without
    YOLO weights runs it); keypoints another set-up made are made again, so keep one output folder per set-up."""
    caches = [(c, f, out / c.file / "keypoints.npz") for c, f in clips]
    made = {k: track_pose(k) for _, _, k in caches if k.exists()}  # each file's record, read once
    old = [k for k, m in made.items() if not _this_stage(m) or not _made_here(read_track(k)[0], pose)]
    if old:
        print(f"{len(old)} clips have keypoints from an older pose stage or set-up: running them again", flush=True)
    unsure = sum(not m for m in made.values())
    if unsure:
        print(
            f"{unsure} clips have keypoints that do not say which pose stage made them (before 0.7.5): scored as they"
            " are; after a pose change use a fresh folder",
            flush=True,
        )
    todo = [(c, f) for c, f, k in caches if force or k not in made or k in old]
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix="formreview-real-in-") as tmp:
        for c, f in todo:
            os.symlink(f.resolve(), Path(tmp) / c.file)
        cmd = [sys.executable, "-m", "pipeline.cli", "batch", tmp, "-o", str(out), *(["--force"] if force else [])]
        cmd += ["--model", str(MODEL)] if pose == "hybrid" else ["--pose", pose]
        print("running:", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=False)


def found_clips(corpus: Path | None) -> list[tuple[Clip, Path]]:
    """The labelled clips present and unchanged: ../shared/videos' and, given its folder, corpus.toml's. Prints what
    is missing or changed."""
    clips, problems = check(SHARED_VIDEOS, load(SHARED_MANIFEST))
    found = [(c, SHARED_VIDEOS / c.file) for c in clips]
    if corpus:
        more, missing = check(corpus, load(MANIFEST))
        found += [(c, corpus / c.file) for c in more]
        problems += missing
    for p in problems:
        print(p)
    return found


def knee_ok(label: str, colour: str) -> bool | None:
    """A cave must be flagged (amber or red); a good knee must not be red; unsure and side views are not scored."""
    if label == "cave":
        return colour in ("amber", "red")
    if label == "good":
        return colour != "red"
    return None


def score(c: Clip, r: ClipResult) -> tuple[bool, bool | None]:
    """(view, exercise and reps all right; knee verdict right, None when not scored)."""
    n = len(r.reps)
    vex = (r.view == c.view or r.view in c.view_also) and r.exercise == c.exercise and (n == c.reps or n in c.reps_also)
    colours = {v.area: v.colour for v in r.verdicts}
    return vex, knee_ok(c.knee, colours.get("knee_tracking", "grey"))


def scored(
    c: Clip, cache: Path, settings: Settings, hide: list[int] | None = None
) -> tuple[ClipResult, bool, bool | None] | None:
    """The clip's result from its cached keypoints (less the `hide` keypoints), and `score` of it; None when it has
    none from this pose stage. A red knee or hip card, or a knee reading to check, is checked against the flipped look
    beside them, as the job does (`pipeline.mirror`); without one it stands as read (`scored_all` has the batch make
    the missing ones)."""
    made = current_track(cache, settings)
    if made is None:
        return None
    track = _hidden(made, hide)
    r = evaluate(track, settings, c.file)
    checking = settings.analysis.flip_check and second_look_for(r)
    flipped = current_track(cache.with_name(FLIP_CACHE_NAME), settings) if checking else None
    if flipped is not None:
        r = evaluate(track, settings, c.file, checked(r, _hidden(flipped, hide), settings, c.file))
    return (r, *score(c, r))


def _made_here(track: PoseTrack, pose: str) -> bool:
    """The track is what `run_batch` makes with set-up `pose` (`pose.made_alike`, and the same set-up)."""
    return track.backend == pose and made_alike(track, DEFAULTS)


def scored_all(
    found: list[tuple[Clip, Path]],
    out: Path,
    settings: Settings,
    hide: list[int] | None = None,
    pose: str = POSE,
) -> dict[str, tuple[ClipResult, bool, bool | None] | None]:
    """`scored` of each clip from its keypoints in `out`, by file name. A clip that needs a flipped look
    (`pipeline.mirror.second_look_for`) with none yet (made before the flip check, or by a batch with other settings)
    goes through the batch again first: the job makes it. Not with `hide`: the job looks again for the whole track's
    readings, not a hidden one's."""
    got = {c.file: scored(c, out / c.file / "keypoints.npz", settings, hide) for c, _ in found}
    pending = [
        (c, f)
        for c, f in found
        if (r := got[c.file])
        and settings.analysis.flip_check
        and second_look_for(r[0])
        and not current(out / c.file / FLIP_CACHE_NAME, settings)
    ]
    if pending and not hide:
        print(f"{len(pending)} clips need a flipped look not made yet: running them again", flush=True)
        run_batch(pending, out, force=True, pose=pose)
        got.update({c.file: scored(c, out / c.file / "keypoints.npz", settings) for c, _ in pending})
    return got


def _hidden(track: PoseTrack, hide: list[int] | None) -> PoseTrack:
    if not hide:
        return track
    xy = np.array(track.xy, copy=True)
    xy[:, hide] = np.nan
    return track.with_xy(xy)


def pose_stack() -> str:
    """The installed releases the keypoints depend on: the same clips read differently on another install, so a table
    names the one it was measured on (keypoints reused from OUT were made by the install that made them)."""
    names = ("mediapipe", "openvino", "ultralytics", "imageio-ffmpeg", "numpy", "opencv-contrib-python")
    have = [f"formreview {__version__}"]  # the package's metadata is stale in an editable install
    for name in names:
        try:
            have.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return "installed: " + ", ".join(have)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="batch output folder (keypoints cached there)")
    ap.add_argument("--corpus", type=Path, help="folder holding the clips of benchmarks/corpus.toml")
    ap.add_argument("-c", "--config", type=Path, help="settings overrides, as for formreview batch")
    ap.add_argument("--hide", choices=sorted(HIDE), help="score with these keypoints out of the picture")
    ap.add_argument(
        "--pose",
        choices=("hybrid", "mediapipe"),
        default=POSE,
        help="the pose set-up batches here run: hybrid (YOLO weights from ../shared/models; the default where they "
        "are) or mediapipe (BlazePose alone, what a coach without YOLO weights gets); one OUT folder per set-up",
    )
    args = ap.parse_args()
    found = found_clips(args.corpus)
    run_batch(found, args.out, pose=args.pose)
    settings = load_settings(args.config)
    got_all = scored_all(found, args.out, settings, HIDE[args.hide] if args.hide else None, args.pose)
    head = f"{'clip':46} {'truth':24} {'ours':24} {'v/e/r':5} {'knee':11} {'label':6} {'hip':6} {'gate':4}"
    print(pose_stack())
    print(head)
    print("-" * len(head))
    n_vex = n_seen = n_knee = n_knee_ok = 0
    unsure = []
    for c, _ in found:
        truth = f"{c.view}/{c.exercise}/{c.reps}"
        got = got_all[c.file]
        if got is None:
            print(f"{c.stem:46} {truth:24} (no keypoints from this pose stage)")
            continue
        n_seen += 1
        r, vex, kok = got
        n_vex += vex
        n_knee += kok is not None
        n_knee_ok += bool(kok)
        if c.knee == "unsure":
            unsure.append(c.stem)
        v = {x.area: x for x in r.verdicts}
        knee = v.get("knee_tracking")
        knee_word = "-" if knee is None else "check" if knee.unsure else knee.colour
        mark = "" if kok is None else " ✓" if kok else " ✗"
        hip = v["hip_control"].colour if "hip_control" in v else "-"
        print(
            f"{c.stem:46} {truth:24} {r.view + '/' + r.exercise + '/' + str(len(r.reps)):24} {'✓' if vex else '✗':5} "
            f"{knee_word + mark:11} {c.knee:6} {hip:6} {'ok' if r.quality.passed else 'FAIL':4}"
        )
    print(f"\nview, exercise and reps right: {n_vex}/{n_seen} clips")
    print(f"knee verdicts right: {n_knee_ok}/{n_knee} (caves amber or red, good knees not red)")
    if unsure:
        print(f"labelled unsure, not scored: {', '.join(unsure)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
