"""Pose stage: choose a backend set-up, run it over a clip's frames, and hand back the client's `PoseTrack`.

Set-ups: `yolo` (every person, COCO-17), `mediapipe` (BlazePose on whole frames, one person, feet points),
`hybrid` (YOLO finds and tracks everyone and picks the client; BlazePose then runs on the client's crop for
precise knees and feet). `auto` picks hybrid when YOLO weights are present, else the best available.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from pipeline.errors import PoseError
from pipeline.keypoints import FramePoses, PoseTrack
from pipeline.settings import PoseSettings, Settings
from pipeline.video import long_side_height

if TYPE_CHECKING:
    from pipeline.pose.openvino import OpenVinoYoloPose
    from pipeline.pose.yolo import YoloPose
    from pipeline.video import VideoInfo

BACKENDS = ("auto", "hybrid", "yolo", "mediapipe")
YOLO_RUNTIMES = ("auto", "ultralytics")
# Part of the keypoint cache key: bump it whenever the same video, model and settings would give other keypoints
# (2: the hybrid refines each clip in two halves; 3: keypoints at `keypoint_hz`, skipped frames left empty; 4: the
# client's track is stitched across video cuts; 5: YOLO looks sparsely while the scene is calm; 6: a track never
# links to a box of a very different height; 7: a BlazePose leg laid on someone else is dropped; 8: the client boxed
# twice for more than a few looks stays one track; 9: YOLO's float layers in f32 on every CPU), so an upgrade never
# reuses a cache made by the old code.
POSE_VERSION = 9
# Long side of the frames YOLO sees: it letterboxes to imgsz anyway, so decoding larger only costs time.
YOLO_DECODE_LONG_SIDE = 640
# BlazePose's landmark net works at 256 px; 1280 keeps a small client sharp in a wide frame.
CROP_DECODE_LONG_SIDE = 1280

Progress = Callable[[int], None]


@dataclass(frozen=True)
class BackendPlan:
    """The resolved set-up. `notice` is one line for the coach when auto had to fall back."""

    name: str
    weights: Path | str | None
    notice: str | None = None


def _weights_or_none(s: PoseSettings) -> tuple[Path | str | None, str | None]:
    from pipeline.pose.yolo import resolve_weights

    try:
        return resolve_weights(s.model, s.yolo_name, s.allow_download), None
    except PoseError as e:
        return None, e.message


def plan_backend(s: PoseSettings) -> BackendPlan:
    """Resolve `s.backend` against what is installed and on disk. Raises PoseError when nothing can run."""
    if s.backend not in BACKENDS:
        raise PoseError(f"unknown pose backend {s.backend!r}; choose one of {', '.join(BACKENDS)}")
    if s.yolo_runtime not in YOLO_RUNTIMES:
        raise PoseError(f"unknown yolo_runtime {s.yolo_runtime!r}; choose one of {', '.join(YOLO_RUNTIMES)}")
    has_mp = importlib.util.find_spec("mediapipe") is not None
    weights, why_not = _weights_or_none(s)
    if s.backend in ("yolo", "hybrid"):
        if weights is None:
            raise PoseError(f"--pose {s.backend}: {why_not}")
        if s.backend == "hybrid" and not has_mp:
            raise PoseError("--pose hybrid needs the mediapipe package; use --pose yolo")
        return BackendPlan(s.backend, weights)
    if s.backend == "mediapipe":
        if not has_mp:
            raise PoseError("--pose mediapipe needs the mediapipe package")
        return BackendPlan("mediapipe", None)
    # auto: hybrid measured best on the rendered knee-cave harness (benchmarks/accuracy.py)
    if weights is not None and has_mp:
        return BackendPlan("hybrid", weights)
    if has_mp:
        return BackendPlan(
            "mediapipe",
            None,
            notice="pose: no YOLO weights given, using BlazePose alone (one person per frame; with several people "
            "in view pass --model PATH for the hybrid set-up)",
        )
    if weights is not None:
        return BackendPlan("yolo", weights, notice="pose: mediapipe missing, using YOLO alone (no feet keypoints)")
    raise PoseError(f"no pose backend can run: {why_not}, and mediapipe is not installed")


def _run_frames(
    info: VideoInfo,
    model: Callable[[np.ndarray], FramePoses],
    max_height: int,
    progress: Progress | None,
    every: int = 1,
    sparse: int = 0,
) -> tuple[list[FramePoses], npt.NDArray[np.intp]]:
    """Run `model` on every `every`-th frame, or with `sparse` > `every`, on the frames of that grid that
    `detect.Schedule` picks (every `sparse`-th while the scene is calm); keypoints scaled back to the displayed
    frame's pixels.

    Returns the poses of the frames that ran and their frame indices.
    """
    from pipeline.pose.detect import detect_adaptive
    from pipeline.video import frame_size, read_frames

    out: list[FramePoses] = []
    ran: list[int] = []
    k = info.height / frame_size(info, max_height)[1]
    frames = read_frames(info, max_height=max_height, every=every)
    for i, fp in detect_adaptive(frames, model, max(sparse, every)):
        if progress:
            progress(min(every, info.n_frames - i))  # the frames skipped count as done
        if fp is None:
            continue
        if k != 1.0 and len(fp):
            fp = FramePoses(xy=fp.xy * k, conf=fp.conf, boxes=fp.boxes * k, scores=fp.scores)
        out.append(fp)
        ran.append(i)
    return out, np.array(ran, dtype=np.intp)


def expand_track(
    track: PoseTrack,
    ran: npt.NDArray[np.intp],
    t_s: npt.NDArray[np.float64],
    fill_boxes: bool = False,
    every: int = 1,
) -> PoseTrack:
    """Put a track built on a subset of frames (`ran`) back on the clip's full timeline; NaN elsewhere.

    With `fill_boxes`, a frame the model skipped by design gets the client's box interpolated from the frames
    beside it, so "client found in x % of frames" counts the frames looked at, not the sampling rate. `every`
    (the model ran on every n-th frame by design) is kept in `extra["keypoint_every"]` for the cleaning's report.
    """
    n = len(t_s)
    xy = np.full((n, *track.xy.shape[1:]), np.nan, np.float32)
    conf = np.zeros((n, track.conf.shape[1]), np.float32)
    boxes = np.full((n, 4), np.nan, np.float32)
    xy[ran], conf[ran], boxes[ran] = track.xy, track.conf, track.boxes
    if fill_boxes and every > 1:
        from pipeline.pose.hybrid import fill_skipped_boxes

        fill_skipped_boxes(boxes, t_s, np.isin(np.arange(n), ran, invert=True), every)
    return PoseTrack(
        t_s,
        xy,
        conf,
        boxes,
        track.frame_wh,
        track.fps,
        track.backend,
        track.model_id,
        track.note,
        {**track.extra, "model_frames": int(len(ran)), "keypoint_every": int(every)},
    )


def estimate_track(
    info: VideoInfo, plan: BackendPlan, settings: Settings, progress: Progress | None = None
) -> PoseTrack:
    """Run the planned set-up over the clip and return the client's track in displayed-frame pixels.

    `progress(n)` is called with the number of frames just processed (hybrid makes two passes: 2 per frame).
    """
    from pipeline.pose.detect import dense_every, sparse_every
    from pipeline.track import build_track  # here, not at the top: it pulls in scipy.optimize (~0.4 s), and the
    # batch's parent process imports this package only to plan the backend

    s = settings.pose
    wh = (info.width, info.height)
    kp_every = keypoint_every(float(info.fps), s.keypoint_hz)  # the keypoint model's stride
    if plan.name == "mediapipe":
        from pipeline.pose.mediapipe import BlazePose

        bp = BlazePose(static=False, min_detection_conf=s.mp_min_detection_conf)
        try:
            poses, ran = _run_frames(info, bp, long_side_height(info, CROP_DECODE_LONG_SIDE), progress, kp_every)
        finally:
            bp.close()
        track = build_track(poses, info.t_s[ran], wh, info.fps, settings.track, "mediapipe", bp.model_id)
        return expand_track(track, ran, info.t_s, fill_boxes=True, every=kp_every)

    assert plan.weights is not None
    yolo = loaded_yolo(plan.weights, s.imgsz, s.det_conf, s.allow_download, worker_cores(settings), s.yolo_runtime)
    # in hybrid, YOLO only chooses the client and places the crop: boxes move slowly, so it may skip frames.
    # A fixed slower rate failed (measured on the 11 real clips): every 6th frame lost the client of the 10 fps
    # clip (0.6 s gaps break its track), and every 0.2 s turned the narrow-base lunge's 2 reps into 3. So the
    # dense rate stays, and `detect` slows to every `detect_sparse_s` only while the scene is calm.
    every = dense_every(float(info.fps), s.detect_every) if plan.name == "hybrid" else kp_every
    sparse = sparse_every(float(info.fps), every, s.detect_sparse_s) if plan.name == "hybrid" else 0
    poses, ran = _run_frames(info, yolo, long_side_height(info, YOLO_DECODE_LONG_SIDE), progress, every, sparse)
    track = build_track(poses, info.t_s[ran], wh, info.fps, settings.track, "yolo", yolo.model_id)
    if plan.name == "yolo":
        return expand_track(track, ran, info.t_s, fill_boxes=True, every=every)
    from pipeline.pose.hybrid import other_people_legs, refine_with_blazepose

    seen_others = other_people_legs(poses, track.boxes)  # before the track goes onto the full timeline
    others = np.full((len(info.t_s), *seen_others.shape[1:]), np.nan)
    others[ran] = seen_others
    track = expand_track(track, ran, info.t_s, every=every)
    height = long_side_height(info, CROP_DECODE_LONG_SIDE)
    track = refine_with_blazepose(info, track, s, height, progress, blazepose_threads(settings), kp_every, others)
    return replace(track, extra={**track.extra, "detect_every": every})


def made_alike(track: PoseTrack, settings: Settings) -> bool:
    """Whether a cached track is what this code would make for its clip: a hybrid track records YOLO's dense stride
    (`detect.dense_every`, which depends on the clip's frame rate); one from before it was recorded used
    `detect_every` as set. The cache key does not hold the frame rate."""
    if track.backend != "hybrid":
        return True
    from pipeline.pose.detect import dense_every

    made = int(track.extra.get("detect_every", settings.pose.detect_every))
    return made == dense_every(float(track.fps), settings.pose.detect_every)


@functools.lru_cache(maxsize=1)
def loaded_yolo(
    weights: Path | str, imgsz: int, conf: float, allow_download: bool, threads: int, runtime: str = "auto"
) -> YoloPose | OpenVinoYoloPose:
    """The YOLO model, loaded once per process and kept for the next clip of a batch.

    An OpenVINO export runs on OpenVINO itself unless `runtime` is "ultralytics" (same keypoints, no torch:
    ~0.8 s to load instead of ~5 s, see pipeline/pose/openvino.py); anything else goes through ultralytics.
    The model keeps no state between frames (the tracker is ours), so a clip's keypoints do not depend on what
    the worker ran before.
    """
    from pipeline.pose.openvino import OpenVinoYoloPose, exported_model
    from pipeline.pose.yolo import YoloPose

    export = exported_model(weights) if runtime == "auto" and isinstance(weights, Path) else None
    if export is not None:
        return OpenVinoYoloPose(export, conf, threads=threads)
    return YoloPose(weights, imgsz, conf, allow_download, threads=threads)


def keypoint_every(fps: float, keypoint_hz: float) -> int:
    """Run the keypoint model on every n-th frame so that it still samples at least `keypoint_hz` times a second."""
    if keypoint_hz <= 0 or not fps > 0:
        return 1
    return max(1, int(fps / keypoint_hz + 1e-9))


def worker_cores(settings: Settings) -> int:
    """CPU cores one batch worker should use: cores // N with `--jobs N`; with automatic --jobs, two (the batch
    runs one worker per two cores), or one on a 1-core machine. The models' thread counts follow it, so that
    workers do not oversubscribe the CPU.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // settings.batch.jobs if settings.batch.jobs > 0 else min(2, cores))


def blazepose_threads(settings: Settings) -> int:
    """How many BlazePose parts of a clip may run at once in one batch worker (one core each; there are 2 parts)."""
    from pipeline.pose.hybrid import PARTS

    return min(PARTS, worker_cores(settings))
