"""Rendered clips with ground truth: an H.264 video plus `<clip>.truth.json`, and the shipped sample set.

A VFR clip is rendered on a grid of twice the nominal rate and only some grid frames are kept (gaps of 1–3
grid steps, the pattern repeating every VFR_CYCLE steps so ffmpeg's expression stays short); ffmpeg's `select`
filter with `-fps_mode vfr` writes those frames with their real timestamps, and the truth file carries the
times read back from the written file.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pipeline.synth import truth as tr
from pipeline.synth.camera import Camera
from pipeline.synth.kinematics import MotionSpec, simulate
from pipeline.synth.render import SKIN_TONES, Look, render
from pipeline.video import ClipWriter, ffmpeg_exe, probe

VFR_CYCLE = 32  # the drop pattern repeats every 32 double-rate frames (~0.5 s at 30 fps)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ClipPlan:
    """One clip to render: motion, camera, look and encoding."""

    name: str
    motion: MotionSpec
    camera: Camera = field(default_factory=Camera)
    look: Look = field(default_factory=Look)
    crf: int = 28
    vfr: bool = False
    ss: int = 2


def sample_plans() -> list[ClipPlan]:
    """The four clips shipped in sample_videos/ (360×640 portrait, 30 fps, 3 reps, ~9 s)."""
    base = MotionSpec(reps=3, rep_s=2.4, pause_s=0.3, lead_in_s=0.9, arms="hips", stance_width=0.30, fps=30.0)
    return [
        ClipPlan("squat_front_good", base, Camera(yaw_deg=0.0), Look(skin=SKIN_TONES["light"], background="plain")),
        ClipPlan(
            "squat_front_valgus20",
            MotionSpec(**{**asdict(base), "valgus_deg": (20.0, 20.0)}),
            Camera(yaw_deg=0.0),
            Look(skin=SKIN_TONES["tan"], shirt=(0.55, 0.12, 0.10)),
        ),
        ClipPlan(
            "squat_side",
            base,
            Camera(yaw_deg=90.0),
            Look(skin=SKIN_TONES["dark"], shirt=(0.10, 0.40, 0.22), background="textured"),
        ),
        ClipPlan(
            "lunge_forward_front",
            MotionSpec(**{**asdict(base), "exercise": "forward_lunge", "lunge_leads": ("left", "right")}),
            Camera(yaw_deg=0.0, distance_m=3.3),
            Look(skin=SKIN_TONES["medium"], shirt=(0.45, 0.45, 0.48), shorts=(0.05, 0.10, 0.25)),
        ),
    ]


def _vfr_cycle(rng: np.random.Generator, cycle: int = VFR_CYCLE) -> npt.NDArray[np.intp]:
    """Kept positions within one cycle of the double-rate grid: gaps of 1, 2 or 3 steps (about half kept)."""
    while True:
        steps = rng.choice([1, 2, 3], size=cycle, p=[0.25, 0.5, 0.25])
        idx = np.concatenate([[0], np.cumsum(steps)])
        if idx[idx < cycle][-1] >= cycle - 3:  # the wrap-around gap is at most 3 steps too
            return idx[idx < cycle].astype(np.intp)


def _select_vfr(src: Path, dst: Path, cycle_keep: npt.NDArray[np.intp], crf: int) -> None:
    """Re-encode `src` keeping frames whose index mod VFR_CYCLE is in `cycle_keep`, with their own timestamps."""
    expr = "+".join(f"eq(mod(n\\,{VFR_CYCLE})\\,{int(i)})" for i in cycle_keep)
    args = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", str(src)]
    args += ["-vf", f"select='{expr}'", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "medium"]
    args += ["-crf", str(crf), "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-an", str(dst)]
    done = subprocess.run(args, capture_output=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"ffmpeg select failed: {done.stderr.decode(errors='replace')[-300:]}")


def render_clip(plan: ClipPlan, out_dir: Path, progress: Progress | None = None) -> tuple[Path, Path]:
    """Render one clip and its truth file.

    Args:
        plan: what to render.
        out_dir: folder for `<name>.mp4` and `<name>.truth.json`.
        progress: called as progress(done, total) after each rendered frame.

    Returns:
        (video path, truth path).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    video, truth_path = out_dir / f"{plan.name}.mp4", out_dir / f"{plan.name}.truth.json"
    spec, cam = plan.motion, plan.camera
    fps = Fraction(spec.fps).limit_denominator(1001)
    n = int(round(spec.duration_s * spec.fps))
    if plan.vfr:
        grid = 2 * fps
        cycle_keep = _vfr_cycle(np.random.default_rng(spec.seed))
        keep = np.nonzero(np.isin(np.arange(2 * n) % VFR_CYCLE, cycle_keep))[0]
        t_s = keep / float(grid)
    else:
        grid, keep, t_s, cycle_keep = fps, np.arange(n), np.arange(n) / float(fps), np.arange(1)
    motion = simulate(spec, t_s)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        target = Path(tmp) / "cfr.mp4" if plan.vfr else video
        with ClipWriter(target, cam.W, cam.H, grid, crf=12 if plan.vfr else plan.crf, preset="medium") as w:
            nxt = list(keep[1:]) + [keep[-1] + 1]
            for i, joints in enumerate(motion.joints):
                frame = render(cam, joints, plan.look, plan.ss)
                for _ in range(int(nxt[i] - keep[i])):
                    w.write(frame)
                if progress:
                    progress(i + 1, len(motion))
        if plan.vfr:
            _select_vfr(target, video, cycle_keep, plan.crf)
    info = probe(video)
    if info.n_frames != len(t_s) or not np.allclose(info.t_s, t_s - t_s[0], atol=0.5 / float(grid)):
        raise RuntimeError(f"{video.name}: written timestamps do not match the rendered ones")
    xy, visible = tr.truth_2d(motion, cam)
    spec_json = {k: (str(v) if isinstance(v, Fraction) else v) for k, v in asdict(spec).items()}
    meta: dict[str, Any] = {
        "clip": video.name,
        "view": cam.view,
        "exercise": spec.exercise,
        "valgus_deg": list(spec.valgus_deg),  # the peak; when in the rep: valgus_phase, per frame: valgus_3d_deg
        "valgus_phase": spec.valgus_phase,
        "fps": str(fps),
        "vfr": bool(info.is_vfr),
        "frame_wh": [cam.W, cam.H],
        "spec": spec_json,
        "camera": cam.to_dict(),
        "look": asdict(plan.look),
        "note": "keypoints are joint centres (ankle inside the shoe, hip inside the pelvis), not surface points",
    }
    reps = [asdict(e) for e in motion.events]
    truth = tr.truth_dict(
        meta,
        info.t_s,
        xy,
        visible,
        motion.depth,
        motion.valgus_deg,
        motion.knee_flexion_deg,
        motion.trunk_lean_deg,
        motion.rep,
        motion.lead,
        reps,
    )
    tr.save_truth(truth_path, truth)
    return video, truth_path
