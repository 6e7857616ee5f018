"""Synthetic client tracks with known truth: a 3D stick figure squatting or lunging, seen by a pinhole camera.

Knee cave is a rotation of the knee about the hip–ankle axis, toward the midline, growing with depth. The
projection gives the 21 keypoints of `pipeline.keypoints.Kp`; noise, dropouts, left/right swaps, variable frame
rate and a feet-less (YOLO-like) backend can be added. Used by tests/test_analysis_*.py and tests/test_scoring.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from pipeline.keypoints import N_KP, Kp, PoseTrack

F64 = npt.NDArray[np.float64]
SHANK, THIGH, FOOT_BACK, FOOT_FWD, ANKLE_H = 0.42, 0.44, 0.05, 0.20, 0.08
HIP_HALF, SH_HALF, TORSO = 0.10, 0.19, 0.50


@dataclass(frozen=True)
class Spec:
    """One synthetic clip. Angles in degrees, lengths in metres, times in seconds."""

    exercise: str = "squat"  # "squat" | "lunge"
    reps: int = 3
    period_s: float = 2.4
    lead_s: float = 1.0  # standing still before the first rep (set-up time)
    tail_s: float = 0.8
    stance_half_m: float = 0.12  # ankle distance from the midline
    toe_out_deg: float = 10.0
    depth: float = 1.0  # 1 = full (hips just below the knees), 0.5 = half squat
    cave_deg: tuple[float, float] = (0.0, 0.0)  # (left, right) knee cave at the bottom
    lunge_leads: tuple[str, ...] = ("left",)  # cycled over reps
    yaw_deg: float = 0.0  # camera around the client; 0 = square-on front, 90 = side (the client's left)
    fps: float = 30.0
    vfr_jitter: float = 0.0  # fraction of a frame interval of timestamp jitter
    noise_px: float = 0.0
    dropout_frac: float = 0.0  # share of frames with some leg point missing (short gaps)
    swap_frames: int = 0  # frames with the legs' left/right labels swapped
    feet: bool = True  # False: like YOLO, no heel/toe points
    walk_m: float = 0.0  # walking toward the camera before the first rep
    seed: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def _rot(axis: F64, ang: float, v: F64) -> F64:
    """Rodrigues rotation of v about unit axis by ang radians."""
    axis = axis / np.linalg.norm(axis)
    return v * np.cos(ang) + np.cross(axis, v) * np.sin(ang) + axis * (axis @ v) * (1 - np.cos(ang))


def _leg(ankle: F64, foot: F64, side: float, d: float, spec: Spec, cave: float, hip_z: float) -> tuple[F64, F64]:
    """Knee and hip of one leg: shank tilts along the foot, the hip sits behind at thigh length, then cave."""
    beta = np.radians(38.0) * d
    knee = ankle + SHANK * (np.sin(beta) * foot + np.cos(beta) * np.array([0, 0, 1.0]))
    hip = np.array([side * HIP_HALF, 0.0, hip_z])
    dxz = (hip[0] - knee[0]) ** 2 + (hip[2] - knee[2]) ** 2
    hip[1] = knee[1] - np.sqrt(max(THIGH**2 - dxz, 1e-6))
    axis = hip - ankle
    k = knee - ankle
    ang = np.radians(cave) * d
    cand = [ankle + _rot(axis, s * ang, k) for s in (1.0, -1.0)]
    knee = min(cand, key=lambda p: abs(p[0]))  # the rotation that moves the knee toward the midline
    return knee, hip


def skeleton(d: float, spec: Spec, lead: str) -> F64:
    """(21, 3) joint positions at depth phase d ∈ [0, 1] (X = client's left, Y = forward, Z = up)."""
    p = np.full((N_KP, 3), np.nan)
    t = np.radians(spec.toe_out_deg)
    knee_z = ANKLE_H + SHANK
    hip_top = knee_z + np.sqrt(THIGH**2 - (spec.stance_half_m - HIP_HALF) ** 2)
    drop = (hip_top - (ANKLE_H + SHANK * np.cos(np.radians(38.0)) - 0.04)) * spec.depth
    hip_z = hip_top - drop * d
    for side, (h, k, a, he, to) in (
        (1.0, (Kp.L_HIP, Kp.L_KNEE, Kp.L_ANKLE, Kp.L_HEEL, Kp.L_TOE)),
        (-1.0, (Kp.R_HIP, Kp.R_KNEE, Kp.R_ANKLE, Kp.R_HEEL, Kp.R_TOE)),
    ):
        foot = np.array([side * np.sin(t), np.cos(t), 0.0])
        ankle = np.array([side * spec.stance_half_m, 0.0, ANKLE_H])
        cave = spec.cave_deg[0 if side > 0 else 1]
        if spec.exercise == "lunge":
            front = (lead == "left") == (side > 0)
            ankle[1] = 0.45 if front else -0.45
            if front:
                p[k], p[h] = _leg(ankle, foot, side, d, spec, cave, hip_top - 0.45 * spec.depth * d)
                p[h][1] = ankle[1] - 0.45 + 0.0 * d
            else:
                ankle[2] = ANKLE_H + 0.08 * d  # heel lifts
                p[h] = np.array([side * HIP_HALF, 0.0, hip_top - 0.45 * spec.depth * d])
                p[k] = np.array([side * spec.stance_half_m, -0.25, ANKLE_H + SHANK - 0.36 * spec.depth * d])
        else:
            p[k], p[h] = _leg(ankle, foot, side, d, spec, cave, hip_z)
        p[a] = ankle
        p[he] = ankle - FOOT_BACK * foot - np.array([0, 0, ANKLE_H * 0.8])
        p[to] = ankle + FOOT_FWD * foot - np.array([0, 0, ANKLE_H * 0.8])
    if spec.exercise == "lunge":
        mid_y = np.mean([p[Kp.L_HIP][1], p[Kp.R_HIP][1]]) if lead else 0.0
        p[Kp.L_HIP][1] = p[Kp.R_HIP][1] = mid_y
    hip_mid = (p[Kp.L_HIP] + p[Kp.R_HIP]) / 2
    lean = np.radians(35.0 if spec.exercise == "squat" else 10.0) * d
    up = np.array([0.0, np.sin(lean), np.cos(lean)])
    for side, sh, el, wr in (
        (1.0, Kp.L_SHOULDER, Kp.L_ELBOW, Kp.L_WRIST),
        (-1.0, Kp.R_SHOULDER, Kp.R_ELBOW, Kp.R_WRIST),
    ):
        p[sh] = hip_mid + TORSO * up + np.array([side * SH_HALF, 0, 0])
        p[el] = p[sh] + np.array([0, 0.25, -0.05])
        p[wr] = p[el] + np.array([-side * 0.05, 0.25, 0.0])
    head = hip_mid + (TORSO + 0.22) * up
    p[Kp.NOSE] = head + np.array([0, 0.10, 0])
    for side, ey, ea in ((1.0, Kp.L_EYE, Kp.L_EAR), (-1.0, Kp.R_EYE, Kp.R_EAR)):
        p[ey] = head + np.array([side * 0.03, 0.08, 0.03])
        p[ea] = head + np.array([side * 0.08, 0.0, 0.0])
    return p


def project(p: F64, yaw_deg: float, dist_m: float = 3.5, cam_h: float = 1.0, f_px: float = 1100.0) -> F64:
    """Pinhole camera on a circle around the client, `yaw_deg` toward the client's left, looking level at them.

    p: (..., 3) world metres. Returns (..., 2) px in a 720×1280 portrait frame (y down).
    """
    a = np.radians(yaw_deg)
    cam = np.array([dist_m * np.sin(a), dist_m * np.cos(a), cam_h])
    fwd = -np.array([np.sin(a), np.cos(a), 0.0])
    right = np.array([-np.cos(a), np.sin(a), 0.0])  # image-right: the client's right when square-on
    rel = p - cam
    z = rel @ fwd
    x = rel @ right
    y = -(rel[..., 2])
    return np.stack([360 + f_px * x / z, 760 + f_px * y / z], -1)


def phases(spec: Spec, t_s: F64) -> tuple[F64, npt.NDArray[np.int64]]:
    """Depth phase d(t) ∈ [0, 1] (cosine dip per rep) and the rep index per frame (-1 outside reps)."""
    u = (t_s - spec.lead_s) / spec.period_s
    rep = np.floor(u).astype(np.int64)
    inside = (u >= 0) & (rep < spec.reps)
    d = np.where(inside, 0.5 - 0.5 * np.cos(2 * np.pi * (u - rep)), 0.0)
    return d, np.where(inside, rep, -1)


def make_track(spec: Spec) -> tuple[PoseTrack, dict[str, object]]:
    """The clip's PoseTrack and its truth (rep bottoms in seconds, lead legs, view)."""
    rng = np.random.default_rng(spec.seed)
    dur = spec.lead_s + spec.reps * spec.period_s + spec.tail_s
    n = int(dur * spec.fps)
    t_s = np.arange(n) / spec.fps
    if spec.vfr_jitter:
        t_s = t_s + rng.uniform(-spec.vfr_jitter, spec.vfr_jitter, n) / spec.fps
        t_s = np.sort(t_s - t_s[0])
    d, rep = phases(spec, t_s)
    xyz = np.zeros((n, N_KP, 3))
    for i in range(n):
        lead = spec.lunge_leads[max(rep[i], 0) % len(spec.lunge_leads)]
        xyz[i] = skeleton(d[i], spec, lead)
        if spec.walk_m and t_s[i] < spec.lead_s:
            xyz[i, :, 1] += spec.walk_m * (1 - t_s[i] / spec.lead_s) * -1
    xy = (
        project(xyz, spec.yaw_deg) + rng.normal(0, spec.noise_px, (n, N_KP, 2))
        if spec.noise_px
        else project(xyz, spec.yaw_deg)
    )
    conf = np.full((n, N_KP), 0.9)
    if not spec.feet:
        xy[:, 17:] = np.nan
        conf[:, 17:] = 0.0
    legs = [int(k) for k in (Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE, Kp.L_HIP, Kp.R_HIP)]
    for _ in range(int(spec.dropout_frac * n / 4)):
        s0, k = int(rng.integers(0, n - 4)), int(rng.choice(legs))
        conf[s0 : s0 + int(rng.integers(1, 5)), k] = 0.05
    if spec.swap_frames:
        s0 = int(rng.integers(n // 4, n // 2))
        for a, b in ((Kp.L_KNEE, Kp.R_KNEE), (Kp.L_ANKLE, Kp.R_ANKLE), (Kp.L_HEEL, Kp.R_HEEL), (Kp.L_TOE, Kp.R_TOE)):
            xy[s0 : s0 + spec.swap_frames, [a, b]] = xy[s0 : s0 + spec.swap_frames, [b, a]]
    bottoms = [spec.lead_s + (r + 0.5) * spec.period_s for r in range(spec.reps)]
    leads = [spec.lunge_leads[r % len(spec.lunge_leads)] for r in range(spec.reps)]
    track = PoseTrack(
        t_s=t_s,
        xy=xy.astype(np.float32),
        conf=conf.astype(np.float32),
        boxes=np.tile(np.array([0, 0, 720, 1280], np.float32), (n, 1)),
        frame_wh=(720, 1280),
        fps=Fraction(spec.fps).limit_denominator(1001),
        backend="synthetic",
    )
    return track, {"bottoms_s": bottoms, "leads": leads, "xyz": xyz}
