"""pipeline.video on clips generated here with ffmpeg (testsrc2/colour sources) and on the real VFR clip."""

from __future__ import annotations

import dataclasses
import struct
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED_VIDEOS

from pipeline import video
from pipeline.errors import VideoError
from pipeline.video import ClipWriter, cfr_schedule, ffmpeg_exe, frame_size, probe, read_frames

REAL_VFR = SHARED_VIDEOS / "squat_front_bodyweight_gym_good_04.mp4"
MARKER = "drawbox=x=0:y=0:w=32:h=24:color=red:t=fill"  # red block in the coded frame's top-left corner


def ff(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120)


def src(size: str = "160x120", rate: str = "30", n: int = 12, vf: str = "") -> list[str]:
    """Input + frame-count args for an n-frame testsrc2 clip."""
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}", "-frames:v", str(n), *(["-vf", vf] if vf else [])]


def encoders() -> str:
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30
    ).stdout


def n_decoded(info: video.VideoInfo, **kw: int) -> int:
    return sum(1 for _ in read_frames(info, **kw))


def top_level_boxes(path: Path) -> list[str]:
    data, off, names = path.read_bytes(), 0, []
    while off + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[off : off + 8])
        size = struct.unpack(">Q", data[off + 8 : off + 16])[0] if size == 1 else size or len(data) - off
        names.append(kind.decode("latin1"))
        off += size
    return names


def test_fraction_fps_is_exact_and_bframes_counted(tmp_path: Path) -> None:
    clip = tmp_path / "ntsc.mp4"
    ff(*src(rate="30000/1001", n=60), "-c:v", "libx264", "-bf", "3", "-pix_fmt", "yuv420p", str(clip))
    info = probe(clip)
    assert info.fps == Fraction(30000, 1001) and not info.is_vfr
    assert (info.width, info.height, info.rotation_deg, info.codec) == (160, 120, 0, "h264")
    assert info.n_frames == 60 == n_decoded(info)
    np.testing.assert_allclose(info.t_s, np.arange(60) * 1001 / 30000, atol=1e-3)
    assert info.duration_s == pytest.approx(60 * 1001 / 30000, abs=1e-3)


def test_vfr_timestamps_match_truth(tmp_path: Path) -> None:
    clip = tmp_path / "vfr.mp4"
    setpts = "setpts=(N/30+gte(N\\,20)*0.25+0.01*mod(N\\,3))/TB"
    ff(*src(n=40, vf=f"settb=1/90000,{setpts}"), "-fps_mode", "passthrough", "-enc_time_base", "1/90000",
       "-c:v", "libx264", "-video_track_timescale", "90000", str(clip))  # fmt: skip
    n = np.arange(40)
    truth = n / 30 + (n >= 20) * 0.25 + 0.01 * (n % 3)
    info = probe(clip)
    assert info.is_vfr and info.n_frames == 40
    assert np.abs(info.t_s - truth).max() < 1e-3
    assert [t for _, t, _ in read_frames(info)] == pytest.approx(list(info.t_s))


def test_edit_list_cut_drops_discarded_packets(tmp_path: Path) -> None:
    """Stream-copying from mid-GOP writes an edit list; the packets before its start are not frames."""
    full, cut = tmp_path / "full.mp4", tmp_path / "cut.mp4"
    ff(*src(n=60), "-c:v", "libx264", "-g", "60", str(full))
    ff("-ss", "0.5", "-i", str(full), "-c", "copy", str(cut))
    info = probe(cut)
    assert info.n_frames == n_decoded(info) < 60
    assert info.t_s[0] == 0.0 and not info.is_vfr


@pytest.mark.parametrize(
    ("display_rotation", "rotation_deg", "corner"),
    [(90, 270, "bottom-left"), (-90, 90, "top-right"), (180, 180, "bottom-right")],
    ids=["ccw90", "cw90-phone", "upside-down"],
)
def test_rotation_applied(tmp_path: Path, display_rotation: int, rotation_deg: int, corner: str) -> None:
    land, rot = tmp_path / "land.mp4", tmp_path / "rot.mp4"
    ff(*src(size="320x240", n=3, vf=MARKER), "-c:v", "libx264", str(land))
    ff("-display_rotation", str(display_rotation), "-i", str(land), "-c", "copy", str(rot))
    info = probe(rot)
    portrait = rotation_deg != 180
    assert (info.width, info.height) == ((240, 320) if portrait else (320, 240))
    assert info.rotation_deg == rotation_deg
    frames = [f for _, _, f in read_frames(info)]
    assert len(frames) == 3 and frames[0].shape == (info.height, info.width, 3)
    f = frames[0].astype(int)
    rows = slice(0, 10) if corner.startswith("top") else slice(-10, None)
    cols = slice(0, 10) if corner.endswith("left") else slice(-10, None)
    b, g, r = f[rows, cols].reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60, (corner, (b, g, r))


@pytest.mark.parametrize(
    ("turn", "corner"), [(90, "top-right"), (270, "bottom-left")], ids=["clockwise", "anticlockwise"]
)
def test_turned_frames_stand_the_clip_up(tmp_path: Path, turn: int, corner: str) -> None:
    """A clip filmed sideways with no rotation metadata: turned() makes read_frames turn every frame."""
    land = tmp_path / "land.mp4"
    ff(*src(size="320x240", n=3, vf=MARKER), "-c:v", "libx264", str(land))
    info = video.turned(probe(land), turn)
    assert (info.width, info.height, info.turn_deg) == (240, 320, turn)
    frames = [f for _, _, f in read_frames(info, max_height=160)]
    assert len(frames) == 3 and frames[0].shape == (160, 120, 3)
    f = frames[0].astype(int)
    rows = slice(0, 5) if corner.startswith("top") else slice(-5, None)
    cols = slice(0, 5) if corner.endswith("left") else slice(-5, None)
    b, g, r = f[rows, cols].reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60, (corner, (b, g, r))


def test_creation_time_is_read_from_the_metadata(tmp_path: Path) -> None:
    plain, dated = tmp_path / "plain.mp4", tmp_path / "dated.mp4"
    ff(*src(n=3), "-c:v", "libx264", str(plain))
    ff("-i", str(plain), "-c", "copy", "-metadata", "creation_time=2026-11-12T09:30:00Z", str(dated))
    assert probe(plain).creation_time == ""
    assert probe(dated).creation_time.startswith("2026-11-12T09:30:00")


CODECS = [  # (encoder, container, ffmpeg codec name, extra args)
    ("libx265", "mp4", "hevc", ["-x265-params", "log-level=error", "-tag:v", "hvc1"]),
    ("libx265", "mkv", "hevc", ["-x265-params", "log-level=error"]),
    ("libvpx-vp9", "webm", "vp9", ["-deadline", "realtime", "-cpu-used", "8"]),
    ("libsvtav1", "mkv", "av1", ["-preset", "12"]),
    ("libaom-av1", "mp4", "av1", ["-cpu-used", "8", "-usage", "realtime"]),
    ("libx264", "mov", "h264", []),
]


@pytest.mark.parametrize(("encoder", "ext", "codec", "extra"), CODECS, ids=[f"{c[0]}-{c[1]}" for c in CODECS])
def test_codecs_and_containers_decode(tmp_path: Path, encoder: str, ext: str, codec: str, extra: list[str]) -> None:
    if f" {encoder} " not in encoders():
        pytest.skip(f"this ffmpeg has no {encoder} encoder")
    clip = tmp_path / f"clip.{ext}"
    ff(*src(size="192x128", rate="25", n=15), "-c:v", encoder, *extra, "-pix_fmt", "yuv420p", str(clip))
    info = probe(clip)
    assert info.codec == codec and info.fps == 25 and not info.is_vfr
    items = list(read_frames(info))
    assert [i for i, _, _ in items] == list(range(15)) == list(range(info.n_frames))
    frame = items[-1][2]
    assert frame.shape == (128, 192, 3) and frame.dtype == np.uint8 and frame.flags.c_contiguous


@pytest.mark.parametrize(
    ("max_height", "expected_wh"),
    [(None, (640, 360)), (1000, (640, 360)), (360, (640, 360)), (180, (320, 180)), (101, (178, 100))],
    ids=["none", "never-up", "equal", "half", "odd-limit-even-dims"],
)
def test_max_height_scaling(tmp_path: Path, max_height: int | None, expected_wh: tuple[int, int]) -> None:
    clip = tmp_path / "wide.mp4"
    ff(*src(size="640x360", n=4), "-c:v", "libx264", str(clip))
    info = probe(clip)
    assert frame_size(info, max_height) == expected_wh
    frames = [f for _, _, f in read_frames(info, max_height=max_height)]
    assert len(frames) == 4 and all(f.shape == (expected_wh[1], expected_wh[0], 3) for f in frames)


@pytest.mark.parametrize(
    ("start", "stop", "every"),
    [(0, 7, 1), (7, None, 1), (5, 9, 1), (12, None, 1), (0, None, 2), (6, None, 3), (4, 11, 2), (0, 12, 5)],
    ids=["head", "tail", "middle", "past-end", "every-2nd", "tail-every-3rd", "middle-every-2nd", "every-5th"],
)
def test_start_stop_every_yield_the_same_frames(tmp_path: Path, start: int, stop: int | None, every: int) -> None:
    """A part of the clip (used to run BlazePose on halves of a clip at once), or every n-th frame of it (a model
    sampling at 12 Hz), is exactly that slice of the whole, B-frames, VFR timing and scaling included."""
    clip = tmp_path / "vfr.mp4"
    setpts = "setpts=(N/30+gte(N\\,6)*0.2)/TB"
    ff(*src(size="320x180", n=12, vf=f"settb=1/90000,{setpts}"), "-fps_mode", "passthrough", "-bf", "2",
       "-c:v", "libx264", "-video_track_timescale", "90000", str(clip))  # fmt: skip
    info = probe(clip)
    assert info.is_vfr and info.n_frames == 12
    whole = list(read_frames(info, max_height=90))
    part = list(read_frames(info, max_height=90, start=start, stop=stop, every=every))
    want = whole[start:stop:every]
    assert [(i, t) for i, t, _ in part] == [(i, t) for i, t, _ in want]
    for (_, _, a), (_, _, b) in zip(part, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_frame_count_mismatch_trims_or_stops(tmp_path: Path) -> None:
    clip = tmp_path / "c.mp4"
    ff(*src(n=10), "-c:v", "libx264", str(clip))
    info = probe(clip)
    more = dataclasses.replace(info, t_s=np.arange(14) / 30.0)  # probe said more than the decoder gives
    fewer = dataclasses.replace(info, t_s=np.arange(6) / 30.0)  # decoder gives more than probe said
    assert n_decoded(more) == 10 and n_decoded(fewer) == 6


def test_closing_early_kills_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = tmp_path / "long.mp4"
    ff(*src(n=300), "-c:v", "libx264", "-preset", "ultrafast", str(clip))
    info = probe(clip)
    procs: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*a: object, **kw: object) -> subprocess.Popen[bytes]:
        procs.append(real_popen(*a, **kw))  # type: ignore[call-overload]
        return procs[-1]

    monkeypatch.setattr(video.subprocess, "Popen", recording_popen)
    gen = read_frames(info)
    next(gen)
    gen.close()
    assert len(procs) == 1 and procs[0].returncode is not None


def test_one_frame_video_probes(tmp_path: Path) -> None:
    clip = tmp_path / "one.mp4"
    ff(*src(n=1), "-c:v", "libx264", str(clip))
    info = probe(clip)
    assert info.n_frames == 1 == n_decoded(info) and info.duration_s == pytest.approx(1 / 30, abs=1e-3)


def _bad(tmp_path: Path, case: str) -> Path:
    """Write one kind of bad input; returns its path."""
    p = tmp_path / f"bad_{case}.mp4"
    if case == "empty":
        p.write_bytes(b"")
    elif case == "text":
        p.write_text("squat set 1: 5 reps\n" * 50)
    elif case == "garbage":
        p.write_bytes(np.random.default_rng(42).integers(0, 256, 20000, dtype=np.uint8).tobytes())
    elif case == "audio":
        p = p.with_suffix(".m4a")
        ff("-f", "lavfi", "-i", "sine=duration=1", str(p))
    elif case in ("png", "jpg"):
        p = p.with_suffix("." + case)
        ff(*src(n=1), str(p))
    elif case in ("truncated", "undecodable"):
        ff(*src(n=30), "-c:v", "libx264", str(p))  # moov at the end: mdat first
        data = bytearray(p.read_bytes())
        mdat = data.index(b"mdat") + 4
        moov = data.index(b"moov") - 4
        if case == "truncated":
            data = data[: mdat + (moov - mdat) // 2]
        else:
            data[mdat:moov] = bytes(moov - mdat)
        p.write_bytes(bytes(data))
    return p


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "file not found"),
        ("empty", "file is empty (0 bytes)"),
        ("text", "not a video"),
        ("garbage", "not a video"),
        ("audio", "no video stream (audio only)"),
        ("png", "not a video: single image"),
        ("jpg", "not a video: single image"),
        ("truncated", "no 'moov' index"),
        ("undecodable", "no decodable video frames"),
    ],
)
def test_bad_input_raises_one_clear_error(tmp_path: Path, case: str, message: str) -> None:
    p = tmp_path / "missing.mp4" if case == "missing" else _bad(tmp_path, case)
    with pytest.raises(VideoError) as err:
        probe(p)
    assert err.value.message.startswith(f"{p.name}: ") and message in err.value.message, err.value.message


def test_clip_writer_output_is_browser_h264(tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    fps = Fraction(30000, 1001)
    with ClipWriter(out, 160, 120, fps) as clip:
        for k in range(45):
            clip.write(np.full((120, 160, 3), (k * 5) % 256, dtype=np.uint8))
    assert [p.name for p in tmp_path.iterdir()] == ["annotated.mp4"]
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")  # +faststart
    header = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(out)], capture_output=True, text=True).stderr
    assert "Video: h264" in header and "yuv420p" in header
    info = probe(out)
    assert (info.n_frames, info.width, info.height, info.fps) == (45, 160, 120, fps)
    assert info.duration_s == pytest.approx(45 / float(fps), abs=1e-3)


def test_clip_writer_odd_size_is_padded(tmp_path: Path) -> None:
    out = tmp_path / "odd.mp4"
    with ClipWriter(out, 161, 121, Fraction(25)) as clip:
        for _ in range(5):
            clip.write(np.zeros((121, 161, 3), dtype=np.uint8))
    info = probe(out)
    assert (info.width, info.height, info.n_frames) == (162, 122, 5)


def test_clip_writer_leaves_nothing_on_error(tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    out.write_bytes(b"previous run")
    with pytest.raises(RuntimeError), ClipWriter(out, 64, 48, Fraction(30)) as clip:
        clip.write(np.zeros((48, 64, 3), dtype=np.uint8))
        raise RuntimeError("drawing failed")
    assert out.read_bytes() == b"previous run" and [p.name for p in tmp_path.iterdir()] == ["annotated.mp4"]
    with pytest.raises(ValueError, match="expected a"), ClipWriter(tmp_path / "x.mp4", 64, 48, Fraction(30)) as clip:
        clip.write(np.zeros((48, 63, 3), dtype=np.uint8))
    assert not (tmp_path / "x.mp4").exists()


@pytest.mark.parametrize(
    ("t_s", "fps", "expected"),
    [
        (np.arange(5) / 30, Fraction(30), [0, 1, 2, 3, 4]),
        (np.array([0.0, 0.1, 0.3]), Fraction(10), [0, 1, 1, 2]),
        (np.array([0.0, 0.05, 0.1]), Fraction(10), [1, 2]),
        (np.array([0.0]), Fraction(30), [0]),
    ],
    ids=["cfr-identity", "vfr-gap-repeats", "faster-source-drops", "single"],
)
def test_cfr_schedule(t_s: np.ndarray, fps: Fraction, expected: list[int]) -> None:
    assert cfr_schedule(t_s, fps).tolist() == expected


@pytest.mark.skipif(not REAL_VFR.exists(), reason="shared real clips not available")
def test_real_vfr_clip() -> None:
    info = probe(REAL_VFR)
    assert info.is_vfr and (info.width, info.height) == (1194, 668)
    # The video track lasts 9.862 s (tkhd/mdhd); the 9.96 s in SOURCES.md is the movie (audio track) duration.
    assert info.duration_s == pytest.approx(9.862, abs=0.01)
    assert float(info.fps) == pytest.approx(17.41, abs=0.01)
    assert n_decoded(info, max_height=240) == info.n_frames == 172


def test_cfr_frames_keep_vfr_timing(tmp_path: Path) -> None:
    """A VFR clip re-timed to its average rate: each output slot shows the frame on screen at that moment."""
    clip = tmp_path / "vfr.mp4"
    setpts = "setpts=(N/30+gte(N\\,20)*0.5)/TB"  # a half-second freeze after frame 20
    ff(*src(n=40, vf=f"settb=1/90000,{setpts}"), "-fps_mode", "passthrough", "-enc_time_base", "1/90000",
       "-c:v", "libx264", "-video_track_timescale", "90000", str(clip))  # fmt: skip
    info = probe(clip)
    idx = [i for i, _, _ in video.read_frames_cfr(info, max_height=60)]
    assert len(idx) / float(info.fps) == pytest.approx(info.duration_s, abs=1.5 / float(info.fps))
    slot_t = np.arange(len(idx)) / float(info.fps)
    shown = info.t_s[idx]
    assert np.all(shown <= slot_t + 1 / float(info.fps)) and np.all(slot_t - shown < 0.5 + 2 / float(info.fps))
    assert idx.count(19) > 1  # the frame before the freeze is repeated through it


@pytest.mark.parametrize(("turn", "corner"), [(0, "top-right"), (90, "top-left")], ids=["as-filmed", "turned"])
def test_mirrored_frames_are_flipped_left_to_right_after_any_turn(tmp_path: Path, turn: int, corner: str) -> None:
    """The pose model's second look (`pipeline.mirror`) reads the clip flipped; size and frame count unchanged."""
    land = tmp_path / "land.mp4"
    ff(*src(size="320x240", n=3, vf=MARKER), "-c:v", "libx264", str(land))
    info = dataclasses.replace(video.turned(probe(land), turn), mirrored=True)
    frames = [f for _, _, f in read_frames(info, max_height=160)]
    assert len(frames) == 3 and frames[0].shape[:2] == video.frame_size(info, 160)[::-1]
    f = frames[0].astype(int)
    cols = slice(0, 5) if corner.endswith("left") else slice(-5, None)
    b, g, r = f[0:5, cols].reshape(-1, 3).mean(0)
    assert r > 200 and g < 60 and b < 60, (corner, (b, g, r))
