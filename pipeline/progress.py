"""Each client's page (`<client>/index.html`): their videos by date, and how knee and hip measures moved.

Reads the overview's entries (earlier runs' results included); `index.write_index` writes the pages. Only like is
compared with like: the same exercise filmed from the same view. Python words every sentence; the template prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pipeline.metrics import capitalised
from pipeline.plots import trend_svg
from pipeline.report import (
    AREA_ORDER,
    DISCLAIMER,
    SEVERITY,
    Badge,
    PageChrome,
    Plot,
    badge,
    data_uri,
    doc_field,
    page_chrome,
    verdict_badge,
)
from pipeline.result import ClipResult, MetricValue
from pipeline.settings import ReportSettings

if TYPE_CHECKING:
    from pipeline.index import IndexEntry

# the two measures followed across videos: (verdict area, metric key without its leg, words for the plot)
KNEE = ("knee_tracking", "knee_track", "Knee over foot (the worse knee)")
HIP = ("hip_control", "hip_adduction", "Thigh angle in from standing (the worse leg)")
LIKE_WITH_LIKE = "Only videos of the same exercise filmed from the same side are compared."
VIEW_WORDS = {"front": "front-view", "side": "side-view", "oblique": "angled-view"}


@dataclass(frozen=True)
class Session:
    """One video on a client's page."""

    date: str  # "12 November 2026"
    date_note: str  # "" when the date is the video's own; else how it was found ("date of the file")
    name: str
    href: str  # the video's report, relative to the client page
    what: str  # "Front-view squat · 3 reps"
    lights: list[Badge]  # one per `ClientContext.areas`
    thumb_uri: str
    ok: bool
    error: str


@dataclass(frozen=True)
class Trend:
    """One exercise filmed from one view, across dates."""

    title: str  # "Front-view squats"
    sentence: str  # "Your knees tracked better than on 12 November; your hip control was about the same."
    plots: list[Plot]


@dataclass(frozen=True)
class ClientContext:
    """Everything client.html (and base.html, _macros.html) may read."""

    page: PageChrome = doc_field("Title, branding and footer, for base.html.")
    heading: str = doc_field("Page heading, e.g. 'Anna: your progress'.")
    summary: str = doc_field("Videos and dates in one line.")
    back_href: str = doc_field("Relative link to the coach's overview.")
    areas: list[str] = doc_field("Column headings of the traffic-light columns.")
    sessions: list[Session] = doc_field("The client's videos, newest first.")
    trends: list[Trend] = doc_field("One block per exercise and view filmed at least twice.")
    not_compared: list[str] = doc_field("Lines saying which videos had nothing like them to compare with, and why.")
    disclaimer: str = doc_field("Coaching, not a diagnosis.")


def video_date(r: ClipResult | None) -> datetime | None:
    if r is None or not r.recorded:
        return None
    try:
        return datetime.fromisoformat(r.recorded)
    except ValueError:
        return None


def say_date(d: datetime | None, year: bool = True) -> str:
    if d is None:
        return "date unknown"
    return f"{d.day} {d:%B}" + (f" {d.year}" if year else "")


def worse_leg(r: ClipResult, base: str, bands: dict[str, Any]) -> MetricValue | None:
    """The worse leg's whole-set value of metric `base` (by its band's direction); None when neither was measured."""
    ms = [
        m
        for m in r.clip_metrics
        if m.key in (base, f"{base}_left", f"{base}_right") and m.measurable and m.value is not None
    ]
    if not ms:
        return None
    low_bad = bands.get(base, {}).get("direction") == "low_bad"
    return min(ms, key=lambda m: (m.value or 0.0) if low_bad else -(m.value or 0.0))


def _band(base: str, bands: dict[str, Any]) -> tuple[float, float] | None:
    b = bands.get(base, {})
    try:
        return float(b["amber"]), float(b["red"])
    except (KeyError, TypeError, ValueError):
        return None


def _compare(area: str, before: ClipResult, now: ClipResult) -> str | None:
    """'better' | 'less well' | 'about the same' by the area's verdict colour; None when either is not judged.

    Colours, not raw numbers: a few degrees either way are within the measurement's error (about 8° between
    sessions, Munro 2012), and the bands already say what a meaningful difference is."""
    a = next((v for v in before.verdicts if v.area == area and v.measurable and v.colour != "grey"), None)
    b = next((v for v in now.verdicts if v.area == area and v.measurable and v.colour != "grey"), None)
    if a is None or b is None:
        return None
    d = SEVERITY[b.colour] - SEVERITY[a.colour]
    return "better" if d < 0 else "less well" if d > 0 else "about the same"


def progress_sentence(before: ClipResult, now: ClipResult, when: str) -> str:
    """One plain sentence comparing two videos of the same exercise and view; `when` names the earlier one
    ("on 12 November", "in your earlier video that day")."""
    knee, hip = _compare(KNEE[0], before, now), _compare(HIP[0], before, now)
    if knee is None and hip is None:
        return "Knee tracking and hip control could not be compared: they were not judged in both videos."
    parts = []
    if knee is not None:
        parts.append(f"your knees tracked {knee} {'as' if knee == 'about the same' else 'than'} {when}")
    if hip is not None:
        word = {"better": "was better", "less well": "was less steady", "about the same": "was about the same"}[hip]
        parts.append(
            f"your hip control {word}" + ("" if parts else f" {'as' if hip == 'about the same' else 'than'} {when}")
        )
    text = "; ".join(parts)
    return capitalised(text) + "."


def _short(e: IndexEntry) -> str:
    """The video's name within the client's folder."""
    return e.video_name.split("/", 1)[-1]


def _date_order(e: IndexEntry) -> tuple[float, str]:
    d = video_date(e.result)
    return (d.timestamp() if d else float("-inf"), e.video_name)


def _what(r: ClipResult) -> str:
    n = len(r.reps)
    view = VIEW_WORDS.get(r.view, "unclear-view")
    return f"{capitalised(view)} {r.exercise} · {n} rep{'s' * (n != 1)}"


def _session(e: IndexEntry, areas: list[str]) -> Session:
    r = e.result
    by_area = {v.area: v for v in r.verdicts} if r else {}
    return Session(
        date=say_date(video_date(r)),
        date_note="date of the file" if r is not None and r.recorded_from == "file time" else "",
        name=_short(e),
        href=e.report_href.split("/", 1)[-1] if e.report_href else "",
        what=_what(r) if r else "",
        lights=[verdict_badge(by_area[a]) if a in by_area else badge("grey") for a in areas],
        thumb_uri=data_uri(e.thumbnail_jpeg),
        ok=e.status != "error",
        error=(e.error.splitlines() or [""])[0],
    )


def _trend(kind: str, results: list[ClipResult], bands: dict[str, Any]) -> Trend:
    """The trend block of one exercise and view, `results` oldest first (at least two)."""
    labels = [f"{d.day} {d:%b}" if (d := video_date(r)) else "?" for r in results]
    plots = []
    for area, base, words in (KNEE, HIP):
        ms = [worse_leg(r, base, bands) for r in results]
        colours = [next((v.colour for v in r.verdicts if v.area == area and v.measurable), "grey") for r in results]
        unit = next((m.unit for m in ms if m is not None), "")
        svg = trend_svg(labels, [m.value if m else None for m in ms], colours, unit, _band(base, bands), words)
        if svg is not None:
            plots.append(Plot(words, "Shaded: green, amber and red bands. One point per video, oldest left.", svg))
    before, now = results[-2], results[-1]
    d0, d1 = video_date(before), video_date(now)
    same_day = d0 is not None and d1 is not None and d0.date() == d1.date()
    when = "in your earlier video that day" if same_day else f"on {say_date(d0, year=False)}"
    sentence = progress_sentence(before, now, when)
    return Trend(title=f"{capitalised(kind)}s", sentence=sentence, plots=plots)


def build_client_context(
    client: str, entries: Sequence[IndexEntry], bands: dict[str, Any], s: ReportSettings | None = None
) -> ClientContext:
    """The page of one client from their entries (any order). Hrefs are made relative to `<client>/index.html`."""
    s = s or ReportSettings()
    seen = {v.area: v.label for e in entries if e.result for v in e.result.verdicts if v.measurable or v.unsure}
    areas = [a for a in AREA_ORDER if a in seen]
    dated = sorted(entries, key=_date_order)
    groups: dict[tuple[str, str], list[IndexEntry]] = {}
    for e in dated:
        if e.result is not None:
            groups.setdefault((e.result.exercise, e.result.view), []).append(e)
    trends, alone = [], []
    for (exercise, view), items in groups.items():
        kind = f"{VIEW_WORDS.get(view, 'unclear-view')} {exercise}"
        if exercise == "unknown" or view == "unknown":
            alone += [f"{_short(e)}: not compared, the exercise or the view could not be told." for e in items]
        elif len(items) < 2:
            alone.append(
                f"{_short(items[0])} ({say_date(video_date(items[0].result))}): the only {kind} so far, "
                "so there is nothing like it to compare with yet."
            )
        else:
            trends.append(_trend(kind, [e.result for e in items if e.result is not None], bands))
    n = len(entries)
    dates = [d for e in dated if (d := video_date(e.result))]
    span = f" from {say_date(dates[0])} to {say_date(dates[-1])}" if len(dates) > 1 else ""
    return ClientContext(
        page=page_chrome(f"{client}: your progress", s, "Generated by formreview"),
        heading=f"{client}: your progress",
        summary=f"{n} video{'s' * (n != 1)}{span}. {LIKE_WITH_LIKE}",
        back_href="../index.html",
        areas=[seen[a] for a in areas],
        sessions=[_session(e, areas) for e in reversed(dated)],
        trends=trends,
        not_compared=alone,
        disclaimer=DISCLAIMER,
    )
