"""What every pose backend provides: a callable from one BGR frame to `FramePoses`, plus provenance.

Only the modules in `pipeline/pose/` import ultralytics or mediapipe; everything after `track` sees numpy arrays.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from pipeline.keypoints import FramePoses


class PoseBackend(Protocol):
    """One pose model, ready to run on frames of one clip."""

    name: str
    model_id: str

    def __call__(self, frame_bgr: npt.NDArray[np.uint8]) -> FramePoses: ...

    def close(self) -> None: ...


def sha256_prefix(path: Path, n: int = 8) -> str:
    """sha256 of a weights file, or of a model folder's files in name order, shortened to `n` hex digits."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        with f.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:n]


def boxes_from_keypoints(xy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """(N, K, 2) keypoints → (N, 4) xyxy boxes around the finite points, padded by 10 % of their size."""
    out = np.full((xy.shape[0], 4), np.nan, np.float32)
    for i, pts in enumerate(xy):
        pts = pts[np.isfinite(pts).all(axis=1)]
        if len(pts) < 2:
            continue
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = 0.1 * (hi - lo)
        out[i] = (*(lo - pad), *(hi + pad))
    return out
