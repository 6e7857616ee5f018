"""Run the analysis modules over one cleaned track and collect per-rep metric values (NaN + reason if unknown).

Reads a cleaned `PoseTrack` and `AnalysisSettings`; returns an `Analysis`. Pure: no I/O, deterministic.

Which view each metric needs, by the camera's |yaw| from square-on (`ViewEstimate.yaw_deg`; the view's name, front
below `view.FRONT_MAX_DEG` = 20° and side from 60°, is for the report's words):
- knee over foot (knee_track, knee_drift): yaw < `max_yaw_knee_deg` (35°), and the hips' own yaw within 10° more
  (`HIP_YAW_SLACK_DEG`); its travel model removes mild yaw; a squat's up to `max_yaw_knee_flag_deg` (45°), shown
  only where it flags (`_Rep.knee_flag_only`);
- knee inside the midfoot: yaw ≤ `frontal_max_yaw_deg` (15°): beyond it the knee's forward travel reads as sideways;
- frontal angles (FPPA, its change, medial displacement, thigh angle, KASR, pelvic tilt, trunk lean, lunge stance):
  a front view with yaw ≤ `frontal_max_yaw_deg`, or `frontal_max_yaw_lunge_deg` (6°) in lunges, whose front leg
  points at the camera;
- depth, knee bend and forward trunk lean: a side view.
Knee-to-foot readings also need the foot inside the picture (a foot placed past the frame's edge is a guess), and
the frontal angles and the midfoot need the standing feet in it too: only they show that the camera is square-on,
which feet turned out unevenly cannot (`_Rep.toe_out_uneven`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from pipeline.analysis import exercise as ex
from pipeline.analysis import hip, knee, side
from pipeline.analysis import view as vw
from pipeline.analysis.geometry import dist, held_values, in_picture, mid, nanmedian, rolling_persistent_min
from pipeline.analysis.reps import (
    MIN_FRAMES,
    STOOD_SHARE,
    RepEvents,
    find_reps,
    hip_height,
    standing_level,
    steady,
    tempo_s,
    walked,
)
from pipeline.keypoints import Kp, PoseTrack
from pipeline.metrics import LEG_NAMES, OTHER_LEG, Leg, MetricId
from pipeline.settings import AnalysisSettings

F64 = npt.NDArray[np.float64]
LEGS = {
    "left": (Kp.L_HIP, Kp.L_KNEE, Kp.L_ANKLE, Kp.L_HEEL, Kp.L_TOE),
    "right": (Kp.R_HIP, Kp.R_KNEE, Kp.R_ANKLE, Kp.R_HEEL, Kp.R_TOE),
}


@dataclass(frozen=True)
class RepAnalysis:
    """One rep: events, lead leg, tempo and metric values (NaN where not measurable, with the reason)."""

    events: RepEvents
    lead_leg: str | None
    tempo: tuple[float, float, float]  # eccentric, pause, concentric seconds
    values: dict[MetricId, float]
    reasons: dict[MetricId, str]
    # for metrics read with a noise bound (knee over foot): the worst reading without the error allowance. `values`
    # holds the least-bad reading the keypoint error allows, which is what is judged (scoring calls the gap unsure)
    raw: dict[MetricId, float] = field(default_factory=dict)
    # legs whose knee over foot was read against a foot assumed to point straight ahead (`_Rep.toes_only_out`)
    toes_assumed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Analysis:
    """Everything scoring needs. Arrays are (T,) over the clip's frames."""

    t_s: F64
    view: vw.ViewEstimate
    exercise: ex.ExerciseEstimate
    reps: list[RepAnalysis]
    depth: F64  # hip drop, 0 standing … 1 deepest point of the clip
    knee_angle: dict[str, F64]  # "left"/"right": judged knee-over-foot angle, ° (error allowed for; NaN where not read)
    rep_of_frame: npt.NDArray[np.int64]
    legs_frac_reps: float  # share of rep frames with hips, knees and ankles all present
    feet: bool  # heel and toe points present
    notes: list[str] = field(default_factory=list)
    knee_midfoot: dict[str, F64] = field(default_factory=dict)  # judged knee inside the midfoot, % shank, likewise
    # "left"/"right": (T,) bool, the loaded part of a squat rep where the pose model lost this leg (`_Rep.leg_lost`):
    # its points there are no evidence, so the annotated clip does not draw them
    leg_lost: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    # a squat filmed in `_Rep.knee_flag_only` views: why its knee over foot is not passed (scoring shows a reading
    # only as amber, when it flags); "" when the knees are judged as usual or not at all
    knee_flag_only: str = ""
    # "left"/"right": (T,) bool, the reps where that knee was read against an assumed straight-ahead foot, the toes
    # being out of the picture (`_Rep.toes_only_out`): a reading that flags is shown amber, one that passes grey
    toes_assumed: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)


def _pt(xy: F64, k: Kp) -> F64:
    return xy[:, int(k), :]


def _lateral_left(xy: F64) -> float:
    """+1 when the client's left side is image-right (facing the camera)."""
    d = nanmedian(xy[:, int(Kp.L_HIP), 0] - xy[:, int(Kp.R_HIP), 0])
    d2 = nanmedian(xy[:, int(Kp.L_SHOULDER), 0] - xy[:, int(Kp.R_SHOULDER), 0])
    v = d if np.isfinite(d) and d != 0 else d2
    return 1.0 if not np.isfinite(v) or v >= 0 else -1.0


def _near_top(h: F64, idx: npt.NDArray[np.intp], depth: float) -> npt.NDArray[np.intp] | None:
    """The frames of `idx` whose hip is within `STANDING_SHARE` of `depth` of their highest: quiet standing. None
    when the hip was seen on none of them."""
    if not np.isfinite(h[idx]).any():
        return None
    return idx[h[idx] >= np.nanmax(h[idx]) - STANDING_SHARE * depth]


def _baseline_frames(h: F64, reps: list[RepEvents], i: int, t_s: F64) -> npt.NDArray[np.intp]:
    """Frames of quiet standing before rep i (within 1 s of its start, after the previous rep), else its start."""
    r = reps[i]
    lo = max(reps[i - 1].end if i else 0, int(np.searchsorted(t_s, t_s[r.start] - BASELINE_S)))
    idx = np.arange(lo, r.start + 1)
    keep = _near_top(h, idx, r.depth)
    keep = idx if keep is None else keep
    return keep if keep.size else np.array([r.start])


def _standing_after(h: F64, reps: list[RepEvents], i: int, t_s: F64) -> npt.NDArray[np.intp]:
    """`_baseline_frames` mirrored: quiet standing after rep i (within 1 s of its end, before the next rep). Empty
    when the rep is the clip's last and the video ends less than `STOOD_AFTER_S` after it: a video that stops while
    the hip still rises would pass its last, half-risen frames off as standing. Before another rep the hip has
    topped out: that is where the rep's end was found."""
    r = reps[i]
    last = reps[i + 1].start if i + 1 < len(reps) else t_s.size - 1
    if i + 1 == len(reps) and t_s[last] - t_s[r.end] < STOOD_AFTER_S:
        return np.array([], np.intp)
    keep = _near_top(h, np.arange(r.end, int(min(last, np.searchsorted(t_s, t_s[r.end] + BASELINE_S))) + 1), r.depth)
    return np.array([], np.intp) if keep is None else keep


# Readings beyond these are geometry (a leg or foot turned toward the camera), not movement: reported as not
# measurable instead of scored. Healthy and painful single-leg squats read FPPA 8–17° (Herrington 2014); the
# rendered 25° knee cave reads a knee-travel angle of about −27°.
# Without heel and toe points the model is a COCO-17 one (yolo alone). On rendered squats YOLOv8n-pose put the
# knee points on the outer edge of a bent knee and read a 20° cave as KASR 1.34 (true 0.45): knee tracking from
# it would be a false "green", so it is not judged (pipeline/synth/README.md).
FROM_KNEE_AND_FOOT = frozenset(
    ("knee_track", "knee_midfoot", "knee_drift", "fppa", "valgus_excursion", "knee_medial_disp", "kasr", "kasr_drop")
)
NO_FEET_REASON = "this pose model misses knee caves (run with --pose hybrid or mediapipe)"
# yolo alone missed every rendered knee cave (README, Accuracy)
NO_FEET = (
    "The pose model gave no heel or toe points (a COCO-17 model such as yolo alone). Without them it cannot tell a "
    "knee caving in, so knee tracking is not judged; run with --pose hybrid or mediapipe for it."
)
MAX_KNEE_TRAVEL_DEG = 45.0
STOOD_AFTER_S = 0.3  # a squat rep the video opens inside is read from the standing after it: this much, at the end
BASELINE_S = 1.0  # standing is read in the second before each rep: enough frames to median out jitter, and after
# any walking in or setting up that came earlier
STANDING_SHARE = 0.1  # of the rep's drop: frames this close to the top of that second count as standing
NO_STANDING_REASON = "the video starts partway into this rep, so there is no standing moment to compare it with"
# readings taken against standing: not read with no standing before a rep (nor, in a squat, after it): `_stood`
FROM_STANDING = FROM_KNEE_AND_FOOT | {"hip_adduction", "pelvic_drop", "trunk_lateral_lean"}
# standing torso (shoulders to hips) ÷ thigh (hip to knee): the median of the real clips' standing frames read 1.30
# front, 1.34 oblique and side (5th–95th percentile 1.11–1.63)
TORSO_TO_THIGH = 1.3
HIPS_OVERLAP_YAW_DEG = 70.0  # overlapping hips mean profile, whatever the feet say: well inside the side band (60°)
LEG_SCALE_S = 2.0  # rolling-max leg length over about one rep: a client walking toward the camera keeps a scale
FEET_SEEN_SHARE = 0.5  # a model "gives feet points" when they come with the ankle in over half the frames
HIDDEN_LEG_CONFIDENCE = 0.5  # a squat read from a far leg hidden at every bottom: likely, not seen
FOOT_MOVED_SHANK = 0.25  # a lunge's foot this far (shanks) from where it stood has stepped: no standing reference
HIP_YAW_SLACK_DEG = 10.0  # the hips veto knee tracking only past 45° from them (`Analysis.hips_round`)
# A standing foot's ankle is read as its running median over this long: longer than twice a misdrawn ankle's two
# 12 Hz looks (0.17 s), shorter than a rep's way down
ANKLE_MEDIAN_S = 0.5
MIN_HIP_HEIGHT = 0.1  # leg lengths: even a full squat's hips stay ~0.3 above the ankles
# a rep drops the hip at least this share of the set's typical rep depth, read at the dips' upper quartile: a short
# clip can hold as many non-reps as reps (stepping into place, walking off), which pull a median down to their level
MIN_REP_SHARE = 0.5
# A whole dip over in under a third of the set's median rep time (three dips or more) is a stumble or a step, not a
# rep: a real side reverse lunge's step back up read as a 0.6 s dip between lunges of 2.3 s. No other real set (435
# clips) has a dip that short, at any share up to 0.4 (jump squats and paused squats keep an even tempo).
MIN_REP_TIME_SHARE = 1.0 / 3.0
MIN_REPS_FOR_TEMPO = 3
STANCE_WINDOW_DEPTH = 0.7  # a lunge's base is read where the hip has dropped this share of the rep (held there)
MAX_FPPA_DEG = 45.0
# Turned at least this far, the far leg can hide behind the near one at a squat's bottom, as in profile: real rear
# barbell squats read 39°, 41° and 45° lost the far knee there. Nearer square-on a lost leg tells nothing (from the
# front a forward lunge's rear ankle hides behind the front leg).
NEAR_PROFILE_DEG = 35.0
MAX_HIP_ADDUCTION_DEG = 30.0
# A trunk past horizontal has the shoulders below the hips: in a squat or a lunge that is a misplaced point, not a
# lean (real side clips read 134-180° where the model put a shoulder below the hip or the shoulders were out of the
# picture, and their trunk card was red); those frames are not read
MAX_TRUNK_INCLINE_DEG = 90.0
TRUNK_MISPLACED_REASON = (
    "the shoulders were placed below the hips, which a squat or a lunge cannot do, so the trunk was not measured"
)
# A joint past the frame's edge, or pressed against it, is the pose model's guess: a real front barbell squat framed
# from mid-shin up read its unseen feet 1.09 frame heights down and its knee red
EDGE_MARGIN = 0.01  # of the frame's width or height
FOOT_OUT_SHARE = 0.5  # a foot out of the picture on more than this share of the standing or rep frames: not judged
FOOT_OUT_REASON = "the foot was out of the picture, so the knee could not be compared with it"
TRUNK_CUT_REASON = "the trunk was not all in the picture while standing, so there was nothing to compare it with"
LEG_LOST_REASON = "the leg could not be made out in the deeper part of the rep, so it was not measured"
# `_Rep.toe_out_uneven`: why the square-on readings are not taken
UNEVEN_FEET_REASON = (
    "needs a square-on front view: the feet, turned out unevenly, read this camera about {yaw:.0f}° off, so the "
    "camera's angle is not known closely enough"
)
OUTSIDE_FOOT_LINE_REASON = (
    "the knee moved out past the line of the foot, or hardly moved, so its place inside the foot comes from the "
    "stance, not a cave"
)


FOOT_POINTS = (Kp.L_HEEL, Kp.L_TOE, Kp.R_HEEL, Kp.R_TOE)


def _planted_feet(xy: F64, frames: npt.NDArray[np.intp]) -> list[F64] | None:
    """The four feet points' medians over those of `frames` that show all four, in `FOOT_POINTS` order; None when
    none does."""
    pts = xy[frames][:, [int(k) for k in FOOT_POINTS]]
    shown = np.isfinite(pts).all(axis=(1, 2))
    return list(np.median(pts[shown], axis=0)) if shown.any() else None


def _standing_view(
    xy: F64, frames: npt.NDArray[np.intp], lat_l: float, foot_ratio: float, rep: npt.NDArray[np.intp] | None = None
) -> vw.ViewEstimate:
    """The view from the standing `frames`: the feet, the hips where they overlap, else the shoulders. Where none of
    them was seen standing, the feet are read over the frames of `rep` that show them: the feet stay where they stand
    through a rep, and a model can lose the feet and shoulders while standing (two real looping GIFs of knee caves
    lost them exactly there, which left no view and no knee reading)."""
    med = nanmedian(xy[frames], axis=0)
    torso = abs(
        mid(med[int(Kp.L_HIP)], med[int(Kp.R_HIP)])[1] - mid(med[int(Kp.L_SHOULDER)], med[int(Kp.R_SHOULDER)])[1]
    )
    if not np.isfinite(torso):  # shoulders out of the picture (a camera framing the hips down): scale by the thighs
        torso = TORSO_TO_THIGH * nanmedian([dist(med[int(h)], med[int(k)]) for h, k, _, _, _ in LEGS.values()])
    hip_w = abs(med[int(Kp.L_HIP), 0] - med[int(Kp.R_HIP), 0])
    hip_yaw = vw.yaw_from_hips(hip_w, torso)
    if vw.side_from_hips(hip_w, torso):
        return replace(vw.classify_view(max(hip_yaw, HIPS_OVERLAP_YAW_DEG), "hips"), hip_yaw_deg=hip_yaw)
    shank = nanmedian(  # of two: their mean, and NaN without a warning when neither leg was seen
        [dist(med[int(Kp.L_KNEE)], med[int(Kp.L_ANKLE)]), dist(med[int(Kp.R_KNEE)], med[int(Kp.R_ANKLE)])]
    )
    gap = abs(med[int(Kp.L_ANKLE), 0] - med[int(Kp.R_ANKLE), 0])

    def from_feet(feet: list[F64]) -> vw.ViewEstimate | None:
        if not (np.isfinite(np.array(feet)).all() and np.isfinite(shank)) or vw.heel_up_in_split(
            feet[0], feet[1], feet[2], feet[3], gap, float(shank)
        ):
            return None
        yaw, toe = vw.yaw_from_feet(feet[0], feet[1], feet[2], feet[3], lat_l, foot_ratio * float(shank))
        return replace(vw.classify_view(vw.side_checked_by_hips(yaw, hip_yaw), "feet", toe), hip_yaw_deg=hip_yaw)

    if standing := from_feet([med[int(k)] for k in FOOT_POINTS]):
        return standing
    sh_w = abs(med[int(Kp.L_SHOULDER), 0] - med[int(Kp.R_SHOULDER), 0])
    shoulders = replace(vw.classify_view(vw.yaw_from_shoulders(sh_w, torso), "shoulders"), hip_yaw_deg=hip_yaw)
    if np.isfinite(shoulders.yaw_deg) or rep is None or (planted := _planted_feet(xy, rep)) is None:
        return shoulders
    return from_feet(planted) or shoulders


def _front_by_agreement(
    p: dict[Kp, F64], h: F64, t_s: F64, events: list[RepEvents], view: vw.ViewEstimate, foot_ratio: float
) -> vw.ViewEstimate:
    """The squat's view, brought to the front where its thighs and stance agree that the feet's oblique reading came
    from uneven toe-out (`view.front_by_agreement`); each cue is the median over the reps.

    Args:
        p: (T, 2) px per keypoint; h: (T,) hip height; t_s: (T,) s; events: the squat's reps.
        view: the clip's view from the feet; foot_ratio: heel→toe length ÷ standing shank.
    """
    hips, knees = mid(p[Kp.L_HIP], p[Kp.R_HIP]), mid(p[Kp.L_KNEE], p[Kp.R_KNEE])
    thigh = nanmedian([dist(p[hp], p[k]) for hp, k, _, _, _ in LEGS.values()], axis=0)
    thighs, stances = [], []
    for i, r in enumerate(events):
        base = _baseline_frames(h, events, i, t_s)
        bottom = np.arange(max(r.start, r.bottom - 2), min(r.end, r.bottom + 2) + 1)
        thighs.append(
            vw.yaw_from_thighs(
                nanmedian(knees[bottom, 0] - hips[bottom, 0]),
                nanmedian(knees[bottom, 1] - hips[bottom, 1]),
                nanmedian(thigh[base]),
            )
        )
        med = {k: nanmedian(p[k][base], 0) for k in Kp}
        slopes = []
        for _, k, a, he, to in LEGS.values():
            foot = foot_ratio * float(dist(med[k], med[a]))
            sin_az = knee.foot_azimuth_sin(med[he], med[to], 1.0, foot)  # the slope needs only its size
            if np.isfinite(med[he]).all() and np.isfinite(med[to]).all() and np.isfinite(sin_az):
                slopes.append(knee.ground_slope(med[he], med[to], foot, sin_az))
        stances.append(vw.yaw_from_stance(med[Kp.L_ANKLE], med[Kp.R_ANKLE], nanmedian(slopes)))
    yaw = vw.front_by_agreement(view.yaw_deg, nanmedian(thighs), nanmedian(stances))
    if yaw == view.yaw_deg:
        return view
    est = vw.classify_view(yaw, view.source, view.toe_out_deg)
    return replace(view, view=est.view, confidence=est.confidence, yaw_deg=yaw, feet_yaw_deg=view.yaw_deg)


def analyse(track: PoseTrack, s: AnalysisSettings) -> Analysis:
    """Find the view, reps and exercise, then measure every metric per rep.

    Args:
        track: a cleaned track (see `pipeline.clean.clean_track`); xy (T, 21, 2) px, t_s (T,) s.
        s: analysis settings.

    Returns:
        The analysis; metrics that the view or data cannot support are NaN with a reason.
    """
    xy = np.asarray(track.xy, np.float64)
    t_s = np.asarray(track.t_s, np.float64)
    n = t_s.size
    if n < MIN_FRAMES:
        nan = np.full(n, np.nan)
        unknown = ex.ExerciseEstimate("unknown", 0.0, [], "")
        view0 = vw.classify_view(float("nan"), "none")
        return Analysis(t_s, view0, unknown, [], nan, {}, np.zeros(n, np.int64), 0.0, False, ["too few frames"])
    dt = float(np.median(np.diff(t_s)))
    p = {k: _pt(xy, k) for k in Kp}
    ankle_out = {leg: _foot_outside(p, leg, False, track.frame_wh) for leg in LEGS}
    h = _hip_height(_without_feet_outside(p, _feet_out_for_a_while(p, ankle_out)), dt)
    events = find_reps(h, t_s, s.rep_min_prominence, s.rep_min_separation_s, s.rep_min_depth)
    lat_l = _lateral_left(xy)
    feet = _feet_given(xy)
    # view and exercise take the feet's rough place even when the model guessed it past the frame's edge (a view
    # read without them fell back on the shoulders, which a barbell skews), and so does the hip height where a foot
    # is out of the picture most of the time (`_feet_out_for_a_while`); knee-to-foot readings need more
    foot_out = {leg: _foot_outside(p, leg, feet, track.frame_wh) for leg in LEGS}
    pf = _without_feet_outside(p, foot_out)
    pa = _without_feet_outside(p, ankle_out)
    seen = np.flatnonzero(np.isfinite(h))
    bases = [_baseline_frames(h, events, i, t_s) for i in range(len(events))]  # standing before each rep found
    first = bases[0] if events else seen[: max(1, int(BASELINE_S / dt))]
    per_rep = [
        _standing_view(xy, b, lat_l, s.foot_to_shank, np.arange(r.start, r.end + 1))
        for b, r in zip(bases, events, strict=True)
    ]
    view = vw.combine_views(per_rep) if events else _standing_view(xy, first, lat_l, s.foot_to_shank)
    spreads = [float(nanmedian(np.abs(p[Kp.L_ANKLE][b, 0] - p[Kp.R_ANKLE][b, 0]))) for b in bases]
    # a walk to or from the phone changes the client's size for good, so only the set's first dip (walking into
    # place) or its last (walking up to the phone) can be one (`reps.walked`)
    walks = [
        i in (0, len(events) - 1) and _walked(p, r, b, int(BASELINE_S / dt))
        for i, (r, b) in enumerate(zip(events, bases, strict=True))
    ]
    exercise, events, notes = _exercise_and_reps(p, h, t_s, events, view, first, spreads, walks)
    if exercise.exercise == "squat" and view.view == "oblique" and view.source == "feet" and feet:
        view = _front_by_agreement(p, h, t_s, events, view, s.foot_to_shank)
    rep_of = np.zeros(n, np.int64)
    for i, r in enumerate(events):
        rep_of[r.start : r.end + 1] = i + 1
    # a lunge's rear ankle, a side view's far leg hide by nature: gate on the legs that are judged
    legs_frac = (
        _judged_legs_frac(xy, events, exercise.lead_legs, view.view == "side")
        if events
        else float(np.isfinite(xy[:, [int(k) for leg in LEGS.values() for k in leg[:3]], 0]).all(axis=1).mean())
    )
    lateral = {"left": lat_l, "right": -lat_l}
    drift = {leg: np.full(n, np.nan) for leg in LEGS}
    inside = {leg: np.full(n, np.nan) for leg in LEGS}
    lost = {leg: np.zeros(n, bool) for leg in LEGS}
    toes = {leg: np.zeros(n, bool) for leg in LEGS}
    angled = False
    reps: list[RepAnalysis] = []
    top = standing_level(h)
    for i, r in enumerate(events):
        lead = exercise.lead_legs[i] if i < len(exercise.lead_legs) else None
        base = _baseline_frames(h, events, i, t_s)
        stood = _stood(h, top, r, base)
        if not stood and exercise.exercise == "squat":
            # a squat's feet stay put, so the standing after the rep is as good a reference as the one before it:
            # a video that opens at the bottom still shows the rise, where knees cave most
            after = _standing_after(h, events, i, t_s)
            if after.size and _stood(h, top, r, after):
                base, stood = after, True
        own = _standing_view(xy, base, lat_l, s.foot_to_shank, np.arange(r.start, r.end + 1))  # the camera may move
        c = _Rep(
            p, h, r, base, lateral, view, exercise.exercise, lead, feet, s, pf, foot_out, stood, own, pa, ankle_out
        )
        out, rep_drift, rep_inside = _rep_metrics(c)
        angled = angled or c.knee_flag_only
        for leg in LEG_NAMES:
            if c.leg_lost(leg):
                lost[leg][_window(h, r, s.knee_window_depth)] = True
            if leg in out.toes:
                toes[leg][r.start : r.end + 1] = True
            for clip_frames, rep_frames in ((drift[leg], rep_drift[leg]), (inside[leg], rep_inside[leg])):
                if rep_frames is not None and feet:
                    clip_frames[r.start : r.end + 1] = rep_frames
        reps.append(RepAnalysis(r, lead, tempo_s(h, t_s, r), out.vals, out.why, out.raw, frozenset(out.toes)))
    if not feet:
        notes.append(NO_FEET)
    flag_only = (  # the clip's view decides `knee_flag_only`: the same words for every rep
        f"knees are fully checked only within {s.max_yaw_knee_deg:.0f}° of the front (this one is about "
        f"{view.yaw_deg:.0f}° off): from here a knee caving in looks about half as far in as it is, so a knee "
        "is flagged only when it clearly goes inside its foot, and none did"
        if angled
        else ""
    )
    return Analysis(
        t_s, view, exercise, reps, _depth(h, top), drift, rep_of, legs_frac, feet, notes, inside, lost, flag_only, toes
    )


FOOT_ACROSS_REASON = "this foot points too far across the camera to see the knee move in"
# the midfoot sits far out to the side of a foot turned that far, so the knee's place inside it comes from the stance
FOOT_ACROSS_MIDFOOT = "this foot was turned too far out to compare the knee with the middle of it"
# a knee read travelling further inside its foot line than `MAX_KNEE_TRAVEL_DEG`: mostly geometry (good squats 35-45°
# off read -90°), but real reps read -45...-65° from caves and good squats alike, so neither is named
FOOT_TOWARD_REASON = (
    "the knee read as moving far inside the line of the foot; a foot turned toward the camera reads like this, and so "
    "can a knee caving in, so check this in the video"
)
FOOT_TOWARD_MIDFOOT = "the knee's direction could not be read against this foot, so neither can its place inside it"
# the knee's direction unread for its foot's sake: the midfoot is no better placed there, and why
NO_DIRECTION_MIDFOOT = {FOOT_ACROSS_REASON: FOOT_ACROSS_MIDFOOT, FOOT_TOWARD_REASON: FOOT_TOWARD_MIDFOOT}


def _foot_outside(p: dict[Kp, F64], leg: str, feet: bool, frame_wh: tuple[int, int]) -> npt.NDArray[np.bool_]:
    """(T,) True where this leg's ankle, or its toe when the model gives feet, was placed outside the picture."""
    _, _, a, _, to = LEGS[leg]
    pts = (p[a], p[to]) if feet else (p[a],)
    return np.any([np.isfinite(x[:, 0]) & ~in_picture(x, frame_wh, EDGE_MARGIN) for x in pts], axis=0)


def _feet_out_for_a_while(
    p: dict[Kp, F64], ankle_out: dict[str, npt.NDArray[np.bool_]]
) -> dict[str, npt.NDArray[np.bool_]]:
    """Per leg (T,): its ankle was guessed outside the picture on a frame (`ankle_out`, per leg (T,) from
    `_foot_outside`), in a clip that shows it inside on most.

    The hip height stands on the ankles, and a guessed ankle drags the floor with it: a real lunge toward the
    camera took its front foot out of the bottom of the frame, the model placed the ankle below the picture, and
    the floor sank with the hips, so one of its two lunges read no dip. Those frames stand on the other foot (on
    neither, NaN, where both are out). A foot out of the picture on most frames (a phone framing the client from
    the shins up) has only its guess, which still moves with the client, so it stays (`FOOT_OUT_SHARE`)."""
    out = {}
    for leg, gone in ankle_out.items():
        seen = np.isfinite(p[LEGS[leg][2]][:, 0])
        out[leg] = gone if seen.any() and gone[seen].mean() <= FOOT_OUT_SHARE else np.zeros_like(gone)
    return out


def _without_feet_outside(p: dict[Kp, F64], foot_out: dict[str, npt.NDArray[np.bool_]]) -> dict[Kp, F64]:
    """The points with each leg's ankle, heel and toe missing (NaN) where that foot was outside the picture."""
    out = dict(p)
    for leg, gone in foot_out.items():
        for k in LEGS[leg][2:]:
            out[k] = np.where(gone[:, None], np.nan, p[k])
    return out


def _hip_height(p: dict[Kp, F64], dt: float) -> F64:
    """`hip_height` over a 2 s rolling leg length; heights under `MIN_HIP_HEIGHT` are a lost track (NaN).

    A real rear-view clip opened with its hips read 0.77 leg lengths BELOW the floor, which stretched the clip's
    height range until its one real rep looked too shallow."""
    h = hip_height(
        p[Kp.L_HIP], p[Kp.R_HIP], p[Kp.L_KNEE], p[Kp.R_KNEE], p[Kp.L_ANKLE], p[Kp.R_ANKLE], int(LEG_SCALE_S / dt)
    )
    with np.errstate(invalid="ignore"):
        return np.where(h < MIN_HIP_HEIGHT, np.nan, h)


def _median_frames(dt: float) -> int:
    """`ANKLE_MEDIAN_S` in frames of `dt` seconds, odd (a running median centred on its frame)."""
    return int(round(ANKLE_MEDIAN_S / dt)) | 1


def _depth(h: F64, top: float) -> F64:
    """(T,) hip drop from the standing level `top` (`reps.standing_level`), 0 standing … 1 the clip's deepest point."""
    drop = top - h
    return drop / np.nanmax(drop) if np.isfinite(drop).any() and np.nanmax(drop) > 0 else np.full(h.size, np.nan)


def _feet_given(xy: F64) -> bool:
    """Does the model give feet points? Either foot counts (from the side the far one hides behind the near one),
    over the frames where that leg's ankle is seen: a client lost after a fade edit is no COCO-17 model."""
    return any(
        bool(
            np.isfinite(xy[np.isfinite(xy[:, int(a), 0])][:, [int(he), int(to)], 0]).all(axis=1).mean()
            > FEET_SEEN_SHARE
        )
        for _, _, a, he, to in LEGS.values()
        if np.isfinite(xy[:, int(a), 0]).any()
    )


def _exercise_and_reps(
    p: dict[Kp, F64],
    h: F64,
    t_s: F64,
    events: list[RepEvents],
    view: vw.ViewEstimate,
    first: npt.NDArray[np.intp],
    standing_spreads: list[float],
    walks: list[bool],
) -> tuple[ex.ExerciseEstimate, list[RepEvents], list[str]]:
    """Squat or lunge, decided over all the reps; then the reps that fit it, with notes on what was left out.

    A dip that does not fit the set is something else: picking something up or stepping out in a squat set (a split),
    walking toward or away from the camera in a squat set (`walks`, see `reps.walked`); one under `MIN_REP_SHARE` of
    the set's typical depth is a re-rack, a step or a bounce, and one over in under `MIN_REP_TIME_SHARE` of its median
    rep time a stumble or a step. A lunge set keeps a bottom that reads no split: from a camera on the floor, or in
    profile, the rear leg hides straight behind the front one (every such dip in the real lunge sets, five clips, was
    one of the set's lunges by the labels, 0.86-1.06 of their depth); its front leg stays unnamed, so its knee is not
    judged."""
    shank0 = _standing_shank(p, first)
    # from the front each ankle is read where it stood (`_split_at_bottom`), from its running median: a fast rep's
    # planted frames can be fewer than twice a misdrawn ankle's (a 0.6 s rep at 30 fps has nine; an ankle drawn low
    # for two 12 Hz looks spans five). From the side or at an angle the model draws the far leg folded, knee and
    # ankle misplaced together, and `split_stance` tells that from a lunge's rear leg frame by frame: there each frame
    # keeps its own ankles (on real side squats planted ankles beside a folded far knee read 0.9, a lunge)
    still = None
    if events and view.view not in ("side", "oblique"):
        win = _median_frames(float(np.median(np.diff(t_s))))
        still = {k: steady(p[k], win) for k in (Kp.L_ANKLE, Kp.R_ANKLE)}
    splits = [
        _split_at_bottom(p, h, t_s, r, shank0, view.view, spread, still)
        for r, spread in zip(events, standing_spreads, strict=True)
    ]
    hip_mid = mid(p[Kp.L_HIP], p[Kp.R_HIP])
    travel = float(np.nanmax(hip_mid[:, 0]) - np.nanmin(hip_mid[:, 0])) / shank0 if np.isfinite(hip_mid).any() else 0.0
    profile = view.view == "side" or (view.view == "oblique" and view.yaw_deg >= NEAR_PROFILE_DEG)
    votes = np.array([x.lunge for x in splits])
    if profile and np.isfinite(votes).any():
        # in profile the far leg hides behind the near one when the legs are together: a bottom with one leg hidden
        # is a squat's (a rear 41° barbell squat hid its far knee at two of three bottoms, and the third, half seen,
        # read as a lunge); those reps still count in either set. A lunge's rear leg can hide behind the front one
        # too, so where another bottom splits clearly the hidden ones cast no vote (a real 42° forward lunge set,
        # hidden at one bottom and split 0.82 at the other, read a one-rep squat; no real squat set changes)
        hidden = np.array([_one_leg_hidden(p, r.bottom) for r in events])
        if np.nanmax(votes) < ex.CLEARLY_LUNGE:
            votes = np.where(~np.isfinite(votes) & hidden, 0.0, votes)
    if events:
        # a dip under `MIN_REP_SHARE` of the set's typical depth is no rep (below), so it casts no vote on what the
        # reps are: a real side back squat's re-rack step, 0.36 of its one rep's depth, split 0.72 and tied the set
        # to a lunge
        depth = np.array([r.depth for r in events])
        votes = np.where(depth < MIN_REP_SHARE * float(np.percentile(depth, 75)), np.nan, votes)
    exercise = ex.classify_exercise(votes, [x.lead for x in splits], travel)
    notes: list[str] = []
    if exercise.exercise == "unknown" and profile and events:
        # in profile the far leg hides behind the near one only when the legs are together: a lunge shows both
        exercise = ex.ExerciseEstimate("squat", HIDDEN_LEG_CONFIDENCE, [None] * len(events), "")
        notes.append("The far leg was hidden behind the near one at every bottom, so this was read as a squat.")
    lunge = exercise.exercise == "lunge"
    # a squat set keeps no dip that split its stance or stepped its feet apart (`Stance.apart`)
    apart = [x.apart for x in splits]
    keep = [
        i
        for i, x in enumerate(apart)
        if not np.isfinite(x) or exercise.exercise == "unknown" or lunge or x < ex.CLEARLY_LUNGE
    ]
    if exercise.exercise == "squat":
        keep = [i for i in keep if not walks[i]]
    depths = np.array([events[i].depth for i in keep])
    keep = [i for i in keep if events[i].depth >= MIN_REP_SHARE * float(np.percentile(depths, 75))] if keep else keep
    if len(keep) >= MIN_REPS_FOR_TEMPO:  # a rep the video cuts is short by nature: it stays (`RepEvents.complete`)
        took = np.array([t_s[events[i].end] - t_s[events[i].start] for i in keep])
        short = MIN_REP_TIME_SHARE * float(np.median(took))
        keep = [i for i, d in zip(keep, took, strict=True) if d >= short or not events[i].complete]
    if 0 < len(keep) < len(events):
        dropped = len(events) - len(keep)
        what = "dips that did not look like your other" if dropped > 1 else "dip that did not look like your other"
        were = "were" if dropped > 1 else "was"
        notes.append(f"{dropped} {what} {exercise.exercise}s (a step, walking, setting up) {were} not counted.")
        events = [events[i] for i in keep]
        exercise = ex.ExerciseEstimate(
            exercise.exercise, exercise.confidence, [exercise.lead_legs[i] for i in keep], exercise.pattern
        )
    return exercise, events, notes


BOTTOM_SHARE = 0.9  # of the rep's drop: the frames this deep are its bottom, where the stance is read
# The feet stand still through the loaded part of a squat or a lunge (a stepping lunge's foot lands before the hip is
# halfway down), so from the front where they stand at the bottom is read over at least this long, the deepest frames
# first: five samples of the 12 Hz keypoint model (`pose.keypoint_hz`), so that one or two misplaced samples, each
# smeared over two or three frames by cleaning, cannot outvote the rest. A real one-rep front squat's bottom lasted
# 0.13 s (four frames), an ankle drawn half a shank and more low in two of them read a split of 0.70, and the set read
# a lunge. The knees move, so they are read at the bottom's own frames: a lunge's rear knee is down only near the
# bottom (a real side lunge's splits read 0.6-1.8 there and 0-0.3 at half depth).
PLANTED_S = 0.42
PLANTED_SHARE_MIN = 0.5  # ... but no shallower than this share of the rep's drop


def _planted_frames(h: F64, t_s: F64, r: RepEvents) -> npt.NDArray[np.intp]:
    """The frames of rep r its feet are read over: where the hip has dropped `BOTTOM_SHARE` of the rep's drop, or,
    where those last under `PLANTED_S`, down to the shallowest share (not under `PLANTED_SHARE_MIN`) that lasts it."""
    frac = BOTTOM_SHARE
    frames = _window(h, r, frac)
    while t_s[frames[-1]] - t_s[frames[0]] < PLANTED_S and frac > PLANTED_SHARE_MIN + 1e-9:
        frac = max(PLANTED_SHARE_MIN, frac - 0.05)
        frames = _window(h, r, frac)
    return frames


def _split_at_bottom(
    p: dict[Kp, F64],
    h: F64,
    t_s: F64,
    r: RepEvents,
    shank: float,
    view: str,
    spread: float,
    still: dict[Kp, F64] | None,
) -> ex.Stance:
    """`exercise.split_stance` over the bottom of rep r (the frames where the hip has dropped `BOTTOM_SHARE` of the
    rep's drop), each seen ankle put where `still` (its running median, (T, 2) px; None: each frame's own) stood over
    the rep's `_planted_frames`: the median scores, and the lead leg most of those frames name, so that one frame's
    misplaced knee or ankle cannot decide."""
    feet: dict[Kp, F64] = {}
    if still is not None:
        planted = _planted_frames(h, t_s, r)
        feet = {k: nanmedian(y[planted], 0) for k, y in still.items()}

    def ankle(k: Kp, i: int) -> F64:
        return feet[k] if feet and np.isfinite(p[k][i]).all() else p[k][i]

    got = [
        ex.split_stance(
            p[Kp.L_KNEE][i], p[Kp.R_KNEE][i], ankle(Kp.L_ANKLE, i), ankle(Kp.R_ANKLE, i), shank, view, spread
        )
        for i in _window(h, r, BOTTOM_SHARE)
    ]
    lunge, apart = np.array([g.lunge for g in got], np.float64), np.array([g.apart for g in got], np.float64)
    if not np.isfinite(lunge).any():
        return ex.Stance(float("nan"), "", float("nan"))
    leads = [g.lead for g in got if g.lead]
    lead = max(("left", "right"), key=leads.count) if leads else ""
    return ex.Stance(float(np.nanmedian(lunge)), lead, float(np.nanmedian(apart)))


def _walked(p: dict[Kp, F64], r: RepEvents, before: npt.NDArray[np.intp], after_n: int) -> bool:
    """`reps.walked` for dip r, from the mean of the two legs' lengths and shanks."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with both legs missing are NaN
        leg = np.nanmean([dist(p[h], p[k]) + dist(p[k], p[a]) for h, k, a, _, _ in LEGS.values()], axis=0)
    return walked(leg, p[Kp.L_ANKLE], p[Kp.R_ANKLE], _standing_shank(p, before), r, before, after_n)


def _one_leg_hidden(p: dict[Kp, F64], i: int) -> bool:
    """At frame i, one leg's knee and ankle are both placed and the other's are not (both: nothing was seen)."""
    seen = [bool(np.isfinite(p[k][i]).all() and np.isfinite(p[a][i]).all()) for _, k, a, _, _ in LEGS.values()]
    return seen[0] != seen[1]


def _judged_legs_frac(xy: F64, events: list[RepEvents], leads: list[str | None], side: bool = False) -> float:
    """Share of rep frames with both hips and the judged legs' knees and ankles seen (lunges: the front leg).

    In a side view the far leg hides behind the near one by nature and the side metrics read whichever leg is
    seen: a frame counts when one leg's hip, knee and ankle are all seen."""
    if side:
        seg = np.concatenate([np.arange(r.start, r.end + 1) for r in events])
        one = [np.isfinite(xy[seg][:, [int(k) for k in leg[:3]], 0]).all(axis=1) for leg in LEGS.values()]
        return float((one[0] | one[1]).mean())
    ok = []
    for i, r in enumerate(events):
        lead = leads[i] if i < len(leads) else None
        legs = [lead] if lead else list(LEGS)
        idx = [int(Kp.L_HIP), int(Kp.R_HIP)] + [int(k) for leg in legs for k in LEGS[leg][1:3]]
        ok.append(np.isfinite(xy[r.start : r.end + 1, idx, 0]).all(axis=1))
    return float(np.concatenate(ok).mean())


def _window(h: F64, r: RepEvents, frac: float) -> npt.NDArray[np.intp]:
    """Frames of rep r from the first to the last where the hip has dropped at least `frac` of the rep's drop."""
    idx = np.arange(r.start, r.end + 1)
    deep = idx[h[idx] <= h[r.bottom] + (1.0 - frac) * r.depth]
    return np.arange(deep.min(), deep.max() + 1) if deep.size else np.array([r.bottom])


def _stood(h: F64, top: float, r: RepEvents, base: npt.NDArray[np.intp]) -> bool:
    """Whether the frames before rep `r` are standing: their hip height within `STOOD_SHARE` of the rep's drop from
    the clip's standing level `top` (`reps.standing_level`). A clip that opens at the bottom of a rep (a low camera
    that found the client only once their head came into view) has only bent frames there, and every reading "from
    standing" would be read from the bottom: a good wide squat's knee read red that way. On the 153 real clips it
    catches seven reps, each one the video opens inside; a dip with no stand before it inside the clip is already
    part of the rep before it (`reps.find_reps`)."""
    here = float(nanmedian(h[base]))
    drop = top - float(h[r.bottom])
    return not (np.isfinite(top) and np.isfinite(here) and np.isfinite(drop)) or here >= top - STOOD_SHARE * drop


def _foot_moved(ankle: F64, r: RepEvents, base: npt.NDArray[np.intp], shank: float) -> bool:
    """True when this ankle is more than a quarter of the shank away, at the bottom, from where it stood (asked for
    lunges only: in a squat the feet stay put and a handheld camera's sway would move them on screen).

    A forward or walking lunge steps the front foot away from where the client stood (and nearer the camera, so
    it also looks bigger): standing is then no reference for that knee's travel. On a rendered 30° forward lunge
    the score read 90° outward; a reference taken later, once the foot is planted, comes when the knee has already
    bent and left too little travel to read.
    """
    at_bottom = ankle[r.bottom]
    return bool(
        np.isfinite(at_bottom).all() and float(dist(nanmedian(ankle[base], 0), at_bottom)) > FOOT_MOVED_SHANK * shank
    )


def _standing_shank(p: dict[Kp, F64], frames: npt.NDArray[np.intp]) -> float:
    """The two legs' shanks over `frames`, px: their mean, and NaN without a warning when neither leg was seen."""
    return float(nanmedian([nanmedian(dist(p[k], p[a])[frames]) for _, k, a, _, _ in LEGS.values()]))


def _keypoint_error(s: AnalysisSettings, shank: float) -> float:
    """One keypoint's error as a share of the shank: `keypoint_error`, but never under `keypoint_error_min_px`. The
    same rep read on a clip and on its mirror image differs by about 4° per look for shanks of 70–200 px, 6° at 40–70
    and 10° under 40 (188 rep readings, rounds 18–24): a small client's points scatter by whole pixels."""
    return max(s.keypoint_error, s.keypoint_error_min_px / shank) if shank > 0 else s.keypoint_error


def _knee_unread(why: str) -> tuple[F64, float, float, float, str, npt.NDArray[np.bool_]]:
    """`_knee_track`'s answer for a leg whose knee-over-foot is not read, and why."""
    nan = float("nan")
    return np.full(0, np.nan), nan, nan, nan, why, np.zeros(0, bool)


def _knee_track(
    p: dict[Kp, F64],
    leg: str,
    lat: float,
    r: RepEvents,
    h: F64,
    base: npt.NDArray[np.intp],
    feet: bool,
    lunge: bool,
    s: AnalysisSettings,
) -> tuple[F64, float, float, float, str, npt.NDArray[np.bool_]]:
    """Per-frame judged knee-over-foot angle over the rep (°; NaN where it is not read), the rep's worst judged angle
    (°), its worst raw angle (°, no error allowance), drift (% shank), the reason when not measurable, and per frame
    of the rep whether the knee is not seen travelling inside its foot line (the raw angle above 0, or undefined: too
    little travel to give a direction).

    Each frame's angle is moved toward "in line" by its noise bound (`knee.knee_travel_bound_deg`, with the foot
    direction's own error, `knee.foot_azimuth_err_deg`): a frame counts as caved only by as much as its cave exceeds
    what the keypoint error could make. Read over the loaded part of the rep, down and up (`knee_window_depth`),
    where knees cave on the way up as often as at the bottom.
    In a lunge a foot that stepped away from where it stood has no reference (`_foot_moved`)."""
    _, k, a, he, to = LEGS[leg]
    shank = float(nanmedian(dist(p[k], p[a])[base]))
    if not np.isfinite(shank) or shank <= 0:
        return _knee_unread("the knee or ankle was not seen while standing")
    if lunge and _foot_moved(p[a], r, base, shank):
        return _knee_unread("the foot stepped away from where it stood: no reference")
    sin_az, persp = 0.0, 0.0
    if feet:
        heel, toe, ank = nanmedian(p[he][base], 0), nanmedian(p[to][base], 0), nanmedian(p[a][base], 0)
        # toe-out from ankle→toe: the heel's image x is a guess from the front (hidden behind the shoe); its
        # height is not, so the floor slope below still uses heel→toe
        sin_az = knee.foot_azimuth_sin(ank, toe, lat, s.toe_to_shank * shank)
        sin_az = sin_az if np.isfinite(sin_az) else 0.0
        # the knee sits about halfway between the floor and a camera at hip height: half the floor's slope
        persp = s.knee_perspective * knee.ground_slope(heel, toe, s.foot_to_shank * shank, sin_az)
    if np.sqrt(1.0 - sin_az**2) < s.min_foot_cos:
        return _knee_unread(FOOT_ACROSS_REASON)
    base_dx = float(nanmedian(lat * (p[k][base, 0] - p[a][base, 0])))
    seg = np.arange(r.start, r.end + 1)
    v, along = knee.knee_travel_across_foot(p[k][seg], p[a][seg], base_dx, shank, sin_az, lat, persp)
    ang = knee.knee_travel_angle_deg(v, along)
    err = _keypoint_error(s, shank)
    bound = knee.knee_travel_bound_deg(p[k][seg], p[a][seg], base_dx, shank, sin_az, lat, persp, err * shank)
    if feet:  # the foot's direction is the reference: its own error moves the angle as much
        bound = np.hypot(bound, knee.foot_azimuth_err_deg(sin_az, err, s.toe_to_shank, s.toe_to_shank_spread))
    judged = ang + bound
    win = _window(h, r, s.knee_window_depth) - r.start
    worst = rolling_persistent_min(judged[win], s.persist_frames)
    raw = rolling_persistent_min(ang[win], s.persist_frames)
    drift = 100.0 * rolling_persistent_min(v[win], s.persist_frames)
    # the per-frame angle the annotated clip colours is the one judged
    shown = np.full_like(ang, np.nan)
    shown[win] = judged[win]
    why = "" if np.isfinite(worst) else "too few knee points in the loaded part of the rep"
    with np.errstate(invalid="ignore"):
        return shown, worst, raw, drift, why, ~(ang <= 0)  # outside its line, or too little travel to say


def _knee_midfoot(
    p: dict[Kp, F64],
    leg: str,
    lat: float,
    r: RepEvents,
    h: F64,
    base: npt.NDArray[np.intp],
    s: AnalysisSettings,
    outward: npt.NDArray[np.bool_],
) -> tuple[F64, float, float]:
    """Per-frame judged knee-inside-midfoot (% shank; NaN where not read), the rep's worst judged and raw values.

    Judged = raw less the error of a knee-to-foot offset (√2 × the keypoint error): a knee counts as inside the foot
    only by as much as it is further in than the keypoints' error could put it. Read like knee-over-foot: over the
    loaded part of the rep, down and up, the worst value held `persist_frames`. Frames where the knee travelled
    outside its foot line, or too little to say which way (`outward`, (rep frames,) bool; empty when that was not
    read), are not read: a wide stance's shins slant in while standing, so a knee that moved out past a turned-out
    foot can still end up inside its middle (a real good wide squat read +10 %, its knees travelling up to 29°
    outside the foot line). The raw angle decides, not the judged one: near the top of the loaded part its noise
    bound is wide, and there the midfoot reading is mostly the standing slant. Judged, the first of shared #22's four
    caved reps went unread and showed green; a good squat whose shins slant in while standing (+13 %) reads red this
    way, and no gate on the travel angle tells the two apart. A knee that has hardly moved sits where the stance put
    it (a real good squat's rising knee read +5…7 % over a turned-out foot): not read either."""
    _, k, a, _, to = LEGS[leg]
    nan = float("nan")
    shank = float(nanmedian(dist(p[k], p[a])[base]))
    seg = np.arange(r.start, r.end + 1)
    if not np.isfinite(shank) or shank <= 0:
        return np.full(seg.size, np.nan), nan, nan
    m = knee.knee_inside_midfoot_pct(p[k][seg], p[a][seg], p[to][seg], lat, shank)
    if outward.size:
        m = np.where(outward, np.nan, m)
    judged = m - 100.0 * np.sqrt(2.0) * _keypoint_error(s, shank)
    win = _window(h, r, s.knee_window_depth) - r.start
    shown = np.full_like(m, np.nan)
    shown[win] = judged[win]
    worst = -rolling_persistent_min(-judged[win], s.persist_frames)
    return shown, worst, -rolling_persistent_min(-m[win], s.persist_frames)


@dataclass
class _Readings:
    """One rep's metric values (NaN where not read), the reason for each NaN, and the raw readings of metrics judged
    with a noise bound; keyed by `MetricId`."""

    vals: dict[MetricId, float] = field(default_factory=dict)
    why: dict[MetricId, str] = field(default_factory=dict)
    raw: dict[MetricId, float] = field(default_factory=dict)
    toes: set[str] = field(default_factory=set)  # legs read against an assumed straight-ahead foot

    def put(self, mid: MetricId, value: float, why: str = "", raw: float | None = None) -> None:
        self.vals[mid], self.why[mid] = float(value), why
        if raw is not None:
            self.raw[mid] = float(raw)

    def drop(self, mid: MetricId, why: str) -> None:
        self.vals[mid], self.why[mid] = np.nan, why
        if mid in self.raw:
            self.raw[mid] = np.nan


@dataclass(frozen=True)
class _Rep:
    """What every metric of one rep reads from: the clip's points and the rep, and which views it allows."""

    p: dict[Kp, F64]
    h: F64
    r: RepEvents
    base: npt.NDArray[np.intp]  # quiet standing before the rep (a squat rep the video opens inside: after it)
    lateral: dict[str, float]
    view: vw.ViewEstimate
    exercise: str
    lead: str | None
    feet: bool
    s: AnalysisSettings
    pf: dict[Kp, F64]  # `p` without feet outside the picture: what knee-to-foot readings use
    foot_out: dict[str, npt.NDArray[np.bool_]]  # per leg (T,): the foot was placed outside the picture
    stood: bool = True  # `base` is standing (`_stood`); False: nothing to compare with (the clip opens inside the rep)
    # the view read from this rep's own standing (`_standing_view`), beside the clip's (`view`): see `turned`
    own_view: vw.ViewEstimate | None = None
    # `p` without only the ankles outside the picture, and per leg (T,) where the ankle was: see `toes_only_out`
    pa: dict[Kp, F64] | None = None
    ankle_out: dict[str, npt.NDArray[np.bool_]] | None = None

    def foot_out_standing(self, leg: str) -> bool:
        """This foot was outside the picture on most of the standing frames before the rep."""
        return bool(self.foot_out[leg][self.base].mean() > FOOT_OUT_SHARE)

    def _mostly_out(self, out: npt.NDArray[np.bool_]) -> bool:
        """`out` ((T,) bool: a point outside the picture) holds on most of the standing frames or of the rep's."""
        seg = np.arange(self.r.start, self.r.end + 1)
        return bool(out[self.base].mean() > FOOT_OUT_SHARE or out[seg].mean() > FOOT_OUT_SHARE)

    def foot_gone(self, leg: str) -> bool:
        """This foot was outside the picture on most of the standing frames or of the rep: the knee has no
        reference (a phone framing the client from the shins up)."""
        return self._mostly_out(self.foot_out[leg])

    def toes_only_out(self, leg: str) -> bool:
        """In a squat this foot is `foot_gone` but its ankle stayed in the picture: only the toes were cut off (a phone
        framing the client from the ankles up). Its knee is then read against a foot pointing straight ahead, the
        most lenient direction for a foot that turns out: a knee seen moving inside even that line moved at least as
        far inside its own (`_knee_over_foot`)."""
        if self.exercise != "squat" or not self.feet or self.ankle_out is None or not self.foot_gone(leg):
            return False
        return not self._mostly_out(self.ankle_out[leg])

    def leg_lost(self, leg: str) -> bool:
        """In a squat's loaded part (`knee_window_depth`) the pose model read this leg's ankle level with or above
        its knee, where a planted foot cannot be: it lost the leg there, and what it read for that leg in this rep is
        no evidence. (A lunge's rear knee does drop below its raised heel; its rear leg is not judged anyway.) A
        real squat in black trousers on a black floor had both ankles drawn up at the hips at the bottom, and its
        knee read amber on them; of the real squats filmed within 35° of the front (364 clips in all) no other has
        such a frame, the lowest ankles sitting 0.25 shank below their knee (a cave) and 0.3 (good deep squats)."""
        if self.exercise != "squat":
            return False
        _, k, a, _, _ = LEGS[leg]
        win = _window(self.h, self.r, self.s.knee_window_depth)
        with np.errstate(invalid="ignore"):
            return bool((self.pf[a][win, 1] <= self.p[k][win, 1]).any())

    def thigh_in_view(self, leg: str, frames: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """Per frame, this thigh is at least `thigh_foreshortening` of its standing length on screen: not pointing at
        the camera (FPPA and the hip angles need it; a thigh pointing at the camera hides the hip behind it)."""
        hp, k = self.p[LEGS[leg][0]], self.p[LEGS[leg][1]]
        thigh0 = float(nanmedian(dist(hp, k)[self.base]))
        return knee.thigh_visible(hp[frames], k[frames], thigh0, self.s.thigh_foreshortening)

    @property
    def hips_round(self) -> bool:
        """The hips veto a knee verdict the feet alone would allow: a camera on the floor foreshortens the feet, and a
        60° real view read 35° from them, its knee red (the hips read it 58°). The hips' width is coarse, biased by
        build: of 229 real front clips, slim people read up to 52° from their hips with the feet square-on. So the
        veto needs the view's own reading (the feet's, else the shoulders') to put the camera off the front
        (`view.FRONT_MAX_DEG`), where foreshortening could hide a camera past `max_yaw_knee_deg`: of the six real
        clips the hips vetoed, the four whose feet read 28–32° were filmed from 45° or the side, and the two whose
        feet read under 5° were square-on."""
        own = self.view.feet_yaw_deg if np.isfinite(self.view.feet_yaw_deg) else self.view.yaw_deg
        return bool(
            self.view.hip_yaw_deg > self.s.max_yaw_knee_deg + HIP_YAW_SLACK_DEG
            and not own < vw.FRONT_MAX_DEG  # NaN (no reading): the hips decide
        )

    @property
    def front_ok(self) -> bool:
        """Knee tracking's view: front or oblique within `max_yaw_knee_deg`, hips agreeing."""
        v = self.view
        return v.view in ("front", "oblique") and v.yaw_deg < self.s.max_yaw_knee_deg and not self.hips_round

    @property
    def knee_flag_only(self) -> bool:
        """A squat filmed past `max_yaw_knee_deg`, up to `max_yaw_knee_flag_deg`, hips agreeing: its knee over foot
        is read, and scoring shows it only when it flags (`Analysis.knee_flag_only`). From there BlazePose read
        rendered 15° and 25° caves in line with the foot, so a reading inside the band proves nothing; the knee
        travel model itself reads true-joint caves in full at 40°, so a knee read well inside its foot is inside."""
        v = self.view
        return (
            self.exercise == "squat"
            and v.view in ("front", "oblique")
            and self.s.max_yaw_knee_deg <= v.yaw_deg < self.s.max_yaw_knee_flag_deg
            and not self.hips_round
        )

    @property
    def off_angle(self) -> str:
        """Why knee over foot is not judged (or, in `knee_flag_only` views, not passed) from this camera angle."""
        limit = self.s.max_yaw_knee_deg
        if self.view.view not in ("front", "oblique"):
            return "needs a front or near-front view"
        if self.view.view == "front" and self.hips_round:
            # the thighs and stance put it in front (`_front_by_agreement`), the hips and feet did not: the page says
            # "front view", so "your hips were turned 52°" alone read as a contradiction on a square-on clinic squat
            feet = self.view.feet_yaw_deg
            also = f" and your feet, turned out unevenly, about {feet:.0f}°" if np.isfinite(feet) else ""
            return (
                "needs the camera's angle known closely: your thighs and stance put it in front, but your hips read "
                f"it about {self.view.hip_yaw_deg:.0f}° off{also}; from 45° a knee caving in looks about half as far "
                "in as it is"
            )
        # the page's headline gives the camera's angle from the feet: quote that one when it is past the limit, and
        # name the hips when they are what turned the verdict away (a rear 41° squat's card said "52° off")
        off = (
            f"this one is about {self.view.yaw_deg:.0f}° off"
            if self.view.yaw_deg > limit or not self.hips_round
            else f"your hips were turned about {self.view.hip_yaw_deg:.0f}° from it"
        )
        return (
            f"needs the camera within {limit:.0f}° of the front ({off}); from 45° a knee caving in looks about half "
            "as far in as it is"
        )

    @property
    def square(self) -> bool:
        """Frontal angles' view: square-on front, within `square_limit`."""
        return (
            self.view.view == "front"
            and self.view.yaw_deg <= self.square_limit
            and not self.yaw_guessed
            and not self.turned
            and not self.toe_out_uneven
        )

    @property
    def toe_out_uneven(self) -> bool:
        """The thighs and stance put the camera in front where the feet read it oblique (`_front_by_agreement`):
        front-on, but nothing shows it square-on, which the frontal angles and the midfoot need."""
        return bool(np.isfinite(self.view.feet_yaw_deg))

    @property
    def square_limit(self) -> float:
        """The yaw up to which a camera counts as square-on: tighter for lunges (their front leg points at it)."""
        return self.s.frontal_max_yaw_lunge_deg if self.exercise == "lunge" else self.s.frontal_max_yaw_deg

    @property
    def turned(self) -> bool:
        """This rep's own standing reads the camera past the square-on limit, whatever the clip's view says: a
        stock camera orbiting a real client from square-on to about 45° by his last rep read the clip square from
        the first reps, and that rep's turn as a trunk leaning to one side (hip control red on a good squat). On the
        376 distinct real clips it was checked on it greys one other rep: a webcam clip's first, read 33°."""
        own = self.own_view
        return own is not None and bool(np.isfinite(own.yaw_deg)) and own.yaw_deg > self.square_limit

    @property
    def yaw_guessed(self) -> bool:
        """The feet were outside the picture while standing before this rep, so nothing checks the camera's yaw: the
        feet read it best, and placed outside the frame they are guesses (an orbiting camera at 20–30° read 14° from
        them, and the trunk leaning red), while the shoulders and hips are coarse (a barbell, body shape)."""
        return any(self.foot_out_standing(leg) for leg in LEGS)

    @property
    def not_square(self) -> str:
        if self.view.view != "front":
            return "needs a front view"
        if self.yaw_guessed:
            return "needs the feet in the picture to tell whether the camera was square-on"
        if self.toe_out_uneven:
            return UNEVEN_FEET_REASON.format(yaw=self.view.feet_yaw_deg)
        yaw = self.own_view.yaw_deg if self.turned and self.own_view is not None else self.view.yaw_deg
        return f"needs a square-on front view (this camera is about {yaw:.0f}° off, so turning would look like caving)"

    def rear(self, leg: str) -> bool:
        """A lunge's rear leg, or either leg when which was in front is unknown: only the front knee is judged (the
        rear knee drops toward the floor and inward, which reads as a cave: a mirrored real walking lunge whose
        front leg went unnamed for a rep read its rear knee red at -21°)."""
        return self.exercise == "lunge" and self.lead != leg

    @property
    def rear_why(self) -> str:
        """Why `rear` legs are not judged."""
        return REAR_LEG if self.lead is not None else LEAD_UNKNOWN


REAR_LEG = "rear leg in a lunge: only the front knee is judged"
LUNGE_MIDFOOT = "two-leg squats only: a lunge's front foot steps away"
LEAD_UNKNOWN = "only the front knee is judged in a lunge, and we could not tell which leg was in front in this rep"


def _knee_over_foot(c: _Rep, leg: Leg, out: _Readings) -> tuple[F64 | None, npt.NDArray[np.bool_]]:
    """knee_track and knee_drift of one leg; returns the rep's per-frame judged knee-over-foot angle (None: not
    read) and where the knee travelled outside its foot line (`_knee_track`; empty when not read)."""
    track, drift = MetricId("knee_track", leg), MetricId("knee_drift", leg)
    frames: F64 | None = None
    outward = np.zeros(0, bool)
    toes = c.toes_only_out(leg)  # read from the ankle, the foot taken as pointing straight ahead
    if not c.front_ok and not c.knee_flag_only:
        out.put(track, np.nan, c.off_angle, None)
    elif c.rear(leg):
        out.put(track, np.nan, c.rear_why)
    elif c.foot_gone(leg) and not toes:
        out.put(track, np.nan, FOOT_OUT_REASON)
    elif c.leg_lost(leg):
        out.put(track, np.nan, LEG_LOST_REASON)
    else:
        pts = c.pa if toes and c.pa is not None else c.pf
        lunge = c.exercise == "lunge"
        v, worst, raw, d, why, outward = _knee_track(
            pts, leg, c.lateral[leg], c.r, c.h, c.base, c.feet and not toes, lunge, c.s
        )
        if toes:
            out.toes.add(leg)
        # past what the angle can tell apart (outward is never a flag): a foot turned toward the camera reads so. Not
        # so against the straight-ahead foot assumed for cut-off toes once the standing feet put the camera within
        # 15° of square-on: a turned-out foot then points at most 15° further toward it, so the knee moved at least
        # 30° inside its own foot line (a real cave whose toes a zoom cut off reads -71° there)
        if raw < -MAX_KNEE_TRAVEL_DEG and not (toes and c.square):
            worst = raw = d = np.nan
            why = FOOT_TOWARD_REASON
        elif v.size:
            frames = v
        # straight out sideways (90°) means the shin hardly shortened on screen (low camera, upright shin): the
        # knee went out, which is all that can be said, so it reads as the limit rather than a precise 90°
        out.put(track, min(worst, MAX_KNEE_TRAVEL_DEG), why, min(raw, MAX_KNEE_TRAVEL_DEG))
        out.put(drift, d, why)
        return frames, outward
    out.put(drift, np.nan, out.why[track])
    return frames, outward


def _midfoot(c: _Rep, leg: Leg, out: _Readings, outward: npt.NDArray[np.bool_]) -> F64 | None:
    """knee_midfoot of one leg (square-ish front views of two-leg squats); returns its judged per-frame values.
    `outward`: per rep frame, the knee was not seen travelling inside its foot line (see `_knee_midfoot`)."""
    mid_ = MetricId("knee_midfoot", leg)
    gone, lost = c.foot_gone(leg), c.leg_lost(leg)
    no_direction = NO_DIRECTION_MIDFOOT.get(out.why.get(MetricId("knee_track", leg), ""), "")
    if (
        c.front_ok
        and not no_direction
        and c.view.yaw_deg <= c.s.frontal_max_yaw_deg
        and not c.toe_out_uneven
        and c.exercise != "lunge"
        and c.feet
        and not gone
        and not lost
    ):
        shown, worst, raw = _knee_midfoot(c.pf, leg, c.lateral[leg], c.r, c.h, c.base, c.s, outward)
        why = (
            ""
            if np.isfinite(worst)
            else OUTSIDE_FOOT_LINE_REASON
            if outward.any()
            else "too few knee and foot points in the loaded part"
        )
        out.put(mid_, worst, why, raw)
        return shown
    why = (
        out.why[MetricId("knee_track", leg)]
        if not c.front_ok
        else FOOT_OUT_REASON
        if gone
        else LEG_LOST_REASON
        if lost
        else no_direction
        if no_direction
        else LUNGE_MIDFOOT
        if c.exercise == "lunge"
        else "the pose model gave no toe points"
        if not c.feet
        else UNEVEN_FEET_REASON.format(yaw=c.view.feet_yaw_deg)
        if c.toe_out_uneven
        else f"needs the camera within {c.s.frontal_max_yaw_deg:.0f}° of square-on (this one is about "
        f"{c.view.yaw_deg:.0f}° off: the knee's forward travel would read as sideways)"
    )
    out.put(mid_, np.nan, why, np.nan)
    return None


def _frontal_angles(c: _Rep, leg: Leg, out: _Readings) -> None:
    """FPPA, its change from standing, the knee's distance in from the hip–ankle line, and the 2D thigh angle of
    one leg, read on the way down while the thigh is in clear view, each the worst held `persist_frames`."""
    hp, k, a = c.p[LEGS[leg][0]], c.p[LEGS[leg][1]], c.pf[LEGS[leg][2]]
    lat, ecc, base, s = c.lateral[leg], np.arange(c.r.start, c.r.bottom + 1), c.base, c.s
    f = knee.fppa_deg(hp[ecc], k[ecc], a[ecc], lat)
    usable = c.thigh_in_view(leg, ecc) & (hp[ecc, 1] < k[ecc, 1])
    f_base = float(nanmedian(knee.fppa_deg(hp[base], k[base], a[base], lat)))
    lost = c.leg_lost(leg)
    judged = c.square and not c.rear(leg) and not lost
    # the worst angle held for persist_frames, like knee-over-foot: the single-frame maximum of a wobbly lunge
    # moved by 5° between two runs of the same clip whose keypoints differed only in BlazePose's sampling
    value = -rolling_persistent_min(-np.where(usable, f, np.nan), s.persist_frames)
    disp = knee.knee_medial_disp_pct(hp[ecc], k[ecc], a[ecc], lat)  # FPPA's geometry as a distance, read alike
    disp_max = -rolling_persistent_min(-np.where(usable, disp, np.nan), s.persist_frames)
    add = hip.hip_adduction_2d_deg(hp, c.p[LEGS[OTHER_LEG[leg]][0]], k)
    # like FPPA, the 2D thigh angle means nothing while the thigh points at the camera; held for persist_frames:
    # the thigh shortens fast near the gate, and one frame there read a good real lunge rep's thigh 13° in
    add_max = -rolling_persistent_min(-np.where(usable, add[ecc], np.nan), s.persist_frames)
    reason = (  # the view first: from the side neither leg is read, so "rear leg" would be half the story
        c.not_square
        if not c.square
        else c.rear_why
        if c.rear(leg)
        else LEG_LOST_REASON
        if lost
        else ""
        if np.isfinite(value)
        else FOOT_OUT_REASON
        if c.foot_gone(leg)
        else "the thigh points at the camera"
        if not usable.any()
        else "the thigh was in clear view for too short a time"
    )
    fppa, exc, med = MetricId("fppa", leg), MetricId("valgus_excursion", leg), MetricId("knee_medial_disp", leg)
    add_id = MetricId("hip_adduction", leg)
    out.put(fppa, float(value) if judged else np.nan, reason)
    out.put(exc, float(value - f_base) if judged else np.nan, reason)
    out.put(med, float(disp_max) if judged else np.nan, reason)
    out.put(add_id, add_max - float(nanmedian(add[base])) if judged else np.nan, reason if not judged else "")
    for mid_, limit in ((fppa, MAX_FPPA_DEG), (exc, MAX_FPPA_DEG), (add_id, MAX_HIP_ADDUCTION_DEG)):
        if abs(out.vals[mid_]) > limit:  # beyond any human knee: the leg is turned from the camera, not caving
            out.drop(mid_, "the leg is turned away from the camera here, so this angle is not real")
    if not np.isfinite(out.vals[fppa]):  # the excursion and the displacement fall with FPPA
        out.drop(exc, out.why[fppa])
        out.drop(med, out.why[fppa])


def _knee_separation(c: _Rep, out: _Readings) -> None:
    """KASR at the bottom and the separation lost since standing (two-leg squats, square-on front)."""
    two_leg = c.exercise == "squat" and c.square
    ks = knee.kasr(c.p[Kp.L_KNEE], c.p[Kp.R_KNEE], c.pf[Kp.L_ANKLE], c.pf[Kp.R_ANKLE])
    why = "" if two_leg else "two-leg squats filmed from the front only"
    out.put(MetricId("kasr"), float(ks[c.r.bottom]) if two_leg else np.nan, why)
    out.put(MetricId("kasr_drop"), float(nanmedian(ks[c.base]) - ks[c.r.bottom]) if two_leg else np.nan, why)


def _pelvis_and_trunk(c: _Rep, out: _Readings) -> None:
    """Hip-line tilt and sideways trunk lean from standing, the worst held `persist_frames` (square-on front)."""
    p, seg = c.p, np.arange(c.r.start, c.r.end + 1)
    tilt = hip.pelvic_tilt_deg(p[Kp.L_HIP], p[Kp.R_HIP])
    trunk_points = (p[Kp.L_HIP], p[Kp.R_HIP], p[Kp.L_SHOULDER], p[Kp.R_SHOULDER])
    lean = hip.trunk_lateral_shift_deg(*trunk_points, c.base, c.s.trunk_foreshortening)
    unread = np.zeros(seg.size, bool)
    if c.exercise == "lunge" and c.lead is not None:
        # the front thigh, pointing at the camera, hides the pelvis: a good real walking lunge's hip points slid down
        # onto that thigh at every bottom and tipped the hip line 10°, the trunk "leaning" 12° with it
        unread = ~c.thigh_in_view(c.lead, seg)
        # and the push-off and step through at the top of the rise shift the trunk over one leg, as in walking: a
        # lunge is judged where it is loaded, like its knee (a squat's lean is not: there the trunk leans toward the
        # camera and the sideways lean is read near standing)
        loaded = np.zeros(seg.size, bool)
        loaded[_window(c.h, c.r, c.s.knee_window_depth) - c.r.start] = True
        unread |= ~loaded
    elif c.exercise == "squat":
        # a deep squat's thighs hide the hip joints the same way (FPPA and the hip angles already wait for them): a
        # real good rear-view squat read its hip line tipped 11° at the bottom, level to the eye
        unread = ~(c.thigh_in_view("left", seg) & c.thigh_in_view("right", seg))
    # a trunk longer through most of the rep than while standing means the standing one was mis-measured, hips too:
    # then the hip line's tilt has no reference either
    long = hip.trunk_stretched(*trunk_points, c.base, c.s.trunk_foreshortening)
    stretched = bool(long[seg].mean() > 0.5)
    # the hip line's tilt within what the hips' keypoint error could make is not read as a tilt (as the knee's
    # angles): a small client's hips, 28 px apart on a good squat filmed from 5 m, tipped 13° on screen
    shank = _standing_shank(p, c.base)
    err_px = _keypoint_error(c.s, shank) * shank if np.isfinite(shank) else 0.0
    tilt_bound = hip.pelvic_tilt_bound_deg(p[Kp.L_HIP][seg], p[Kp.R_HIP][seg], err_px)
    for name, x in (("pelvic_drop", tilt), ("trunk_lateral_lean", lean)):
        dev = np.where(unread, np.nan, np.abs(x[seg] - nanmedian(x[c.base])))
        if name == "pelvic_drop":
            dev = np.maximum(dev - tilt_bound, 0.0)
        held = -rolling_persistent_min(-dev, c.s.persist_frames)
        seen = c.square and bool(np.isfinite(held)) and not stretched
        why = (
            c.not_square
            if not c.square
            else TRUNK_CUT_REASON
            if stretched
            else ("the front thigh hid the hips" if c.exercise == "lunge" else "the thighs hid the hips")
            if unread.all()
            else "the trunk leans toward the camera throughout"
        )
        out.put(MetricId(name), float(held) if seen else np.nan, "" if seen else why)


def _stance_width(c: _Rep, out: _Readings) -> None:
    """A lunge's base side to side, ÷ hip width, held through the deep part of the rep (square-on front)."""
    lunge_front = c.exercise == "lunge" and c.square
    hip_w = float(nanmedian(np.abs(c.p[Kp.L_HIP][c.base, 0] - c.p[Kp.R_HIP][c.base, 0])))
    width = hip.stance_width_ratio(c.pf[Kp.L_ANKLE], c.pf[Kp.R_ANKLE], hip_w)[_window(c.h, c.r, STANCE_WINDOW_DEPTH)]
    seen = lunge_front and bool(np.isfinite(width).any())
    no_width = "the ankles were not seen" if lunge_front else "lunges filmed square-on from the front only"
    out.put(MetricId("stance_width"), float(nanmedian(width)) if seen else np.nan, "" if seen else no_width)


def _knee_asymmetry(c: _Rep, out: _Readings) -> None:
    """The difference in how far each knee went INSIDE its foot line: a knee pushed out is not a fault. Not read in
    `knee_flag_only` views: there the two knees stand at different distances from the camera, and each one's angle
    is only good for flagging. Nor beside a knee read against an assumed foot (`_Rep.toes_only_out`): each toe-out
    it leaves out is its own."""
    left, right = out.vals[MetricId("knee_track", "left")], out.vals[MetricId("knee_track", "right")]
    both = np.isfinite(left) and np.isfinite(right) and not c.knee_flag_only and not out.toes
    value = abs(min(left, 0.0) - min(right, 0.0)) if both else np.nan
    why = (
        c.off_angle
        if c.knee_flag_only
        else FOOT_OUT_REASON
        if out.toes
        else ""
        if both
        else "needs both knees measured"
    )
    out.put(MetricId("knee_asymmetry"), value, why)


def _side_metrics(c: _Rep, out: _Readings) -> None:
    """Depth, knee flexion and trunk inclination from the better-seen leg (side view only); a lunge's from its front
    leg where that is named and seen at the bottom (the rear thigh points down there: real side lunges read 60-90°
    from it beside 0-30° from the front one, so an alternating set's depth swung rep by rep)."""
    p, r, seg = c.p, c.r, np.arange(c.r.start, c.r.end + 1)
    legs = list(LEGS.values())
    seen = [int(np.isfinite(p[g[1]][seg, 0]).sum() + np.isfinite(p[g[0]][seg, 0]).sum()) for g in legs]
    best = legs[int(np.argmax(seen))]
    front = LEGS.get(c.lead or "") if c.exercise == "lunge" else None
    if front is not None and all(np.isfinite(p[x][r.bottom]).all() for x in front[:3]):
        best = front
    hp, k, a = (p[x] for x in best[:3])
    sh = p[Kp.L_SHOULDER] if best[0] == Kp.L_HIP else p[Kp.R_SHOULDER]
    ok = c.view.view == "side"
    why = "" if ok else "needs a side view"
    raw = side.trunk_incline_deg(hp[seg], sh[seg])
    with np.errstate(invalid="ignore"):
        past = raw > MAX_TRUNK_INCLINE_DEG
    # the worst lean held `persist_frames` frames, as a knee's: one frame's misplaced shoulder is not a lean
    inc = held_values(np.where(past, np.nan, raw), c.s.persist_frames, False)
    thigh = float(side.thigh_to_horizontal_deg(hp[r.bottom], k[r.bottom])) if ok else np.nan
    out.put(MetricId("depth_thigh_deg"), thigh, why)
    flex = float(side.knee_flexion_deg(hp[r.bottom], k[r.bottom], a[r.bottom])) if ok else np.nan
    out.put(MetricId("knee_flexion_bottom_deg"), flex, why)
    if ok and not np.isfinite(inc).any() and past.any():
        why = TRUNK_MISPLACED_REASON
    out.put(MetricId("trunk_incline_deg"), float(np.nanmax(inc)) if ok and np.isfinite(inc).any() else np.nan, why)


def _rep_metrics(c: _Rep) -> tuple[_Readings, dict[str, F64 | None], dict[str, F64 | None]]:
    """Every metric of one rep (NaN with a reason where the view, the data or the exercise rules it out), and per
    leg the rep's per-frame knee travel across the foot and knee-inside-midfoot reading (None where not read)."""
    out = _Readings()
    drift: dict[str, F64 | None] = {}
    inside: dict[str, F64 | None] = {}
    for leg in LEG_NAMES:
        drift[leg], outward = _knee_over_foot(c, leg, out)
        inside[leg] = _midfoot(c, leg, out, outward)
        _frontal_angles(c, leg, out)
    _knee_separation(c, out)
    _pelvis_and_trunk(c, out)
    # a COCO-17 model (yolo alone): its knee points missed every rendered cave
    if not c.feet and (c.front_ok or c.knee_flag_only):
        for mid_ in [m for m in out.vals if m.metric in FROM_KNEE_AND_FOOT]:
            out.drop(mid_, NO_FEET_REASON)
    if not c.stood:
        for mid_ in [m for m in out.vals if m.metric in FROM_STANDING]:
            out.drop(mid_, NO_STANDING_REASON)
        drift = dict.fromkeys(LEG_NAMES)  # nor coloured in the annotated clip
        inside = dict.fromkeys(LEG_NAMES)
    _stance_width(c, out)
    _knee_asymmetry(c, out)
    _side_metrics(c, out)
    return out, drift, inside
