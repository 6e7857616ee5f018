"""Reps, view and exercise: hand-built hip heights and foot vectors with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.analysis import exercise, view
from pipeline.analysis.reps import RepEvents, find_reps, tempo_s, walked
from pipeline.keypoints import Kp

T = np.arange(0, 12, 1 / 30)


def _dips(centres: list[float], depth: float = 0.4, width: float = 1.0) -> np.ndarray:
    h = np.ones_like(T)
    for c in centres:
        u = np.clip((T - c) / width + 0.5, 0, 1)
        h -= depth * np.sin(np.pi * u) ** 2
    return h


def _grind(up: float) -> np.ndarray:
    """Bottom (0.5) at 3 s, the hip back up `up` of the way to standing (1.0) at 3.9 s, down to 0.55 at 4.8 s, then
    standing from 5.7 s: a squat ground out of the hole with a sag, or two reps when `up` reaches near standing."""
    knots = ([0, 2, 3, 3.9, 4.8, 5.7, 12], [1.0, 1.0, 0.5, 0.5 + 0.5 * up, 0.55, 1.0, 1.0])
    return np.interp(T, *knots)


def _spike(h: np.ndarray, at_s: float, to: float) -> np.ndarray:
    """`h` with the one frame at `at_s` thrown to `to`: a pose model's single bad look at the hip."""
    out = h.copy()
    out[int(np.argmin(np.abs(T - at_s)))] = to
    return out


@pytest.mark.parametrize(
    ("height", "bottoms", "complete"),
    [
        (_dips([3, 5.5, 8]), [3, 5.5, 8], [True] * 3),
        (_dips([3, 5.5, 8]) + 0.02 * np.sin(2 * np.pi * 2 * T), [3, 5.5, 8], [True] * 3),  # walking bounce on top
        (np.ones_like(T) - 0.03 * (np.sin(2 * np.pi * 1.8 * T) > 0), [], []),  # walking in only: no reps
        (_dips([0.2, 5, 11.9]), [5], [True]),  # reps cut by both clip edges are not counted
        (_dips([5, 11.7]), [5, 11.7], [True, False]),  # cut during the rise: partial
        (_dips([0.0]), [0.0], [False]),  # the clip opens at the bottom and holds only the rise: that rep is read
        (_dips([11.97]), [11.97], [False]),  # or ends at the bottom of its only rep
        (1.0 - 0.05 * T / T[-1], [], []),  # a slow drift shallower than a rep's least depth: none
        (_grind(0.7), [3.0], [True]),  # up 0.7 of the way, down again, then up: one rep
        (_grind(0.85), [3.0, 4.8], [True, True]),  # back within a quarter of the second dip's drop: two reps
        (_spike(_grind(0.7), 3.9, 0.95), [3.0], [True]),  # one look's spike to standing mid-grind: no stand
    ],
    ids=[
        "three-reps",
        "with-bounce",
        "walking-no-reps",
        "edges-cut",
        "partial-end",
        "only-rise",
        "only-descent",
        "drift",
        "grind-one-rep",
        "two-reps-near-standing",
        "one-look-spike",
    ],
)
def test_find_reps(height: np.ndarray, bottoms: list[float], complete: list[bool]) -> None:
    reps = find_reps(height, T, 0.5, 0.5, 0.1)
    np.testing.assert_allclose([T[r.bottom] for r in reps], bottoms, atol=1 / 30 + 1e-9)
    assert [r.complete for r in reps] == complete


def test_tempo_splits_down_pause_up() -> None:
    h = np.ones_like(T)
    h[(T > 1) & (T <= 2)] = 1 - 0.5 * (T[(T > 1) & (T <= 2)] - 1)  # down 1 s
    h[(T > 2) & (T <= 3)] = 0.5  # pause 1 s
    h[(T > 3) & (T <= 5)] = 0.5 + 0.25 * (T[(T > 3) & (T <= 5)] - 3)  # up 2 s
    (rep,) = find_reps(h, T, 0.5, 0.5, 0.1)
    ecc, pause, con = tempo_s(h, T, rep)
    assert ecc == pytest.approx(0.95, abs=0.1) and pause == pytest.approx(1.0, abs=0.15)
    assert con == pytest.approx(1.9, abs=0.1)


@pytest.mark.parametrize(
    ("yaw", "toe"), [(0, 0), (0, 30), (30, 15), (20, 0)], ids=["front", "toe-out", "oblique", "20"]
)
def test_yaw_and_toe_out_from_feet(yaw: float, toe: float) -> None:
    foot = 60.0
    fl = foot * np.sin(np.radians(toe + yaw))  # left foot's lateral-signed image x
    fr = foot * np.sin(np.radians(toe - yaw))
    got_yaw, got_toe = view.yaw_from_feet(np.zeros(2), np.array([fl, 0]), np.zeros(2), np.array([-fr, 0]), 1.0, foot)
    assert (got_yaw, got_toe) == (pytest.approx(yaw), pytest.approx(toe))


@pytest.mark.parametrize(
    ("yaw", "name"),
    [(5, "front"), (30, "oblique"), (75, "side"), (np.nan, "unknown")],
    ids=["front", "oblique", "side", "unknown"],
)
def test_classify_view(yaw: float, name: str) -> None:
    assert view.classify_view(yaw, "feet").view == name


def test_exercise_from_split_stance() -> None:
    sq = exercise.classify_exercise(np.array([0.02, 0.05, 0.01]), ["left"] * 3, 0.1)
    assert sq.exercise == "squat" and sq.lead_legs == [None] * 3
    lu = exercise.classify_exercise(np.array([0.8, 0.7, 0.9]), ["left", "right", "left"], 3.0)
    assert (lu.exercise, lu.lead_legs, lu.pattern) == ("lunge", ["left", "right", "left"], "walking")


@pytest.mark.parametrize(
    ("leads", "travel", "pattern"),
    [
        (["right", "left", "right", None, "right", "left", "right"], 4.0, "walking"),
        (["right", "left", "right", None, "right", "left", "right"], 0.5, "alternating"),
        (["left", None, "left", "left"], 0.5, "same leg"),
        (["left", "right", "right", "left"], 0.5, ""),
        (["left", None, "right"], 0.5, ""),
        (["left", None, "left", None, "left", "right"], 0.5, ""),
        (["left", "right", None, "left", "right"], 0.5, ""),
        (["left"], 0.5, ""),
    ],
    ids=[
        "walking-one-unnamed",
        "alternating-one-unnamed",
        "same-leg",
        "mixed",
        "no-neighbours",
        "few-neighbours",
        "out-of-step",
        "one-rep",
    ],
)
def test_the_lunge_pattern_is_read_from_neighbouring_named_reps(
    leads: list[str | None], travel: float, pattern: str
) -> None:
    assert exercise.lunge_pattern(leads, travel) == pattern


@pytest.mark.parametrize(
    ("scores", "name"),
    [([0.65, 0.16], "squat"), ([0.7, 0.3], "lunge"), ([0.9, 0.8, 0.1, 0.2], "lunge"), ([0.5, 0.46, 0.1], "lunge")],
    ids=["tie-median-squat", "tie-median-lunge", "tie-of-four", "majority"],
)
def test_a_tied_vote_goes_to_the_median_score(scores: list[float], name: str) -> None:
    """Half the bottoms each way is no majority: the median score against the lunge cut-off (0.45) decides.

    A real side squat whose first, half-seen bottom read 0.65 and its second 0.16 was called a one-rep lunge."""
    got = exercise.classify_exercise(np.array(scores), ["left"] * len(scores), 0.0)
    assert got.exercise == name


def _pts(*yx: tuple[float, float]) -> list[np.ndarray]:
    return [np.array([x, y]) for y, x in yx]


@pytest.mark.parametrize("view", ["front", "oblique", "side"])
def test_a_lunge_drops_the_rear_knee_to_its_ankle_in_every_view(view: str) -> None:
    # front shin upright (knee a shank above its ankle), rear knee level with its own ankle: 1 shank apart
    kl, kr, al, ar = _pts((900.0, 0.0), (1000.0, 40.0), (1000.0, 10.0), (1000.0, 50.0))
    score, lead, _ = exercise.split_stance(kl, kr, al, ar, 100.0, view)
    assert score == pytest.approx(1.0) and lead == "left" and score >= exercise.LUNGE_SPLIT


@pytest.mark.parametrize("view", ["oblique", "side"])
def test_a_squat_filmed_low_at_an_angle_is_not_a_lunge(view: str) -> None:
    # the far leg sits half a shank higher on screen (perspective), knee and ankle alike: the shins match
    kl, kr, al, ar = _pts((920.0, 0.0), (870.0, 30.0), (1000.0, 5.0), (950.0, 35.0))
    score, _, _ = exercise.split_stance(kl, kr, al, ar, 100.0, view)
    assert score < exercise.LUNGE_SPLIT
    # the old front-view rule ("the front ankle is lower on screen") read this as a lunge
    assert abs(al[1] - ar[1]) / 100.0 >= 0.3


@pytest.mark.parametrize("view", ["oblique", "side"])
def test_a_flatter_shin_on_the_higher_knee_is_a_misdrawn_far_leg_not_a_lunge(view: str) -> None:
    # near leg upright (knee a shank above its ankle); the far one drawn folded, its ankle pulled up 0.3 shank under
    # a knee that sits 0.3 shank HIGHER on screen: shins 0.7 apart, but a lunge's rear knee drops below the front one
    kl, kr, al, ar = _pts((900.0, 0.0), (870.0, 30.0), (1000.0, 5.0), (900.0, 35.0))
    assert exercise.split_stance(kl, kr, al, ar, 100.0, view)[0] == pytest.approx(0.0)
    # the same shins with that knee 0.3 shank LOWER on screen: the rear knee dropping, a lunge
    kl, kr, al, ar = _pts((900.0, 0.0), (930.0, 30.0), (1000.0, 5.0), (960.0, 35.0))
    score, lead, _ = exercise.split_stance(kl, kr, al, ar, 100.0, view)
    assert score == pytest.approx(0.7) and lead == "left" and score >= exercise.LUNGE_SPLIT


def test_from_the_side_a_step_spreads_the_ankles_beyond_where_they_stood() -> None:
    # shins alike (a lunge where both knees read bent alike), the ankles 2.4 shanks apart, 0.2 when standing, and
    # the lower knee 0.2 shank above the lower ankle: a rear knee down near the floor
    kl, kr, al, ar = _pts((980.0, 0.0), (980.0, 200.0), (1000.0, -20.0), (1000.0, 220.0))
    assert exercise.split_stance(kl, kr, al, ar, 100.0, "side", 20.0).lunge == pytest.approx(2.2)
    assert exercise.split_stance(kl, kr, al, ar, 100.0, "front", 20.0)[0] == pytest.approx(0.0)  # no spread rule there
    # the same ankles already that far apart while standing: a wide stance seen at an angle, not a step
    assert exercise.split_stance(kl, kr, al, ar, 100.0, "oblique", 240.0)[0] == pytest.approx(0.0)
    assert exercise.split_stance(kl, kr, al, ar, 100.0, "side")[0] == pytest.approx(0.0)  # standing unknown: shins


def test_from_the_side_feet_stepped_apart_with_the_knees_high_are_a_step_not_a_lunge() -> None:
    # the same spread with both knees 0.8 shank above the lower ankle (above `LUNGE_KNEE_FLOOR`): real side squats'
    # knees sat 0.59 shank or more above it at the bottom, lunges' rear knee 0.49 or less; a chair box squat whose
    # far foot was drawn 2 shanks out read a lunge from the spread alone
    kl, kr, al, ar = _pts((920.0, 0.0), (920.0, 200.0), (1000.0, -20.0), (1000.0, 220.0))
    got = exercise.split_stance(kl, kr, al, ar, 100.0, "side", 20.0)
    assert got.lunge == pytest.approx(0.0)  # no vote for a lunge
    assert got.apart == pytest.approx(2.2) and got.apart >= exercise.CLEARLY_LUNGE  # but no squat rep: a step


def test_a_hidden_leg_falls_back_to_screen_heights_from_the_front_only() -> None:
    kl, kr, al, ar = _pts((900.0, 0.0), (1000.0, 40.0), (1100.0, 10.0), (float("nan"), 50.0))
    score, lead, _ = exercise.split_stance(kl, kr, al, ar, 100.0, "front")
    assert score == pytest.approx(1.0) and lead == "left"  # the right knee is a shank lower on screen
    assert np.isnan(exercise.split_stance(kl, kr, al, ar, 100.0, "side")[0])


@pytest.mark.parametrize(
    ("feet", "hips", "name"),
    [(62.0, 51.0, "oblique"), (75.0, 70.0, "side"), (62.0, float("nan"), "side"), (30.0, 55.0, "oblique")],
    ids=["rear-45-feet-overread", "profile-both-agree", "no-hips", "feet-decide-below-side"],
)
def test_only_the_feet_calling_it_a_profile_is_checked_against_the_hips(feet: float, hips: float, name: str) -> None:
    assert view.classify_view(view.side_checked_by_hips(feet, hips), "feet").view == name


# #1281 by hand (a side split squat, standing): the front foot flat, heel (229, 296) → toe (195, 298), pitch 2/34;
# the rear foot on its toes, heel (393, 268) → toe (369, 292), pitch 24/34 = 0.71; the feet formula read it 46° off
@pytest.mark.parametrize(
    ("rear_toe", "gap_shanks", "front_toe", "split"),
    [
        ((369.0, 292.0), 2.3, (195.0, 298.0), True),
        ((369.0, 292.0), 0.8, (195.0, 298.0), False),  # ankles a hip width apart on screen: not a split from the side
        ((363.0, 282.0), 2.3, (195.0, 298.0), False),  # rear foot pitch 14/33 = 0.42: its heel barely up
        ((360.0, 271.0), 2.3, (195.0, 298.0), False),  # both feet flat (a profile squat)
        (
            (369.0, 292.0),
            2.3,
            (200.0, 320.0),
            False,
        ),  # both feet steep alike (a camera above the floor, from the front)
    ],
    ids=["side-split-heel-up", "hip-width-apart", "heel-half-up", "both-flat", "both-steep"],
)
def test_a_split_stance_with_the_rear_heel_up_is_not_read_from_the_feet(
    rear_toe: tuple[float, float], gap_shanks: float, front_toe: tuple[float, float], split: bool
) -> None:
    heel_rear, heel_front = np.array([393.0, 268.0]), np.array([229.0, 296.0])
    got = view.heel_up_in_split(heel_rear, np.array(rear_toe), heel_front, np.array(front_toe), gap_shanks * 70.0, 70.0)
    assert got == split


def _walk_case(grow: float, step_px: float) -> bool:
    """One dip (frames 10-30) of a client 100 px of leg and 50 px of shank, ankles 60 px apart: after it the client
    is `grow` times the size, and during it the right ankle moves `step_px` (a step) and comes back."""
    n = 50
    leg = np.full(n, 100.0)
    leg[15:26] = 80.0  # the thigh foreshortens in the squat
    leg[31:] = 100.0 * grow
    ankle_l = np.tile([300.0, 900.0], (n, 1))
    ankle_r = np.tile([360.0, 900.0], (n, 1))
    ankle_r[14:27, 1] += step_px
    rep = RepEvents(start=10, bottom=20, end=30, complete=True, depth=0.4)
    return walked(leg, ankle_l, ankle_r, 50.0, rep, np.arange(0, 10), 10)


@pytest.mark.parametrize(
    ("grow", "step_px", "walk"),
    [
        (1.0, 0.0, False),  # a squat in place
        (1.5, 40.0, True),  # a step nearer: bigger after it, a foot moved 0.8 shank during it
        (1 / 1.5, 40.0, True),  # and a step away
        (1.5, 10.0, False),  # bigger but the feet stayed: a camera zooming in, a leg the model lost for a moment
        (1.0, 40.0, False),  # a foot moved at the same size: the far leg in profile, misplaced
        (1.2, 40.0, False),  # a fifth bigger: within what squats in place read
    ],
)
def test_a_squat_sets_dip_is_a_walk_only_when_size_and_feet_both_change(
    grow: float, step_px: float, walk: bool
) -> None:
    assert _walk_case(grow, step_px) is walk


@pytest.mark.parametrize(("grow", "walk"), [(1.4, True), (1.0, False)])
def test_a_walk_out_of_the_picture_is_read_from_the_dips_last_seen_frames(grow: float, walk: bool) -> None:
    """A real client walked up to the phone to stop it: bigger and bigger, feet stepping, then the legs left the
    picture, so nothing after the dip gave the size after it. Its own last seen frames do; a squat whose video
    ends as it stands reads its standing size there."""
    n = 50
    leg = np.full(n, 100.0)
    leg[15:22] = 80.0
    leg[22:31] = 100.0 * grow
    leg[31:] = np.nan  # out of the picture
    ankle_l = np.tile([300.0, 900.0], (n, 1))
    ankle_r = np.tile([360.0, 900.0], (n, 1))
    ankle_r[14:27, 1] += 40.0  # a step: 0.8 shank
    rep = RepEvents(start=10, bottom=20, end=30, complete=True, depth=0.4)
    assert walked(leg, ankle_l, ankle_r, 50.0, rep, np.arange(0, 10), 10) is walk


@pytest.mark.parametrize(("step_px", "walk"), [(40.0, True), (0.0, False)])
def test_a_walk_in_from_out_of_the_picture_is_read_from_the_dips_first_seen_feet(step_px: float, walk: bool) -> None:
    """A real client set the phone down and backed away into place: at first his feet were below the picture, so
    nothing before the dip gave the stance, and the shrinking size and the stepping made a rep. The dip's first seen
    feet stand in for the stance; a squat whose feet were only late to be seen does not move them."""
    n = 50
    leg = np.full(n, 100.0)
    leg[:10] = 150.0  # nearer the camera before he stepped back
    leg[15:26] = 80.0
    ankle_l = np.tile([300.0, 900.0], (n, 1))
    ankle_r = np.tile([360.0, 900.0], (n, 1))
    ankle_l[:12] = np.nan  # below the picture
    ankle_r[:12] = np.nan
    ankle_r[14:27, 1] += step_px
    rep = RepEvents(start=10, bottom=20, end=30, complete=True, depth=0.4)
    assert walked(leg, ankle_l, ankle_r, 50.0, rep, np.arange(0, 10), 10) is walk


def test_the_stance_is_read_over_the_bottom_not_at_one_frame() -> None:
    """A side squat's far ankle, misplaced by the model on the one deepest frame of a rep, split that rep's stance
    by two shanks: read there, the dip "did not look like" the set's squats and went uncounted. Read over the frames
    of the bottom, its median is the squat's."""
    from dataclasses import replace

    from synthetic_tracks import Spec, make_track

    from pipeline.analysis.analyse import analyse
    from pipeline.clean import clean_track
    from pipeline.keypoints import Kp
    from pipeline.settings import load_settings

    s = load_settings(None)
    track, _ = make_track(Spec(reps=3, yaw_deg=90.0, mirror=False))
    cleaned = clean_track(track, s.clean)[0]
    a = analyse(cleaned, s.analysis)
    assert (a.exercise.exercise, len(a.reps)) == ("squat", 3)
    xy = cleaned.xy.copy()
    b = a.reps[1].events.bottom
    shank = float(np.linalg.norm(xy[b, Kp.R_KNEE] - xy[b, Kp.R_ANKLE]))
    far = max((Kp.L_ANKLE, Kp.R_ANKLE), key=lambda k: float(xy[b, k, 0] - xy[b, Kp.L_HIP, 0]))
    xy[b, far, 0] += 2.0 * shank
    misplaced = analyse(replace(cleaned, xy=xy), s.analysis)
    assert (misplaced.exercise.exercise, len(misplaced.reps)) == ("squat", 3)


@pytest.mark.parametrize(("squeeze", "reps"), [(1.0, 4), (0.4, 4), (0.25, 3)])
def test_a_dip_over_in_a_fraction_of_the_sets_rep_time_is_not_a_rep(squeeze: float, reps: int) -> None:
    """Four squats of 2.4 s, the third played `squeeze` times as long (its frames' times pressed together): a rep at
    0.4 of the others' time is a fast rep and counts; at a quarter (0.6 s, as a real reverse lunge's step back up
    read between lunges of 2.3 s) it is a stumble or a step, not a rep."""
    from dataclasses import replace

    from synthetic_tracks import Spec, make_track

    from pipeline.analysis.analyse import analyse
    from pipeline.clean import clean_track
    from pipeline.settings import load_settings

    s = load_settings(None)
    spec = Spec(reps=4)
    track, _ = make_track(spec)
    t = np.asarray(track.t_s, np.float64)
    start = spec.lead_s + 2 * spec.period_s
    dt = np.diff(t, prepend=0.0)
    inside = (t > start) & (t <= start + spec.period_s)
    t = np.cumsum(np.where(inside, dt * squeeze, dt))
    a = analyse(clean_track(replace(track, t_s=t), s.clean)[0], s.analysis)
    assert (a.exercise.exercise, len(a.reps)) == ("squat", reps)


def test_yaw_from_stance_reads_the_ankles_depth_gap_through_the_floors_slope() -> None:
    """Ankles 100 px apart across the body, camera turned 30°: x gap 100·cos 30°, and the nearer ankle lower on
    screen by the floor's slope (0.3) times their depth gap, 100·sin 30°."""
    far = np.array([100 * np.cos(np.radians(30)), 0.3 * 100 * np.sin(np.radians(30))])
    assert view.yaw_from_stance(np.zeros(2), far, 0.3) == pytest.approx(30.0)
    assert view.yaw_from_stance(np.zeros(2), np.array([100.0, 0.0]), 0.3) == pytest.approx(0.0)
    assert np.isnan(view.yaw_from_stance(np.zeros(2), far, 0.02))  # a camera at floor level sees no depth gap


def test_yaw_from_thighs_reads_the_knees_sideways_shift_at_the_bottom() -> None:
    """A 100 px thigh 60 px tall on screen is 80 px long across the floor; its knees' midpoint moved 80·sin 25°
    sideways reads 25°. A thigh 95 px tall points down, not forward: unread."""
    assert view.yaw_from_thighs(80 * np.sin(np.radians(25)), 60.0, 100.0) == pytest.approx(25.0)
    assert view.yaw_from_thighs(0.0, 60.0, 100.0) == pytest.approx(0.0)
    assert np.isnan(view.yaw_from_thighs(10.0, 95.0, 100.0))


@pytest.mark.parametrize(
    ("feet", "thighs", "stance", "want"),
    [
        (29.0, 15.0, 11.0, 15.0),  # both other cues square-on: the feet's toe-out was uneven
        (46.6, 12.5, 39.9, 46.6),  # the thighs alone (a deep oblique squat's read 13°) do not overrule the feet
        (41.0, 27.0, 2.5, 41.0),  # nor the stance alone (a staggered one reads square-on)
        (30.0, np.nan, 5.0, 30.0),  # a cue unread: the feet decide
        (25.0, 22.0, 21.0, 25.0),  # agreeing, but not on the front
    ],
    ids=["uneven-toe-out", "thighs-alone", "stance-alone", "unread", "oblique"],
)
def test_the_feets_yaw_is_overruled_only_when_thighs_and_stance_agree_on_the_front(
    feet: float, thighs: float, stance: float, want: float
) -> None:
    assert view.front_by_agreement(feet, thighs, stance) == pytest.approx(want)


@pytest.mark.parametrize(("heel_up", "source"), [(True, "shoulders"), (False, "feet")])
def test_the_standing_view_of_a_side_split_stance_with_the_heel_up_comes_from_the_shoulders(
    heel_up: bool, source: str
) -> None:
    """#1281's standing frame by hand (a side split squat): the feet read it 46° off; its shoulders, 20 px apart
    over a 90 px torso, read 76°: a side view. With the rear foot flat the feet decide, as before."""
    from pipeline.analysis.analyse import _standing_view
    from pipeline.keypoints import Kp

    pts = {
        Kp.L_SHOULDER: (300.0, 66.0),
        Kp.R_SHOULDER: (280.0, 66.0),
        Kp.L_HIP: (304.0, 156.0),  # 26 px apart: the hips' width does not call it a profile
        Kp.R_HIP: (278.0, 156.0),
        Kp.L_KNEE: (350.0, 215.0),
        Kp.R_KNEE: (250.0, 225.0),
        Kp.L_ANKLE: (395.0, 262.0),
        Kp.R_ANKLE: (235.0, 290.0),
        Kp.L_HEEL: (393.0, 268.0),
        Kp.L_TOE: (369.0, 292.0) if heel_up else (360.0, 271.0),
        Kp.R_HEEL: (229.0, 296.0),
        Kp.R_TOE: (195.0, 298.0),
    }
    xy = np.full((1, len(Kp), 2), np.nan)
    for k, v in pts.items():
        xy[0, int(k)] = v
    got = _standing_view(xy, np.array([0]), 1.0, 0.55)
    assert got.source == source
    assert (got.view == "side") == heel_up


def test_a_dip_too_shallow_to_be_a_rep_casts_no_vote_on_squat_or_lunge() -> None:
    """A real side back squat (one heavy rep, then a re-rack step 0.36 as deep whose ankles spread 0.72 shank along
    the image) read as a one-rep lunge: its two dips tied, one squat and one lunge, and their median decided. A dip
    under half the set's typical depth is no rep, so it casts no vote. By hand: dips 0.7 and 0.25 deep, the upper
    quartile 0.59, half of it 0.29 > 0.25; the rep reads no split (0), the dip 1.4 (ankles 150 px apart, 10 px
    standing, shank 100 px)."""
    from pipeline.analysis.analyse import _exercise_and_reps
    from pipeline.analysis.reps import RepEvents
    from pipeline.analysis.view import ViewEstimate
    from pipeline.keypoints import Kp

    n = 40
    t = np.arange(n) / 10.0
    arc = np.sin(np.pi * np.arange(20) / 19)
    h = np.concatenate([1.0 - 0.7 * arc, 1.0 - 0.25 * arc])
    p = {k: np.full((n, 2), np.nan) for k in Kp}
    for k, x in ((Kp.L_HIP, 300.0), (Kp.R_HIP, 305.0)):
        p[k][:] = (x, 300.0)
    for (knee, ankle), x in (((Kp.L_KNEE, Kp.L_ANKLE), 300.0), ((Kp.R_KNEE, Kp.R_ANKLE), 310.0)):
        p[knee][:] = (x, 400.0)
        p[ankle][:] = (x, 500.0)
    step = np.arange(25, 36)  # the dip's bottom: the ankles step apart along the image
    p[Kp.L_ANKLE][step, 0], p[Kp.R_ANKLE][step, 0] = 230.0, 380.0
    p[Kp.L_KNEE][step, 0], p[Kp.R_KNEE][step, 0] = 230.0, 380.0
    events = [RepEvents(0, 10, 19, True, 0.7), RepEvents(20, 30, 39, True, 0.25)]
    side = ViewEstimate("side", 1.0, 90.0, None, "feet")
    exercise, kept, _ = _exercise_and_reps(p, h, t, events, side, np.array([0]), [10.0, 10.0], [False, False])
    assert exercise.exercise == "squat" and kept == events[:1]


def test_the_feet_are_read_over_at_least_five_keypoint_samples_around_a_short_bottom() -> None:
    """A fast rep's bottom (the hip within a tenth of the drop of its lowest) can last a few frames, one or two samples
    of the 12 Hz keypoint model. By hand: a V-shaped dip 30 frames long at 30 fps, bottom at frame 15, hip
    1 - 0.6 (1 - |i - 15| / 15). Its 90 % bottom is |i - 15| <= 1.5 (frames 14-16, 0.07 s); the window widens in
    steps of 0.05 of the drop until it lasts 0.42 s: at 0.55 it is |i - 15| <= 6.75 (0.40 s), at 0.5 frames 8-22
    (0.47 s). A rep whose bottom lasts long enough keeps its 90 % window."""
    from pipeline.analysis.analyse import _planted_frames

    i = np.arange(31)
    t = i / 30.0
    h = 1.0 - 0.6 * (1.0 - np.abs(i - 15) / 15.0)
    assert list(_planted_frames(h, t, RepEvents(0, 15, 30, True, 0.6))) == list(range(8, 23))
    slow = np.arange(31) / 3.0  # the same dip at 3 fps: its 90 % bottom already lasts 0.67 s
    assert list(_planted_frames(h, slow, RepEvents(0, 15, 30, True, 0.6))) == [14, 15, 16]


def _standing_front_legs(n: int) -> dict[Kp, np.ndarray]:
    """n frames of legs standing still from the front, shank 100 px: hips at y 300, knees 400, ankles 500, the left
    leg at x 300 and the right at 340; every other point unseen."""
    p = {k: np.full((n, 2), np.nan) for k in Kp}
    for k, x in ((Kp.L_HIP, 300.0), (Kp.R_HIP, 340.0)):
        p[k][:] = (x, 300.0)
    for (knee, ankle), x in (((Kp.L_KNEE, Kp.L_ANKLE), 300.0), ((Kp.R_KNEE, Kp.R_ANKLE), 340.0)):
        p[knee][:] = (x, 400.0)
        p[ankle][:] = (x, 500.0)
    return p


@pytest.mark.parametrize("exercise", ["squat", "lunge"])
def test_an_ankle_misdrawn_for_two_frames_of_a_short_bottom_does_not_decide_squat_or_lunge(exercise: str) -> None:
    """A real one-rep front squat's bottom lasted four frames, and in two of them the model drew one ankle half a shank
    and more low: the median over the four read a split of 0.70, a lunge. By hand (front view, shank 100 px): the
    90 % bottom of a V-shaped dip (frames 14-16, `test_the_feet_are_read_over_…`) holds the left ankle 100 px low
    in frames 14 and 15, a split of 1.0 there and 0 elsewhere: over those three frames the median is 1.0 (a lunge).
    The ankles' place is the median over frames 8-22, where they stood, and the split 0. A lunge's rear knee is down
    only near the bottom: here the left knee stands 100 px above the right in frames 14-16 alone, and the rep stays a
    lunge (its knees are read at the bottom's own frames, a split of 1.0 in each)."""
    from pipeline.analysis.analyse import _exercise_and_reps
    from pipeline.analysis.view import ViewEstimate

    i = np.arange(31)
    t = i / 30.0
    h = 1.0 - 0.6 * (1.0 - np.abs(i - 15) / 15.0)
    p = _standing_front_legs(31)
    if exercise == "lunge":
        p[Kp.L_KNEE][[14, 15, 16], 1] -= 100.0
    else:
        p[Kp.L_ANKLE][[14, 15], 1] += 100.0
    front = ViewEstimate("front", 1.0, 0.0, None, "feet")
    rep = RepEvents(0, 15, 30, True, 0.6)
    got, kept, _ = _exercise_and_reps(p, h, t, [rep], front, np.array([0]), [40.0], [False])
    assert got.exercise == exercise and kept == [rep]


def test_from_the_side_a_far_leg_drawn_folded_keeps_its_own_ankle_and_reads_no_lunge() -> None:
    """From the side the model can draw the far leg folded up, knee and ankle misplaced together, which reads no
    split frame by frame (`test_a_flatter_shin_on_the_higher_knee_…`). By hand (shank 100 px): the far (right) knee
    and ankle drawn 100 px high in the bottom's frames 14-16 give both shins 1.0 upright, a split of 0. The right
    ankle where it stood over frames 8-22 (500 px) would make that shin 2.0 against the left's 1.0, the knees 1.0
    shank over the floor: a split of 1.0, a lunge. So from the side each frame keeps its own ankles."""
    from pipeline.analysis.analyse import _exercise_and_reps
    from pipeline.analysis.view import ViewEstimate

    i = np.arange(31)
    t = i / 30.0
    h = 1.0 - 0.6 * (1.0 - np.abs(i - 15) / 15.0)
    p = {k: np.full((31, 2), np.nan) for k in Kp}
    for k in (Kp.L_HIP, Kp.R_HIP):
        p[k][:] = (300.0, 300.0)
    for knee, ankle in ((Kp.L_KNEE, Kp.L_ANKLE), (Kp.R_KNEE, Kp.R_ANKLE)):
        p[knee][:] = (340.0, 400.0)
        p[ankle][:] = (300.0, 500.0)
    p[Kp.R_KNEE][[14, 15, 16], 1] -= 100.0
    p[Kp.R_ANKLE][[14, 15, 16], 1] -= 100.0
    side = ViewEstimate("side", 1.0, 90.0, None, "feet")
    rep = RepEvents(0, 15, 30, True, 0.6)
    got, kept, _ = _exercise_and_reps(p, h, t, [rep], side, np.array([0]), [0.0], [False])
    assert got.exercise == "squat" and kept == [rep]


def test_an_ankle_misdrawn_over_most_of_a_fast_reps_planted_frames_does_not_make_it_a_lunge() -> None:
    """A fast front rep's planted frames (widened to half the drop, no further) can be fewer than twice an ankle
    misdrawn for two 12 Hz looks, and their median is then the misdrawn place: a split, a lunge. By hand: a V-shaped
    dip of 18 frames at 30 fps, hip 1 - 0.6 (1 - |i - 9| / 9); its half-drop window is |i - 9| <= 4.5
    (frames 5-13, 0.27 s). The left ankle is 100 px (one shank) low in frames 7-11. Each ankle is first a running
    median over `ANKLE_MEDIAN_S` (0.5 s: 15 frames), which holds at most those five bad frames, so it reads 500 px
    and the split 0: a squat."""
    from pipeline.analysis.analyse import _exercise_and_reps, _planted_frames
    from pipeline.analysis.view import ViewEstimate

    i = np.arange(19)
    t = i / 30.0
    h = 1.0 - 0.6 * (1.0 - np.abs(i - 9) / 9.0)
    rep = RepEvents(0, 9, 18, True, 0.6)
    assert list(_planted_frames(h, t, rep)) == list(range(5, 14))
    p = _standing_front_legs(19)
    p[Kp.L_ANKLE][7:12, 1] += 100.0
    front = ViewEstimate("front", 1.0, 0.0, None, "feet")
    got, kept, _ = _exercise_and_reps(p, h, t, [rep], front, np.array([0]), [40.0], [False])
    assert got.exercise == "squat" and kept == [rep]


def test_a_steady_ankle_drops_a_two_look_misdraw_and_keeps_a_step_and_the_gaps() -> None:
    """`reps.steady` by hand, over 15 frames: an ankle at y 500 drawn 100 px low on 5 frames reads 500 throughout;
    a step (x 300 -> 360 over 12 frames, then standing) is monotone, so each window's median is its own middle and the
    step reads as drawn; a frame where the ankle was not seen stays unseen."""
    from pipeline.analysis.reps import steady

    y = np.full(40, 500.0)
    y[18:23] += 100.0
    x = np.concatenate([np.full(10, 300.0), np.linspace(300.0, 360.0, 12), np.full(18, 360.0)])
    xy = np.stack([x, y], axis=1)
    xy[30] = np.nan
    got = steady(xy, 15)
    np.testing.assert_allclose(np.delete(got, 30, axis=0), np.delete(np.stack([x, np.full(40, 500.0)], 1), 30, 0))
    assert np.isnan(got[30]).all()
