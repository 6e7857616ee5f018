"""One settings object, loaded once: dataclass defaults < configs/default.toml < a coach's TOML < CLI flags.

Reads TOML files; writes nothing. Unknown keys and wrong types are collected and reported together, once.
Every field's help text lives in its metadata, and `configs/default.toml` mirrors these defaults (a test
keeps them equal).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.errors import SettingsError
from pipeline.metrics import MetricSpec, load_specs
from pipeline.resources import data_file


def _f(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class PoseSettings:
    backend: str = _f("auto", "auto | hybrid | yolo | mediapipe. auto = best measured set-up whose models are present.")
    model: str = _f("", "YOLO weights: .pt file or exported model folder. Empty: $FORMREVIEW_MODEL, then yolo_name.")
    yolo_name: str = _f("yolov8n-pose.pt", "Ultralytics weight name; used only with no path given and download on.")
    allow_download: bool = _f(False, "Let ultralytics download yolo_name when it is not on disk (needs internet).")
    imgsz: int = _f(640, "YOLO input size in pixels (an OpenVINO export always runs at its own fixed size).")
    yolo_runtime: str = _f("auto", "auto: an OpenVINO export runs on OpenVINO directly (no torch), else ultralytics.")
    det_conf: float = _f(0.25, "YOLO person confidence threshold.")
    mp_min_detection_conf: float = _f(0.5, "BlazePose person-detector threshold.")
    crop_margin: float = _f(0.25, "Hybrid: margin added around the client's box before BlazePose, as a box fraction.")
    detect_every: int = _f(3, "Hybrid: run YOLO (client choice and crop) on every n-th frame, at most 0.3 s apart.")
    detect_sparse_s: float = _f(
        0.3, "Hybrid: while everyone in view stays put and apart, YOLO looks only this often, in seconds. 0: never."
    )
    leg_elsewhere: float = _f(
        0.25,
        "Hybrid: a BlazePose knee or ankle this many leg lengths from all the client's sure YOLO knees and ankles, "
        "and 3 times nearer another person's, is on someone else (a spotter, a coach behind): that leg is dropped "
        "on that frame. 0: never.",
    )
    keypoint_hz: float = _f(
        12.0,
        "Keypoint model on every n-th frame, n = fps ÷ this rounded down "
        "(cleaning fills the rest); 12 = 2 × the 6 Hz low-pass. 0: all.",
    )


@dataclass(frozen=True)
class TrackSettings:
    iou_link: float = _f(0.3, "Minimum box IoU to link a detection to a track in the next frame.")
    max_gap_s: float = _f(0.5, "A track survives this long without a matching detection.")
    min_present_frac: float = _f(0.2, "A person seen in less of the clip than this (tracks joined) is not the client.")


@dataclass(frozen=True)
class CleanSettings:
    conf_gate: float = _f(0.3, "Keypoints below this confidence become missing (METRICS.md, cleaning step 2).")
    max_gap_s: float = _f(0.3, "Gaps up to this long are interpolated; longer ones stay missing.")
    hampel_window: int = _f(7, "Hampel outlier filter window, frames.")
    hampel_sigmas: float = _f(3.0, "Hampel threshold in robust standard deviations.")
    hampel_min_frac: float = _f(0.02, "A Hampel fix counts as an outlier only beyond this share of the client height.")
    lowpass_hz: float = _f(6.0, "Zero-phase Butterworth cut-off (human movement < 6 Hz).")
    lowpass_order: int = _f(4, "Butterworth order.")
    min_fps_for_butter: float = _f(15.0, "Below this frame rate use Savitzky-Golay instead of Butterworth.")


@dataclass(frozen=True)
class AnalysisSettings:
    rep_min_prominence: float = _f(0.5, "Rep descent prominence as a fraction of the hip's vertical range.")
    rep_min_separation_s: float = _f(0.5, "Two rep bottoms are at least this far apart.")
    thigh_foreshortening: float = _f(0.55, "Suppress FPPA when the projected thigh is below this fraction of standing.")
    min_quality: float = _f(0.6, "Clip data-quality gate: fraction of rep frames with usable legs.")
    rep_min_depth: float = _f(0.1, "A rep drops the hip at least this far, in leg lengths (walking bounce is less).")
    foot_to_shank: float = _f(0.6, "Heel-to-toe length ÷ shank: camera yaw and the floor's slope from the feet.")
    toe_to_shank: float = _f(
        0.5, "Ankle-to-toe-tip length ÷ shank (58 real side squats: 0.50, IQR 0.46-0.54): toe-out for knee tracking."
    )
    toe_to_shank_spread: float = _f(
        0.1, "How much that length differs between people and shoes, as a share: part of the knee angle's noise bound."
    )
    min_foot_cos: float = _f(0.65, "Knee tracking is not judged when a foot points over ~49 deg across the camera.")
    max_yaw_knee_deg: float = _f(35.0, "Knee tracking is judged up to this camera yaw from square-on, degrees.")
    max_yaw_knee_flag_deg: float = _f(
        45.0, "From max_yaw_knee_deg up to this yaw, a squat's knee is only flagged (amber), never passed or red."
    )
    knee_window_depth: float = _f(
        0.4, "Knee tracking is read where the hip has dropped this share of the rep, down and up."
    )
    keypoint_error: float = _f(
        0.02, "Knee and ankle keypoint error as a share of the shank: each knee angle's noise bound comes from it."
    )
    keypoint_error_min_px: float = _f(
        1.5, "The least keypoint error in pixels, however small the client: small people's knee angles scatter more."
    )
    persist_frames: int = _f(3, "A knee value counts only when held this many consecutive frames.")
    knee_perspective: float = _f(0.5, "Knee height as a share of the camera's, for the perspective fix of knee travel.")
    frontal_max_yaw_deg: float = _f(15.0, "FPPA, KASR, hip and trunk angles need the camera within this of square-on.")
    frontal_max_yaw_lunge_deg: float = _f(
        6.0, "Lunges: the front leg points at the camera, so a small turn reads as thigh-in or a narrow base."
    )
    trunk_foreshortening: float = _f(0.8, "Sideways trunk lean is read only while the trunk is this share of standing.")
    flip_check: bool = _f(
        True,
        "A red knee or hip card stands only where the pose model, run again on the video flipped left to right, reads "
        "it red too or reads the same reading past the red line (a second pose pass, on those clips only); else it is "
        "amber. A knee reading that asks for a check is looked at again the same way, and is green where the flipped "
        "look reads that knee green.",
    )


@dataclass(frozen=True)
class AnnotateSettings:
    max_side: int = _f(960, "Annotated clip is scaled down so its long side is at most this (phones; file size).")
    crf: int = _f(23, "x264 quality (lower is better and bigger).")
    preset: str = _f("veryfast", "x264 speed preset.")
    slow_bottom_s: float = _f(1.0, "Extra seconds the bottom of the worst rep is held for.")
    jpeg_quality: int = _f(85, "JPEG quality (0-100) of the key frames embedded in the report.")
    thumbnail_width: int = _f(320, "Width in pixels of the index thumbnail and the video poster.")


@dataclass(frozen=True)
class ReportSettings:
    coach_name: str = _f("", "Shown in the report header.")
    logo: str = _f("", "Path to a logo image embedded in the report (PNG/JPEG/SVG).")
    brand_colour: str = _f("#1f5f8b", "Header colour (CSS hex).")
    templates: str = _f("", "Folder of jinja2 templates overriding the built-in ones.")
    share_max_side: int = _f(
        0, "Long side of the clip inside each .share.html, pixels (smaller file to send); 0 = the annotated clip's."
    )


@dataclass(frozen=True)
class BatchSettings:
    jobs: int = _f(0, "Parallel workers; 0 = pick from CPU count and memory.")
    timeout_s: float = _f(1800.0, "Per-video time limit, seconds.")
    extensions: tuple[str, ...] = _f(
        (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".3gp"), "File endings treated as videos."
    )


@dataclass(frozen=True)
class Settings:
    """Everything tunable. Sections mirror the [tables] of configs/default.toml."""

    pose: PoseSettings = field(default_factory=PoseSettings)
    track: TrackSettings = field(default_factory=TrackSettings)
    clean: CleanSettings = field(default_factory=CleanSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    annotate: AnnotateSettings = field(default_factory=AnnotateSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    batch: BatchSettings = field(default_factory=BatchSettings)
    bands: dict[str, Any] = field(default_factory=dict, metadata={"help": "Scoring bands from configs/bands.toml."})
    # built from `bands` when settings load (`pipeline.metrics.load_specs`): each metric's validated spec
    metrics: dict[str, MetricSpec] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("metrics")  # derived from `bands`, which the digest already covers
        return d

    def digest(self, *sections: str) -> str:
        """Stable hash of the named sections (all when none): keys caches and resume decisions."""
        d = self.to_dict()
        chosen = {k: d[k] for k in (sections or tuple(d))}
        return hashlib.sha256(json.dumps(chosen, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _check_section(name: str, cls: type, table: Any, problems: list[str]) -> dict[str, Any]:
    if not isinstance(table, dict):
        problems.append(f"[{name}] must be a table, got {type(table).__name__}")
        return {}
    known = {f.name: f for f in fields(cls)}
    out: dict[str, Any] = {}
    defaults = cls()
    for key, value in table.items():
        if key not in known:
            problems.append(f"[{name}] unknown key {key!r}; known: {', '.join(sorted(known))}")
            continue
        want = type(getattr(defaults, key))
        if want is tuple and isinstance(value, list):
            value = tuple(value)
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want) or (want is not bool and isinstance(value, bool)):
            problems.append(f"[{name}] {key}: expected {want.__name__}, got {type(value).__name__} ({value!r})")
            continue
        out[key] = value
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"{path}: not valid TOML ({e})") from None


def load_settings(path: Path | None = None, **flags: Any) -> Settings:
    """Load defaults, then `path` (a coach's TOML), then flags given as `section__key=value` (None = not given).

    Raises:
        SettingsError: listing every unknown key and wrong type at once.
    """
    env_model = flags.pop("env__model", None)  # $FORMREVIEW_MODEL: below the flag and the file, above nothing
    values = _read_toml(data_file("configs", "default.toml"))
    if path is not None:
        values = _merge(values, _read_toml(path))
    for name, value in flags.items():
        if value is None:
            continue  # flag not given: the file's value stands
        section, _, key = name.partition("__")
        values.setdefault(section, {})[key] = value
    if env_model and not values.get("pose", {}).get("model"):
        values.setdefault("pose", {})["model"] = env_model
    overrides = values.pop("bands", {})
    problems: list[str] = []
    if not isinstance(overrides, dict):
        problems.append(f"{path}: [bands] must hold one table per metric, got {type(overrides).__name__}")
        overrides = {}
    bands = _merge(_read_toml(data_file("configs", "bands.toml")), overrides)
    specs: dict[str, MetricSpec] = {}
    if bands:
        specs, found = load_specs(bands, overrides, str(path or ""))
        problems += found
    else:
        problems.append("no scoring bands were loaded (configs/bands.toml is empty): no verdict can be given")
    sections: dict[str, Any] = {}
    for f in fields(Settings):
        if f.name in ("bands", "metrics"):
            continue
        cls = type(getattr(Settings(), f.name))
        assert is_dataclass(cls)
        sections[f.name] = cls(**_check_section(f.name, cls, values.pop(f.name, {}), problems))
    for stray in values:
        known = ", ".join(f.name for f in fields(Settings) if f.name != "metrics")
        problems.append(f"unknown section [{stray}]; known: {known}")
    if problems:
        raise SettingsError("invalid settings:\n  " + "\n  ".join(problems))
    return replace(Settings(), **sections, bands=bands, metrics=specs)
