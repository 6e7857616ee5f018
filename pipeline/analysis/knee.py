"""Knee tracking in a front (or mildly oblique) view: foot-relative knee drift, FPPA, KASR, medial displacement.

Pure numpy functions of keypoint arrays (image px, y down). Sign conventions: `lateral` is a per-leg ±1 image-x
direction that points away from the body midline; knee drift is + lateral, − medial (a cave is negative).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pipeline.analysis.geometry import angle_at_deg, dist, signed_offset_from_line

F64 = npt.NDArray[np.float64]


def fppa_deg(hip: F64, knee: F64, ankle: F64, lateral: float) -> F64:
    """Frontal-plane projection angle: 180° − ∠(hip, knee, ankle), + when the knee is medial of hip–ankle.

    Args:
        hip, knee, ankle: (T, 2) px.
        lateral: +1 when this leg's lateral side is image-right, −1 otherwise.

    Returns:
        (T,) degrees; NaN where any point is missing.
    """
    off = signed_offset_from_line(knee, hip, ankle, lateral)
    return (180.0 - angle_at_deg(hip, knee, ankle)) * -np.sign(off)


def knee_medial_disp_pct(hip: F64, knee: F64, ankle: F64, lateral: float) -> F64:
    """Perpendicular distance of the knee from the hip–ankle line ÷ hip–ankle length × 100, medial +.

    Args:
        hip, knee, ankle: (T, 2) px.
        lateral: ±1, see `fppa_deg`.

    Returns:
        (T,) percent.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return -100.0 * signed_offset_from_line(knee, hip, ankle, lateral) / dist(hip, ankle)


def kasr(knee_l: F64, knee_r: F64, ankle_l: F64, ankle_r: F64) -> F64:
    """Knee-to-ankle separation ratio: horizontal knee separation ÷ horizontal ankle separation.

    Args:
        knee_l, knee_r, ankle_l, ankle_r: (T, 2) px.

    Returns:
        (T,) ratio; NaN where the ankles are less than 1 px apart.
    """
    a = np.abs(np.asarray(ankle_l)[..., 0] - np.asarray(ankle_r)[..., 0])
    k = np.abs(np.asarray(knee_l)[..., 0] - np.asarray(knee_r)[..., 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(a >= 1.0, k / a, np.nan)


def thigh_visible(hip: F64, knee: F64, thigh_standing_px: float, min_frac: float) -> npt.NDArray[np.bool_]:
    """True where the projected thigh is at least `min_frac` of its standing length (FPPA is trustworthy).

    Args:
        hip, knee: (T, 2) px.
        thigh_standing_px: the thigh's projected length while standing, px.
        min_frac: METRICS.md uses 0.55.

    Returns:
        (T,) bool; False where missing.
    """
    with np.errstate(invalid="ignore"):
        return dist(hip, knee) >= min_frac * thigh_standing_px


def foot_azimuth_sin(back: F64, toe: F64, lateral: float, foot_len_px: float) -> float:
    """How far the foot points toward the leg's lateral image side: sin of its azimuth from the camera axis.

    A foot pointing straight at the camera reads 0; toes turned out read + (sin of the toe-out in a front
    view); in an oblique view both feet also carry ±sin(yaw). The 3D length from `back` to `toe` is not visible
    in a front view, so it is given (`foot_len_px`, e.g. a fixed ratio of the standing shank length).

    Args:
        back: (2,) px, a point on the foot's axis behind the toe, averaged while the foot is planted. The product
            passes the ankle: from the front the heel is hidden behind the shoe and pose models guess it (BlazePose
            puts it 3–7 px medial on the renders, which reads as 4–8° of extra toe-out).
        toe: (2,) px, the toe tip, averaged the same way.
        lateral: ±1 image-x direction of the leg's lateral side.
        foot_len_px: 3D back-to-toe length, expressed in px at the foot's depth.

    Returns:
        sin(azimuth) clipped to [−0.95, 0.95]; NaN when a point is missing.
    """
    dx = lateral * (float(toe[0]) - float(back[0]))
    return float(np.clip(dx / foot_len_px, -0.95, 0.95)) if np.isfinite(dx) and foot_len_px > 0 else float("nan")


def knee_travel_across_foot(
    knee: F64,
    ankle: F64,
    base_dx: float,
    shank_px: float,
    sin_az: float,
    lateral: float,
    persp: float = 0.0,
    n_iter: int = 8,
) -> tuple[F64, F64]:
    """Knee travel since standing split into along-the-foot s and across-the-foot v, fractions of the shank.

    In 3D the knee's horizontal travel relative to the planted ankle splits into s along the foot (a good
    squat) and v across it (− = caving inside the foot line). A front-ish camera sees only its image-x part,
    dx = s·sin(az) + v·cos(az); s² + v² is known from how much the shank shortened vertically (L² − h²).
    Solving for v removes toe-out, stance width (ankle-relative), depth (s) and mild camera yaw (az).

    Args:
        knee, ankle: (T, 2) px.
        base_dx: median lateral-signed (knee x − ankle x) while standing, px.
        shank_px: standing shank length L, px.
        sin_az: `foot_azimuth_sin` of this leg (0 when the feet are unknown: assumes toes straight ahead).
        lateral: ±1 image-x direction of the leg's lateral side.
        persp: image-y px the knee sinks per px it comes toward the camera (perspective of a camera above the
            knee; see `ground_slope`); the vertical shank length is corrected by it before s is derived.
        n_iter: iterations for the perspective term (the knee sinks as it comes forward, which shortens the shank).

    Returns:
        (v / L, s / L), each (T,); + v lateral, − v medial; NaN where knee or ankle is missing.
    """
    knee, ankle = np.asarray(knee, np.float64), np.asarray(ankle, np.float64)
    dx = lateral * (knee[:, 0] - ankle[:, 0]) - base_dx
    h = ankle[:, 1] - knee[:, 1]
    cos_az = np.sqrt(1.0 - sin_az**2)
    az = np.arcsin(sin_az)
    s = np.zeros_like(dx)
    v = dx / cos_az
    for _ in range(n_iter):  # only the perspective term, small, depends on s: the rest is solved exactly
        d = np.sqrt(np.maximum(shank_px**2 - (h + persp * s * cos_az) ** 2, 0.0))
        # the travel (s, v) = d·(cos φ, sin φ) whose image-x part s·sin(az) + v·cos(az) = d·sin(φ + az) is dx: φ is
        # read from the foot axis, at most straight inward; a dx beyond d (keypoint error) is all across the foot
        reach = np.abs(dx) <= d
        with np.errstate(invalid="ignore", divide="ignore"):
            phi = np.maximum(np.arcsin(np.clip(dx / d, -1.0, 1.0)) - az, -np.pi / 2)
        s = np.where(reach, d * np.cos(phi), 0.0)
        v = np.where(reach, d * np.sin(phi), dx / cos_az)
    s = np.where(np.isfinite(v), s, np.nan)
    return v / shank_px, s / shank_px


def ground_slope(heel: F64, toe: F64, foot_len_px: float, sin_az: float) -> float:
    """Image-y px per px of depth on the floor, from the standing foot: 0 for a camera at floor level.

    The toe is nearer the camera than the heel by F·cos(az); a camera above the floor sees it lower on screen
    by about F·cos(az)·(camera height ÷ distance). Returns that ratio, clipped to [0, 0.6]; 0 when unknown.

    Args:
        heel, toe: (2,) px, standing medians.
        foot_len_px: 3D heel→toe length, px.
        sin_az: `foot_azimuth_sin` of the foot.
    """
    dy = float(toe[1]) - float(heel[1])
    cos_az = np.sqrt(max(1.0 - sin_az**2, 1e-6))
    g = dy / (foot_len_px * cos_az) if foot_len_px > 0 else float("nan")
    return float(np.clip(g, 0.0, 0.6)) if np.isfinite(g) else 0.0


def knee_travel_angle_deg(v: F64, s: F64, min_travel: float = 0.15) -> F64:
    """Direction of the knee's travel from the foot axis, degrees: 0 = over the foot, − = inside (a cave).

    Args:
        v, s: (T,) across- and along-foot travel from `knee_travel_across_foot`, fractions of the shank.
        min_travel: below this total travel (shank fractions) the direction is undefined (NaN).

    Returns:
        (T,) degrees in (−180, 180]; NaN near standing or where missing.
    """
    v, s = np.asarray(v, np.float64), np.asarray(s, np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.hypot(v, s) >= min_travel, np.degrees(np.arctan2(v, s)), np.nan)


def knee_travel_bound_deg(
    knee: F64,
    ankle: F64,
    base_dx: float,
    shank_px: float,
    sin_az: float,
    lateral: float,
    persp: float,
    err_px: float,
) -> F64:
    """Per-frame uncertainty of `knee_travel_angle_deg`, degrees, for a keypoint error of `err_px` on knee and ankle.

    The knee's sideways travel (dx) and the shank's vertical length (h) each come from two points, so each is off by
    up to √2·err_px. The angle is recomputed with each moved that far either way and the two changes added in
    quadrature. Near standing the travel is short and h changes its along-foot part fastest (ds/dh = −h/s), so the
    bound is wide there and narrow in the knee bend.

    Args:
        knee, ankle: (T, 2) px.
        base_dx, shank_px, sin_az, lateral, persp: as `knee_travel_across_foot`.
        err_px: one keypoint's error, px.

    Returns:
        (T,) degrees ≥ 0; NaN where a point is missing. Also defined near standing, where the angle itself is NaN
        (added to that angle, the bound leaves those frames unread).
    """
    knee = np.asarray(knee, np.float64)
    e = np.sqrt(2.0) * err_px

    def angle(dk: tuple[float, float]) -> F64:
        v, s = knee_travel_across_foot(knee + np.array(dk), ankle, base_dx, shank_px, sin_az, lateral, persp)
        return knee_travel_angle_deg(v, s, min_travel=0.0)

    d_x = (angle((lateral * e, 0.0)) - angle((-lateral * e, 0.0))) / 2.0
    d_h = (angle((0.0, -e)) - angle((0.0, e))) / 2.0
    return np.hypot(d_x, d_h)


def foot_azimuth_err_deg(sin_az: float, err: float, toe_to_shank: float, spread: float) -> float:
    """Uncertainty of the foot's azimuth (`foot_azimuth_sin`), degrees; the knee-over-foot angle inherits it 1:1.

    The toe's sideways offset from the ankle comes from two keypoints, each off by `err` shanks (√2·err over a foot
    of `toe_to_shank` shanks), and the foot's true length differs from that anthropometric ratio (shoes, feet) by
    `spread`, a share that scales sin(az) itself: the more the toes turn out, the less sure their angle. The two add
    in quadrature, and d(az) = d(sin az) ÷ cos(az).

    Args:
        sin_az: the foot's `foot_azimuth_sin`.
        err: one keypoint's error, shanks. toe_to_shank: the assumed ankle-to-toe length, shanks.
        spread: the relative spread of that length between people.

    Returns:
        Degrees ≥ 0.
    """
    d_sin = float(np.hypot(np.sqrt(2.0) * err / toe_to_shank, spread * sin_az))
    return float(np.degrees(d_sin / np.sqrt(max(1.0 - sin_az**2, 1e-6))))


def knee_inside_foot(knee: F64, heel: F64, ankle: F64, toe: F64, lateral: float, shank_px: float) -> F64:
    """METRICS.md `m`: knee x offset from the most medial of heel, ankle and toe, ÷ shank (+ lateral).

    Args:
        knee: (T, 2) px.
        heel, ankle, toe: (2,) px, averaged while the foot is planted.
        lateral: ±1 image-x direction of the leg's lateral side.
        shank_px: standing shank length, px.

    Returns:
        (T,) ratio; the "inside the foot" rule flags m < −0.05.
    """
    foot_lat = lateral * np.array([heel[0], ankle[0], toe[0]], np.float64)
    return (lateral * np.asarray(knee, np.float64)[:, 0] - np.nanmin(foot_lat)) / shank_px


def knee_inside_midfoot_pct(knee: F64, ankle: F64, toe: F64, lateral: float, shank_px: float) -> F64:
    """How far the knee sits inside the middle of its own foot, across the image, % of the shank (+ = inside).

    The coaches' rule for a front view (LESS item 9, "knee medial to the midfoot"; FMS and NASM "knees move
    inward") read frame by frame: the midfoot is halfway from the ankle to the toe tip in the same frame, so a
    handheld camera's sway moves both alike. It needs no toe-out or foot-length estimate, which is where the knee's
    travel angle goes wrong when the pose model over-reads toe-out.

    Args:
        knee, ankle, toe: (T, 2) px.
        lateral: ±1 image-x direction of the leg's lateral side.
        shank_px: standing shank length, px.

    Returns:
        (T,) percent; NaN where a point is missing.
    """
    midfoot_x = (np.asarray(ankle, np.float64)[:, 0] + np.asarray(toe, np.float64)[:, 0]) / 2.0
    return -100.0 * lateral * (np.asarray(knee, np.float64)[:, 0] - midfoot_x) / shank_px
