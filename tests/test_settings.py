"""Settings: the TOML mirrors the dataclass defaults, layering order, and every problem reported at once."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from pipeline.errors import SettingsError
from pipeline.resources import data_file
from pipeline.settings import Settings, load_settings

DEFAULT_CONFIG = data_file("configs", "default.toml")


def test_default_toml_equals_dataclass_defaults_and_has_help_for_every_key() -> None:
    toml = tomllib.loads(DEFAULT_CONFIG.read_text())
    defaults = Settings()
    text = DEFAULT_CONFIG.read_text()
    for f in fields(Settings):
        if f.name in ("bands", "metrics"):
            continue
        section = getattr(defaults, f.name)
        assert set(toml[f.name]) == {g.name for g in fields(section)}, f"[{f.name}] keys differ from the dataclass"
        for g in fields(section):
            want = getattr(section, g.name)
            got = toml[f.name][g.name]
            assert (tuple(got) if isinstance(want, tuple) else got) == want, f"[{f.name}] {g.name}"
            assert g.metadata.get("help"), f"[{f.name}] {g.name} has no help text"
            assert f"# {g.metadata['help']}\n{g.name} =" in text, f"[{f.name}] {g.name}: comment missing in TOML"


def test_layering_file_then_flags_then_env_only_when_unset(tmp_path: Path) -> None:
    coach = tmp_path / "coach.toml"
    coach.write_text('[pose]\nmodel = "from-file"\n[batch]\njobs = 3\n')
    s = load_settings(coach, batch__jobs=None, env__model="from-env")
    assert (s.pose.model, s.batch.jobs) == ("from-file", 3)  # None flag = not given; env below the file
    s = load_settings(coach, pose__model="from-flag", batch__jobs=1)
    assert (s.pose.model, s.batch.jobs) == ("from-flag", 1)
    assert load_settings(None, env__model="from-env").pose.model == "from-env"


def test_all_problems_reported_together(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[pose]\nbakend = "yolo"\nimgsz = "big"\n[nonsense]\nx = 1\n')
    with pytest.raises(SettingsError) as e:
        load_settings(bad)
    msg = e.value.format_message()
    assert "unknown key 'bakend'" in msg and "imgsz: expected int, got str" in msg and "[nonsense]" in msg


def test_unreadable_toml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[pose\n")
    with pytest.raises(SettingsError, match="broken.toml: not valid TOML"):
        load_settings(bad)


def test_digest_changes_with_a_setting() -> None:
    a = load_settings()
    b = load_settings(None, pose__crop_margin=0.3)
    assert a.digest("pose") != b.digest("pose") and a.digest("clean") == b.digest("clean")


def test_a_broken_band_from_the_coach_stops_the_run(tmp_path: Path) -> None:
    coach = tmp_path / "coach.toml"
    coach.write_text('[bands.knee_track]\ndirection = "worse"\namber = "low"\n')
    with pytest.raises(SettingsError) as e:
        load_settings(coach)
    msg = e.value.format_message()
    assert "coach.toml [bands.knee_track] amber: expected float" in msg
    assert "coach.toml [bands.knee_track] direction: 'worse' is not one of high_bad, low_bad, report" in msg
    assert e.value.exit_code == 2


@pytest.mark.parametrize(
    ("table", "line"),
    [
        ("[bands.knee_trak]\namber = 1.0\n", "[bands.knee_trak]: unknown metric 'knee_trak'"),
        ("[bands.fppa]\namber = 20.0\n", "[bands.fppa] amber/red: high_bad (bigger is worse) needs amber < red"),
        ("[bands.knee_track]\nred = -5.0\n", "[bands.knee_track] amber/red: low_bad (smaller is worse) needs amber >"),
        ('[bands.kasr]\narea = "knees"\n', "[bands.kasr] area: 'knees' is not one of knee_tracking"),
        ('[bands.kasr]\nscored_four = ["squat"]\n', "[bands.kasr] scored_four: unknown field"),
        ('[bands.kasr]\nscored_for = ["squats"]\n', "[bands.kasr] scored_for: ['squats'] not among squat, lunge"),
        ("[bands.knee_track]\nred_alone = -10.0\n", "[bands.knee_track] red_alone: must lie at or beyond red (-16)"),
    ],
    ids=["unknown-metric", "high-bad-order", "low-bad-order", "area", "misspelt-field", "exercise", "red-alone-order"],
)
def test_a_band_typo_that_would_change_a_verdict_stops_the_run(tmp_path: Path, table: str, line: str) -> None:
    """A misspelt metric was ignored, a misspelt field dropped silently, amber past red flipped colours: now each
    is one line naming the coach's file, the table and the key."""
    coach = tmp_path / "coach.toml"
    coach.write_text(table)
    with pytest.raises(SettingsError) as e:
        load_settings(coach)
    msg = e.value.format_message()
    assert f"coach.toml {line}" in msg and msg.count("\n") == 1  # the header line and this one


def test_missing_packaged_data_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pipeline import resources

    class Elsewhere:  # what importlib.resources would give for a package with neither layout beside it
        def __str__(self) -> str:
            return str(tmp_path / "pipeline")

    monkeypatch.setattr(resources.resources, "files", lambda _pkg: Elsewhere())
    with pytest.raises(SettingsError, match=r"built-in configs/ folder is missing.*reinstall"):
        load_settings()


def test_a_metric_without_a_band_gets_no_colour() -> None:
    from pipeline.metrics import MetricId
    from pipeline.scoring import metric_value

    with pytest.raises(SettingsError, match="no scoring band for 'knee_track'"):
        metric_value(MetricId("knee_track", "left"), -30.0, "", "squat", {})
