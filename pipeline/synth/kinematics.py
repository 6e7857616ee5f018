"""3D kinematics of a squatting or lunging person with known truth (depth, 3D knee valgus, knee flexion, reps).

World frame (metres): x = the person's left, y = up, z = forward (toward a front camera); feet on the floor y = 0.
Legs are rigid two-bone chains (constant thigh and shank lengths). Knee valgus is a rotation of the knee about
the hip–ankle line toward the midline, so knee flexion is unchanged by it; it grows with depth, or follows one phase
of the rep (`MotionSpec.valgus_phase`). Squats keep the feet planted; lunges step out and back (forward), back and
forward (reverse), or advance (walking).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from pipeline.keypoints import Kp

F64 = npt.NDArray[np.float64]
EXERCISES = ("squat", "forward_lunge", "reverse_lunge", "walking_lunge")
# Segment lengths for a 1.75 m person (scaled by height_m / 1.75).
SHANK, THIGH, FOOT_BACK, FOOT_FWD, ANKLE_H = 0.42, 0.44, 0.05, 0.20, 0.08
HIP_HALF, SH_HALF, TORSO, UPPER_ARM, FOREARM = 0.10, 0.19, 0.50, 0.28, 0.26
REF_HEIGHT_M = 1.75
EXTRA_JOINTS = ("NECK", "HEAD", "MID_HIP", "L_HAND", "R_HAND", "HEAD_TOP")
JOINT_NAMES: tuple[str, ...] = tuple(k.name for k in Kp) + EXTRA_JOINTS
JOINTS = JOINT_NAMES  # COCO-17, heels, toes (the 21 `Kp` names, in order), then EXTRA_JOINTS
J = {n: i for i, n in enumerate(JOINT_NAMES)}
UP = np.array([0.0, 1.0, 0.0])
ARMS = ("forward", "hips", "overhead")
LEAD_LEGS = {"left": ("left",), "right": ("right",), "alternate": ("left", "right")}
VFR_JITTER = 0.35  # jitter of `vfr=True`, as a fraction of a frame interval
VALGUS_PHASES = ("all", "down", "bottom", "up")


@dataclass(frozen=True)
class MotionSpec:
    """One synthetic performance. Angles in degrees, lengths in metres, times in seconds.

    Attributes:
        exercise: "squat" | "forward_lunge" | "reverse_lunge" | "walking_lunge".
        reps: number of repetitions.
        depth: 0–1; 1 = full (squat: hips just below the knees; lunge: rear knee 10 cm off the floor).
        rep_s: duration of descent + ascent of one rep.
        pause_s: pause at the bottom of each rep.
        lead_in_s: standing still before the first rep; the same standing time follows the last rep.
        valgus_deg: (left, right) peak knee cave, 3D rotation about the hip–ankle line (reached at the bottom for
            valgus_phase "all" and "bottom", at mid-depth for "down" and "up").
        valgus_phase: when in the rep the knees cave (`cave_fraction`): "all" (growing with depth, largest at the
            bottom), "down" (on the descent only), "bottom" (only past 60 % of the depth, full from 90 %) or "up"
            (on the ascent only, the commonest real pattern: knees over the feet at the bottom, caving on the way up).
        trunk_lean_deg: forward trunk lean at the bottom; None = 35 (squat) or 10 (lunges).
        stance_width: distance between the ankle centres, METRES (lunges: the feet's side-by-side spacing). The
            hip joint centres are 0.20 m apart at 1.75 m, so 0.20 = hip width (ratio 1.0) and 0.44 ≈ 1.5×
            shoulder width (ratio 2.2); `stance_ratio` gives the ratio.
        toe_out_deg: each foot turned out from straight ahead.
        height_m: body height; every length scales with it.
        fps: frame rate of the simulated samples (float or Fraction, e.g. Fraction(30000, 1001)).
        vfr: timestamp jitter as a fraction of a frame interval (0 / False = constant frame rate; True = 0.35).
            A rendered clip (`clips.ClipPlan.vfr`) writes real uneven timestamps instead.
        arms: "forward" (reaching forward), "hips" (hands on the hips) or "overhead" (arms straight up).
        lunge_leads: lead legs, cycled over the reps ("left" / "right").
        lead_leg: shorthand that overrides `lunge_leads` when given: "left", "right" or "alternate" (L, R, L …).
        stride_m: lunge step length (ankle to ankle, front to back).
        seed: random seed (only vfr jitter uses it).
    """

    exercise: str = "squat"
    reps: int = 3
    depth: float = 1.0
    rep_s: float = 2.4
    pause_s: float = 0.0
    lead_in_s: float = 1.0
    valgus_deg: tuple[float, float] = (0.0, 0.0)
    valgus_phase: str = "all"
    trunk_lean_deg: float | None = None
    stance_width: float = 0.24
    toe_out_deg: float = 10.0
    height_m: float = REF_HEIGHT_M
    fps: float | Fraction = 30.0
    vfr: float | bool = 0.0
    arms: str = "forward"
    lunge_leads: tuple[str, ...] = ("left", "right")
    stride_m: float = 0.85
    seed: int = 0
    lead_leg: str | None = None

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISES:
            raise ValueError(f"exercise must be one of {EXERCISES}, not {self.exercise!r}")
        if self.arms not in ARMS:
            raise ValueError(f"arms must be one of {ARMS}, not {self.arms!r}")
        if self.valgus_phase not in VALGUS_PHASES:
            raise ValueError(f"valgus_phase must be one of {VALGUS_PHASES}, not {self.valgus_phase!r}")
        if self.lead_leg is not None:
            if self.lead_leg not in LEAD_LEGS:
                raise ValueError(f"lead_leg must be one of {tuple(LEAD_LEGS)}, not {self.lead_leg!r}")
            object.__setattr__(self, "lunge_leads", LEAD_LEGS[self.lead_leg])
        if not self.lunge_leads or any(x not in ("left", "right") for x in self.lunge_leads):
            raise ValueError(f"lunge_leads must be 'left'/'right' names, not {self.lunge_leads!r}")
        if not 0.0 <= self.depth <= 1.0 or self.reps < 0 or float(self.fps) <= 0:
            raise ValueError("depth must be in [0, 1], reps ≥ 0 and fps > 0")

    @property
    def jitter(self) -> float:
        """Timestamp jitter as a fraction of a frame interval (`vfr=True` means VFR_JITTER)."""
        return VFR_JITTER if self.vfr is True else float(self.vfr)

    @property
    def stance_ratio(self) -> float:
        """Ankle separation ÷ hip-joint width (1.0 = hip width)."""
        return self.stance_width / (2 * HIP_HALF * self.height_m / REF_HEIGHT_M)

    @property
    def is_lunge(self) -> bool:
        """True for the three lunge variants."""
        return self.exercise != "squat"

    @property
    def lean_deg(self) -> float:
        """Trunk lean at the bottom, degrees."""
        return self.trunk_lean_deg if self.trunk_lean_deg is not None else (10.0 if self.is_lunge else 35.0)

    @property
    def duration_s(self) -> float:
        """Whole performance: lead-in, reps, the same standing time after."""
        return 2 * self.lead_in_s + self.reps * (self.rep_s + self.pause_s)


@dataclass(frozen=True)
class RepEvent:
    """One repetition's true timing (seconds) and lead leg ("left"/"right"; None for squats)."""

    start_s: float
    bottom_s: float
    end_s: float
    lead: str | None


@dataclass(frozen=True)
class Motion:
    """Simulated joints and truth.

    Attributes:
        spec: what was simulated.
        t_s: (T,) sample times, seconds.
        joints: (T, J, 3) world metres, columns named by `names` (the 21 Kp names first, then EXTRA_JOINTS).
        names: joint names, len J.
        depth: (T,) depth fraction, 0 standing … spec.depth at the bottom.
        valgus_deg: (T, 2) 3D knee cave applied (left, right), degrees.
        knee_flexion_deg: (T, 2) 180 − 3D angle hip–knee–ankle (left, right), degrees.
        trunk_lean_deg: (T,) forward lean of mid-hip→neck from vertical, degrees.
        rep: (T,) rep index, −1 outside reps.
        lead: (T,) lead leg per frame: 0 left, 1 right, −1 none.
        events: one RepEvent per rep.
    """

    spec: MotionSpec
    t_s: F64
    joints: F64
    names: tuple[str, ...]
    depth: F64
    valgus_deg: F64
    knee_flexion_deg: F64
    trunk_lean_deg: F64
    rep: npt.NDArray[np.int64]
    lead: npt.NDArray[np.int64]
    events: tuple[RepEvent, ...]

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


def rotate(v: F64, axis: F64, ang: float) -> F64:
    """Rodrigues rotation of v (3,) about `axis` (3,) by `ang` radians."""
    axis = axis / np.linalg.norm(axis)
    return v * np.cos(ang) + np.cross(axis, v) * np.sin(ang) + axis * (axis @ v) * (1 - np.cos(ang))


def two_bone(root: F64, end: F64, l1: float, l2: float, pole: F64) -> F64:
    """Middle joint (3,) of a two-bone chain root→end with bone lengths l1, l2, bent toward `pole` (3,)."""
    d = end - root
    dist = min(float(np.linalg.norm(d)), (l1 + l2) * 0.9999)
    u = d / np.linalg.norm(d)
    x = (l1 * l1 - l2 * l2 + dist * dist) / (2 * dist)
    h = np.sqrt(max(l1 * l1 - x * x, 0.0))
    p = pole - (pole @ u) * u
    return root + u * x + p / np.linalg.norm(p) * h


def _cave(hip: F64, knee: F64, ankle: F64, deg: float) -> F64:
    """Knee rotated about the hip–ankle line by `deg`, in the direction that moves it toward the midline."""
    axis, k = hip - ankle, knee - ankle
    cand = [ankle + rotate(k, axis, s * np.radians(deg)) for s in (1.0, -1.0)]
    return min(cand, key=lambda p: abs(p[0]))


def _smooth(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def timeline(spec: MotionSpec, t: float) -> tuple[float, int, float, float]:
    """Depth phase d ∈ [0, 1], rep index (−1 outside), step fraction σ ∈ [0, 1] and time into the rep at `t`."""
    total = spec.rep_s + spec.pause_s
    u = t - spec.lead_in_s
    r = int(np.floor(u / total)) if total > 0 else -1
    if u < 0 or r >= spec.reps:
        return 0.0, -1, 0.0, 0.0
    tau, half = u - r * total, spec.rep_s / 2
    if tau < half:
        d = 0.5 - 0.5 * np.cos(np.pi * tau / half)
    elif tau < half + spec.pause_s:
        d = 1.0
    else:
        d = 0.5 + 0.5 * np.cos(np.pi * (tau - half - spec.pause_s) / half)
    step = 0.3 * spec.rep_s
    sigma = _smooth(tau / step) if tau < total / 2 else _smooth((total - tau) / step)
    return float(d), r, sigma, tau


def cave_fraction(spec: MotionSpec, d: float, tau: float) -> float:
    """Fraction 0–1 of the peak knee cave at depth phase d, `tau` seconds into the rep (both from `timeline`).

    "all" returns d itself, so those renders stay bit-identical to the ones made before phases existed. The pause
    at the bottom counts as neither descent nor ascent, so "down" and "up" are 0 there (sin(π·1) = 0 anyway).
    """
    half = spec.rep_s / 2
    if spec.valgus_phase == "all":
        return d
    if spec.valgus_phase == "bottom":
        return _smooth((d - 0.6) / 0.3)
    rising = tau >= half + spec.pause_s
    on = rising if spec.valgus_phase == "up" else tau < half
    return float(np.sin(np.pi * d)) if on else 0.0


def _foot(ankle: F64, fdir: F64, s: float) -> tuple[F64, F64]:
    """Heel and toe (3,) of a flat foot whose ankle centre is at `ankle`, pointing along unit `fdir`."""
    drop = np.array([0.0, 0.8 * ANKLE_H * s, 0.0])
    return ankle - FOOT_BACK * s * fdir - drop, ankle + FOOT_FWD * s * fdir - drop


def _squat_legs(spec: MotionSpec, d: float, s: float) -> dict[str, F64]:
    """Joints of both legs in a squat at depth phase d (feet planted, shank tilts along the foot)."""
    half = spec.stance_width / 2
    t = np.radians(spec.toe_out_deg)
    hip_top = (ANKLE_H + SHANK) * s + np.sqrt((THIGH * s) ** 2 - (half - HIP_HALF * s) ** 2)
    bottom = (ANKLE_H + SHANK * np.cos(np.radians(38.0)) - 0.04) * s
    hip_y = hip_top - (hip_top - bottom) * spec.depth * d
    out: dict[str, F64] = {}
    for side, lr in ((1.0, "L"), (-1.0, "R")):
        fdir = np.array([side * np.sin(t), 0.0, np.cos(t)])
        ankle = np.array([side * half, ANKLE_H * s, 0.0])
        beta = np.radians(38.0) * d
        knee = ankle + SHANK * s * (np.sin(beta) * fdir + np.cos(beta) * UP)
        hip = np.array([side * HIP_HALF * s, hip_y, 0.0])
        dxy = (hip[0] - knee[0]) ** 2 + (hip[1] - knee[1]) ** 2
        hip[2] = knee[2] - np.sqrt(max((THIGH * s) ** 2 - dxy, 1e-9))
        out[lr + "_HIP"], out[lr + "_KNEE"], out[lr + "_ANKLE"] = hip, knee, ankle
        out[lr + "_HEEL"], out[lr + "_TOE"] = _foot(ankle, fdir, s)
        out[lr + "_FDIR"] = fdir
    return out


def _lunge_legs(spec: MotionSpec, d: float, r: int, sigma: float, tau: float, done: int, s: float) -> dict[str, F64]:
    """Joints of both legs in a lunge: one foot steps, the hip sits between the feet, rear heel lifts."""
    half, stride = spec.stance_width / 2, spec.stride_m * s
    t = np.radians(spec.toe_out_deg)
    lead = spec.lunge_leads[r % len(spec.lunge_leads)] if r >= 0 else None
    # centre the split stance on the origin (and a walking lunge's whole path), so a camera aimed there frames it
    start = {"forward_lunge": -stride / 2, "reverse_lunge": stride / 2}.get(spec.exercise, -stride * spec.reps / 2)
    base = start + (stride * done if spec.exercise == "walking_lunge" else 0.0)
    first_half = tau < (spec.rep_s + spec.pause_s) / 2
    z = {"L": base, "R": base}
    lift = {"L": 0.0, "R": 0.0}
    if lead is not None:
        rear = "R" if lead == "left" else "L"
        front = "L" if lead == "left" else "R"
        bump = 0.07 * s * 4 * sigma * (1 - sigma)
        if spec.exercise == "forward_lunge":
            z[front] = base + stride * sigma
            lift[front] = bump
        elif spec.exercise == "reverse_lunge":
            z[rear] = base - stride * sigma
            lift[rear] = bump
        elif first_half:  # walking: lead steps forward …
            z[front] = base + stride * sigma
            lift[front] = bump
        else:  # … then the rear foot comes forward to meet it
            z[front] = base + stride
            z[rear] = base + stride * (1 - sigma)
            lift[rear] = bump
    else:
        front = rear = ""
    zf = max(z.values())
    split = abs(z["L"] - z["R"]) / stride
    hip_stand = (ANKLE_H + SHANK) * s + np.sqrt((THIGH * s) ** 2 - (half - HIP_HALF * s) ** 2)
    want = hip_stand - (hip_stand - 0.55 * s) * spec.depth * d
    hip_z = (z["L"] + z["R"]) / 2
    ankles: dict[str, F64] = {}
    fdirs: dict[str, F64] = {}
    feet: dict[str, tuple[F64, F64]] = {}
    for side, lr in ((1.0, "L"), (-1.0, "R")):
        fdir = np.array([side * np.sin(t), 0.0, np.cos(t)])
        ankle = np.array([side * half, ANKLE_H * s + lift[lr], z[lr]])
        heel, toe = _foot(ankle, fdir, s)
        if lr == rear and z[lr] < zf - 1e-9:  # rear heel rises, pivoting on the toe
            lat = np.cross(UP, fdir)
            ang = np.radians(40.0) * min(split, 1.0) * (0.5 + 0.5 * d)
            heel, ankle = toe + rotate(heel - toe, lat, ang), toe + rotate(ankle - toe, lat, ang)
        ankles[lr], fdirs[lr], feet[lr] = ankle, fdir, (heel, toe)
    reach = (THIGH + SHANK) * s * 0.995
    hip_y = want
    for side, lr in ((1.0, "L"), (-1.0, "R")):
        a = ankles[lr]
        dxz = (side * HIP_HALF * s - a[0]) ** 2 + (hip_z - a[2]) ** 2
        hip_y = min(hip_y, a[1] + np.sqrt(max(reach**2 - dxz, 0.0)))
    out: dict[str, F64] = {}
    for side, lr in ((1.0, "L"), (-1.0, "R")):
        hip = np.array([side * HIP_HALF * s, hip_y, hip_z])
        pole = fdirs[lr] + np.array([side * 0.1, 0.0, 0.0])
        out[lr + "_KNEE"] = two_bone(hip, ankles[lr], THIGH * s, SHANK * s, pole)
        out[lr + "_HIP"], out[lr + "_ANKLE"], out[lr + "_FDIR"] = hip, ankles[lr], fdirs[lr]
        out[lr + "_HEEL"], out[lr + "_TOE"] = feet[lr]
    return out


def _upper(p: dict[str, F64], spec: MotionSpec, d: float, s: float) -> None:
    """Trunk, arms and head from the hips (in place)."""
    mid = (p["L_HIP"] + p["R_HIP"]) / 2
    lean = np.radians(spec.lean_deg) * d
    up = np.array([0.0, np.cos(lean), np.sin(lean)])
    fwd = np.array([0.0, -np.sin(lean), np.cos(lean)])
    x = np.array([1.0, 0.0, 0.0])
    p["MID_HIP"], p["NECK"] = mid, mid + (TORSO + 0.04) * s * up
    head_up = up + UP
    head_up /= np.linalg.norm(head_up)
    head_fwd = np.cross(x, head_up)
    head = p["NECK"] + 0.17 * s * head_up + 0.01 * s * head_fwd
    p["HEAD"], p["HEAD_TOP"] = head, head + 0.11 * s * head_up
    p["NOSE"] = head + s * (0.10 * head_fwd - 0.02 * head_up)
    for side, lr in ((1.0, "L"), (-1.0, "R")):
        p[lr + "_EYE"] = head + s * (side * 0.032 * x + 0.083 * head_fwd + 0.01 * head_up)
        p[lr + "_EAR"] = head + s * (side * 0.082 * x - 0.005 * head_fwd)
        sh = mid + TORSO * s * up + side * SH_HALF * s * x
        if spec.arms == "overhead":  # straight up, hands a little wider than the shoulders, slightly forward
            wr = sh + (UPPER_ARM + FOREARM) * s * 0.97 * _unit(up + side * 0.12 * x + 0.08 * fwd)
            el = two_bone(sh, wr, UPPER_ARM * s, FOREARM * s, side * x - 0.5 * fwd)
        elif spec.arms == "forward":
            el = sh + s * np.array([0.0, -0.05, 0.0]) + UPPER_ARM * s * 0.98 * np.array([0.0, 0.0, 1.0])
            wr = el + FOREARM * s * np.array([-side * 0.19, 0.0, 0.98])
            el = two_bone(sh, wr, UPPER_ARM * s, FOREARM * s, side * x - 0.3 * UP)
        else:
            wr = mid + s * (0.12 * up + side * 0.20 * x - 0.02 * fwd)
            el = two_bone(sh, wr, UPPER_ARM * s, FOREARM * s, side * x - 0.6 * fwd)
        p[lr + "_SHOULDER"], p[lr + "_ELBOW"], p[lr + "_WRIST"] = sh, el, wr
        hand = wr - el
        p[lr + "_HAND"] = wr + 0.07 * s * hand / np.linalg.norm(hand)


def _unit(v: F64) -> F64:
    return v / np.linalg.norm(v)


def _angle(a: F64, b: F64, c: F64) -> float:
    u, v = a - b, c - b
    return float(np.degrees(np.arccos(np.clip(u @ v / np.linalg.norm(u) / np.linalg.norm(v), -1, 1))))


def simulate(spec: MotionSpec, t_s: F64 | None = None) -> Motion:
    """Joint positions and truth over the whole performance.

    Args:
        spec: what to simulate.
        t_s: (T,) sample times in seconds; None = every 1/fps over spec.duration_s (jittered when spec.vfr).

    Returns:
        The Motion (joints (T, J, 3) metres, truth per frame, rep events).
    """
    if t_s is None:
        fps = float(spec.fps)
        n = int(round(spec.duration_s * fps))
        t_s = np.arange(n) / fps
        if spec.jitter:
            rng = np.random.default_rng(spec.seed)
            t_s = np.sort(t_s + rng.uniform(-spec.jitter, spec.jitter, n) / fps)
            t_s = t_s - t_s[0]
    t_s = np.asarray(t_s, np.float64)
    s = spec.height_m / REF_HEIGHT_M
    n = len(t_s)
    joints = np.zeros((n, len(JOINT_NAMES), 3))
    depth, lean = np.zeros(n), np.zeros(n)
    valgus, flex = np.zeros((n, 2)), np.zeros((n, 2))
    rep, lead = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    for i, t in enumerate(t_s):
        d, r, sigma, tau = timeline(spec, float(t))
        done = int(np.clip(np.floor((t - spec.lead_in_s) / (spec.rep_s + spec.pause_s)), 0, spec.reps))
        p = _lunge_legs(spec, d, r, sigma, tau, done, s) if spec.is_lunge else _squat_legs(spec, d, s)
        frac = cave_fraction(spec, d, tau)
        for k, lr in enumerate(("L", "R")):
            cave = spec.valgus_deg[k] * frac
            p[lr + "_KNEE"] = _cave(p[lr + "_HIP"], p[lr + "_KNEE"], p[lr + "_ANKLE"], cave)
            valgus[i, k] = cave
            flex[i, k] = 180.0 - _angle(p[lr + "_HIP"], p[lr + "_KNEE"], p[lr + "_ANKLE"])
        _upper(p, spec, d, s)
        joints[i] = [p[name] for name in JOINT_NAMES]
        depth[i], rep[i] = d * spec.depth, r
        trunk = p["NECK"] - p["MID_HIP"]
        lean[i] = np.degrees(np.arctan2(np.hypot(trunk[0], trunk[2]), trunk[1]))
        if spec.is_lunge and r >= 0:
            lead[i] = 0 if spec.lunge_leads[r % len(spec.lunge_leads)] == "left" else 1
    total = spec.rep_s + spec.pause_s
    events = tuple(
        RepEvent(
            start_s=spec.lead_in_s + r * total,
            bottom_s=spec.lead_in_s + r * total + total / 2,
            end_s=spec.lead_in_s + (r + 1) * total,
            lead=spec.lunge_leads[r % len(spec.lunge_leads)] if spec.is_lunge else None,
        )
        for r in range(spec.reps)
    )
    return Motion(spec, t_s, joints, JOINT_NAMES, depth, valgus, flex, lean, rep, lead, events)
