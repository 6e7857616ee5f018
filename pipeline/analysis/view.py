"""Camera view (front / oblique / side) from standing frames, with a confidence and a yaw estimate.

Uses the feet when the pose model gives heel and toe points (their mean heel→toe direction reveals the yaw),
otherwise the shoulder width against the torso height. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

FRONT_MAX_DEG = 20.0
SIDE_MIN_DEG = 60.0
SHOULDER_TO_TORSO_FRONT = 0.8  # shoulder width ÷ shoulder-to-hip height of an adult seen square-on
# Hip width ÷ torso height below which the hips overlap: a profile view, whatever the feet say. Measured on the
# 11 real clips and the renders: every front/oblique clip read 0.31–0.46, every side clip 0.04–0.16 (heel/toe
# points are unreliable in profile, and barbell plates can hide the shoulders, but the hips stay visible).
SIDE_HIP_TO_TORSO = 0.2
HIP_TO_TORSO_FRONT = 0.43  # hip-joint width ÷ torso height seen square-on


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
