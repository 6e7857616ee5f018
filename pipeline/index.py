"""The coach's overview of a batch: `index.html` (every video, grouped by client), `summary.csv`, and one page
per client (`<client>/index.html`, built in `progress`).

Reads the per-video results the batch collected; writes every file atomically through the report helpers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.files import write_atomic
from pipeline.inputs import safe_name
from pipeline.progress import build_client_context, video_date
from pipeline.report import (
    AREA_ORDER,
    SHARE_WARN_BYTES,
    Badge,
    PageChrome,
    badge,
    context_dict,
    data_uri,
    doc_field,
    environment,
    overall_state,
    page_chrome,
    verdict_badge,
)
from pipeline.result import UNKNOWN_VIEW, VIEW_WORDS, ClipResult
from pipeline.settings import ReportSettings

if TYPE_CHECKING:
    from pipeline.job import JobStatus


@dataclass(frozen=True)
class IndexEntry:
    """One video in the batch overview."""

    video_name: str
    status: JobStatus
    error: str = ""
    report_href: str = ""
    result: ClipResult | None = None
    thumbnail_jpeg: bytes | None = None
    processing_s: float = 0.0
    client: str = ""  # the client's folder name; "" for a video directly in the input folder
    out_rel: str = ""  # the video's output folder relative to the overview, e.g. "anna/squat.mp4"
    share_href: str = ""  # its one-file page to send, relative to the overview; "" for none
    share_bytes: int = 0


@dataclass(frozen=True)
class IndexRow:
    name: str
    href: str
    ok: bool
    status: str  # "Reviewed"; shown only when it is not: "Error" or "Reviewed earlier"
    error: str
    thumb_uri: str
    what: str
    lights: list[Badge]
    rank: int  # sort key, worst first
    date: str  # when the video was filmed, "12 Nov 2026"; "" when unknown
    share_href: str  # the one file to send; "" for none
    share_size: str  # "3.1 MB"
    share_warning: str  # "" unless the file is too big to e-mail, then what to do about it


@dataclass(frozen=True)
class IndexGroup:
    """One client's videos in the overview (or the videos that sit in no client folder)."""

    title: str  # the client's name, "Not in a client folder", or "" when there are no clients (no heading row)
    href: str  # the client's page, "" for none
    summary: str  # "3 videos · 1 needs attention"
    rows: list[IndexRow]  # worst first


@dataclass(frozen=True)
class IndexContext:
    """Everything index.html (and base.html) may read."""

    page: PageChrome = doc_field("Title, branding and footer, for base.html.")
    heading: str = doc_field("Page heading.")
    summary: str = doc_field("Counts in one line, e.g. '5 videos · 4 reviewed · 1 failed'.")
    areas: list[str] = doc_field("Column headings of the traffic-light columns.")
    columns: int = doc_field("How many columns the table has (a client's heading row spans them all).")
    groups: list[IndexGroup] = doc_field(
        "One group per client (folder order), then the videos in no client folder; rows worst first."
    )


# ---------------------------------------------------------------------------------------------------- helpers


# "check": a card the evidence could not decide asks the coach to look at the video, so it sorts with what needs
# attention, after the flags and before what was not measured
RANK = {"error": 0, "red": 1, "amber": 2, "check": 3, "grey": 4, "green": 5}


def _areas(entries: list[IndexEntry]) -> list[str]:
    seen = {v.area: v.label for e in entries if e.result for v in e.result.verdicts if v.measurable or v.unsure}
    return [a for a in AREA_ORDER if a in seen] + [a for a in seen if a not in AREA_ORDER]


def _share(e: IndexEntry, s: ReportSettings) -> tuple[str, str, str]:
    """(href, size, warning) of the video's one-file page."""
    if not e.share_href:
        return "", "", ""
    size = f"{e.share_bytes / 1000**2:.1f} MB"
    if e.share_bytes <= SHARE_WARN_BYTES:
        return e.share_href, size, ""
    smaller = 480 if 0 < s.share_max_side <= 720 else 720
    warning = (
        f"At {size} this file is too big for many e-mail services (over {SHARE_WARN_BYTES // 1000**2} MB). "
        f"To make it smaller, run the batch again with --share-max-side {smaller}."
    )
    return e.share_href, size, warning


def _index_row(e: IndexEntry, areas: list[str], s: ReportSettings) -> IndexRow:
    # under the client's heading the client's folder need not be repeated: "anna/squat.mp4" shows "squat.mp4"
    e = replace(e, video_name=e.video_name.removeprefix(f"{e.client}/")) if e.client else e
    r, cause, thumb = e.result, (e.error.splitlines() or [""])[0], data_uri(e.thumbnail_jpeg)
    if e.status == "error" or r is None:  # a skipped video whose result.json is unreadable still has its report
        ok = e.status != "error"
        status = "Reviewed earlier" if ok else "Error"
        rank = RANK["grey" if ok else "error"]
        return IndexRow(e.video_name, e.report_href, ok, status, cause, thumb, "", [], rank, "", *_share(e, s))
    by_area = {v.area: v for v in r.verdicts}
    lights = [verdict_badge(by_area[a]) if a in by_area else badge("grey") for a in areas]
    n = len(r.reps)
    what = f"{r.exercise} · {VIEW_WORDS.get(r.view, UNKNOWN_VIEW)} · {n} rep{'s' * (n != 1)}"
    rank = RANK[overall_state(r.verdicts)]
    d = video_date(r)
    date = f"{d.day} {d:%b %Y}" if d else ""
    return IndexRow(e.video_name, e.report_href, True, "Reviewed", "", thumb, what, lights, rank, date, *_share(e, s))


def build_index_context(entries: list[IndexEntry], s: ReportSettings | None = None) -> IndexContext:
    """Rows for every video grouped by client, worst first (errors, then red, amber, "check the video", not
    measured, green), then by name."""
    s = s or ReportSettings()
    areas = _areas(entries)
    labels = {v.area: v.label for e in entries if e.result for v in e.result.verdicts}
    by_client: dict[str, list[IndexEntry]] = {}
    for e in entries:
        by_client.setdefault(e.client, []).append(e)
    groups = []
    for client in sorted(by_client, key=lambda c: (c == "", c.lower())):  # the unsorted videos last
        rows = sorted(
            (_index_row(e, areas, s) for e in by_client[client]), key=lambda row: (row.rank, row.name.lower())
        )
        n, flagged = len(rows), sum(row.rank <= RANK["check"] for row in rows)
        title = client or ("" if len(by_client) == 1 else "Not in a client folder")
        href = f"{client_dir(client)}/index.html" if client else ""
        summary = f"{n} video{'s' * (n != 1)}" + (
            f" · {flagged} need{'s' * (flagged == 1)} attention" if flagged else ""
        )
        groups.append(IndexGroup(title, href, summary, rows))
    n_all = len(entries)
    n_err = sum(e.status == "error" for e in entries)
    summary = f"{n_all} video{'s' * (n_all != 1)} · {n_all - n_err} reviewed · {n_err} failed"
    n_clients = sum(1 for c in by_client if c)
    if n_clients:
        summary += f" · {n_clients} client{'s' * (n_clients != 1)}"
    return IndexContext(
        page=page_chrome("Form reviews", s, "Generated by formreview"),
        heading="Form reviews",
        summary=summary,
        areas=[labels[a] for a in areas],
        columns=2 + len(areas),
        groups=groups,
    )


def client_dir(client: str) -> str:
    """The client's folder in the output, as the batch names it."""
    return safe_name(client)


def _csv_text(v: object) -> object:
    """Keep spreadsheet apps from running a cell as a formula (a file name may start with '=')."""
    return "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v


def summary_csv(entries: list[IndexEntry]) -> str:
    """One row per video: name, status, error, view, exercise, reps, each verdict colour, clip metric values."""
    areas = list(dict.fromkeys([*AREA_ORDER, *(a for a in _areas(entries))]))
    keys = list(dict.fromkeys(m.key for e in entries if e.result for m in e.result.clip_metrics))
    head = ["client", "date", "video", "status", "error", "report", "view", "exercise", "reps", "verdict"]
    head += ["processing_s"]
    head += [f"verdict_{a}" for a in areas] + [c for k in keys for c in (k, f"{k}_colour")]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(head)
    for e in entries:
        r = e.result
        d = video_date(r)
        row: list[object] = [_csv_text(e.client), d.date().isoformat() if d else ""]
        row += [_csv_text(e.video_name), e.status, _csv_text(e.error), e.report_href]
        if r is None:
            w.writerow(row + [""] * (len(head) - len(row)))
            continue
        by_area = {v.area: v.state for v in r.verdicts}
        metrics = {m.key: m for m in r.clip_metrics}
        row += [r.view, r.exercise, len(r.reps), overall_state(r.verdicts), f"{e.processing_s:.1f}"]
        row += [by_area.get(a, "") for a in areas]
        for k in keys:
            m = metrics.get(k)
            ok = m is not None and m.measurable and m.value is not None
            row += [f"{m.value:.4g}" if ok and m else "", m.colour if m else ""]
        w.writerow(row)
    return buf.getvalue()


def write_index(
    entries: list[IndexEntry],
    out_dir: Path,
    s: ReportSettings | None = None,
    bands: dict[str, Any] | None = None,
) -> None:
    """Write `out_dir/index.html`, `out_dir/summary.csv` and each client's `<client>/index.html`, each atomically.

    `bands` (Settings.bands) shades the client pages' trends and says which way each measure is worse.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    env = environment(s)
    ctx = build_index_context(entries, s)
    write_atomic(out_dir / "index.html", env.get_template("index.html").render(**context_dict(ctx)))
    write_atomic(out_dir / "summary.csv", summary_csv(entries))
    clients: dict[str, list[IndexEntry]] = {}
    for e in entries:
        if e.client:
            clients.setdefault(e.client, []).append(e)
    for client, items in clients.items():
        page = build_client_context(client, items, bands or {}, s)
        folder = out_dir / client_dir(client)
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / "index.html", env.get_template("client.html").render(**context_dict(page)))
