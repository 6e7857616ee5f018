"""Keypoint layout and the typed containers that carry poses between stages.

Reads nothing, writes nothing: `FramePoses` (all people in one frame, from a pose backend) and `PoseTrack`
(one chosen person over a clip, from `track`) are the hand-over values of the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


class Kp(IntEnum):
    """COCO-17 in the order ultralytics emits it, then four foot points only BlazePose gives (else NaN)."""

    NOSE = 0
    L_EYE = 1
    R_EYE = 2
    L_EAR = 3
    R_EAR = 4
    L_SHOULDER = 5
    R_SHOULDER = 6
    L_ELBOW = 7
    R_ELBOW = 8
    L_WRIST = 9
    R_WRIST = 10
    L_HIP = 11
    R_HIP = 12
    L_KNEE = 13
    R_KNEE = 14
    L_ANKLE = 15
    R_ANKLE = 16
    L_HEEL = 17
    R_HEEL = 18
    L_TOE = 19  # BlazePose "foot index": the tip of the shoe
    R_TOE = 20


N_COCO = 17
N_KP = len(Kp)

# Left/right pairs, for swap repair and mirroring.
LR_PAIRS: tuple[tuple[Kp, Kp], ...] = (
    (Kp.L_EYE, Kp.R_EYE),
    (Kp.L_EAR, Kp.R_EAR),
    (Kp.L_SHOULDER, Kp.R_SHOULDER),
    (Kp.L_ELBOW, Kp.R_ELBOW),
    (Kp.L_WRIST, Kp.R_WRIST),
    (Kp.L_HIP, Kp.R_HIP),
    (Kp.L_KNEE, Kp.R_KNEE),
    (Kp.L_ANKLE, Kp.R_ANKLE),
    (Kp.L_HEEL, Kp.R_HEEL),
    (Kp.L_TOE, Kp.R_TOE),
)

# The same pairs by body part ("shoulder", "knee", "toe", …), for per-joint error tables.
PAIRS_BY_PART: dict[str, tuple[Kp, Kp]] = {a.name[2:].lower(): (a, b) for a, b in LR_PAIRS}

# Each leg's points below the hip (knee, ankle, heel, toe), by side: what goes when a model lays a leg on something
# other than the client's leg.
LOWER_LEG: dict[str, npt.NDArray[np.intp]] = {
    "left": np.array([Kp.L_KNEE, Kp.L_ANKLE, Kp.L_HEEL, Kp.L_TOE], np.intp),
    "right": np.array([Kp.R_KNEE, Kp.R_ANKLE, Kp.R_HEEL, Kp.R_TOE], np.intp),
}

# Index that maps each keypoint to its mirror (NOSE maps to itself).
MIRROR: npt.NDArray[np.intp] = np.arange(N_KP)
for _a, _b in LR_PAIRS:
    MIRROR[_a], MIRROR[_b] = _b, _a

# Bones drawn on the annotated clip; the face is left out on purpose (it adds clutter, not information).
SKELETON_EDGES: tuple[tuple[Kp, Kp], ...] = (
    (Kp.L_SHOULDER, Kp.R_SHOULDER),
    (Kp.L_SHOULDER, Kp.L_ELBOW),
    (Kp.L_ELBOW, Kp.L_WRIST),
    (Kp.R_SHOULDER, Kp.R_ELBOW),
    (Kp.R_ELBOW, Kp.R_WRIST),
    (Kp.L_SHOULDER, Kp.L_HIP),
    (Kp.R_SHOULDER, Kp.R_HIP),
    (Kp.L_HIP, Kp.R_HIP),
    (Kp.L_HIP, Kp.L_KNEE),
    (Kp.L_KNEE, Kp.L_ANKLE),
    (Kp.R_HIP, Kp.R_KNEE),
    (Kp.R_KNEE, Kp.R_ANKLE),
    (Kp.L_ANKLE, Kp.L_HEEL),
    (Kp.L_HEEL, Kp.L_TOE),
    (Kp.L_ANKLE, Kp.L_TOE),
    (Kp.R_ANKLE, Kp.R_HEEL),
    (Kp.R_HEEL, Kp.R_TOE),
    (Kp.R_ANKLE, Kp.R_TOE),
)


@dataclass(frozen=True)
class FramePoses:
    """Every person one pose backend found in one frame.

    Attributes:
        xy: (N, K, 2) float32, image pixels of the displayed (rotation-applied) frame; NaN where not given.
        conf: (N, K) float32 in [0, 1]; 0 where not given.
        boxes: (N, 4) float32, person boxes xyxy in pixels.
        scores: (N,) float32, person detection confidence.
    """

    xy: F32
    conf: F32
    boxes: F32
    scores: F32

    def __post_init__(self) -> None:
        n = self.scores.shape[0]
        if (
            self.xy.shape != (n, N_KP, 2)
            or self.conf.shape != (n, N_KP)
            or self.boxes.shape != (n, 4)
            or self.scores.shape != (n,)
        ):
            raise ValueError(
                f"FramePoses expects xy ({n}, {N_KP}, 2), conf ({n}, {N_KP}), boxes ({n}, 4), scores ({n},); "
                f"got {self.xy.shape}, {self.conf.shape}, {self.boxes.shape}, {self.scores.shape}"
            )

    @classmethod
    def empty(cls) -> FramePoses:
        """No person in this frame."""
        return cls(
            xy=np.zeros((0, N_KP, 2), np.float32),
            conf=np.zeros((0, N_KP), np.float32),
            boxes=np.zeros((0, 4), np.float32),
            scores=np.zeros((0,), np.float32),
        )

    def __len__(self) -> int:
        return int(self.scores.shape[0])


@dataclass(frozen=True)
class PoseTrack:
    """One person's keypoints over a clip (the client), one row per decoded frame.

    Attributes:
        t_s: (T,) float64, presentation time of each frame, seconds from the first frame (VFR-safe).
        xy: (T, K, 2) float32, image pixels (rotation applied); NaN where the person or keypoint was not seen.
        conf: (T, K) float32 in [0, 1]; 0 where not seen.
        boxes: (T, 4) float32, the person's box xyxy per frame; NaN where not seen.
        frame_wh: (width, height) of the displayed frame in pixels.
        fps: nominal average frame rate as an exact fraction.
        backend: pose backend name, e.g. "hybrid".
        model_id: model names with sha256 prefixes, e.g. "yolov8n-pose_int8_openvino_model@41be77ec".
        note: why this person was chosen, in words (for the report).
        extra: free-form provenance (track ids, counts), JSON-serialisable.
    """

    t_s: F64
    xy: F32
    conf: F32
    boxes: F32
    frame_wh: tuple[int, int]
    fps: Fraction
    backend: str = ""
    model_id: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_frames, n_kp = self.conf.shape
        if self.xy.shape != (n_frames, n_kp, 2) or self.t_s.shape != (n_frames,) or self.boxes.shape != (n_frames, 4):
            raise ValueError(
                f"PoseTrack expects xy ({n_frames}, {n_kp}, 2), t_s ({n_frames},), boxes ({n_frames}, 4); "
                f"got {self.xy.shape}, {self.t_s.shape}, {self.boxes.shape}"
            )

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def seen(self) -> npt.NDArray[np.bool_]:
        """(T,) bool: the person was found in this frame."""
        return np.isfinite(self.boxes[:, 0])

    def with_xy(self, xy: F32, conf: F32 | None = None, **extra: Any) -> PoseTrack:
        """A copy with new keypoints (cleaning returns these); provenance is kept."""
        return PoseTrack(
            t_s=self.t_s,
            xy=xy.astype(np.float32),
            conf=self.conf if conf is None else conf.astype(np.float32),
            boxes=self.boxes,
            frame_wh=self.frame_wh,
            fps=self.fps,
            backend=self.backend,
            model_id=self.model_id,
            note=self.note,
            extra={**self.extra, **extra},
        )
