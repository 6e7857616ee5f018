"""The typed result of analysing one clip, and its JSON form (`result.json`).

Written by `scoring`, read by `annotate`, `report` and `batch`. Pure data: no I/O here beyond (de)serialising
to plain dicts. Schema (version 1), every number traceable to a band and a source in configs/bands.toml:

    ClipResult
      video, view, view_confidence, exercise, exercise_confidence, fps, duration_s, backend, model_id
      quality: Quality            how much of the track was missing / repaired, and whether the gate passed
      reps: [Rep]                 start/bottom/end seconds, lead leg, tempo, per-rep metrics
      clip_metrics: [MetricValue] per-clip aggregate (the level a third of the reps reach; `worst_rep` names the worst)
      verdicts: [Verdict]         one per area (knee_tracking, hip_control, depth, trunk), colour + sentence
      cues: [str]                 at most two coaching cues, most important first
      series: Series              per-frame curves for plots and the live colours of the annotated clip
      notes: [str]                caveats in plain words (view, data quality, what 2D cannot see)
      worst_rep, best_rep         the hardest (or the one to check: `check_rep`) and best rep, 1-based; None when
                                  nothing measured tells the reps apart
      recorded, recorded_from     when the video was filmed (ISO 8601) and how we know ("metadata" | "file time")
      turned_deg                  the clockwise turn that stood up a clip filmed sideways (0, 90, 270)
      flip_check                  each red knee or hip card (by area), and each knee reading that asked for a check
                                  (by metric key), looked at again on the video flipped left to right -> whether it
                                  held there
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Colour = Literal["green", "amber", "red", "grey"]  # grey = not measurable from this video (never shown as green)
COLOURS: tuple[str, ...] = ("green", "amber", "red", "grey")
SCHEMA_VERSION = 1
# a metric's reason where it measures the other exercise only (a lunge's side-to-side stance in a squat): not read,
# and not listed on the page as missing
OTHER_EXERCISE = "a measure of the other exercise"
# how `ClipResult.notes` words an angled camera; the report leads with that note when nothing could be judged
ANGLED_NOTE = "Filmed at an angle"
# a view in the words of the pages a coach and a client read ("oblique" is ours, not theirs)
VIEW_WORDS = {"front": "front view", "side": "side view", "oblique": "angled view"}
UNKNOWN_VIEW = "view unclear"


@dataclass(frozen=True)
class MetricValue:
    """One metric, on one rep or on the whole clip.

    Attributes:
        key: machine name, e.g. "knee_track_left" (`MetricId.key`; stable, used in CSV columns).
        label: words for people, e.g. "Left knee over foot".
        value: the number in `unit`; None when not measurable.
        unit: "°", "%", "s", "" (ratio).
        display: value formatted with its unit, e.g. "12°"; "—" when not measurable.
        colour: band colour; "grey" when not measurable.
        measurable: False when view or data quality cannot support the metric.
        reason: why not measurable, or what the colour means, in plain words.
        band: the band in words, e.g. "green < 10° · amber 10–16° · red ≥ 16°".
        source: literature source of the band (from configs/bands.toml).
        worst_rep: for clip metrics, the 1-based rep with the worst value (for an `unsure` one, the rep to check: the
            worst raw reading, or the rep read past the readable range); None otherwise.
        unsure: the raw reading reached amber or red but, once the keypoint error is allowed for, it does not: the
            evidence cannot support a colour (grey, "check this in the video").
        area: the verdict it counts toward: "knee_tracking" | "hip_control" | "depth" | "trunk".
    """

    key: str
    label: str
    value: float | None
    unit: str
    display: str
    colour: Colour
    measurable: bool
    reason: str = ""
    band: str = ""
    source: str = ""
    worst_rep: int | None = None
    unsure: bool = False
    area: str = ""


@dataclass(frozen=True)
class Rep:
    """One repetition. Times in seconds from the clip's first frame; index is 1-based."""

    index: int
    start_s: float
    bottom_s: float
    end_s: float
    lead_leg: str | None = None  # "left" | "right" for lunges; None for squats
    eccentric_s: float | None = None
    concentric_s: float | None = None
    complete: bool = True  # False for partial reps cut by the clip's edges
    metrics: list[MetricValue] = field(default_factory=list)
    colour: Colour = "grey"  # worst measurable metric colour on this rep


@dataclass(frozen=True)
class Verdict:
    """One area of the report's traffic lights: knee_tracking, hip_control, depth, trunk."""

    area: str
    label: str
    colour: Colour
    summary: str  # one plain sentence a client understands
    measurable: bool = True  # with colour "grey": measured and shown for context, never judged (depth, by default)
    reason: str = ""
    unsure: bool = False  # grey because the evidence cannot decide, not because it was not measured: check the video

    @property
    def state(self) -> str:
        """What the light says: "green" | "amber" | "red"; "context" (measured, never judged); "check" (the evidence
        could not decide); "grey" (not measured)."""
        if self.measurable:
            return "context" if self.colour == "grey" else self.colour
        return "check" if self.unsure else "grey"


@dataclass(frozen=True)
class Quality:
    """How trustworthy the track is. Fractions are of the frames in the clip."""

    frames: int
    seen_frac: float  # the client was found
    legs_frac: float  # hips, knees and ankles all usable after cleaning
    interpolated_frac: float  # of the frames the keypoint model looked at
    swaps_repaired: int
    outliers_removed: int
    passed: bool
    notes: list[str] = field(default_factory=list)
    keypoint_every: int = 1  # the keypoint model ran on every n-th frame; the frames between are interpolated


@dataclass(frozen=True)
class Series:
    """Per-frame curves, all of length T (NaN where unknown). JSON stores NaN as null.

    Attributes:
        t_s: frame times, seconds.
        hip_depth: mid-hip drop from standing, 0 = standing, 1 = the clip's deepest point.
        knee_left / knee_right: the main knee-tracking value per frame (see `knee_metric`), NaN if unmeasurable.
        knee_colour_left / knee_colour_right: live band colour per frame for the annotated clip.
        knee_metric: key of the metric plotted in knee_left/right; knee_band: (amber, red) thresholds for shading;
            knee_label: its name for people, without a leg ("Knee over foot").
        rep_of_frame: 1-based rep index per frame, 0 outside reps.
        leg_lost_left / leg_lost_right: per frame, the pose model lost this leg there (a squat's ankle read level
            with or above its knee in the loaded part of a rep): the annotated clip does not draw it. Empty: none.
    """

    t_s: list[float]
    hip_depth: list[float]
    knee_left: list[float]
    knee_right: list[float]
    knee_colour_left: list[str]
    knee_colour_right: list[str]
    rep_of_frame: list[int]
    knee_metric: str = ""
    knee_unit: str = ""
    knee_band: tuple[float, float] | None = None
    knee_label: str = ""
    leg_lost_left: list[bool] = field(default_factory=list)
    leg_lost_right: list[bool] = field(default_factory=list)


@dataclass(frozen=True)
class ClipResult:
    video: str
    view: str  # "front" | "side" | "oblique" | "unknown"
    view_confidence: float
    exercise: str  # "squat" | "lunge" | "unknown"
    exercise_confidence: float
    fps: float
    duration_s: float
    backend: str
    model_id: str
    quality: Quality
    reps: list[Rep]
    clip_metrics: list[MetricValue]
    verdicts: list[Verdict]
    cues: list[str]
    series: Series
    notes: list[str] = field(default_factory=list)
    worst_rep: int | None = None
    best_rep: int | None = None
    recorded: str = ""  # set by the job from the video file, not by the analysis; "" in results from before 0.6
    recorded_from: str = ""
    turned_deg: int = 0
    # each red card checked on the pose model's look at the video flipped left to right -> whether that look confirmed
    # it (`pipeline.mirror.held`); one it did not is amber
    flip_check: dict[str, bool] = field(default_factory=dict)
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return _nan_to_none(asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ClipResult:
        def metrics(items: list[dict[str, Any]]) -> list[MetricValue]:
            return [MetricValue(**m) for m in items]

        s = dict(d["series"])
        curves = ("t_s", "hip_", "knee_left", "knee_right")
        s = {k: (_none_to_nan(v) if k.startswith(curves) else v) for k, v in s.items()}
        if s.get("knee_band") is not None:
            s["knee_band"] = tuple(s["knee_band"])
        return cls(
            **{k: v for k, v in d.items() if k not in ("quality", "reps", "clip_metrics", "verdicts", "series")},
            quality=Quality(**d["quality"]),
            reps=[Rep(**{**r, "metrics": metrics(r["metrics"])}) for r in d["reps"]],
            clip_metrics=metrics(d["clip_metrics"]),
            verdicts=[Verdict(**v) for v in d["verdicts"]],
            series=Series(**s),
        )


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, dict):
        return {k: _nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_nan_to_none(v) for v in x]
    return x


def _none_to_nan(x: Any) -> Any:
    if isinstance(x, list):
        return [float("nan") if v is None else v for v in x]
    return x


def check_readings(verdicts: list[Verdict], clip_metrics: list[MetricValue]) -> list[MetricValue]:
    """The knee readings a knee card that asks for a check ("check this in the video") takes its reason from; none
    when the knee card does not ask."""
    knee = next((v for v in verdicts if v.area == "knee_tracking" and v.unsure), None)
    if knee is None:
        return []
    return [m for m in clip_metrics if m.unsure and m.area == "knee_tracking" and m.reason == knee.reason]


def check_rep(verdicts: list[Verdict], clip_metrics: list[MetricValue]) -> int | None:
    """The rep a knee card that asks for a check names: the `worst_rep` of the first of its `check_readings`; None
    when the knee card does not ask."""
    return next((m.worst_rep for m in check_readings(verdicts, clip_metrics)), None)
