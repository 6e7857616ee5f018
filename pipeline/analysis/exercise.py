"""Squat or lunge, found from the rep bottoms: in a lunge one knee drops near the floor and the other stays high.

Also names the lead (front) leg per rep and the lunge pattern (same leg, alternating, walking). Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

LUNGE_KNEE_GAP = 0.35  # |knee height difference| at the bottom ÷ standing shank length; squats read ≈ 0


@dataclass(frozen=True)
class ExerciseEstimate:
    """exercise: "squat" | "lunge" | "unknown"; lead_legs: per rep "left"/"right"/None; pattern for lunges."""

    exercise: str
    confidence: float
    lead_legs: list[str | None]
    pattern: str  # "" | "same leg" | "alternating" | "walking"


def knee_height_gap(knee_l: F64, knee_r: F64, shank_px: float) -> F64:
    """(right knee y − left knee y) ÷ shank: + when the left knee is higher on screen (left leads a lunge).

    Args:
        knee_l, knee_r: (..., 2) px.
        shank_px: standing shank length, px.

    Returns:
        (...,) signed ratio.
    """
    return (np.asarray(knee_r)[..., 1] - np.asarray(knee_l)[..., 1]) / shank_px


def classify_exercise(gaps_at_bottom: F64, travel_legs: float) -> ExerciseEstimate:
    """Squat or lunge from each rep's knee-height gap at the bottom, and the lead leg per rep.

    Args:
        gaps_at_bottom: (R,) `knee_height_gap` at each rep bottom (NaN when unknown).
        travel_legs: how far the mid-hip travelled over the clip, in leg lengths (walking lunges move).

    Returns:
        The estimate; confidence is the share of reps agreeing, lowered near the threshold.
    """
    g = np.asarray(gaps_at_bottom, np.float64)
    g = g[np.isfinite(g)]
    if g.size == 0:
        return ExerciseEstimate("unknown", 0.0, [None] * len(gaps_at_bottom), "")
    lunge = np.abs(g) >= LUNGE_KNEE_GAP
    is_lunge = bool(lunge.mean() >= 0.5)
    share = float(lunge.mean() if is_lunge else 1.0 - lunge.mean())
    margin = float(np.clip(abs(np.median(np.abs(g)) - LUNGE_KNEE_GAP) / LUNGE_KNEE_GAP, 0.0, 1.0))
    conf = round(share * (0.6 + 0.4 * margin), 2)
    if not is_lunge:
        return ExerciseEstimate("squat", conf, [None] * len(gaps_at_bottom), "")
    leads: list[str | None] = [
        None if not np.isfinite(x) or abs(x) < LUNGE_KNEE_GAP else ("left" if x > 0 else "right")
        for x in gaps_at_bottom
    ]
    known = [x for x in leads if x]
    alternating = len(known) > 1 and all(a != b for a, b in zip(known[:-1], known[1:], strict=True))
    pattern = "walking" if travel_legs > 1.0 and alternating else "alternating" if alternating else "same leg"
    return ExerciseEstimate("lunge", conf, leads, pattern)
