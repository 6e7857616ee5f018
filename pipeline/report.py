"""The client's page: `report.html` beside the annotated clip, and `<video>.share.html`, the same page in one file.

`write_report(result, out_dir, meta, keyframes, settings)` and `write_share(...)` read a `ClipResult` (and the
key frames from `annotate`) and write through `pipeline.files.write_atomic`. Python decides and formats everything
here: the template receives one documented frozen dataclass (`ReportContext`) and only loops, tests pre-computed
flags and prints strings. The pieces the overview (`pipeline.index`) and the client pages (`pipeline.progress`)
share with it (badges, page chrome, the Jinja environment) live here too.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from pipeline.files import write_atomic
from pipeline.metrics import SEVERITY, capitalised, whole_reps
from pipeline.plots import depth_plot_svg, knee_plot_svg
from pipeline.resources import data_dir
from pipeline.result import (
    ANGLED_NOTE,
    OTHER_EXERCISE,
    UNKNOWN_VIEW,
    VIEW_WORDS,
    ClipResult,
    MetricValue,
    Verdict,
    check_rep,
)
from pipeline.settings import ReportSettings

if TYPE_CHECKING:
    from pipeline.annotate import KeyFrames

log = logging.getLogger(__name__)

WORDS = {"green": ("Good", "✓"), "amber": ("Watch", "!"), "red": ("Work on", "✕"), "grey": ("Not measured", "?")}
AREA_ORDER = ("knee_tracking", "hip_control", "depth", "trunk")
SIDE_AREAS = ("depth", "trunk")  # shown for side/oblique views, or whenever scoring could measure them
LIMITS = (
    "One camera sees the body flat. Knees caving in on video mixes hip and knee movements that only a 3D "
    "system separates, so we show how your knees track over your feet, not joint angles inside the knee.",
    "Hip rotation happens around the body's long axis and cannot be measured from one video. We judge hip "
    "control from what the camera can see: knees over the feet, hips level, trunk upright.",
    "Video angles carry an error of about 3°, so changes smaller than about 8° between reps or sessions are "
    "noise, not progress (Munro, Herrington & Carolan 2012).",
    "Foot position (toe-out, heel lift) is only seen when the pose model finds the feet.",
    "Knees moving in, or passing the toes, is not an injury diagnosis and predicts injury only weakly "
    "(Räisänen 2018; Fry 2003).",
)
DISCLAIMER = (
    "This is coaching feedback from one video, not a medical assessment or diagnosis. "
    "If something hurts, talk to a health professional."
)


# a repository path or file name ("pipeline/synth/README.md", "corpus.toml"): never shown to a client
_PATHLIKE = re.compile(
    r"(?:\b[\w.-]+/)+[\w.-]+\.\w{1,5}\b|\b(?:pipeline|benchmarks|configs|tests|templates)/\S*"
    r"|\b[\w-]+\.(?:md|toml|py|json|csv|html|txt|npz)\b|\bREADME\b"
)
_INTERNAL = re.compile(r"\bPROVISIONAL\b|\bTODO\b|\bFIXME\b")


def plain_source(text: str) -> str:
    """A band's source as a client may read it: sentences carrying an internal note ("PROVISIONAL …") dropped,
    brackets holding a file path or name dropped, and any path left dropped. configs/bands.toml is meant to say
    the study or measurement in plain words; this keeps a slip there from reaching a client's page."""
    sentences = re.split(r"(?<=\.)\s+", text.strip())
    kept = []
    for sentence in sentences:
        if _INTERNAL.search(sentence):
            continue
        sentence = re.sub(r"\s*\([^()]*\)", lambda m: "" if _PATHLIKE.search(m.group(0)) else m.group(0), sentence)
        sentence = _PATHLIKE.sub("", sentence)
        sentence = re.sub(r"\s+([,;.:)])", r"\1", re.sub(r"\s{2,}", " ", sentence)).strip(" ,;:")
        sentence = re.sub(r"\(\s*[,;]?\s*\)", "", sentence.replace("( ", "("))
        if re.search(r"\w{3}", sentence):
            kept.append(sentence)
    return " ".join(kept)


def doc_field(help_: str) -> Any:
    return field(metadata={"help": help_})


@dataclass(frozen=True)
class Badge:
    """A traffic light: colour class, word and icon, so colour is never the only signal."""

    colour: str
    word: str
    icon: str


def badge(colour: str) -> Badge:
    """The badge for a band colour; unknown colours read as not measured."""
    colour = colour if colour in WORDS else "grey"
    return Badge(colour, *WORDS[colour])


# grey, but not for want of a measurement: the reading is in the band by less than its error, so a person decides
CHECK = Badge("grey", "Check video", "?")
# grey, measured: shown for information (a reported-only metric, or a band not used for this exercise), never judged
CONTEXT = Badge("grey", "For context", "i")


def verdict_badge(v: Verdict) -> Badge:
    """A verdict's light (`Verdict.state`): its colour when judged; "For context" when measured but never judged;
    "Check video" when the evidence could not decide; else grey."""
    return {"context": CONTEXT, "check": CHECK}.get(v.state) or badge(v.state)


@dataclass(frozen=True)
class PageChrome:
    """What base.html prints around every page: title, coach branding, footer."""

    title: str
    coach_name: str  # shown in the header; "Form review" when the coach set none
    logo_uri: str  # data: URI, or "" for none
    brand: str  # CSS hex
    on_brand: str  # text colour with AA contrast on `brand`
    footer: str


@dataclass(frozen=True)
class Light:
    label: str
    badge: Badge
    summary: str


@dataclass(frozen=True)
class MetricRow:
    label: str
    value: str
    badge: Badge
    band: str
    note: str  # "Not measurable from this video: …" for grey rows, else what the colour means


@dataclass(frozen=True)
class RepView:
    title: str
    detail: str
    badge: Badge
    rows: list[MetricRow]


@dataclass(frozen=True)
class Picture:
    title: str
    caption: str
    uri: str
    alt: str


@dataclass(frozen=True)
class Plot:
    title: str
    caption: str
    svg: Markup


@dataclass(frozen=True)
class Fact:
    term: str
    value: str


@dataclass(frozen=True)
class ReportContext:
    """Everything report.html (and base.html, _macros.html) may read. A test keeps this equal to the templates."""

    page: PageChrome = doc_field("Title, coach branding and footer, for base.html.")
    heading: str = doc_field("Page heading, e.g. 'Squat review for Anna'.")
    subtitle: str = doc_field("Video name, view, reps and length in one line.")
    verdict: Badge = doc_field("Overall colour, word and icon: the worst measurable area.")
    headline: str = doc_field("The verdict in words, e.g. 'Good squats: watch your knees'.")
    detail: str = doc_field("One sentence under the headline (the worst area's summary).")
    quality_warning: str = doc_field("Shown above everything when the data-quality gate failed; '' otherwise.")
    lights: list[Light] = doc_field("Traffic lights per area, most important first.")
    cues: list[str] = doc_field("At most two coaching cues, most important first.")
    clip_href: str = doc_field("Relative URL of the annotated clip.")
    clip_caption: str = doc_field("Under the clip: what the knee lines' colours mean, and where the clip pauses.")
    poster_uri: str = doc_field("data: URI of a still for the video player; '' for none.")
    clip_size: tuple[int, int] | None = doc_field(
        "(width, height) of the annotated clip in pixels, so the player box takes its shape before it loads: a "
        "landscape clip on a phone no longer sits in a tall empty box. None when unknown."
    )
    pictures: list[Picture] = doc_field("Hardest and best rep key frames (data: URIs); one when they are the same rep.")
    pictures_heading: str = doc_field("The pictures' heading: they compare two reps, or show the one.")
    clip_rows: list[MetricRow] = doc_field("Whole-set metrics (the level a third of the reps reach).")
    reps: list[RepView] = doc_field("One entry per rep with its metric rows.")
    unmeasured: list[str] = doc_field(
        "Measures not taken in any rep of this video, one line per reason (e.g. 'Needs a side view: …'): their "
        "rows are left out of the table, which from the side would otherwise be mostly grey."
    )
    plots: list[Plot] = doc_field("Inline SVG plots with titles and captions.")
    facts: list[Fact] = doc_field("How we measured: model, view, frames, data quality, processing.")
    bands: list[Fact] = doc_field("Each band in words with its source.")
    limits: list[str] = doc_field("What a single 2D camera cannot measure.")
    notes: list[str] = doc_field("Caveats from the analysis, in plain words.")
    disclaimer: str = doc_field("Coaching, not a diagnosis.")


@dataclass(frozen=True)
class ReportMeta:
    """Facts about the run that are not part of the analysis result."""

    video_name: str
    client_name: str
    processing_s: float
    backend: str
    model_id: str  # model names with sha256 prefixes
    version: str  # formreview version
    clip_href: str = "annotated.mp4"
    generated_at: str = ""
    clip_size: tuple[int, int] | None = None  # (width, height) px of the annotated clip


def templates_dir(s: ReportSettings | None = None) -> list[Path]:
    """Template folders, searched in order: the coach's override, then the installed or repository copy."""
    dirs = [Path(s.templates)] if s is not None and s.templates else []
    return [*dirs, data_dir("templates")]


def environment(s: ReportSettings | None = None) -> jinja2.Environment:
    """The jinja2 environment: autoescape on (file names are user input), StrictUndefined (typos fail loudly)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in templates_dir(s)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def context_dict(ctx: Any) -> dict[str, Any]:
    """The keys a template is rendered with: exactly the dataclass fields (shallow, objects kept)."""
    return {f.name: getattr(ctx, f.name) for f in fields(ctx)}


def data_uri(raw: bytes | None, mime: str = "image/jpeg") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}" if raw else ""


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def page_chrome(title: str, s: ReportSettings, footer: str) -> PageChrome:
    brand = s.brand_colour if re.fullmatch(r"#(?:[0-9a-fA-F]{3}){1,2}", s.brand_colour or "") else "#1f5f8b"
    return PageChrome(title, s.coach_name or "Form review", _logo_uri(s.logo), brand, _on_colour(brand), footer)


def _on_colour(hex_: str) -> str:
    """White or near-black text, whichever contrasts more with `hex_` (WCAG relative luminance)."""
    h = hex_.lstrip("#")
    h = "".join(c * 2 for c in h) if len(h) == 3 else h

    def lin(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(int(h[i : i + 2], 16)) for i in (0, 2, 4))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.05) else "#111111"


def _logo_uri(path: str) -> str:
    if not path:
        return ""
    mime = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
    p = Path(path).expanduser()
    kind = mime.get(p.suffix.lower())
    try:
        raw = p.read_bytes()
    except OSError as e:
        log.warning("report logo %s not read (%s); the report has no logo", p, e.strerror)
        return ""
    if kind is None or len(raw) > 2_000_000:
        log.warning("report logo %s must be a PNG, JPEG or SVG under 2 MB; the report has no logo", p)
        return ""
    return data_uri(raw, kind)


def client_name_for(video_path: Path) -> str:
    """The client's name for a video: a sidecar file, else the file name's prefix, else "".

    Looked up in order: `<stem>.json` or `<name>.json` with a "client_name", "client" or "name" string;
    `<stem>.txt` or `<name>.txt`, first non-empty line; the part of the file name before "__" or " - "
    ("Anna Smith - squat front.mp4" → "Anna Smith").
    """
    video_path = Path(video_path)
    for side in (video_path.with_suffix(".json"), video_path.with_name(video_path.name + ".json")):
        try:
            d = json.loads(side.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key in ("client_name", "client", "name"):
            if isinstance(d, dict) and isinstance(d.get(key), str) and d[key].strip():
                return _clean_name(d[key])
    for side in (video_path.with_suffix(".txt"), video_path.with_name(video_path.name + ".txt")):
        try:
            lines = [ln.strip() for ln in side.read_text(encoding="utf-8").splitlines() if ln.strip()]
        except (OSError, UnicodeDecodeError):
            continue
        if lines:
            return _clean_name(lines[0])
    for sep in ("__", " - "):
        if sep in video_path.stem:
            return _clean_name(video_path.stem.split(sep, 1)[0].replace("_", " "))
    return ""


def _clean_name(s: str) -> str:
    return " ".join("".join(c for c in s if c.isprintable()).split())[:80]


# ---------------------------------------------------------------------------------------------------- client page


def worst_verdict(verdicts: list[Verdict]) -> Verdict | None:
    scored = [v for v in verdicts if v.measurable and v.colour != "grey"]
    return max(scored, key=lambda v: SEVERITY[v.colour], default=None)


def overall_state(verdicts: list[Verdict]) -> str:
    """A video's overall state, for the page's badge, the index's order and summary.csv: its worst judged colour, but
    "check" where a card asks for a look and nothing is amber or red (a set that asks is not filed with the good ones,
    and a page over a real knee cave that read "check" opened with "Good squat")."""
    worst = worst_verdict(verdicts)
    if (worst is None or worst.colour == "green") and any(v.unsure for v in verdicts):
        return "check"
    return worst.colour if worst else "grey"


def _metric_row(m: MetricValue, where: str = "from this video") -> MetricRow:
    """`where` the metric could not be measured: the set's rows say "from this video", a rep's rows "in this rep"
    (one rep's foot turned toward the camera says nothing about the others)."""
    if m.unsure:
        return MetricRow(m.label, m.display, CHECK, m.band, capitalised(m.reason) + ".")
    if m.measurable and m.colour == "grey":  # measured, but reported only or its band is not used for this exercise
        return MetricRow(m.label, m.display, CONTEXT, m.band, m.reason)
    if not m.measurable or m.colour == "grey":
        why = f": {m.reason}" if m.reason else ""
        return MetricRow(m.label, "—", badge("grey"), m.band, f"Not measurable {where}{why}")
    return MetricRow(m.label, m.display, badge(m.colour), m.band, m.reason)


def _never_measured(result: ClipResult) -> set[str]:
    """Metric keys measured neither for the whole set nor in any rep."""
    every = [*result.clip_metrics, *(m for r in result.reps for m in r.metrics)]
    return {m.key for m in every} - {m.key for m in every if m.measurable}


def _unmeasured(result: ClipResult, never: set[str]) -> list[str]:
    """'Needs a side view: thigh angle at the bottom, …' lines, grouped by reason, in table order; the other
    exercise's measures are not missing (every squat's page listed a lunge's side-to-side stance)."""
    by_reason: dict[str, list[str]] = {}
    for m in result.clip_metrics:
        if m.key in never and m.reason != OTHER_EXERCISE:
            why = m.reason or "not measurable from this video"
            by_reason.setdefault(capitalised(why), []).append(m.label)
    return [f"{why}: {', '.join(labels)}." for why, labels in by_reason.items()]


def _rep_view(
    r: Any, result: ClipResult, never: set[str], check: int | None = None, checks: Collection[int] = ()
) -> RepView:
    """`check`: the rep the knee card asks to check (`check_rep`), tagged so where it is the one held up; a rep in
    `checks` (`reps_to_check`) is badged "check" unless flagged."""
    hardest = "to check" if r.index == check else "hardest"
    tags = [t for t, on in ((hardest, r.index == result.worst_rep), ("best", r.index == result.best_rep)) if on]
    tags = [] if len(result.reps) == 1 else tags  # a single rep is neither hardest nor best
    # a phase under 0.05 s was not seen (a video that opens at the bottom): "down 0.0 s" would be a reading
    tempo = (("down", r.eccentric_s), ("up", r.concentric_s))
    bits = [f"{word} {x:.1f} s" if x is not None and x >= 0.05 else "" for word, x in tempo]
    if r.lead_leg:
        bits.append(f"{r.lead_leg} leg in front")
    if not r.complete:
        bits.append("cut off by the start or end of the video")
    title = f"Rep {r.index}" + (f" ({', '.join(tags)})" if tags else "")
    rows = [_metric_row(m, "in this rep") for m in r.metrics if m.key not in never]
    return RepView(title, " · ".join(b for b in bits if b), CHECK if _to_check(r, checks) else badge(r.colour), rows)


KNEES_AND_HIPS = ("knee_tracking", "hip_control")
WATCH_WORDS = {"knee_tracking": "knees", "hip_control": "hip control", "depth": "depth", "trunk": "trunk angle"}


def _headline(result: ClipResult, worst: Verdict | None) -> tuple[str, str]:
    one = len(whole_reps(result.reps)) == 1
    noun = {"squat": "squat", "lunge": "lunge"}.get(result.exercise, "rep") + ("" if one else "s")
    unsure = [v.label.lower() for v in result.verdicts if v.unsure]
    tally = f"{_rep_tally(result, reps_to_check(result))}{_not_checked(result)}"
    if worst is not None and overall_state(result.verdicts) == "check":  # no good news before the look
        return f"Check your {unsure[0]} in the video", tally
    if worst is None:  # an angled camera is the one thing the coach can change: say how to film, before the rest
        angled = [n for n in result.notes if n.startswith(ANGLED_NOTE)]
        reasons = [*angled, *(v.reason for v in result.verdicts if v.reason and not v.unsure), *result.quality.notes]
        reasons += [v.reason for v in result.verdicts if v.unsure]  # the card says it; the headline's last resort
        first = reasons[0].rstrip(".") if reasons else ""
        # nothing judged, but a card asks the coach to look (a real angled lunge said "we could not check your form"
        # above a knee card that names the rep to check)
        title = f"Check your {unsure[0]} in the video" if unsure else "We could not check your form in this video"
        return title, (f"{capitalised(first)}." if first else "See the notes below.")
    # amber names what to watch: "one thing to watch" over knees that drifted in on 5 of 8 reps said too little
    watch = " and ".join(WATCH_WORDS[v.area] for v in result.verdicts if v.measurable and v.colour == "amber")
    headline = {
        "green": f"Solid {noun}: keep it up",
        "amber": f"Good {noun}: watch your {watch}"
        if _mostly_good(result)
        else f"Watch your {watch} in {'this' if one else 'these'} {noun}",
        "red": f"Your {noun} {'needs' if one else 'need'} work on {worst.label.lower()}",
    }[worst.colour]
    return headline, tally


def _mostly_good(result: ClipResult) -> bool:
    """More than half the reps the verdict reads are green: only then may an amber headline open with "Good" (over a
    real set whose knees drifted in on 5 of 8 reps, "Good squats" contradicted the tally under it, and over a coach's
    four caved reps then four good ones it read as praise)."""
    whole = whole_reps(result.reps)
    return 2 * sum(r.colour == "green" for r in whole) > len(whole) > 0


def _not_checked(result: ClipResult) -> str:
    """' Knee tracking and hip control could not be checked in this video: see why below.' when the knees or hips,
    what the client most wants to hear about, were not measured while something else was: a green headline from
    the trunk alone must not read as good knees. The lights below give each reason."""
    missing = [v for v in result.verdicts if v.area in KNEES_AND_HIPS and not v.measurable and not v.unsure]
    if not missing:
        return ""
    names = " and ".join(v.label.lower() for v in missing)
    return f" {capitalised(names)} could not be checked in this video: see why below."


def _light_text(v: Verdict, result: ClipResult) -> str:
    """The verdict's summary; a grey one also says why (the client should not have to open the details), and a green
    one names the reps that drew a flag in its area (a set reads the level a third of its reps reach, so one tipped
    rep leaves the card green, and "stayed level and steady" above a rep marked "Watch" for its hips contradicted
    the page)."""
    if v.measurable and v.colour == "green" and v.summary:
        whole = whole_reps(result.reps)
        flagged = [
            str(r.index) for r in whole if any(m.area == v.area and m.colour in ("amber", "red") for m in r.metrics)
        ]
        if flagged:
            return f"{v.summary.rstrip('.')}, apart from rep{'s' * (len(flagged) > 1)} {', '.join(flagged)}."
    if v.measurable or not v.reason or not v.summary:
        return v.summary or v.reason
    return f"{v.summary.rstrip('.')}: {v.reason.rstrip('.')}."


ONE_REP = {
    "green": "Your one rep looked good.",
    "amber": "Your one rep is one to watch.",
    "red": "Your one rep is one to work on.",
    "grey": "Your one rep could not be measured.",
    "check": "Your one rep needs a look in the video.",
}


def reps_to_check(result: ClipResult) -> frozenset[int]:
    """The reps a knee card that asks for a check points at: the one it names (`check_rep`), or, where it names none
    (a squat's card read on one knee alone, `scoring.one_knee_read`), every rep read good: "Rep 1 ✓ Good" under
    such a card told the client the knee it could not see was fine."""
    if not any(v.area == "knee_tracking" and v.unsure for v in result.verdicts):
        return frozenset()
    named = check_rep(result.verdicts, result.clip_metrics)
    return frozenset({named} if named is not None else {r.index for r in result.reps if r.colour == "green"})


def _to_check(r: Any, checks: Collection[int]) -> bool:
    """A rep counted and badged "to check" (`reps_to_check`) unless flagged."""
    return r.index in checks and r.colour in ("green", "grey")


def _rep_tally(result: ClipResult, checks: Collection[int] = ()) -> str:
    """'Across your 3 reps: 2 good, 1 to work on (rep 2).' Colour words, never colours alone. Reps cut off by the
    video's start or end are named apart when whole ones exist: the verdict reads only those. `checks`: the reps a
    knee card asks to check (`reps_to_check`), counted "to check" unless flagged (a real set's tally read "all good"
    under a card asking to check its last rep, whose knees were not read)."""
    n = len(result.reps)
    if n == 0:
        return "We did not find a whole rep in this video."

    def kind(r: Any) -> str:
        return "check" if _to_check(r, checks) else r.colour

    if n == 1:
        return ONE_REP[kind(result.reps[0])]
    whole = whole_reps(result.reps)
    cut = [str(r.index) for r in result.reps if len(whole) < n and not r.complete]
    parts = []
    words_for = (("green", "good"), ("amber", "to watch"), ("red", "to work on"), ("check", "to check in the video"))
    for colour, words in (*words_for, ("grey", "not measured")):
        idx = [str(r.index) for r in whole if kind(r) == colour]
        if idx:
            named = colour in ("amber", "red", "check") and len(idx) < n
            which = f" (rep{'s' * (len(idx) > 1)} {', '.join(idx)})" if named else ""
            parts.append(f"{'all' if len(idx) == n else len(idx)} {words}{which}")
    if cut:
        parts.append(
            f"{len(cut)} cut off by the start or end of the video (rep{'s' * (len(cut) > 1)} {', '.join(cut)})"
        )
    return f"Across your {n} rep{'s' * (n != 1)}: {', '.join(parts)}."


def build_context(
    result: ClipResult, meta: ReportMeta, keyframes: KeyFrames | None, s: ReportSettings
) -> ReportContext:
    """Decide and format everything the client page shows. Pure: no I/O except reading the coach's logo."""
    worst = worst_verdict(result.verdicts)
    headline, detail = _headline(result, worst)
    never = _never_measured(result)
    who = f" for {meta.client_name}" if meta.client_name else ""
    noun = {"squat": "Squat", "lunge": "Lunge"}.get(result.exercise, "Movement")
    q = result.quality
    warn = "" if q.passed else "The video was hard to read, so take these results with care. " + " ".join(q.notes)
    footer = "Generated " + (f"{meta.generated_at} " if meta.generated_at else "") + f"by formreview {meta.version}"
    check = check_rep(result.verdicts, result.clip_metrics)
    checks = reps_to_check(result)
    pictures = _pictures(keyframes, len(result.reps), check)
    return ReportContext(
        page=page_chrome(f"{noun} review{who}", s, footer),
        heading=f"{noun} review{who}",
        subtitle=_subtitle(result, meta),
        verdict=CHECK if (state := overall_state(result.verdicts)) == "check" else badge(state),
        headline=headline,
        detail=detail,
        quality_warning=warn.strip(),
        lights=_lights(result),
        cues=list(result.cues[:2]),
        clip_href=meta.clip_href,
        clip_caption=_clip_caption(keyframes, len(result.reps), check),
        poster_uri=data_uri(keyframes.thumbnail) if keyframes is not None and keyframes.thumbnail else "",
        clip_size=meta.clip_size,
        pictures=pictures,
        pictures_heading=(
            f"{pictures[0].title} next to your best" if len(pictures) > 1 else pictures[0].title if pictures else ""
        ),
        clip_rows=[_metric_row(m) for m in result.clip_metrics if m.key not in never],
        reps=[_rep_view(r, result, never, check, checks) for r in result.reps],
        unmeasured=_unmeasured(result, never),
        plots=_plots(result),
        facts=_facts(result, meta),
        bands=_band_facts(result),
        limits=list(LIMITS),
        notes=list(dict.fromkeys(result.notes + q.notes)),
        disclaimer=DISCLAIMER,
    )


def _subtitle(result: ClipResult, meta: ReportMeta) -> str:
    view = VIEW_WORDS.get(result.view, UNKNOWN_VIEW).capitalize()
    n = len(result.reps)
    subtitle = f"{meta.video_name} · {view} · {n} rep{'s' * (n != 1)} · {result.duration_s:.0f} s"
    return subtitle + (" · filmed sideways, turned upright" if result.turned_deg else "")


def _lights(result: ClipResult) -> list[Light]:
    """One light per area, in the report's order; depth and trunk only from the side or when measured."""
    order = {a: i for i, a in enumerate(AREA_ORDER)}
    show_side = result.view in ("side", "oblique")
    return [
        Light(v.label, verdict_badge(v), _light_text(v, result))
        for v in sorted(result.verdicts, key=lambda v: order.get(v.area, len(order)))
        if v.area not in SIDE_AREAS or show_side or v.measurable
    ]


CLIP_LEGEND = (
    "Lines from knee to foot: green = on track, amber = drifting, red = caving in, grey = not judged (hidden, or not "
    "yet deep enough in the rep to read)."
)


def _clip_caption(keyframes: KeyFrames | None, n_reps: int, check: int | None = None) -> str:
    """The legend, then where the clip pauses: at the worst rep's worst knee frame, else its bottom (a side view or a
    lunge judges no knee), if it pauses at all. The worst rep may be the one the knee card asks to check (`check`)."""
    if keyframes is None or not keyframes.held:
        return CLIP_LEGEND
    to_check = check is not None and keyframes.worst_rep == check
    which = "Your rep" if n_reps == 1 else "The rep to check" if to_check else "The hardest rep"
    where = "at the bottom" if keyframes.worst_at_bottom else "where its knees were worst"
    return f"{CLIP_LEGEND} {which} pauses {where}."


def _pictures(keyframes: KeyFrames | None, n_reps: int, check: int | None = None) -> list[Picture]:
    """The hardest rep's still and the best rep's; the hardest is "Rep to check" where it is the rep the knee card asks
    the coach to look at (`check`)."""
    pictures: list[Picture] = []
    if keyframes is not None:
        where = "at the bottom" if keyframes.worst_at_bottom else "where the knees were worst"
        # no rep stood out (the same colours, no knee read): one still of the deepest, named for that alone
        hardest = "Rep to check" if check is not None and keyframes.worst_rep == check else "Hardest rep"
        first = hardest if keyframes.ranked else "Your deepest rep"
        pairs = [(first, keyframes.worst_jpeg, keyframes.worst_rep, where)]
        if keyframes.best_rep != keyframes.worst_rep:
            pairs.append(("Best rep", keyframes.best_jpeg, keyframes.best_rep, "at the bottom"))
        for title, raw, rep, moment in pairs:
            title = "Your rep" if n_reps == 1 else title  # one rep is not its own hardest
            if raw:
                what = f"Rep {rep} {moment}" if rep else capitalised(moment)
                alt = f"{title}: still from rep {rep} {moment}, with the knees circled"
                pictures.append(Picture(title, what, data_uri(raw), alt))
    return pictures


def _plots(result: ClipResult) -> list[Plot]:
    knee_label = result.series.knee_label or "Knee tracking"  # both knees are plotted: no leg in the name
    plots = (
        _plot(
            f"{knee_label} over time",
            "Shaded: green, amber and red bands. Grey spans: reps. Lines: each rep once you are part of the "
            "way down, on the way down and back up, where knee tracking is read.",
            knee_plot_svg(result.series, result.reps, knee_label),
        ),
        _plot(
            "Hip height over time",
            "Top line: standing. Bottom line: your deepest point in this set.",
            depth_plot_svg(result.series, result.reps),
        ),
    )
    return [p for p in plots if p is not None]


def _facts(result: ClipResult, meta: ReportMeta) -> list[Fact]:
    """How the video was read, for the coach: model, view, exercise, frames, data quality, processing."""
    q = result.quality
    sampled = (
        f"; keypoints measured on every {_ordinal(q.keypoint_every)} frame "
        f"({result.fps / q.keypoint_every:.0f} a second), the frames between interpolated"
        if q.keypoint_every > 1
        else ""
    )
    return [
        Fact("Pose model", f"{meta.backend} · {meta.model_id}" if meta.model_id else meta.backend),
        Fact("Camera view", f"{result.view} (confidence {_pct(result.view_confidence)})"),
        Fact("Exercise", f"{result.exercise} (confidence {_pct(result.exercise_confidence)})"),
        Fact(
            "Frames used",
            f"{q.frames} frames, {result.duration_s:.1f} s at {result.fps:.4g} fps; client found in "
            f"{_pct(q.seen_frac)}, legs usable in {_pct(q.legs_frac)}{sampled}",
        ),
        Fact(
            "Data quality",
            ("passed" if q.passed else "below our quality gate")
            + f"; {_pct(q.interpolated_frac)} of measured frames filled in, {q.swaps_repaired} left/right swaps "
            f"repaired, {q.outliers_removed} outliers removed",
        ),
        Fact("Processing", f"{meta.processing_s:.1f} s, formreview {meta.version}"),
    ]


def _band_facts(result: ClipResult) -> list[Fact]:
    """Each band shown once, in words, with its source in plain words; not the other exercise's (`_unmeasured`)."""
    bands: dict[str, Fact] = {}
    for m in [*result.clip_metrics, *(m for r in result.reps for m in r.metrics)]:
        if m.band and m.key not in bands and m.reason != OTHER_EXERCISE:
            source = plain_source(m.source)
            bands[m.key] = Fact(m.label, m.band + (f". {source}" if source else ""))
    return list(bands.values())


def _plot(title: str, caption: str, svg: Markup | None) -> Plot | None:
    return None if svg is None else Plot(title, caption, svg)


def write_report(
    result: ClipResult, out_dir: Path, meta: ReportMeta, keyframes: KeyFrames | None, s: ReportSettings
) -> Path:
    """Write `out_dir/report.html` (and `thumb.jpg` for the index when key frames carry one).

    Returns:
        The path of the report.
    """
    ctx = build_context(result, meta, keyframes, s)
    html = environment(s).get_template("report.html").render(**context_dict(ctx))
    out = Path(out_dir) / "report.html"
    write_atomic(out, html)
    if keyframes is not None and keyframes.thumbnail:
        write_atomic(Path(out_dir) / "thumb.jpg", keyframes.thumbnail)
    return out


SHARE_SUFFIX = ".share.html"
SHARE_WARN_BYTES = 15 * 1000**2  # many mail services refuse attachments over 15–25 MB


def share_name(video_name: str) -> str:
    """`squat 12 Nov.mp4` → `squat 12 Nov.share.html`."""
    return Path(video_name).stem + SHARE_SUFFIX


def write_share(
    result: ClipResult,
    out_dir: Path,
    meta: ReportMeta,
    keyframes: KeyFrames | None,
    s: ReportSettings,
    clip: Path,
    name: str,
) -> Path:
    """Write `out_dir/name`: the client page with the clip and every picture inside it (data: URIs), so the coach
    can e-mail or message one file that plays with nothing beside it.

    Returns:
        The path of the file.
    """
    inline = replace(meta, clip_href=data_uri(Path(clip).read_bytes(), "video/mp4"))
    ctx = build_context(result, inline, keyframes, s)
    out = Path(out_dir) / name
    write_atomic(out, environment(s).get_template("report.html").render(**context_dict(ctx)))
    return out


# ---------------------------------------------------------------------------------------------------- batch overview
