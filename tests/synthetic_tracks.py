"""Synthetic client tracks with known truth: a 3D stick figure squatting or lunging, seen by a pinhole camera.

Knee cave is a rotation of the knee about the hip–ankle axis, toward the midline, growing with depth. The 3D
motion comes from `pipeline.synth.kinematics`, the camera from `pipeline.synth.camera`; the projection gives the 21
keypoints of `pipeline.keypoints.Kp`; noise, dropouts, left/right swaps, variable frame
rate and a feet-less (YOLO-like) backend can be added. Used by tests/test_analysis_*.py and tests/test_scoring.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from pipeline.keypoints import N_KP, Kp, PoseTrack
from pipeline.synth.camera import Camera
from pipeline.synth.kinematics import MotionSpec, simulate, timeline

F64 = npt.NDArray[np.float64]
F_PX = 1100.0  # focal length of the 720×1280 portrait camera


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
    cave_deg: tuple[float, float] = (0.0, 0.0)  # (left, right) peak knee cave (at the bottom for phase "all")
    cave_phase: str = "all"  # when the knees cave: MotionSpec.valgus_phase ("all", "down", "bottom", "up")
    lunge_leads: tuple[str, ...] = ("left",)  # cycled over reps
    yaw_deg: float = 0.0  # camera around the client; 0 = square-on front, 90 = side (the client's left)
    fps: float = 30.0
    vfr_jitter: float = 0.0  # fraction of a frame interval of timestamp jitter
    noise_px: float = 0.0
    dropout_frac: float = 0.0  # share of frames with some leg point missing (short gaps)
    swap_frames: int = 0  # frames with the legs' left/right labels swapped
    feet: bool = True  # False: like YOLO, no heel/toe points
    walk_m: float = 0.0  # walking toward the camera before the first rep
    # The original stick figure's image was mirrored (the client's left on the image LEFT in a front view); the
    # scoring tests were tuned on that, so it stays the default here. False = a physical camera, as filmed.
    mirror: bool = True
    seed: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def motion_spec(spec: Spec) -> MotionSpec:
    """The package's MotionSpec for this clip spec (an old "lunge" is a forward lunge)."""
    return MotionSpec(
        exercise="forward_lunge" if spec.exercise == "lunge" else spec.exercise,
        reps=spec.reps,
        depth=spec.depth,
        rep_s=spec.period_s,
        lead_in_s=spec.lead_s,
        valgus_deg=spec.cave_deg,
        valgus_phase=spec.cave_phase,
        stance_width=2 * spec.stance_half_m,
        toe_out_deg=spec.toe_out_deg,
        fps=spec.fps,
        arms="forward",
        lunge_leads=spec.lunge_leads,
        seed=spec.seed,
    )


def camera(yaw_deg: float, dist_m: float = 3.5, cam_h: float = 1.0) -> Camera:
    """Level pinhole camera, 720×1280 portrait, f = 1100 px, `yaw_deg` toward the client's left."""
    vfov = float(np.degrees(2 * np.arctan(640 / F_PX)))
    return Camera(yaw_deg=yaw_deg, distance_m=dist_m, height_m=cam_h, W=720, H=1280, vfov_deg=vfov, target_h_m=None)


def project(p: F64, yaw_deg: float, dist_m: float = 3.5, cam_h: float = 1.0) -> F64:
    """p: (..., 3) world metres (x left, y up, z forward). Returns (..., 2) px in a 720×1280 portrait frame."""
    return camera(yaw_deg, dist_m, cam_h).project(p)


def phases(spec: Spec, t_s: F64) -> tuple[F64, npt.NDArray[np.int64]]:
    """Depth phase d(t) ∈ [0, 1] (cosine dip per rep) and the rep index per frame (-1 outside reps)."""
    ms = motion_spec(spec)
    out = [timeline(ms, float(t))[:2] for t in t_s]
    return np.array([o[0] for o in out]), np.array([o[1] for o in out], np.int64)


def make_track(spec: Spec) -> tuple[PoseTrack, dict[str, object]]:
    """The clip's PoseTrack and its truth (rep bottoms in seconds, lead legs, view)."""
    rng = np.random.default_rng(spec.seed)
    dur = spec.lead_s + spec.reps * spec.period_s + spec.tail_s
    n = int(dur * spec.fps)
    t_s = np.arange(n) / spec.fps
    if spec.vfr_jitter:
        t_s = t_s + rng.uniform(-spec.vfr_jitter, spec.vfr_jitter, n) / spec.fps
        t_s = np.sort(t_s - t_s[0])
    xyz = simulate(motion_spec(spec), t_s).joints[:, :N_KP].copy()
    if spec.walk_m:
        before = t_s < spec.lead_s
        xyz[before, :, 2] -= spec.walk_m * (1 - t_s[before, None] / spec.lead_s)
    xy = project(xyz, spec.yaw_deg)
    if spec.mirror:
        xy[..., 0] = 720 - xy[..., 0]
    if spec.noise_px:
        xy = xy + rng.normal(0, spec.noise_px, (n, N_KP, 2))
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
