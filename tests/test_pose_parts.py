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

from pipeline.keypoints import N_KP, PoseTrack
from pipeline.pose import blazepose_threads, worker_cores
from pipeline.pose.hybrid import PARTS, refine_with_blazepose
from pipeline.settings import BatchSettings, PoseSettings, Settings
from pipeline.video import probe

CLIP = Path(__file__).resolve().parent.parent / "sample_videos" / "squat_front_good.mp4"
WEIGHTS = Path(__file__).resolve().parent.parent.parent / "shared" / "models" / "yolov8n-pose_int8_openvino_model"
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


def test_parts_at_once_equal_parts_in_turn(refined: dict[int, PoseTrack]) -> None:
    np.testing.assert_array_equal(refined[1].xy, refined[2].xy)
    np.testing.assert_array_equal(refined[1].conf, refined[2].conf)
    assert refined[1].extra == refined[2].extra


def test_every_frame_refined_in_both_parts(refined: dict[int, PoseTrack]) -> None:
    track = refined[2]
    assert track.extra["blazepose_parts"] == PARTS == 2
    assert track.extra["blazepose_frames"] == N
    assert np.isfinite(track.xy[:, :, 0]).any(axis=1).all()


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


def test_yolo_gets_the_thread_count() -> None:
    """The OpenVINO model ultralytics compiles inside the first predict gets the worker's thread count."""
    from pipeline.pose.yolo import YoloPose

    yolo = YoloPose(WEIGHTS, threads=1)
    yolo(np.zeros((64, 48, 3), np.uint8))
    compiled = yolo._model.predictor.model.backend.ov_compiled_model
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 1
