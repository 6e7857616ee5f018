"""The hybrid's check of BlazePose's legs against YOLO's people: on hand-placed joints whose right answer is known."""

from __future__ import annotations

import numpy as np

from pipeline.keypoints import N_KP, FramePoses, Kp
from pipeline.pose.hybrid import NEARER, SURE, legs_elsewhere, nearest_look, other_people_legs

LEG = 100.0  # px, hip to knee 50 plus knee to ankle 50
MIN = 0.25 * LEG


def standing(x: float = 100.0) -> np.ndarray:
    """A front-view pose (K, 2) px centred on `x`: hips at y 100, knees 50 below, ankles 50 below those, feet 20
    apart."""
    xy = np.full((N_KP, 2), np.nan, np.float32)
    for side, dx in (("L", 10.0), ("R", -10.0)):
        xy[Kp[f"{side}_HIP"]] = (x + dx, 100)
        xy[Kp[f"{side}_KNEE"]] = (x + dx, 150)
        xy[Kp[f"{side}_ANKLE"]] = (x + dx, 200)
        xy[Kp[f"{side}_HEEL"]] = (x + dx, 205)
        xy[Kp[f"{side}_TOE"]] = (x + dx, 210)
    return xy


def legs(xy: np.ndarray) -> np.ndarray:
    return xy[[Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE]].astype(np.float64)


def test_a_leg_laid_on_a_spotter_beside_the_client_is_named() -> None:
    pose, client, spotter = standing(), standing(), standing(x=170)  # the spotter's left leg 50 px right of ours
    pose[Kp.L_KNEE] = spotter[Kp.R_KNEE] + (2, 0)  # BlazePose's left leg on the spotter's right leg
    pose[Kp.L_ANKLE] = spotter[Kp.R_ANKLE]
    assert legs_elsewhere(pose, legs(client), legs(spotter), MIN) == ["left"]
    assert legs_elsewhere(pose, legs(client), np.full((4, 2), np.nan), MIN) == []  # nobody else seen: no call


def test_a_leg_near_the_clients_own_stays_even_with_someone_closer() -> None:
    """A coach's hand-on-knee: the client's knee 20 px (0.2 leg) from BlazePose's, another person's nearer still."""
    pose, client = standing(), standing()
    client[Kp.L_KNEE, 0] += 20
    other = legs(standing(x=112))  # 2 px from BlazePose's left knee
    assert legs_elsewhere(pose, legs(client), other, MIN) == []


def test_someone_else_only_somewhat_nearer_is_no_call() -> None:
    """BlazePose's ankle 40 px from the client's nearest leg point, 40 / NEARER + 1 px from a stranger's: kept."""
    pose, client = standing(), standing()
    pose[Kp.R_ANKLE, 0] -= 40  # 30 px left of the right ankle's x 90 …
    stranger = np.array([[pose[Kp.R_ANKLE, 0] - (40 / NEARER + 1), 200.0]])
    assert legs_elsewhere(pose, legs(client), stranger, MIN) == []
    stranger[0, 0] += 2  # … now 40 / NEARER − 1 px: on the stranger
    assert legs_elsewhere(pose, legs(client), stranger, MIN) == ["right"]


def test_knee_and_ankle_or_left_and_right_mixed_up_between_models_is_no_disagreement() -> None:
    pose, client = standing(), standing()
    client[[Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE]] = client[[Kp.R_ANKLE, Kp.L_ANKLE, Kp.R_KNEE, Kp.L_KNEE]]
    stranger = legs(standing(x=104))
    assert legs_elsewhere(pose, legs(client), stranger, MIN) == []


def test_no_sure_point_of_the_client_judges_nothing() -> None:
    pose = standing()
    assert legs_elsewhere(pose, np.full((4, 2), np.nan), legs(standing(x=100)), MIN) == []


def test_other_people_legs_leave_out_the_client_and_unsure_points() -> None:
    a, b = standing(), standing(x=300)
    conf = np.full((2, N_KP), 0.9, np.float32)
    conf[1, Kp.L_KNEE] = SURE - 0.01
    boxes = np.array([[80, 90, 120, 210], [280, 90, 320, 210]], np.float32)
    fp = FramePoses(np.stack([a, b]), conf, boxes, np.ones(2, np.float32))
    out = other_people_legs([fp, fp], np.array([boxes[0], [np.nan] * 4], np.float32))
    assert out.shape == (2, 7, 2)  # frame 1: client not found, both people are someone else (3 + 4 sure points)
    np.testing.assert_array_equal(out[0, :3], legs(b)[1:])  # b's sure right knee and ankles, never a's
    assert np.isnan(out[0, 3:]).all()
    np.testing.assert_array_equal(out[1, :4], legs(a))


def test_nearest_look_within_the_gap() -> None:
    t_s = np.arange(10) / 10
    looked = np.zeros(10, bool)
    looked[[0, 6]] = True
    np.testing.assert_array_equal(nearest_look(t_s, looked, 0.25), [0, 0, 0, -1, 6, 6, 6, 6, 6, -1])
    np.testing.assert_array_equal(nearest_look(t_s, np.zeros(10, bool), 0.25), [-1] * 10)
