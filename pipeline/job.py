"""One video → one output folder: probe, pose (or cache), analysis, annotated clip, report.

A job is a function of (video bytes, settings, model) → folder, so it can run in any worker. Everything is
built in a staging folder and swapped in at the end: an interrupted job never leaves a half-written report,
and a finished report is only replaced by a complete new one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pipeline import __version__
from pipeline.analysis.reps import MIN_FRAMES, MIN_SECONDS
from pipeline.cache import CACHE_NAME, FLIP_CACHE_NAME, cache_key, file_sha256, load_track, save_track
from pipeline.errors import AnalysisError
from pipeline.files import open_to_umask, write_json_atomic
from pipeline.inputs import safe_name
from pipeline.keypoints import PoseTrack
from pipeline.metrics import capitalised
from pipeline.mirror import checked, second_look, second_look_for
from pipeline.pose import POSE_VERSION, BackendPlan, estimate_track, made_alike
from pipeline.result import ClipResult
from pipeline.settings import Settings
from pipeline.upright import SIDEWAYS_LINE, upright_turn
from pipeline.video import VideoInfo, probe, turned

if TYPE_CHECKING:
    from pipeline.annotate import KeyFrames
    from pipeline.report import ReportMeta

DONE_NAME = "done.json"  # written last; its presence with a matching key means "finished, skip on re-run"


JobStatus = Literal["ok", "error", "skipped"]  # analysed now · failed with its one line · finished on an earlier run


@dataclass(frozen=True)
class JobOutcome:
    """What the batch needs to know about one video."""

    video: str
    status: JobStatus
    error: str = ""
    out_dir: str = ""
    processing_s: float = 0.0
    result: dict | None = None  # ClipResult.to_dict(), to cross process boundaries cheaply
    thumbnail_jpeg: bytes | None = None
    stage_s: dict[str, float] = field(default_factory=dict)  # seconds per stage, for the benchmark


def output_name(video: Path) -> str:
    """Folder name for a video's outputs: its file name, made safe (no separators, no leading dot or dash)."""
    return safe_name(video.name)


def pose_stage(plan: BackendPlan) -> str:
    """The pose stage's name and version ("hybrid/v7"): part of the cache key, and stored with the keypoints."""
    return f"{plan.name}/v{POSE_VERSION}"


def run_key(video_sha: str, plan: BackendPlan, settings: Settings) -> tuple[str, str]:
    """(pose cache key, whole-run key). The run key also covers every setting that shapes a video's outputs
    (cleaning, analysis, bands, annotation, report), not how the batch runs: `--jobs 2` after `--jobs 1`, a new
    timeout or more file endings redo nothing."""
    weights = str(plan.weights or "")
    pose_key = cache_key(video_sha, pose_stage(plan), weights, settings.digest("pose", "track"))
    outputs = [f.name for f in fields(settings) if f.name not in ("batch", "metrics")]
    return pose_key, cache_key(pose_key, __version__, "", settings.digest(*outputs))


def cached_track(path: Path, pose_key: str, settings: Settings) -> PoseTrack | None:
    """The track cached at `path` under `pose_key`, if this code would make the same (`pose.made_alike`); else None."""
    track = load_track(path, pose_key)
    return track if track is not None and made_alike(track, settings) else None


def is_done(out_dir: Path, run_key_: str) -> bool:
    try:
        return json.loads((out_dir / DONE_NAME).read_text())["key"] == run_key_
    except (OSError, ValueError, KeyError, TypeError):
        return False


def run_job(
    video: Path,
    final: Path,
    settings: Settings,
    plan: BackendPlan,
    *,
    client: str = "",
    label: str = "",
    force: bool = False,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> JobOutcome:
    """Analyse one video into its output folder `final`. Raises FormReviewError subclasses on bad input.

    `client` is the client's folder name ("" for none), the report's name for the client when the video names
    none itself; `label` is how the batch names the video (default: its file name). `on_total(n)` is told, once
    the video is probed, how many frames `progress` will count in all.
    """
    t0 = time.monotonic()
    clock = _Clock()
    label = label or video.name
    info = _probe_long_enough(video)  # 1. fails fast, with the cause, on a file that is not a usable video
    total = info.n_frames * (2 if plan.name == "hybrid" else 1)  # hybrid decodes twice
    if on_total:
        on_total(total)
    pose_key, key = run_key(file_sha256(video), plan, settings)
    clock.lap("probe")
    if not force and is_done(final, key):
        return JobOutcome(label, "skipped", out_dir=str(final))

    track = cached_track(final / CACHE_NAME, pose_key, settings)  # 2. keypoints: cache (exactly keyed) or model
    cached = track is not None
    if track is None:
        track = _stand_up(video, info, estimate_track(info, plan, settings, progress), plan, settings, progress)
    elif progress:
        progress(total)
    info = turned(info, int(track.extra.get("turned_deg", 0)))  # the annotated clip is drawn upright too
    clock.lap("pose")

    cleaned, result = _scored(video, info, track, settings)  # 3. pure analysis + scoring
    clock.lap("analysis")
    flipped = None
    if settings.analysis.flip_check and second_look_for(result):  # 3b. a red card, or a knee to check: flipped
        flipped = cached_track(final / FLIP_CACHE_NAME, pose_key, settings)
        if flipped is None:
            if on_total:
                on_total(2 * total)  # the second look counts too
            flipped = second_look(info, plan, settings, progress)
        clock.lap("flip")
        cleaned, result = _scored(video, info, track, settings, checked(result, flipped, settings, video.name))
        clock.lap("analysis")

    final.parent.mkdir(parents=True, exist_ok=True)
    # mkdtemp makes the folder 0700: nobody else sees a half-written report. _swap_in opens it up to the umask
    stage = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    try:
        save_track(stage / CACHE_NAME, track, pose_key, pose_stage(plan))
        if flipped is not None:
            save_track(stage / FLIP_CACHE_NAME, flipped, pose_key, pose_stage(plan))
        write_json_atomic(stage / "result.json", result.to_dict())
        keyframes, size = _annotated_clip(stage, info, cleaned, result, settings)  # 4. annotated clip
        clock.lap("annotate")
        meta = _meta(video, client, track, size, time.monotonic() - t0)  # 5. the pages
        _pages(stage, video, result, meta, keyframes, settings)
        clock.lap("report")
        done = {"key": key, "video": video.name, "cached_pose": cached, "stage_s": clock.laps}
        write_json_atomic(stage / DONE_NAME, done)
        _swap_in(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    thumb = getattr(keyframes, "thumbnail", None) if keyframes is not None else None
    return JobOutcome(
        label,
        "ok",
        out_dir=str(final),
        processing_s=time.monotonic() - t0,
        result=result.to_dict(),
        thumbnail_jpeg=thumb,
        stage_s=clock.laps,
    )


def no_person_line(name: str, n_frames: int, best: float | None, need: float) -> str:
    """The error line for a clip whose track is empty: nobody detected at all (`best` None), or people detected only
    in stretches too short to be the client (`best`, their share of the clip once joined, under `need`:
    `TrackSettings.min_present_frac`; a side squat whose plates hid the head was found in 17 % of the clip at most,
    mirrored: "no person found" told the coach nobody was there)."""
    if best is None:
        return f"{name}: no person found in {n_frames} frames; is the client in view?"
    return (
        f"{name}: a person was followed through only {100 * best:.0f}% of the clip at most, and at least "
        f"{100 * need:.0f}% is needed; is the client in view, head to feet, for the whole set?"
    )


def _probe_long_enough(video: Path) -> VideoInfo:
    """`probe`, and one clear error when the clip is too short to hold a rep."""
    info = probe(video)
    if info.n_frames < MIN_FRAMES or info.duration_s < MIN_SECONDS:
        raise AnalysisError(
            f"{video.name}: too short to analyse ({info.n_frames} frame(s), {info.duration_s:.1f} s); "
            "film at least one whole rep"
        )
    return info


def _scored(
    video: Path, info: VideoInfo, track: PoseTrack, settings: Settings, flip_check: Mapping[str, bool] | None = None
) -> tuple[PoseTrack, ClipResult]:
    """(cleaned track, result) with when it was filmed and any turn noted. The cleaned track is also the skeleton
    drawn on the annotated clip: the raw one is empty on the frames the keypoint model skipped (every 2nd at 30
    fps), and drawn raw it flickered. `flip_check`: each red card, or knee reading to check, looked at again on the
    flipped video -> whether it held there (`mirror.held`); a red that did not is amber, a check that did not green.

    Raises:
        AnalysisError: nobody was found in the clip.
    """
    from pipeline.clean import clean_track
    from pipeline.scoring import evaluate_cleaned

    if not track.seen.any():
        best = track.extra.get("best_presence")
        need = settings.track.min_present_frac
        raise AnalysisError(no_person_line(video.name, info.n_frames, best, need))
    cleaned, clean = clean_track(track, settings.clean)
    result: ClipResult = evaluate_cleaned(cleaned, clean, settings, video.name, flip_check)
    when, how = recorded_at(video, info)
    result = replace(result, recorded=when, recorded_from=how)
    if track.extra.get("looks_sideways"):
        result = replace(result, notes=[capitalised(SIDEWAYS_LINE) + ".", *result.notes])
    turn = int(track.extra.get("turned_deg", 0))
    if turn:
        side = "clockwise" if turn == 90 else "anticlockwise"
        note = f"The video was filmed sideways, so we turned it a quarter turn {side} before measuring."
        result = replace(result, turned_deg=turn, notes=[note, *result.notes])
    return cleaned, result


def _annotated_clip(
    stage: Path, info: VideoInfo, cleaned: PoseTrack, result: ClipResult, settings: Settings
) -> tuple[KeyFrames | None, tuple[int, int]]:
    """Write `stage/annotated.mp4`; returns its key frames and its (width, height), a legend's strip included."""
    from pipeline.annotate import write_annotated_clip
    from pipeline.video import frame_size, long_side_height, read_frames_cfr

    # the long side, not the height: a 1080p landscape clip capped at 960 high was 1706×960 and its encoding took
    # 29 % of our time
    height = long_side_height(info, settings.annotate.max_side)
    size = frame_size(info, height)
    frames = read_frames_cfr(info, max_height=height)
    keyframes = write_annotated_clip(
        frames, cleaned, result, stage / "annotated.mp4", info.fps, size, settings.annotate
    )
    return keyframes, keyframes.clip_wh or size


def _meta(video: Path, client: str, track: PoseTrack, size: tuple[int, int], processing_s: float) -> ReportMeta:
    """The report's `ReportMeta`: who, when, with what."""
    from pipeline.report import ReportMeta, client_name_for

    return ReportMeta(
        video_name=video.name,
        client_name=client_name_for(video) or client,
        processing_s=processing_s,
        backend=track.backend,
        model_id=track.model_id,
        version=__version__,
        clip_href="annotated.mp4",
        clip_size=size,
        generated_at=time.strftime("%Y-%m-%d %H:%M"),
    )


def _pages(
    stage: Path, video: Path, result: ClipResult, meta: ReportMeta, keyframes: KeyFrames | None, settings: Settings
) -> None:
    """`report.html` beside the clip, and the one-file `.share.html` (its clip shrunk when asked)."""
    from pipeline.report import share_name, write_report, write_share
    from pipeline.video import shrink_clip

    write_report(result, stage, meta, keyframes, settings.report)
    share_clip, small = stage / "annotated.mp4", stage / ".share-clip.mp4"
    s = settings
    if s.report.share_max_side and shrink_clip(
        share_clip, small, s.report.share_max_side, crf=s.annotate.crf, preset=s.annotate.preset
    ):
        share_clip = small
    write_share(result, stage, meta, keyframes, settings.report, share_clip, share_name(output_name(video)))
    small.unlink(missing_ok=True)


class _Clock:
    """Seconds spent per named stage, measured between successive `lap` calls."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._t = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self._t, 4)
        self._t = now


def _stand_up(
    video: Path,
    info: VideoInfo,
    track: PoseTrack,
    plan: BackendPlan,
    settings: Settings,
    progress: Callable[[int], None] | None,
) -> PoseTrack:
    """The track of the clip stood upright. A clip filmed sideways with no rotation in its metadata (the body's
    long axis across the frame) is turned the quarter turn its head asks for and the pose model runs again on the
    turned frames; the turn is kept in the track (extra["turned_deg"]), so a cached track is turned alike.

    A clip that only lies across because of the rotation saved in the file is left as the file says, marked
    extra["looks_sideways"] for a note in the report.

    Raises:
        AnalysisError: sideways, but which way is up cannot be told, or it is still sideways once turned.
    """
    up = upright_turn(track)
    if not up.sideways:
        return track
    if info.rotation_deg != 0:  # the file's own turn made it so: measured as the file says, with a note
        return replace(track, extra={**track.extra, "looks_sideways": True})
    if up.turn_deg == 0:
        raise AnalysisError(f"{video.name}: {SIDEWAYS_LINE}")
    again = estimate_track(turned(info, up.turn_deg), plan, settings, progress)
    if not again.seen.any() or upright_turn(again).sideways:
        raise AnalysisError(f"{video.name}: {SIDEWAYS_LINE}")
    return replace(again, extra={**again.extra, "turned_deg": up.turn_deg})


def recorded_at(video: Path, info: VideoInfo) -> tuple[str, str]:
    """(ISO 8601 time, "metadata" | "file time"): when the video was filmed, as its metadata says, else when the
    file was last changed (a phone's export or a copy may have reset that)."""
    if info.creation_time and not info.creation_time.startswith("1970"):  # 1970: a camera with no clock set
        try:
            when = datetime.fromisoformat(info.creation_time.replace("Z", "+00:00"))
            return when.isoformat(timespec="seconds"), "metadata"
        except ValueError:
            pass
    when = datetime.fromtimestamp(video.stat().st_mtime, tz=UTC)
    return when.isoformat(timespec="seconds"), "file time"


def _swap_in(stage: Path, final: Path) -> None:
    """Replace `final` with `stage`: rename the old folder aside, rename the new one in, delete the old."""
    open_to_umask(stage)
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(stage, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
