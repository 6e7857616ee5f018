"""A clip filmed sideways with no rotation metadata is stood up before it is measured (or gets one clear line)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.keypoints import PoseTrack
from pipeline.upright import SIDEWAYS_LINE, Upright, upright_turn
from pipeline.video import ffmpeg_exe
from tests.synthetic_tracks import Spec, make_track

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


def _turned(track: PoseTrack, clockwise_deg: int) -> PoseTrack:
    """The track as a camera turned the other way would have seen it: image turned `clockwise_deg` clockwise."""
    x, y = track.xy[..., 0], track.xy[..., 1]
    w, h = track.frame_wh
    xy = np.stack([h - y, x], -1) if clockwise_deg == 90 else np.stack([y, w - x], -1)
    return replace(track, xy=xy.astype(np.float32), frame_wh=(h, w))


@pytest.fixture(scope="module")
def squat() -> PoseTrack:
    return make_track(Spec())[0]


def test_an_upright_squat_is_left_alone(squat: PoseTrack) -> None:
    assert upright_turn(squat) == Upright(sideways=False, turn_deg=0)


@pytest.mark.parametrize(("filmed", "stand_up"), [(90, 270), (270, 90)], ids=["head-right", "head-left"])
def test_a_sideways_squat_is_turned_back_by_where_the_head_is(squat: PoseTrack, filmed: int, stand_up: int) -> None:
    up = upright_turn(_turned(squat, filmed))
    assert up.sideways and up.turn_deg == stand_up


def test_sideways_with_the_head_flipping_sides_cannot_be_stood_up(squat: PoseTrack) -> None:
    a, b = _turned(squat, 90), _turned(squat, 270)
    half = len(squat) // 2
    mixed = replace(a, xy=np.concatenate([a.xy[:half], b.xy[half:]]))
    up = upright_turn(mixed)
    assert up.sideways and up.turn_deg == 0


def test_when_up_cannot_be_told_the_job_fails_with_one_clear_line(squat: PoseTrack) -> None:
    from types import SimpleNamespace

    from pipeline.errors import AnalysisError
    from pipeline.job import _stand_up

    a, b = _turned(squat, 90), _turned(squat, 270)
    half = len(squat) // 2
    mixed = replace(a, xy=np.concatenate([a.xy[:half], b.xy[half:]]))
    info = SimpleNamespace(rotation_deg=0)
    with pytest.raises(AnalysisError) as e:
        _stand_up(Path("phone clip.mp4"), info, mixed, None, None, None)  # type: ignore[arg-type]
    assert e.value.format_message() == f"phone clip.mp4: {SIDEWAYS_LINE}"
    assert _stand_up(Path("a.mp4"), info, squat, None, None, None) is squat  # type: ignore[arg-type]
    # lying across only because of the rotation saved in the file: measured as the file says, with a note
    kept = _stand_up(Path("a.mp4"), SimpleNamespace(rotation_deg=90), mixed, None, None, None)  # type: ignore[arg-type]
    assert kept.extra["looks_sideways"] and np.array_equal(kept.xy, mixed.xy, equal_nan=True)


@pytest.mark.slow
def test_a_sideways_clip_is_analysed_upright_end_to_end(tmp_path: Path) -> None:
    """squat_front_good transposed (no rotation metadata): BlazePose finds the body lying across the frame."""
    src = tmp_path / "in"
    src.mkdir()
    clip = src / "sideways.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-v", "error", "-i", str(SAMPLES / "squat_front_good.mp4"), "-vf", "transpose=clock"]
        + ["-c:v", "libx264", "-crf", "23", str(clip)],
        check=True,
        timeout=120,
    )
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["batch", str(src), "-o", str(out), "--pose", "mediapipe", "-j", "1"])
    assert r.exit_code == 0, r.output + r.stderr
    result = json.loads((out / "sideways.mp4" / "result.json").read_text())
    assert result["turned_deg"] == 270 and result["exercise"] == "squat" and len(result["reps"]) == 3
    assert "filmed sideways" in result["notes"][0]
    assert "turned upright" in (out / "sideways.mp4" / "report.html").read_text()
