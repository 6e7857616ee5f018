"""When the hybrid's YOLO looks: the schedule's rules on synthetic detections whose right answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.keypoints import N_KP, FramePoses
from pipeline.pose.detect import CALM_LOOKS, dense_every, detect_adaptive, is_calm, sparse_every


def people(*boxes: tuple[float, float, float, float]) -> FramePoses:
    n = len(boxes)
    return FramePoses(
        xy=np.zeros((n, N_KP, 2), np.float32),
        conf=np.ones((n, N_KP), np.float32),
        boxes=np.array(boxes, np.float32).reshape(n, 4),
        scores=np.full(n, 0.9, np.float32),
    )


CLIENT = (100.0, 100.0, 200.0, 400.0)  # 100 wide, 300 tall


@pytest.mark.parametrize(
    ("fps", "dense", "sparse_s", "expected"),
    [(30, 3, 0.3, 9), (25, 3, 0.3, 6), (60, 3, 0.3, 18), (10, 3, 0.3, 3), (30, 3, 0.0, 3), (30, 1, 0.3, 9)],
)
def test_sparse_stride_is_a_multiple_of_the_dense_one_within_the_time(fps, dense, sparse_s, expected) -> None:
    assert sparse_every(fps, dense, sparse_s) == expected


@pytest.mark.parametrize(
    ("fps", "expected"),
    # 0.3 s at most between looks: 30, 25 and 10 fps keep every 3rd frame; 8 fps every 2nd; a 2.9 fps GIF every one
    [(30.0, 3), (25.0, 3), (10.0, 3), (8.0, 2), (20 / 7, 1), (0.0, 3)],
)
def test_yolo_dense_stride_never_spans_more_than_its_time(fps: float, expected: int) -> None:
    assert dense_every(fps, 3) == expected
    assert dense_every(fps, 1) == 1


def test_one_person_in_place_is_calm() -> None:
    squatted = (100.0, 130.0, 200.0, 400.0)  # 10 % shorter: IoU 0.9
    assert is_calm(people(CLIENT), people(squatted))


@pytest.mark.parametrize(
    ("prev", "cur", "why"),
    [
        (None, people(CLIENT), "first look"),
        (people(CLIENT), people(), "nobody found"),
        (people(CLIENT), people(CLIENT, (600, 100, 700, 400)), "someone came in"),
        (people(CLIENT, (600, 100, 700, 400)), people(CLIENT), "someone left or was lost"),
        # moved 40 px right: overlap 60x300 over union 140x300, IoU 0.43
        (people(CLIENT), people((140.0, 100.0, 240.0, 400.0)), "moved by more than a third"),
        # a second person 50 px to the side: grown by 75 px each, the boxes overlap
        (people(CLIENT, (250, 100, 350, 400)), people(CLIENT, (250, 100, 350, 400)), "two people close"),
    ],
)
def test_busy_scenes_keep_yolo_dense(prev, cur, why) -> None:
    assert not is_calm(prev, cur), why


def test_two_people_far_apart_and_still_are_calm() -> None:
    two = people(CLIENT, (600, 100, 700, 400))  # 400 px apart, grown by 75 px each: no overlap
    assert is_calm(two, two)


def run_schedule(scene: list[FramePoses], dense: int, sparse: int) -> list[int]:
    """Frame indices YOLO looked at, `scene[i]` being what it sees on frame i (the frame's pixel holds i)."""
    frames = ((i, i / 30, np.full((1, 1, 1), i, np.int64)) for i in range(0, len(scene), dense))
    return [i for i, fp in detect_adaptive(frames, lambda f: scene[int(f[0, 0, 0])], sparse) if fp is not None]


def test_calm_clip_is_looked_at_sparsely_after_the_first_looks() -> None:
    scene = [people(CLIENT)] * 90
    looked = run_schedule(scene, 3, 9)
    # dense until CALM_LOOKS calm looks in a row (the first look has nothing to compare with), then every 9th frame
    assert looked[: CALM_LOOKS + 1] == [0, 3, 6]
    assert np.all(np.diff(looked[CALM_LOOKS + 1 :]) == 9)
    assert len(looked) < 90 / 3 / 2


def test_a_second_person_arriving_brings_the_dense_rate_back_until_calm_again() -> None:
    visitor = (250.0, 100.0, 350.0, 400.0)  # close to the client
    scene = [people(CLIENT, visitor) if 30 <= i < 60 else people(CLIENT) for i in range(120)]
    looked = run_schedule(scene, 3, 9)
    while_there = [i for i in looked if 36 <= i < 60]
    assert np.all(np.diff(while_there) == 3)  # every dense frame while two people are close
    assert np.diff([i for i in looked if i >= 75]).max() == 9  # calm again once the visitor has gone


def test_every_frame_of_the_grid_is_reported_for_progress() -> None:
    scene = [people(CLIENT)] * 60
    frames = [(i, i / 30, np.zeros((2, 2, 3), np.uint8)) for i in range(0, 60, 3)]
    got = [i for i, _ in detect_adaptive(iter(frames), lambda f: scene[0], 9)]
    assert got == [i for i, _, _ in frames]
