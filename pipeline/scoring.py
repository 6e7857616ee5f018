"""Turn a client's track into verdicts: clean → analyse → colour each metric by its band → area verdicts, cues.

`evaluate(track, settings, video_name)` cleans and scores a raw track; the job, which also draws the cleaned
track, cleans once and calls `evaluate_cleaned`. Both return a `ClipResult`. Pure: no I/O, no printing,
deterministic. Each metric's band, area and source come from its `MetricSpec` (`settings.metrics`, built from
configs/bands.toml by `pipeline.metrics.load_specs`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

import numpy as np

from pipeline.analysis.analyse import FOOT_TOWARD_REASON, REAR_LEG, Analysis, RepAnalysis, analyse
from pipeline.analysis.geometry import held_values
from pipeline.analysis.reps import MIN_FRAMES
from pipeline.clean import CleanReport, clean_track
from pipeline.errors import SettingsError
from pipeline.keypoints import PoseTrack
from pipeline.metrics import (
    AREAS,
    LEG_NAMES,
    OTHER_LEG,
    SEVERITY,
    Leg,
    MetricId,
    MetricSpec,
    capitalised,
    counted_reps,
    metric_ids,
)
from pipeline.result import (
    ANGLED_NOTE,
    OTHER_EXERCISE,
    ClipResult,
    Colour,
    MetricValue,
    Quality,
    Rep,
    Series,
    Verdict,
    check_readings,
    check_rep,
)
from pipeline.settings import Settings

CUES = {
    "knee_tracking": "Before you bend, turn your thighs out from the hips so your knees stay over your feet.",
    "hip_control": "Keep your hips level and your chest stacked over your hips as you go down and up.",
    "trunk": "Brace your middle and keep your chest up as your hips sit back and down.",
    "depth": "Sit a little deeper: aim for the tops of your thighs level with your knees.",
}
# a metric whose own cue is clearer than its area's, used when it is the area's worst metric (the first listed
# here when several are): hip control's card names what it flagged (`HIP_SUMMARY`), and "keep your hips level" is
# no cue for thighs turning in; a lunge on a tightrope needs its base fixed first
METRIC_CUES = {
    "stance_width": "Step your feet about hip-width apart side to side, like two train tracks, not a tightrope.",
    "hip_adduction": CUES["knee_tracking"],
    "knee_asymmetry": "Watch the knee that drifts in: push it out over your foot, as far as the other one goes.",
}
# A lunge's knee tracking is never green. From the front the front thigh points at the camera at the bottom, so
# FPPA is read on the way down only; knee over foot has no reference once the front foot steps, and with a planted
# front foot (reverse lunge) its path depends on toe-out more than on a cave. On synthetic lunges caves of up to
# 20-25 deg at the bottom read green by every measure (README, Accuracy): a green there would be unfounded. A fault
# that is seen (amber/red) is still reported.
LUNGE_KNEE_REASON = (
    "at the bottom of a lunge your front thigh points at the camera, and from there a front camera cannot see "
    "whether the front knee caves in. Where it could be measured your front knee stayed in line: check the bottom of "
    "each rep in the video"
)
SUMMARY = {
    ("knee_tracking", "green"): "Your knees stayed in line with your feet.",
    ("knee_tracking", "amber"): "Your knees drifted a little inside the line of your feet.",
    ("knee_tracking", "red"): "Your knees caved in, inside the line of your feet.",
    ("hip_control", "green"): "Your hips and trunk stayed level and steady.",
    ("hip_control", "amber"): "Your hips or knees moved a little out of line.",
    ("hip_control", "red"): "Your hips or knees moved clearly out of line.",
    ("trunk", "green"): "Your trunk angle stayed in a comfortable range.",
    ("trunk", "amber"): "You leaned forward quite a lot.",
    ("trunk", "red"): "You leaned forward a lot.",
    ("depth", "green"): "Depth is shown for information.",
}
# hip control read from the knees alone (the hips and trunk need a square-on camera): a green says no more than that
HIP_KNEES_ONLY = "Your two knees moved alike. Your hips and trunk could not be checked from this camera angle."
# hip control's card says what was flagged, not one sentence for all five readings: a card that said "hips tipped to
# one side" above a flag for the thighs turning in told the client the wrong fault (amber, red)
HIP_SUMMARY = {
    "hip_adduction": ("Your thighs turned in a little from the hip.", "Your thighs turned in from the hip."),
    "pelvic_drop": ("Your hips tipped a little to one side.", "Your hips tipped clearly to one side."),
    "trunk_lateral_lean": ("Your trunk leaned a little to one side.", "Your trunk leaned clearly to one side."),
    "knee_asymmetry": (
        "One knee went a little further inside the line of its foot than the other.",
        "One knee went clearly further inside the line of its foot than the other.",
    ),
    "stance_width": (
        "Your feet were a little close to one line (a narrow base).",
        "Your feet were almost in one line (a narrow base).",
    ),
}
# Hip control is the thighs turned out from the hip so the knees track over the feet, and METRICS.md counts the knee
# over the foot among its proxies: a hip card green beside knees flagged inside the feet told a client both "good"
# and "caved" (5 of the 21 real caves). Its own readings (pelvis, trunk, thigh angle) stay as they are; the card is
# amber, never red: a knee can come in from the foot and ankle too, which one camera cannot tell apart.
HIPS_BESIDE_KNEES = {
    ("squat", "amber"): "Your knees drifted a little inside your feet: turning your thighs out from the hips keeps "
    "them over your feet.",
    ("squat", "red"): "Your knees came inside your feet: turning your thighs out from the hips keeps them over your "
    "feet.",
    ("lunge", "amber"): "Your front knee drifted a little inside your front foot: turning your front thigh out from "
    "the hip keeps it over the foot.",
    ("lunge", "red"): "Your front knee came inside your front foot: turning your front thigh out from the hip keeps it "
    "over the foot.",
}
# depth is reported, not judged, unless the coach gives its band a direction (README, Configuration)
DEPTH_JUDGED = {
    "green": "You reached parallel or below.",
    "amber": "You stopped a little above parallel.",
    "red": "You stopped well above parallel.",
}
REPORTED = "reported, not judged"
CONTEXT_ONLY = "shown for information, not judged"
# the evidence cannot support a colour: a raw reading in the red band, but within what the keypoint error could make
UNSURE_METRIC = (
    "the {label} read {raw} at its worst, but that is within what this video's measurement error could make, so "
    "we cannot tell for sure"
)
UNSURE_SUMMARY = "Check this in the video."
# a knee read green on the set's other reps, but past the readable range on one (`FOOT_TOWARD_REASON`): of the real
# front-view squat sets, 4 of the 19 caves have such a rep and 2 of the 162 good ones, so the set's green would hide
# the rep that may have caved
TOWARD_UNSURE = (
    "in rep {rep} the {leg} knee read as moving far inside the line of the foot; a foot turned toward the camera "
    "reads like this, and so can a knee caving in, so check that rep in the video"
)
# a squat filmed past `max_yaw_knee_deg` (`Analysis.knee_flag_only`): a knee read inside its foot even so
ANGLED_FLAG = (
    "filmed at an angle, where a knee caving in looks about half as far in as it is, this knee still read clearly "
    "inside the line of its foot; a video from the front would show how far"
)
ANGLED_SUMMARY = (
    "Your knees looked to move inside the line of your feet. Filmed at an angle: check this from the front."
)
# a squat knee read against a foot assumed to point straight ahead, the toes being out of the picture
# (`RepAnalysis.toes_assumed`): only a knee moving inside even that line is evidence, and it says nothing of how far
TOES_FLAG = (
    "your toes were out of the picture, but this knee moved inside the line of even a foot pointing straight ahead; "
    "a video with your feet in it would show how far"
)
TOES_OUT = (
    "your toes were out of the picture, so a knee is flagged only when it moves inside even a foot pointing straight "
    "ahead, and none did; with your feet in the video the knees can be fully checked"
)
TOES_SUMMARY = "Your knees looked to move inward. Your feet were cut off: check this with your feet in the video."
# a squat's knee card green on one knee alone (`one_knee_read`)
ONE_KNEE = "only your {leg} knee could be checked, and it stayed in line with your foot; for your {other} knee, {why}"
# a knee card amber because the pair moved to one side together (`SHIFTED`)
SHIFTED_SUMMARY = (
    "One knee moved inside the line of its foot while the other moved outside: your knees, and maybe your hips, "
    "shifted to one side. Check this in the video."
)
# a red card the pose model's second look, on the video flipped left to right, did not read red (`pipeline.mirror`)
FLIP_NOT_HELD = (
    "read again on the video flipped left to right, this was not clearly past the red line, so it is marked to "
    "watch rather than to work on"
)
FLIP_NOTE = (
    "{areas} read red, so we measured the video a second time, flipped left to right. The second reading was milder, "
    "so {it_is} marked amber (watch), not red."
)
# a knee reading to check that the flipped look read green (`pipeline.mirror.held`)
FLIP_CLEARED_NOTE = (
    "One knee reading was unclear, so we measured the video a second time, flipped left to right. The second reading "
    "was clearly fine, so that reading is marked green."
)
# a lunge judges the front knee only (the rear one is not scored)
LUNGE_KNEE_SUMMARY = {
    "amber": "Your front knee drifted a little inside the line of your foot.",
    "red": "Your front knee caved in, inside the line of your foot.",
}


def band_words(spec: MetricSpec) -> str:
    """The band in words, e.g. "green ≥ −6% · amber −6…−11% · red < −11%"."""
    u, a, r = spec.unit, _num(spec.amber), _num(spec.red)
    if spec.direction == "report":
        return REPORTED
    if spec.direction == "high_bad":
        return f"green < {a}{u} · amber {a}–{r}{u} · red ≥ {r}{u}"
    return f"green ≥ {a}{u} · amber {a}…{r}{u} · red < {r}{u}"


def shown(value: float, spec: MetricSpec) -> str:
    """A finite value as the page shows it: whole units ("+12%", "-9°"; a ratio to hundredths), or one more decimal
    where rounding would carry it across a band's edge (a real thigh angle read just under 10° showed "10°, Watch"
    beside "red ≥ 10°")."""
    first = 2 if not spec.unit else 0
    d = next((d for d in range(first, first + 2) if spec.colour(round(value, d)) == spec.colour(value)), first + 2)
    return f"{value:+.{d}f}%" if spec.unit == "%" else f"{value:.{d}f}{spec.unit}"


def _num(x: float) -> str:
    s = f"{x:g}"
    return s.replace("-", "−")


def _spec(mid: MetricId, specs: dict[str, MetricSpec]) -> MetricSpec:
    spec = specs.get(mid.metric)
    if spec is None:  # a metric without its band would read green by default: never guess a colour
        raise SettingsError(f"no scoring band for {mid.metric!r} in configs/bands.toml: no verdict can be given")
    return spec


def metric_value(
    mid: MetricId,
    value: float,
    reason: str,
    exercise: str,
    specs: dict[str, MetricSpec],
    raw: float = float("nan"),
    cleared: bool = False,
) -> MetricValue:
    """One MetricValue: coloured by its band when measurable and scored for this exercise, else grey + reason.

    `value` is what is judged; `raw`, for metrics read with a noise bound, the reading without the error allowance.
    When the raw reading is red and the judged one green, the colour is grey and the metric `unsure`, unless
    `cleared` (the flipped look read this knee green: `pipeline.mirror.held`)."""
    spec = _spec(mid, specs)
    label = spec.label_for(mid.leg)
    ok = bool(np.isfinite(value))
    unit = spec.unit
    display = shown(value, spec) if ok else "—"
    colour: Colour = spec.colour(value)
    scored = spec.scored(exercise)
    # green once the error is allowed for, red without it: the evidence cannot tell (between green and amber it can
    # wait: amber already says "watch")
    unsure = scored and colour == "green" and spec.colour(raw) == "red" and not cleared
    if ok and spec.direction == "report":
        reason = CONTEXT_ONLY
    elif ok and not scored:
        colour, reason = "grey", f"context only: this band is not used for {exercise}s"
    elif unsure:
        colour, reason = "grey", UNSURE_METRIC.format(label=label.lower(), raw=_num(round(raw)) + unit)
    elif not ok and spec.scored_for and not scored:
        reason = OTHER_EXERCISE
    return MetricValue(
        key=mid.key,
        label=label,
        value=float(value) if ok else None,
        unit=unit,
        display=display,
        colour=colour,
        measurable=ok,
        reason=reason if not ok or colour == "grey" else "",
        band=band_words(spec),
        source=spec.source,
        unsure=unsure,
        area=spec.area,
    )


# The two knee readings confirm each other's red. Inside the middle of the foot reads the stance as well as a cave:
# standing with the toes turned out, real clients' knees already sit 5-30 % inside it, and where the knee travels
# along its foot line that stays (real good wide squats up to +23 %). The knee's travel angle reads the foot's
# direction as well as the knee: real good squats reach -15°, and -22° when one was measured again on its mirror
# image, as deep as rendered 15° caves with the toes turned out. Each band's `red_alone` says how far past red a
# reading stands alone.
MIDFOOT_ALONE = (
    "the knee sat well inside the middle of the foot, but it travelled close to the line of the foot, and a wide, "
    "turned-out stance reads like this too"
)
TRACK_ALONE = (
    "the knee moved inside the line of the foot, but not clearly inside the middle of the foot (or that could not "
    "be seen from this camera), and good squats have read like this"
)
TRACK_ALONE_BOTH = (  # `TRACK_ALONE` in a two-leg squat
    "the knee moved inside the line of the foot, but not clearly inside the middle of the foot (or that could not "
    "be seen from this camera) and the other knee did not go as far in, and good squats have read like this"
)
PAIRED = {"knee_track": ("knee_midfoot", TRACK_ALONE), "knee_midfoot": ("knee_track", MIDFOOT_ALONE)}
# In a two-leg squat, a knee reading whose red the other leg's same reading, red too, confirms. A slip of one knee's
# keypoint or one foot's direction moves one knee; both knees caving past the red line together is the textbook
# two-knee cave. On real good squats' reps the less caved knee reads -9° at worst, -15° on one mirror image
# (bands.toml knee_track); the caves whose knees both pass red read red anyway. Inside the middle of the foot is not
# confirmed so: a good wide turned-out stance reads both knees there. A lunge judges one knee a rep, its front one.
# Each such reading: its `PAIRED` reason where it stays amber in a two-leg squat.
BOTH_LEGS = {"knee_track": TRACK_ALONE_BOTH}
ASYMMETRY_ALONE = "one knee went further inside the line of its foot than the other, but neither clearly caved in"
# the thigh's angle in from the hip is drawn to the same knee point as the knee readings: real good squats and real
# caves overlap from its red line up (bands.toml), so it stands red only beside that leg's red knee reading
THIGH_ALONE = "the thigh turned in from the hip, but that knee did not clearly go inside the line of its foot"
# Both knees moving to one side together (the hips shifting over one foot) read as one knee inside its foot line and
# the other outside: one camera cannot tell that knee's cave from the shift. Where the other knee went at least as
# far outside its line as this one went inside, the shift alone explains the reading, so it is amber, never red.
# Real front squats: 6 reps of 4 good sets read so with the inside knee past -13° (#811, #812, #1203, #1237; the
# outside knee 1.5-3 times as far out), against no cave (the caves nearest: #974 0.95 times, #120 0.87; its flipped
# look reads so, which confirms no red: amber, still flagged).
SHIFTED = (
    "both knees moved to one side together: the other knee went at least as far outside the line of its foot as this "
    "one went inside, and a shift of the hips to one side reads like this too"
)


def shifted_legs(track: Mapping[str, float]) -> frozenset[Leg]:
    """Legs whose knee over foot angle (`track`: "left"/"right" -> degrees, − inward; NaN unread) is inward while the
    other knee's is outward by at least as much: a pair moving to one side (`SHIFTED`)."""
    legs: tuple[Leg, Leg] = ("left", "right")
    both = {leg: float(track.get(leg, np.nan)) for leg in legs}
    if not all(np.isfinite(v) for v in both.values()):
        return frozenset()
    other = {"left": both["right"], "right": both["left"]}
    return frozenset(leg for leg in legs if both[leg] < 0 and other[leg] >= -both[leg])


def _rep_shifted(r: RepAnalysis) -> frozenset[Leg]:
    """`shifted_legs` of one rep's judged knee over foot angles. A knee read against a foot assumed to point straight
    ahead (`RepAnalysis.toes_assumed`) is left out: following its turned-out foot, it reads outward by the toe-out."""
    return shifted_legs(
        {
            leg: np.nan if leg in r.toes_assumed else r.values.get(MetricId("knee_track", leg), np.nan)
            for leg in ("left", "right")
        }
    )


def clip_shifted(reps: list[RepAnalysis], scored: list[Rep]) -> frozenset[str]:
    """The knee readings (keys) whose clip-level red would rest on shifted reps (`shifted_legs`): where a counted rep
    read that leg shifted, the reading stays red only where a third of the counted reps that read it (the share a
    clip's level reaches, `_third`) read it red themselves (`scored`: the same reps, scored)."""
    use = counted_reps([r.events.complete for r in reps])
    out = set()
    for leg in {leg for i in use for leg in _rep_shifted(reps[i])}:
        for base in PAIRED:
            mid = MetricId(base, leg)
            read = [m.colour for i in use for m in scored[i].metrics if m.key == mid.key and m.value is not None]
            if read and read.count("red") < int(np.ceil(len(read) / 3)):
                out.add(mid.key)
    return frozenset(out)


def paired_colour(
    colour: Colour, value: float, spec: MetricSpec, other: Colour | None, other_leg: Colour | None = None
) -> Colour:
    """A knee reading's colour given the same leg's other knee reading's band colour (None or grey: not read) and,
    for a `BOTH_LEGS` reading, the other leg's same reading's: red stands when the first is amber or red too, when
    the second is red too, or when `value` is past the band's `red_alone`; else amber."""
    if colour != "red" or spec.red_alone is None or other in ("amber", "red") or other_leg == "red":
        return colour
    return "red" if spec.beyond(value, spec.red_alone) else "amber"


def corroborated(
    ms: list[MetricValue],
    specs: dict[str, MetricSpec],
    not_held: Collection[str] = (),
    shifted: Collection[str] = (),
    two_legs: bool = False,
) -> list[MetricValue]:
    """`ms` with each knee reading coloured by `paired_colour` (with the other leg's `BOTH_LEGS` reading where
    `two_legs`, a two-leg squat's); where that made it amber, its `PAIRED` reason; a red
    knee reading whose key is in `shifted` amber (`SHIFTED`); then `flip_capped` by `not_held`. Two readings come
    from the knee points too, so they stand red only where a knee reading stays red: the left/right knee difference,
    read from the two travel angles (else amber, with `ASYMMETRY_ALONE`), and each thigh's angle in from the hip,
    beside its own leg's (else amber, `THIGH_ALONE`)."""
    colour = {m.key: m.colour for m in ms}
    out = []
    for m in ms:
        base, leg = MetricId.from_key(m.key)
        if base in PAIRED and base in specs and m.value is not None:
            other, why = PAIRED[base]
            pair = two_legs and base in BOTH_LEGS
            both = colour.get(MetricId(base, OTHER_LEG[leg]).key) if pair and leg else None
            if paired_colour(m.colour, m.value, specs[base], colour.get(MetricId(other, leg).key), both) != m.colour:
                m = MetricValue(**{**m.__dict__, "colour": "amber", "reason": BOTH_LEGS[base] if pair else why})
            elif m.colour == "red" and m.key in shifted:
                m = MetricValue(**{**m.__dict__, "colour": "amber", "reason": SHIFTED})
        out.append(m)
    out = flip_capped(out, not_held)
    red = [MetricId.from_key(m.key) for m in out if m.colour == "red"]
    track_red = any(mid.metric == "knee_track" for mid in red)
    knee_red = {mid.leg for mid in red if mid.metric in PAIRED}

    def alone(m: MetricValue) -> str:
        mid = MetricId.from_key(m.key)
        if m.colour != "red":
            return ""
        if mid.metric == "knee_asymmetry" and not track_red:
            return ASYMMETRY_ALONE
        return THIGH_ALONE if mid.metric == "hip_adduction" and mid.leg not in knee_red else ""

    return [MetricValue(**{**m.__dict__, "colour": "amber", "reason": why}) if (why := alone(m)) else m for m in out]


def confirms(m: MetricValue, flipped: Mapping[str, MetricValue], specs: dict[str, MetricSpec]) -> bool:
    """Whether the flipped look confirms the red reading `m`: it reads the same leg's reading past its red line, and
    a reading that never stands red alone (`red_alone` infinite: knee_midfoot, which a wide turned-out stance reads
    too) has its partner at amber or red there as well. A finite `red_alone` (the knee-over-foot angle's) is the
    allowance for how far a mirror image moves the reading, which the flipped look measures instead: not asked again.
    """
    base, leg = MetricId.from_key(m.key)
    theirs = flipped.get(m.key)
    if theirs is None or theirs.value is None or base not in specs:
        return False
    spec = specs[base]
    if spec.colour(theirs.value) != "red" or theirs.reason == SHIFTED:  # a shift there explains the reading too
        return False
    if base not in PAIRED or spec.red_alone is None or np.isfinite(spec.red_alone):
        return True
    partner, other = flipped.get(MetricId(PAIRED[base][0], leg).key), specs.get(PAIRED[base][0])
    if partner is None or partner.value is None or other is None:
        return False
    return other.colour(partner.value) in ("amber", "red")


def flip_held(colour: Colour, area: str, not_held: Collection[str]) -> Colour:
    """`colour`, but amber for a red of an area in `not_held` (a red card the flipped look did not confirm): a red
    reading or frame under an amber card would be a claim the card does not make."""
    return "amber" if colour == "red" and area in not_held else colour


def flip_capped(ms: list[MetricValue], not_held: Collection[str]) -> list[MetricValue]:
    """`ms` coloured by `flip_held`; each reading it made amber says why (`FLIP_NOT_HELD`)."""
    return [
        MetricValue(**{**m.__dict__, "colour": "amber", "reason": FLIP_NOT_HELD})
        if flip_held(m.colour, m.area, not_held) != m.colour
        else m
        for m in ms
    ]


def flag_only(
    ms: list[MetricValue], why: str, legs: Collection[str] | None = None, flag: str = ANGLED_FLAG
) -> list[MetricValue]:
    """`ms` for a squat filmed in the flag-only views (`why`: `Analysis.knee_flag_only`; "" leaves `ms` as they are):
    a knee over foot reading that flags is amber (`flag`), never red, since the angle hides how far; one that would
    pass, or is unsure (red only without its noise allowance), is grey with `why`, since from there rendered 15° and
    25° caves read in line: only a reading that flags is evidence. With `legs`, only those legs' readings (a knee read
    against an assumed foot: `toes_only`)."""
    if not why:
        return ms
    out = []
    for m in ms:
        mid = MetricId.from_key(m.key)
        if mid.metric == "knee_track" and m.value is not None and (legs is None or mid.leg in legs):
            if m.colour in ("amber", "red"):
                m = MetricValue(**{**m.__dict__, "colour": "amber", "reason": flag})
            elif m.colour == "green" or m.unsure:
                m = MetricValue(**{**m.__dict__, "colour": "grey", "reason": why, "unsure": False})
        out.append(m)
    return out


def toes_only(ms: list[MetricValue], legs: Collection[str]) -> list[MetricValue]:
    """`flag_only` for the knees read against a foot assumed to point straight ahead, the toes being out of the picture
    (`RepAnalysis.toes_assumed`): the most lenient direction for a foot that turns out, so a knee moving inside even
    that line moved at least as far inside its own (amber, `TOES_FLAG`: how far is not known), and one that did not
    may still have moved inside a turned-out foot (grey, `TOES_OUT`)."""
    return flag_only(ms, TOES_OUT, legs, TOES_FLAG) if legs else ms


def flag_only_frame(colour: Colour, why: str) -> Colour:
    """`flag_only` for one frame's knee over foot colour."""
    if not why:
        return colour
    return "amber" if colour in ("amber", "red") else "grey"


def _clip_metrics(
    reps: list[RepAnalysis], exercise: str, specs: dict[str, MetricSpec], cleared: Collection[str] = ()
) -> list[MetricValue]:
    """The level a third of the reps reach (`_third`; complete reps when there are any); worst_rep names the worst. A
    knee over foot reading that is green, or unread, while a counted rep read it past the readable range is unsure
    (`TOWARD_UNSURE`), and its worst_rep names that rep. Readings in `cleared` are never unsure (`metric_value`)."""
    use = counted_reps([r.events.complete for r in reps])
    out: list[MetricValue] = []
    for mid in [m for m in metric_ids() if m in reps[0].values] if reps else []:
        spec = _spec(mid, specs)
        vals = np.array([reps[i].values[mid] for i in use], float)
        raws = np.array([reps[i].raw.get(mid, np.nan) for i in use], float)
        fin = np.isfinite(vals)
        reason = next((reps[i].reasons.get(mid, "") for i in use if reps[i].reasons.get(mid)), "")
        raw = _third(raws, spec.direction)
        mv = metric_value(mid, _third(vals, spec.direction), reason, exercise, specs, raw, mid.key in cleared)
        if fin.any() and spec.direction != "report":
            finite = [i for i, f in zip(use, fin, strict=True) if f]
            # unsure from a raw reading past red: the rep to check is the one whose raw reading was worst
            read = {i: reps[i].raw.get(mid, np.nan) if mv.unsure else reps[i].values[mid] for i in finite}
            worst = max(finite, key=lambda i: spec.badness(read[i]) if np.isfinite(read[i]) else -np.inf)
            mv = MetricValue(**{**mv.__dict__, "worst_rep": worst + 1})
        toward = [i for i in use if reps[i].reasons.get(mid) == FOOT_TOWARD_REASON]
        if mid.metric == "knee_track" and toward and (mv.colour == "green" or not fin.any()) and mid.key not in cleared:
            # the rep to check is the one the report holds up (`_worst_best`), so worst_rep names it
            why = TOWARD_UNSURE.format(rep=toward[0] + 1, leg=mid.leg)
            mv = MetricValue(
                **{**mv.__dict__, "colour": "grey", "reason": why, "unsure": True, "worst_rep": toward[0] + 1}
            )
        out.append(mv)
    return out


def _third(vals: np.ndarray, direction: str) -> float:
    """The clip's value of a metric: the worst level that at least a third of the reps reach (the worst rep's of
    one to three reps). A median hides a fault shown in a minority of reps: a client who caves on 3 of 8 reps has a
    fault to work on. A reported-only metric takes the median."""
    fin = np.asarray(vals, float)[np.isfinite(vals)]
    if fin.size == 0:
        return float("nan")
    if direction == "report":
        return float(np.median(fin))
    worst_first = np.sort(fin)[::-1] if direction == "high_bad" else np.sort(fin)
    return float(worst_first[int(np.ceil(fin.size / 3)) - 1])


def _verdicts(clip: list[MetricValue], passed: bool, gate_reason: str, note: str, exercise: str) -> list[Verdict]:
    out: list[Verdict] = []
    for area, label in AREAS.items():
        ms = [m for m in clip if m.area == area]
        scored = [m for m in ms if m.measurable and m.colour != "grey"]
        unsure = [m for m in ms if m.unsure]
        if passed and unsure and not any(m.colour in ("amber", "red") for m in scored):
            out.append(Verdict(area, label, "grey", UNSURE_SUMMARY, False, unsure[0].reason, unsure=True))
            continue
        context = [m for m in ms if m.measurable and m.band == REPORTED]
        if passed and not scored and context:  # measured and shown, never judged: a neutral light, not a green one
            out.append(Verdict(area, label, "grey", _summary(area, "grey", exercise, context)))
            continue
        if not passed or not scored:
            reason = gate_reason if not passed else _grey_reason(ms, note)
            out.append(Verdict(area, label, "grey", "Not measurable from this video.", False, reason))
            continue
        colour: Colour = max((m.colour for m in scored), key=lambda c: SEVERITY[c])
        if area == "knee_tracking" and exercise == "lunge" and colour == "green":
            out.append(Verdict(area, label, "grey", "Not measurable from this video.", False, LUNGE_KNEE_REASON))
            continue
        one = one_knee_read(ms, scored) if area == "knee_tracking" and exercise != "lunge" and colour == "green" else ""
        if one:
            out.append(Verdict(area, label, "grey", UNSURE_SUMMARY, False, one, unsure=True))
            continue
        out.append(Verdict(area, label, colour, _summary(area, colour, exercise, scored)))
    return hips_follow_knees(out, exercise)


def one_knee_read(ms: list[MetricValue], scored: list[MetricValue]) -> str:
    """`ONE_KNEE` where a squat's knee card would be green on one knee's readings alone (`scored`), the other knee not
    judged (its reason from `ms`); "" where both knees were read, or neither. A squat's card speaks for both knees, and
    a cave is often one-sided: a real cave filmed from behind, the knee that caved more at the picture's edge, read
    green on the other knee alone."""
    legs = {MetricId.from_key(m.key).leg for m in scored if MetricId.from_key(m.key).metric in PAIRED}
    if len(legs) != 1:
        return ""
    (leg,) = legs
    other = "right" if leg == "left" else "left"
    mine = sorted(
        (m for m in ms if MetricId.from_key(m.key).leg == other and MetricId.from_key(m.key).metric in PAIRED),
        key=lambda m: MetricId.from_key(m.key).metric != "knee_track",
    )
    why = next((m.reason for m in mine if m.reason), "it could not be read")
    return ONE_KNEE.format(leg=leg, other=other, why=why)


def hips_follow_knees(verdicts: list[Verdict], exercise: str) -> list[Verdict]:
    """A green hip control card turned amber, with `HIPS_BESIDE_KNEES`' sentence, where the knee card is amber or red.
    Any other card, any set whose knees are not flagged, and any whose knee card only asks for a look (a camera at an
    angle, the feet cut off, the knees shifting to one side together) is returned as it is: the hip card must not
    state the fault the knee card says it cannot tell."""
    knee = next((v for v in verdicts if v.area == "knee_tracking"), None)
    if knee is None or not knee.measurable or knee.colour not in ("amber", "red"):
        return verdicts
    if knee.summary in (ANGLED_SUMMARY, TOES_SUMMARY, SHIFTED_SUMMARY):
        return verdicts
    said = HIPS_BESIDE_KNEES[("lunge" if exercise == "lunge" else "squat", knee.colour)]
    turned = [v.area == "hip_control" and v.measurable and v.colour == "green" for v in verdicts]
    return [replace(v, colour="amber", summary=said) if t else v for v, t in zip(verdicts, turned, strict=True)]


def _grey_reason(ms: list[MetricValue], default: str) -> str:
    """Why an area could not be judged: the knees' travel angles' reasons first (the knee card's own reading), and not
    its rear knee's while another says why the front knee was not judged (a forward lunge's card said "rear leg in a
    lunge: only the front knee is judged", and not that the front foot stepped away); never that a reading measures
    the other exercise (`OTHER_EXERCISE`: a lunge's middle of the foot among them)."""
    first = sorted(ms, key=lambda m: MetricId.from_key(m.key).metric != "knee_track")  # stable: legs stay in order
    reasons = [m.reason for m in first if m.reason and m.reason != OTHER_EXERCISE]
    return next((r for r in reasons if r != REAR_LEG), reasons[0] if reasons else default)


def _summary(area: str, colour: Colour, exercise: str, scored: list[MetricValue]) -> str:
    """The area's sentence: lunges speak of the front knee; depth says what was measured unless it is judged."""
    if area == "knee_tracking" and exercise == "lunge":
        return LUNGE_KNEE_SUMMARY[colour]
    if area == "knee_tracking" and any(m.reason == ANGLED_FLAG for m in scored):
        return ANGLED_SUMMARY
    if area == "knee_tracking" and any(m.reason == TOES_FLAG for m in scored):
        return TOES_SUMMARY
    if area == "knee_tracking" and any(m.reason == SHIFTED and m.colour == colour for m in scored):
        return SHIFTED_SUMMARY
    if area == "depth" and any(m.band != REPORTED for m in scored):
        return DEPTH_JUDGED[colour]
    thigh = next((m for m in scored if m.key == "depth_thigh_deg"), None)
    if area == "depth" and thigh is not None:
        return f"Thigh angle at the bottom: {thigh.display} (0° = parallel, below it negative). Not judged."
    if area == "hip_control" and colour == "green" and all(m.key == "knee_asymmetry" for m in scored):
        return HIP_KNEES_ONLY
    if area == "hip_control" and colour in ("amber", "red"):
        flagged = {MetricId.from_key(m.key).metric for m in scored if m.colour == colour}
        said = [HIP_SUMMARY[k][colour == "red"] for k in HIP_SUMMARY if k in flagged]
        if said:
            return " ".join(said)
    return SUMMARY.get((area, colour), SUMMARY.get((area, "green"), ""))


def _quality(clean: CleanReport, a: Analysis | None, min_quality: float) -> tuple[Quality, str]:
    """The data-quality gate: enough frames, the client seen, legs usable in the reps, at least one rep."""
    notes: list[str] = []
    if clean.frames < MIN_FRAMES or clean.seen_frac == 0:
        reason = "no person was found in this video" if clean.seen_frac == 0 else "the video is too short"
    elif a is None or not a.reps:
        reason = "no squat or lunge repetitions were found"
    elif a.legs_frac_reps < min_quality:
        reason = f"hips, knees and ankles were visible in only {a.legs_frac_reps:.0%} of the rep frames"
    else:
        reason = ""
    if clean.long_gaps_s and not (a is not None and a.view.view == "side"):  # from the side the far leg hides
        n = len(clean.long_gaps_s)
        times = "once" if n == 1 else "twice" if n == 2 else f"{n} times"
        notes.append(f"Part of a leg was out of sight for more than a moment {times}; it was not measured then.")
    if clean.swaps_repaired:
        n = clean.swaps_repaired
        notes.append(f"Left and right were swapped by the pose model in {n} frame{'s' if n != 1 else ''}; repaired.")
    if reason:
        notes.insert(0, capitalised(reason) + ".")
    q = Quality(
        frames=clean.frames,
        seen_frac=round(clean.seen_frac, 3),
        legs_frac=round(1.0 - clean.left_missing_frac, 3),
        interpolated_frac=round(clean.interpolated_frac, 3),
        swaps_repaired=clean.swaps_repaired,
        outliers_removed=clean.outliers_removed,
        passed=not reason,
        notes=notes,
        keypoint_every=clean.keypoint_every,
    )
    return q, reason


def _series(
    a: Analysis | None, t_s: np.ndarray, specs: dict[str, MetricSpec], persist: int, not_held: Collection[str] = ()
) -> Series:
    n = t_s.size
    spec = specs.get("knee_track")
    if a is None or spec is None:
        nan = [float("nan")] * n
        return Series(list(map(float, t_s)), nan, nan, nan, ["grey"] * n, ["grey"] * n, [0] * n)
    kl = a.knee_angle.get("left", np.full(n, np.nan))
    kr = a.knee_angle.get("right", np.full(n, np.nan))
    judged = {(key, leg): r for key in PAIRED for leg in LEG_NAMES if (r := _held_colours(a, key, leg, specs, persist))}
    return Series(
        t_s=[float(x) for x in t_s],
        hip_depth=[float(x) for x in np.clip(a.depth, 0.0, 1.0)],
        knee_left=[float(x) for x in kl],
        knee_right=[float(x) for x in kr],
        knee_colour_left=_frame_colours(a, "left", judged, not_held),
        knee_colour_right=_frame_colours(a, "right", judged, not_held),
        rep_of_frame=[int(x) for x in a.rep_of_frame],
        knee_metric=spec.key,
        knee_unit=spec.unit,
        knee_band=(spec.amber, spec.red),
        knee_label=spec.label_for(None),
        leg_lost_left=_flags(a.leg_lost.get("left")),
        leg_lost_right=_flags(a.leg_lost.get("right")),
    )


def checked_frames(ser: Series, verdicts: list[Verdict], clip: list[MetricValue]) -> Series:
    """`ser` with the green frames of the rep a knee card asks to check (`check_rep`) turned grey ("not judged") on
    the knee its reason names, both where it names none: the annotated clip paused on that rep with both knee lines
    green under a card saying the knee read −21° and could not be told (a frame is coloured after its noise bound, a
    card's doubt is about the reading before it)."""
    readings = check_readings(verdicts, clip)
    rep = readings[0].worst_rep if readings else None  # `check_rep`
    if rep is None:
        return ser
    legs = {MetricId.from_key(m.key).leg for m in readings}
    legs = set(LEG_NAMES) if None in legs else legs
    in_rep = np.asarray(ser.rep_of_frame, np.intp) == rep

    def greyed(colours: list[str], leg: str) -> list[str]:
        if leg not in legs:
            return colours
        return ["grey" if c == "green" and inside else c for c, inside in zip(colours, in_rep, strict=True)]

    return replace(
        ser,
        knee_colour_left=greyed(ser.knee_colour_left, "left"),
        knee_colour_right=greyed(ser.knee_colour_right, "right"),
    )


def _flags(x: np.ndarray | None) -> list[bool]:
    """Per-frame flags for the result file; none set: empty (a leg lost is rare, and a clip runs to thousands of
    frames)."""
    return [bool(v) for v in x] if x is not None and x.any() else []


def _held_colours(
    a: Analysis, key: str, leg: str, specs: dict[str, MetricSpec], persist: int
) -> tuple[MetricSpec, np.ndarray, list[Colour]] | None:
    """A judged knee reading's frames for one leg, each held over `persist` frames (`held_values`), and their band
    colours; None where it is not read or not scored for this exercise."""
    spec, x = specs.get(key), {"knee_track": a.knee_angle, "knee_midfoot": a.knee_midfoot}[key].get(leg)
    if spec is None or x is None or a.exercise.exercise not in spec.scored_for:
        return None
    held = held_values(np.asarray(x, np.float64), persist, spec.direction == "low_bad")
    return spec, held, [spec.colour(float(v)) for v in held]


def _frame_colours(
    a: Analysis,
    leg: Leg,
    judged: Mapping[tuple[str, Leg], tuple[MetricSpec, np.ndarray, list[Colour]]],
    not_held: Collection[str] = (),
) -> list[str]:
    """Per frame, the worse colour of the knee's judged readings that are scored for this exercise (its travel angle
    and how far inside the midfoot it sits); grey where neither is read. The annotated clip colours what is judged:
    like the rep's reading, a frame takes a colour only inside a run of `persist` frames that all reach it (a
    one-frame flash past red beside a held amber showed a red knee on a clip whose verdict was "watch"). With
    knee tracking in `not_held` (its red card not confirmed by the flipped look) no frame is red, nor in a rep where
    this leg is shifted (`shifted_legs`). `judged`: each leg's `_held_colours` by (reading, leg)."""
    n = a.t_s.size
    read = {key: r for key in PAIRED if (r := judged.get((key, leg)))}
    out: list[str] = ["grey"] * n
    toes = a.toes_assumed.get(leg)
    shifted = np.array([False] + [leg in _rep_shifted(r) for r in a.reps])[np.asarray(a.rep_of_frame, np.intp)]
    for key, (spec, held, colours) in read.items():
        other = read.get(PAIRED[key][0])
        both = judged.get((key, OTHER_LEG[leg])) if a.exercise.exercise == "squat" and key in BOTH_LEGS else None
        for i in np.flatnonzero(np.isfinite(held)):
            # `corroborated`, frame by frame
            c = paired_colour(
                colours[i], float(held[i]), spec, other[2][i] if other else None, both[2][i] if both else None
            )
            c = "amber" if c == "red" and shifted[i] else c  # `SHIFTED`, frame by frame
            c = flip_held(c, spec.area, not_held)
            c = flag_only_frame(c, a.knee_flag_only) if key == "knee_track" else c
            c = flag_only_frame(c, TOES_OUT) if key == "knee_track" and toes is not None and toes[i] else c
            out[i] = c if SEVERITY[c] > SEVERITY[out[i]] else out[i]
    return out


def _reps(
    a: Analysis, specs: dict[str, MetricSpec], not_held: Collection[str] = (), cleared: Collection[str] = ()
) -> list[Rep]:
    out: list[Rep] = []
    for i, r in enumerate(a.reps):
        ex = a.exercise.exercise
        ms = flag_only(
            corroborated(
                [
                    metric_value(
                        m, r.values[m], r.reasons.get(m, ""), ex, specs, r.raw.get(m, np.nan), m.key in cleared
                    )
                    for m in metric_ids()
                    if m in r.values
                ],
                specs,
                not_held,
                {MetricId(base, leg).key for base in PAIRED for leg in _rep_shifted(r)},
                ex == "squat",
            ),
            a.knee_flag_only,
        )
        ms = toes_only(ms, r.toes_assumed)
        scored = [m.colour for m in ms if m.colour != "grey"]
        colour: Colour = max(scored, key=lambda c: SEVERITY[c]) if scored else "grey"
        e = r.events
        out.append(
            Rep(
                index=i + 1,
                start_s=float(a.t_s[e.start]),
                bottom_s=float(a.t_s[e.bottom]),
                end_s=float(a.t_s[e.end]),
                lead_leg=r.lead_leg,
                eccentric_s=round(r.tempo[0], 2),
                concentric_s=round(r.tempo[2], 2),
                complete=e.complete,
                metrics=ms,
                colour=colour,
            )
        )
    return out


def _worst_best(a: Analysis, reps: list[Rep], check: int | None = None) -> tuple[int | None, int | None]:
    """Hardest and best reps, 1-based: by each rep's worst colour, then how many reds and ambers it drew, then by
    the more inward knee of the two; but while no rep is amber or red, the hardest is the rep `check` names (the one
    a "check this in the video" card asks the coach to look at). Picked among the reps the clip's verdict reads
    (complete ones when there are any, as `_clip_metrics`): a rep cut off by the video's end, or left for something
    else (a real clip's last dip went on into push-ups and read red), is listed but is not the one the report holds
    up. None for both when nothing measured tells them apart (every rep the same colours and no knee read): naming
    the first rep "best" and the last "hardest" would be a claim without evidence (reps nothing measured, all grey,
    are left out of that comparison). For the same reason the best is never a rep nothing measured, nor the rep to
    check or one whose knee was read past the readable range, nor the hardest rep itself; and there is no best when
    every rep is amber, or every rep red."""
    if not reps:
        return None, None
    counted = counted_reps([r.complete for r in reps])

    def key(i: int) -> tuple[int, int, int, float]:
        v = a.reps[i].values
        both = np.array([v.get(MetricId("knee_track", leg), np.nan) for leg in ("left", "right")])
        knee_in = -float(np.nanmin(both)) if np.isfinite(both).any() else 0.0  # larger = more inward
        colours = [m.colour for m in reps[i].metrics]
        # grey (unmeasured) ranks below green
        return SEVERITY[reps[i].colour], colours.count("red"), colours.count("amber"), knee_in

    def to_check(i: int) -> bool:
        return i + 1 == check or any(
            a.reps[i].reasons.get(MetricId("knee_track", leg)) == FOOT_TOWARD_REASON for leg in ("left", "right")
        )

    order = sorted(counted, key=key)
    measured = [i for i in order if reps[i].colour != "grey"] or order  # a grey rep tells nothing apart
    if check is not None and check - 1 in order and SEVERITY[reps[order[-1]].colour] <= SEVERITY["green"]:
        order = [i for i in order if i != check - 1] + [check - 1]
    elif len(measured) > 1 and key(measured[-1]) == key(measured[0]):
        return None, None
    worst = reps[order[-1]]
    shown = [i for i in order if reps[i].colour != "grey" and not to_check(i)]
    if not shown or shown[0] == order[-1]:  # the one rep the readings show is no better than itself
        return order[-1] + 1, None
    best = reps[shown[0]]
    if best.colour in ("amber", "red") and best.colour == worst.colour:
        # every rep flagged alike: the least flagged is no "best" (a real set's red rep was, for a knee not seen)
        return order[-1] + 1, None
    return order[-1] + 1, shown[0] + 1


def _cues(verdicts: list[Verdict], clip: list[MetricValue]) -> list[str]:
    """At most two cues, each said once: the worst colour first, ties in area order (knees before hips before trunk).

    An area's cue is its worst metric's own cue when it has one (`METRIC_CUES`), else the area's.
    """
    flagged = [v for v in verdicts if v.measurable and v.colour in ("amber", "red") and v.area in CUES]
    order = list(AREAS)
    flagged.sort(key=lambda v: (-SEVERITY[v.colour], order.index(v.area)))

    def cue(v: Verdict) -> str:
        here = (m for m in clip if m.area == v.area and m.colour == v.colour)
        worst = [MetricId.from_key(m.key).metric for m in here]
        if v.area == "hip_control" and not worst:  # amber for the knees alone (`hips_follow_knees`)
            return CUES["knee_tracking"]
        return next((c for k, c in METRIC_CUES.items() if k in worst), CUES[v.area])  # in METRIC_CUES' order

    return list(dict.fromkeys(cue(v) for v in flagged))[:2]


PATTERN_NOTE = {
    "same leg": "Lunges on the same leg each rep.",
    "alternating": "Lunges on alternating legs.",
    "walking": "Walking lunges.",
}


def _notes(a: Analysis | None, not_held: Collection[str] = (), cleared: Collection[str] = ()) -> list[str]:
    if a is None:
        return []
    notes = list(a.notes)
    if not_held:
        areas = capitalised(" and ".join(AREAS[x].lower() for x in not_held))
        notes.append(FLIP_NOTE.format(areas=areas, it_is="they are" if len(not_held) > 1 else "it is"))
    if cleared:
        notes.append(FLIP_CLEARED_NOTE)
    v = a.view
    if v.view == "oblique":
        notes.append(
            f"{ANGLED_NOTE} (about {v.yaw_deg:.0f}° from square-on). For knees and hips film square-on from the "
            "front; for depth and trunk, from the side."
        )
    elif v.view == "front":
        notes.append("Filmed from the front: depth and trunk lean need a side view.")
    elif v.view == "side":
        notes.append("Filmed from the side: knees and hips need a front view.")
    if a.exercise.pattern:
        notes.append(PATTERN_NOTE.get(a.exercise.pattern, f"Lunges, {a.exercise.pattern}."))
    return notes


def evaluate(
    track: PoseTrack, settings: Settings, video_name: str, flip_check: Mapping[str, bool] | None = None
) -> ClipResult:
    """Clean, analyse and score one client track.

    Args:
        track: the client's raw keypoint track (may be empty or have no person).
        settings: loaded settings; uses `.clean`, `.analysis` and `.metrics`.
        video_name: file name shown in the report.
        flip_check: for a second scoring after the pose model's look at the flipped video (`pipeline.mirror`):
            each red card checked (by area) -> whether the flipped look confirmed it, one it did not being amber; each
            knee reading to check (by metric key) -> whether its doubt held there, one that did not being green
            (`pipeline.mirror.held`).

    Returns:
        The clip's result. Never raises for an empty or useless track: its verdicts are grey with the reason
        and `quality.passed` is False.
    """
    cleaned, clean = clean_track(track, settings.clean)
    return evaluate_cleaned(cleaned, clean, settings, video_name, flip_check)


def evaluate_cleaned(
    cleaned: PoseTrack,
    clean: CleanReport,
    settings: Settings,
    video_name: str,
    flip_check: Mapping[str, bool] | None = None,
) -> ClipResult:
    """`evaluate` for a track already through `clean_track` (the job also draws the cleaned track: clean once)."""
    specs = settings.metrics
    flip_check = dict(flip_check or {})
    not_held = [area for area, held in flip_check.items() if not held and area in AREAS]
    cleared = [key for key, held in flip_check.items() if not held and key not in AREAS]
    a = analyse(cleaned, settings.analysis) if clean.frames >= MIN_FRAMES and clean.seen_frac > 0 else None
    quality, gate = _quality(clean, a, settings.analysis.min_quality)
    exercise = a.exercise.exercise if a else "unknown"
    reps = _reps(a, specs, not_held, cleared) if a else []
    clip = (
        toes_only(
            flag_only(
                corroborated(
                    _clip_metrics(a.reps, exercise, specs, cleared),
                    specs,
                    not_held,
                    clip_shifted(a.reps, reps),
                    exercise == "squat",
                ),
                a.knee_flag_only,
            ),
            {leg for r in a.reps for leg in r.toes_assumed},
        )
        if a
        else []
    )
    note = "" if a is None else "not measurable in this view"
    verdicts = _verdicts(clip, quality.passed, gate, note, exercise)
    worst, best = _worst_best(a, reps, check_rep(verdicts, clip)) if a else (None, None)
    t_s = np.asarray(cleaned.t_s, float)
    return ClipResult(
        video=video_name,
        view=a.view.view if a else "unknown",
        view_confidence=a.view.confidence if a else 0.0,
        exercise=exercise,
        exercise_confidence=a.exercise.confidence if a else 0.0,
        fps=float(cleaned.fps) if cleaned.fps else 0.0,
        duration_s=float(t_s[-1] - t_s[0]) if t_s.size > 1 else 0.0,
        backend=cleaned.backend,
        model_id=cleaned.model_id,
        quality=quality,
        reps=reps,
        clip_metrics=clip,
        verdicts=verdicts,
        cues=_cues(verdicts, clip) if quality.passed else [],
        series=checked_frames(_series(a, t_s, specs, settings.analysis.persist_frames, not_held), verdicts, clip),
        notes=_notes(a, not_held, cleared),
        worst_rep=worst if reps else None,
        best_rep=best if reps else None,
        flip_check=flip_check,
    )
