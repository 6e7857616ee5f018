"""Link per-frame detections into person tracks and choose the client, deterministically and with reasons.

Reads `FramePoses` per frame (from `pose/`), writes one `PoseTrack`. The client is the person who is present
most of the clip, large, central and moving vertically (squats and lunges move the hips up and down); mirror
reflections and bystanders lose on presence, size or motion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from pipeline.keypoints import N_KP, FramePoses, Kp, PoseTrack
from pipeline.pose.hybrid import SURE
from pipeline.settings import TrackSettings


@dataclass
class _Track:
    frames: list[int] = field(default_factory=list)
    dets: list[int] = field(default_factory=list)  # detection index within each frame
    boxes: list[npt.NDArray[np.float32]] = field(default_factory=list)


def box_iou(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """IoU of every box in a (N, 4) with every box in b (M, 4), xyxy. Returns (N, M)."""
    a64, b64 = a.astype(np.float64)[:, None], b.astype(np.float64)[None]
    iw = np.clip(np.minimum(a64[..., 2], b64[..., 2]) - np.maximum(a64[..., 0], b64[..., 0]), 0, None)
    ih = np.clip(np.minimum(a64[..., 3], b64[..., 3]) - np.maximum(a64[..., 1], b64[..., 1]), 0, None)
    inter = iw * ih
    area_a = (a64[..., 2] - a64[..., 0]) * (a64[..., 3] - a64[..., 1])
    area_b = (b64[..., 2] - b64[..., 0]) * (b64[..., 3] - b64[..., 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = inter / (area_a + area_b - inter)
    return np.nan_to_num(out)


# A person's box does not change height by more than this factor from one look to the next: a real Bulgarian split
# squat's client was missed for a frame and her track jumped to a gym-goer a fifth her height seated behind her hip.
LINK_SIZE_RATIO = 1.5


def _link_cost(
    track_boxes: npt.NDArray[np.float32], det_boxes: npt.NDArray[np.float32], iou_min: float
) -> npt.NDArray[np.float64]:
    """Cost 1 − IoU; centre distance (in box heights) rescues fast moves that break IoU, between boxes of about the
    same height (`LINK_SIZE_RATIO`). Inf = no link."""
    iou = box_iou(track_boxes, det_boxes)
    ct = (track_boxes[:, None, :2] + track_boxes[:, None, 2:]) / 2
    cd = (det_boxes[None, :, :2] + det_boxes[None, :, 2:]) / 2
    height = np.maximum(track_boxes[:, None, 3] - track_boxes[:, None, 1], 1.0)
    dist = np.linalg.norm(ct - cd, axis=-1) / height
    ratio = np.maximum(det_boxes[None, :, 3] - det_boxes[None, :, 1], 1.0) / height
    alike = (ratio >= 1.0 / LINK_SIZE_RATIO) & (ratio <= LINK_SIZE_RATIO)
    cost = np.where(iou >= iou_min, 1.0 - iou, np.where((dist < 0.35) & alike, 1.5 + dist, np.inf))
    return cost


def link_tracks(poses: Sequence[FramePoses], t_s: npt.NDArray[np.float64], s: TrackSettings) -> list[_Track]:
    """Greedy-optimal frame-to-frame linking (Hungarian on box IoU); tracks end after `max_gap_s` unseen."""
    finished: list[_Track] = []
    active: list[_Track] = []
    for i, fp in enumerate(poses):
        active_now = [tr for tr in active if t_s[i] - t_s[tr.frames[-1]] <= s.max_gap_s]
        finished += [tr for tr in active if tr not in active_now]
        active = active_now
        taken: set[int] = set()
        if len(fp) and active:
            last = np.stack([tr.boxes[-1] for tr in active])
            cost = _link_cost(last, fp.boxes, s.iou_link)
            rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e6))
            for r, c in zip(rows, cols, strict=True):
                if np.isfinite(cost[r, c]):
                    active[r].frames.append(i)
                    active[r].dets.append(int(c))
                    active[r].boxes.append(fp.boxes[c])
                    taken.add(int(c))
        for c in range(len(fp)):
            if c not in taken:
                active.append(_Track([i], [c], [fp.boxes[c]]))
    return finished + active


@dataclass(frozen=True)
class TrackScore:
    """Why a track is (or is not) the client. All in [0, 1] except `score`."""

    presence: float  # share of the clip's time in which it was seen
    size: float  # median box height / frame height
    centrality: float  # 1 at the frame centre, 0 at the edge
    motion: float  # hip vertical range / box height (squats and lunges move the hips)
    score: float


def time_shares(t_s: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(T,) each looked-at frame's share of the clip's time, summing to 1: half the gap to each neighbour, the ends
    extended by half their own gap. Equal shares (1/T) when the frames are evenly spaced; when the detector looks
    more often in busy stretches, a person seen in those is not counted as present for longer than they were."""
    n = len(t_s)
    if n < 3:
        return np.full(n, 1.0 / max(n, 1))
    gaps = np.diff(np.asarray(t_s, dtype=np.float64))
    cell = np.empty(n)
    cell[1:-1] = (gaps[:-1] + gaps[1:]) / 2
    cell[0], cell[-1] = gaps[0], gaps[-1]
    cell = np.maximum(cell, 0.0)
    return cell / cell.sum() if cell.sum() > 0 else np.full(n, 1.0 / n)


def score_track(
    tr: _Track, poses: Sequence[FramePoses], frame_wh: tuple[int, int], shares: npt.NDArray[np.float64]
) -> TrackScore:
    """Score one track; `shares` (T,) is each frame's share of the clip's time (`time_shares`)."""
    w, h = frame_wh
    boxes = np.stack(tr.boxes).astype(np.float64)
    heights = boxes[:, 3] - boxes[:, 1]
    centre_x = (boxes[:, 0] + boxes[:, 2]) / 2
    presence = float(shares[tr.frames].sum())
    size = float(np.median(heights)) / h
    centrality = float(1.0 - np.clip(np.median(np.abs(centre_x / w - 0.5)) * 2, 0, 1))
    hips = np.array([poses[f].xy[d, [Kp.L_HIP, Kp.R_HIP], 1].mean() for f, d in zip(tr.frames, tr.dets, strict=True)])
    hips = hips[np.isfinite(hips)]
    motion = 0.0
    if len(hips) >= 5:
        motion = float(np.clip((np.percentile(hips, 95) - np.percentile(hips, 5)) / np.median(heights), 0, 1))
    # Presence dominates (a reflection or passer-by is there part of the time); size and centrality break ties
    # between people present throughout; motion favours the one exercising over a spotter standing still.
    score = presence * (0.5 + size) * (0.6 + 0.4 * centrality) * (0.7 + motion)
    return TrackScore(presence, size, centrality, motion, score)


# A fragment seen after a cut, with nobody else ever in frame, is the client when its box height is within this
# factor of theirs: the coach walking up to stop the phone fills far more of the frame.
ALONE_SIZE_RATIO = 1.5
# A fragment that shares this many frames or fewer with the client, with boxes overlapping this much there, is the
# client detected twice (non-maximum suppression let a second box through), not a second person.
DUPLICATE_FRAMES, DUPLICATE_IOU = 3, 0.5
# Sharing more frames, it is still the client detected twice when on each of them the two detections' sure
# keypoints lie within this share of the client's box height of each other (median over the points both are sure
# of): two people cannot stand in one pose in one place. Over all real clips (353), two boxes overlapping > 0.5 in
# one frame put their keypoints within 0.04 in 153 of 186 pairs and within 0.1 in all but two; the client boxed
# twice for 4-12 looks (9 clips, side barbell squats mostly) read 0.01-0.04 as a median, people near a client 0.2-0.7.
DUPLICATE_POSE = 0.08


def _height(tr: _Track) -> float:
    boxes = np.stack(tr.boxes).astype(np.float64)
    return float(np.median(boxes[:, 3] - boxes[:, 1]))


def _same_pose(poses: Sequence[FramePoses], f: int, d0: int, d1: int, height: float) -> bool:
    """Detections d0 and d1 of frame f put their sure keypoints within `DUPLICATE_POSE` × `height` of each other."""
    fp = poses[f]
    both = (fp.conf[d0] >= SURE) & (fp.conf[d1] >= SURE)
    if both.sum() < 3 or height <= 0:
        return False
    gap = np.linalg.norm(fp.xy[d0][both].astype(np.float64) - fp.xy[d1][both], axis=1)
    return bool(np.median(gap) <= DUPLICATE_POSE * height)


def _without_duplicates(tr: _Track, client: _Track, poses: Sequence[FramePoses]) -> _Track | None:
    """`tr` less the frames where it only repeats the client (one person detected twice, boxes overlapping by
    `DUPLICATE_IOU`): at most `DUPLICATE_FRAMES` of them, or any number where the two detections' keypoints agree
    on each (`_same_pose`); None when it shares frames with the client otherwise, or is nothing but
    those: a second person.

    On a rendered side squat YOLO gave one frame two boxes of the same person; the linker carried the client on
    in a new track from there, and the 3rd of 3 reps was lost. On real clips (side barbell squats, mostly) YOLO boxed
    the client twice for up to 12 looks, and the part of the clip on the other side of them was lost with its reps."""
    at = dict(zip(client.frames, zip(client.dets, client.boxes, strict=True), strict=True))
    common = [k for k, f in enumerate(tr.frames) if f in at]
    if not common:
        return tr
    if len(common) == len(tr.frames):
        return None
    for k in common:
        f = tr.frames[k]
        d0, b0 = at[f]
        if box_iou(b0[None], tr.boxes[k][None])[0, 0] <= DUPLICATE_IOU:
            return None
        if len(common) > DUPLICATE_FRAMES and not _same_pose(poses, f, d0, tr.dets[k], float(b0[3] - b0[1])):
            return None
    dup = set(common)
    keep = [k for k in range(len(tr.frames)) if k not in dup]
    return _Track([tr.frames[k] for k in keep], [tr.dets[k] for k in keep], [tr.boxes[k] for k in keep])


def _stitch(best: _Track, others: list[_Track], alone: bool, poses: Sequence[FramePoses]) -> _Track:
    """Append fragments of the same person (lost for longer than max_gap) that do not overlap in time, beyond the
    frames where the same person was detected twice (`_without_duplicates`, which compares their keypoints in `poses`).

    A fragment joins when its box meets the client's where the gap ends (box IoU > 0.3); or, when nobody else was
    ever in frame with the client (`alone`), when it is about the client's size wherever it appears: a video edit
    (a fade, a cut between takes) moves a walking lunger across the frame, and a real 35 s clip kept only its first
    8 s, its other three fragments left as "other people".
    """
    merged = _Track(list(best.frames), list(best.dets), list(best.boxes))
    size = _height(best)
    for other in sorted(others, key=lambda x: x.frames[0]):
        tr = _without_duplicates(other, merged, poses)
        if tr is None:
            continue
        before = [k for k, f in enumerate(merged.frames) if f < tr.frames[0]]
        after = [k for k, f in enumerate(merged.frames) if f > tr.frames[-1]]
        near = []
        if before:
            near.append(box_iou(merged.boxes[before[-1]][None], tr.boxes[0][None])[0, 0])
        if after:
            near.append(box_iou(merged.boxes[after[0]][None], tr.boxes[-1][None])[0, 0])
        same_size = 1.0 / ALONE_SIZE_RATIO <= _height(tr) / size <= ALONE_SIZE_RATIO
        if (near and max(near) > 0.3) or (alone and same_size):
            order = np.argsort(merged.frames + tr.frames, kind="stable")
            frames, dets, boxes = merged.frames + tr.frames, merged.dets + tr.dets, merged.boxes + tr.boxes
            merged = _Track([frames[k] for k in order], [dets[k] for k in order], [boxes[k] for k in order])
    return merged


def build_track(
    poses: Sequence[FramePoses],
    t_s: npt.NDArray[np.float64],
    frame_wh: tuple[int, int],
    fps: Fraction,
    s: TrackSettings,
    backend: str = "",
    model_id: str = "",
) -> PoseTrack:
    """Choose the client among everyone detected and return their keypoints over the clip.

    Args:
        poses: one FramePoses per frame, in the pixel space of `frame_wh`.
        t_s: (T,) frame times, seconds.
        frame_wh: displayed frame size in pixels.
        fps: nominal frame rate.
        s: linking settings.
        backend, model_id: provenance copied into the track.

    Returns:
        PoseTrack with NaN where the client was not seen; `note` says who was chosen and why; `extra` carries
        the per-track scores.
    """
    n = len(poses)
    xy = np.full((n, N_KP, 2), np.nan, np.float32)
    conf = np.zeros((n, N_KP), np.float32)
    boxes = np.full((n, 4), np.nan, np.float32)
    tracks = link_tracks(poses, t_s, s)
    shares = time_shares(t_s)
    scored = sorted(
        ((score_track(tr, poses, frame_wh, shares), k, tr) for k, tr in enumerate(tracks)),
        key=lambda x: (-x[0].score, x[1]),  # ties → the earlier-born track, so the choice is deterministic
    )
    extra: dict[str, Any] = {"people_seen": len(tracks), "max_people_in_frame": max((len(p) for p in poses), default=0)}
    client = None
    if scored:
        # the share needed is the person's, not one stretch's: plates hiding a side squatter's head broke a real
        # client into 12 stretches, the longest 17 % of the clip, which the stitching joins
        client = _stitch(scored[0][2], [tr for _, _, tr in scored[1:]], extra["max_people_in_frame"] <= 1, poses)
    presence = float(shares[client.frames].sum()) if client is not None else 0.0
    if client is None or presence < s.min_present_frac:
        note = "No person was found in enough of the clip to analyse." if scored else "No person was found."
        if client is not None:  # seen, but only in stretches too short to be the client: the error line says how short
            extra["best_presence"] = round(presence, 3)
        return PoseTrack(t_s, xy, conf, boxes, frame_wh, fps, backend, model_id, note, extra)
    best_score = scored[0][0]
    for f, d in zip(client.frames, client.dets, strict=True):
        xy[f], conf[f], boxes[f] = poses[f].xy[d], poses[f].conf[d], poses[f].boxes[d]
    joined = set(zip(client.frames, client.dets, strict=True))
    others = sum(
        1 for sc, _, tr in scored[1:] if sc.presence >= 0.05 and not joined & set(zip(tr.frames, tr.dets, strict=True))
    )
    note = (
        f"Analysed the person seen in {100 * presence:.0f}% of frames "
        f"({100 * best_score.size:.0f}% of the frame height, moving vertically {100 * best_score.motion:.0f}% of "
        f"their height)."
    )
    if others:
        note += f" Ignored {others} other {'person' if others == 1 else 'people'} (bystander or mirror reflection)."
    extra["scores"] = [
        {
            "presence": round(sc.presence, 3),
            "size": round(sc.size, 3),
            "centrality": round(sc.centrality, 3),
            "motion": round(sc.motion, 3),
            "score": round(sc.score, 4),
        }
        for sc, _, _ in scored[:5]
    ]
    return PoseTrack(t_s, xy, conf, boxes, frame_wh, fps, backend, model_id, note, extra)
