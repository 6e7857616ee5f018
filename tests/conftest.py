"""Where the shared ground truth lives for every test: ../shared beside the checkout (models and real clips)."""

from __future__ import annotations

from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SHARED_VIDEOS = SHARED / "videos"
WEIGHTS = SHARED / "models" / "yolov8n-pose_int8_openvino_model"
