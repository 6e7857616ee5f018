"""Client choice and linking on synthetic detections whose right answer is known by construction."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from pipeline.keypoints import N_KP, FramePoses, Kp
from pipeline.settings import TrackSettings
from pipeline.track import box_iou, build_track, time_shares

W, H = 640, 480


def person(cx: float, top: float, height: float, hip_drop: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A crude standing figure: keypoints spread over a box; hips lowered by hip_drop pixels."""
    xy = np.full((N_KP, 2), np.nan, np.float32)
    ys = top + height * np.linspace(0.05, 0.95, 17)
    xy[:17, 0] = cx + np.where(np.arange(17) % 2, -0.1, 0.1) * height
    xy[:17, 1] = ys
    xy[[Kp.L_HIP, Kp.R_HIP], 1] = top + 0.5 * height + hip_drop
    box = np.array([cx - 0.2 * height, top, cx + 0.2 * height, top + height], np.float32)
    return xy, box


def frame(*people: tuple[np.ndarray, np.ndarray], order: list[int] | None = None) -> FramePoses:
    if not people:
        return FramePoses.empty()
    idx = order or list(range(len(people)))
    xy = np.stack([people[i][0] for i in idx])
    return FramePoses(
        xy=xy,
        conf=np.where(np.isfinite(xy[..., 0]), 0.9, 0.0).astype(np.float32),
        boxes=np.stack([people[i][1] for i in idx]),
        scores=np.full(len(idx), 0.9, np.float32),
    )


def squat_hips(i: int) -> float:
    return 40.0 * (1 - np.cos(2 * np.pi * i / 30)) / 2


def run(frames: list[FramePoses]):
    t = np.arange(len(frames)) / 30.0
    return build_track(frames, t, (W, H), Fraction(30), TrackSettings())


def test_box_iou_by_hand() -> None:
    a = np.array([[0, 0, 10, 10]], np.float32)
    b = np.array([[5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    assert box_iou(a, b) == pytest.approx(np.array([[50 / 150, 0.0]]))


def test_client_is_the_squatting_person_not_the_still_bystander_even_when_order_flips() -> None:
    frames = []
    for i in range(90):
        client = person(320, 100, 300, squat_hips(i))
        bystander = person(560, 150, 200)
        frames.append(frame(client, bystander, order=[1, 0] if i % 2 else [0, 1]))
    tr = run(frames)
    # the client's box centre stays at x=320 in every frame despite the detection order flipping
    assert np.allclose((tr.boxes[:, 0] + tr.boxes[:, 2]) / 2, 320)
    assert "Ignored 1 other person" in tr.note


def test_mirror_reflection_present_only_at_start_loses_on_presence() -> None:
    frames = []
    for i in range(120):
        client = person(250, 100, 280, squat_hips(i))
        mirror = person(450, 90, 300, squat_hips(i))  # bigger, moving the same, but only the first 30 frames
        frames.append(frame(mirror, client) if i < 30 else frame(client))
    tr = run(frames)
    assert np.allclose((tr.boxes[:, 0] + tr.boxes[:, 2]) / 2, 250)


def test_client_lost_for_a_second_is_stitched_and_gap_stays_nan() -> None:
    frames = [
        frame(person(320, 100, 300, squat_hips(i))) if not 40 <= i < 70 else FramePoses.empty() for i in range(120)
    ]
    tr = run(frames)
    assert tr.seen.sum() == 90
    assert np.isnan(tr.xy[40:70]).all()
    assert np.isfinite(tr.xy[:40, Kp.L_HIP]).all() and np.isfinite(tr.xy[70:, Kp.L_HIP]).all()


def test_no_person_gives_empty_track_with_reason() -> None:
    tr = run([FramePoses.empty()] * 20)
    assert not tr.seen.any()
    assert "No person" in tr.note


def test_a_person_seen_only_in_short_stretches_is_told_apart_from_nobody() -> None:
    """Someone detected in 15 % of the clip, in one stretch, is too little to be the client: the track stays empty,
    and the error line says a person was followed through only that much, not that nobody was found."""
    from pipeline.job import no_person_line

    frames = [frame(person(320, 100, 300, squat_hips(i))) if i < 18 else FramePoses.empty() for i in range(120)]
    tr = run(frames)
    assert not tr.seen.any() and tr.extra["best_presence"] == pytest.approx(0.15, abs=0.01)
    line = no_person_line("side squat.mp4", 120, tr.extra["best_presence"], TrackSettings().min_present_frac)
    assert line.startswith("side squat.mp4: a person was followed through only 15% of the clip at most")
    assert "at least 20% is needed" in line
    nobody = run([FramePoses.empty()] * 20)
    assert "best_presence" not in nobody.extra
    assert no_person_line("empty.mp4", 20, None, TrackSettings().min_present_frac) == (
        "empty.mp4: no person found in 20 frames; is the client in view?"
    )


def test_a_client_seen_in_short_stretches_is_the_client_when_the_stretches_add_up() -> None:
    """Plates hiding a side squatter's head broke a real client into many short tracks, the longest 17 % of the
    clip: the share needed is the person's, so stretches of one person (boxes meeting across the gaps) are joined
    before it is asked. Three stretches of 18 frames (15 % each) with 1 s gaps: 45 % of the clip."""
    frames = [FramePoses.empty()] * 120
    for start in (0, 48, 96):
        for i in range(start, start + 18):
            frames[i] = frame(person(320, 100, 300, squat_hips(i)))
    tr = run(frames)
    assert tr.seen.sum() == 54 and "best_presence" not in tr.extra


def test_equal_people_choice_is_deterministic() -> None:
    frames = [frame(person(200, 100, 250, squat_hips(i)), person(440, 100, 250, squat_hips(i))) for i in range(60)]
    a, b = run(frames), run(frames)
    assert np.array_equal(a.boxes, b.boxes, equal_nan=True)


def test_a_client_moved_across_the_frame_by_a_cut_is_stitched_when_alone() -> None:
    # a video edit moves the client from the left to the right third: no box overlap across the cut
    frames = [frame(person(150 if i < 60 else 480, 100, 300, squat_hips(i))) for i in range(120)]
    tr = run(frames)
    assert tr.seen.all() and "Ignored" not in tr.note
    # someone twice the client's size (the coach at the phone) after the cut is not the client
    frames = [frame(person(150, 100, 300, squat_hips(i))) if i < 60 else frame(person(480, 0, 470)) for i in range(120)]
    frames[:60] = [frame(person(150, 100, 150, squat_hips(i))) for i in range(60)]
    assert run(frames).seen.sum() == 60


def test_without_a_cut_a_second_person_keeps_fragments_apart() -> None:
    # two people in frame at once at the start: a fragment elsewhere later needs box overlap to join
    frames = [frame(person(150, 100, 300, squat_hips(i)), person(560, 150, 200)) for i in range(60)]
    frames += [frame(person(480, 100, 300, squat_hips(i))) for i in range(20)]
    tr = run(frames)
    assert tr.seen.sum() == 60


def test_one_frame_with_the_client_detected_twice_does_not_cut_the_track() -> None:
    # a rendered side squat: at one frame YOLO gave two overlapping boxes of the same person, the linker carried the
    # client on from the second one, and the first track's reps after that frame were lost
    frames = []
    for i in range(120):
        cx = 200 + 2 * i + (8 if i >= 60 else 0)  # from frame 60 on the detection sits 8 px further right
        people = [person(cx, 100, 300, squat_hips(i))]
        if i == 60:
            people = [person(cx - 8, 100, 300, squat_hips(i)), person(cx, 100, 300, squat_hips(i))]
        frames.append(frame(*people))
    tr = run(frames)
    assert tr.seen.all() and "Ignored" not in tr.note
    # a second person beside the client for a while is not a duplicate: never merged into the client
    frames = [frame(person(200, 100, 300, squat_hips(i)), person(215, 100, 300)) for i in range(40)]
    frames += [frame(person(200, 100, 300, squat_hips(i))) for i in range(40, 80)]
    tr = run(frames)
    assert tr.seen.all() and np.allclose((tr.boxes[:, 0] + tr.boxes[:, 2]) / 2, 200)


def test_the_client_boxed_twice_for_a_third_of_a_second_keeps_the_start_of_the_clip() -> None:
    # real side barbell squats: YOLO boxed the client twice for 4-12 looks, the linker carried them on from the
    # second box, and everything before went with the first track
    def clip(second_dx: float, second_pose: bool) -> list[FramePoses]:
        frames = []
        for i in range(120):
            me = person(300, 100, 300, squat_hips(i))
            other = person(300 + second_dx, 100, 300, squat_hips(i) if second_pose else 0.0)
            frames.append(frame(me) if i < 50 else frame(me, other) if i < 60 else frame(other))
        return frames

    assert run(clip(6.0, True)).seen.all()  # the same pose 2 % of her height apart: one person, all 120 frames
    # two people: a second one 15 % of the height aside, not squatting, is never the client's duplicate
    tr = run(clip(45.0, False))
    assert tr.seen.sum() in (60, 70) and not tr.seen.all()


def test_time_shares_are_equal_when_evenly_spaced_and_follow_the_gaps_otherwise() -> None:
    assert time_shares(np.arange(10) / 30.0) == pytest.approx(np.full(10, 0.1))
    # looks at 0, 0.1, 0.2, then 0.5, 0.8: the sparse looks stand for three times the time
    shares = time_shares(np.array([0.0, 0.1, 0.2, 0.5, 0.8]))
    assert shares == pytest.approx(np.array([0.1, 0.1, 0.2, 0.3, 0.3]))
    assert shares.sum() == pytest.approx(1.0)


def test_presence_counts_time_not_looks() -> None:
    """A reflection seen only in a stretch where the detector looked densely is not present for longer than it was:
    seen on 30 of 50 looks, but for 1 s of a 5 s clip, its presence is 1/5, not 3/5."""
    t = np.concatenate([np.arange(30) / 30.0, 1.0 + np.arange(20) * 0.2])  # 1 s dense, then 4 s sparse
    frames = [
        frame(person(250, 100, 280, squat_hips(i)), person(450, 90, 300)) if i < 30 else frame(person(250, 100, 280))
        for i in range(50)
    ]
    tr = build_track(frames, t, (W, H), Fraction(30), TrackSettings())
    assert tr.extra["scores"][0]["presence"] == pytest.approx(1.0)
    assert tr.extra["scores"][1]["presence"] == pytest.approx(1.0 / 5.0, abs=0.02)


def test_a_small_bystander_at_the_clients_hip_never_takes_over_her_track() -> None:
    # the client (300 px tall) is missed for a few looks, and just then the detector finds a seated gym-goer a fifth
    # her height behind her hip, so the centres are close: her track must not jump to him and keep him
    frames = []
    for i in range(150):
        client = person(320, 80, 300, squat_hips(i))
        bystander = person(330, 200, 60)
        frames.append(frame(bystander) if 60 <= i < 64 else frame(client))
    tr = run(frames)
    heights = tr.boxes[:, 3] - tr.boxes[:, 1]
    assert np.isnan(heights[60:64]).all()
    assert np.allclose(heights[:60], 300) and np.allclose(heights[64:], 300)
