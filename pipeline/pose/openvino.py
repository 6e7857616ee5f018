"""YOLO pose exported to OpenVINO, run by the OpenVINO runtime itself: every person in a frame, COCO-17.

The same model and the same arithmetic as ultralytics' predict (letterbox to the export's fixed size, the graph's
own box and keypoint decoding, greedy NMS, scaling back), without importing torch, torchvision and ultralytics.
Those imports and ultralytics' first predict cost ~5 s per process on a 2-core CPU, and its per-call set-up
~5–10 ms per frame (measured: tests/test_pose_openvino.py checks that both give the same keypoints).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from pipeline.errors import PoseError
from pipeline.keypoints import N_COCO, N_KP, FramePoses
from pipeline.pose.base import sha256_prefix

PAD_VALUE = 114  # ultralytics' letterbox grey
IOU = 0.7  # ultralytics' predict default
MAX_DET = 300


@dataclass(frozen=True)
class ExportedModel:
    """An ultralytics OpenVINO export folder: the network file and what its metadata.yaml says about it."""

    xml: Path
    imgsz: tuple[int, int]  # (height, width) the graph is fixed to
    kpt_shape: tuple[int, int]


def exported_model(folder: Path) -> ExportedModel | None:
    """The OpenVINO pose export in `folder`, or None when it is something else (a .pt, ONNX, a detect model)."""
    if not folder.is_dir():
        return None
    xmls = sorted(folder.glob("*.xml"))
    meta_path = folder / "metadata.yaml"
    if len(xmls) != 1 or not meta_path.exists() or not xmls[0].with_suffix(".bin").exists():
        return None
    import yaml  # PyYAML: a dependency of ultralytics, which wrote this file

    try:
        meta = yaml.safe_load(meta_path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(meta, dict) or meta.get("task") != "pose" or meta.get("end2end") or meta.get("batch", 1) != 1:
        return None
    size = meta.get("imgsz", [640, 640])
    kpt = meta.get("kpt_shape", [17, 3])
    if len(size) != 2 or list(kpt) != [N_COCO, 3] or (meta.get("args") or {}).get("dynamic"):
        return None
    return ExportedModel(xmls[0], (int(size[0]), int(size[1])), (int(kpt[0]), int(kpt[1])))


# OpenVINO runs a model's float layers in bfloat16 by default on CPUs that support it (AVX-512 BF16, AMX) and in f32
# elsewhere: the same clip then gets other boxes and keypoints on another laptop (boxes moved 3 px on one frame here).
# Pinned to f32, the keypoints depend on the video, not on the CPU, at no measurable cost in time.
F32 = "f32"


class OpenVinoYoloPose:
    """All people in a frame, from an ultralytics YOLO pose model exported to OpenVINO.

    Args:
        model: the export (see `exported_model`).
        conf: person confidence threshold.
        threads: CPU inference threads (None: OpenVINO's default, every core).
    """

    name = "yolo"

    def __init__(self, model: ExportedModel, conf: float = 0.25, threads: int | None = None):
        import openvino as ov

        self.conf, self.size = conf, model.imgsz
        # batch 1, one frame at a time, as ultralytics; f32 on every CPU (`F32`)
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": F32}
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        try:
            self._net: Any = ov.Core().compile_model(str(model.xml), "CPU", config)
        except Exception as e:  # OpenVINO raises RuntimeError subclasses for any unreadable model
            raise PoseError(f"{model.xml.parent.name}: cannot load the OpenVINO model ({e})") from None
        # the runtime's version beside the weights': the same weights give other keypoints under another runtime
        self.model_id = f"{model.xml.parent.name}@{sha256_prefix(model.xml.parent)} (OpenVINO {_version(ov)})"

    def __call__(self, frame_bgr: npt.NDArray[np.uint8]) -> FramePoses:
        x, gain, pad = letterbox(frame_bgr, self.size)
        out = np.asarray(self._net(x[None])[0])[0].T  # (anchors, 4 + 1 + 17 * 3), decoded in the graph
        return poses_from_output(out, self.conf, gain, pad, (int(frame_bgr.shape[0]), int(frame_bgr.shape[1])))

    def close(self) -> None:
        self._net = None


def _version(ov: Any) -> str:
    """OpenVINO's release, e.g. "2026.4.1" (its `__version__` carries a build suffix)."""
    return str(getattr(ov, "__version__", "?")).split("-")[0]


def letterbox(
    frame_bgr: npt.NDArray[np.uint8], size: tuple[int, int]
) -> tuple[npt.NDArray[np.float32], tuple[float, float], tuple[int, int]]:
    """Frame → (3, H, W) RGB float32 in 0–1, aspect kept, centred on grey; ultralytics' LetterBox rounding.

    Returns the tensor, the (x, y) scale applied and the (left, top) padding in network pixels.
    """
    h0, w0 = frame_bgr.shape[:2]
    r = min(size[0] / h0, size[1] / w0)
    new_w, new_h = max(round(w0 * r), 1), max(round(h0 * r), 1)
    img: npt.NDArray[Any] = frame_bgr  # cv2's stubs type its results as any numeric array
    if (new_w, new_h) != (w0, h0):
        img = cv2.resize(frame_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    dw, dh = (size[1] - new_w) / 2, (size[0] - new_h) / 2
    top, bottom, left, right = round(dh - 0.1), round(dh + 0.1), round(dw - 0.1), round(dw + 0.1)
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(PAD_VALUE,) * 3)
    x = np.ascontiguousarray(img[..., ::-1].transpose(2, 0, 1), dtype=np.float32) / 255.0
    return x, (new_w / w0, new_h / h0), (left, top)


def poses_from_output(
    out: npt.NDArray[np.float32],
    conf: float,
    gain: tuple[float, float],
    pad: tuple[int, int],
    frame_hw: tuple[int, int],
) -> FramePoses:
    """One frame's raw output (anchors, 56) → people after NMS, in frame pixels (K=21: COCO-17, then NaN feet)."""
    keep = out[:, 4] > conf
    if not keep.any():
        return FramePoses.empty()
    out = out[keep]
    out = out[np.argsort(-out[:, 4], kind="stable")]
    cx, cy, w, h = out[:, 0], out[:, 1], out[:, 2], out[:, 3]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kept = cv2.dnn.NMSBoxes(np.stack([xyxy[:, 0], xyxy[:, 1], w, h], 1).tolist(), out[:, 4].tolist(), conf, IOU)
    idx = np.sort(np.asarray(kept, dtype=np.intp).reshape(-1))[:MAX_DET]  # in descending score, as ultralytics
    out, xyxy = out[idx], xyxy[idx]
    H, W = frame_hw
    off, scale = np.array(pad, np.float32), np.array(gain, np.float32)
    boxes = (xyxy.reshape(-1, 2, 2) - off) / scale
    boxes[..., 0] = boxes[..., 0].clip(0, W)
    boxes[..., 1] = boxes[..., 1].clip(0, H)
    kp = out[:, 5:].reshape(len(out), N_COCO, 3)
    pts = (kp[..., :2] - off) / scale
    pts[..., 0] = pts[..., 0].clip(0, W)
    pts[..., 1] = pts[..., 1].clip(0, H)
    n = len(out)
    xy = np.full((n, N_KP, 2), np.nan, np.float32)
    kconf = np.zeros((n, N_KP), np.float32)
    xy[:, :N_COCO], kconf[:, :N_COCO] = pts, kp[..., 2]
    return FramePoses(
        xy=xy, conf=kconf, boxes=boxes.reshape(-1, 4).astype(np.float32), scores=out[:, 4].astype(np.float32)
    )
