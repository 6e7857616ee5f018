"""Clean one client's keypoint track before any metric is computed (METRICS.md, "Cleaning the keypoint track").

Reads a `PoseTrack`, returns a cleaned `PoseTrack` and a `CleanReport` saying how much was missing, interpolated
or repaired. Steps: upright gate (frames with the ankles above the hips) → collapse gate (the hips' width gone
in a moment) → confidence gate → left/right swap repair → Hampel outliers → short-gap interpolation on real
timestamps → zero-phase low-pass (Butterworth; Savitzky–Golay below `min_fps_for_butter`). Pure: no I/O.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from pipeline.keypoints import LOWER_LEG, LR_PAIRS, Kp, PoseTrack
from pipeline.settings import CleanSettings

F64 = npt.NDArray[np.float64]
BoolA = npt.NDArray[np.bool_]

# Keypoints whose left/right labels are repaired together. A pose model can swap the feet alone (BlazePose did on
# a rendered squat, knees labelled right), so knees and feet are groups of their own, as are hips and arms.
SWAP_GROUPS: tuple[tuple[tuple[Kp, Kp], ...], ...] = (
    ((Kp.L_HIP, Kp.R_HIP),),
    ((Kp.L_KNEE, Kp.R_KNEE),),
    ((Kp.L_ANKLE, Kp.R_ANKLE), (Kp.L_HEEL, Kp.R_HEEL), (Kp.L_TOE, Kp.R_TOE)),
    tuple(p for p in LR_PAIRS if p[0] in (Kp.L_SHOULDER, Kp.L_ELBOW, Kp.L_WRIST, Kp.L_EYE, Kp.L_EAR)),
)
LEG_KPS: tuple[Kp, ...] = (Kp.L_HIP, Kp.R_HIP, Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE)


@dataclass(frozen=True)
class CleanReport:
    """What cleaning found and did. Fractions are over frames × keypoints of the legs (hips, knees, ankles), of
    the frames the keypoint model looked at: those it skipped by design (`keypoint_every`) are always filled in.

    Attributes:
        frames: number of frames T.
        keypoint_every: the keypoint model ran on every n-th frame (from the track's `extra`; 1 = all).
        seen_frac: fraction of frames where the client was found at all.
        missing_frac: leg keypoints missing after the confidence gate.
        interpolated_frac: leg keypoints filled by short-gap interpolation.
        left_missing_frac: leg keypoints still missing after cleaning (long gaps).
        swaps_repaired: frames where a left/right group was swapped back.
        outliers_removed: keypoints (per point and frame) the Hampel filter moved by more than `hampel_min_frac`
            of the client's height (jumps, not the 1–2 px jitter it also evens out), plus the frames the gates
            dropped and those where the pose stage dropped a leg laid on someone else.
        filter: "butterworth", "savgol" or "none" (too few frames).
        vfr: True when timestamps were irregular and filtering ran on a resampled uniform grid.
        long_gaps_s: (start_s, end_s) of leg gaps left missing because they exceed `max_gap_s`.
    """

    frames: int
    seen_frac: float
    missing_frac: float
    interpolated_frac: float
    left_missing_frac: float
    swaps_repaired: int
    outliers_removed: int
    filter: str
    vfr: bool
    long_gaps_s: list[tuple[float, float]] = field(default_factory=list)
    keypoint_every: int = 1


def confidence_gate(xy: F64, conf: F64, gate: float) -> F64:
    """Set keypoints whose confidence is below `gate` to NaN. xy: (T, K, 2) px; conf: (T, K). Returns a copy."""
    out = np.array(xy, dtype=np.float64, copy=True)
    out[~(conf >= gate)] = np.nan
    return out


def upright_gate(xy: F64) -> tuple[F64, int]:
    """Drop every point of frames whose ankles lie above the hips on screen: no squat or lunge looks like that.

    Such a skeleton is the model fitting something else (a reflection, a passer-by, motion blur) for a few frames;
    the hips it gives are as wrong as the ankles, and a 0.3 s spike of them read as a rep on a real clip. The
    model's points are judged whatever their confidence: there the ankles were under the confidence gate, the hips
    were not.

    Args:
        xy: (T, K, 2) px as the model gave them, NaN only where it gave nothing.

    Returns:
        (a copy with those frames NaN, how many frames were dropped).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # frames with no hips or no ankles compare as False
        hip_y = np.nanmean(xy[:, [int(Kp.L_HIP), int(Kp.R_HIP)], 1], axis=1)
        ankle_y = np.nanmean(xy[:, [int(Kp.L_ANKLE), int(Kp.R_ANKLE)], 1], axis=1)
    with np.errstate(invalid="ignore"):
        bad = ankle_y < hip_y
    out = np.array(xy, copy=True)
    out[bad] = np.nan
    return out, int(bad.sum())


# The pelvis is rigid: its projected width shrinks below a third of what it was a moment ago only if the client
# turned more than 70° within that moment, which nobody does mid-rep; a pose model that laid both legs on one does
# (a real close-cropped front squat's BlazePose did, at 0.99 confidence, and the dip read as a red rep)
COLLAPSE_SHARE = 1.0 / 3.0
# ... a width worth comparing: in profile the hips overlap by nature
APART_SHARE = 0.05


def collapse_gate(xy: F64, win: int, body_px: float) -> tuple[F64, int]:
    """Drop every point of frames whose hips are closer than `COLLAPSE_SHARE` of their running median distance
    (`win` frames), where that distance is normally clear (`APART_SHARE` of `body_px`).

    Args:
        xy: (T, K, 2) px.
        win: running-median window, frames (about a second).
        body_px: the client's height on screen, px (0: unknown, nothing dropped).

    Returns:
        (a copy with those frames NaN, how many frames were dropped).
    """
    if len(xy) == 0 or body_px <= 0:
        return np.array(xy, copy=True), 0
    apart = np.linalg.norm(xy[:, int(Kp.L_HIP)] - xy[:, int(Kp.R_HIP)], axis=-1)
    half = max(1, win // 2)
    padded = np.pad(apart, half, constant_values=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # windows with no hips seen are NaN
        usual = np.nanmedian(sliding_window_view(padded, 2 * half + 1), axis=-1)
    with np.errstate(invalid="ignore"):
        bad = (apart < COLLAPSE_SHARE * usual) & (usual >= APART_SHARE * body_px)
    out = np.array(xy, copy=True)
    out[bad] = np.nan
    return out, int(bad.sum())


# Squats and lunges keep both feet on the floor and both knees below the hips: a leg whose ankle sits far above the
# other one's (in leg lengths) with its knee above its hip is a leg the model laid on something else. A real side
# squat's far leg went onto the raised arms at 0.99 confidence, its ankle 1.06 above the other, and its dips counted
# as reps. A Bulgarian split squat's rear foot rests on a bench (0.65 at most on real clips, more from a low camera
# in front), but its knee drops below the hip.
RAISED_LEG = 0.8
# ... and the frames around that moment, while the same ankle stays this far above the other, go with it: the model
# slides the leg up and back over a few frames
RAISED_LEG_EDGE = 0.3
# "above its hip" allows this much below it, leg lengths: a real side squat's far leg laid level on the plate of the
# bar for 0.2 s had its ankle 0.82 above the other and its knee 0.04 below the hip, and read as a lunge
RAISED_KNEE_SLACK = 0.1
_HIP = {"left": int(Kp.L_HIP), "right": int(Kp.R_HIP)}


def leg_px(xy: F64) -> float:
    """The client's leg length on screen, px: the 90th percentile of hip→knee→ankle over both legs (0 if unknown)."""
    paths = [
        np.linalg.norm(xy[:, int(h)] - xy[:, int(k)], axis=-1) + np.linalg.norm(xy[:, int(k)] - xy[:, int(a)], axis=-1)
        for h, k, a in ((Kp.L_HIP, Kp.L_KNEE, Kp.L_ANKLE), (Kp.R_HIP, Kp.R_KNEE, Kp.R_ANKLE))
    ]
    seen = np.concatenate(paths)
    seen = seen[np.isfinite(seen)]
    return float(np.percentile(seen, 90)) if seen.size else 0.0


def raised_leg_gate(xy: F64, leg: float) -> tuple[F64, int]:
    """Drop the knee, ankle, heel and toe of a leg whose ankle sits more than `RAISED_LEG` leg lengths above the
    other ankle on screen while its knee is above its hip (or level with it, `RAISED_KNEE_SLACK`), over the whole
    stretch where that ankle stays `RAISED_LEG_EDGE` above the other (hysteresis).

    Args:
        xy: (T, K, 2) px; frames the model skipped are NaN and are stepped over.
        leg: the client's leg length, px (`leg_px`; 0: unknown, nothing dropped).

    Returns:
        (a copy with those legs NaN, how many frames lost a leg).
    """
    out = np.array(xy, copy=True)
    if len(xy) == 0 or leg <= 0:
        return out, 0
    gap = (xy[:, int(Kp.R_ANKLE), 1] - xy[:, int(Kp.L_ANKLE), 1]) / leg  # > 0: the left ankle is higher
    seen = np.flatnonzero(np.isfinite(gap))
    hit = np.zeros(len(xy), bool)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        above = sign * gap[seen]
        with np.errstate(invalid="ignore"):
            knee_up = xy[seen, LOWER_LEG[side][0], 1] < xy[seen, _HIP[side], 1] + RAISED_KNEE_SLACK * leg
        for a, b in _runs(above > RAISED_LEG_EDGE):
            if ((above[a:b] > RAISED_LEG) & knee_up[a:b]).any():
                frames = np.arange(seen[a], seen[b - 1] + 1)
                out[np.ix_(frames, LOWER_LEG[side])] = np.nan
                hit[frames] = True
    return out, int(hit.sum())


def _carry_forward(xy: F64) -> F64:
    """Last finite value of each coordinate up to and including each frame (NaN before the first)."""
    t = xy.shape[0]
    finite = np.isfinite(xy)
    idx = np.where(finite, np.arange(t).reshape((t,) + (1,) * (xy.ndim - 1)), 0)
    idx = np.maximum.accumulate(idx, axis=0)
    out = np.take_along_axis(xy, idx, axis=0)
    return np.where(np.maximum.accumulate(finite, axis=0), out, np.nan)


def _moved(p: F64, q: F64) -> float:
    """Summed distance between matching points of p and q (any shape (..., 2)), pairs with a NaN left out."""
    d = np.linalg.norm(p - q, axis=-1)
    return float(d[np.isfinite(d)].sum())


def _label_path(left: F64, right: F64, swapped_px: float, switch_px: float) -> BoolA:
    """The most likely swapped/not-swapped sequence of one group (Viterbi over two states).

    Args:
        left, right: (T, P, 2) the group's points as labelled, NaN where missing.
        swapped_px: cost of each frame labelled against the model, px.
        switch_px: cost of changing state between two frames, px.

    Returns:
        (T,) True where the labels should be swapped; frames without the group keep the state before them.
    """
    seen = np.flatnonzero(np.isfinite(left[..., 0]).any(-1) | np.isfinite(right[..., 0]).any(-1))
    state = np.zeros(left.shape[0], bool)
    if not seen.size:
        return state
    # a point the model missed keeps its last seen place: moving the other side's point onto its label is then a jump
    left, right = _carry_forward(left), _carry_forward(right)
    unary = np.array([0.0, swapped_px])
    cost = unary.copy()
    back = np.zeros((seen.size, 2), np.int8)

    def labelled(t: int) -> tuple[F64, F64]:  # the frame's points as given, and swapped
        return np.stack([left[t], right[t]]), np.stack([right[t], left[t]])

    prev = labelled(int(seen[0]))
    for i in range(1, seen.size):
        cur = labelled(int(seen[i]))
        # step[a, b]: from state a to state b
        step = np.array([[_moved(prev[a], cur[b]) + switch_px * (a != b) for b in (0, 1)] for a in (0, 1)])
        total = cost[:, None] + step
        back[i] = np.argmin(total, axis=0)
        cost = total[back[i], (0, 1)] + unary
        prev = cur
    s = int(np.argmin(cost))  # a tie keeps the labels as given
    path = np.zeros(seen.size, bool)
    for i in range(seen.size - 1, -1, -1):
        path[i] = bool(s)
        s = int(back[i, s])
    state[seen] = path
    last = np.zeros(state.size, np.intp)  # frames between measured ones take the state of the frame before
    last[seen] = seen
    return state[np.maximum.accumulate(last)]


def repair_swaps(xy: F64, switch_px: float = 4.0, swapped_px: float = 2.0) -> tuple[F64, int]:
    """Undo left/right label swaps, per group of keypoints, by movement over the whole clip.

    Each group's labelling is the sequence that moves its points least from frame to frame (a swap makes both
    sides jump across), found over the whole clip (`_label_path`) rather than frame by frame: a frame-by-frame
    rule missed a swap that came on gradually (over three frames BlazePose slid both ankle labels onto the other
    foot at the bottom of a rendered squat, then snapped back), took the snap-back for the swap and flipped the
    wrong stretch. Where nothing tells the two labellings apart (feet together, a foot not seen) the model's
    labels stand; the labelling the model gave most of the time wins, so a clip that starts swapped is not
    flipped throughout.

    Args:
        xy: (T, K, 2) image px, NaN where missing.
        switch_px: cost of a change of labelling between frames, px (a few px of jitter never swaps).
        swapped_px: cost of each frame labelled against the model, px.

    Returns:
        (xy repaired (T, K, 2), number of measured frames in which some group was swapped back).
    """
    out = np.array(xy, copy=True)
    flipped = np.zeros((xy.shape[0], len(SWAP_GROUPS)), bool)
    seen = np.zeros_like(flipped)  # frames the model measured: those between are not counted as repaired
    for g, pairs in enumerate(SWAP_GROUPS):
        left = np.array([int(a) for a, _ in pairs])
        right = np.array([int(b) for _, b in pairs])
        seen[:, g] = np.isfinite(xy[:, np.concatenate([left, right]), 0]).any(axis=1)
        flipped[:, g] = _label_path(xy[:, left], xy[:, right], swapped_px, switch_px)
        if flipped.shape[0] and flipped[:, g].mean() > 0.5:  # the model's own labelling is the majority: keep it
            flipped[:, g] = ~flipped[:, g]
        rows = flipped[:, g]
        out[np.ix_(rows, left)], out[np.ix_(rows, right)] = xy[np.ix_(rows, right)], xy[np.ix_(rows, left)]
    return out, int((flipped & seen).any(axis=1).sum())


def hampel(x: F64, window: int, sigmas: float) -> tuple[F64, BoolA]:
    """Hampel filter along axis 0: points further than `sigmas` robust SDs from the window median become it.

    A keypoint that barely moves has a MAD of a fraction of a pixel, so this also evens out 1–2 px jitter: the
    mask says what was replaced, not what was an outlier (see `clean_track` for the count).

    Args:
        x: (T, ...) samples, NaN where missing (ignored by the window statistics, left NaN).
        window: full window length in frames (odd; an even value is widened by one).
        sigmas: threshold in units of 1.4826 × MAD.

    Returns:
        (filtered copy of x, boolean mask of replaced samples, same shape as x).
    """
    half = max(1, window // 2)
    t = x.shape[0]
    if t < 2 * half + 1:
        return np.array(x, copy=True), np.zeros(x.shape, bool)
    padded = np.pad(x, [(half, half)] + [(0, 0)] * (x.ndim - 1), mode="constant", constant_values=np.nan)
    win = sliding_window_view(padded, 2 * half + 1, axis=0)  # (T, ..., W)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows are expected
        med = np.nanmedian(win, axis=-1)
        mad = 1.4826 * np.nanmedian(np.abs(win - med[..., None]), axis=-1)
    bad = np.isfinite(x) & (np.abs(x - med) > sigmas * mad) & (mad > 0)
    return np.where(bad, med, x), bad


def fill_short_gaps(x: F64, t_s: F64, max_gap_s: float) -> tuple[F64, BoolA]:
    """Linearly interpolate interior gaps no longer than `max_gap_s`, on the real timestamps.

    The gap length is the time the point was unseen: from one frame after the last sighting to one frame before
    the next, plus one median frame interval (so at 30 fps, 9 missing frames = 0.3 s).

    Args:
        x: (T,) one coordinate, NaN where missing.
        t_s: (T,) frame times, seconds, increasing.
        max_gap_s: longest gap to fill, seconds.

    Returns:
        (filled copy, (T,) mask of filled samples).
    """
    out = np.array(x, copy=True)
    filled = np.zeros(x.shape, bool)
    ok = np.flatnonzero(np.isfinite(x))
    if ok.size < 2:
        return out, filled
    dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else 0.0
    for a, b in zip(ok[:-1], ok[1:], strict=True):
        if b - a > 1 and (t_s[b] - t_s[a]) - dt <= max_gap_s + 1e-9:
            seg = slice(a + 1, b)
            out[seg] = np.interp(t_s[seg], [t_s[a], t_s[b]], [x[a], x[b]])
            filled[seg] = True
    return out, filled


def _runs(mask: BoolA) -> list[tuple[int, int]]:
    """(start, stop) of each run of True in a 1-D mask."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def lowpass(x: F64, t_s: F64, s: CleanSettings) -> tuple[F64, str, bool]:
    """Zero-phase low-pass of one coordinate, run by run of finite samples, on real timestamps.

    Irregular timestamps (variable frame rate) are resampled to a uniform grid at the median interval,
    filtered there, and read back at the real times. Below `s.min_fps_for_butter` a Savitzky–Golay filter
    (about 0.5 s, quadratic) replaces the Butterworth filter.

    Args:
        x: (T,) one coordinate, NaN where missing (runs are filtered separately; NaN stays NaN).
        t_s: (T,) seconds.
        s: cleaning settings.

    Returns:
        (filtered copy, filter name, whether the clip was treated as variable frame rate).
    """
    # imported here, not at the top: scipy.signal takes ~0.5 s to import and the batch's parent process, which
    # imports this package only to name and skip videos, never filters; its workers import it ahead (batch.py)
    from scipy.signal import butter, savgol_filter, sosfiltfilt

    out = np.array(x, copy=True)
    dts = np.diff(t_s)
    if dts.size == 0 or not np.all(dts > 0):
        return out, "none", False
    dt = float(np.median(dts))
    fps = 1.0 / dt
    vfr = bool(np.max(np.abs(dts - dt)) > 0.25 * dt)
    use_butter = fps >= s.min_fps_for_butter and s.lowpass_hz < 0.5 * fps
    name = "butterworth" if use_butter else "savgol"
    sos = butter(s.lowpass_order, s.lowpass_hz, fs=fps, output="sos") if use_butter else None
    for a, b in _runs(np.isfinite(x)):
        tt, xx = t_s[a:b], x[a:b]
        grid = np.arange(tt[0], tt[-1] + dt / 2, dt) if vfr else tt
        g = np.interp(grid, tt, xx) if vfr else xx
        if sos is not None:
            if g.size < 4:
                continue
            pad = min(3 * (2 * sos.shape[0] + 1), g.size - 1)
            y = sosfiltfilt(sos, g, padlen=pad)
        else:
            win = min(max(5, int(round(0.5 * fps)) | 1), g.size if g.size % 2 else g.size - 1)
            if win < 3:
                continue
            y = savgol_filter(g, win, polyorder=min(2, win - 1), mode="interp")
        out[a:b] = np.interp(tt, grid, y) if vfr else y
    return out, name, vfr


def _body_px(track: PoseTrack, xy: F64) -> float:
    """The client's height on screen, px: median box height, else the keypoints' vertical spread (0 if unknown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        boxes = np.asarray(track.boxes, np.float64)
        h = float(np.nanmedian(boxes[:, 3] - boxes[:, 1])) if boxes.size else float("nan")
        if not np.isfinite(h) or h <= 0:
            ys = xy[..., 1]
            h = float(np.nanpercentile(ys, 95) - np.nanpercentile(ys, 5)) if np.isfinite(ys).any() else 0.0
    return h if np.isfinite(h) else 0.0


def clean_track(track: PoseTrack, s: CleanSettings) -> tuple[PoseTrack, CleanReport]:
    """Gate, repair, de-spike, fill and smooth the client's keypoints.

    Args:
        track: the client's raw track; xy (T, K, 2) px, conf (T, K), t_s (T,) s.
        s: cleaning settings.

    Returns:
        (cleaned track with NaN where still missing, report of what was done).
    """
    n = len(track)
    t_s = np.asarray(track.t_s, np.float64)
    xy, n_upside = upright_gate(np.asarray(track.xy, np.float64))
    xy, n_raised = raised_leg_gate(xy, leg_px(xy))
    fps = 1.0 / float(np.median(np.diff(t_s))) if n > 1 else 1.0
    xy, n_collapsed = collapse_gate(xy, int(round(fps)), _body_px(track, xy))
    xy = confidence_gate(xy, np.asarray(track.conf, np.float64), s.conf_gate)
    legs = list(map(int, LEG_KPS))
    every = max(1, int(track.extra.get("keypoint_every", 1)))
    looked = np.arange(n) % every == 0  # the frames between were never measured: filling them is by design
    missing_frac = float(np.isnan(xy[looked][:, legs, 0]).mean()) if n else 1.0
    xy, n_swaps = repair_swaps(xy)
    raw = xy
    xy, bad = hampel(xy, s.hampel_window, s.hampel_sigmas)
    jumps = bad & (np.abs(raw - xy) > s.hampel_min_frac * _body_px(track, raw))  # outliers, not evened-out jitter
    filled = np.zeros(xy.shape[:2], bool)
    filt, vfr = "none", False
    for k in range(xy.shape[1]):
        for c in range(2):
            xy[:, k, c], f = fill_short_gaps(xy[:, k, c], t_s, s.max_gap_s)
            filled[:, k] |= f
            xy[:, k, c], name, v = lowpass(xy[:, k, c], t_s, s)
            filt = name if name != "none" else filt
            vfr |= v
    still = np.isnan(xy[:, legs, 0])
    gaps = [(float(t_s[a]), float(t_s[b - 1])) for a, b in _runs(np.asarray(still.any(axis=1)))] if n else []
    report = CleanReport(
        frames=n,
        seen_frac=float(track.seen.mean()) if n else 0.0,
        missing_frac=missing_frac,
        interpolated_frac=float(filled[looked][:, legs].mean()) if n else 0.0,
        left_missing_frac=float(still.mean()) if n else 1.0,
        swaps_repaired=n_swaps,
        outliers_removed=int(jumps.any(axis=-1).sum())
        + n_upside
        + n_collapsed
        + n_raised
        + int(track.extra.get("blazepose_legs_elsewhere", 0)),
        filter=filt,
        vfr=vfr,
        long_gaps_s=gaps,
        keypoint_every=every,
    )
    return track.with_xy(xy.astype(np.float32)), report
