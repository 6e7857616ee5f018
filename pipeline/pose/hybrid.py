"""Top-down refinement: BlazePose on the client's crop, where YOLO found and chose them.

YOLO's knee points sit on the outer edge of the knee and missed a rendered 28° knee cave; BlazePose placed them
at the joint centre and adds heels and toes. BlazePose alone picks whoever it sees first, so YOLO's tracker
decides who the client is and BlazePose only ever sees that person's crop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter

from pipeline.keypoints import N_COCO, Kp, PoseTrack
from pipeline.settings import PoseSettings

if TYPE_CHECKING:
    from pipeline.video import VideoInfo

_ANCHORS = [Kp.L_SHOULDER, Kp.R_SHOULDER, Kp.L_HIP, Kp.R_HIP]


def crop_boxes(
    boxes: npt.NDArray[np.float32], t_s: npt.NDArray[np.float64], frame_wh: tuple[int, int], margin: float
) -> npt.NDArray[np.float64]:
    """Smoothed, padded crop windows (T, 4) xyxy in frame pixels; NaN where the client is unknown.

    Gaps up to 0.5 s are bridged by interpolation; a running median over ~0.5 s keeps the window steady
    (BlazePose's tracking mode reuses the last pose as the next region, so a jittering crop costs accuracy).
    """
    b = boxes.astype(np.float64).copy()
    seen = np.isfinite(b[:, 0])
    if seen.sum() == 0:
        return b
    idx = np.flatnonzero(seen)
    for c in range(4):
        b[:, c] = np.interp(t_s, t_s[idx], b[idx, c])
    nearest_seen = np.abs(t_s[:, None] - t_s[idx][None]).min(axis=1)
    b[nearest_seen > 0.5] = np.nan
    dt = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 1 / 30
    win = max(1, int(round(0.5 / max(dt, 1e-3))) | 1)
    ok = np.isfinite(b[:, 0])
    if ok.sum() > win:
        b[ok] = median_filter(b[ok], size=(win, 1), mode="nearest")
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    side = np.maximum(w, h) * (1 + 2 * margin)  # square-ish crop: BlazePose's detector expects a full body
    cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    W, H = frame_wh
    out = np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], axis=1)
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, W)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, H)
    return out


def refine_with_blazepose(
    info: VideoInfo,
    track: PoseTrack,
    s: PoseSettings,
    max_height: int,
    progress: Callable[[int], None] | None = None,
) -> PoseTrack:
    """Replace the YOLO keypoints of the client with BlazePose's, run on the client's crop.

    A BlazePose pose whose shoulders and hips are far from YOLO's (it latched onto someone else in the crop) is
    rejected; frames where BlazePose finds nothing keep YOLO's COCO points (counted in `extra`).
    """
    from pipeline.pose.mediapipe import BlazePose
    from pipeline.video import read_frames

    crops = crop_boxes(track.boxes, track.t_s, track.frame_wh, s.crop_margin)
    xy, conf = track.xy.copy(), track.conf.copy()
    bp = BlazePose(static=False, min_detection_conf=s.mp_min_detection_conf)
    used = rejected = kept_yolo = 0
    try:
        for i, _, frame in read_frames(info, max_height=max_height):
            if progress:
                progress(1)
            if i >= len(track) or not np.isfinite(crops[i, 0]):
                continue
            k = frame.shape[0] / info.height  # display pixels → decoded pixels
            x0, y0, x1, y1 = (np.round(crops[i] * k)).astype(int)
            if x1 - x0 < 16 or y1 - y0 < 16:
                continue
            fp = bp(np.ascontiguousarray(frame[y0:y1, x0:x1]))
            if len(fp) == 0:
                kept_yolo += int(track.seen[i])
                continue
            cand = (fp.xy[0] + np.array([x0, y0], np.float32)) / k
            if track.seen[i] and _disagrees(cand, track.xy[i], track.boxes[i]):
                rejected += 1
                xy[i], conf[i] = np.nan, 0.0
                continue
            xy[i], conf[i] = cand, fp.conf[0]
            used += 1
    finally:
        bp.close()
    model_id = f"{track.model_id} + {bp.model_id}"
    refined = track.with_xy(
        xy, conf, blazepose_frames=used, blazepose_rejected=rejected, yolo_fallback_frames=kept_yolo
    )
    return PoseTrack(
        refined.t_s,
        refined.xy,
        refined.conf,
        refined.boxes,
        refined.frame_wh,
        refined.fps,
        "hybrid",
        model_id,
        track.note,
        refined.extra,
    )


def _disagrees(cand: npt.NDArray[np.float32], yolo: npt.NDArray[np.float32], box: npt.NDArray[np.float32]) -> bool:
    """True when BlazePose's torso is more than 25 % of the box height from YOLO's (a different person)."""
    a, b = cand[_ANCHORS], yolo[:N_COCO][_ANCHORS]
    ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    if ok.sum() < 2:
        return False
    height = float(box[3] - box[1]) if np.isfinite(box).all() else 1.0
    return float(np.median(np.linalg.norm(a[ok] - b[ok], axis=1))) > 0.25 * max(height, 1.0)
