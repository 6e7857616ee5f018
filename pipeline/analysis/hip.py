"""Hip control proxies in a front view: 2D hip adduction, pelvic drop, trunk lateral lean, left/right asymmetry,
and the width of a lunge's base.

None of these is hip rotation (one camera cannot see it); they are the visible signs of hip control. Pure numpy;
image px, y down; signs documented per function.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from pipeline.analysis.geometry import mid, tilt_from_vertical_deg

F64 = npt.NDArray[np.float64]


def hip_adduction_2d_deg(hip: F64, other_hip: F64, knee: F64) -> F64:
    """Angle of the thigh (hip→knee) from the perpendicular to the pelvis line, + when the knee moves medially.

    Args:
        hip: (T, 2) this leg's hip; other_hip: (T, 2) the other hip; knee: (T, 2) this leg's knee. px.

    Returns:
        (T,) degrees (adduction +, abduction −).
    """
    hip, other_hip, knee = (np.asarray(a, np.float64) for a in (hip, other_hip, knee))
    pel = other_hip - hip  # points medially
    with np.errstate(invalid="ignore", divide="ignore"):
        pel_u = pel / np.linalg.norm(pel, axis=-1, keepdims=True)
        th = knee - hip
        th_u = th / np.linalg.norm(th, axis=-1, keepdims=True)
    down = np.stack([-pel_u[..., 1], pel_u[..., 0]], -1)
    down = down * np.sign((down * th_u).sum(-1, keepdims=True))  # the perpendicular that points along the thigh
    return np.degrees(np.arctan2((th_u * pel_u).sum(-1), (th_u * down).sum(-1)))


def stance_width_ratio(ankle_l: F64, ankle_r: F64, hip_width_px: float) -> F64:
    """Side-to-side distance between the ankles ÷ the standing hip width (front view): 1.0 = feet hip-width apart.

    In a split stance (lunge) the feet's front-to-back distance is along the camera axis and does not show; what
    shows is how far apart they are side to side, the base of support. Near 0 = one foot in front of the
    other on a line ("tightrope").

    Args:
        ankle_l, ankle_r: (T, 2) px.
        hip_width_px: image distance between the hip joint centres while standing, px.

    Returns:
        (T,) ratio; NaN where an ankle is missing or the hip width is not positive.
    """
    dx = np.abs(np.asarray(ankle_l, np.float64)[..., 0] - np.asarray(ankle_r, np.float64)[..., 0])
    return dx / hip_width_px if hip_width_px > 0 else np.full(dx.shape, np.nan)


def pelvic_tilt_deg(hip_l: F64, hip_r: F64) -> F64:
    """Tilt of the hip line from image horizontal, + when the left hip is higher on screen. hips: (T, 2) px."""
    d = np.asarray(hip_r, np.float64) - hip_l
    return np.degrees(np.arctan2(d[..., 1], np.abs(d[..., 0])))


def pelvic_tilt_bound_deg(hip_l: F64, hip_r: F64, err_px: float) -> F64:
    """Per-frame uncertainty of `pelvic_tilt_deg`, degrees, for a keypoint error of `err_px` on each hip: their
    height difference is off by up to √2 × err_px over the hips' width apart on screen. hips: (T, 2) px."""
    dx = np.abs(np.asarray(hip_r, np.float64)[..., 0] - np.asarray(hip_l, np.float64)[..., 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.degrees(np.arctan2(np.sqrt(2.0) * err_px, dx))


def trunk_lateral_lean_deg(hip_l: F64, hip_r: F64, sh_l: F64, sh_r: F64) -> F64:
    """Mid-hip→mid-shoulder line from vertical in the image plane, + leaning image-right. (T, 2) px each."""
    return tilt_from_vertical_deg(mid(hip_l, hip_r), mid(sh_l, sh_r))


def trunk_lateral_shift_deg(
    hip_l: F64, hip_r: F64, sh_l: F64, sh_r: F64, standing: npt.NDArray[np.intp], min_frac: float
) -> F64:
    """Sideways trunk lean since standing, from the shoulders' sideways shift over the standing trunk length.

    atan(dx / dy) of the projected trunk explodes when the trunk leans forward (dy shrinks), and any camera yaw
    turns that forward lean into a sideways shift. So the shift is divided by the standing trunk length
    (asin), and frames where the projected trunk is shorter than `min_frac` of standing (leaning forward more
    than ~acos(min_frac)) are left out (NaN), like FPPA with a foreshortened thigh. So are frames where it is longer
    than standing by as much (over 1 / `min_frac`): no trunk is longer than upright, so the standing one was
    mis-measured (a low camera cut a real client's head and chest off while he stood, and the model squeezed his
    trunk into a third of its length: his lean read 11°, red).

    Args:
        hip_l, hip_r, sh_l, sh_r: (T, 2) px.
        standing: frame indices of quiet standing (the reference).
        min_frac: shortest projected trunk, as a fraction of standing, that is still read.

    Returns:
        (T,) degrees, + leaning image-right; NaN where foreshortened or missing.
    """
    d, length0 = _trunk(hip_l, hip_r, sh_l, sh_r, standing)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dx0 = float(np.nanmedian(d[standing, 0]))
        ok = (-d[:, 1] >= min_frac * length0) & ~trunk_stretched(hip_l, hip_r, sh_l, sh_r, standing, min_frac)
        return np.where(ok, np.degrees(np.arcsin(np.clip((d[:, 0] - dx0) / length0, -1.0, 1.0))), np.nan)


def _trunk(hip_l: F64, hip_r: F64, sh_l: F64, sh_r: F64, standing: npt.NDArray[np.intp]) -> tuple[F64, float]:
    """The trunk, mid-hip → mid-shoulder, (T, 2) px, and its median length over the `standing` frames, px."""
    d = mid(sh_l, sh_r) - mid(hip_l, hip_r)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return d, float(np.nanmedian(np.hypot(d[standing, 0], d[standing, 1])))


def trunk_stretched(
    hip_l: F64, hip_r: F64, sh_l: F64, sh_r: F64, standing: npt.NDArray[np.intp], min_frac: float
) -> npt.NDArray[np.bool_]:
    """(T,) True where the projected trunk is longer than standing by more than 1 / `min_frac`: no trunk is longer
    than upright, so the standing one was mis-measured there (`trunk_lateral_shift_deg`). False where missing."""
    d, length0 = _trunk(hip_l, hip_r, sh_l, sh_r, standing)
    with np.errstate(invalid="ignore"):
        return np.hypot(d[:, 0], d[:, 1]) > length0 / min_frac


def asymmetry(left: F64, right: F64) -> F64:
    """|left − right|, elementwise, in the inputs' unit."""
    return np.abs(np.asarray(left, np.float64) - np.asarray(right, np.float64))
