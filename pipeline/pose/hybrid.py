"""Top-down refinement: BlazePose on the client's crop, where YOLO found and chose them.

YOLO's knee points sit on the outer edge of the knee and missed a rendered 28° knee cave; BlazePose placed them
at the joint centre and adds heels and toes. BlazePose alone picks whoever it sees first, so YOLO's tracker
decides who the client is and BlazePose only ever sees that person's crop.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter

from pipeline.clean import leg_px
from pipeline.keypoints import LOWER_LEG, FramePoses, Kp, PoseTrack
from pipeline.settings import PoseSettings

if TYPE_CHECKING:
    from pipeline.video import VideoInfo

_ANCHORS = [Kp.L_SHOULDER, Kp.R_SHOULDER, Kp.L_HIP, Kp.R_HIP]
_REF = [Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE]  # YOLO's leg points that BlazePose's legs are checked against
# A YOLO knee or ankle at least this sure is a reference for BlazePose's legs; less sure ones (hidden behind the
# other leg, a bar, a bench) are not.
SURE = 0.5
# A BlazePose knee or ankle this many times nearer another person's YOLO knee or ankle than the client's own is on
# that person. On the 115 real clips (every 6th frame) points away from the client's legs came at most 1.6 times
# nearer someone else, except on the two clips where BlazePose laid a leg on a spotter or a coach behind the client
# (up to 140 and 9 times).
NEARER = 3.0
# How far in time YOLO's look at the people is carried: it looks at least every 0.3 s (`detect_sparse_s`), so every
# frame is within 0.15 s of a look; 0.2 s bridges a look that missed the client.
LOOK_GAP_S = 0.2


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


def fill_skipped_boxes(
    boxes: npt.NDArray[np.float32], t_s: npt.NDArray[np.float64], skipped: npt.NDArray[np.bool_], every: int
) -> None:
    """In place: boxes (T, 4) of the frames the keypoint model `skipped` by design, interpolated from the client's
    boxes on frames it ran on, at most `every` frames away (further: left NaN, nobody found there)."""
    dt = float(np.median(np.diff(t_s))) if len(t_s) > 1 else 1 / 30
    filled = interp_boxes(boxes, t_s, max_gap_s=every * dt * 1.01)
    todo = skipped & ~np.isfinite(boxes[:, 0])
    boxes[todo] = filled[todo]


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


def other_people_legs(poses: Sequence[FramePoses], client_boxes: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """The sure knees and ankles of everyone YOLO found in each frame but the client, (N, M, 2) px, NaN-padded to the
    most found in a frame. The client is the detection whose box is `client_boxes[j]` (N, 4; NaN: not found, and
    everyone counts as someone else)."""
    rows = []
    for fp, box in zip(poses, client_boxes, strict=True):
        keep = ~np.all(fp.boxes == box, axis=1)
        sure = fp.conf[keep][:, _REF] >= SURE
        rows.append(fp.xy[keep][:, _REF][sure])
    out = np.full((len(rows), max((len(r) for r in rows), default=0), 2), np.nan)
    for j, r in enumerate(rows):
        out[j, : len(r)] = r
    return out


def nearest_look(t_s: npt.NDArray[np.float64], looked: npt.NDArray[np.bool_], max_gap_s: float) -> npt.NDArray[np.intp]:
    """For each frame (T,), the index of the nearest frame where `looked` holds, no more than `max_gap_s` away;
    -1 where there is none."""
    idx = np.flatnonzero(looked)
    if len(idx) == 0:
        return np.full(len(t_s), -1, np.intp)
    pos = np.clip(np.searchsorted(t_s[idx], t_s), 1, max(len(idx) - 1, 1))
    lo, hi = idx[pos - 1], idx[np.minimum(pos, len(idx) - 1)]
    near = np.where(np.abs(t_s - t_s[lo]) <= np.abs(t_s[hi] - t_s), lo, hi)
    return np.where(np.abs(t_s[near] - t_s) <= max_gap_s, near, -1).astype(np.intp)


def legs_elsewhere(
    cand: npt.NDArray[np.float32],
    client: npt.NDArray[np.float64],
    others: npt.NDArray[np.float64],
    min_px: float,
) -> list[str]:
    """The sides ("left", "right") of a BlazePose pose `cand` (K, 2) laid on someone else: its knee or ankle lies at
    least `min_px` from every sure YOLO knee and ankle of the client (`client` (4, 2), NaN: unsure) and `NEARER`
    times nearer one of another person's (`others` (M, 2)). Any of the client's leg points will do, so a knee
    that one model calls an ankle, or left/right mixed up between the models, is no disagreement; with none of the
    client's sure, nothing is judged."""
    client = client[np.isfinite(client).all(axis=1)]
    others = others[np.isfinite(others).all(axis=1)]
    if len(client) == 0 or len(others) == 0:
        return []
    far = []
    for side in ("left", "right"):
        for k in LOWER_LEG[side][:2]:
            p = cand[k]
            if not np.isfinite(p).all():
                continue
            own = np.linalg.norm(client - p, axis=1).min()
            if own >= min_px and np.linalg.norm(others - p, axis=1).min() * NEARER < own:
                far.append(side)
                break
    return far


# The clip is refined in this many consecutive parts, each by its own BlazePose instance (it tracks from frame to
# frame, so a part must be contiguous). Fixed, not taken from the core count, so the keypoints are the same whether
# the parts run one after the other or at once: a job stays a function of (video, settings, model).
PARTS = 2


def refine_with_blazepose(
    info: VideoInfo,
    track: PoseTrack,
    s: PoseSettings,
    max_height: int,
    progress: Callable[[int], None] | None = None,
    threads: int = 1,
    every: int = 1,
    others: npt.NDArray[np.float64] | None = None,
) -> PoseTrack:
    """Replace the YOLO keypoints of the client with BlazePose's, run on the client's crop.

    A BlazePose pose whose shoulders and hips are far from YOLO's (it latched onto someone else in the crop) is
    rejected; frames where BlazePose finds nothing keep YOLO's COCO points (counted in `extra`). A BlazePose leg
    laid on someone else (`legs_elsewhere`, against YOLO's nearest look at the client and at `others`: (T, M, 2)
    px, everyone else's sure knees and ankles from `other_people_legs`) is dropped on that frame, for the cleaning
    to bridge or leave missing.

    The clip is cut into `PARTS` contiguous parts. BlazePose (TFLite, XNNPACK) uses one core and releases the GIL,
    so with `threads` ≥ 2 the parts run at once, each from its own decoder; with 1 they run in turn from a single
    decoder. Either way each part starts a fresh BlazePose at the same frame, so the result is the same.

    BlazePose runs on every `every`-th frame; the frames between are left empty (even where YOLO ran) for the
    cleaning to interpolate, so the track never mixes YOLO's knee points (outer edge, no feet) with BlazePose's.
    """
    every = max(1, every)
    crops = crop_boxes(track.boxes, track.t_s, track.frame_wh, s.crop_margin)
    xy, conf = track.xy.copy(), track.conf.copy()
    sure = np.where((conf >= SURE)[..., None], xy, np.nan).astype(np.float64)  # YOLO's sure points
    skipped = np.arange(len(track)) % every != 0
    xy[skipped], conf[skipped] = np.nan, 0.0
    run = _Refine(
        info=info,
        crops=crops,
        person=interp_boxes(track.boxes, track.t_s),  # the client's box on every frame, YOLO ran or not
        seen=track.seen,
        xy=xy,
        conf=conf,
        boxes=track.boxes.copy(),
        look=nearest_look(track.t_s, track.seen, LOOK_GAP_S),
        client=sure[:, _REF],
        others=np.full((len(track), 0, 2), np.nan) if others is None else others,
        leg_min_px=s.leg_elsewhere * leg_px(sure),
        s=s,
        max_height=max_height,
        progress=progress,
        every=every,
    )
    todo = [i for i in range(min(len(track), info.n_frames)) if np.isfinite(crops[i, 0]) and not i % every]
    cuts = [0] + [todo[len(todo) * k // PARTS] for k in range(1, PARTS) if todo] + [len(track)]
    parts = list(itertools.pairwise(cuts))
    if threads <= 1:
        run.parts_in_turn(parts)
    else:
        run.parts_at_once(parts, threads)
    model_id = f"{track.model_id} + {run.model_id}"
    if every > 1:
        fill_skipped_boxes(run.boxes, track.t_s, skipped, every)
    names = ("blazepose_frames", "blazepose_rejected", "yolo_fallback_frames", "blazepose_legs_elsewhere")
    counts = {k: int(run.counts[k]) for k in names}
    extra = {**track.extra, **counts, "blazepose_parts": len(parts), "keypoint_every": every}
    return PoseTrack(
        track.t_s,
        run.xy,
        run.conf,
        run.boxes.astype(np.float32),
        track.frame_wh,
        track.fps,
        "hybrid",
        model_id,
        track.note,
        extra,
    )


@dataclass
class _Refine:
    """State of one refinement: inputs, the arrays being filled in place, and the counts for `extra`."""

    info: VideoInfo
    crops: npt.NDArray[np.float64]
    person: npt.NDArray[np.float64]
    seen: npt.NDArray[np.bool_]
    xy: npt.NDArray[np.float32]
    conf: npt.NDArray[np.float32]
    boxes: npt.NDArray[np.float32]
    look: npt.NDArray[np.intp]
    client: npt.NDArray[np.float64]
    others: npt.NDArray[np.float64]
    leg_min_px: float
    s: PoseSettings
    max_height: int
    progress: Callable[[int], None] | None
    every: int = 1
    model_id: str = "BlazePose"
    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def parts_in_turn(self, parts: list[tuple[int, int]]) -> None:
        """One decoder for the whole clip; a fresh BlazePose at the start of each part."""
        from pipeline.pose.mediapipe import BlazePose
        from pipeline.video import read_frames

        bp, part = None, -1
        try:
            for i, _, frame in read_frames(self.info, max_height=self.max_height, every=self.every):
                self._tick(i)
                while part + 1 < len(parts) and i >= parts[part + 1][0]:
                    part += 1
                    if bp is not None:
                        bp.close()
                    bp = None
                if bp is None:
                    bp = BlazePose(static=False, min_detection_conf=self.s.mp_min_detection_conf)
                    self.model_id = bp.model_id
                self._frame(bp, i, frame)
        finally:
            if bp is not None:
                bp.close()

    def parts_at_once(self, parts: list[tuple[int, int]], threads: int) -> None:
        """Each part on its own thread, decoder and BlazePose; the first failure stops the others and is raised."""
        with ThreadPoolExecutor(max_workers=min(threads, len(parts)), thread_name_prefix="blazepose") as pool:
            futures = [pool.submit(self._part, a, b) for a, b in parts]
            try:
                for f in futures:
                    f.result()
            finally:
                self._stop.set()

    def _part(self, start: int, stop: int) -> None:
        from pipeline.pose.mediapipe import BlazePose
        from pipeline.video import read_frames

        bp = BlazePose(static=False, min_detection_conf=self.s.mp_min_detection_conf)
        self.model_id = bp.model_id
        try:
            frames = read_frames(self.info, max_height=self.max_height, start=start, stop=stop, every=self.every)
            for i, _, frame in frames:
                if self._stop.is_set():
                    return
                self._tick(i)
                self._frame(bp, i, frame)
        finally:
            bp.close()

    def _tick(self, i: int) -> None:
        if self.progress:
            with self._lock:  # the batch's progress callback is not thread-safe
                self.progress(min(self.every, self.info.n_frames - i))  # the frames skipped count as done

    def _frame(self, bp: Any, i: int, frame: npt.NDArray[np.uint8]) -> None:
        """BlazePose on frame i's crop; writes row i of xy/conf/boxes (each part owns its rows). The decoders yield
        only every `every`-th frame (the parts start on such frames), so no skipping is needed here."""
        if i >= len(self.xy) or not np.isfinite(self.crops[i, 0]):
            return
        k = frame.shape[0] / self.info.height  # display pixels → decoded pixels
        x0, y0, x1, y1 = (np.round(self.crops[i] * k)).astype(int)
        if x1 - x0 < 16 or y1 - y0 < 16:
            return
        fp = bp(np.ascontiguousarray(frame[y0:y1, x0:x1]))
        if len(fp) == 0:
            self._count("yolo_fallback_frames", int(self.seen[i]))
            return
        cand = (fp.xy[0] + np.array([x0, y0], np.float32)) / k
        if _outside(cand, self.person[i]):
            self._count("blazepose_rejected")
            self.xy[i], self.conf[i] = np.nan, 0.0
            return
        conf = fp.conf[0].copy()
        j = self.look[i]
        judged = j >= 0 and self.leg_min_px > 0  # a look at the people near enough in time, and the check on
        far = legs_elsewhere(cand, self.client[j], self.others[j], self.leg_min_px) if judged else []
        for side in far:
            cand[LOWER_LEG[side]], conf[LOWER_LEG[side]] = np.nan, 0.0
        if far:
            self._count("blazepose_legs_elsewhere")
        self.xy[i], self.conf[i], self.boxes[i] = cand, conf, self.person[i]
        self._count("blazepose_frames")

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counts[key] += n


def _outside(cand: npt.NDArray[np.float32], box: npt.NDArray[np.float64]) -> bool:
    """True when BlazePose's torso centre is outside the client's (interpolated) YOLO box: a different person."""
    pts = cand[_ANCHORS]
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) < 2 or not np.isfinite(box).all():
        return False
    cx, cy = pts.mean(axis=0)
    return not (box[0] <= cx <= box[2] and box[1] <= cy <= box[3])
