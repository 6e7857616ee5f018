"""Cleaning: confidence gate, short-gap fill on real timestamps, swap repair, Hampel, zero-phase low-pass."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest
from synthetic_tracks import Spec, make_track

from pipeline.analysis.analyse import analyse
from pipeline.clean import (
    clean_track,
    collapse_gate,
    confidence_gate,
    fill_short_gaps,
    hampel,
    lowpass,
    raised_leg_gate,
    repair_swaps,
    upright_gate,
)
from pipeline.keypoints import N_KP, Kp, PoseTrack
from pipeline.settings import CleanSettings, load_settings


def test_confidence_gate_sets_low_points_missing() -> None:
    xy = np.ones((2, 3, 2))
    out = confidence_gate(xy, np.array([[0.9, 0.2, 0.3], [0.0, 1.0, 0.29]]), 0.3)
    assert np.isnan(out[:, :, 0]).tolist() == [[False, True, False], [True, False, True]]


@pytest.mark.parametrize(
    ("t_s", "missing", "filled"),
    [
        (np.arange(20) / 30, slice(5, 14), True),  # 9 frames at 30 fps = 0.3 s: filled
        (np.arange(20) / 30, slice(5, 15), False),  # 10 frames: too long, stays missing
        (np.r_[np.arange(6) / 30, 0.2 + np.arange(1, 14) / 60], slice(6, 15), True),  # VFR: 9 frames of 1/60 s
    ],
    ids=["0.3s-filled", "0.33s-kept-missing", "vfr-real-time"],
)
def test_fill_short_gaps_uses_real_time(t_s: np.ndarray, missing: slice, filled: bool) -> None:
    x = 2.0 * t_s + 1.0
    y = x.copy()
    y[missing] = np.nan
    out, mask = fill_short_gaps(y, t_s, 0.3)
    assert mask[missing].all() == filled
    if filled:
        np.testing.assert_allclose(out, x)  # linear in time, so interpolation is exact even with VFR
    assert not np.isnan(out[0]) and mask.sum() in (0, missing.stop - missing.start)


def test_repair_swaps_undoes_a_short_leg_swap() -> None:
    t = 40
    xy = np.zeros((t, N_KP, 2))
    for k, x in (
        (Kp.L_KNEE, 300),
        (Kp.R_KNEE, 200),
        (Kp.L_ANKLE, 310),
        (Kp.R_ANKLE, 190),
        (Kp.L_HIP, 290),
        (Kp.R_HIP, 210),
    ):
        xy[:, k] = (x, 500 + 3 * np.arange(t)[:, None].ravel()[0])
    bad = xy.copy()
    bad[10:15, [Kp.L_KNEE, Kp.R_KNEE]] = xy[10:15, [Kp.R_KNEE, Kp.L_KNEE]]
    bad[10:15, [Kp.L_ANKLE, Kp.R_ANKLE]] = xy[10:15, [Kp.R_ANKLE, Kp.L_ANKLE]]
    out, n = repair_swaps(bad)
    np.testing.assert_array_equal(out, xy)
    assert n == 5


def _front_squat_legs(t: int) -> np.ndarray:
    """(t, K, 2) a front-view squat's legs, px: hips 50 apart, knees drifting 10 px in and down, ankles planted."""
    xy = np.full((t, N_KP, 2), np.nan)
    bend = np.sin(np.linspace(0, np.pi, t))  # 0 standing → 1 at the bottom → 0
    for side, sign in (("L", 1), ("R", -1)):
        xy[:, Kp[f"{side}_HIP"]] = np.c_[np.full(t, 300 + 25 * sign), 400 + 40 * bend]
        xy[:, Kp[f"{side}_KNEE"]] = np.c_[300 + (25 - 10 * bend) * sign, 500 + 20 * bend]
        for part, dy in (("ANKLE", 0), ("HEEL", 8), ("TOE", 12)):
            xy[:, Kp[f"{side}_{part}"]] = np.c_[np.full(t, 300 + 26 * sign), np.full(t, 600 + dy)]
    return xy


def test_repair_swaps_undoes_feet_labels_that_slide_across_and_snap_back() -> None:
    # BlazePose on a rendered squat: both ankle labels slid onto the other foot over three frames at the bottom of
    # the rep (knees labelled right), stayed there, then snapped back. Movement alone flipped the wrong stretch.
    xy = _front_squat_legs(40)
    feet = [(Kp.L_ANKLE, Kp.R_ANKLE), (Kp.L_HEEL, Kp.R_HEEL), (Kp.L_TOE, Kp.R_TOE)]
    bad = xy.copy()
    for a, b in feet:
        for i, w in zip(range(16, 19), (0.25, 0.5, 0.75), strict=True):  # sliding across
            bad[i, [a, b]] = (1 - w) * xy[i, [a, b]] + w * xy[i, [b, a]]
        bad[19:26, [a, b]] = xy[19:26, [b, a]]  # swapped, then back as given from frame 26
    out, n = repair_swaps(bad)
    np.testing.assert_array_equal(out[19:26], xy[19:26])
    np.testing.assert_array_equal(out[:16], xy[:16])
    np.testing.assert_array_equal(out[26:], xy[26:])
    assert 7 <= n <= 10  # the swapped frames, and at most the sliding ones


def test_repair_swaps_keeps_the_models_labels_where_nothing_tells_them_apart() -> None:
    # feet together (a lunge's step), then apart again as labelled; and one foot missing for a stretch while the
    # other jitters: its points must not move onto the missing foot's labels (on a real lunge they did)
    xy = _front_squat_legs(60) + np.random.default_rng(0).normal(0, 1.5, (60, N_KP, 2))
    for i in range(12, 20):
        xy[i, [Kp.L_ANKLE, Kp.R_ANKLE]] = (300 + 1.0 * (i % 2), 600)
    xy[24:56, [Kp.L_ANKLE, Kp.L_HEEL, Kp.L_TOE]] = np.nan
    out, n = repair_swaps(xy)
    np.testing.assert_array_equal(out, xy)
    assert n == 0


@pytest.mark.parametrize("yaw", [0.0, 20.0, 45.0])
def test_repair_swaps_leaves_a_correctly_labelled_lunge_alone(yaw: float) -> None:
    # seen at an angle a lunge's front and rear shanks cross on screen: that is no swap
    track, _ = make_track(Spec(exercise="lunge", lunge_leads=("left", "right"), yaw_deg=yaw, mirror=False))
    xy = track.xy.astype(np.float64)
    out, n = repair_swaps(xy)
    np.testing.assert_array_equal(out, xy)
    assert n == 0


def test_hampel_replaces_a_spike_only() -> None:
    x = np.sin(np.linspace(0, 3, 50))
    y = x.copy()
    y[20] += 5.0
    out, bad = hampel(y, 7, 3.0)
    assert bad.sum() == 1 and bad[20] and abs(out[20] - x[20]) < 0.05


@pytest.mark.parametrize("fps", [30.0, 10.0], ids=["butterworth-30fps", "savgol-10fps"])
def test_lowpass_keeps_movement_and_removes_jitter(fps: float) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(int(6 * fps)) / fps
    slow = 50 * np.sin(2 * np.pi * 0.4 * t)  # a squat every 2.5 s
    out, name, vfr = lowpass(slow + rng.normal(0, 2, t.size), t, CleanSettings())
    assert name == ("butterworth" if fps >= 15 else "savgol") and not vfr
    assert np.std(out - slow) < 1.2  # noise σ 2 px → well under
    assert abs(np.max(out) - 50) < 3  # amplitude kept (zero phase, 0.4 Hz ≪ 6 Hz)


def test_clean_track_reports_what_it_did() -> None:
    track, _ = make_track(Spec(noise_px=1.0, dropout_frac=0.1, swap_frames=4, vfr_jitter=0.3, seed=3))
    cleaned, rep = clean_track(track, CleanSettings())
    assert rep.frames == len(track) and rep.vfr and rep.filter == "butterworth"
    assert rep.missing_frac > 0 and rep.interpolated_frac > 0 and rep.left_missing_frac == 0
    assert rep.swaps_repaired >= 4
    assert np.isfinite(cleaned.xy[:, :17]).all()


def test_clean_track_handles_empty_and_all_missing() -> None:
    track, _ = make_track(Spec(reps=1))
    empty = replace(track, t_s=track.t_s[:0], xy=track.xy[:0], conf=track.conf[:0], boxes=track.boxes[:0])
    _, rep = clean_track(empty, CleanSettings())
    assert rep.frames == 0 and rep.seen_frac == 0.0
    cleaned, rep = clean_track(track.with_xy(track.xy * np.nan, track.conf * 0), CleanSettings())
    assert rep.missing_frac == 1.0 and np.isnan(cleaned.xy).all()


def test_outliers_count_jumps_not_jitter() -> None:
    """A still keypoint's MAD is a fraction of a pixel; 1-2 px jitter is not an outlier, one 40 px jump is one."""
    rng = np.random.default_rng(0)
    n = 120
    xy = np.tile(np.linspace(100.0, 600.0, N_KP)[None, :, None], (n, 1, 2)) + rng.normal(0, 0.3, (n, N_KP, 2))
    xy[rng.random((n, N_KP, 2)) < 0.03] += 1.5  # rare small jitter: plain Hampel flags these
    xy[60, 13] += (40.0, 40.0)  # one real jump of the left knee, in x and y
    track = PoseTrack(
        t_s=np.arange(n) / 30.0,
        xy=xy.astype(np.float32),
        conf=np.ones((n, N_KP), np.float32),
        boxes=np.tile(np.array([0, 0, 400, 500], np.float32), (n, 1)),
        frame_wh=(720, 1280),
        fps=Fraction(30),
    )
    _, report = clean_track(track, CleanSettings())
    assert report.outliers_removed == 1
    track.extra["blazepose_legs_elsewhere"] = 5  # the pose stage dropped a leg laid on someone else, 5 frames
    assert clean_track(track, CleanSettings())[1].outliers_removed == 6


def test_frames_skipped_by_design_are_not_counted_as_filled_in() -> None:
    """The keypoint model ran on every 2nd frame (12 Hz): the odd frames are filled by design. Of the 10 frames it
    looked at, one lost its legs: 1/10 missing and filled in, not the 10/20 a count over every frame gives (the
    last frame, never measured, has nothing after it to fill from)."""
    n = 20
    t = np.arange(n) / 30.0
    xy = np.zeros((n, N_KP, 2))
    xy[..., 0], xy[..., 1] = 100.0 + np.arange(N_KP), 200.0 + t[:, None] * 30  # a slow, straight drift
    xy[1::2] = np.nan  # never measured
    xy[10] = np.nan  # measured, legs lost
    track = PoseTrack(t, xy.astype(np.float32), np.full((n, N_KP), 0.9, np.float32), np.ones((n, 4), np.float32),
                      (640, 480), Fraction(30), extra={"keypoint_every": 2})  # fmt: skip
    _, rep = clean_track(track, CleanSettings())
    assert rep.keypoint_every == 2
    assert rep.missing_frac == pytest.approx(0.1) and rep.interpolated_frac == pytest.approx(0.1)
    _, every_frame = clean_track(replace(track, extra={}), CleanSettings())
    assert every_frame.interpolated_frac == pytest.approx(10 / 20)


def test_upright_gate_drops_whole_frames_with_ankles_above_hips() -> None:
    xy = np.full((3, N_KP, 2), np.nan)
    xy[:, [Kp.L_HIP, Kp.R_HIP], 1] = 400.0
    xy[:, [Kp.L_ANKLE, Kp.R_ANKLE], 1] = [[600.0, 600.0], [300.0, 280.0], [np.nan, np.nan]]  # upright, flipped, none
    xy[:, Kp.NOSE] = 50.0
    out, n = upright_gate(xy)
    assert n == 1 and np.isnan(out[1]).all()
    assert np.array_equal(np.isnan(out[[0, 2]]), np.isnan(xy[[0, 2]]))  # the others untouched, frame 2 kept


def _hips(width_px: np.ndarray) -> np.ndarray:
    """(T, K, 2) px: hips `width_px` apart around x = 300, y = 400; everything else missing."""
    xy = np.full((len(width_px), N_KP, 2), np.nan)
    xy[:, Kp.L_HIP] = np.stack([300 + width_px / 2, np.full(len(width_px), 400.0)], 1)
    xy[:, Kp.R_HIP] = np.stack([300 - width_px / 2, np.full(len(width_px), 400.0)], 1)
    return xy


def test_collapse_gate_drops_frames_whose_rigid_pelvis_vanished_in_a_moment() -> None:
    """Hips 60 px apart on a 400 px client, two frames at 4 px (the model laid both legs on one): those go, whole."""
    width = np.full(30, 60.0)
    width[10:12] = 4.0
    out, n = collapse_gate(_hips(width), 30, 400.0)
    assert n == 2 and np.isnan(out[10:12]).all() and np.isfinite(out[[9, 12], Kp.L_HIP]).all()


@pytest.mark.parametrize(
    "width",
    [
        np.full(30, 3.0) + np.tile([0.0, 2.5], 15),  # profile: the hips overlap by nature, 0.5-5.5 px apart
        np.linspace(60.0, 0.0, 60),  # a client turning to profile over 2 s at 30 fps
    ],
    ids=["profile", "slow-turn"],
)
def test_collapse_gate_keeps_hips_that_overlap_by_nature_or_close_slowly(width: np.ndarray) -> None:
    out, n = collapse_gate(_hips(width), 30, 400.0)
    assert n == 0 and np.array_equal(np.isnan(out), np.isnan(_hips(width)))


def test_a_short_upside_down_fit_leaves_no_hip_spike() -> None:
    """For 0.3 s the model fits a flipped skeleton 90 px higher, ankles under the confidence gate and hips above it
    (as on a real gym clip): cleaning drops those frames whole and fills them from the frames around."""
    track, _ = make_track(Spec(reps=1, lead_s=2.0))
    xy, conf = np.array(track.xy, np.float64), np.array(track.conf, np.float64)
    spike = np.arange(15, 24)  # standing, before the rep
    hips, ankles = [Kp.L_HIP, Kp.R_HIP], [Kp.L_ANKLE, Kp.R_ANKLE]
    true_hip_y = xy[spike][:, hips, 1].mean()
    xy[np.ix_(spike, hips, [1])] -= 90.0
    xy[np.ix_(spike, ankles, [1])] = true_hip_y - 140.0
    conf[np.ix_(spike, ankles)] = 0.1
    cleaned, _ = clean_track(track.with_xy(xy.astype(np.float32), conf.astype(np.float32)), CleanSettings())
    assert np.abs(cleaned.xy[spike][:, hips, 1] - true_hip_y).max() < 10.0


def _legs(left_above: list[float], left_knee_y: float | None = None, leg: float = 100.0) -> np.ndarray:
    """(T, K, 2) px: hips at y = 400, the right ankle on the floor at y = 500, the left one `left_above` leg lengths
    higher (NaN: a frame the model skipped); knees 50 px above each ankle, or the left one at `left_knee_y`."""
    up = np.array(left_above, np.float64)
    xy = np.full((len(up), N_KP, 2), np.nan)
    xy[:, [Kp.L_HIP, Kp.R_HIP]] = [[340.0, 400.0], [300.0, 400.0]]
    xy[:, Kp.R_ANKLE] = [300.0, 500.0]
    xy[:, Kp.L_ANKLE, 0], xy[:, Kp.L_ANKLE, 1] = 340.0, 500.0 - up * leg
    xy[:, [Kp.L_KNEE, Kp.R_KNEE]] = xy[:, [Kp.L_ANKLE, Kp.R_ANKLE]] - [0.0, 50.0]
    if left_knee_y is not None:
        xy[:, Kp.L_KNEE, 1] = left_knee_y
    xy[np.isnan(up)] = np.nan
    return xy


def test_raised_leg_gate_drops_a_leg_laid_far_above_the_floor_with_its_ramp() -> None:
    """The left ankle climbs to 1.05 leg lengths above the right one and back, its knee above the hip (every other
    frame skipped): the left leg goes from the first frame it is 0.3 above to the last, the right leg and the frames
    around stay."""
    nan = float("nan")
    xy = _legs([0.0, nan, 0.1, nan, 0.4, nan, 1.0, nan, 1.05, nan, 0.5, nan, 0.2, nan, 0.0])
    out, n = raised_leg_gate(xy, 100.0)
    assert n == 7  # frames 4-10, the skipped ones between included
    assert np.isnan(out[4:11, [Kp.L_KNEE, Kp.L_ANKLE]]).all()
    assert np.isfinite(out[[0, 2, 12, 14]][:, [Kp.L_KNEE, Kp.L_ANKLE]]).all()
    assert np.array_equal(np.isnan(out[:, Kp.R_ANKLE]), np.isnan(xy[:, Kp.R_ANKLE]))


def test_raised_leg_gate_drops_a_leg_laid_level_with_the_hip() -> None:
    """A real side squat in a rack: for 0.2 s the model laid the far leg level on the bar's plate, its ankle 0.82 leg
    lengths above the other and its knee 0.04 below the hip (not above it), and the dip read as a lunge. A knee
    level with the hip, within 0.1 leg lengths, counts as raised; a bench's rear knee 0.3 below it does not."""
    level = _legs([0.0, 0.4, 0.82, 0.82, 0.4, 0.0], left_knee_y=404.0)
    out, n = raised_leg_gate(level, 100.0)
    assert n == 4 and np.isnan(out[1:5, [Kp.L_KNEE, Kp.L_ANKLE]]).all()
    below = _legs([0.0, 0.4, 0.82, 0.82, 0.4, 0.0], left_knee_y=430.0)
    assert raised_leg_gate(below, 100.0)[1] == 0


@pytest.mark.parametrize(
    ("left_above", "left_knee_y"),
    [
        ([0.0, 0.3, 0.6, 0.65, 0.65, 0.6, 0.3, 0.0], None),  # a rear foot on a bench, filmed from the side
        ([0.0, 0.4, 0.9, 0.95, 0.95, 0.9, 0.4, 0.0], 430.0),  # ... from a low camera in front: knee below the hip
    ],
    ids=["side", "low-front"],
)
def test_raised_leg_gate_keeps_a_rear_foot_on_a_bench(left_above: list[float], left_knee_y: float | None) -> None:
    """A Bulgarian split squat's rear ankle rests well above the front one, but that leg's knee stays below the hip:
    that is a foot on a bench, kept."""
    xy = _legs(left_above, left_knee_y)
    out, n = raised_leg_gate(xy, 100.0)
    assert n == 0 and np.array_equal(np.isnan(out), np.isnan(xy))


def test_a_side_squat_whose_far_leg_the_model_lays_on_the_arms_keeps_its_rep_count() -> None:
    """Filmed from the side, a client raises the arms forward before each rep and the model lays the far leg on them
    for 0.3 s (a real side squat read 0.99 confidence there, its ankle a leg length up). The dips that made in the
    hip's height above the floor must not count as reps."""
    spec = Spec(reps=2, lead_s=2.0, yaw_deg=90.0)
    track, _ = make_track(spec)
    a = analyse(clean_track(track, CleanSettings())[0], load_settings().analysis)
    assert len(a.reps) == 2
    xy = np.array(track.xy, np.float64)
    leg = [Kp.L_KNEE, Kp.L_ANKLE, Kp.L_HEEL, Kp.L_TOE]
    hip_y = xy[:, [Kp.L_HIP, Kp.R_HIP], 1].mean(axis=1)
    for r in a.reps:
        lift = np.arange(r.events.start - 12, r.events.start - 3)
        xy[np.ix_(lift, leg, [1])] = hip_y[lift, None, None] + np.array([-40.0, 0.0, 8.0, 8.0])[None, :, None]
    moved = analyse(clean_track(track.with_xy(xy.astype(np.float32)), CleanSettings())[0], load_settings().analysis)
    assert len(moved.reps) == 2 and moved.exercise.exercise == "squat"
