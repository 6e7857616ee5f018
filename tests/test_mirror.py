"""The second look before a red card: the track from the flipped video, put back, and what a red needs to stand."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from synthetic_tracks import Spec, make_track

from pipeline import job, mirror
from pipeline.cache import FLIP_CACHE_NAME
from pipeline.keypoints import MIRROR, Kp, PoseTrack
from pipeline.metrics import MetricId
from pipeline.mirror import checked, held, red_areas, second_look_for, unflipped, unsure_readings
from pipeline.pose import BackendPlan
from pipeline.result import ClipResult, MetricValue
from pipeline.scoring import FLIP_CLEARED_NOTE, FLIP_NOT_HELD, confirms, evaluate, metric_value
from pipeline.settings import Settings, load_settings
from pipeline.video import VideoInfo, ffmpeg_exe

SETTINGS: Settings = load_settings()
CAVE = Spec(reps=2, cave_deg=(15.0, 15.0), noise_px=1.0, seed=1)
GOOD = replace(CAVE, cave_deg=(0.0, 0.0))
# a 15° left-knee cave, wide toes-out stance, half depth: red before the foot direction's error allowance, green after
UNSURE = Spec(
    stance_half_m=0.29, toe_out_deg=30.0, depth=0.5, cave_deg=(15.0, 0.0), noise_px=1.0, dropout_frac=0.05, seed=7
)


def as_the_flipped_video_shows_it(track: PoseTrack) -> PoseTrack:
    """What a pose model run on the flipped frames returns: x mirrored, and legs named as the flipped image shows
    them (the client's left leg looks like a right leg there)."""
    xy = np.array(track.xy)[:, MIRROR]
    xy[..., 0] = track.frame_wh[0] - xy[..., 0]
    boxes = np.array(track.boxes)
    boxes[:, [0, 2]] = track.frame_wh[0] - boxes[:, [2, 0]]
    return replace(track, xy=xy, conf=np.array(track.conf)[:, MIRROR], boxes=boxes)


def colours(r: ClipResult) -> dict[str, str]:
    return {v.area: v.colour for v in r.verdicts}


def test_unflipped_puts_the_flipped_look_back_on_the_clients_own_legs() -> None:
    one_knee = make_track(replace(CAVE, cave_deg=(15.0, 0.0)))[0]
    seen_flipped = as_the_flipped_video_shows_it(one_knee)
    back = unflipped(seen_flipped)
    np.testing.assert_allclose(back.xy, one_knee.xy, atol=1e-3)
    np.testing.assert_allclose(back.boxes, one_knee.boxes, atol=1e-3)
    np.testing.assert_array_equal(back.conf, one_knee.conf)
    # by hand: the flipped image shows the client's left knee at x' = 720 - x, under the model's "right knee"
    i = 100
    assert seen_flipped.xy[i, Kp.R_KNEE, 0] == pytest.approx(720 - one_knee.xy[i, Kp.L_KNEE, 0], abs=1e-3)
    assert back.extra["flipped"] is True

    def knee_red(r: ClipResult) -> set[str]:
        return {m.key for m in r.clip_metrics if m.key.startswith("knee_track_") and m.colour == "red"}

    # the caving knee is the left one in both looks once put back (scored as the model named it, it is the right)
    assert knee_red(evaluate(one_knee, SETTINGS, "x.mp4")) == {"knee_track_left"}
    assert knee_red(evaluate(back, SETTINGS, "x.mp4")) == {"knee_track_left"}
    assert knee_red(evaluate(seen_flipped, SETTINGS, "x.mp4")) == {"knee_track_right"}


def test_a_red_card_stands_where_the_flipped_look_reads_red_too_and_is_amber_where_not() -> None:
    cave, good = make_track(CAVE)[0], make_track(GOOD)[0]
    first = evaluate(cave, SETTINGS, "x.mp4")
    assert colours(first)["knee_tracking"] == "red" and red_areas(first) == ["knee_tracking"]
    assert red_areas(evaluate(good, SETTINGS, "x.mp4")) == []

    confirmed = held(first, evaluate(cave, SETTINGS, "x.mp4"), SETTINGS.metrics)
    assert checked(first, cave, SETTINGS, "x.mp4") == confirmed  # the same, from the flipped look's track
    assert confirmed == {"knee_tracking": True}
    kept = evaluate(cave, SETTINGS, "x.mp4", confirmed)
    assert colours(kept) == colours(first) and kept.flip_check == confirmed
    assert not any("flipped" in n for n in kept.notes)

    not_held = held(first, evaluate(good, SETTINGS, "x.mp4"), SETTINGS.metrics)
    assert not_held == {"knee_tracking": False}
    r = evaluate(cave, SETTINGS, "x.mp4", not_held)
    assert colours(r)["knee_tracking"] == "amber"
    assert {k: v for k, v in colours(r).items() if k != "knee_tracking"} == {
        k: v for k, v in colours(first).items() if k != "knee_tracking"
    }
    knee = [m for m in r.clip_metrics if m.area == "knee_tracking"]
    assert "red" not in {m.colour for m in knee} and any(m.reason == FLIP_NOT_HELD for m in knee)
    # nothing under the amber card says red: not a rep's reading, not a frame of the annotated clip
    assert all(m.colour != "red" for rep in r.reps for m in rep.metrics if m.area == "knee_tracking")
    assert "red" not in r.series.knee_colour_left + r.series.knee_colour_right
    assert "amber" in r.series.knee_colour_left
    assert any(n.startswith("Knee tracking read red, so we measured the video a second time") for n in r.notes)
    assert ClipResult.from_dict(json.loads(json.dumps(r.to_dict()))).flip_check == {"knee_tracking": False}


def _video_for(track: PoseTrack, path: Path) -> Path:
    """A plain clip with the track's frame count, rate and size, for the job to probe and draw on."""
    w, h = track.frame_wh
    lavfi = f"color=c=gray:size={w}x{h}:rate={float(track.fps)}"
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", lavfi, "-frames:v", str(len(track))]
    subprocess.run([*cmd, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


@pytest.mark.parametrize(("second", "card"), [("good", "amber"), ("cave", "red")])
def test_the_job_looks_again_at_a_red_clip_flipped_and_keeps_that_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, second: str, card: str
) -> None:
    cave = make_track(CAVE)[0]
    flipped_look = as_the_flipped_video_shows_it(make_track(CAVE if second == "cave" else GOOD)[0])
    calls: list[bool] = []

    def fake_pose(info: VideoInfo, _plan: object, _settings: object, progress: Callable[[int], None]) -> PoseTrack:
        calls.append(info.mirrored)
        progress(2 * info.n_frames)  # the hybrid's two passes over the frames
        return flipped_look if info.mirrored else cave

    monkeypatch.setattr(job, "estimate_track", fake_pose)
    monkeypatch.setattr(mirror, "estimate_track", fake_pose)  # the second look (`mirror.second_look`)
    video = _video_for(cave, tmp_path / "client.mp4")
    plan = BackendPlan("hybrid", "model")
    out = tmp_path / "out" / "client"
    totals: list[int] = []
    done: list[int] = []
    job.run_job(video, out, SETTINGS, plan, progress=done.append, on_total=totals.append)
    assert calls == [False, True]
    n = 2 * len(cave)
    assert totals == [n, 2 * n] and sum(done) == 2 * n  # the progress bar counts the second look
    result = json.loads((out / "result.json").read_text())
    assert {v["area"]: v["colour"] for v in result["verdicts"]}["knee_tracking"] == card
    assert result["flip_check"] == {"knee_tracking": second == "cave"}
    assert (out / FLIP_CACHE_NAME).is_file()
    totals.clear()
    done.clear()
    job.run_job(video, out, SETTINGS, plan, force=True, progress=done.append, on_total=totals.append)
    assert calls == [False, True]  # both looks come from the caches
    assert totals == [n] and sum(done) == n
    assert json.loads((out / "result.json").read_text())["flip_check"] == result["flip_check"]


def test_the_job_looks_once_at_a_clip_with_no_red_card_or_with_the_check_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracks = {"good": make_track(GOOD)[0], "cave": make_track(CAVE)[0]}
    calls: list[bool] = []
    off = replace(SETTINGS, analysis=replace(SETTINGS.analysis, flip_check=False))
    for name, settings in (("good", SETTINGS), ("cave", off)):
        track = tracks[name]

        def fake(info: VideoInfo, *_: object, t: PoseTrack = track, **__: object) -> PoseTrack:
            calls.append(info.mirrored)
            return t

        monkeypatch.setattr(job, "estimate_track", fake)
        monkeypatch.setattr(mirror, "estimate_track", fake)  # a second look would be recorded, not run
        out = tmp_path / "out" / name
        job.run_job(_video_for(track, tmp_path / f"{name}.mp4"), out, settings, BackendPlan("hybrid", "model"))
        assert not (out / FLIP_CACHE_NAME).exists()
        assert json.loads((out / "result.json").read_text())["flip_check"] == {}
    assert calls == [False, False]


def readings(**values: float) -> dict[str, MetricValue]:
    """Clip readings of a two-leg squat by key, coloured by the bands as they stand."""
    return {k: metric_value(MetricId.from_key(k), v, "", "squat", SETTINGS.metrics) for k, v in values.items()}


def test_the_flipped_look_confirms_a_red_reading_that_it_reads_past_the_red_line_too() -> None:
    specs = SETTINGS.metrics
    track, mid = specs["knee_track"], specs["knee_midfoot"]
    assert track.red_alone is not None and np.isfinite(track.red_alone) and mid.red_alone == np.inf
    # red alone in the first look, past the red line (not past red_alone) in the flipped one: the flipped look measures
    # the mirror image's shift that red_alone allows for, so it is not asked for twice
    first = readings(knee_track_left=track.red_alone - 3)["knee_track_left"]
    assert first.colour == "red"
    assert confirms(first, readings(knee_track_left=track.red - 1, knee_midfoot_left=0.0), specs)
    assert not confirms(first, readings(knee_track_left=track.red + 1, knee_midfoot_left=mid.red + 5), specs)
    assert not confirms(first, readings(knee_track_right=track.red - 10), specs)  # the other leg's is not this one
    assert not confirms(first, {}, specs)
    # inside the middle of the foot never stands red alone (a wide turned-out stance reads it too): the flipped look
    # must read the knee-over-foot angle at amber or red beside it
    inside = readings(knee_midfoot_right=mid.red + 5)["knee_midfoot_right"]
    assert not confirms(inside, readings(knee_midfoot_right=mid.red + 5, knee_track_right=track.amber + 2), specs)
    assert confirms(inside, readings(knee_midfoot_right=mid.red + 5, knee_track_right=track.amber - 1), specs)
    assert not confirms(inside, readings(knee_midfoot_right=mid.amber + 1, knee_track_right=track.red - 5), specs)


def test_a_red_card_holds_where_the_flipped_look_reads_the_card_red_on_the_other_leg() -> None:
    # a model that reads one side of the image further in can move a cave from one knee to the other between looks
    left, right = (make_track(replace(CAVE, cave_deg=c))[0] for c in ((15.0, 0.0), (0.0, 15.0)))
    first = evaluate(left, SETTINGS, "x.mp4")
    other = evaluate(right, SETTINGS, "x.mp4")
    assert colours(other)["knee_tracking"] == "red"
    assert not confirms(
        next(m for m in first.clip_metrics if m.key == "knee_track_left"),
        {m.key: m for m in other.clip_metrics},
        SETTINGS.metrics,
    )
    assert held(first, other, SETTINGS.metrics) == {"knee_tracking": True}


def test_a_knee_reading_to_check_is_cleared_only_where_the_flipped_look_reads_that_knee_green() -> None:
    """A knee reading red before its error allowance and green after it asks for a check ("check this in the video").
    The flipped look is asked about that reading: where it reads the knee green (the first look's red was the
    model's), the reading is green; where it reads the same (true joints: the same cave) or flags it, the check
    stands. Nothing else moves."""
    track, good = make_track(UNSURE)[0], make_track(replace(UNSURE, cave_deg=(0.0, 0.0)))[0]
    first = evaluate(track, SETTINGS, "x.mp4")
    assert colours(first)["knee_tracking"] == "grey" and unsure_readings(first) == ["knee_track_left"]
    assert red_areas(first) == [] and second_look_for(first) == ["knee_track_left"]
    assert second_look_for(evaluate(good, SETTINGS, "x.mp4")) == []  # a clear clip is not looked at twice

    same = checked(first, track, SETTINGS, "x.mp4")
    assert same == {"knee_track_left": True}
    stands = evaluate(track, SETTINGS, "x.mp4", same)
    assert colours(stands) == colours(first) and unsure_readings(stands) == ["knee_track_left"]
    assert FLIP_CLEARED_NOTE not in stands.notes

    cleared = checked(first, good, SETTINGS, "x.mp4")
    assert cleared == {"knee_track_left": False}
    r = evaluate(track, SETTINGS, "x.mp4", cleared)
    before = next(m for m in first.clip_metrics if m.key == "knee_track_left")
    left = next(m for m in r.clip_metrics if m.key == "knee_track_left")
    assert left.colour == "green" and not left.unsure and left.value == before.value
    assert colours(r)["knee_tracking"] == "green"
    assert {k: v for k, v in colours(r).items() if k != "knee_tracking"} == {
        k: v for k, v in colours(first).items() if k != "knee_tracking"
    }
    assert not any(m.unsure for rep in r.reps for m in rep.metrics)
    assert FLIP_CLEARED_NOTE in r.notes and not any(n.startswith("Knee tracking read red") for n in r.notes)
    assert ClipResult.from_dict(json.loads(json.dumps(r.to_dict()))).flip_check == cleared

    # the flipped look flags that knee (amber): a reading to check there too, so the check stands
    theirs = evaluate(good, SETTINGS, "x.mp4")
    flagged = replace(
        theirs,
        clip_metrics=[replace(m, colour="amber") if m.key == "knee_track_left" else m for m in theirs.clip_metrics],
    )
    assert held(first, flagged, SETTINGS.metrics) == {"knee_track_left": True}


def test_the_job_looks_again_at_a_clip_whose_knee_reading_asks_for_a_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    track = make_track(UNSURE)[0]
    flipped_look = as_the_flipped_video_shows_it(make_track(replace(UNSURE, cave_deg=(0.0, 0.0)))[0])
    calls: list[bool] = []

    def fake_pose(info: VideoInfo, *_: object, **__: object) -> PoseTrack:
        calls.append(info.mirrored)
        return flipped_look if info.mirrored else track

    monkeypatch.setattr(job, "estimate_track", fake_pose)
    monkeypatch.setattr(mirror, "estimate_track", fake_pose)
    out = tmp_path / "out" / "client"
    job.run_job(_video_for(track, tmp_path / "client.mp4"), out, SETTINGS, BackendPlan("hybrid", "model"))
    assert calls == [False, True] and (out / FLIP_CACHE_NAME).is_file()
    result = json.loads((out / "result.json").read_text())
    assert result["flip_check"] == {"knee_track_left": False}
    assert {v["area"]: v["colour"] for v in result["verdicts"]}["knee_tracking"] == "green"
