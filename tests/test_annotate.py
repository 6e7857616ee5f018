"""Annotated clip: frame count with the held bottom, knee marks on the track's knee pixels, left/right never swapped."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from pipeline import annotate
from pipeline.annotate import KNEE_BGR, KeyFrames, knee_marks, write_annotated_clip
from pipeline.keypoints import N_KP, Kp, PoseTrack
from pipeline.result import ClipResult, MetricValue, Quality, Rep, Series, Verdict
from pipeline.settings import AnnotateSettings

FPS = Fraction(30)
T = 60
SRC_WH, OUT_WH = (640, 480), (320, 240)  # the track is in source pixels; the clip is half size

# A client facing the camera: their LEFT side is on the image's RIGHT (larger x).
POSE = {
    Kp.L_SHOULDER: (380, 100), Kp.R_SHOULDER: (260, 100),
    Kp.L_HIP: (370, 200), Kp.R_HIP: (270, 200),
    Kp.L_KNEE: (400, 300), Kp.R_KNEE: (240, 300),
    Kp.L_ANKLE: (390, 400), Kp.R_ANKLE: (250, 400),
    Kp.L_TOE: (420, 430), Kp.R_TOE: (220, 430),
}  # fmt: skip


def make_track() -> PoseTrack:
    xy = np.full((T, N_KP, 2), np.nan, np.float32)
    for k, p in POSE.items():
        xy[:, k] = p
    return PoseTrack(
        t_s=np.arange(T) / float(FPS),
        xy=xy,
        conf=np.where(np.isfinite(xy[..., 0]), 0.9, 0.0).astype(np.float32),
        boxes=np.tile(np.array([200, 80, 450, 440], np.float32), (T, 1)),
        frame_wh=SRC_WH,
        fps=FPS,
    )


def make_result(left: str = "green", right: str = "red") -> ClipResult:
    t = [i / float(FPS) for i in range(T)]
    rep_of = [1 if 0.3 <= x <= 1.7 else 0 for x in t]
    return ClipResult(
        video="synthetic.mp4", view="front", view_confidence=1.0, exercise="squat", exercise_confidence=1.0,
        fps=30.0, duration_s=T / 30, backend="synthetic", model_id="",
        quality=Quality(T, 1.0, 1.0, 0.0, 0, 0, True),
        reps=[Rep(1, 0.3, 1.0, 1.7, colour="red")], clip_metrics=[],
        verdicts=[Verdict("knee_tracking", "Knee tracking", "red", "Right knee caves in.")], cues=[],
        series=Series(t, [0.0] * T, [0.0] * T, [0.0] * T, [left] * T, [right] * T, rep_of),
        worst_rep=1, best_rep=1,
    )  # fmt: skip


class RecordingWriter:
    """Stands in for pipeline.video.ClipWriter: keeps frames in memory, exactly as written."""

    def __init__(self, path: Path, width: int, height: int, fps: Fraction, **_: Any) -> None:
        self.frames: list[np.ndarray] = []
        self.args = (path, width, height, fps)

    def __enter__(self) -> RecordingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, frame: np.ndarray) -> None:
        assert frame.dtype == np.uint8 and frame.shape == (self.args[2], self.args[1], 3)
        self.frames.append(frame.copy())


def black_frames(n: int = T):
    for i in range(n):
        yield i, i / float(FPS), np.zeros((OUT_WH[1], OUT_WH[0], 3), np.uint8)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    writers: list[RecordingWriter] = []

    def open_writer(path: Path, w: int, h: int, fps: Fraction, s: AnnotateSettings) -> RecordingWriter:
        writers.append(RecordingWriter(path, w, h, fps))
        return writers[-1]

    monkeypatch.setattr(annotate, "_open_writer", open_writer)

    def go(result: ClipResult | None = None, s: AnnotateSettings | None = None) -> tuple[list[np.ndarray], KeyFrames]:
        kf = write_annotated_clip(
            black_frames(), make_track(), result or make_result(), tmp_path / "a.mp4", FPS, OUT_WH,
            s or AnnotateSettings(slow_bottom_s=0.5),
        )  # fmt: skip
        return writers[-1].frames, kf

    return go


def _scaled(k: Kp) -> tuple[int, int]:
    x, y = POSE[k]
    return round(x * OUT_WH[0] / SRC_WH[0]), round(y * OUT_WH[1] / SRC_WH[1])


def test_frame_count_includes_the_held_bottom(run) -> None:
    frames, _ = run()
    assert len(frames) == T + 15  # 0.5 s at 30 fps
    bottom = 30  # t = 1.0 s
    held = frames[bottom + 1 : bottom + 16]
    assert all(np.array_equal(held[0], f) for f in held)
    assert not np.array_equal(held[0], frames[bottom])  # the held copy carries the "paused" banner
    assert np.array_equal(frames[bottom + 16], frames[bottom + 17])  # timing resumes unchanged (static pose)
    frames0, _ = run(s=AnnotateSettings(slow_bottom_s=0.0))
    assert len(frames0) == T


def test_no_rep_standing_out_means_no_hold_and_one_still_of_the_deepest(run) -> None:
    """Nothing measured told the reps apart: the clip does not pause on a "hardest" rep; the report gets one still."""
    from dataclasses import replace

    frames, kf = run(replace(make_result(), worst_rep=None, best_rep=None))
    assert len(frames) == T and kf.thumbnail
    assert not kf.ranked and not kf.held and kf.worst_jpeg and kf.worst_rep == 1 and kf.best_jpeg is None
    frames, kf = run(replace(make_result(), reps=[], worst_rep=None, best_rep=None))
    assert len(frames) == T and kf.worst_jpeg is None and kf.best_jpeg is None and kf.thumbnail


def test_the_deepest_rep_is_read_at_each_bottom_among_whole_reps() -> None:
    t = [i / 10 for i in range(40)]
    depth = [0.0] * 40
    depth[10], depth[20], depth[30] = 0.6, 0.9, 1.0  # bottoms of reps 1, 2 and 3 (rep 3 cut by the video's end)
    reps = [Rep(1, 0.5, 1.0, 1.5), Rep(2, 1.5, 2.0, 2.5), Rep(3, 2.5, 3.0, 3.9, complete=False)]
    assert annotate.deepest_rep(reps, t, depth).index == 2
    assert annotate.deepest_rep([replace_complete(r) for r in reps], t, depth).index == 3  # none whole: any
    assert annotate.deepest_rep(reps, t, [float("nan")] * 40).index == 1  # no depth read: the first
    # a side view lists each rep's thigh angle at the bottom: the still must name the rep those numbers call deepest
    thigh = [MetricValue("depth_thigh_deg", "", x, "°", "", "grey", True) for x in (-9.0, -8.0)]  # type: ignore[arg-type]
    side = [replace_metrics(reps[0], thigh[0]), replace_metrics(reps[1], thigh[1])]
    assert annotate.deepest_rep(side, t, depth).index == 1


def replace_metrics(r: Rep, m: MetricValue) -> Rep:
    from dataclasses import replace

    return replace(r, metrics=[m])


def replace_complete(r: Rep) -> Rep:
    from dataclasses import replace

    return replace(r, complete=False)


def _close(px: np.ndarray, bgr: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.abs(px.astype(int) - np.array(bgr)).max() <= tol)


def test_knee_marks_sit_on_the_track_knees_with_each_knees_own_colour(run) -> None:
    frames, _ = run(make_result(left="green", right="red"))
    f = frames[5]
    lx, ly = _scaled(Kp.L_KNEE)
    rx, ry = _scaled(Kp.R_KNEE)
    assert _close(f[ly, lx], KNEE_BGR["green"]) and _close(f[ry, rx], KNEE_BGR["red"])
    # the knee-to-ankle line takes the knee's colour too
    ax, ay = _scaled(Kp.L_ANKLE)
    mx, my = (lx + ax) // 2, (ly + ay) // 2
    assert _close(f[my, mx], KNEE_BGR["green"])
    frames, _ = run(make_result(left="amber", right="grey"))
    assert _close(frames[5][ly, lx], KNEE_BGR["amber"]) and _close(frames[5][ry, rx], KNEE_BGR["grey"])


def test_a_leg_the_pose_model_lost_is_not_drawn_there_nor_circled(run) -> None:
    """Frames 20-39 have the left leg lost (`Series.leg_lost_left`): no knee dot, no knee-to-ankle or hip-to-knee
    line and no circle on it there; the right leg and the left leg's other frames are drawn as before."""
    from dataclasses import replace

    res = make_result(left="grey", right="green")
    lost = [20 <= i < 40 for i in range(T)]
    res = replace(res, series=replace(res.series, leg_lost_left=lost, leg_lost_right=[False] * T))
    frames, kf = run(res)
    lx, ly = _scaled(Kp.L_KNEE)
    rx, ry = _scaled(Kp.R_KNEE)
    (ax, ay), (hx, hy) = _scaled(Kp.L_ANKLE), _scaled(Kp.L_HIP)
    shin, thigh = ((lx + ax) // 2, (ly + ay) // 2), ((lx + hx) // 2, (ly + hy) // 2)
    assert _close(frames[5][ly, lx], KNEE_BGR["grey"]) and _close(frames[5][shin[1], shin[0]], KNEE_BGR["grey"])
    assert frames[5][thigh[1], thigh[0]].min() > 200  # the white thigh bone
    f = frames[25]  # lost: the black background shows through where the leg was drawn
    for x, y in ((lx, ly), shin, thigh):
        assert frames[25][y, x].max() < 30
    assert _close(f[ry, rx], KNEE_BGR["green"])
    # the still of the rep's bottom (frame 30) circles the right knee alone
    still = cv2.imdecode(np.frombuffer(kf.worst_jpeg or b"", np.uint8), cv2.IMREAD_COLOR).astype(int)
    ring = np.abs(still - np.array((0, 235, 255))).max(axis=2) < 60
    r = 7 * annotate._Style.for_size(*OUT_WH).line + 6
    assert ring[ry - r - 3 : ry + r + 4, rx - r - 3 : rx + r + 4].any()
    assert not ring[ly - r - 3 : ly + r + 4, lx - r - 3 : lx + r + 4].any()


def test_left_label_belongs_to_the_clients_left_knee_on_the_image_right() -> None:
    xy = make_track().xy[0]
    marks = {name: (x, y) for name, x, y in knee_marks(xy, (0.5, 0.5))}
    assert marks["L"] == pytest.approx(_scaled(Kp.L_KNEE), abs=0.5)
    assert marks["L"][0] > marks["R"][0]  # front view: the client's left is on the image right


def test_l_label_is_drawn_outside_the_left_knee(run) -> None:
    frames, _ = run()
    f = frames[5]
    lx, ly = _scaled(Kp.L_KNEE)
    rx, ry = _scaled(Kp.R_KNEE)
    white = (f.min(axis=2) > 200) & (np.ptp(f.astype(int), axis=2) < 30)
    assert white[ly - 10 : ly + 10, lx + 6 : lx + 30].sum() > 5  # "L" right of (outside) the left knee
    assert white[ry - 10 : ry + 10, rx - 30 : rx - 6].sum() > 5  # "R" left of (outside) the right knee
    assert white[ly - 10 : ly + 10, lx - 30 : lx - 8].sum() == 0  # nothing on the inside


def test_keyframes_are_jpegs_of_the_annotated_bottom(run) -> None:
    frames, kf = run()
    for raw in (kf.worst_jpeg, kf.best_jpeg):
        img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
        assert img.shape == frames[0].shape
    thumb = cv2.imdecode(np.frombuffer(kf.thumbnail, np.uint8), cv2.IMREAD_COLOR)
    assert thumb.shape[1] <= 320 and (kf.worst_rep, kf.best_rep) == (1, 1)


def test_a_client_filling_the_frame_gets_the_legend_in_a_strip_under_the_picture(run) -> None:
    # the test pose reaches from near the top (shoulders) to near the foot (toes) of the frame
    w, h = OUT_WH
    assert annotate.legend_place(make_track().xy, (w / SRC_WH[0], h / SRC_WH[1]), w, h) == "below"
    frames, kf = run()
    strip = annotate.legend_strip_height(w, h)
    assert strip > 0 and strip % 2 == 0 and all(f.shape == (h + strip, w, 3) for f in frames)
    plain = np.zeros((h + strip, w, 3), np.uint8)
    annotate._legend(plain, annotate._Style.for_size(w, h))
    legend_rows = np.flatnonzero(plain.any(axis=(1, 2)))
    assert legend_rows.min() >= h  # the legend lies wholly in the strip
    green = np.all(frames[0][h:] == KNEE_BGR["green"], axis=-1)
    assert green.any() and not np.all(frames[0][:h] == KNEE_BGR["green"], axis=-1)[:, :40].any()
    still = cv2.imdecode(np.frombuffer(kf.worst_jpeg or b"", np.uint8), cv2.IMREAD_COLOR)
    assert still.shape == (h + strip, w, 3) and kf.clip_wh == (w, h + strip)
    thumb = cv2.imdecode(np.frombuffer(kf.thumbnail or b"", np.uint8), cv2.IMREAD_COLOR)
    assert thumb.shape == (h, w, 3)  # the picture alone


def test_real_clip_writer_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    write_annotated_clip(black_frames(), make_track(), make_result(), out, FPS, OUT_WH, AnnotateSettings())
    cap = cv2.VideoCapture(str(out))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == T + 30


@pytest.mark.parametrize(
    ("wh", "out_wh"),
    [
        ((1920, 1080), (960, 540)),
        ((1080, 1920), (540, 960)),
        ((1280, 720), (960, 540)),
        ((360, 640), (360, 640)),  # never scaled up
        ((1194, 668), (958, 536)),  # both sides even
    ],
)
def test_annotated_clip_long_side_is_capped_portrait_or_landscape(wh: tuple[int, int], out_wh: tuple[int, int]) -> None:
    from pipeline.video import VideoInfo, frame_size, long_side_height

    info = VideoInfo(Path("x.mp4"), *wh, 0, Fraction(30), np.arange(3) / 30, 0.1, "h264", False)
    assert frame_size(info, long_side_height(info, 960)) == out_wh


@pytest.mark.parametrize("grey", [0, 90, 255])
def test_a_pasted_sprite_looks_like_drawing_directly(grey: int) -> None:
    """The legend and knee labels are drawn once and pasted: on any background the result must match drawing the
    anti-aliased text there (within a few levels of rounding), not show a box or a halo."""
    st = annotate._Style.for_size(640, 360)

    def draw(img: np.ndarray) -> None:
        annotate._text(img, "knee on track", (6, 30), st)

    direct = np.full((40, 200, 3), grey, np.uint8)
    draw(direct)
    pasted = np.full((40, 200, 3), grey, np.uint8)
    annotate._Sprite.drawn(200, 40, draw).paste(pasted, 0, 0)
    assert np.abs(direct.astype(int) - pasted).max() <= 8


def test_a_sprite_is_cut_off_at_the_frame_edge() -> None:
    sprite = annotate._Sprite.drawn(20, 20, lambda img: img.fill(200))
    img = np.zeros((30, 30, 3), np.uint8)
    sprite.paste(img, 20, -10)  # only its bottom-left 10 x 10 lands in the image
    assert (img[:10, 20:] == 200).all() and (img[10:] == 0).all() and (img[:, :20] == 0).all()
    sprite.paste(img, 40, 40)  # wholly outside: nothing happens


def _standing_xy(head_y: float, knee_y: float, feet_y: float = float("nan"), n: int = 20) -> np.ndarray:
    """(n, 21, 2) px: head and shoulders at head_y, knees at knee_y, ankles, heels and toes at feet_y (NaN:
    missing), everything else missing."""
    xy = np.full((n, 21, 2), np.nan)
    xy[:, : int(Kp.R_SHOULDER) + 1] = [320.0, head_y]
    xy[:, [int(Kp.L_KNEE), int(Kp.R_KNEE)]] = [320.0, knee_y]
    xy[:, [int(k) for k in annotate.FEET]] = [320.0, feet_y]
    return xy


@pytest.mark.parametrize(
    ("head_y", "knee_y", "feet_y", "place"),
    [
        (150.0, 250.0, float("nan"), "foot"),  # the whole client clear of the foot's band: the legend stays there
        (150.0, 250.0, 300.0, "foot"),  # the feet too
        (150.0, 350.0, float("nan"), "head"),  # framed from the shins up, knees in the foot's band: to the head
        (150.0, 250.0, 345.0, "head"),  # the feet in the foot's band: the knee is judged against them, so it moves
        (40.0, 350.0, float("nan"), "below"),  # the head in the head's band too: a strip under the picture
        (40.0, 250.0, 345.0, "below"),
    ],
)
def test_the_legend_covers_neither_the_knees_nor_the_feet(
    head_y: float, knee_y: float, feet_y: float, place: str
) -> None:
    assert annotate.legend_place(_standing_xy(head_y, knee_y, feet_y), (1.0, 1.0), 640, 360) == place


def test_a_legend_at_the_head_sits_below_the_rep_counter() -> None:
    st = annotate._Style.for_size(640, 360)
    foot, head = np.zeros((360, 640, 3), np.uint8), np.zeros((360, 640, 3), np.uint8)
    annotate._legend(foot, st)
    annotate._legend(head, st, at_top=True)
    rows_foot, rows_head = np.flatnonzero(foot.any(axis=(1, 2))), np.flatnonzero(head.any(axis=(1, 2)))
    assert rows_foot.min() > 360 / 2 and rows_head.max() < 360 / 2
    pill = np.zeros((360, 640, 3), np.uint8)
    annotate._pill(pill, "Rep 2/2", annotate._held_org(st), st, 0.7)  # the held label
    assert np.flatnonzero(pill.any(axis=(1, 2))).max() < rows_head.min()


def test_the_rep_counter_counts_one_rep_in_the_singular() -> None:
    from pipeline.annotate import counter_text

    assert [counter_text(0, 1), counter_text(0, 5), counter_text(2, 5)] == ["1 rep", "5 reps", "Rep 2/5"]


def test_the_paused_frame_calls_only_one_of_several_reps_the_hardest() -> None:
    from pipeline.annotate import held_text

    assert [held_text(1, 1), held_text(2, 5)] == ["Rep 1: paused", "Rep 2: hardest rep, paused"]
    assert held_text(2, 5, to_check=True) == "Rep 2: rep to check, paused"  # as the report names it


def test_the_hardest_rep_is_held_where_its_knees_were_worst_not_only_at_its_bottom() -> None:
    from pipeline.annotate import worst_moment

    # a rep over frames 2..9, bottom at 5: the right knee caves red on the way up (7, 8), over the foot at the bottom
    left = ["grey", "grey", "grey", "green", "green", "green", "green", "green", "green", "grey"]
    right = ["grey", "grey", "grey", "green", "amber", "green", "amber", "red", "red", "grey"]
    depth = [0.0, 0.0, 0.1, 0.4, 0.8, 1.0, 0.8, 0.6, 0.4, 0.1]
    assert worst_moment(left, right, depth, 2, 9, 5) == 7  # the deeper of the two red frames
    assert worst_moment(left, ["green"] * 10, depth, 2, 9, 5) == 5  # all green: the bottom, the deepest green
    assert worst_moment(["grey"] * 10, ["grey"] * 10, depth, 2, 9, 5) == 5  # nothing judged: its bottom
    assert worst_moment(left, right, depth, 2, 4, 3) == 4  # a rep cut at frame 4: its amber, not the later red
    both = ["grey", "grey", "grey", "green", "green", "green", "amber", "green", "red", "grey"]
    assert worst_moment(both, right, depth, 2, 9, 5) == 8  # both knees red beats one red at a deeper frame


@pytest.mark.parametrize(("w", "h"), [(120, 240), (200, 400), (270, 480), (405, 720), (1080, 1920), (1920, 1080)])
def test_the_legend_fits_its_columns_on_any_clip_width(w: int, h: int) -> None:
    # a 200 px wide GIF's legend ran "knee on track" into the next column's swatch and cut "knee not judged" off
    from pipeline.annotate import FONT, _legend_rows, _Style, legend_text_x, legend_words

    st = _Style.for_size(w, h)
    _, _, col = _legend_rows(w, h, st, False)
    words, size = legend_words(col, st)
    assert [x.split()[-1] for x in words] == ["track", "drifting", "in", "judged"]
    widest = max(cv2.getTextSize(x, FONT, st.font * size, st.text)[0][0] for x in words) + legend_text_x(st)
    assert widest <= col
    assert words[0].startswith("knee ") == (w >= 270)  # the full words wherever they fit
