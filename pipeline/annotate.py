"""The annotated clip (`annotated.mp4`) and the key frames the report embeds.

Reads decoded frames (BGR, already scaled), the client's `PoseTrack` and the `ClipResult`; writes one H.264 file
through `pipeline.video.ClipWriter` and returns JPEG key frames. Draws only: skeleton, knee-to-foot lines in the
live knee-tracking colour, L/R knee labels, a rep counter and a legend. Decisions (colours, reps) come from the result.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from pipeline.keypoints import SKELETON_EDGES, Kp, PoseTrack
from pipeline.metrics import SEVERITY, MetricId, whole_reps
from pipeline.result import ClipResult, Rep, check_rep
from pipeline.settings import AnnotateSettings

U8 = npt.NDArray[np.uint8]
BGR = tuple[int, int, int]
KNEE_BGR: dict[str, BGR] = {  # the report's traffic-light colours, brightened to read on video
    "green": (64, 204, 46),
    "amber": (0, 176, 255),
    "red": (48, 59, 255),
    "grey": (166, 160, 154),
}
# grey: hidden, or outside the loaded part of the rep (down and up) where knee tracking is read
LEGEND = (("green", "on track"), ("amber", "drifting"), ("red", "caving in"), ("grey", "not judged"))
STRIP_GREY = 32  # the legend's strip under a picture it would cover
FEET = (Kp.L_ANKLE, Kp.R_ANKLE, Kp.L_HEEL, Kp.R_HEEL, Kp.L_TOE, Kp.R_TOE)
LEGEND_SHARE = 0.05  # knees or feet (head) in a legend band on more than this share of their frames: the band is taken
BONE, OUTLINE, INK = (245, 245, 245), (25, 25, 25), (255, 255, 255)
FONT = cv2.FONT_HERSHEY_SIMPLEX
# Knee-to-foot segments are drawn in the knee colour, so the white skeleton leaves them out.
FOOT_EDGES = {(Kp.L_KNEE, Kp.L_ANKLE), (Kp.R_KNEE, Kp.R_ANKLE), (Kp.L_ANKLE, Kp.L_TOE), (Kp.R_ANKLE, Kp.R_TOE)}
SIDES = (("L", Kp.L_KNEE, Kp.L_ANKLE, Kp.L_TOE), ("R", Kp.R_KNEE, Kp.R_ANKLE, Kp.R_TOE))
LOWER_LEGS = ((Kp.L_KNEE, Kp.L_ANKLE, Kp.L_HEEL, Kp.L_TOE), (Kp.R_KNEE, Kp.R_ANKLE, Kp.R_HEEL, Kp.R_TOE))


@dataclass(frozen=True)
class KeyFrames:
    """Stills for the report, JPEG bytes of annotated frames with the knees circled.

    Attributes:
        worst_jpeg / best_jpeg: the worst rep where its knees were worst (`worst_moment`), the best rep's bottom;
            None without reps. When no rep stands out (`ClipResult.worst_rep` None), worst_jpeg is the deepest
            rep's bottom instead, `ranked` False, and best_jpeg None.
        worst_rep / best_rep: their 1-based rep numbers.
        ranked: worst_jpeg shows the hardest rep (False: the deepest, no rep stood out).
        worst_at_bottom: the worst rep's still is its bottom (no knee judged worse elsewhere in the rep).
        held: the clip pauses on that frame (`slow_bottom_s` above 0).
        thumbnail: small JPEG (about `thumbnail_width` wide) for the index and the video poster.
        clip_wh: (width, height) px of the written clip: the picture, and the legend's strip under it where it has
            one (`legend_place`); None when unknown.
    """

    worst_jpeg: bytes | None = None
    best_jpeg: bytes | None = None
    worst_rep: int | None = None
    best_rep: int | None = None
    worst_at_bottom: bool = True
    held: bool = False
    thumbnail: bytes | None = None
    ranked: bool = True
    clip_wh: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Style:
    """Sizes in output pixels, scaled so lines and text stay legible when a phone shrinks the video."""

    line: int
    font: float
    text: int

    @classmethod
    def for_size(cls, w: int, h: int) -> _Style:
        short = min(w, h)
        return cls(line=max(2, round(short / 180)), font=max(0.6, short / 480), text=max(1, round(short / 360)))


def knee_marks(
    xy: npt.NDArray[np.floating[Any]], scale_xy: tuple[float, float], lost: tuple[bool, bool] = (False, False)
) -> list[tuple[str, float, float]]:
    """Where to draw each knee and its label: [("L", x, y), ("R", x, y)] in output pixels, missing knees and knees
    of a leg the pose model lost (`lost`, left and right) left out.

    "L" is always the client's own left knee (Kp.L_KNEE), wherever it falls in the image: in a front view it is
    on the image's right.
    """
    sx, sy = scale_xy
    out = []
    for (name, knee, _, _), gone in zip(SIDES, lost, strict=True):
        if gone:
            continue
        x, y = float(xy[knee, 0]) * sx, float(xy[knee, 1]) * sy
        if math.isfinite(x) and math.isfinite(y):
            out.append((name, x, y))
    return out


def _pt(p: npt.NDArray[np.floating[Any]]) -> tuple[int, int] | None:
    return (round(float(p[0])), round(float(p[1]))) if np.isfinite(p).all() else None


def _line(img: U8, a: tuple[int, int], b: tuple[int, int], colour: BGR, t: int) -> None:
    cv2.line(img, a, b, OUTLINE, t + 2 * max(1, t // 2), cv2.LINE_AA)
    cv2.line(img, a, b, colour, t, cv2.LINE_AA)


def _text(img: U8, text: str, org: tuple[int, int], st: _Style, scale: float = 1.0, colour: BGR = INK) -> None:
    cv2.putText(img, text, org, FONT, st.font * scale, OUTLINE, st.text + 3, cv2.LINE_AA)
    cv2.putText(img, text, org, FONT, st.font * scale, colour, st.text, cv2.LINE_AA)


def _pill_pad(th: int) -> int:
    """A pill's padding round text `th` px tall."""
    return max(4, th // 3)


def counter_text(rep: int, n_reps: int) -> str:
    """The rep counter's words: "Rep 2/5" within a rep, else the clip's count ("1 rep", "5 reps")."""
    return f"Rep {rep}/{n_reps}" if rep else f"{n_reps} rep" + ("" if n_reps == 1 else "s")


def held_text(rep: int, n_reps: int, to_check: bool = False) -> str:
    """The label on the paused frame: "Rep 2: hardest rep, paused"; a clip's only rep is not its hardest, and the rep
    a knee card asks to check (`result.check_rep`) is named so, as in the report."""
    if n_reps == 1:
        return f"Rep {rep}: paused"
    return f"Rep {rep}: {'rep to check' if to_check else 'hardest rep'}, paused"


def _counter_org(st: _Style) -> tuple[int, int]:
    """Top-left corner of the rep counter."""
    return st.line * 4, st.line * 4


def _held_org(st: _Style) -> tuple[int, int]:
    """Top-left corner of the held bottom's label, under the rep counter."""
    x, y = _counter_org(st)
    return x, y + round(40 * st.font)


def _pill(img: U8, text: str, org: tuple[int, int], st: _Style, scale: float = 1.0) -> None:
    """Text on a dark rounded-ish box, top-left corner at `org`."""
    (tw, th), base = cv2.getTextSize(text, FONT, st.font * scale, st.text)
    pad = _pill_pad(th)
    x, y = org
    sub = img[max(0, y) : y + th + base + 2 * pad, max(0, x) : x + tw + 2 * pad]
    sub[:] = (sub * 0.35).astype(np.uint8)  # darken what is behind, so the text reads on any background
    cv2.putText(img, text, (x + pad, y + pad + th), FONT, st.font * scale, INK, st.text, cv2.LINE_AA)


def draw_pose(
    img: U8,
    xy: npt.NDArray[np.floating[Any]],
    scale_xy: tuple[float, float],
    colours: tuple[str, str],
    st: _Style,
    lost: tuple[bool, bool] = (False, False),
) -> None:
    """Skeleton in white, knee→ankle→toe in each knee's colour, knees as filled dots labelled L and R. A leg the pose
    model lost (`lost`, left and right) is left out below the hip: its points there are nowhere near the leg (a real
    squat's ankles were drawn at chest height), and a drawn knee would claim it was seen."""
    p = xy.astype(np.float64) * np.asarray(scale_xy)
    hidden = {k for pts, gone in zip(LOWER_LEGS, lost, strict=True) if gone for k in pts}
    for a, b in SKELETON_EDGES:
        if (a, b) in FOOT_EDGES or a in hidden or b in hidden:
            continue
        pa, pb = _pt(p[a]), _pt(p[b])
        if pa and pb:
            _line(img, pa, pb, BONE, st.line)
    for (_, knee, ankle, toe), colour, gone in zip(SIDES, colours, lost, strict=True):
        if gone:
            continue
        bgr = KNEE_BGR.get(colour, KNEE_BGR["grey"])
        pk, pa_, pt_ = _pt(p[knee]), _pt(p[ankle]), _pt(p[toe])
        if pk and pa_:
            _line(img, pk, pa_, bgr, st.line + 1)
        if pa_ and pt_:
            _line(img, pa_, pt_, bgr, st.line + 1)
    hips = p[[Kp.L_HIP, Kp.R_HIP], 0]
    mid_x = float(np.nanmean(hips)) if np.isfinite(hips).any() else float("nan")
    for name, x, y in knee_marks(xy, scale_xy, lost):
        bgr = KNEE_BGR.get(colours[0 if name == "L" else 1], KNEE_BGR["grey"])
        r = 2 * st.line + 2
        cv2.circle(img, (round(x), round(y)), r + 2, OUTLINE, -1, cv2.LINE_AA)
        cv2.circle(img, (round(x), round(y)), r, bgr, -1, cv2.LINE_AA)
        outward = 1 if not math.isfinite(mid_x) or x >= mid_x else -1  # label on the outside of the knee
        (tw, th), _ = cv2.getTextSize(name, FONT, st.font * 0.8, st.text)
        tx = round(x + outward * (r + 6)) - (tw if outward < 0 else 0)
        label, ox, oy = _label_sprite(name, st)
        label.paste(img, tx - ox, round(y + th / 2) - oy)


@dataclass(frozen=True)
class _Sprite:
    """Text and lines drawn once and pasted on every frame: anti-aliased text costs far more to draw than to paste.

    Attributes:
        ink: (h, w, 3) uint16, the drawing's colour times its coverage (what it looks like over black).
        keep: (h, w, 3) uint16, how much of the frame below shows through, in 256ths: 256 minus the coverage,
            times `dim` (the frame darkened behind the drawing so that it reads on any background).
    """

    ink: npt.NDArray[np.uint16]
    keep: npt.NDArray[np.uint16]

    @classmethod
    def drawn(cls, w: int, h: int, draw: Any, dim: float = 1.0) -> _Sprite:
        """`draw(img)` run on black and on white: the difference is each pixel's coverage."""
        black, white = np.zeros((h, w, 3), np.uint8), np.full((h, w, 3), 255, np.uint8)
        draw(black)
        draw(white)
        through = (white.astype(np.float64) - black).mean(axis=2, keepdims=True).clip(0, 255) / 255
        keep = np.repeat(np.round(256 * dim * through), 3, axis=2).astype(np.uint16)
        return cls(black.astype(np.uint16), keep)

    def paste(self, img: U8, x: int, y: int) -> None:
        """Over `img` with the sprite's top-left corner at (x, y); parts outside the image are cut off."""
        h, w = self.keep.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, img.shape[1]), min(y + h, img.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        sub = img[y0:y1, x0:x1]
        sl = (slice(y0 - y, y1 - y), slice(x0 - x, x1 - x))
        # OpenCV rather than numpy: 3x faster here, and it saturates at 255 where rounding adds up to 256
        below = cv2.multiply(sub, self.keep[sl], scale=1 / 256, dtype=cv2.CV_16U)
        sub[:] = cv2.convertScaleAbs(cv2.add(below, self.ink[sl]))


def _legend_rows(w: int, h: int, st: _Style, at_top: bool) -> tuple[int, int, int]:
    """The legend's first text row, its row height and its column width, px: at the frame's foot, or at its head
    below the rep counter (two pills high: the held bottom's label sits under the counter)."""
    (_, th), _ = cv2.getTextSize("Ag", FONT, st.font * 0.6, st.text)
    row, col = th + 2 * st.line + 6, w // 2 - 8
    (_, ph), pbase = cv2.getTextSize("Rep", FONT, st.font, st.text)
    below_pills = _held_org(st)[1] + ph + pbase + 2 * _pill_pad(ph) + 8
    return (below_pills if at_top else h - 2 * row - 8), row, col


def legend_place(xy: npt.NDArray[np.floating[Any]], scale_xy: tuple[float, float], w: int, h: int) -> str:
    """Where the legend goes: "foot" (the frame's foot), "head" (below the rep counter) or "below" (a strip added
    under the picture). It may cover neither the knees nor the feet (the knee is judged against the foot): the foot's
    band is used unless they reach into it on more than `LEGEND_SHARE` of the frames (a phone framing the client from
    the shins up, the rear knee of a lunge, feet near the frame's foot); then the head's band, unless the head and
    shoulders reach into it that often too; else a strip under the picture (a small or tight frame, the client filling
    it). xy: (T, K, 2) track px."""
    st = _Style.for_size(w, h)
    y = xy[..., 1].astype(np.float64) * scale_xy[1]
    knees, head = y[:, [int(Kp.L_KNEE), int(Kp.R_KNEE)]], y[:, : int(Kp.R_SHOULDER) + 1]
    feet = y[:, [int(k) for k in FEET if int(k) < y.shape[1]]]
    legend_top = _legend_rows(w, h, st, False)[0] - 4
    foot_top = legend_top - 7 * st.line  # room for a knee's dot and L/R label above it
    head_y0, row, _ = _legend_rows(w, h, st, True)
    head_bottom = head_y0 + 2 * row + 4
    with np.errstate(invalid="ignore"):
        low = (knees >= foot_top).any(axis=1) | (feet >= legend_top).any(axis=1)
        in_foot = low[np.isfinite(knees).any(axis=1) | np.isfinite(feet).any(axis=1)]
        in_head = (head <= head_bottom).any(axis=1)[np.isfinite(head).any(axis=1)]
    share_foot = float(in_foot.mean()) if in_foot.size else 0.0
    share_head = float(in_head.mean()) if in_head.size else 0.0
    if share_foot <= LEGEND_SHARE:
        return "foot"
    return "head" if share_head <= LEGEND_SHARE else "below"


def legend_strip_height(w: int, h: int) -> int:
    """The height, px (even, for the encoder), of the strip `legend_place` "below" adds under a (w, h) picture."""
    st = _Style.for_size(w, h)
    _, row, _ = _legend_rows(w, h, st, False)
    return (2 * row + 12 + 1) // 2 * 2


def legend_text_x(st: _Style) -> int:
    """Where a legend entry's text starts, px from its swatch's left end (the swatch and a gap before it)."""
    return 3 * st.line + 16


def legend_words(col: int, st: _Style) -> tuple[list[str], float]:
    """The legend's four entries and their text size (times `st.font`) so that each fits a `col`-px column beside
    its swatch: "knee on track" where it fits; on a narrow clip (a 200 px wide GIF) the words alone, smaller if
    need be (the caption under the video says they are the knee's colours)."""
    swatch = legend_text_x(st)

    def widest(words: list[str], size: float) -> int:
        return max(cv2.getTextSize(x, FONT, st.font * size, st.text)[0][0] for x in words) + swatch

    for words in ([f"knee {w}" for _, w in LEGEND], [w for _, w in LEGEND]):
        if widest(words, 0.6) <= col:
            return words, 0.6
    size = 0.6
    while widest(words, size) > col and size > 0.1:
        size *= 0.9
    return words, size


@functools.lru_cache(maxsize=8)
def _legend_sprite(w: int, h: int, st: _Style, at_top: bool = False) -> tuple[int, _Sprite]:
    """The legend for a (w, h) frame: the row it starts on and its sprite, spanning the frame's width less 4 px."""
    (_, th), _ = cv2.getTextSize("Ag", FONT, st.font * 0.6, st.text)
    y0, row, col = _legend_rows(w, h, st, at_top)
    words, size = legend_words(col, st)
    top = y0 - 4

    def draw(img: U8) -> None:
        for n, ((colour, _), word) in enumerate(zip(LEGEND, words, strict=True)):
            x, y = 8 + (n % 2) * col, y0 + (n // 2) * row + row // 2 - top
            cv2.line(img, (x, y), (x + 3 * st.line + 8, y), KNEE_BGR[colour], st.line + 2, cv2.LINE_AA)
            _text(img, word, (x + legend_text_x(st), y + th // 2), st, size)

    return top, _Sprite.drawn(w - 8, 2 * row + 8, draw, dim=0.45)


def _legend(img: U8, st: _Style, at_top: bool = False) -> None:
    h, w = img.shape[:2]
    top, sprite = _legend_sprite(w, h, st, at_top)
    sprite.paste(img, 4, top)


@functools.lru_cache(maxsize=8)
def _label_sprite(name: str, st: _Style) -> tuple[_Sprite, int, int]:
    """A knee's "L" or "R" with its outline, and where the text's origin (left end of the baseline) is in it."""
    (tw, th), base = cv2.getTextSize(name, FONT, st.font * 0.8, st.text + 3)
    pad = st.text + 3
    sprite = _Sprite.drawn(tw + 2 * pad, th + base + 2 * pad, lambda img: _text(img, name, (pad, pad + th), st, 0.8))
    return sprite, pad, pad + th


def _nearest(t_s: npt.NDArray[np.float64], t: float) -> int:
    return int(np.argmin(np.abs(t_s - t))) if len(t_s) else 0


def worst_moment(
    colour_l: list[str], colour_r: list[str], depth: list[float], start: int, end: int, bottom: int
) -> int:
    """The frame of a rep to hold and show: where its knees' live colours are worst (the worse knee first, then the
    other; the deepest of those frames, then the nearest its bottom), so a knee that caves on the way up and sits over
    the foot at the bottom is shown caving; its bottom when no knee is judged in the rep. Frames index the per-frame
    `Series`; start..end inclusive."""
    idx = np.arange(max(start, 0), min(end, len(colour_l) - 1, len(colour_r) - 1) + 1)
    if idx.size == 0:
        return bottom
    pair = np.array([(SEVERITY.get(colour_l[i], -1), SEVERITY.get(colour_r[i], -1)) for i in idx])
    worse, other = pair.max(axis=1), pair.min(axis=1)
    if worse.max() < SEVERITY["green"]:
        return bottom
    d = np.nan_to_num(np.asarray(depth, np.float64)[idx], nan=-np.inf)
    # the worse knee at its worst, then the other knee at its worst there, then the deepest, then the nearest the bottom
    return int(idx[np.lexsort((np.abs(idx - bottom), -d, -other, -worse))[0]])


DEPTH_KEY = MetricId("depth_thigh_deg").key  # the side view's thigh angle at the bottom: lower is deeper


def deepest_rep(reps: list[Rep], t_s: list[float], hip_depth: list[float]) -> Rep:
    """The complete rep (any rep when none is complete) that went deepest: by the thigh angle the report lists for
    each rep when every one has it (a side view), else by the hip's drop at its bottom frame; the first on ties or
    when no depth was read.

    Args:
        reps: the clip's reps (at least one). t_s, hip_depth: `Series` per-frame times (s) and hip depth (0..1).
    """
    pool = whole_reps(reps)
    thigh = [next((m.value for m in r.metrics if m.key == DEPTH_KEY and m.value is not None), None) for r in pool]
    if all(x is not None and np.isfinite(x) for x in thigh):
        return pool[int(np.argmin(np.asarray(thigh, np.float64)))]  # the page's own numbers must agree
    t, d = np.asarray(t_s, np.float64), np.asarray(hip_depth, np.float64)

    def depth(r: Rep) -> float:
        if t.size == 0 or t.size != d.size:
            return -np.inf
        x = d[_nearest(t, r.bottom_s)]
        return float(x) if np.isfinite(x) else -np.inf

    return max(pool, key=depth)


def _circle_knees(
    img: U8, xy: npt.NDArray[np.floating[Any]], scale_xy: tuple[float, float], st: _Style, lost: tuple[bool, bool]
) -> U8:
    out = img.copy()
    for _, x, y in knee_marks(xy, scale_xy, lost):
        cv2.circle(out, (round(x), round(y)), 7 * st.line + 6, OUTLINE, st.line + 4, cv2.LINE_AA)
        cv2.circle(out, (round(x), round(y)), 7 * st.line + 6, (0, 235, 255), st.line + 1, cv2.LINE_AA)
    return out


def _jpeg(img: npt.NDArray[Any], quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return buf.tobytes() if ok else b""


def _open_writer(path: Path, w: int, h: int, fps: Fraction, s: AnnotateSettings) -> Any:
    """The project's H.264 writer (imported late: only this stage writes video)."""
    from pipeline.video import ClipWriter

    return ClipWriter(path, w, h, fps, crf=s.crf, preset=s.preset)


def write_annotated_clip(
    frames: Iterable[tuple[int, float, U8]],
    track: PoseTrack,
    result: ClipResult,
    out_path: Path,
    fps: Fraction,
    size_wh: tuple[int, int],
    s: AnnotateSettings,
) -> KeyFrames:
    """Draw the client's pose on every frame and write the annotated clip; hold the worst rep at its worst moment.

    Args:
        frames: (frame index, t_s, BGR uint8 frame of `size_wh`) from the decoder, in order.
        track: the client; coordinates in `track.frame_wh` pixels (scaled here to `size_wh`).
        result: supplies live knee colours, reps, and the worst and best rep.
        out_path: the .mp4 to write.
        fps: output frame rate (the source's); held frames are extra copies at this rate.
        size_wh: output (width, height) in pixels.
        s: annotate settings (`slow_bottom_s`, encoder and JPEG options).

    Returns:
        KeyFrames with the worst rep's worst moment, the best rep's bottom (knees circled) and a thumbnail.
    """
    w, h = size_wh
    scale = (w / track.frame_wh[0], h / track.frame_wh[1])
    st = _Style.for_size(w, h)
    ser = result.series
    n_reps = len(result.reps)
    by_index = {r.index: r for r in result.reps}
    worst = by_index.get(result.worst_rep or -1)
    best = by_index.get(result.best_rep or -1)
    ranked = worst is not None
    if not ranked and result.reps:
        worst = deepest_rep(result.reps, ser.t_s, ser.hip_depth)  # shown still, neither hardest nor paused on
    worst_i = worst_bottom = None
    if worst:
        ts = track.t_s
        worst_bottom = _nearest(ts, worst.bottom_s)
        span = (_nearest(ts, worst.start_s), _nearest(ts, worst.end_s))
        worst_i = worst_moment(ser.knee_colour_left, ser.knee_colour_right, ser.hip_depth, *span, worst_bottom)
    best_i = _nearest(track.t_s, best.bottom_s) if best else None
    if worst_i is not None:
        thumb_i = worst_i
    else:
        depth = np.asarray(ser.hip_depth, dtype=np.float64)
        thumb_i = int(np.nanargmax(depth)) if np.isfinite(depth).any() else len(track) // 2
    n_hold = max(0, round(s.slow_bottom_s * float(fps))) if worst_i is not None and ranked else 0
    stills: dict[str, U8] = {}
    place = legend_place(np.asarray(track.xy), scale, w, h)
    strip = np.full((legend_strip_height(w, h) if place == "below" else 0, w, 3), STRIP_GREY, np.uint8)

    def lost(i: int) -> tuple[bool, bool]:
        return bool(_at(ser.leg_lost_left, i, False)), bool(_at(ser.leg_lost_right, i, False))

    with _open_writer(out_path, w, h + len(strip), fps, s) as writer:
        for i, t, frame in frames:
            img = frame if frame.shape[:2] == (h, w) else cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)
            # a copy (the decoder may reuse its buffer), with the legend's strip under it where it has one
            img = np.vstack((img, strip), dtype=np.uint8) if len(strip) else np.array(img, np.uint8, order="C")
            if 0 <= i < len(track):
                colours = (_at(ser.knee_colour_left, i, "grey"), _at(ser.knee_colour_right, i, "grey"))
                draw_pose(img, track.xy[i], scale, colours, st, lost(i))
            if n_reps:
                rep = _at(ser.rep_of_frame, i, 0) or sum(r.end_s <= t for r in result.reps)
                _pill(img, counter_text(rep, n_reps), _counter_org(st), st)
            _legend(img, st, place == "head")
            writer.write(img)
            if i == thumb_i:
                stills["thumb"] = img[:h]  # the picture alone: a legend strip squeezed into a thumbnail says nothing
            if i in (worst_i, best_i) and 0 <= i < len(track):
                still = _circle_knees(img, track.xy[i], scale, st, lost(i))
                stills.update({k: still for k, j in (("worst", worst_i), ("best", best_i)) if j == i})
            if i == worst_i and n_hold and "held" not in stills:  # a VFR source may repeat the frame: hold once
                held = stills["held"] = img.copy()
                rep_i = worst.index if worst else 0
                to_check = rep_i == check_rep(result.verdicts, result.clip_metrics)
                _pill(held, held_text(rep_i, n_reps, to_check), _held_org(st), st, 0.7)
                for _ in range(n_hold):
                    writer.write(held)

    thumb = stills.get("thumb")
    thumb_jpeg = None
    if thumb is not None:
        tw = min(s.thumbnail_width, w)
        thumb_jpeg = _jpeg(
            cv2.resize(thumb, (tw, max(1, round(thumb.shape[0] * tw / w))), interpolation=cv2.INTER_AREA), 80
        )
    return KeyFrames(
        worst_jpeg=_jpeg(stills["worst"], s.jpeg_quality) if "worst" in stills else None,
        best_jpeg=_jpeg(stills["best"], s.jpeg_quality) if "best" in stills else None,
        worst_rep=worst.index if worst and "worst" in stills else None,
        worst_at_bottom=worst_i == worst_bottom,
        held="held" in stills,
        best_rep=best.index if best and "best" in stills else None,
        thumbnail=thumb_jpeg,
        ranked=ranked,
        clip_wh=(w, h + len(strip)),
    )


def _at(seq: list[Any], i: int, default: Any) -> Any:
    return seq[i] if 0 <= i < len(seq) else default
