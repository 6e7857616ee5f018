"""Small 2D geometry helpers shared by the metric modules (image px, y pointing down).

Every function takes (..., 2) arrays and returns arrays; NaN in → NaN out. Nothing here knows about settings.
"""

from __future__ import annotations

import warnings
from typing import overload

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def mid(a: F64, b: F64) -> F64:
    """Midpoint of two points. a, b: (..., 2) px. Returns (..., 2)."""
    return (np.asarray(a, np.float64) + np.asarray(b, np.float64)) / 2.0


def dist(a: F64, b: F64) -> F64:
    """Euclidean distance. a, b: (..., 2) px. Returns (...,) px."""
    return np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64), axis=-1)


def in_picture(pts: F64, frame_wh: tuple[int, int], margin: float) -> npt.NDArray[np.bool_]:
    """True where a point lies inside the picture by at least `margin` of the frame's width (x) and height (y).

    A pose model still places a joint it cannot see, just past the frame's edge or pressed against it: that place
    is a guess. pts: (T, 2) px; frame_wh: (width, height) px. Returns (T,) bool; False where the point is missing.
    """
    p = np.asarray(pts, np.float64)
    w, h = frame_wh
    with np.errstate(invalid="ignore"):
        x_in = (p[:, 0] >= margin * w) & (p[:, 0] <= (1.0 - margin) * w)
        return x_in & (p[:, 1] >= margin * h) & (p[:, 1] <= (1.0 - margin) * h)


def angle_at_deg(a: F64, b: F64, c: F64) -> F64:
    """Unsigned angle ABC at vertex b, degrees in [0, 180]. a, b, c: (..., 2). Returns (...,)."""
    u, v = np.asarray(a, np.float64) - b, np.asarray(c, np.float64) - b
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def tilt_from_vertical_deg(lower: F64, upper: F64) -> F64:
    """Signed angle of the segment lower→upper from image vertical, degrees; + when upper leans image-right.

    lower, upper: (..., 2) px. Returns (...,) in (−180, 180].
    """
    d = np.asarray(upper, np.float64) - lower
    return np.degrees(np.arctan2(d[..., 0], -d[..., 1]))


def tilt_from_horizontal_deg(a: F64, b: F64) -> F64:
    """Signed angle of the segment a→b from image horizontal, degrees; + when b is higher than a on screen.

    a, b: (..., 2) px. Returns (...,) in [−90, 90] (direction of a→b along x ignored).
    """
    d = np.asarray(b, np.float64) - a
    return np.degrees(np.arctan2(-d[..., 1], np.abs(d[..., 0])))


def signed_offset_from_line(p: F64, a: F64, b: F64, lateral_x: F64 | float) -> F64:
    """Horizontal-ish distance of p from the line a→b, signed + toward `lateral_x` (±1 image-x direction).

    The perpendicular distance is signed by which side of the line p lies on, with the side that points to
    image-x sign `lateral_x` counted positive. p, a, b: (..., 2) px. Returns (...,) px.
    """
    p, a, b = (np.asarray(v, np.float64) for v in (p, a, b))
    d = b - a
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.stack([-d[..., 1], d[..., 0]], -1) / np.linalg.norm(d, axis=-1, keepdims=True)
    n = n * np.sign(n[..., 0:1]) * np.sign(lateral_x)  # normal pointing to the lateral image side
    return ((p - a) * n).sum(-1)


@overload
def nanmedian(x: npt.ArrayLike, axis: None = None) -> float: ...
@overload
def nanmedian(x: npt.ArrayLike, axis: int) -> F64: ...
def nanmedian(x: npt.ArrayLike, axis: int | None = None) -> F64 | float:
    """np.nanmedian without the all-NaN warning (returns NaN there): a float over everything, an array along an
    axis."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out = np.nanmedian(np.asarray(x, np.float64), axis=axis)
    return float(out) if axis is None else np.asarray(out, np.float64)


def rolling_persistent_min(x: F64, n: int) -> float:
    """Most extreme low value held for at least n consecutive samples (min over windows of the window max).

    x: (T,) with NaN ignored (a window containing NaN does not count). Returns NaN when no full window exists.
    """
    x = np.asarray(x, np.float64)
    n = max(1, int(n))
    if x.size < n:
        return float("nan")
    w = np.lib.stride_tricks.sliding_window_view(x, n)
    ok = np.isfinite(w).all(axis=1)
    return float(w[ok].max(axis=1).min()) if ok.any() else float("nan")


def held_values(x: F64, n: int, low_bad: bool) -> F64:
    """(T,) per frame, the worst level held by all `n` frames of some run of n that contains it (NaN: no such run
    of read frames). For a high-is-bad reading that is the largest, over those runs, of the run's smallest value;
    mirrored for low-is-bad. With n = 1, `x` itself. The per-frame twin of `rolling_persistent_min`: for low-is-bad,
    the smallest of these values is that function's."""
    n = max(1, int(n))
    y = -x if low_bad else x
    out = np.full(x.shape, np.nan)
    if x.size < n:
        return out
    runs = np.lib.stride_tricks.sliding_window_view(y, n)
    level = np.where(np.isfinite(runs).all(axis=1), runs.min(axis=1), -np.inf)
    for k in range(n):  # a frame i sits in the runs that start at i - k
        start = np.arange(x.size) - k
        ok = (start >= 0) & (start < level.size)
        cand = np.full(x.shape, -np.inf)
        cand[ok] = level[start[ok]]
        out = np.fmax(out, cand)
    out = np.where(np.isfinite(out), out, np.nan)
    return -out if low_bad else out
