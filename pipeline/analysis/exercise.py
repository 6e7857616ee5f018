"""Squat or lunge, found from the rep bottoms: in a lunge one knee drops near the floor and the other stays high.

Also names the lead (front) leg per rep and the lunge pattern (same leg, alternating, walking). Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

LUNGE_SPLIT = 0.3  # split-stance score at the bottom (shank lengths); squats read ≈ 0, lunges 0.5–2


@dataclass(frozen=True)
class ExerciseEstimate:
    """exercise: "squat" | "lunge" | "unknown"; lead_legs: per rep "left"/"right"/None; pattern for lunges."""

    exercise: str
    confidence: float
    lead_legs: list[str | None]
    pattern: str  # "" | "same leg" | "alternating" | "walking"


def split_stance(
    knee_l: F64, knee_r: F64, ankle_l: F64, ankle_r: F64, shank_px: float, side_view: bool
) -> tuple[float, str]:
    """How split the stance is at one rep bottom, in shank lengths, and which leg is in front.

    A lunge drops the rear knee towards the floor (knee heights differ) and puts one foot ahead: from the front
    the front ankle is nearer the camera and sits lower on screen; from the side the ankles are far apart.

    Args:
        knee_l, knee_r, ankle_l, ankle_r: (2,) px at the rep bottom.
        shank_px: standing shank length, px.
        side_view: whether the camera is side-on.

    Returns:
        (score, lead leg "left"/"right"; "" when the points are missing).
    """
    knee_gap = (knee_r[1] - knee_l[1]) / shank_px  # + when the left knee is higher: left leads
    ankle_gap = (ankle_l[1] - ankle_r[1]) / shank_px  # + when the left ankle is lower on screen: left in front
    spread = abs(ankle_l[0] - ankle_r[0]) / shank_px if side_view else 0.0
    score = max(abs(knee_gap), abs(ankle_gap), spread - 0.5)
    if not np.isfinite(score):
        return float("nan"), ""
    vote = knee_gap if side_view or not np.isfinite(ankle_gap) else ankle_gap + knee_gap
    return float(score), "left" if vote > 0 else "right"


def classify_exercise(split: F64, leads: list[str], travel_legs: float) -> ExerciseEstimate:
    """Squat or lunge from each rep's split-stance score at the bottom, and the lead leg per rep.

    Args:
        split: (R,) `split_stance` scores (NaN when unknown).
        leads: (R,) the lead leg `split_stance` named per rep.
        travel_legs: how far the mid-hip travelled sideways over the clip, in shank lengths (walking lunges).

    Returns:
        The estimate; confidence is the share of reps agreeing, lowered near the threshold.
    """
    g = np.asarray(split, np.float64)
    fin = g[np.isfinite(g)]
    if fin.size == 0:
        return ExerciseEstimate("unknown", 0.0, [None] * len(g), "")
    lunge = fin >= LUNGE_SPLIT
    is_lunge = bool(lunge.mean() >= 0.5)
    share = float(lunge.mean() if is_lunge else 1.0 - lunge.mean())
    margin = float(np.clip(abs(np.median(fin) - LUNGE_SPLIT) / LUNGE_SPLIT, 0.0, 1.0))
    conf = round(share * (0.6 + 0.4 * margin), 2)
    if not is_lunge:
        return ExerciseEstimate("squat", conf, [None] * len(g), "")
    out: list[str | None] = [
        lead if np.isfinite(x) and x >= LUNGE_SPLIT and lead else None for x, lead in zip(g, leads, strict=True)
    ]
    known = [x for x in out if x]
    alternating = len(known) > 1 and all(a != b for a, b in zip(known[:-1], known[1:], strict=True))
    pattern = "walking" if travel_legs > 2.0 and alternating else "alternating" if alternating else "same leg"
    return ExerciseEstimate("lunge", conf, out, pattern)
