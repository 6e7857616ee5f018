"""Is the client lying across the frame? A phone held sideways with no rotation saved in the file gives a clip in
which the body's long axis is horizontal: every measure would then be read along the wrong axis.

Reads a `PoseTrack` (pure numpy, no I/O); says which clockwise turn stands the clip up, going by where the head is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.keypoints import Kp, PoseTrack

SIDEWAYS_FROM_VERTICAL_DEG = (60.0, 120.0)  # ankles→shoulders this far from "head up": the body lies across
SIDEWAYS_SHARE = 0.7  # of the frames where the axis was seen
SAME_WAY_SHARE = 0.8  # of those frames, the head on one side: then that side is up
MIN_AXIS_FRAMES = 10  # frames with the body's axis seen before the clip is called sideways or not
SIDEWAYS_LINE = "the video looks sideways: film with the phone upright"


@dataclass(frozen=True)
class Upright:
    """What the clip's body axis says.

    Attributes:
        sideways: the body lies across the frame in most frames.
        turn_deg: clockwise turn that stands the clip up: 90 (head on the left), 270 (head on the right), or 0
            (not sideways, or sideways with no clear side for the head: then the clip cannot be stood up).
    """

    sideways: bool
    turn_deg: int


def body_axis_deg(track: PoseTrack) -> np.ndarray:
    """(T,) float64: direction of the line from the feet (ankles, else knees) to the shoulders, degrees from
    "head up" on screen, clockwise positive (90 = head to the right); NaN where not seen."""
    xy = track.xy.astype(np.float64)
    top = _mid(xy[:, Kp.L_SHOULDER], xy[:, Kp.R_SHOULDER])
    feet = _mid(xy[:, Kp.L_ANKLE], xy[:, Kp.R_ANKLE])
    feet = np.where(np.isfinite(feet), feet, _mid(xy[:, Kp.L_KNEE], xy[:, Kp.R_KNEE]))
    v = top - feet
    return np.degrees(np.arctan2(v[:, 0], -v[:, 1]))


def _mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T, 2): the middle of two points per frame, or the one that was seen; NaN where neither."""
    return np.where(np.isfinite(a) & np.isfinite(b), (a + b) / 2, np.where(np.isfinite(a), a, b))


def upright_turn(track: PoseTrack) -> Upright:
    """Whether the clip is sideways and, if the head keeps to one side, the turn that stands it up."""
    ang = body_axis_deg(track)
    ang = ang[np.isfinite(ang)]
    if len(ang) < MIN_AXIS_FRAMES:
        return Upright(False, 0)
    lo, hi = SIDEWAYS_FROM_VERTICAL_DEG
    across = ang[(np.abs(ang) >= lo) & (np.abs(ang) <= hi)]
    if len(across) < SIDEWAYS_SHARE * len(ang):
        return Upright(False, 0)
    head_right = float(np.mean(across > 0))
    if head_right >= SAME_WAY_SHARE:
        return Upright(True, 270)  # a quarter turn anticlockwise brings the right side to the top
    if head_right <= 1 - SAME_WAY_SHARE:
        return Upright(True, 90)
    return Upright(True, 0)
