"""Pose threads: BlazePose on consecutive parts of a clip, one after the other or at once, and the thread counts
per batch worker.

Runs the real BlazePose (bundled in the mediapipe wheel) on the first frames of a rendered sample clip, and the real
YOLO weights from ../shared/models.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import WEIGHTS

from pipeline.keypoints import N_KP, Kp, PoseTrack
from pipeline.pose import blazepose_threads, worker_cores
from pipeline.pose.hybrid import PARTS, refine_with_blazepose
from pipeline.settings import BatchSettings, PoseSettings, Settings
from pipeline.video import probe

CLIP = Path(__file__).resolve().parent.parent / "sample_videos" / "squat_front_good.mp4"
N = 24  # frames: enough for two parts of a few tracked frames each


def yolo_like_track(n: int, wh: tuple[int, int]) -> PoseTrack:
    """The client's box on every third frame (as the hybrid's YOLO pass leaves it), no keypoints."""
    w, h = wh
    boxes = np.full((n, 4), np.nan, np.float32)
    boxes[::3] = (0.2 * w, 0.1 * h, 0.8 * w, 0.95 * h)
    return PoseTrack(
        np.arange(n) / 30.0,
        np.full((n, N_KP, 2), np.nan, np.float32),
        np.zeros((n, N_KP), np.float32),
        boxes,
        wh,
        Fraction(30),
    )


@pytest.fixture(scope="module")
def refined() -> dict[int, PoseTrack]:
    info = probe(CLIP)
    info = dataclasses.replace(info, t_s=info.t_s[:N])  # the decoders stop after N frames
    track = yolo_like_track(N, (info.width, info.height))
    return {t: refine_with_blazepose(info, track, PoseSettings(), info.height, threads=t) for t in (1, 2)}


@pytest.mark.slow
def test_parts_at_once_equal_parts_in_turn(refined: dict[int, PoseTrack]) -> None:
    np.testing.assert_array_equal(refined[1].xy, refined[2].xy)
    np.testing.assert_array_equal(refined[1].conf, refined[2].conf)
    assert refined[1].extra == refined[2].extra


@pytest.mark.slow
def test_every_frame_refined_in_both_parts(refined: dict[int, PoseTrack]) -> None:
    track = refined[2]
    assert track.extra["blazepose_parts"] == PARTS == 2
    assert track.extra["blazepose_frames"] == N
    assert np.isfinite(track.xy[:, :, 0]).any(axis=1).all()
    assert track.extra["blazepose_legs_elsewhere"] == 0  # no YOLO legs to disagree with


@pytest.mark.slow
def test_blazepose_legs_on_someone_else_are_dropped() -> None:
    """YOLO sure of the client's legs at the frame's left edge, and of another person's right where BlazePose finds
    legs in the crop: BlazePose's legs are that person's on every frame and go; its upper body stays."""
    info = probe(CLIP)
    info = dataclasses.replace(info, t_s=info.t_s[:N])
    track = yolo_like_track(N, (info.width, info.height))
    for side in ("L", "R"):
        for part, y in (("HIP", 0.5), ("KNEE", 0.7), ("ANKLE", 0.9)):
            track.xy[::3, Kp[f"{side}_{part}"]] = (0.02 * info.width, y * info.height)
            track.conf[::3, Kp[f"{side}_{part}"]] = 0.9
    alone = refine_with_blazepose(info, track, PoseSettings(), info.height)  # nobody else: nothing to lay legs on
    legs = [Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE, Kp.L_HEEL, Kp.R_HEEL, Kp.L_TOE, Kp.R_TOE]
    assert alone.extra["blazepose_legs_elsewhere"] == 0 and np.isfinite(alone.xy[:, legs]).all()
    others = alone.xy[:, [Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE]].astype(np.float64) + 3.0
    out = refine_with_blazepose(info, track, PoseSettings(), info.height, others=others)
    assert out.extra["blazepose_legs_elsewhere"] == N
    assert np.isnan(out.xy[:, legs]).all() and (out.conf[:, legs] == 0).all()
    assert np.isfinite(out.xy[:, [Kp.L_HIP, Kp.R_HIP, Kp.L_SHOULDER]]).all()
    off = dataclasses.replace(PoseSettings(), leg_elsewhere=0.0)
    kept = refine_with_blazepose(info, track, off, info.height, others=others)
    assert kept.extra["blazepose_legs_elsewhere"] == 0 and np.isfinite(kept.xy[:, legs]).all()


@pytest.mark.parametrize(
    ("jobs", "cores", "expected"),
    [(0, 2, 2), (1, 2, 2), (2, 2, 1), (0, 1, 1), (0, 16, 2), (4, 16, 2), (3, 4, 1)],
    ids=["auto-2", "one-job-2", "two-jobs-2", "one-core", "many-cores", "4-of-16", "3-of-4"],
)
def test_blazepose_threads(monkeypatch: pytest.MonkeyPatch, jobs: int, cores: int, expected: int) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert blazepose_threads(Settings(batch=BatchSettings(jobs=jobs))) == expected


@pytest.mark.parametrize(
    ("jobs", "cores", "expected"),
    [(0, 2, 2), (1, 2, 2), (2, 2, 1), (0, 1, 1), (0, 16, 2), (1, 16, 16), (4, 16, 4), (3, 2, 1)],
    ids=["auto-2", "one-job-2", "two-jobs-2", "one-core", "auto-16", "one-job-16", "4-of-16", "more-jobs-than-cores"],
)
def test_worker_cores(monkeypatch: pytest.MonkeyPatch, jobs: int, cores: int, expected: int) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert worker_cores(Settings(batch=BatchSettings(jobs=jobs))) == expected


@pytest.mark.slow
def test_yolo_gets_the_thread_count() -> None:
    """The OpenVINO model ultralytics compiles inside the first predict gets the worker's thread count."""
    from pipeline.pose.yolo import YoloPose

    yolo = YoloPose(WEIGHTS, threads=1)
    yolo(np.zeros((64, 48, 3), np.uint8))
    compiled = yolo._model.predictor.model.backend.ov_compiled_model
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 1


@pytest.mark.slow
def test_yolo_is_loaded_once_per_worker_and_keeps_no_state() -> None:
    """A batch worker reuses its YOLO for the next clip: same object, and a frame's result does not depend on what
    ran before it (the next clip's keypoints equal those of a fresh worker)."""
    from pipeline.pose import loaded_yolo
    from pipeline.video import read_frames

    info = probe(CLIP)
    frames = [f.copy() for i, _, f in read_frames(info, max_height=320, stop=40) if i in (0, 39)]
    yolo = loaded_yolo(WEIGHTS, 640, 0.25, False, 1)
    assert loaded_yolo(WEIGHTS, 640, 0.25, False, 1) is yolo
    first = yolo(frames[0])
    yolo(frames[1])
    again = yolo(frames[0])
    assert len(first) == 1
    np.testing.assert_array_equal(first.xy, again.xy)
    assert loaded_yolo(WEIGHTS, 640, 0.25, False, 2) is not yolo  # other settings: another model


@pytest.mark.parametrize(
    ("fps", "hz", "expected"),
    [
        (30, 12, 2),
        (29.97, 12, 2),
        (25, 12, 2),
        (60, 12, 5),
        (59.94, 12, 4),
        (24, 12, 2),
        (23, 12, 1),
        (10, 12, 1),
        (30, 0, 1),
        (30, 15, 2),
        (29.97, 15, 1),
    ],
)
def test_keypoint_every_keeps_at_least_the_rate(fps: float, hz: float, expected: int) -> None:
    from pipeline.pose import keypoint_every

    every = keypoint_every(fps, hz)
    assert every == expected
    assert hz <= 0 or fps / every >= min(hz, fps) - 1e-9  # never sampled slower than asked (or than filmed)


@pytest.mark.slow
def test_frames_blazepose_skips_are_empty_not_yolo() -> None:
    """With every=2 the frames between are left for interpolation, even where YOLO's own points exist (its knee
    sits on the outer edge and it has no feet: mixing the two would put a step into the knee track)."""
    info = probe(CLIP)
    info = dataclasses.replace(info, t_s=info.t_s[:N])
    track = yolo_like_track(N, (info.width, info.height))
    track.xy[::3] = 5.0  # YOLO's points on the frames it ran
    track.conf[::3] = 0.9
    out = refine_with_blazepose(info, track, PoseSettings(), info.height, threads=2, every=2)
    ran = np.isfinite(out.xy[:, :, 0]).any(axis=1)
    np.testing.assert_array_equal(ran, np.arange(N) % 2 == 0)
    assert (out.conf[1::2] == 0).all()
    assert out.extra["blazepose_frames"] == N // 2
    assert not (out.xy == 5.0).any()  # BlazePose's points replaced YOLO's wherever both exist
    assert out.seen.all()  # a skipped frame still has the client's box: "found in 100 % of frames", not 50 %
