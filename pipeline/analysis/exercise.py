"""Squat or lunge, found from the rep bottoms: in a lunge one knee drops near the floor and the other stays high.

Also names the lead (front) leg per rep and the lunge pattern (same leg, alternating, walking). Pure numpy.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

# split-stance score at the bottom (shank lengths). On the real clips (front, 45° and side) squats' shins differed
# by 0.22 at most and lunges' by 1.16 or more; from the front the screen heights also read squats ≈ 0, lunges 0.5–2
LUNGE_SPLIT = 0.45
# a single dip leaves a squat set only when it is clearly a lunge (a bottle picked up in a squat set read 0.72); a
# lunge's front leg is named only past CLEARLY_SQUAT (a rendered forward lunge's bottom with the rear ankle hidden read
# 0.45; a rear leg hidden straight behind the front one reads about 0, and that rep stays in the set unnamed)
CLEARLY_SQUAT, CLEARLY_LUNGE = 0.3, 0.6
# From the side or at an angle, the ankles spreading along the image reads a lunge only where the lower knee comes
# down within this many shanks of the lower ankle's height (a lunge's rear knee dropping toward the floor). Over the
# real side and 45° clips' rep bottoms, lunges' lower knee sat at 0.05 shank (median; 90th percentile 0.49) and
# squats' at 0.88 (5th percentile 0.59). Every squat bottom whose ankles spread with no split in the shins (a
# re-rack step, a far foot drawn apart) read 0.75-1.00, and every lunge bottom that needed the spread, 0.16-0.24.
LUNGE_KNEE_FLOOR = 0.5


class Stance(NamedTuple):
    """One rep bottom's stance (`split_stance`), in shank lengths."""

    lunge: float  # how split it is the way a lunge's is: the vote on squat or lunge (NaN: unknown)
    lead: str  # the front leg, "left" | "right"; "" when unknown
    apart: float  # `lunge`, or the feet's step apart where larger, knees down or not: past `CLEARLY_LUNGE`, no squat


@dataclass(frozen=True)
class ExerciseEstimate:
    """exercise: "squat" | "lunge" | "unknown"; lead_legs: per rep "left"/"right"/None; pattern for lunges."""

    exercise: str
    confidence: float
    lead_legs: list[str | None]
    pattern: str  # "" | "same leg" | "alternating" | "walking"


def split_stance(
    knee_l: F64,
    knee_r: F64,
    ankle_l: F64,
    ankle_r: F64,
    shank_px: float,
    view: str,
    standing_spread_px: float = float("nan"),
) -> Stance:
    """How split the stance is at one rep bottom, in shank lengths, and which leg is in front.

    What holds in every view: a lunge's rear knee drops to the floor, level with or below its own ankle, while the
    front shin stays upright, so the two knees' heights above their OWN ankles differ by about a shank; in a squat
    both shins tilt alike. Each leg measured from its own ankle cancels the perspective that puts the far leg
    higher on screen: from a low camera at 45° or from the side, a squat's far ankle sat 0.4–0.5 shank higher
    than the near one, which the old "front ankle lower on screen" rule read as a lunge. From the side or at an
    angle a stepping lunge also spreads the ankles along the image beyond where they stood (a wide stance seen at
    45° spreads them as much, but standing too), with its rear knee down near the floor; feet spread with the knees
    high are a step, no lunge, though no squat either. From the front the screen heights count too: the front
    foot, nearer the camera, sits lower, and the rear knee drops (at one bottom of a rendered forward lunge the
    shins alone read 0.45, the screen heights 1.0).

    Args:
        knee_l, knee_r, ankle_l, ankle_r: (2,) px at the rep bottom.
        shank_px: standing shank length, px.
        view: "front" | "oblique" | "side" | "unknown".
        standing_spread_px: the ankles' image-x distance while standing before the rep (NaN: unknown, and the
            spread is not used).

    Returns:
        The `Stance`; its lead leg "" and scores NaN when the points are missing.
    """
    shins = (ankle_l[1] - knee_l[1]) / shank_px - (ankle_r[1] - knee_r[1]) / shank_px  # + when the left shin is upright
    if view in ("side", "oblique"):
        if not np.isfinite(shins):  # a leg hidden from the side: nothing here tells a squat from a lunge
            return Stance(float("nan"), "", float("nan"))
        # a step spreads the ankles along the image beyond where they stood; a wide stance (a sumo squat at 45°
        # read 1.65 shanks apart standing and at the bottom) does not. It reads a lunge only with a knee down
        # near the floor (`LUNGE_KNEE_FLOOR`)
        spread = (abs(ankle_l[0] - ankle_r[0]) - standing_spread_px) / shank_px
        knee_floor = (max(ankle_l[1], ankle_r[1]) - max(knee_l[1], knee_r[1])) / shank_px
        # the rear knee, on the flatter shin, drops toward the floor below the front one (real side and 45° lunges:
        # 0.06 shank lower or more); a flatter shin on the higher knee is a far leg the model drew folded (side
        # squats' far ankle drawn up at the knee read 0.5-0.8 with that knee 0.3-1.3 shank higher)
        rear_lower = shins * (knee_r[1] - knee_l[1]) / shank_px
        split = abs(shins) if not np.isfinite(rear_lower) or rear_lower > 0 else 0.0
        apart = float(np.nanmax([split, spread]))
        return Stance(apart if knee_floor < LUNGE_KNEE_FLOOR else split, "left" if shins > 0 else "right", apart)
    knee_gap = (knee_r[1] - knee_l[1]) / shank_px  # + when the left knee is higher: left leads
    ankle_gap = (ankle_l[1] - ankle_r[1]) / shank_px  # + when the left ankle is lower on screen: left in front
    parts = np.array([shins, knee_gap, ankle_gap], np.float64)
    if not np.isfinite(parts).any():
        return Stance(float("nan"), "", float("nan"))
    vote = shins if np.isfinite(shins) else np.nansum([ankle_gap, knee_gap])
    score = float(np.nanmax(np.abs(parts)))
    return Stance(score, "left" if vote > 0 else "right", score)


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
    # half the reps each way: the scores' median decides (one misread bottom must not make a set of two lunges)
    is_lunge = bool(lunge.mean() > 0.5 or (lunge.mean() == 0.5 and np.median(fin) >= LUNGE_SPLIT))
    share = float(lunge.mean() if is_lunge else 1.0 - lunge.mean())
    margin = float(np.clip(abs(np.median(fin) - LUNGE_SPLIT) / LUNGE_SPLIT, 0.0, 1.0))
    conf = round(share * (0.6 + 0.4 * margin), 2)
    if not is_lunge:
        return ExerciseEstimate("squat", conf, [None] * len(g), "")
    out: list[str | None] = [
        lead if np.isfinite(x) and x >= CLEARLY_SQUAT and lead else None for x, lead in zip(g, leads, strict=True)
    ]
    return ExerciseEstimate("lunge", conf, out, lunge_pattern(out, travel_legs))


def lunge_pattern(leads: list[str | None], travel_legs: float) -> str:
    """What the named front legs show, or "": "alternating" (or "walking", the mid-hip travelling over 2 shanks) where
    at least half the neighbouring reps are both named and every named rep fits one leg then the other; "same leg"
    where neighbours are named and every named rep is the same leg. A rep whose front leg is not named breaks no
    pattern and proves none: a real walking lunge read right, left, right, unnamed, right, left, right was said to be
    "on the same leg each rep" above that very list."""
    named = [(i, x) for i, x in enumerate(leads) if x]
    pairs = sum(1 for a, b in zip(leads[:-1], leads[1:], strict=True) if a and b)
    if not pairs:
        return ""
    fits = all((a == b) == ((j - i) % 2 == 0) for (i, a), (j, b) in itertools.combinations(named, 2))
    if fits and 2 * pairs >= len(leads) - 1:
        return "walking" if travel_legs > 2.0 else "alternating"
    return "same leg" if len({x for _, x in named}) == 1 else ""
