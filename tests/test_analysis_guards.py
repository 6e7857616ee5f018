"""Guards that keep a 2D camera honest: profile views by hip overlap, impossible angles reported as unmeasurable."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.analysis import view as vw
from pipeline.analysis.analyse import MAX_FPPA_DEG, _standing_view
from pipeline.analysis.knee import fppa_deg
from pipeline.keypoints import N_KP, Kp


@pytest.mark.parametrize(
    ("hip_w", "torso", "side"),
    [(40.0, 100.0, False), (31.0, 100.0, False), (16.0, 100.0, True), (4.0, 100.0, True), (10.0, 0.0, False)],
    ids=["square-on", "oblique-45", "barbell-profile", "profile", "no-torso"],
)
def test_side_from_hips(hip_w: float, torso: float, side: bool) -> None:
    assert vw.side_from_hips(hip_w, torso) is side


def test_profile_hips_beat_misleading_feet() -> None:
    """In profile the heel/toe points can suggest a near-front yaw; overlapping hips decide 'side'."""
    xy = np.full((5, N_KP, 2), np.nan)
    xy[:, Kp.L_SHOULDER], xy[:, Kp.R_SHOULDER] = (200, 100), (205, 100)
    xy[:, Kp.L_HIP], xy[:, Kp.R_HIP] = (200, 200), (206, 200)  # 6 px apart over a 100 px torso
    xy[:, Kp.L_KNEE], xy[:, Kp.R_KNEE] = (210, 280), (212, 280)
    xy[:, Kp.L_ANKLE], xy[:, Kp.R_ANKLE] = (200, 360), (202, 360)
    # feet drawn pointing out symmetrically, as a front view with toe-out would look
    xy[:, Kp.L_HEEL], xy[:, Kp.L_TOE] = (205, 370), (235, 375)
    xy[:, Kp.R_HEEL], xy[:, Kp.R_TOE] = (197, 370), (167, 375)
    est = _standing_view(xy, np.arange(5), 1.0, 0.6)
    assert est.view == "side" and est.source == "hips"


def test_profile_hips_read_against_the_thighs_when_the_shoulders_are_out_of_the_picture() -> None:
    """A camera framing the hips down shows no shoulders: the hips' overlap is read against the thighs, not lost.

    Hips 12 px apart over thighs 100 px long: 12 / (1.3 × 100) = 0.09, under the side cut-off (0.2); 45 px apart
    (0.35) is no profile."""
    xy = np.full((5, N_KP, 2), np.nan)
    xy[:, Kp.L_KNEE], xy[:, Kp.R_KNEE] = (210, 100), (212, 100)
    xy[:, Kp.L_ANKLE], xy[:, Kp.R_ANKLE] = (210, 180), (212, 180)
    xy[:, Kp.L_HIP], xy[:, Kp.R_HIP] = (204, 0.5), (216, 0.5)  # 99.5 px over each knee, at the top edge
    est = _standing_view(xy, np.arange(5), 1.0, 0.6)
    assert est.view == "side" and est.source == "hips"
    xy[:, Kp.L_HIP, 0], xy[:, Kp.R_HIP, 0] = 188.0, 233.0
    assert _standing_view(xy, np.arange(5), 1.0, 0.6).source != "hips"


def test_fppa_beyond_human_range_is_geometry() -> None:
    """A thigh crossing the shank line at 60° in 2D is a leg turned from the camera; the limit sits below it."""
    hip, knee, ankle = np.array([[0.0, 0.0]]), np.array([[50.0, 100.0]]), np.array([[-60.0, 180.0]])
    assert abs(fppa_deg(hip, knee, ankle, 1.0)[0]) > MAX_FPPA_DEG


def test_side_squat_with_far_leg_hidden_is_a_squat() -> None:
    """In profile the model often loses the far leg; legs that overlap are a squat, not 'unknown'."""
    from pipeline.analysis.analyse import analyse
    from pipeline.clean import clean_track
    from pipeline.settings import load_settings
    from tests.synthetic_tracks import Spec, make_track

    track, _ = make_track(Spec(yaw_deg=90.0, reps=3))
    xy = track.xy.copy()
    xy[:, [Kp.R_KNEE, Kp.R_ANKLE, Kp.R_HEEL, Kp.R_TOE]] = np.nan  # the far (right) leg hidden throughout
    s = load_settings()
    cleaned, _ = clean_track(track.with_xy(xy), s.clean)
    a = analyse(cleaned, s.analysis)
    assert (a.view.view, a.exercise.exercise, len(a.reps)) == ("side", "squat", 3)
    assert any("far leg was hidden" in n for n in a.notes)  # decided by the profile rule, not a split score
