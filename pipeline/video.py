"""Video in and out through ffmpeg: probe without ffprobe, streamed decode with real timestamps, atomic H.264 out.

The only module that runs ffmpeg (the binary on PATH if present, else the one the imageio-ffmpeg wheel ships).
Reads video files; writes MP4 files through `ClipWriter`. Frames are BGR uint8 with rotation metadata applied.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import ffmpeg
import numpy as np
import numpy.typing as npt

from pipeline.errors import VideoError

PROBE_TIMEOUT_S = 120
_STREAM = re.compile(r"Stream #\d+:\d+.*?: Video: (?P<codec>\w+).*?, (?P<w>\d{2,5})x(?P<h>\d{2,5})[\s,\[]")
_ROTATION = re.compile(r"(?:rotation of|rotate\s*:)\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)
_IMAGE_CODECS = {"png", "mjpeg", "bmp", "gif", "webp", "tiff", "jpegls"}


@functools.cache
def ffmpeg_exe() -> str:
    """A system ffmpeg on PATH if there is one, else the binary that ships in the imageio-ffmpeg wheel."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class VideoInfo:
    """What a video is, as decoded.

    Attributes:
        path: the file.
        width, height: displayed size in pixels (rotation applied: portrait phone clips are portrait).
        rotation_deg: display rotation applied by the decoder, 0/90/180/270.
        fps: average frame rate as an exact fraction (30000/1001 stays 30000/1001).
        t_s: (T,) float64, presentation time of every frame in seconds from the first frame (VFR-safe).
        duration_s: first frame to the end of the last frame, seconds.
        codec: decoder name, e.g. "h264", "hevc", "av1", "vp9".
        is_vfr: frame durations vary by more than 10 %.
    """

    path: Path
    width: int
    height: int
    rotation_deg: int
    fps: Fraction
    t_s: npt.NDArray[np.float64]
    duration_s: float
    codec: str
    is_vfr: bool

    @property
    def n_frames(self) -> int:
        return int(self.t_s.shape[0])


def _run(args: list[str], path: Path, timeout: float = PROBE_TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run([ffmpeg_exe(), "-hide_banner", *args], capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise VideoError(
            f"{path.name}: reading the file took over {timeout:.0f} s; is it on a slow or broken disk?"
        ) from None


def _header_error(path: Path, stderr: str) -> VideoError:
    low = stderr.lower()
    if "moov atom not found" in low:
        return VideoError(
            f"{path.name}: the MP4 is incomplete (no index/moov atom); was the copy or recording cut short?"
        )
    if "invalid data found" in low or "could not find codec" in low or "unknown format" in low:
        return VideoError(f"{path.name}: not a video ffmpeg can read (unrecognised or corrupt data)")
    if "permission denied" in low:
        return VideoError(f"{path.name}: permission denied")
    last = next((ln.strip() for ln in reversed(stderr.splitlines()) if ln.strip()), "unknown error")
    return VideoError(f"{path.name}: cannot be read as a video ({last})")


def probe(path: Path) -> VideoInfo:
    """Read a video's size, rotation, codec and every frame's timestamp, without decoding a frame.

    Raises:
        VideoError: missing, empty, not a video, audio only, a still image, truncated, or no frames.
    """
    path = Path(path)
    if not path.exists():
        raise VideoError(f"{path.name}: file not found")
    if path.is_dir():
        raise VideoError(f"{path.name}: is a folder, not a video")
    if path.stat().st_size == 0:
        raise VideoError(f"{path.name}: file is empty (0 bytes)")
    head = _run(["-i", str(path)], path).stderr.decode("utf-8", "replace")
    if "Input #0" not in head:
        raise _header_error(path, head)
    m = _STREAM.search(head)
    if m is None:
        kinds = sorted(set(re.findall(r"Stream #\d+:\d+.*?: (\w+):", head)))
        what = f"only {', '.join(k.lower() for k in kinds)} streams" if kinds else "no streams"
        raise VideoError(f"{path.name}: no video stream ({what}); is it an audio file?")
    codec = m.group("codec")
    if codec in _IMAGE_CODECS and ("image2" in head or "_pipe" in head or "png" in head.split("Input #0", 1)[1][:40]):
        raise VideoError(f"{path.name}: not a video but a single image ({codec})")
    w, h = int(m.group("w")), int(m.group("h"))
    rot = _ROTATION.search(head)
    rotation = int(round(float(rot.group(1)))) % 360 if rot else 0
    rotation = min((0, 90, 180, 270), key=lambda r: min(abs(r - rotation), 360 - abs(r - rotation)))
    if rotation in (90, 270):
        w, h = h, w  # ffmpeg's autorotate hands us frames in the displayed orientation
    t_s, frame_dur = _frame_times(path)
    if len(t_s) == 0:
        raise VideoError(f"{path.name}: the video stream holds no frames")
    if codec in _IMAGE_CODECS and len(t_s) == 1:
        raise VideoError(f"{path.name}: not a video but a single image ({codec})")
    durations = np.diff(t_s)
    typical = float(np.median(durations)) if len(durations) else frame_dur or 1 / 30
    duration = float(t_s[-1] + (frame_dur or typical))
    is_vfr = bool(len(durations) > 2 and np.percentile(np.abs(durations - typical), 90) > 0.1 * typical)
    fps = _fps_fraction(t_s, typical, is_vfr)
    return VideoInfo(path, w, h, rotation, fps, t_s, duration, codec, is_vfr)


def _frame_times(path: Path) -> tuple[npt.NDArray[np.float64], float]:
    """Presentation times of the video packets (sorted: B-frames arrive out of order), from ffmpeg's framecrc."""
    cmd = ["-v", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    out = _run(cmd, path)
    text = out.stdout.decode("utf-8", "replace")
    tb = re.search(r"#tb 0: (\d+)/(\d+)", text)
    if tb is None:
        raise _header_error(path, out.stderr.decode("utf-8", "replace"))
    base = Fraction(int(tb.group(1)), int(tb.group(2)))
    pts, durs = [], []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 4 and parts[2].lstrip("-").isdigit():
            pts.append(int(parts[2]))
            durs.append(int(parts[3]) if parts[3].lstrip("-").isdigit() else 0)
    if not pts:
        return np.zeros(0), 0.0
    order = np.argsort(pts, kind="stable")
    p = np.array(pts, dtype=np.int64)[order]
    t = (p - p[0]).astype(np.float64) * float(base)
    last_dur = float(durs[order[-1]] * base) if durs[order[-1]] > 0 else 0.0
    return t, last_dur


def _fps_fraction(t_s: npt.NDArray[np.float64], typical: float, is_vfr: bool) -> Fraction:
    if len(t_s) < 2:
        return Fraction(30)
    if is_vfr:
        return Fraction((len(t_s) - 1) / float(t_s[-1] - t_s[0])).limit_denominator(1000)
    rate = Fraction(1 / typical).limit_denominator(1001)
    # snap to the NTSC family when within rounding (29.97 → 30000/1001)
    for num in (24000, 30000, 60000, 120000):
        cand = Fraction(num, 1001)
        if abs(float(cand) - float(rate)) < 0.002:
            return cand
    return Fraction(round(float(rate) * 1000), 1000) if rate.denominator > 1001 else rate


def frame_size(info: VideoInfo, max_height: int | None) -> tuple[int, int]:
    """(width, height) that `read_frames` yields: scaled down (never up) to `max_height`, even, aspect kept."""
    if not max_height or info.height <= max_height:
        w, h = info.width, info.height
    else:
        h = max_height
        w = int(round(info.width * max_height / info.height))
    return max(2, w - w % 2), max(2, h - h % 2)


def read_frames(
    info: VideoInfo, *, max_height: int | None = None
) -> Iterator[tuple[int, float, npt.NDArray[np.uint8]]]:
    """Stream (index, t_s, frame) for every frame; frame is (H, W, 3) uint8 BGR, C-contiguous.

    Never holds more than one frame; stops cleanly (killing ffmpeg) when the consumer stops early. If the
    decoder yields more frames than probed, the extra ones are dropped; fewer, and the iteration ends early.
    """
    w, h = frame_size(info, max_height)
    stream = ffmpeg.input(str(info.path)).video
    if (w, h) != (info.width, info.height):
        stream = stream.filter("scale", w, h, flags="area")
    cmd = ffmpeg.output(stream, "pipe:", format="rawvideo", pix_fmt="bgr24", fps_mode="passthrough", an=None, sn=None)
    args = [ffmpeg_exe(), "-nostdin", "-v", "error", *ffmpeg.get_args(cmd)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=w * h * 3 * 2)
    size = w * h * 3
    try:
        assert proc.stdout is not None
        for i in range(info.n_frames):
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            yield i, float(info.t_s[i]), np.frombuffer(buf, np.uint8).reshape(h, w, 3)
    finally:
        proc.kill()
        proc.wait()


def cfr_schedule(t_s: npt.NDArray[np.float64], fps: Fraction) -> npt.NDArray[np.intp]:
    """For writing a VFR source as CFR at `fps`: the source frame shown in each output slot (same duration)."""
    if len(t_s) == 0:
        return np.zeros(0, np.intp)
    step = 1 / float(fps)
    span = float(t_s[-1] - t_s[0]) + (float(np.median(np.diff(t_s))) if len(t_s) > 1 else step)
    slots = t_s[0] + np.arange(max(1, int(round(span / step)))) * step
    return np.clip(np.searchsorted(t_s, slots + 1e-6, side="right") - 1, 0, len(t_s) - 1).astype(np.intp)


class ClipWriter:
    """Write BGR frames to an H.264 yuv420p MP4 with +faststart (plays in Chrome, Firefox, Safari).

    The file appears at `path` only when the `with` block ends cleanly (temp file + rename); on an exception
    the temp file is removed and `path` is left as it was.
    """

    def __init__(self, path: Path, width: int, height: int, fps: Fraction, *, crf: int = 23, preset: str = "veryfast"):
        if width % 2 or height % 2:
            raise ValueError(f"H.264 yuv420p needs even dimensions, got {width}x{height}")
        self.path, self.size = Path(path), (width, height)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}-", suffix=".mp4", dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        args = [
            ffmpeg_exe(),
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "bgr24",
            "-s",
            f"{width}x{height}",
            "-framerate",
            f"{fps.numerator}/{fps.denominator}",
            "-i",
            "pipe:",
            "-c:v",
            "libx264",
            "-preset",
            preset,
            "-crf",
            str(crf),
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            "-f",
            "mp4",
            str(self._tmp),
        ]
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        self.frames = 0

    def write(self, frame_bgr: npt.NDArray[np.uint8]) -> None:
        if frame_bgr.shape != (self.size[1], self.size[0], 3):
            raise ValueError(f"frame shape {frame_bgr.shape} != ({self.size[1]}, {self.size[0]}, 3)")
        assert self._proc.stdin is not None
        self._proc.stdin.write(np.ascontiguousarray(frame_bgr, dtype=np.uint8).tobytes())
        self.frames += 1

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        assert self._proc.stdin is not None and self._proc.stderr is not None
        try:
            self._proc.stdin.close()
        except BrokenPipeError:
            pass
        err = self._proc.stderr.read().decode("utf-8", "replace")
        code = self._proc.wait()
        if et is None and code == 0 and self.frames:
            os.replace(self._tmp, self.path)
            return
        self._tmp.unlink(missing_ok=True)
        if et is None:
            raise VideoError(f"{self.path.name}: encoding failed ({err.strip()[-300:] or f'{self.frames} frames'})")
