"""Client pages: videos by date, trends compared like with like, one plain sentence; the overview groups by client."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pipeline.index import IndexEntry, write_index
from pipeline.progress import progress_sentence
from pipeline.result import ClipResult, MetricValue, Verdict
from tests.test_report import make_result

BANDS = {
    "knee_track": {"direction": "low_bad", "amber": -13.0, "red": -16.0},
    "hip_adduction": {"direction": "high_bad", "amber": 5.0, "red": 10.0},
}


def _session(
    name: str, when: str, knee: str, knee_deg: float, *, view: str = "front", exercise: str = "squat"
) -> ClipResult:
    r = make_result(name, view=view)
    metrics = [
        MetricValue("knee_track_left", "Left knee over foot", knee_deg + 3, "°", "", knee, True),
        MetricValue("knee_track_right", "Right knee over foot", knee_deg, "°", "", knee, True),
        MetricValue("hip_adduction_left", "Left thigh angle in", 2.0, "°", "", "green", True),
    ]
    verdicts = [
        Verdict("knee_tracking", "Knee tracking", knee, "…"),  # type: ignore[arg-type]
        Verdict("hip_control", "Hip control", "green", "…"),
    ]
    return replace(
        r, exercise=exercise, clip_metrics=metrics, verdicts=verdicts, recorded=when, recorded_from="metadata"
    )


def _entry(client: str, r: ClipResult) -> IndexEntry:
    rel = f"{client}/{r.video}"
    return IndexEntry(rel, "ok", "", f"{rel}/report.html", r, None, 1.0, client=client, out_rel=rel)


@pytest.fixture
def written(tmp_path: Path) -> Path:
    entries = [
        _entry("anna", _session("dec.mp4", "2026-12-03T10:00:00+00:00", "green", -3.0)),
        _entry("anna", _session("nov.mp4", "2026-11-12T09:30:00+00:00", "red", -30.0)),
        _entry("anna", _session("lunge.mp4", "2026-12-01T10:00:00+00:00", "green", -2.0, exercise="lunge")),
        _entry("ben", _session("side.mp4", "2026-11-20T18:00:00+00:00", "grey", -1.0, view="side")),
        IndexEntry("loose.mp4", "ok", "", "loose.mp4/report.html", make_result("loose.mp4")),
    ]
    write_index(entries, tmp_path, bands=BANDS)
    return tmp_path


def test_client_page_lists_videos_newest_first_with_dates(written: Path) -> None:
    soup = BeautifulSoup((written / "anna" / "index.html").read_text(encoding="utf-8"), "html.parser")
    dates = [d.get_text() for d in soup.select("li.session .date")]
    assert dates == ["3 December 2026", "1 December 2026", "12 November 2026"]
    assert [a["href"] for a in soup.select("li.session a")] == [
        "dec.mp4/report.html",
        "lunge.mp4/report.html",
        "nov.mp4/report.html",
    ]
    assert all((written / "anna" / a["href"]).parent.name.endswith(".mp4") for a in soup.select("li.session a"))


def test_trend_compares_like_with_like_and_says_so_in_a_sentence(written: Path) -> None:
    soup = BeautifulSoup((written / "anna" / "index.html").read_text(encoding="utf-8"), "html.parser")
    trends = soup.select("section.trend")
    assert [t.h2.get_text() for t in trends] == ["Front-view squats"]  # the lunge is not mixed in
    sentence = trends[0].select_one(".sentence").get_text()
    assert sentence.startswith("Your knees tracked better than on 12 November")
    svgs = trends[0].select("svg.plot")
    assert len(svgs) == 2 and len(svgs[0].select("circle")) == 2  # one point per squat, knee and hip
    labels = [t.get_text() for t in svgs[0].select("text")]
    assert "-30°" in labels and "-3°" in labels  # the worse knee of each video
    alone = soup.select_one("ul.not-compared").get_text()
    assert "lunge.mp4" in alone and "nothing like it to compare" in alone


def test_a_side_view_alone_is_not_compared(written: Path) -> None:
    soup = BeautifulSoup((written / "ben" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert not soup.select("section.trend") and "the only side-view squat" in soup.get_text()


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        ("red", "green", "Your knees tracked better than on 12 November; your hip control was about the same."),
        ("green", "amber", "Your knees tracked less well than on 12 November; your hip control was about the same."),
        ("amber", "amber", "Your knees tracked about the same as on 12 November; your hip control was about the same."),
        ("grey", "green", "Your hip control was about the same as on 12 November."),
    ],
    ids=["better", "worse", "same", "knee-not-judged"],
)
def test_progress_sentence(before: str, now: str, expected: str) -> None:
    a = _session("a.mp4", "2026-11-12T09:30:00+00:00", before, -10.0)
    b = _session("b.mp4", "2026-12-03T09:30:00+00:00", now, -10.0)
    if before == "grey":
        a = replace(a, verdicts=[replace(a.verdicts[0], measurable=False), a.verdicts[1]])
    assert progress_sentence(a, b, "on 12 November") == expected


def test_overview_groups_by_client_and_links_each_client_page(written: Path) -> None:
    soup = BeautifulSoup((written / "index.html").read_text(encoding="utf-8"), "html.parser")
    heads = [h.get_text(" ", strip=True) for h in soup.select("tr.group-head")]
    assert [h.split()[0] for h in heads] == ["anna", "ben", "Not"]
    assert soup.select("tr.group-head a")[0]["href"] == "anna/index.html"
    groups = soup.select("tbody.group")
    assert [len(g.select("tr.video")) for g in groups] == [3, 1, 1]
    assert sorted(a.get_text() for a in groups[0].select("td.name > a")) == ["dec.mp4", "lunge.mp4", "nov.mp4"]
    assert groups[0].select_one("td.name > a")["href"].startswith("anna/")


def test_two_videos_the_same_day_are_compared_without_naming_the_date(tmp_path: Path) -> None:
    entries = [
        _entry("cy", _session("am.mp4", "2026-12-03T09:00:00+00:00", "amber", -14.0)),
        _entry("cy", _session("pm.mp4", "2026-12-03T17:00:00+00:00", "green", -3.0)),
    ]
    write_index(entries, tmp_path, bands=BANDS)
    soup = BeautifulSoup((tmp_path / "cy" / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.select_one(".sentence").get_text().startswith("Your knees tracked better than in your earlier video")


def test_flat_overview_has_no_client_headings(tmp_path: Path) -> None:
    write_index([IndexEntry("a.mp4", "ok", "", "a.mp4/report.html", make_result("a.mp4"))], tmp_path)
    soup = BeautifulSoup((tmp_path / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert not soup.select("tr.group-head") and len(soup.select("tr.video")) == 1
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []  # no client pages


def test_summary_csv_has_client_and_date(written: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((written / "summary.csv").read_text(encoding="utf-8"))))
    got = {r["video"]: (r["client"], r["date"]) for r in rows}
    assert got["anna/nov.mp4"] == ("anna", "2026-11-12") and got["loose.mp4"] == ("", "")


def test_overview_entries_come_from_this_run_or_from_what_earlier_runs_left(tmp_path: Path) -> None:
    """The watcher restarts and batch skips finished videos: both rebuild the overview from the output folders."""
    import json

    from pipeline.batch import index_entries
    from pipeline.inputs import VideoInput
    from pipeline.job import JobOutcome

    def video(label: str, client: str) -> VideoInput:
        return VideoInput(tmp_path / "in" / label, client, Path(label), label)

    done, new, failed, pending = (
        video("anna/done.mp4", "anna"),
        video("anna/new.mp4", "anna"),
        video("bad.mp4", ""),
        video("anna/copying.mp4", "anna"),
    )
    folder = tmp_path / "anna" / "done.mp4"
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps(make_result("done.mp4").to_dict()), encoding="utf-8")
    (folder / "done.json").write_text("{}", encoding="utf-8")
    (folder / "done.share.html").write_text("x" * 1234, encoding="utf-8")
    outcomes = [
        JobOutcome("anna/new.mp4", "ok", result=make_result("new.mp4").to_dict()),
        JobOutcome("bad.mp4", "error", error="bad.mp4: file is empty (0 bytes)"),
    ]
    entries = {e.video_name: e for e in index_entries([done, new, failed, pending], outcomes, tmp_path)}
    assert set(entries) == {"anna/done.mp4", "anna/new.mp4", "bad.mp4"}  # the one still arriving is left out
    assert entries["anna/done.mp4"].result is not None and entries["anna/done.mp4"].client == "anna"
    assert (entries["anna/done.mp4"].share_href, entries["anna/done.mp4"].share_bytes) == (
        "anna/done.mp4/done.share.html",
        1234,
    )
    assert entries["bad.mp4"].status == "error" and "empty" in entries["bad.mp4"].error
    assert entries["anna/new.mp4"].report_href == "anna/new.mp4/report.html"
