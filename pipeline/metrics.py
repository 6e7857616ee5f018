"""The metric registry: one place that says what each metric is.

The code fixes which metrics exist and whether each has a value per leg (`PER_LEG`); `configs/bands.toml` gives
each its label, unit, area, direction, amber and red cut-offs, the exercises it is scored for and its source. They
meet in a `MetricSpec`, built and validated when settings load (`load_specs`): an unknown metric, a misspelt field,
a bad direction or area, or amber and red in the wrong order stops the run with one line naming the file, the table
and the key. Analysis keys its values by `MetricId` (metric, leg); scoring groups them by `MetricSpec.area`; the
report takes labels and units from the spec. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

import numpy as np

from pipeline.result import Colour, Rep

Leg = Literal["left", "right"]
LEG_NAMES: tuple[Leg, Leg] = ("left", "right")
OTHER_LEG: dict[str, Leg] = {"left": "right", "right": "left"}
Area = Literal["knee_tracking", "hip_control", "depth", "trunk"]
AREAS: dict[str, str] = {
    "knee_tracking": "Knee tracking",
    "hip_control": "Hip control",
    "depth": "Depth",
    "trunk": "Trunk",
}
Direction = Literal["high_bad", "low_bad", "report"]
DIRECTIONS: tuple[str, ...] = get_args(Direction)
EXERCISES = ("squat", "lunge")
# One order for scoring and report alike: grey (not judged) ranks below green, so it never makes a rep or a clip
# look worse than what was measured.
SEVERITY: dict[str, int] = {"grey": -1, "green": 0, "amber": 1, "red": 2}


def counted_reps(complete: list[bool]) -> list[int]:
    """Indices of the reps a clip's verdict reads: the complete ones when there are any, else all of them (a rep cut
    off by the video's start or end, or left for something else, is listed but not counted beside whole ones)."""
    return [i for i, c in enumerate(complete) if c] or list(range(len(complete)))


def whole_reps(reps: list[Rep]) -> list[Rep]:
    """The reps a clip's verdict reads (`counted_reps`), as `Rep`s."""
    return [reps[i] for i in counted_reps([r.complete for r in reps])]


# Every metric the analysis measures, in the order the report lists them; True: one value per leg. Per-leg metrics
# come first, the left leg's then the right's, then the clip-wide ones.
PER_LEG: dict[str, bool] = {
    "knee_drift": True,
    "knee_track": True,
    "knee_midfoot": True,
    "fppa": True,
    "valgus_excursion": True,
    "knee_medial_disp": True,
    "hip_adduction": True,
    "kasr": False,
    "kasr_drop": False,
    "pelvic_drop": False,
    "trunk_lateral_lean": False,
    "stance_width": False,
    "knee_asymmetry": False,
    "depth_thigh_deg": False,
    "knee_flexion_bottom_deg": False,
    "trunk_incline_deg": False,
}
# The fields of a band table: (type, required). `evidence` says which clips and readings set the cut-offs.
BAND_FIELDS: dict[str, tuple[type, bool]] = {
    "label": (str, True),
    "unit": (str, True),
    "direction": (str, True),
    "amber": (float, True),
    "red": (float, True),
    "area": (str, True),
    "source": (str, True),
    "scored_for": (list, False),
    "evidence": (str, False),
    "red_alone": (float, False),
}


class MetricId(NamedTuple):
    """A metric and, for per-leg metrics, the leg: how analysis keys its values."""

    metric: str
    leg: Leg | None = None

    @property
    def key(self) -> str:
        """The name results and reports use, e.g. "knee_track_left"."""
        return f"{self.metric}_{self.leg}" if self.leg else self.metric

    @classmethod
    def from_key(cls, key: str) -> MetricId:
        """`key` read back: "knee_track_left" gives ("knee_track", "left"), "pelvic_drop" ("pelvic_drop", None)."""
        base, _, leg = key.rpartition("_")
        for name in LEG_NAMES:
            if leg == name and PER_LEG.get(base):
                return cls(base, name)
        return cls(key)


def metric_ids() -> list[MetricId]:
    """Every (metric, leg) the analysis gives, in report order."""
    legged = [MetricId(m, leg) for leg in LEG_NAMES for m, per_leg in PER_LEG.items() if per_leg]
    return legged + [MetricId(m) for m, per_leg in PER_LEG.items() if not per_leg]


def capitalised(text: str) -> str:
    """`text` with its first letter a capital and the rest as it was: "knee over foot, FPPA" gives "Knee over foot,
    FPPA" (str.capitalize would lower the FPPA); "" stays ""."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class MetricSpec:
    """One metric: what it is (`key`, `per_leg`), where it counts (`area`, `scored_for`) and its band."""

    key: str
    area: str
    per_leg: bool
    label: str
    unit: str
    direction: str  # Direction
    amber: float
    red: float
    scored_for: tuple[str, ...]
    source: str
    evidence: str = ""
    # knee readings only: red stands on this reading alone beyond this level; nearer the band, red needs the same
    # leg's other knee reading at amber or red too (`scoring.corroborated`). None: red always stands alone
    red_alone: float | None = None

    def label_for(self, leg: Leg | None) -> str:
        """ "Left knee over foot", "Knee-to-ankle separation": capitalised, with the leg when there is one."""
        return capitalised(f"{leg} {self.label}" if leg else self.label)

    def scored(self, exercise: str) -> bool:
        """Whether this metric sets a verdict for the exercise (a reported-only metric is always shown as read)."""
        return exercise in self.scored_for or self.direction == "report"

    def colour(self, value: float) -> Colour:
        """Green/amber/red of a finite value; "grey" for NaN (never green) and for reported-only metrics, which are
        shown for context, never judged."""
        if not np.isfinite(value) or self.direction == "report":
            return "grey"
        return "red" if self.beyond(value, self.red) else "amber" if self.beyond(value, self.amber) else "green"

    def beyond(self, value: float, level: float) -> bool:
        """Whether `value` is past `level` the bad way (at or above it when high_bad, below it when low_bad)."""
        return value >= level if self.direction == "high_bad" else value < level

    def badness(self, value: float) -> float:
        """Larger is worse, whichever way the band runs (for ranking readings)."""
        return -value if self.direction == "low_bad" else value


def _origin(name: str, overrides: dict[str, Any], override_file: str) -> str:
    if name in overrides and override_file:
        return f"{override_file} [bands.{name}]"
    return f"configs/bands.toml [{name}]"


def _field_problems(band: dict[str, Any], where: str) -> list[str]:
    """Every problem with one band table, each a line starting with `where` (file and table)."""
    out = [f"{where} {key}: unknown field; known: {', '.join(BAND_FIELDS)}" for key in band if key not in BAND_FIELDS]
    typed: dict[str, Any] = {}
    for key, (want, required) in BAND_FIELDS.items():
        if key not in band:
            if required:
                out.append(f"{where} {key}: missing")
            continue
        v = band[key]
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) if want is float else isinstance(v, want)
        if ok:
            typed[key] = v
        else:
            out.append(f"{where} {key}: expected {want.__name__}, got {v!r}")
    direction = typed.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        out.append(f"{where} direction: {direction!r} is not one of {', '.join(DIRECTIONS)}")
    if "area" in typed and typed["area"] not in AREAS:
        out.append(f"{where} area: {typed['area']!r} is not one of {', '.join(AREAS)}")
    bad = [x for x in typed.get("scored_for", []) if x not in EXERCISES]
    if bad:
        out.append(f"{where} scored_for: {bad!r} not among {', '.join(EXERCISES)}")
    if "amber" in typed and "red" in typed:
        amber, red = float(typed["amber"]), float(typed["red"])
        if direction == "high_bad" and not amber < red:
            out.append(f"{where} amber/red: high_bad (bigger is worse) needs amber < red, got {amber:g} and {red:g}")
        if direction == "low_bad" and not amber > red:
            out.append(f"{where} amber/red: low_bad (smaller is worse) needs amber > red, got {amber:g} and {red:g}")
        alone = typed.get("red_alone")
        if alone is not None and (alone < red if direction == "high_bad" else alone > red):
            out.append(f"{where} red_alone: must lie at or beyond red ({red:g}), got {alone:g}")
    return out


def load_specs(
    bands: dict[str, Any], overrides: dict[str, Any] | None = None, override_file: str = ""
) -> tuple[dict[str, MetricSpec], list[str]]:
    """Build and check every metric's spec from the merged band tables.

    Args:
        bands: configs/bands.toml merged with the coach's `[bands.*]` tables.
        overrides: the coach's `[bands.*]` tables alone, so a problem names the file it is in.
        override_file: that file's path, as the coach gave it.

    Returns:
        (specs by metric, problems): every problem is one line naming file, table and key; specs hold the metrics
        whose tables are whole.
    """
    overrides = overrides or {}
    problems: list[str] = []
    specs: dict[str, MetricSpec] = {}
    for name, band in bands.items():
        where = _origin(name, overrides, override_file)
        if name not in PER_LEG:
            problems.append(f"{where}: unknown metric {name!r}; known: {', '.join(PER_LEG)}")
            continue
        if not isinstance(band, dict):
            problems.append(f"{where}: must be a table, got {type(band).__name__}")
            continue
        found = _field_problems(band, where)
        problems += found
        if not found:
            specs[name] = MetricSpec(
                key=name,
                area=band["area"],
                per_leg=PER_LEG[name],
                label=band["label"],
                unit=band["unit"],
                direction=band["direction"],
                amber=float(band["amber"]),
                red=float(band["red"]),
                scored_for=tuple(band.get("scored_for", [])),
                source=band["source"],
                evidence=band.get("evidence", ""),
                red_alone=float(band["red_alone"]) if "red_alone" in band else None,
            )
    for name in PER_LEG:
        if name not in bands:
            problems.append(f"configs/bands.toml: no table [{name}]: a metric without a band gets no colour")
    return specs, problems
