"""The metric registry: every metric the analysis gives has one spec, keyed by (metric, leg), grouped by its area."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from synthetic_tracks import Spec, make_track

from pipeline.analysis.analyse import analyse
from pipeline.clean import clean_track
from pipeline.metrics import PER_LEG, SEVERITY, MetricId, MetricSpec, capitalised, metric_ids
from pipeline.scoring import evaluate, shown
from pipeline.settings import load_settings

SETTINGS = load_settings()


def _spec(direction: str, amber: float, red: float) -> MetricSpec:
    return MetricSpec("x", "knee_tracking", False, "x", "°", direction, amber, red, ("squat",), "by hand")


def test_metric_ids_name_each_leg_once_in_report_order() -> None:
    ids = metric_ids()
    assert len(ids) == len(set(ids)) == sum(2 if per_leg else 1 for per_leg in PER_LEG.values())
    assert ids[0] == MetricId("knee_drift", "left") and ids[0].key == "knee_drift_left"
    assert MetricId("kasr").key == "kasr" and ids[-1] == MetricId("trunk_incline_deg")


@pytest.mark.parametrize(
    ("direction", "value", "colour"),
    [
        ("high_bad", 9.99, "green"),
        ("high_bad", 10.0, "amber"),
        ("high_bad", 16.0, "red"),
        ("low_bad", -12.99, "green"),
        ("low_bad", -13.01, "amber"),
        ("low_bad", -16.01, "red"),
        ("report", 99.0, "grey"),  # shown for context, never judged: never a green light
        ("high_bad", float("nan"), "grey"),
    ],
)
def test_spec_colour_by_hand(direction: str, value: float, colour: str) -> None:
    amber, red = (10.0, 16.0) if direction != "low_bad" else (-13.0, -16.0)
    assert _spec(direction, amber, red).colour(value) == colour


def test_grey_ranks_below_green_in_the_one_severity_order() -> None:
    assert sorted(SEVERITY, key=SEVERITY.__getitem__) == ["grey", "green", "amber", "red"]


def test_analysis_keys_every_registered_metric_by_metric_and_leg() -> None:
    cleaned, _ = clean_track(make_track(Spec(reps=2))[0], SETTINGS.clean)
    a = analyse(cleaned, SETTINGS.analysis)
    assert a.reps and all(set(r.values) == set(metric_ids()) for r in a.reps)
    assert all(set(r.reasons) == set(metric_ids()) for r in a.reps)
    assert set(SETTINGS.metrics) == set(PER_LEG)  # and every one of them has a validated band


def test_verdicts_group_metrics_by_the_area_their_band_names(tmp_path: Path) -> None:
    """Moving a metric to another area in bands.toml moves it between verdicts: no name prefix decides it."""
    track = make_track(Spec(cave_deg=(20.0, 0.0), noise_px=0.5))[0]  # one knee caves: a big left/right difference
    r = evaluate(track, SETTINGS, "x.mp4")
    asym = next(m for m in r.clip_metrics if m.key == "knee_asymmetry")
    assert asym.area == "hip_control" and asym.colour == "red"
    hips = next(v for v in r.verdicts if v.area == "hip_control")
    assert hips.colour == "red"
    coach = tmp_path / "coach.toml"
    coach.write_text('[bands.knee_asymmetry]\nscored_for = []\n[bands.pelvic_drop]\narea = "trunk"\n')
    moved = evaluate(track, load_settings(coach), "x.mp4")
    hips = next(v for v in moved.verdicts if v.area == "hip_control")
    assert hips.colour != "red"
    assert next(m for m in moved.clip_metrics if m.key == "pelvic_drop").area == "trunk"


@pytest.mark.parametrize(
    ("text", "want"), [("knee over foot, FPPA", "Knee over foot, FPPA"), ("KASR", "KASR"), ("", "")], ids=str
)
def test_capitalised_keeps_the_rest_of_the_text(text: str, want: str) -> None:
    assert capitalised(text) == want


@pytest.mark.parametrize("mid", metric_ids(), ids=lambda m: m.key)
def test_a_metric_key_reads_back_to_its_metric_and_leg(mid: MetricId) -> None:
    assert MetricId.from_key(mid.key) == mid


def test_a_shown_value_never_rounds_across_a_band_edge() -> None:
    """Whole units, unless rounding would show the value on the other side of a band edge: 9.6° under a red line at
    10° shows "9.6°", not "10°" beside "red ≥ 10°"; −16.2° under a red line "< −16°" shows "−16.2°", while −15.7°,
    amber, may show "−16°"."""
    high = _spec("high_bad", 5.0, 10.0)
    assert [shown(v, high) for v in (9.6, 9.96, 10.2, 7.0, 4.7)] == ["9.6°", "9.96°", "10°", "7°", "4.7°"]
    low = _spec("low_bad", -13.0, -16.0)
    assert [shown(v, low) for v in (-15.7, -16.2, -9.0)] == ["-16°", "-16.2°", "-9°"]
    pct = replace(high, unit="%")
    assert shown(12.4, pct) == "+12%" and shown(9.7, pct) == "+9.7%"
