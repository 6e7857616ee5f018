"""Truth of rendered clips: true 2D keypoints with visibility, pure 2D metrics (FPPA, knee medial displacement,
KASR, trunk angle, after docs METRICS.md) and truth JSON I/O.

Computed from the TRUE projected joints, independently of `pipeline.analysis`, so the pipeline can be checked
against them. Image pixels, y down. The medial direction of a leg is toward the other hip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.keypoints import N_KP, Kp
from pipeline.synth.camera import Camera
from pipeline.synth.figure import build_figure, first_hit
from pipeline.synth.kinematics import REF_HEIGHT_M, Motion

F64 = npt.NDArray[np.float64]
FORMAT = "formreview-synth-truth/1"
# How far in front of each joint centre its own flesh may reach along a camera ray (m at 1.75 m): a keypoint is
# visible when the first surface on its ray is no nearer than this. Face points sit just under the skin, the hip
# centre ~9 cm inside the pelvis; limb joints allow for rays grazing along their own limb (an elbow whose upper
# arm points at the camera is still seen). Approximate by design: a body part within this depth does not hide.
_DEPTH_M = {"NOSE": 0.03, "EYE": 0.03, "EAR": 0.04, "SHOULDER": 0.09, "ELBOW": 0.09, "WRIST": 0.07,
            "HIP": 0.14, "KNEE": 0.10, "ANKLE": 0.08, "HEEL": 0.05, "TOE": 0.05}  # fmt: skip
LEGS = ((Kp.L_HIP, Kp.L_KNEE, Kp.L_ANKLE, Kp.R_HIP), (Kp.R_HIP, Kp.R_KNEE, Kp.R_ANKLE, Kp.L_HIP))


def truth_2d(motion: Motion, camera: Camera) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """True keypoints of every frame as the camera sees them, with self-occlusion.

    Args:
        motion: simulated joints (T, J, 3).
        camera: the camera that films them.

    Returns:
        xy: (T, 21, 2) float32 pixels in `Kp` order (COCO-17, then L/R heel, L/R toe); joint CENTRES, so
            they are drawn even when hidden.
        visible: (T, 21) bool, inside the frame and not hidden behind the body (ray-tested against the
            rendered figure; a joint counts as seen when the first surface on its ray is within its own
            flesh depth, `_DEPTH_M`).
    """
    pts = motion.joints[:, :N_KP]
    xy = camera.project(pts)
    inside = (xy[..., 0] >= 0) & (xy[..., 0] < camera.W) & (xy[..., 1] >= 0) & (xy[..., 1] < camera.H)
    scale = motion.spec.height_m / REF_HEIGHT_M
    tol = np.array([_DEPTH_M[k.name.split("_")[-1]] for k in Kp]) * scale
    o = camera.position
    seen = np.zeros(pts.shape[:2], bool)
    for i, joints in enumerate(motion.joints):
        ray = pts[i] - o
        dist = np.linalg.norm(ray, axis=1)
        unit = (ray / dist[:, None]).astype(np.float32)
        t = first_hit(build_figure(joints), o, (unit[:, 0], unit[:, 1], unit[:, 2]))
        seen[i] = t >= dist - tol
    return xy.astype(np.float32), seen & inside


def _medial_offset(hip: F64, knee: F64, ankle: F64, other_hip: F64) -> tuple[F64, F64]:
    """Signed perpendicular knee offset from the hip–ankle line (+ medial) and the hip–ankle length, px (T,)."""
    ax = ankle - hip
    length = np.linalg.norm(ax, axis=-1)
    n = np.stack([-ax[..., 1], ax[..., 0]], -1) / length[..., None]
    sign = np.sign(np.einsum("...i,...i->...", other_hip - hip, n))
    return np.einsum("...i,...i->...", knee - hip, n) * sign, length


def fppa_deg(xy: F64) -> F64:
    """Frontal-plane projection angle per leg: 180° − ∠(hip, knee, ankle), + when the knee is medial.

    Args:
        xy: (T, ≥17, 2) keypoints in Kp order, px.

    Returns:
        (T, 2) degrees (left, right).
    """
    out = []
    for h, k, a, o in LEGS:
        u, v = xy[:, h] - xy[:, k], xy[:, a] - xy[:, k]
        cos = np.einsum("ti,ti->t", u, v) / np.linalg.norm(u, axis=-1) / np.linalg.norm(v, axis=-1)
        ang = 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))
        off, _ = _medial_offset(xy[:, h], xy[:, k], xy[:, a], xy[:, o])
        out.append(np.where(off < 0, -ang, ang))
    return np.stack(out, -1)


def knee_medial_disp_pct(xy: F64) -> F64:
    """(T, 2) knee distance from the hip–ankle line ÷ hip–ankle length × 100, medial + (left, right)."""
    out = []
    for h, k, a, o in LEGS:
        off, length = _medial_offset(xy[:, h], xy[:, k], xy[:, a], xy[:, o])
        out.append(100.0 * off / length)
    return np.stack(out, -1)


def kasr(xy: F64) -> F64:
    """(T,) knee-to-ankle separation ratio: horizontal knee distance ÷ horizontal ankle distance.

    NaN where the ankles overlap horizontally (a side view): the ratio means nothing there.
    """
    knees = np.abs(xy[:, Kp.L_KNEE, 0] - xy[:, Kp.R_KNEE, 0])
    ankles = np.abs(xy[:, Kp.L_ANKLE, 0] - xy[:, Kp.R_ANKLE, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ankles > 1e-6, knees / ankles, np.nan)


def trunk_angle_2d_deg(xy: F64) -> F64:
    """(T,) angle of mid-hip→mid-shoulder from image vertical, degrees (0 = upright)."""
    v = (xy[:, Kp.L_SHOULDER] + xy[:, Kp.R_SHOULDER]) / 2 - (xy[:, Kp.L_HIP] + xy[:, Kp.R_HIP]) / 2
    return np.degrees(np.arctan2(np.abs(v[:, 0]), -v[:, 1]))


def _round(a: F64, nd: int) -> Any:
    """Nested lists rounded to `nd` decimals; NaN/inf become null (strict JSON has no NaN)."""
    r = np.round(np.asarray(a, np.float64), nd)
    return np.where(np.isfinite(r), r.astype(object), np.array(None)).tolist()


def truth_dict(
    meta: dict[str, Any],
    t_s: F64,
    xy: npt.NDArray[np.floating],
    visible: npt.NDArray[np.bool_],
    depth: F64,
    valgus3d: F64,
    flexion: F64,
    lean3d: F64,
    rep: npt.NDArray[np.int64],
    lead: npt.NDArray[np.int64],
    reps: list[dict[str, Any]],
) -> dict[str, Any]:
    """The JSON-ready truth of one clip.

    Args:
        meta: clip-level fields (clip, view, exercise, spec, camera, look, fps, vfr, valgus_deg …).
        t_s: (T,) presentation times of the frames in the file, seconds.
        xy: (T, 21, 2) true 2D keypoints, Kp order, px.
        visible: (T, 21) bool, keypoint in frame and not hidden by the body.
        depth: (T,) depth fraction. valgus3d, flexion: (T, 2) degrees (left, right). lean3d: (T,) degrees.
        rep: (T,) rep index (−1 outside). lead: (T,) 0 left, 1 right, −1 none.
        reps: per-rep events.
    """
    xy64: F64 = np.asarray(xy, np.float64)
    frames = {
        "t_s": _round(t_s, 5),
        "keypoints_xy": _round(xy64, 2),
        "visible": np.asarray(visible, np.int64).tolist(),
        "fppa_deg": _round(fppa_deg(xy64), 2),
        "knee_medial_disp_pct": _round(knee_medial_disp_pct(xy64), 2),
        "kasr": _round(kasr(xy64), 4),
        "trunk_angle_2d_deg": _round(trunk_angle_2d_deg(xy64), 2),
        "trunk_lean_3d_deg": _round(lean3d, 2),
        "depth": _round(depth, 4),
        "valgus_3d_deg": _round(valgus3d, 2),
        "knee_flexion_deg": _round(flexion, 2),
        "rep": np.asarray(rep).tolist(),
        "lead": np.asarray(lead).tolist(),
    }
    return {"format": FORMAT, **meta, "keypoint_names": [k.name for k in Kp], "reps": reps, "frames": frames}


def save_truth(path: Path, truth: dict[str, Any]) -> None:
    """Write truth JSON (compact per-frame arrays), atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(truth, separators=(",", ":")) + "\n")
    tmp.replace(path)


def load_truth(path: Path) -> dict[str, Any]:
    """Read a truth JSON; per-frame lists come back as float64 arrays (`rep`, `lead` int64, `visible` bool)."""
    d = json.loads(Path(path).read_text())
    if d.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file")
    fr = d["frames"]
    for k, v in fr.items():
        fr[k] = np.asarray(v, np.int64 if k in ("rep", "lead", "visible") else np.float64)
    if "visible" in fr:
        fr["visible"] = fr["visible"].astype(bool)
    return d
