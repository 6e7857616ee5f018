"""pipeline.synth: kinematics invariants, camera geometry, a tiny render, truth helpers and truth files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pipeline.keypoints import Kp
from pipeline.synth import truth as tr
from pipeline.synth.camera import Camera
from pipeline.synth.clips import ClipPlan, render_clip
from pipeline.synth.harness import angle_cases, phase_cases, sweep
from pipeline.synth.kinematics import EXERCISES, VALGUS_PHASES, J, MotionSpec, simulate, timeline
from pipeline.synth.render import BACKGROUNDS, Look, render
from pipeline.video import probe

FAST = MotionSpec(reps=2, rep_s=1.2, pause_s=0.2, lead_in_s=0.4, fps=20.0)
BONES = [(f"{s}_{a}", f"{s}_{b}") for s in "LR" for a, b in (("HIP", "KNEE"), ("KNEE", "ANKLE"), ("SHOULDER", "ELBOW"))]
BONES += [(f"{s}_ELBOW", f"{s}_WRIST") for s in "LR"]


def _len(m: object, a: str, b: str) -> np.ndarray:
    joints = m.joints  # type: ignore[attr-defined]
    return np.linalg.norm(joints[:, J[a]] - joints[:, J[b]], axis=-1)


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize("arms", ["hips", "forward", "overhead"])
def test_bone_lengths_constant(exercise: str, arms: str) -> None:
    m = simulate(replace(FAST, exercise=exercise, arms=arms, valgus_deg=(15.0, 5.0)))
    for a, b in BONES:
        seg = _len(m, a, b)
        assert np.ptp(seg) < 1e-6, (a, b, np.ptp(seg))
    assert np.all(m.joints[:, :, 1] > -1e-9)  # nothing under the floor


def test_squat_feet_planted_and_depth() -> None:
    m = simulate(FAST)
    for k in (Kp.L_ANKLE, Kp.R_ANKLE, Kp.L_HEEL, Kp.R_HEEL, Kp.L_TOE, Kp.R_TOE):
        assert np.ptp(m.joints[:, k], axis=0).max() < 1e-9
    hip_y = m.joints[:, J["MID_HIP"], 1]
    assert m.depth.max() == pytest.approx(1.0, abs=0.01)
    bottom = hip_y[np.argmax(m.depth)]
    knee_y = m.joints[np.argmax(m.depth), Kp.L_KNEE, 1]
    assert bottom < knee_y < hip_y[0]  # full depth: hips below the knees


def test_valgus_moves_knee_medially_not_flexion() -> None:
    good, bad = simulate(FAST), simulate(replace(FAST, valgus_deg=(20.0, 20.0)))
    np.testing.assert_allclose(good.knee_flexion_deg, bad.knee_flexion_deg, atol=1e-6)
    i = int(np.argmax(good.depth))
    assert good.knee_flexion_deg[i].min() > 90
    assert bad.joints[i, Kp.L_KNEE, 0] < good.joints[i, Kp.L_KNEE, 0] - 0.05  # left knee toward the midline (−x)
    assert bad.joints[i, Kp.R_KNEE, 0] > good.joints[i, Kp.R_KNEE, 0] + 0.05
    assert bad.valgus_deg[i] == pytest.approx([20.0, 20.0])
    np.testing.assert_allclose(good.joints[0], bad.joints[0], atol=1e-9)  # standing: no cave


# 50 fps so a frame lands near every rep's mid-depth; a pause so "bottom" frames exist between descent and ascent
PHASED = replace(FAST, rep_s=2.0, pause_s=0.3, fps=50.0, valgus_deg=(20.0, 10.0))


def _phases(m: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(T,) depth phase d, descending mask and rising mask of a simulated motion (the pause is neither)."""
    spec = m.spec  # type: ignore[attr-defined]
    tl = np.array([timeline(spec, float(t)) for t in m.t_s])  # type: ignore[attr-defined]
    d, r, tau = tl[:, 0], tl[:, 1], tl[:, 3]
    half = spec.rep_s / 2
    return d, (r >= 0) & (tau < half), (r >= 0) & (tau >= half + spec.pause_s)


@pytest.mark.parametrize("exercise", ["squat", "forward_lunge"])
def test_valgus_phase_all_is_cave_times_depth(exercise: str) -> None:
    spec = replace(PHASED, exercise=exercise, depth=0.8)
    m = simulate(spec)
    d, _, _ = _phases(m)
    assert spec.valgus_phase == "all"
    assert np.array_equal(m.valgus_deg, np.array(spec.valgus_deg) * d[:, None])  # bit-identical to the old formula
    np.testing.assert_allclose(m.depth, d * spec.depth, atol=1e-12)


@pytest.mark.parametrize("phase", ["up", "down"])
def test_valgus_phase_up_down_peak_mid_depth_of_one_direction(phase: str) -> None:
    m = simulate(replace(PHASED, valgus_phase=phase))
    d, down, up = _phases(m)
    on, off = (up, down) if phase == "up" else (down, up)
    assert np.all(m.valgus_deg[off | ~(down | up)] == 0)  # the other direction, the pause, standing: no cave
    np.testing.assert_allclose(m.valgus_deg[on], np.outer(np.sin(np.pi * d[on]), PHASED.valgus_deg), atol=1e-12)
    for r in range(PHASED.reps):
        i = np.flatnonzero(on & (m.rep == r))[np.argmax(m.valgus_deg[on & (m.rep == r), 0])]
        assert abs(d[i] - 0.5) < 0.1 and m.valgus_deg[i, 0] > 0.97 * 20.0
    assert m.valgus_deg[d > 0.97].max() < 0.1 * 20.0  # knees over the feet at the very bottom


def test_valgus_phase_bottom_only_below_60_percent() -> None:
    m = simulate(replace(PHASED, valgus_phase="bottom", depth=0.5))
    d, down, up = _phases(m)
    assert np.all(m.valgus_deg[d <= 0.6] == 0)
    np.testing.assert_allclose(m.valgus_deg[d >= 0.9], np.broadcast_to(PHASED.valgus_deg, (int((d >= 0.9).sum()), 2)))
    assert (m.valgus_deg[down, 0] > 5).any() and (m.valgus_deg[up, 0] > 5).any()  # both directions
    with pytest.raises(ValueError):
        MotionSpec(valgus_phase="sideways")


@pytest.mark.parametrize("exercise", ["squat", "forward_lunge"])
@pytest.mark.parametrize("phase", VALGUS_PHASES)
def test_truth_valgus_is_the_applied_rotation(exercise: str, phase: str) -> None:
    spec = replace(PHASED, exercise=exercise, valgus_phase=phase)
    bad, good = simulate(spec), simulate(replace(spec, valgus_deg=(0.0, 0.0)))
    for k, (hip, knee, ankle) in enumerate([(Kp.L_HIP, Kp.L_KNEE, Kp.L_ANKLE), (Kp.R_HIP, Kp.R_KNEE, Kp.R_ANKLE)]):
        np.testing.assert_allclose(bad.joints[:, [hip, ankle]], good.joints[:, [hip, ankle]], atol=1e-12)
        axis = bad.joints[:, hip] - bad.joints[:, ankle]
        axis /= np.linalg.norm(axis, axis=-1, keepdims=True)

        def off_line(m: object, axis: np.ndarray = axis, knee: int = knee, ankle: int = ankle) -> np.ndarray:
            v = m.joints[:, knee] - m.joints[:, ankle]  # type: ignore[attr-defined]
            return v - (v * axis).sum(-1, keepdims=True) * axis

        a, b = off_line(good), off_line(bad)
        bent = np.linalg.norm(a, axis=-1) > 0.01  # standing the knee is on the line: no angle to measure
        cos = (a * b).sum(-1) / np.linalg.norm(a, axis=-1) / np.linalg.norm(b, axis=-1)
        applied = np.degrees(np.arccos(np.clip(cos, -1, 1)))
        np.testing.assert_allclose(applied[bent], bad.valgus_deg[bent, k], atol=1e-4)
        caved = bent & (bad.valgus_deg[:, k] > 1)
        assert caved.any()
        assert np.all(np.abs(bad.joints[caved, knee, 0]) < np.abs(good.joints[caved, knee, 0]))  # toward the midline


def test_phase_cases_cover_each_phase_good_and_caved() -> None:
    cases = phase_cases()
    assert 24 <= len(cases) <= 30 and len({c.plan.name for c in cases}) == len(cases)
    for ph in ("down", "bottom", "up"):
        mine = [c for c in cases if c.plan.motion.valgus_phase == ph]
        assert all(c.plan.name.startswith(ph + "_") for c in mine)
        good = [c for c in mine if max(c.plan.motion.valgus_deg) <= 5]
        caved = [c for c in mine if max(c.plan.motion.valgus_deg) >= 15]
        assert good and all(c.expect_knee == "green" for c in good)
        assert caved and all(set(c.expect_knee.split("|")) == {"amber", "red"} for c in caved)  # type: ignore[union-attr]
        assert {c.plan.motion.depth for c in caved} == {0.5, 1.0} and {c.plan.camera.yaw_deg for c in caved} == {0, 30}
    assert any(c.plan.motion.stance_width == 0.40 and c.plan.motion.toe_out_deg >= 25 for c in cases)
    old = sweep()
    assert all(c.plan.motion.valgus_phase == "all" for c in old)
    assert not any("amber" in (c.expect_knee or "") for c in old)  # the old cases still want red for ≥ 15°
    assert [c.plan.name for c in sweep(phases=True)] == [c.plan.name for c in old + cases]


def test_angle_cases_sit_where_knees_are_only_flagged_and_never_pass_a_cave() -> None:
    cases = angle_cases()
    assert len(cases) == 12 and len({c.plan.name for c in cases}) == 12
    assert all(35 < c.plan.camera.yaw_deg < 45 for c in cases)
    for c in cases:
        cave = max(c.plan.motion.valgus_deg)
        assert c.expect_knee == ("green|grey" if cave <= 5 else "amber|red|grey")  # a good knee never flagged
    assert [c.plan.name for c in sweep(angles=True)] == [c.plan.name for c in sweep() + cases]


@pytest.mark.parametrize("exercise", ["forward_lunge", "reverse_lunge", "walking_lunge"])
def test_lunge_lead_leg_alternates(exercise: str) -> None:
    m = simulate(replace(FAST, exercise=exercise, reps=3, lunge_leads=("left", "right")))
    assert [e.lead for e in m.events] == ["left", "right", "left"]
    for e in m.events:
        i = int(np.argmin(np.abs(m.t_s - e.bottom_s)))
        front, rear = (Kp.L_ANKLE, Kp.R_ANKLE) if e.lead == "left" else (Kp.R_ANKLE, Kp.L_ANKLE)
        assert m.joints[i, front, 2] > m.joints[i, rear, 2] + 0.5  # split stance, lead foot in front
        assert m.lead[i] == (0 if e.lead == "left" else 1)
        assert m.joints[i, rear, 1] > m.joints[0, rear, 1]  # rear heel up
    z0 = m.joints[0, Kp.L_ANKLE, 2]
    moved = m.joints[-1, Kp.L_ANKLE, 2] - z0
    assert moved > 1.0 if exercise == "walking_lunge" else abs(moved) < 1e-9


def test_spec_shorthands() -> None:
    assert MotionSpec(exercise="forward_lunge", lead_leg="alternate").lunge_leads == ("left", "right")
    m = simulate(replace(FAST, exercise="reverse_lunge", reps=3, lead_leg="right"))
    assert [e.lead for e in m.events] == ["right"] * 3
    up = simulate(replace(FAST, arms="overhead")).joints[0]
    assert up[J["L_WRIST"], 1] > up[J["HEAD_TOP"], 1] and up[J["R_WRIST"], 1] > up[J["HEAD_TOP"], 1]
    jit = simulate(replace(FAST, vfr=True)).t_s
    assert np.ptp(np.diff(jit)) > 0.2 / FAST.fps and np.all(np.diff(jit) >= 0)
    with pytest.raises(ValueError):
        MotionSpec(arms="waving")


def test_rep_events_match_depth() -> None:
    spec = replace(FAST, reps=3)
    m = simulate(spec)
    assert len(m.events) == 3 and m.events[0].start_s == pytest.approx(FAST.lead_in_s)
    for r, e in enumerate(m.events):
        inside = m.rep == r
        assert m.t_s[inside].min() >= e.start_s - 1e-9 and m.t_s[inside].max() <= e.end_s + 1e-9
        assert abs(m.t_s[inside][np.argmax(m.depth[inside])] - e.bottom_s) <= FAST.pause_s / 2 + 1 / FAST.fps
    assert m.t_s[-1] == pytest.approx(spec.duration_s - 1 / spec.fps)


def test_projection_sides_and_views() -> None:
    j = simulate(FAST).joints[0]
    front = Camera(yaw_deg=0).project(j)
    assert front[Kp.L_HIP, 0] > front[Kp.R_HIP, 0]  # the person's left on the image right
    assert front[Kp.NOSE, 1] < front[Kp.L_HIP, 1] < front[Kp.L_ANKLE, 1]
    side = Camera(yaw_deg=90).project(j)
    assert abs(side[Kp.L_HIP, 0] - side[Kp.R_HIP, 0]) < 0.2 * abs(front[Kp.L_HIP, 0] - front[Kp.R_HIP, 0])
    assert side[Kp.L_TOE, 0] < side[Kp.L_HEEL, 0]  # camera on the left: the person faces image-left
    assert [Camera(yaw_deg=y).view for y in (0, 30, 45, 90, -90)] == ["front", "oblique", "oblique", "side", "side"]
    assert np.all((front >= 0) & (front < [360, 640]))


def test_tiny_render_has_body_where_joints_are() -> None:
    cam = Camera(W=120, H=200)
    j = simulate(FAST).joints[0]
    img = render(cam, j).astype(int)
    empty = render(cam, j + np.array([5.0, 0.0, 0.0])).astype(int)  # the figure out of frame: background only
    assert img.shape == (200, 120, 3)
    uv = np.round(cam.project(j)).astype(int)
    for k in (Kp.NOSE, Kp.L_SHOULDER, Kp.R_SHOULDER, Kp.L_HIP, Kp.R_HIP, Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE):
        x, y = uv[k]
        assert np.abs(img[y, x] - empty[y, x]).sum() > 30, k.name
    assert np.array_equal(img[:20], empty[:20])  # above the head: background only


def test_truth_2d_visibility() -> None:
    m = simulate(replace(FAST, reps=1, arms="hips"))
    xy, vis = tr.truth_2d(m, Camera(yaw_deg=0))
    assert xy.dtype == np.float32 and xy.shape == (len(m), 21, 2) and vis.shape == (len(m), 21)
    np.testing.assert_allclose(xy, Camera().project(m.joints[:, :21]), atol=1e-3)
    for k in (Kp.NOSE, Kp.L_SHOULDER, Kp.R_SHOULDER, Kp.L_KNEE, Kp.R_KNEE, Kp.L_ANKLE, Kp.R_ANKLE, Kp.L_TOE):
        assert vis[:, k].all(), k.name  # square-on: the front of the body is seen
    assert not vis[:, [Kp.L_HEEL, Kp.R_HEEL]].any()  # heels are behind the shoes
    _, side = tr.truth_2d(m, Camera(yaw_deg=90))  # camera on the person's left
    assert side[0, Kp.L_HIP] and side[0, Kp.L_KNEE] and not side[0, Kp.R_HIP] and not side[0, Kp.R_EAR]
    _, gone = tr.truth_2d(m, Camera(yaw_deg=0, distance_m=0.6))  # too close: feet out of frame
    assert not gone[:, [Kp.L_ANKLE, Kp.R_ANKLE]].any()


@pytest.mark.parametrize("background", BACKGROUNDS)
def test_backgrounds_differ_figure_same(background: str) -> None:
    cam = Camera(W=90, H=160)
    j = simulate(FAST).joints[0]
    img = render(cam, j, Look(background=background)).astype(int)
    ref = render(cam, j, Look(background="plain")).astype(int)
    uv = np.round(cam.project(j[[Kp.L_SHOULDER, Kp.L_KNEE]])).astype(int)
    for x, y in uv:  # the body pixels do not depend on the room
        assert np.abs(img[y, x] - ref[y, x]).sum() <= 6
    assert (background == "plain") == np.array_equal(img[:8], ref[:8])


def test_truth_helpers_signs() -> None:
    xy = np.zeros((1, 21, 2))
    xy[0, [Kp.L_HIP, Kp.R_HIP]] = [[120, 100], [80, 100]]
    xy[0, [Kp.L_ANKLE, Kp.R_ANKLE]] = [[120, 300], [80, 300]]
    xy[0, [Kp.L_KNEE, Kp.R_KNEE]] = [[110, 200], [80, 200]]  # left knee 10 px toward the midline
    fppa, disp = tr.fppa_deg(xy)[0], tr.knee_medial_disp_pct(xy)[0]
    assert fppa[0] == pytest.approx(2 * np.degrees(np.arctan(10 / 100))) and fppa[1] == pytest.approx(0.0)
    assert disp[0] == pytest.approx(5.0) and tr.kasr(xy)[0] == pytest.approx(30 / 40)
    xy[0, Kp.L_KNEE, 0] = 130  # outward: varus, negative
    assert tr.fppa_deg(xy)[0, 0] < 0 and tr.knee_medial_disp_pct(xy)[0, 0] == pytest.approx(-5.0)


@pytest.mark.parametrize("vfr", [False, True], ids=["cfr", "vfr"])
def test_clip_and_truth_round_trip(tmp_path: Path, vfr: bool) -> None:
    spec = replace(FAST, reps=1, fps=15.0, valgus_deg=(20.0, 20.0), arms="hips")
    plan = ClipPlan("tiny", spec, Camera(W=120, H=200), vfr=vfr)
    video, truth_path = render_clip(plan, tmp_path)
    t = tr.load_truth(truth_path)
    info = probe(video)
    assert info.is_vfr == vfr and t["vfr"] == vfr and (info.width, info.height) == (120, 200)
    fr = t["frames"]
    np.testing.assert_allclose(fr["t_s"], info.t_s, atol=1e-4)
    m = simulate(spec, fr["t_s"])
    np.testing.assert_allclose(fr["keypoints_xy"], plan.camera.project(m.joints[:, :21]), atol=0.01)
    assert t["keypoint_names"] == [k.name for k in Kp] and t["view"] == "front" and t["exercise"] == "squat"
    i = int(np.argmax(fr["depth"]))
    assert fr["fppa_deg"][i].min() > 10 and fr["knee_medial_disp_pct"][i].min() > 3  # the cave shows in 2D
    assert fr["valgus_3d_deg"][i] == pytest.approx([20.0, 20.0], abs=2.0)
    assert len(t["reps"]) == 1 and t["reps"][0]["bottom_s"] == pytest.approx(m.events[0].bottom_s)
    assert fr["rep"].dtype == np.int64 and fr["keypoints_xy"].shape == (len(info.t_s), 21, 2)
    assert fr["visible"].dtype == bool and fr["visible"][:, Kp.L_KNEE].all()
