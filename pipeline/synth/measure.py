"""Raw pose-model accuracy on rendered clips: detection rate, per-joint 2D error and bias, knee metrics at depth.

Unlike `harness` (the whole pipeline: tracking, cleaning, scoring), this scores each model's per-frame output
against the true joint centres, so the models' own systematic offsets show (e.g. BlazePose's ankle at the shoe
top). Renders its clips into a folder, decodes them like any video, runs `pipeline.pose` backends; prints nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pipeline.keypoints import PAIRS_BY_PART, FramePoses, Kp
from pipeline.pose.base import PoseBackend
from pipeline.synth import truth as tr
from pipeline.synth.camera import Camera
from pipeline.synth.clips import ClipPlan, render_clip
from pipeline.synth.kinematics import MotionSpec
from pipeline.synth.render import SKIN_TONES, Look
from pipeline.video import probe, read_frames

F64 = npt.NDArray[np.float64]
GROUPS: dict[str, tuple[Kp, Kp]] = {
    part: PAIRS_BY_PART[part] for part in ("shoulder", "hip", "knee", "ankle", "heel", "toe")
}


@dataclass
class ModelScore:
    """One model on one clip. Errors are medians over detected frames; bias is (dx, dy) px, image y down."""

    clip: str
    model: str
    frames: int
    detect_rate: float
    err_px: dict[str, float] = field(default_factory=dict)
    err_pct_leg: dict[str, float] = field(default_factory=dict)
    bias_px: dict[str, tuple[float, float]] = field(default_factory=dict)
    kasr_bottom: tuple[float, float] = (float("nan"), float("nan"))  # (model, truth), median at depth ≥ 0.9
    fppa_bottom: tuple[float, float] = (float("nan"), float("nan"))  # (model, truth), mean of legs, degrees


def plans(size: tuple[int, int] = (360, 640)) -> list[ClipPlan]:
    """Good and 20° knee-cave squats seen from the front and at 45°, a 45° forward lunge and a side squat."""
    base = MotionSpec(reps=3, rep_s=2.4, pause_s=0.3, lead_in_s=0.9, arms="hips", stance_width=0.30)
    cave = replace(base, valgus_deg=(20.0, 20.0))
    lunge = replace(base, exercise="forward_lunge", lead_leg="alternate")
    w, h = size
    look = Look(skin=SKIN_TONES["medium"])
    out = []
    for name, spec, yaw in (
        ("good_front", base, 0.0),
        ("valgus20_front", cave, 0.0),
        ("good_45", base, 45.0),
        ("valgus20_45", cave, 45.0),
        ("lunge_45", lunge, 45.0),
        ("good_side", base, 90.0),
    ):
        dist = 3.3 if spec.is_lunge else 2.8
        out.append(ClipPlan(name, spec, Camera(yaw_deg=yaw, distance_m=dist, W=w, H=h), look))
    return out


def _best(fp: FramePoses, truth_xy: F64) -> F64 | None:
    """(21, 2) keypoints of the detected person nearest the true hips, or None when nobody was found."""
    if len(fp) == 0:
        return None
    mid = truth_xy[[Kp.L_HIP, Kp.R_HIP]].mean(0)
    d = np.nanmean(np.linalg.norm(fp.xy[:, [Kp.L_HIP, Kp.R_HIP]] - mid, axis=-1), axis=1)
    return fp.xy[int(np.nanargmin(d))].astype(np.float64) if np.isfinite(d).any() else None


def score(name: str, model: str, xy: F64, truth: dict) -> ModelScore:
    """Compare model keypoints xy (T, 21, 2), NaN where not found, with a loaded truth file."""
    fr = truth["frames"]
    true_xy = fr["keypoints_xy"]
    found = np.isfinite(xy[:, Kp.L_KNEE, 0]) | np.isfinite(xy[:, Kp.R_KNEE, 0])
    standing = fr["depth"] < 0.02
    leg2d = np.linalg.norm(true_xy[:, [Kp.L_HIP, Kp.R_HIP]] - true_xy[:, [Kp.L_KNEE, Kp.R_KNEE]], axis=-1)
    leg2d += np.linalg.norm(true_xy[:, [Kp.L_KNEE, Kp.R_KNEE]] - true_xy[:, [Kp.L_ANKLE, Kp.R_ANKLE]], axis=-1)
    leg = float(np.median(leg2d[standing])) if standing.any() else float(np.median(leg2d))
    s = ModelScore(name, model, len(xy), float(found.mean()))
    for g, idx in GROUPS.items():
        d = xy[:, list(idx)] - true_xy[:, list(idx)]
        e = np.linalg.norm(d, axis=-1)
        if np.isfinite(e).any():
            s.err_px[g] = float(np.nanmedian(e))
            s.err_pct_leg[g] = 100.0 * s.err_px[g] / leg
            s.bias_px[g] = (float(np.nanmedian(d[..., 0])), float(np.nanmedian(d[..., 1])))
    bottom = fr["depth"] >= 0.9 * max(float(fr["depth"].max()), 1e-9)
    if bottom.any() and truth["view"] != "side":
        with np.errstate(invalid="ignore", divide="ignore"):
            s.kasr_bottom = (float(np.nanmedian(tr.kasr(xy)[bottom])), float(np.median(fr["kasr"][bottom])))
            s.fppa_bottom = (
                float(np.nanmedian(tr.fppa_deg(xy)[bottom])),
                float(np.median(fr["fppa_deg"][bottom])),
            )
    return s


def run(
    folder: Path, models: dict[str, Callable[[], PoseBackend]], clip_plans: list[ClipPlan] | None = None
) -> list[ModelScore]:
    """Render (or reuse) each clip in `folder`, run every model on every decoded frame, score it.

    Args:
        folder: where clips and truth files go (kept; existing ones are reused).
        models: name → a factory of a `pipeline.pose` backend; a fresh one runs on each clip (BlazePose's
            tracking state must not carry over between clips).
        clip_plans: the clips; default `plans()`.

    Returns:
        One ModelScore per clip and model.
    """
    out = []
    for plan in clip_plans or plans():
        video, truth_path = folder / f"{plan.name}.mp4", folder / f"{plan.name}.truth.json"
        if not (video.exists() and truth_path.exists()):
            video, truth_path = render_clip(plan, folder)
        truth = tr.load_truth(truth_path)
        info = probe(video)
        for mname, factory in models.items():
            model = factory()
            xy = np.full((info.n_frames, 21, 2), np.nan)
            try:
                for i, _t, frame in read_frames(info):
                    best = _best(model(frame), truth["frames"]["keypoints_xy"][i])
                    if best is not None:
                        xy[i] = best
            finally:
                model.close()
            out.append(score(plan.name, mname, xy, truth))
    return out


def table(rows: list[ModelScore]) -> str:
    """Markdown table: detection, median error px (% of leg) per joint, bias of ankles/hips, knee metrics."""
    head = "| clip | model | detected | shoulder | hip | knee | ankle | heel | toe | ankle bias (dx, dy) | "
    head += "hip bias | KASR bottom (model / true) | FPPA bottom (model / true) |"
    lines = [head, "|" + "---|" * 13]

    def cell(r: ModelScore, g: str) -> str:
        return f"{r.err_px[g]:.1f} ({r.err_pct_leg[g]:.1f} %)" if g in r.err_px else "–"

    def bias(r: ModelScore, g: str) -> str:
        return f"{r.bias_px[g][0]:+.1f}, {r.bias_px[g][1]:+.1f}" if g in r.bias_px else "–"

    for r in rows:
        lines.append(
            f"| {r.clip} | {r.model} | {100 * r.detect_rate:.1f} % | "
            + " | ".join(cell(r, g) for g in GROUPS)
            + f" | {bias(r, 'ankle')} | {bias(r, 'hip')} | {r.kasr_bottom[0]:.2f} / {r.kasr_bottom[1]:.2f} | "
            f"{r.fppa_bottom[0]:.1f} / {r.fppa_bottom[1]:.1f} |"
        )
    return "\n".join(lines)
