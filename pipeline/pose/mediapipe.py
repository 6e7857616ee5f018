"""BlazePose (MediaPipe legacy `solutions.pose`, model_complexity=1, bundled in the wheel): one person, offline.

Maps BlazePose's 33 landmarks to COCO-17 and keeps heels and toe tips as the four extra foot keypoints.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.errors import PoseError
from pipeline.keypoints import N_KP, FramePoses, Kp
from pipeline.pose.base import boxes_from_keypoints, sha256_prefix

# Our keypoint → BlazePose landmark index (BlazePose "left" is the person's left, as in COCO).
BLAZEPOSE_INDEX: dict[Kp, int] = {
    Kp.NOSE: 0,
    Kp.L_EYE: 2,
    Kp.R_EYE: 5,
    Kp.L_EAR: 7,
    Kp.R_EAR: 8,
    Kp.L_SHOULDER: 11,
    Kp.R_SHOULDER: 12,
    Kp.L_ELBOW: 13,
    Kp.R_ELBOW: 14,
    Kp.L_WRIST: 15,
    Kp.R_WRIST: 16,
    Kp.L_HIP: 23,
    Kp.R_HIP: 24,
    Kp.L_KNEE: 25,
    Kp.R_KNEE: 26,
    Kp.L_ANKLE: 27,
    Kp.R_ANKLE: 28,
    Kp.L_HEEL: 29,
    Kp.R_HEEL: 30,
    Kp.L_TOE: 31,
    Kp.R_TOE: 32,
}
_TO = np.array([int(k) for k in BLAZEPOSE_INDEX])
_FROM = np.array(list(BLAZEPOSE_INDEX.values()))
MODEL_ID = "pose_landmark_full.tflite@{sha} (BlazePose full, mediapipe {version})"


def import_mediapipe() -> Any:
    """The mediapipe module, its C++ start-up chatter silenced. Raises ImportError when it is not installed."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # silence absl/TFLite start-up chatter
    import mediapipe

    return mediapipe


def mediapipe_available() -> bool:
    """True when the mediapipe wheel (and its bundled full model) can be imported."""
    try:
        import mediapipe  # noqa: F401
    except ImportError:
        return False
    return True


class BlazePose:
    """BlazePose on whole frames or crops. Tracking mode (static=False) reuses the last pose as the next ROI.

    Args:
        static: treat every image as unrelated (crops that jump around); False for a video stream.
        min_detection_conf: person-detector threshold.
    """

    name = "mediapipe"

    def __init__(self, static: bool = False, min_detection_conf: float = 0.5):
        try:
            mp = import_mediapipe()
        except ImportError as e:
            raise PoseError(f"the mediapipe backend needs the mediapipe package ({e})") from None
        landmark = Path(mp.__file__).parent / "modules" / "pose_landmark" / "pose_landmark_full.tflite"
        sha = sha256_prefix(landmark) if landmark.exists() else "missing"
        self.model_id = MODEL_ID.format(sha=sha, version=getattr(mp, "__version__", "?"))
        # model_complexity=1 is the only model the 0.10.14–0.10.21 wheels bundle; 0 and 2 try to download.
        self._pose: Any = mp.solutions.pose.Pose(
            static_image_mode=static,
            model_complexity=1,
            smooth_landmarks=False,  # we filter with real timestamps later; its smoother assumes constant fps
            min_detection_confidence=min_detection_conf,
            min_tracking_confidence=0.5,
        )

    def __call__(self, frame_bgr: npt.NDArray[np.uint8]) -> FramePoses:
        rgb = np.ascontiguousarray(frame_bgr[..., ::-1])
        res = self._pose.process(rgb)
        if res.pose_landmarks is None:
            return FramePoses.empty()
        h, w = frame_bgr.shape[:2]
        lm = np.array([(p.x * w, p.y * h, p.visibility) for p in res.pose_landmarks.landmark], np.float32)
        xy = np.full((1, N_KP, 2), np.nan, np.float32)
        conf = np.zeros((1, N_KP), np.float32)
        xy[0, _TO] = lm[_FROM, :2]
        conf[0, _TO] = np.clip(lm[_FROM, 2], 0.0, 1.0)
        boxes = boxes_from_keypoints(xy)
        score = np.array([float(np.median(conf[0]))], np.float32)
        return FramePoses(xy=xy, conf=conf, boxes=boxes, scores=score)

    def close(self) -> None:
        if self._pose is not None:
            self._pose.close()
            self._pose = None
