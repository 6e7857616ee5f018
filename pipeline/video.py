"""Video in and out: probe a file, stream its frames as BGR arrays, write an H.264 MP4.

Reads any container/codec the ffmpeg binary can decode (no ffprobe needed); writes browser-safe H.264 yuv420p MP4s.
This is the only module that runs ffmpeg.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np
import numpy.typing as npt

from pipeline.errors import VideoError

log = logging.getLogger(__name__)

HEADER_TIMEOUT_S = 30.0  # reading the container header, or decoding one frame
PACKETS_TIMEOUT_S = 120.0  # listing every packet (reads the whole file, decodes nothing)
STALL_TIMEOUT_S = 60.0  # read_frames/ClipWriter: ffmpeg silent this long is hung
_NOPTS = -(2**63)  # AV_NOPTS_VALUE as framecrc prints it
_PKT_DISCARD = 0x4  # AV_PKT_FLAG_DISCARD: before an edit list's start; the decoder drops it
_IMAGE_FORMATS = ("image2", "image2pipe")  # plus every "*_pipe" demuxer (png_pipe, jpeg_pipe, webp_pipe …)


@functools.cache
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: `ffmpeg` on PATH if there is one, else the one bundled with imageio-ffmpeg."""
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


@dataclass(frozen=True)
class VideoInfo:
    """What probe() learnt about a video: enough to decode it frame-exactly.

    Attributes:
        path: The video file.
        width: Displayed width in pixels (rotation and non-square pixels applied): what read_frames yields.
        height: Displayed height in pixels, likewise.
        rotation_deg: Clockwise rotation applied to the coded frames for display (0, 90, 180 or 270); a portrait
            phone clip stored landscape says 90.
        fps: Frame rate, frames/s. For CFR the exact rate (30000/1001 stays 30000/1001); for VFR the average.
        t_s: (T,) float64, presentation time of each frame in display order, seconds from the first frame.
        duration_s: Seconds from the first frame's start to the last frame's end (video track only).
        codec: ffmpeg's codec name ("h264", "hevc", "vp9", "av1" …).
        is_vfr: False when every t_s[i] is within a quarter frame of i / fps.
        stream_index: Index of the decoded stream in the file (ffmpeg's `-map 0:N`).
        coded_wh: (w, h) of the decoded frames after rotation, before non-square pixels are made square.
        creation_time: When the video was recorded, as its metadata says (ISO 8601, e.g.
            "2026-11-12T09:30:00.000000Z"); "" when the file does not say.
        turn_deg: A further clockwise turn read_frames applies (90 or 270) to stand up a clip filmed sideways
            with no rotation metadata; width, height and coded_wh already include it. 0 = none.
        mirrored: read_frames flips each frame left to right (after any turn): the pose model's second look at a
            clip (`mirror`); width and height are unchanged.
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
    stream_index: int = 0
    coded_wh: tuple[int, int] | None = None
    creation_time: str = ""
    turn_deg: int = 0
    mirrored: bool = False

    @property
    def n_frames(self) -> int:
        """Number of frames, T."""
        return len(self.t_s)


def _run(args: list[str], path: Path, timeout_s: float, what: str) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg with `args`; a timeout becomes a VideoError naming the file."""
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", *args]
    try:
        return subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise VideoError(f"{path.name}: ffmpeg took over {timeout_s:.0f} s {what}; is the disk stalled?") from None


def _last_error(stderr: bytes | str) -> str:
    """The last non-empty stderr line, without ffmpeg's `[ctx @ 0x…]` prefix."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [re.sub(r"^\[[^]]*\]\s*", "", ln).strip() for ln in text.splitlines()]
    return next((ln for ln in reversed(lines) if ln), "no message")


def _src(path: Path) -> str:
    """The input URL: `file:` so names with ':' or a leading '-' are never read as protocols or options."""
    return "file:" + str(path.resolve())


def _is_isobmff(path: Path) -> bool:
    """True if the file starts like an MP4/MOV box ('ftyp', 'mdat' …), so a missing moov means truncated."""
    with path.open("rb") as f:
        return f.read(8)[4:] in (b"ftyp", b"mdat", b"moov", b"free", b"skip", b"wide", b"pnot")


@dataclass(frozen=True)
class _Stream:
    index: int
    codec: str
    header_fps: Fraction | None
    rotation_deg: int
    creation_time: str = ""  # the first one ffmpeg prints: the container's, else the stream's


def _parse_header(path: Path, stderr: str) -> _Stream:
    """Pick the video stream from `ffmpeg -i` stderr, or raise the one VideoError that says what is wrong."""
    name = path.name
    if "moov atom not found" in stderr and _is_isobmff(path):
        raise VideoError(f"{name}: truncated or unfinished MP4 (no 'moov' index); copy or export the file again")
    fmt = re.search(r"^Input #0, (.+?), from ", stderr, re.M)
    if fmt is None:
        raise VideoError(f"{name}: not a video (ffmpeg cannot read it: {_last_error(stderr)})")
    streams = re.findall(r"^\s*Stream #0:(\d+)\S*: (\w+): (\w+)(.*)$", stderr, re.M)
    video = [s for s in streams if s[1] == "Video" and "(attached pic)" not in s[3]]
    if not video:
        kinds = sorted({s[1].lower() for s in streams if "(attached pic)" not in s[3]}) or ["no streams"]
        hint = "audio only" if kinds == ["audio"] else f"found: {', '.join(kinds)}"
        raise VideoError(f"{name}: no video stream ({hint})")
    if any(f in _IMAGE_FORMATS or f.endswith("_pipe") for f in fmt.group(1).split(",")):
        raise VideoError(f"{name}: not a video: single image ({video[0][2]})")
    index, _, codec, rest = video[0]
    rate = re.search(r", ([\d.]+)(k?) (?:fps|tbr)", rest)
    header_fps = Fraction(rate.group(1)) * (1000 if rate.group(2) else 1) if rate else None
    # Side data sits under the stream's line, before the next one. ffmpeg's angle is counter-clockwise; 7.x prints
    # "displaymatrix: rotation of -90.00 degrees", 8+ "Display Matrix: rotation of -90.00 degrees".
    block = stderr.split(f"Stream #0:{index}", 1)[1].split("Stream #0:", 1)[0]
    rot = re.search(r"(?i)display ?matrix: rotation of (-?[\d.]+) degrees", block)
    rotation = (-round(float(rot.group(1)) / 90) * 90) % 360 if rot else 0
    created = re.search(r"^\s*creation_time\s*:\s*(\d{4}-\d\d-\d\d[T ][\d:.]+Z?)\s*$", stderr, re.M)
    return _Stream(int(index), codec, header_fps, rotation, created.group(1) if created else "")


def _packets(path: Path, stream: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], Fraction]:
    """Timestamps and durations of every frame of one stream, read from the packets without decoding.

    Returns:
        pts: (T,) int64 ticks, sorted into display order (B-frames arrive out of order).
        dur: (T,) int64 ticks, same order; 0 where the container does not say.
        tb: The time base, seconds per tick.
    """
    args = ["-i", _src(path), "-map", f"0:{stream}", "-c", "copy", "-f", "framecrc", "-"]
    out = _run(args, path, PACKETS_TIMEOUT_S, "listing the frames")
    text = out.stdout.decode("utf-8", "replace")
    tb = re.search(r"^#tb 0: (\d+)/(\d+)", text, re.M)
    if tb is None:
        raise VideoError(f"{path.name}: cannot list the video frames ({_last_error(out.stderr)})")
    rows = []
    for line in text.splitlines():  # "stream, dts, pts, duration, size, crc[, F=0xflags]"
        f = [x.strip() for x in line.split(",")]
        if line.startswith("#") or len(f) < 6:
            continue
        flags = int(f[6].removeprefix("F="), 16) if len(f) > 6 and f[6].startswith("F=") else 0
        if not flags & _PKT_DISCARD:
            rows.append((int(f[2]) if int(f[2]) != _NOPTS else int(f[1]), int(f[3])))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 2)
    if np.any(arr[:, 0] == _NOPTS):  # neither pts nor dts (raw elementary streams): frames in file order
        arr[:, 0] = np.arange(len(arr))
    arr = arr[np.argsort(arr[:, 0], kind="stable")]
    return arr[:, 0], arr[:, 1], Fraction(int(tb.group(1)), int(tb.group(2)))


def _fps(
    pts: npt.NDArray[np.int64], dur: npt.NDArray[np.int64], tb: Fraction, hint: Fraction | None
) -> tuple[Fraction, bool]:
    """(fps, is_vfr): the exact CFR rate that fits every timestamp within a quarter frame, else the average rate."""
    n, span = len(pts), int(pts[-1] - pts[0])
    if n < 2 or span <= 0:
        return (1 / (int(dur[0]) * tb) if dur[0] > 0 else hint or Fraction(30)), False
    avg = Fraction(n - 1) / (span * tb)
    diffs = np.diff(pts)
    typical = int(np.bincount(diffs[diffs > 0]).argmax()) if np.any(diffs > 0) else 1
    cands = {1 / (typical * tb), Fraction(round(avg)), Fraction(round(avg * Fraction(1001, 1000)) * 1000, 1001)}
    ticks = (pts - pts[0]).astype(np.float64)
    for c in sorted((c for c in cands | ({hint} if hint else set()) if c > 0), key=lambda c: abs(c - avg)):
        period = float(1 / (c * tb))  # ticks per frame
        if np.max(np.abs(ticks - np.arange(n) * period)) <= max(0.25 * period, 1.0):
            return c, False
    return avg.limit_denominator(1000), True


def _first_frame(path: Path, stream: int) -> tuple[int, int, Fraction]:
    """Decode one frame, autorotated exactly as read_frames will be: (w, h, sample aspect ratio)."""
    args = ["-v", "error", "-i", _src(path), "-map", f"0:{stream}", "-frames:v", "1", "-f", "framecrc", "-"]
    out = _run(args, path, HEADER_TIMEOUT_S, "decoding the first frame")
    text = out.stdout.decode("utf-8", "replace")
    dims = re.search(r"^#dimensions 0: (\d+)x(\d+)", text, re.M)
    if dims is None or not re.search(r"^0,", text, re.M):
        why = _last_error(out.stderr) if out.stderr.strip() else "the decoder gave no frame"
        raise VideoError(f"{path.name}: no decodable video frames ({why})")
    sar = re.search(r"^#sar 0: ([1-9]\d*)/([1-9]\d*)", text, re.M)
    return (
        int(dims.group(1)),
        int(dims.group(2)),
        Fraction(int(sar.group(1)), int(sar.group(2))) if sar else Fraction(1),
    )


def probe(path: Path) -> VideoInfo:
    """Read a video's size, rotation, codec and every frame's timestamp, decoding one frame only.

    Three short ffmpeg runs: `-i` for the header, a stream copy to framecrc for every packet's pts/duration/flags,
    and one decoded frame for the displayed size and to prove the stream decodes.

    Args:
        path: The video file.

    Returns:
        The VideoInfo. A 1-frame video is returned too: later stages decide whether it is long enough.

    Raises:
        VideoError: Missing, empty, not a video, a single image, audio only, truncated, or nothing decodable.
    """
    path = Path(path)
    if not path.exists():
        raise VideoError(f"{path.name}: file not found ({path})")
    if path.is_dir():
        raise VideoError(f"{path.name}: is a folder, not a video file")
    if path.stat().st_size == 0:
        raise VideoError(f"{path.name}: file is empty (0 bytes)")
    header = _run(["-i", _src(path)], path, HEADER_TIMEOUT_S, "reading the header").stderr
    stream = _parse_header(path, header.decode("utf-8", "replace"))
    pts, dur, tb = _packets(path, stream.index)
    w, h, sar = _first_frame(path, stream.index)  # raises first when nothing decodes, with the decoder's reason
    if len(pts) == 0:
        raise VideoError(f"{path.name}: no decodable video frames (the video stream holds no packets)")
    fps, is_vfr = _fps(pts, dur, tb, stream.header_fps)
    last = int(dur[-1]) if dur[-1] > 0 else round(1 / (fps * tb))
    return VideoInfo(
        path=path,
        width=max(2, round(w * sar)),
        height=h,
        rotation_deg=stream.rotation_deg,
        fps=fps,
        t_s=((pts - pts[0]) * float(tb)).astype(np.float64),
        duration_s=float((int(pts[-1] - pts[0]) + last) * tb),
        codec=stream.codec,
        is_vfr=is_vfr,
        stream_index=stream.index,
        coded_wh=(w, h),
        creation_time=stream.creation_time,
    )


def turned(info: VideoInfo, turn_deg: int) -> VideoInfo:
    """`info` with a further clockwise turn of 90 or 270 degrees (see VideoInfo.turn_deg); 0 gives it back."""
    if turn_deg % 360 == 0:
        return info
    if turn_deg % 180 != 90:
        raise ValueError(f"turn_deg must be 0, 90 or 270, got {turn_deg}")
    cw, ch = info.coded_wh or (info.width, info.height)
    return replace(
        info, width=info.height, height=info.width, coded_wh=(ch, cw), turn_deg=(info.turn_deg + turn_deg) % 360
    )


def frame_size(info: VideoInfo, max_height: int | None = None) -> tuple[int, int]:
    """(w, h) in pixels of the frames read_frames(info, max_height=…) yields.

    Never scales up; when it scales down, keeps the aspect ratio and makes both sides even.
    """
    if max_height is None or info.height <= max_height:
        return info.width, info.height
    h = max(2, max_height - max_height % 2)
    return max(2, round(info.width * h / info.height / 2) * 2), h


def long_side_height(info: VideoInfo, long_side: int) -> int:
    """The `max_height` for read_frames/frame_size that caps the frame's LONG side at `long_side`, portrait or
    landscape (never above the video's own height)."""
    scale = min(1.0, long_side / max(info.width, info.height))
    return max(2, int(round(info.height * scale)))


class _Watchdog:
    """Kills a subprocess that keeps us blocked on a pipe longer than `limit_s`: a hung ffmpeg must not hang us."""

    def __init__(self, proc: subprocess.Popen[bytes], limit_s: float) -> None:
        self._proc, self._limit_s = proc, limit_s
        self._since: float | None = None
        self._done = threading.Event()
        self.fired = False
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self._done.wait(min(1.0, self._limit_s)):
            since = self._since
            if since is not None and time.monotonic() - since > self._limit_s:
                self.fired = True
                self._proc.kill()
                return

    def waiting(self, on: bool) -> None:
        """Mark the start (True) or the end (False) of a blocking pipe operation."""
        self._since = time.monotonic() if on else None

    def stop(self) -> None:
        """End the watch thread."""
        self._done.set()


def _read_exact(pipe: IO[bytes], buf: memoryview) -> int:
    """Fill `buf` from `pipe`; returns the number of bytes read (short only at the end of the stream)."""
    got = 0
    while got < len(buf):
        n = pipe.readinto(buf[got:])  # type: ignore[attr-defined]
        if not n:
            break
        got += n
    return got


def read_frames(
    info: VideoInfo, *, max_height: int | None = None, start: int = 0, stop: int | None = None, every: int = 1
) -> Iterator[tuple[int, float, npt.NDArray[np.uint8]]]:
    """Stream the frames of a probed video, one at a time, in display order.

    Args:
        info: From probe().
        max_height: Scale down (never up) so the height is at most this many pixels; see frame_size().
        start: First frame index to yield. ffmpeg still decodes the frames before it (inter frames need them)
            but drops them before scaling, so they cost decode time only, not scaling or pipe transfer.
        stop: Stop before this frame index (None: the end). ffmpeg is killed as soon as it is reached.
        every: Yield only frames start, start + every, ...; ffmpeg drops the others before scaling (a model that
            samples every 2nd or 3rd frame does not pay for scaling and piping the rest).

    Yields:
        (index, t_s, frame): the index into info.t_s, its time in seconds, and an (H, W, 3) uint8 BGR C-contiguous
        writable frame with rotation applied. One item per decoded frame, at most info.n_frames (extra frames are
        dropped); if the decoder gives fewer frames than probed, the stream ends early with a logged warning.
        Closing the generator early kills ffmpeg.

    Raises:
        VideoError: ffmpeg failed before the first frame, or stalled for STALL_TIMEOUT_S.
    """
    w, h = frame_size(info, max_height)
    end = info.n_frames if stop is None else min(stop, info.n_frames)
    scale = (w, h) != (info.coded_wh or (info.width, info.height))
    every = max(1, int(every))
    filters = [f"trim=start_frame={start}"] if start > 0 else []  # counts decoded frames: our index exactly
    filters += [f"select='not(mod(n\\,{every}))'"] if every > 1 else []  # n counts frames after the trim
    filters += {90: ["transpose=clock"], 180: ["hflip,vflip"], 270: ["transpose=cclock"]}.get(info.turn_deg, [])
    filters += [f"scale={w}:{h}:flags=area,setsar=1"] if scale else []
    filters += ["hflip"] if info.mirrored else []
    vf = ["-vf", ",".join(filters)] if filters else []
    args = ["-v", "error", "-i", _src(info.path), "-map", f"0:{info.stream_index}", *vf]
    args += ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "bgr24", "-"]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [ffmpeg_exe(), "-nostdin", "-hide_banner", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,  # a file, not a pipe: a full stderr pipe would block ffmpeg
            bufsize=0,
        )
        assert proc.stdout is not None
        dog = _Watchdog(proc, STALL_TIMEOUT_S)
        i, rc = start, 0
        try:
            while i < end:
                frame = np.empty((h, w, 3), dtype=np.uint8)
                dog.waiting(True)
                got = _read_exact(proc.stdout, frame.data.cast("B"))
                dog.waiting(False)
                if got < frame.nbytes:
                    break
                yield i, float(info.t_s[i]), frame
                i += every
            if i >= end and end < info.n_frames:
                return  # stopped at `stop` on purpose: the finally kills ffmpeg, nothing to report
            proc.stdout.close()  # frames beyond the probed count are dropped; ffmpeg ends on the broken pipe
            rc = proc.wait(timeout=STALL_TIMEOUT_S)
        finally:
            dog.stop()
            if proc.poll() is None:  # the consumer stopped early, or we are failing: leave no ffmpeg behind
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if dog.fired:
            raise VideoError(f"{info.path.name}: ffmpeg stalled for {STALL_TIMEOUT_S:.0f} s while decoding")
        if i < end:
            err.seek(0)
            why = _last_error(err.read()) if rc else "the decoder ended early"
            if i == 0:
                raise VideoError(f"{info.path.name}: no decodable video frames ({why})")
            log.warning("%s: decoded %d of %d frames (%s)", info.path.name, i, info.n_frames, why)


def _browser_h264(preset: str, crf: int) -> list[str]:
    """ffmpeg output options for H.264 every browser plays: yuv420p, and the index (moov) before the data, so a
    page can start the clip before it has all of it."""
    return ["-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p", "-movflags", "+faststart"]


class ClipWriter:
    """Writes BGR frames to a browser-playable H.264 MP4 (yuv420p, moov before mdat), atomically.

    Frames go to a hidden temporary file in the same folder, which replaces `path` only when the with-block ends
    cleanly; on an exception the temporary file is deleted and `path` is left as it was.

    Example:
        with ClipWriter(out, 640, 360, Fraction(30000, 1001)) as clip:
            for frame in frames:
                clip.write(frame)
    """

    def __init__(
        self, path: Path, width: int, height: int, fps: Fraction, *, crf: int = 23, preset: str = "veryfast"
    ) -> None:
        """Start the encoder.

        Args:
            path: The .mp4 to write.
            width: Frame width in pixels (an odd size gets one black column/row: yuv420p needs even sides).
            height: Frame height in pixels.
            fps: Output frame rate, frames/s, used exactly.
            crf: libx264 quality, 0–51; lower is better and larger.
            preset: libx264 speed preset.
        """
        self.path, self.width, self.height, self.fps = Path(path), width, height, Fraction(fps)
        self.n_written = 0
        self._tmp = self.path.with_name(f".{self.path.stem}.{uuid.uuid4().hex[:8]}.tmp.mp4")
        self._err = tempfile.TemporaryFile()
        pad = ["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"] if width % 2 or height % 2 else []
        args = ["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}"]
        args += ["-r", f"{self.fps.numerator}/{self.fps.denominator}", "-i", "-", *pad, *_browser_h264(preset, crf)]
        args += ["-f", "mp4", "file:" + str(self._tmp)]
        self._proc = subprocess.Popen(
            [ffmpeg_exe(), "-nostdin", "-hide_banner", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._err,
        )
        self._dog = _Watchdog(self._proc, STALL_TIMEOUT_S)

    def __enter__(self) -> ClipWriter:
        return self

    def write(self, frame_bgr: npt.NDArray[np.uint8]) -> None:
        """Append one frame.

        Args:
            frame_bgr: (height, width, 3) uint8 BGR.

        Raises:
            ValueError: Wrong shape or dtype.
            VideoError: ffmpeg has stopped.
        """
        if frame_bgr.shape != (self.height, self.width, 3) or frame_bgr.dtype != np.uint8:
            want = f"({self.height}, {self.width}, 3) uint8"
            raise ValueError(f"expected a {want} frame, got {frame_bgr.shape} {frame_bgr.dtype}")
        assert self._proc.stdin is not None
        try:
            self._dog.waiting(True)
            self._proc.stdin.write(np.ascontiguousarray(frame_bgr).data)
        except (BrokenPipeError, ValueError):
            raise VideoError(f"{self.path.name}: ffmpeg stopped writing ({self._stderr()})") from None
        finally:
            self._dog.waiting(False)
        self.n_written += 1

    def _stderr(self) -> str:
        self._err.seek(0)
        return _last_error(self._err.read())

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is not None:
                self._proc.kill()
                self._proc.wait()
                return
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                rc = self._proc.wait(timeout=STALL_TIMEOUT_S + 0.1 * self.n_written)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
                raise VideoError(f"{self.path.name}: ffmpeg did not finish writing the clip") from None
            if rc != 0 or self.n_written == 0:
                why = self._stderr() if rc else "no frames were written"
                raise VideoError(f"{self.path.name}: could not write the clip ({why})")
            os.replace(self._tmp, self.path)
        finally:
            self._dog.stop()
            self._err.close()
            self._tmp.unlink(missing_ok=True)


def cfr_schedule(t_s: npt.NDArray[np.float64], fps: Fraction) -> npt.NDArray[np.intp]:
    """Which source frame fills each slot of a constant-rate copy of a (possibly VFR) clip.

    Args:
        t_s: (T,) float64, source presentation times in seconds, non-decreasing.
        fps: Output rate, frames/s.

    Returns:
        (N,) intp indices into t_s with N = round((t_s[-1] - t_s[0]) * fps) + 1 (same duration): for slot k, the
        source frame on screen at the middle of the slot, t_s[0] + (k + 0.5) / fps. A CFR source at `fps` maps
        to 0, 1, …, T-1; a gap repeats the frame before it; a faster source skips frames.
    """
    t = np.asarray(t_s, dtype=np.float64)
    if t.size == 0:
        return np.zeros(0, dtype=np.intp)
    n_out = round((t[-1] - t[0]) * float(fps)) + 1
    mid = t[0] + (np.arange(n_out) + 0.5) / float(fps)
    return np.clip(np.searchsorted(t, mid, side="right") - 1, 0, t.size - 1).astype(np.intp)


def read_frames_cfr(
    info: VideoInfo, *, max_height: int | None = None
) -> Iterator[tuple[int, float, npt.NDArray[np.uint8]]]:
    """Like `read_frames`, but at the constant rate `info.fps`: a VFR source's frames are repeated or skipped
    (`cfr_schedule`) so a clip written at `info.fps` keeps the source's timing. CFR sources pass through."""
    frames = read_frames(info, max_height=max_height)
    if not info.is_vfr:
        yield from frames
        return
    current = next(frames, None)
    for src in cfr_schedule(info.t_s, info.fps):
        while current is not None and current[0] < src:
            current = next(frames, None)
        if current is None:
            return
        yield current


def shrink_clip(src: Path, dst: Path, max_side: int, *, crf: int = 23, preset: str = "veryfast") -> bool:
    """Re-encode the H.264 clip `src` into `dst` with its long side at most `max_side` (even sides kept).

    Returns:
        False (and writes nothing) when `src` is already that small.

    Raises:
        VideoError: ffmpeg failed.
    """
    info = probe(src)
    if max(info.width, info.height) <= max_side:
        return False
    scale = f"scale='if(gt(iw,ih),{max_side},-2)':'if(gt(iw,ih),-2,{max_side})':flags=area"
    args = ["-v", "error", "-y", "-i", _src(src), "-map", f"0:{info.stream_index}", "-vf", scale]
    args += _browser_h264(preset, crf)
    out = _run([*args, "-f", "mp4", "file:" + str(dst)], src, PACKETS_TIMEOUT_S, "making the clip smaller")
    if out.returncode != 0:
        raise VideoError(f"{src.name}: could not make a smaller copy ({_last_error(out.stderr)})")
    return True


def looks_whole(path: Path) -> bool:
    """False when an MP4/MOV is visibly unfinished: a top-level box runs past the end of the file, or the file
    has no 'moov' index yet (a copy in progress, or an export not yet closed). Other containers: True (probe()
    and a settled size have to do)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8 or head[4:] not in (b"ftyp", b"mdat", b"moov", b"free", b"skip", b"wide", b"pnot"):
                return size > 0
            off, kinds = 0, set()
            while off + 8 <= size:
                f.seek(off)
                box = f.read(16)
                n, kind = int.from_bytes(box[:4], "big"), box[4:8]
                if n == 1 and len(box) == 16:
                    n = int.from_bytes(box[8:16], "big")
                elif n == 0:
                    n = size - off  # "to the end of the file"
                if n < 8:
                    return False
                kinds.add(kind)
                off += n
    except OSError:
        return False
    return off == size and b"moov" in kinds
