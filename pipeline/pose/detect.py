"""When the hybrid's YOLO pass looks at a frame: rarely while everyone in view stays put and apart, densely otherwise.

In the hybrid, YOLO only chooses the client and places BlazePose's crop; the crop is interpolated and smoothed
between YOLO's looks (`hybrid.crop_boxes`). While one person squats in place their box changes slowly and
smoothly, so looking every 0.3 s places the crop as well as every 0.1 s does, for a third of the cost. YOLO goes
back to the dense rate as soon as what it sees stops being simple: nobody found, a person more or fewer, a box
that moved by more than a third of itself since the last look, or two people close together (the tracker then
needs every look to keep them apart).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.keypoints import FramePoses
from pipeline.track import box_iou

# Each box must overlap one of the last look's by this IoU (moved less than about a third of itself) to stay sparse.
STEADY_IOU = 0.5
# Two people whose boxes, each grown by this fraction of its height on every side, overlap are close together.
NEAR_FRAC = 0.25
# Looks in a row that must be calm before YOLO slows down again.
CALM_LOOKS = 2


def is_calm(prev: FramePoses | None, cur: FramePoses) -> bool:
    """True when `cur` (this look's detections) can be followed by a sparse gap: someone is there, the same number
    of people as at the last look (`prev`), each box where one was (IoU ≥ STEADY_IOU), nobody close to anybody."""
    if len(cur) == 0 or prev is None or len(prev) != len(cur):
        return False
    if (box_iou(cur.boxes, prev.boxes).max(axis=1) < STEADY_IOU).any():
        return False
    if len(cur) > 1:
        b = cur.boxes.astype(np.float64)
        pad = NEAR_FRAC * (b[:, 3] - b[:, 1])[:, None]
        grown = (b + np.hstack([-pad, -pad, pad, pad])).astype(np.float32)
        overlap = box_iou(grown, grown)
        np.fill_diagonal(overlap, 0.0)
        if (overlap > 0).any():
            return False
    return True


# The longest time between two of YOLO's dense looks: the tracker links a look to the last by box overlap, and at
# 0.6 s apart a real 10 fps clip's client was lost; 0.3 s (every 3rd frame at 10 fps) kept it.
MAX_DENSE_GAP_S = 0.3


def dense_every(fps: float, detect_every: int) -> int:
    """YOLO's dense stride in frames: `detect_every`, but never spanning more than `MAX_DENSE_GAP_S`, and at least 1.
    A 2.9 fps GIF looked at every 3rd frame, 1 s apart, made seven one-look tracks and no client."""
    limit = int(MAX_DENSE_GAP_S * fps + 1e-9) if fps > 0 else detect_every
    return max(1, min(detect_every, limit))


def sparse_every(fps: float, dense_every: int, sparse_s: float) -> int:
    """The frame stride of a sparse look: a multiple of `dense_every` (so both rates sample the same frame grid)
    spanning at most `sparse_s` seconds, and never less than `dense_every`."""
    dense_every = max(1, dense_every)
    if sparse_s <= 0 or not fps > 0:
        return dense_every
    return dense_every * max(1, int(sparse_s * fps / dense_every + 1e-9))


@dataclass
class Schedule:
    """Decides, frame by frame of the dense grid, whether YOLO looks; `looked` reports what it saw."""

    sparse: int  # frames between sparse looks
    _last: int | None = None
    _prev: FramePoses | None = None
    _calm: int = 0

    def due(self, i: int) -> bool:
        """Whether frame `i` (on the dense grid, in order) needs a look."""
        return self._last is None or self._calm < CALM_LOOKS or i - self._last >= self.sparse

    def looked(self, i: int, fp: FramePoses) -> None:
        self._calm = self._calm + 1 if is_calm(self._prev, fp) else 0
        self._last, self._prev = i, fp


def detect_adaptive(
    frames: Iterable[tuple[int, float, npt.NDArray[np.uint8]]],
    model: Callable[[npt.NDArray[np.uint8]], FramePoses],
    sparse: int,
) -> Iterator[tuple[int, FramePoses | None]]:
    """Run `model` on the frames the schedule picks. Yields (frame index, poses) for every frame given, with
    None for a frame it skipped, so the caller can count progress on each."""
    plan = Schedule(sparse)
    for i, _, frame in frames:
        if not plan.due(i):
            yield i, None
            continue
        fp = model(frame)
        plan.looked(i, fp)
        yield i, fp
