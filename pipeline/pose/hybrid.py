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

from pipeline.keypoints import Kp, PoseTrack
from pipeline.settings import PoseSettings

if TYPE_CHECKING:
    from pipeline.video import VideoInfo

_ANCHORS = [Kp.L_SHOULDER, Kp.R_SHOULDER, Kp.L_HIP, Kp.R_HIP]


def interp_boxes(
    boxes: npt.NDArray[np.float32], t_s: npt.NDArray[np.float64], max_gap_s: float = 0.5
) -> npt.NDArray[np.float64]:
    """Boxes (T, 4) filled in by linear interpolation in time across gaps up to `max_gap_s`; NaN beyond."""
    b = boxes.astype(np.float64).copy()
    idx = np.flatnonzero(np.isfinite(b[:, 0]))
    if len(idx) == 0:
        return b
    for c in range(4):
        b[:, c] = np.interp(t_s, t_s[idx], b[idx, c])
    pos = np.clip(np.searchsorted(t_s[idx], t_s), 1, max(len(idx) - 1, 1))
    prev, nxt = t_s[idx][pos - 1], t_s[idx][np.minimum(pos, len(idx) - 1)]
    gap = np.where(np.isin(np.arange(len(t_s)), idx), 0.0, np.minimum(np.abs(t_s - prev), np.abs(nxt - t_s)))
    b[gap > max_gap_s] = np.nan
    return b


def crop_boxes(
    boxes: npt.NDArray[np.float32], t_s: npt.NDArray[np.float64], frame_wh: tuple[int, int], margin: float
) -> npt.NDArray[np.float64]:
    """Smoothed, padded crop windows (T, 4) xyxy in frame pixels; NaN where the client is unknown.

    Gaps up to 0.5 s are bridged by interpolation; a running median over ~0.5 s keeps the window steady
    (BlazePose's tracking mode reuses the last pose as the next region, so a jittering crop costs accuracy).
    """
    b = interp_boxes(boxes, t_s)
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
    person = interp_boxes(track.boxes, track.t_s)  # the client's box on every frame, YOLO ran or not
    xy, conf = track.xy.copy(), track.conf.copy()
    boxes = track.boxes.copy()
    bp = BlazePose(static=False, min_detection_conf=s.mp_min_detection_conf)
    used = rejected = kept_yolo = 0
    try:
        for i, _, frame in read_frames(info, max_height=max_height):
            if progress:
                progress(1)
            if i >= len(track) or not np.isfinite(crops[i, 0]) or i % max(1, s.pose_every):
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
            if _outside(cand, person[i]):
                rejected += 1
                xy[i], conf[i] = np.nan, 0.0
                continue
            xy[i], conf[i], boxes[i] = cand, fp.conf[0], person[i]
            used += 1
    finally:
        bp.close()
    model_id = f"{track.model_id} + {bp.model_id}"
    extra = {**track.extra, "blazepose_frames": used, "blazepose_rejected": rejected, "yolo_fallback_frames": kept_yolo}
    return PoseTrack(
        track.t_s, xy, conf, boxes.astype(np.float32), track.frame_wh, track.fps, "hybrid", model_id, track.note, extra
    )


def _outside(cand: npt.NDArray[np.float32], box: npt.NDArray[np.float64]) -> bool:
    """True when BlazePose's torso centre is outside the client's (interpolated) YOLO box: a different person."""
    pts = cand[_ANCHORS]
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < 2 or not np.isfinite(box).all():
        return False
    cx, cy = pts.mean(axis=0)
    return not (box[0] <= cx <= box[2] and box[1] <= cy <= box[3])
