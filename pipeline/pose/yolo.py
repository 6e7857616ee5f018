"""YOLO pose through ultralytics: every person in a frame, COCO-17 keypoints (feet points stay NaN).

Accepts what `YOLO()` accepts: a `.pt` file or an exported model folder (OpenVINO, ONNX). Ultralytics is
switched to offline, no auto-install, before it is imported, unless the caller allows a download.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.errors import PoseError
from pipeline.keypoints import N_COCO, N_KP, FramePoses
from pipeline.pose.base import sha256_prefix


def import_ultralytics(allow_download: bool = False) -> Any:
    """Import ultralytics with its network and pip side effects off.

    Its settings are read from the environment at import time, so they are set here, at the boundary, and only
    where the caller has not set them already.
    """
    if not allow_download:
        os.environ.setdefault("YOLO_OFFLINE", "1")  # no hub events, no version checks, no downloads
    os.environ.setdefault("YOLO_AUTOINSTALL", "False")  # never pip-install anything at run time
    os.environ.setdefault("YOLO_VERBOSE", "False")
    try:
        import ultralytics
    except ImportError as e:  # pragma: no cover - declared dependency
        raise PoseError(f"the yolo backend needs ultralytics ({e}); reinstall formreview") from None
    return ultralytics


def resolve_weights(model: str, yolo_name: str, allow_download: bool) -> Path | str:
    """Where the weights come from: an existing path, else (only if allowed) an ultralytics name to download."""
    if model:
        p = Path(model).expanduser()
        if not p.exists():
            raise PoseError(f"{model}: YOLO weights not found (give a .pt file or an exported model folder)")
        return p
    if allow_download:
        return yolo_name
    raise PoseError(
        "no YOLO weights given: pass --model PATH (a .pt file or an exported OpenVINO/ONNX folder), "
        "set FORMREVIEW_MODEL, or allow a download with --download"
    )


class YoloPose:
    """All people in a frame via ultralytics.

    Args:
        weights: path to weights (or an ultralytics model name when downloads are allowed).
        imgsz: network input size, pixels.
        conf: person confidence threshold.
        allow_download: let ultralytics fetch `weights` by name.
        threads: CPU threads for an OpenVINO model (None: OpenVINO's default, every core). Two batch workers on
            two cores each running two threads slow each other down (measured: 76 ms per frame with one thread,
            98 ms with two, on this 2-core CPU while another process used a core).
    """

    name = "yolo"

    def __init__(
        self,
        weights: Path | str,
        imgsz: int = 640,
        conf: float = 0.25,
        allow_download: bool = False,
        threads: int | None = None,
    ):
        ultralytics = import_ultralytics(allow_download)
        from ultralytics import YOLO

        self.imgsz, self.conf, self.threads = imgsz, conf, threads
        self._started = False
        label = Path(weights).name if isinstance(weights, Path) else str(weights)
        try:
            self._model: Any = YOLO(str(weights), task="pose")
        except Exception as e:  # ultralytics raises many types for a bad file; all mean "cannot load"
            raise PoseError(f"{label}: cannot load YOLO pose weights ({type(e).__name__}: {e})") from None
        if getattr(self._model, "task", "pose") != "pose":
            raise PoseError(f"{label}: not a pose model (task={self._model.task}); use a *-pose model")
        digest = sha256_prefix(weights) if isinstance(weights, Path) else "download"
        self.model_id = f"{label}@{digest} (ultralytics {getattr(ultralytics, '__version__', '?')})"

    def __call__(self, frame_bgr: npt.NDArray[np.uint8]) -> FramePoses:
        # ultralytics compiles the model inside its first predict: only that one needs the settings
        with _openvino_config(self.threads, first=not self._started):
            r = self._model.predict(frame_bgr, imgsz=self.imgsz, conf=self.conf, classes=[0], verbose=False)[0]
        self._started = True
        return frame_poses_from_ultralytics(r)

    def close(self) -> None:
        self._model = None


@contextmanager
def _openvino_config(threads: int | None, first: bool) -> Iterator[None]:
    """While active, OpenVINO models compiled for the CPU get `threads` inference threads (None: OpenVINO's default)
    and f32 inference, as `OpenVinoYoloPose` compiles them (`F32`: the keypoints must not depend on the CPU).

    Ultralytics compiles its OpenVINO model inside the first predict() with a fixed config and offers no
    setting, and recompiling afterwards costs about as long as the first compile, so the compile call is
    wrapped for that one predict (`first`). Other model formats never call it.
    """
    if first:  # checked first: every predict after the first should cost nothing here
        try:
            import openvino as ov
        except ImportError:  # pragma: no cover - a declared dependency; without it nothing compiles for OpenVINO
            first = False
    if not first:
        yield
        return
    from pipeline.pose.openvino import F32

    real = ov.Core.compile_model

    def compile_model(core: Any, model: Any, device_name: str | None = None, config: Any = None, **kw: Any) -> Any:
        if device_name in (None, "CPU"):
            config = {**(config or {}), "INFERENCE_PRECISION_HINT": F32}
            if threads:
                config["INFERENCE_NUM_THREADS"] = int(threads)
        return real(core, model, device_name, config, **kw)

    ov.Core.compile_model = compile_model
    try:
        yield
    finally:
        ov.Core.compile_model = real


def frame_poses_from_ultralytics(result: Any) -> FramePoses:
    """Convert one ultralytics `Results` to FramePoses (K=21: COCO-17, then NaN feet)."""
    kp, boxes = result.keypoints, result.boxes
    if kp is None or boxes is None or len(boxes) == 0:
        return FramePoses.empty()
    data = kp.data.cpu().numpy().astype(np.float32)  # (N, 17, 3): x, y, conf
    n = data.shape[0]
    xy = np.full((n, N_KP, 2), np.nan, np.float32)
    conf = np.zeros((n, N_KP), np.float32)
    xy[:, :N_COCO] = data[..., :2]
    conf[:, :N_COCO] = data[..., 2] if data.shape[-1] == 3 else 1.0
    # ultralytics reports unseen keypoints at (0, 0): make them NaN so nothing downstream trusts them
    xy[:, :N_COCO][(data[..., 0] == 0) & (data[..., 1] == 0)] = np.nan
    return FramePoses(
        xy=xy,
        conf=conf,
        boxes=boxes.xyxy.cpu().numpy().astype(np.float32),
        scores=boxes.conf.cpu().numpy().astype(np.float32),
    )
