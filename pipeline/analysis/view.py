"""Camera view (front / oblique / side) from standing frames, with a confidence and a yaw estimate.

Uses the feet when the pose model gives heel and toe points (their mean heel→toe direction reveals the yaw),
otherwise the shoulder width against the torso height; in squats the thighs and the stance check the feet's
reading. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

FRONT_MAX_DEG = 20.0
SIDE_MIN_DEG = 60.0
# Shoulder width ÷ shoulder-to-hip height seen square-on, as the pose models place the points: the median of 347
# standing phases of real clips whose feet read within 10° of square-on (10th-90th percentile 0.58-0.75); the
# joints of a textbook adult give 0.8, which read those people 34° off
SHOULDER_TO_TORSO_FRONT = 0.66
# Hip width ÷ torso height below which the hips overlap: a profile view, whatever the feet say. Measured on the
# 11 real clips and the renders: every front/oblique clip read 0.31–0.46, every side clip 0.04–0.16 (heel/toe
# points are unreliable in profile, and barbell plates can hide the shoulders, but the hips stay visible).
SIDE_HIP_TO_TORSO = 0.2
HIP_TO_TORSO_FRONT = 0.43  # hip-joint width ÷ torso height seen square-on
# A floor seen flatter than this (image-y px per px of depth: a camera near floor level) shows no depth gap
MIN_FLOOR_SLOPE = 0.05
MIN_THIGH_LEVEL = 0.5  # a thigh's horizontal length ÷ its length, at least, for `yaw_from_thighs`
# `heel_up_in_split`: a foot whose heel→toe line drops at least this share of its length on screen stands on its toes
# (a split stance's rear foot); one under `FLAT_FOOT_PITCH` lies flat; ankles `SPLIT_ANKLES_SHANKS` shanks apart
# across the picture are a split stance seen from well off the front (a front view shows it as a hip-width stance).
# Real side split squats read 0.56-0.99 and 0.03-0.13, 2.2-2.6 shanks apart (#655, #1088, #1281).
RAISED_HEEL_PITCH = 0.5
FLAT_FOOT_PITCH = 0.2
SPLIT_ANKLES_SHANKS = 1.5


@dataclass(frozen=True)
class ViewEstimate:
    """view: "front" | "oblique" | "side" | "unknown"; yaw_deg: 0 = square-on, 90 = profile; toe_out_deg: mean."""

    view: str
    confidence: float
    yaw_deg: float
    toe_out_deg: float | None
    source: str  # "feet" | "shoulders" | "none"
    # |yaw| from the hip width alone (`yaw_from_hips`): coarse, but it does not depend on the feet points
    hip_yaw_deg: float = float("nan")
    # the feet's |yaw| where a squat's thighs and stance overruled it (`front_by_agreement`): the toe-out was uneven,
    # so the camera is front-on but not known to be square-on; NaN when the feet decided
    feet_yaw_deg: float = float("nan")


def yaw_from_feet(
    heel_l: F64, toe_l: F64, heel_r: F64, toe_r: F64, lateral_l: float, foot_px: float
) -> tuple[float, float]:
    """Camera yaw and toe-out from the two standing heel→toe vectors (symmetric toe-out assumed).

    With foot length F, yaw ψ and toe-out θ, the lateral-signed image-x of each foot is F·sin(θ ± ψ). So
    asin of their two ratios sum and differ to 2θ and 2ψ.

    Args:
        heel_l, toe_l, heel_r, toe_r: (2,) px, standing medians.
        lateral_l: +1 when the left leg's lateral side is image-right.
        foot_px: 3D heel→toe length in px (a ratio of the standing shank).

    Returns:
        (|yaw| degrees, toe-out degrees); NaN when a point is missing.
    """
    a = np.clip(lateral_l * (toe_l[0] - heel_l[0]) / foot_px, -1, 1)  # sin(θ + ψ') for the left foot
    b = np.clip(-lateral_l * (toe_r[0] - heel_r[0]) / foot_px, -1, 1)  # sin(θ − ψ') for the right foot
    aa, bb = np.degrees(np.arcsin(a)), np.degrees(np.arcsin(b))
    return float(abs(aa - bb) / 2.0), float((aa + bb) / 2.0)


def heel_up_in_split(heel_l: F64, toe_l: F64, heel_r: F64, toe_r: F64, ankle_gap_px: float, shank_px: float) -> bool:
    """A split stance seen from off the front with the rear heel up: `yaw_from_feet` assumes both feet flat and turned
    out alike, and a steep rear foot's short line on screen halves the yaw it reads (real side split squats read
    43-47°), so its reading is not used.

    Args:
        heel_l, toe_l, heel_r, toe_r: (2,) px, standing medians (y down).
        ankle_gap_px: |the two ankles' x difference|, px; shank_px: the standing shank, px.

    Returns:
        True when one foot's heel is up (`RAISED_HEEL_PITCH`), the other lies flat (`FLAT_FOOT_PITCH`) and the ankles
        are at least `SPLIT_ANKLES_SHANKS` shanks apart across the picture.
    """
    pitch = []
    for heel, toe in ((heel_l, toe_l), (heel_r, toe_r)):
        d = np.asarray(toe, np.float64) - np.asarray(heel, np.float64)
        n = float(np.hypot(d[0], d[1]))
        pitch.append(float(d[1]) / n if np.isfinite(n) and n > 0 else float("nan"))
    if not (np.isfinite(pitch).all() and np.isfinite(ankle_gap_px) and np.isfinite(shank_px) and shank_px > 0):
        return False
    raised, flat = max(pitch), min(abs(x) for x in pitch)
    return raised >= RAISED_HEEL_PITCH and flat <= FLAT_FOOT_PITCH and ankle_gap_px >= SPLIT_ANKLES_SHANKS * shank_px


def yaw_from_shoulders(shoulder_w: float, torso_h: float) -> float:
    """|yaw| degrees from the projected shoulder width against the torso height (cos ψ ≈ ratio / 0.8)."""
    if not (np.isfinite(shoulder_w) and np.isfinite(torso_h)) or torso_h <= 0:
        return float("nan")
    return float(np.degrees(np.arccos(np.clip(shoulder_w / torso_h / SHOULDER_TO_TORSO_FRONT, 0.0, 1.0))))


def yaw_from_hips(hip_w: float, torso_h: float) -> float:
    """|yaw| degrees from the projected hip width against the torso height (cos ψ ≈ ratio / `HIP_TO_TORSO_FRONT`).

    Coarse: on the real front clips it read 13–34° for cameras the feet put within 17°; but it needs no feet points,
    which a camera on the floor foreshortens until a 60° view reads 35° from the feet."""
    if not (np.isfinite(hip_w) and np.isfinite(torso_h)) or torso_h <= 0:
        return float("nan")
    return float(np.degrees(np.arccos(np.clip(hip_w / torso_h / HIP_TO_TORSO_FRONT, 0.0, 1.0))))


def yaw_from_stance(ankle_l: F64, ankle_r: F64, floor_slope: float) -> float:
    """|yaw| degrees from where the two standing ankles sit, blind to toe-out.

    Ankles W apart across the body, seen by a camera turned ψ, are W·sin ψ apart in depth, which a camera above
    the floor shows as a height gap of floor_slope·W·sin ψ, while their x gap is W·cos ψ: so
    tan ψ = y gap ÷ (floor_slope · x gap). A staggered stance reads as a turn, so it is only a check on other cues.

    Args:
        ankle_l, ankle_r: (2,) px, standing medians.
        floor_slope: image-y px per px of depth on the floor (`knee.ground_slope`).

    Returns:
        |yaw| degrees; NaN when a point is missing or the floor is seen too flat (`MIN_FLOOR_SLOPE`) to read.
    """
    gap = np.abs(np.asarray(ankle_l, np.float64) - np.asarray(ankle_r, np.float64))
    if not (np.isfinite(gap).all() and np.isfinite(floor_slope)) or floor_slope < MIN_FLOOR_SLOPE:
        return float("nan")
    return float(np.degrees(np.arctan2(gap[1], floor_slope * gap[0])))


def yaw_from_thighs(knee_dx: float, thigh_dy: float, thigh_px: float) -> float:
    """|yaw| degrees from a squat's thighs at the bottom, blind to toe-out.

    Square-on the thighs point at the camera, so the knees' midpoint stays over the hips' (thighs turned out
    spread the knees evenly to both sides); a camera turned ψ sees that midpoint moved sideways by the thighs'
    horizontal length H times sin ψ, and H² = thigh² − (its height on screen)², which the yaw does not change.

    Args:
        knee_dx: |knees' mean x − hips' mean x| at the bottom, px.
        thigh_dy: the knees' height below the hips there, px.
        thigh_px: the standing thigh length (hip to knee), px.

    Returns:
        |yaw| degrees; NaN unless the thighs are at least half level (H ≥ thigh ÷ 2): a shallow squat's
        thighs point down, not forward.
    """
    h2 = thigh_px**2 - thigh_dy**2
    if not (np.isfinite(knee_dx) and np.isfinite(h2)) or h2 < (MIN_THIGH_LEVEL * thigh_px) ** 2:
        return float("nan")
    return float(np.degrees(np.arcsin(np.clip(abs(knee_dx) / np.sqrt(h2), 0.0, 1.0))))


def front_by_agreement(feet_yaw: float, thigh_yaw: float, stance_yaw: float) -> float:
    """A squat's |yaw|: the median of the feet's, the thighs' and the stance's when that is under `FRONT_MAX_DEG`,
    else the feet's.

    The feet read the yaw from the two feet's directions, assuming they turn out alike: toe-out uneven by 2δ
    reads δ of yaw, and real front squats read 20–40° so. The thighs (`yaw_from_thighs`) and the stance
    (`yaw_from_stance`) do not see the toe-out, and each fails its own way (a deep oblique squat's thighs read 13°;
    a staggered stance reads square-on from 41°), so one of them alone does not overrule the feet, and two that
    agree only ever bring the view to the front: their spread near profile is too wide to name the side.

    Args:
        feet_yaw, thigh_yaw, stance_yaw: |yaw| degrees from each cue (NaN: unread).

    Returns:
        |yaw| degrees.
    """
    cues = np.array([feet_yaw, thigh_yaw, stance_yaw], np.float64)
    if not np.isfinite(cues).all():
        return feet_yaw
    m = float(np.median(cues))
    return m if m < FRONT_MAX_DEG else feet_yaw


def side_from_hips(hip_w: float, torso_h: float) -> bool:
    """True when the projected hip width is under SIDE_HIP_TO_TORSO of the torso height (hips overlap: profile)."""
    return bool(np.isfinite(hip_w) and np.isfinite(torso_h) and torso_h > 0 and hip_w / torso_h < SIDE_HIP_TO_TORSO)


def side_checked_by_hips(feet_yaw: float, hip_yaw: float) -> float:
    """The feet's yaw, averaged with the hips' when only the feet call it a profile.

    Near profile both estimates sit where arccos is steep, so neither is better than ±10°; and from behind the toes
    hide behind the heels, which shortens heel→toe until a rear 45° view read 62° from the feet (51° from the hips).
    Two estimates that disagree across the side boundary are averaged; elsewhere the feet decide (near square-on the
    hips' reading is biased by body shape: `yaw_from_hips`).

    Args:
        feet_yaw: |yaw| from `yaw_from_feet`, degrees; hip_yaw: from `yaw_from_hips` (NaN: unknown).

    Returns:
        |yaw| degrees.
    """
    if feet_yaw >= SIDE_MIN_DEG and np.isfinite(hip_yaw) and hip_yaw < SIDE_MIN_DEG:
        return (feet_yaw + hip_yaw) / 2.0
    return feet_yaw


def classify_view(yaw_deg: float, source: str, toe_out_deg: float | None = None) -> ViewEstimate:
    """Name the view from |yaw|, with confidence falling near the 20° and 60° boundaries.

    Args:
        yaw_deg: |yaw| in degrees; NaN gives "unknown".
        source: what the yaw came from ("feet" is trusted more than "shoulders").
        toe_out_deg: carried through for the report.

    Returns:
        The estimate.
    """
    if not np.isfinite(yaw_deg):
        return ViewEstimate("unknown", 0.0, float("nan"), toe_out_deg, "none")
    view = "front" if yaw_deg < FRONT_MAX_DEG else "side" if yaw_deg >= SIDE_MIN_DEG else "oblique"
    margin = min(abs(yaw_deg - FRONT_MAX_DEG), abs(yaw_deg - SIDE_MIN_DEG))
    conf = float(np.clip(0.5 + margin / 20.0, 0.5, 1.0)) * (1.0 if source == "feet" else 0.8)
    return ViewEstimate(view, round(conf, 2), float(yaw_deg), toe_out_deg, source)


# How much one rep's standing reading counts in the clip's view. Hips seen overlapping can only be a profile (the
# reading already overrules the feet within a rep); the shoulders are the fallback when the feet are missing, and
# with a bar across the back they spread in profile (a real side barbell squat read 14° from them).
SOURCE_WEIGHT = {"hips": 2.0, "feet": 1.0, "shoulders": 0.5}


def weighted_median(x: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> float:
    """The value where the sorted values' cumulative weight reaches half; np.median when the weights are equal."""
    order = np.argsort(x, kind="stable")
    x, cum = np.asarray(x, np.float64)[order], np.cumsum(np.asarray(w, np.float64)[order])
    half = cum[-1] / 2.0
    k = int(np.searchsorted(cum, half - 1e-9 * cum[-1]))
    if np.isclose(cum[k], half) and k + 1 < len(x):
        return float((x[k] + x[k + 1]) / 2.0)
    return float(x[k])


def combine_views(estimates: list[ViewEstimate], spread_deg: float = 30.0) -> ViewEstimate:
    """One clip view from the standing phase before each rep: the median yaw, each rep weighted by what its reading
    came from (`SOURCE_WEIGHT`), less confident when they disagree.

    A walking client or a panning camera changes the view between reps, and one standing phase can mislead
    (a split stance, a turned foot), so no single phase decides.

    Args:
        estimates: per-rep `ViewEstimate`s (any may be "unknown").
        spread_deg: an interquartile range of yaws this wide halves the confidence.

    Returns:
        The clip's estimate; "unknown" when none is known.
    """
    known = [e for e in estimates if np.isfinite(e.yaw_deg)]
    if not known:
        return estimates[0] if estimates else classify_view(float("nan"), "none")
    if len(known) == 1:
        return known[0]
    yaws = np.array([e.yaw_deg for e in known])
    sources = [e.source for e in known]
    source = max(set(sources), key=sources.count)
    toes = [e.toe_out_deg for e in known if e.toe_out_deg is not None and np.isfinite(e.toe_out_deg)]
    weights = np.array([SOURCE_WEIGHT.get(e.source, 1.0) for e in known])
    est = classify_view(weighted_median(yaws, weights), source, float(np.median(toes)) if toes else None)
    q75, q25 = np.percentile(yaws, [75, 25])
    conf = est.confidence * float(np.clip(1.0 - 0.5 * (q75 - q25) / spread_deg, 0.5, 1.0))
    hips = [e.hip_yaw_deg for e in known if np.isfinite(e.hip_yaw_deg)]
    hip_yaw = float(np.median(hips)) if hips else float("nan")
    return ViewEstimate(est.view, round(conf, 2), est.yaw_deg, est.toe_out_deg, est.source, hip_yaw)
