"""Repetitions from the hip's height above the feet: start, bottom and end of each rep, tempo.

The height is in leg lengths (hip→knee→ankle), with the leg length taken as a rolling maximum so a client
walking towards or away from the camera keeps the same scale. Pure numpy/scipy; no settings objects inside.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pipeline.analysis.geometry import dist, nanmedian

F64 = npt.NDArray[np.float64]

# A rep starts from standing: the hip back within this share of the rep's drop of the clip's standing level. Two
# bottoms without such a stand between them are one rep (a grind out of the hole, a wobble at the bottom); the
# analysis does not read a rep "from standing" when the frames before it are lower (`analyse._stood`).
STOOD_SHARE = 0.25
# ... held at least this long: longer than one keypoint look (12 Hz: 83 ms), so one look's spike is no stand
STAND_HOLD_S = 0.1

# The one "too short to analyse" rule (the job checks the video, scoring the track, analysis and rep finding the
# samples): a squat's way down and up take at least ~0.8 s, and finding a trough needs a handful of samples.
MIN_FRAMES, MIN_SECONDS = 8, 0.8


@dataclass(frozen=True)
class RepEvents:
    """Frame indices of one rep; `complete` is False when the clip cuts the descent or the rise."""

    start: int
    bottom: int
    end: int
    complete: bool
    depth: float  # hip drop from the standing level, leg lengths


def _ground_y(ankle_l_y: F64, ankle_r_y: F64) -> F64:
    """Image y of the floor under the hips: the mean of the two ankles.

    In a split stance filmed from the front the front foot sits lower on screen than the rear one (it is nearer
    the camera); the hip stands above a floor point between them, so the mean, not the lower ankle, is its ground.
    An ankle the model lost takes its height from the frames around the gap: at the bottom of a forward lunge the
    rear ankle hides behind the front leg, planted where it was last seen, and the front ankle alone (or with the
    clip's usual left-right offset, about 0) put the floor 20 px lower on a rendered lunge, so the hip "rose"
    mid-rep and one lunge counted as two. An ankle never seen takes the other's plus that usual offset.
    """
    both = np.isfinite(ankle_l_y) & np.isfinite(ankle_r_y)
    off = float(np.median(ankle_l_y[both] - ankle_r_y[both])) if both.any() else 0.0
    left, right = _bridge(ankle_l_y), _bridge(ankle_r_y)
    with np.errstate(invalid="ignore"):
        one = np.where(np.isfinite(left), left - off / 2, right + off / 2)
        return np.where(np.isfinite(left) & np.isfinite(right), (left + right) / 2.0, one)


def steady(xy: F64, win: int) -> F64:
    """(T, D) points, each coordinate a running median over `win` frames of its gap-bridged values (edges held): a
    point misdrawn for under half the window is dropped, a step's ramp kept; NaN where the point was not seen. `xy`
    itself when `win` < 2."""
    from scipy.ndimage import median_filter  # here: see `pipeline.clean.lowpass`

    if win < 2:
        return xy
    out = np.stack([_bridge(xy[:, j]) for j in range(xy.shape[1])], axis=1)
    if np.isfinite(out).all():
        out = median_filter(out, size=(win, 1), mode="nearest")
    return np.where(np.isfinite(xy), out, np.nan)


def _bridge(y: F64) -> F64:
    """(T,) y with its gaps filled linearly in frames between the values around them; edges held; NaN if never seen."""
    ok = np.isfinite(y)
    if not ok.any():
        return np.asarray(y, np.float64)
    return np.interp(np.arange(y.size), np.flatnonzero(ok), y[ok])


def hip_height(hip_l: F64, hip_r: F64, knee_l: F64, knee_r: F64, ankle_l: F64, ankle_r: F64, win: int) -> F64:
    """Mid-hip height above the floor under it, in leg lengths (rolling-max leg length over `win` frames).

    The floor is the mean ankle height (see `_ground_y`) and the leg length the mean of the two legs' projected
    hip→knee→ankle lengths, so the perspective of a split stance (front leg nearer, longer and lower on screen)
    does not make standing with the feet together look like a dip.

    Args:
        hip_l ... ankle_r: (T, 2) px; one side may be NaN (the other is used).
        win: window of the rolling maximum, frames (about 2 s).

    Returns:
        (T,) height ≈ 1 standing, smaller when squatting; NaN where the hips or both ankles are missing.
    """
    from scipy.ndimage import maximum_filter1d  # here: see `pipeline.clean.lowpass`

    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with both legs missing are NaN
        hip_y = np.nanmean(np.stack([hip_l[:, 1], hip_r[:, 1]]), axis=0) if hip_l.size else np.zeros(0)
        ground = _ground_y(ankle_l[:, 1], ankle_r[:, 1])
        legs = np.stack([dist(hip_l, knee_l) + dist(knee_l, ankle_l), dist(hip_r, knee_r) + dist(knee_r, ankle_r)])
        leg = np.nanmean(legs, axis=0)
    if not np.isfinite(leg).any():
        return np.full(hip_y.shape, np.nan)
    scale = maximum_filter1d(np.nan_to_num(leg, nan=0.0), size=max(1, win), mode="nearest")
    scale = np.where(scale > 0, scale, np.nan)
    return (ground - hip_y) / scale


def _fill(x: F64) -> F64:
    """`_bridge`, or zeros when fewer than two values were seen (nothing to find reps in)."""
    return _bridge(x) if np.isfinite(x).sum() >= 2 else np.zeros_like(x)


def _merge_paused(h: F64, bottoms: npt.NDArray[np.intp], prom: float) -> npt.NDArray[np.intp]:
    """Keep one bottom per dip: two bottoms without a rise of at least `prom` between them are one paused rep.

    A held bottom is a plateau; keypoint jitter (or exact ties) can leave two minima on it that `find_peaks`
    both keeps. The deeper one stays.

    Args:
        h: (T,) gap-filled hip height; bottoms: indices of its troughs, increasing; prom: the rise a new rep needs.

    Returns:
        The kept bottoms, increasing.
    """
    kept: list[int] = []
    for b in map(int, bottoms):
        if kept and float(np.max(h[kept[-1] : b + 1])) - max(h[kept[-1]], h[b]) < prom:
            kept[-1] = b if h[b] < h[kept[-1]] else kept[-1]
            continue
        kept.append(b)
    return np.asarray(kept, np.intp)


def _merge_unstood(h: F64, bottoms: npt.NDArray[np.intp], top: float, hold: int = 1) -> npt.NDArray[np.intp]:
    """Keep one bottom per stand: a bottom the hip did not stand up before (not back within `STOOD_SHARE` of its
    drop from the standing level `top`, at the highest level it held for `hold` frames since the last bottom)
    belongs to the rep before it.

    On the 153 real clips and their mirror images the highest point between two rightly counted reps sits at most
    0.16 of the next rep's drop below standing; the extra "reps" sit at 0.25-0.37 (a max squat's grind, side views
    where the far leg's noise split one bottom in two), and one at 0.19 (a legs-only clip whose hip the model put
    at the knees for 0.2 s), left counted. A level held for one keypoint look only is no stand: mirrored, a max
    squat's grind spiked up to standing for one look and counted as two reps. The deeper bottom stays.

    Args:
        h: (T,) gap-filled hip height; bottoms: indices of its troughs, increasing; top: the standing height;
        hold: frames a level must be held to count (`STAND_HOLD_S`).

    Returns:
        The kept bottoms, increasing.
    """
    kept: list[int] = []
    for b in map(int, bottoms):
        if kept:
            between = h[kept[-1] : b + 1]
            held = float(np.max(np.lib.stride_tricks.sliding_window_view(between, min(hold, between.size)).min(axis=1)))
            if top - held > STOOD_SHARE * (top - h[b]):
                kept[-1] = b if h[b] < h[kept[-1]] else kept[-1]
                continue
        kept.append(b)
    return np.asarray(kept, np.intp)


def standing_level(height: F64) -> float:
    """The clip's standing hip height: the 95th percentile of `height` (NaN when nothing was seen). Reps are found
    against it and depth is read from it, so both share this one definition."""
    return float(np.nanpercentile(height, 95)) if np.isfinite(height).any() else float("nan")


def find_reps(
    height: F64, t_s: F64, min_prominence: float, min_separation_s: float, min_depth: float, recover: float = 0.8
) -> list[RepEvents]:
    """Rep bottoms are troughs of the hip height; start and end are where it comes back near standing.

    Args:
        height: (T,) `hip_height`, leg lengths.
        t_s: (T,) seconds.
        min_prominence: trough prominence as a fraction of the clip's robust height range (5–95th pct).
        min_separation_s: two bottoms are at least this far apart.
        min_depth: and at least this deep (leg lengths), so walking bounce is never a rep.
        recover: a side of the rep is complete when the hip rises back this fraction of the rep's drop.

    Returns:
        Reps in time order. Start/end are the frames where the hip is 95 % of the way back to that side's top.
    """
    from scipy.signal import find_peaks  # here: see `pipeline.clean.lowpass`

    ok = np.isfinite(height)
    if ok.sum() < MIN_FRAMES or t_s.size < MIN_FRAMES:
        return []
    h = _fill(height)
    lo, hi = float(np.percentile(h[ok], 5)), standing_level(height)
    dt = float(np.median(np.diff(t_s)))
    prom = max(min_prominence * (hi - lo), min_depth)
    sep = max(1, int(round(min_separation_s / dt)))
    bottoms, _ = find_peaks(-h, prominence=prom, distance=sep)
    if bottoms.size == 0:
        # a clip that holds only a cut rep (it opens at the bottom, or ends there) is read from that rep: its edges
        # count as standing for finding the trough. With whole reps in the clip, a cut one at an edge is more often
        # a walk-in or a reach for the phone than a rep, so only interior troughs count there.
        pad = np.concatenate([[hi], h, [hi]])
        bottoms, _ = find_peaks(-pad, prominence=prom, distance=sep)
        bottoms = bottoms - 1
    bottoms = _merge_unstood(h, _merge_paused(h, bottoms, prom), hi, max(1, int(round(STAND_HOLD_S / dt))))
    reps: list[RepEvents] = []
    for i, b in enumerate(bottoms):
        a0 = bottoms[i - 1] if i else 0
        a1 = bottoms[i + 1] if i + 1 < bottoms.size else h.size - 1
        left, right = a0 + int(np.argmax(h[a0 : b + 1])), b + int(np.argmax(h[b : a1 + 1]))
        top = max(h[left], h[right])
        drop = top - h[b]
        if drop < min_depth:
            continue
        start = b - int(np.argmax(h[b::-1][: b - left + 1] >= h[b] + 0.95 * (h[left] - h[b])))
        end = b + int(np.argmax(h[b : right + 1] >= h[b] + 0.95 * (h[right] - h[b])))
        full = (h[left] - h[b]) >= recover * drop and (h[right] - h[b]) >= recover * drop
        full = full and ok[b]
        reps.append(RepEvents(start=int(start), bottom=int(b), end=int(end), complete=bool(full), depth=float(drop)))
    return reps


def tempo_s(height: F64, t_s: F64, rep: RepEvents, pause_frac: float = 0.95) -> tuple[float, float, float]:
    """Eccentric, pause and concentric durations of one rep, seconds.

    The pause is the time the hip stays within (1 − pause_frac) of the rep's drop from the bottom; eccentric
    runs from start to the pause, concentric from the pause to end.

    Args:
        height: (T,) hip height; t_s: (T,) seconds; rep: the rep's events.
        pause_frac: depth fraction counted as "at the bottom".

    Returns:
        (eccentric_s, pause_s, concentric_s).
    """
    h = _fill(height)
    seg = np.arange(rep.start, rep.end + 1)
    thresh = h[rep.bottom] + (1.0 - pause_frac) * rep.depth
    low = seg[h[seg] <= thresh]
    p0, p1 = (int(low.min()), int(low.max())) if low.size else (rep.bottom, rep.bottom)
    return float(t_s[p0] - t_s[rep.start]), float(t_s[p1] - t_s[p0]), float(t_s[rep.end] - t_s[p1])


# A dip in which the client's size on screen changed by a quarter (one step nearer a phone 3 m away) between standing
# before and after it, AND the feet moved against each other by half a shank (half a step), was a walk toward or away
# from the camera, not a squat. On the 251 real clips the walks read 1.44 and 1.26 in size with the feet 0.97 and
# 0.51 shanks from where they stood (and a tight GIF's tracking slip 1.26, 1.14); squat reps read either, never both
# (sizes up to 2.63 with the feet within 0.43: cut or tightly framed clips; feet up to 0.90 at sizes within 1.13:
# the far leg in profile). A lunge steps by nature, and walking lunges toward the camera change size too (1.62):
# never asked of lunges. Only a set's first or last dip is asked (`analyse.analyse`): on 651 real clips every walk
# was one of those (six clips), and the three dips between reps that read as walks were reps whose size reading
# slipped (a tracking gap; a noisy side view).
WALK_SCALE = 1.25
WALK_FEET_SHANKS = 0.5


def walked(
    leg_px: F64, ankle_l: F64, ankle_r: F64, shank_px: float, rep: RepEvents, before: npt.NDArray[np.intp], after_n: int
) -> bool:
    """Whether a squat set's dip was the client walking toward or away from the camera (`WALK_SCALE`).

    Args:
        leg_px: (T,) projected leg length (hip→knee→ankle), px.
        ankle_l, ankle_r: (T, 2) px.
        shank_px: the standing shank length before the rep, px.
        rep: the dip.
        before: frames of standing before it; after_n: how many frames after its end count as standing after it.

    Returns:
        True when the size changed by `WALK_SCALE` or more either way and the feet moved against each other by
        `WALK_FEET_SHANKS` (the 90th percentile over the dip, so one misplaced ankle does not count); False when
        either is unknown. With the legs out of the picture after the dip, its last seen frames give the size after;
        with the feet out of it before the dip, its first seen feet give the stance before.
    """
    size0 = nanmedian(leg_px[before])
    size1 = nanmedian(leg_px[rep.end : rep.end + after_n + 1])
    if not size1 > 0:  # legs gone after the dip (a real client walked up to the phone and out of the picture to
        # stop it): the dip's own last seen frames stand in for the standing after it
        dip = np.asarray(leg_px[rep.start : rep.end + 1], np.float64)
        size1 = nanmedian(dip[np.isfinite(dip)][-(after_n + 1) :]) if np.isfinite(dip).any() else float("nan")
    feet = np.asarray(ankle_r, np.float64) - np.asarray(ankle_l, np.float64)
    stance = nanmedian(feet[before], axis=0)
    seen = np.flatnonzero(np.isfinite(feet[rep.start : rep.end + 1]).all(axis=1))
    if not np.isfinite(stance).all() and seen.size:  # feet out of the picture before the dip (a client backing away
        # from the phone into place): the dip's first seen feet stand in for the stance before it
        stance = feet[rep.start + seen[0]]
    moved = np.linalg.norm(feet[rep.start : rep.end + 1] - stance, axis=1)
    moved = moved[np.isfinite(moved)]
    if not (size0 > 0 and size1 > 0 and moved.size and shank_px > 0):
        return False
    grew = max(size1 / size0, size0 / size1)
    return bool(grew >= WALK_SCALE and float(np.percentile(moved, 90)) >= WALK_FEET_SHANKS * shank_px)
