"""Small inline SVG plots for the report, drawn from `Series` numbers in Python (no plotting library, no JS).

Reads a `ClipResult`'s series and reps; returns SVG markup as `markupsafe.Markup`. Every piece of text placed in
the SVG is escaped here, so the markup is safe to insert into an autoescaped template as is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

from pipeline.result import Rep, Series

W, H = 440, 250  # viewBox; the SVG scales to the page width
PAD_L, PAD_R, PAD_T, PAD_B = 62, 8, 26, 48
FONT = 14  # viewBox units; the SVG is about 300 px wide on a phone, so this prints at about 10 px
BAND_FILL = {"green": "#dafbe1", "amber": "#fff1c2", "red": "#ffe1e1"}
XMap = Callable[[float], float]
LEFT_STROKE, RIGHT_STROKE = "#0b3d91", "#8a3ffc"  # plus solid vs dashed, so colour is never the only signal


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _path(ts: Sequence[float], ys: Sequence[float], x_of: XMap, y_of: XMap) -> str:
    """SVG path data; a NaN breaks the line instead of bridging the gap."""
    parts: list[str] = []
    pen_up = True
    for t, y in zip(ts, ys, strict=False):
        if t is None or y is None or not (math.isfinite(t) and math.isfinite(y)):
            pen_up = True
            continue
        parts.append(f"{'M' if pen_up else 'L'}{x_of(t):.1f},{y_of(y):.1f}")
        pen_up = False
    return " ".join(parts)


def _frame(title: str, body: list[str]) -> Markup:
    svg = (
        f'<svg class="plot" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )
    return Markup(svg)  # every interpolated string above was escaped or is a number


def _reps_layer(reps: Sequence[Rep], x_of: XMap) -> list[str]:
    out = []
    for r in reps:
        x0, x1 = x_of(r.start_s), x_of(r.end_s)
        out.append(
            f'<rect x="{x0:.1f}" y="{PAD_T}" width="{max(x1 - x0, 1):.1f}" height="{H - PAD_T - PAD_B}" '
            'fill="#57606a" fill-opacity="0.07"/>'
            f'<line x1="{x_of(r.bottom_s):.1f}" x2="{x_of(r.bottom_s):.1f}" y1="{PAD_T}" y2="{H - PAD_B}" '
            'stroke="#57606a" stroke-width="1" stroke-dasharray="2 3"/>'
            f'<text x="{(x0 + x1) / 2:.1f}" y="{PAD_T - 8}" text-anchor="middle" font-size="{FONT}" '
            f'fill="#24292f">{"Rep " if len(reps) <= 4 else ""}{r.index}</text>'
        )
    return out


def _time_axis(t0: float, t1: float, x_of: XMap) -> list[str]:
    step = next(s for s in (1, 2, 5, 10, 20, 30, 60, 120) if (t1 - t0) / s <= 5)
    out = [f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{H - PAD_B}" y2="{H - PAD_B}" stroke="#57606a"/>']
    t = math.ceil(t0 / step) * step
    while t <= t1 + 1e-9:
        x = x_of(t)
        out.append(
            f'<text x="{x:.1f}" y="{H - PAD_B + 18}" text-anchor="middle" font-size="{FONT}" fill="#57606a">'
            f"{t:g} s</text>"
        )
        t += step
    return out


def _x_scale(ts: Sequence[float]) -> tuple[float, float, XMap]:
    fin = _finite(ts)
    t0, t1 = (min(fin), max(fin)) if fin else (0.0, 1.0)
    if t1 <= t0:
        t1 = t0 + 1.0
    return t0, t1, lambda t: PAD_L + (t - t0) / (t1 - t0) * (W - PAD_L - PAD_R)


def _band_rects(band: tuple[float, float], lo: float, hi: float, y_of: Callable[[float], float]) -> list[str]:
    """The green, amber and red shading of a plot from lo to hi, as SVG rects: for (amber, red) with red ≥ amber
    higher is worse (FPPA), otherwise lower is worse (knee over foot, KASR)."""
    amber, red = band
    cuts = (
        [(lo, amber, "green"), (amber, red, "amber"), (red, hi, "red")]
        if red >= amber
        else [(lo, red, "red"), (red, amber, "amber"), (amber, hi, "green")]
    )
    rects = []
    for a, b, colour in cuts:
        ya, yb = y_of(max(a, lo)), y_of(min(b, hi))
        if ya > yb:
            rects.append(
                f'<rect x="{PAD_L}" y="{yb:.1f}" width="{W - PAD_L - PAD_R}" height="{ya - yb:.1f}" '
                f'fill="{BAND_FILL[colour]}"/>'
            )
    return rects


def knee_plot_svg(series: Series, reps: Sequence[Rep], label: str) -> Markup | None:
    """Knee-tracking value per frame, left solid and right dashed, with the scoring band shaded.

    Args:
        series: the clip's per-frame curves; uses t_s, knee_left/right, knee_band, knee_unit.
        reps: marked as light spans with their bottoms dashed.
        label: what the value is, in words (the metric's label), used in the title.

    Returns:
        The SVG, or None when neither knee has a single measurable frame.
    """
    ys = _finite(series.knee_left) + _finite(series.knee_right)
    if not ys or not series.t_s:
        return None
    t0, t1, x_of = _x_scale(series.t_s)
    lo, hi = min(ys), max(ys)
    if series.knee_band is not None:
        lo, hi = min(lo, *series.knee_band), max(hi, *series.knee_band)
    margin = max((hi - lo) * 0.1, 1e-6)
    lo, hi = lo - margin, hi + margin

    def y_of(v: float) -> float:
        return PAD_T + (hi - v) / (hi - lo) * (H - PAD_T - PAD_B)

    body: list[str] = []
    if series.knee_band is not None:
        body += _band_rects(series.knee_band, lo, hi, y_of)
    body += _reps_layer(reps, x_of)
    unit = escape(series.knee_unit)
    placed: list[float] = []
    for v in (tuple(series.knee_band) if series.knee_band else ()) + (lo + margin, hi - margin):
        if any(abs(y_of(v) - y) < FONT for y in placed):
            continue  # keep tick labels from overprinting each other
        placed.append(y_of(v))
        body.append(
            f'<text x="{PAD_L - 6}" y="{y_of(v) + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="#57606a">'
            f"{_fmt(v)}{unit}</text>"
        )
    body += _time_axis(t0, t1, x_of)
    for ys_, stroke, dash in ((series.knee_left, LEFT_STROKE, ""), (series.knee_right, RIGHT_STROKE, "7 4")):
        d = _path(series.t_s, ys_, x_of, y_of)
        if d:
            body.append(
                f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="2.5" stroke-linejoin="round"'
                + (f' stroke-dasharray="{dash}"' if dash else "")
                + "/>"
            )
    body.append(_legend([("Left knee", LEFT_STROKE, ""), ("Right knee", RIGHT_STROKE, "7 4")]))
    return _frame(f"{label} over time, left and right knee, with the target band shaded", body)


def depth_plot_svg(series: Series, reps: Sequence[Rep]) -> Markup | None:
    """Hip height over time: standing at the top, the clip's deepest point at the bottom.

    Returns:
        The SVG, or None when the hip was never measurable.
    """
    if not _finite(series.hip_depth) or not series.t_s:
        return None
    t0, t1, x_of = _x_scale(series.t_s)

    def y_of(v: float) -> float:  # 0 = standing (top), 1 = deepest (bottom)
        return PAD_T + 6 + min(max(v, -0.1), 1.1) / 1.0 * (H - PAD_T - PAD_B - 12)

    body = _reps_layer(reps, x_of)
    for v, word in ((0.0, "standing"), (1.0, "deepest")):
        body.append(
            f'<text x="{PAD_L - 6}" y="{y_of(v) + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="#57606a">'
            f"{word}</text>"
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y_of(v):.1f}" y2="{y_of(v):.1f}" stroke="#d0d7de"/>'
        )
    body += _time_axis(t0, t1, x_of)
    d = _path(series.t_s, series.hip_depth, x_of, y_of)
    body.append(f'<path d="{d}" fill="none" stroke="#0b3d91" stroke-width="2.5" stroke-linejoin="round"/>')
    return _frame("Hip height over time: top is standing, bottom is the deepest point of the set", body)


def _legend(items: list[tuple[str, str, str]]) -> str:
    out, x = [], PAD_L
    for text, stroke, dash in items:
        out.append(
            f'<line x1="{x}" x2="{x + 26}" y1="{H - 8}" y2="{H - 8}" stroke="{stroke}" stroke-width="2.5"'
            + (f' stroke-dasharray="{dash}"' if dash else "")
            + f'/><text x="{x + 31}" y="{H - 4}" font-size="{FONT}" fill="#24292f">{escape(text)}</text>'
        )
        x += 150
    return "".join(out)


def trend_svg(
    labels: Sequence[str],
    values: Sequence[float | None],
    colours: Sequence[str],
    unit: str,
    band: tuple[float, float] | None,
    title: str,
) -> Markup | None:
    """One measure across a client's videos: a point per video, evenly spaced in date order, joined by a line.

    Args:
        labels: the x-axis label of each video (its date, e.g. "12 Nov").
        values: the measure per video; None where it was not measured (the line breaks there).
        colours: the band colour of each point ("green", "amber", "red", "grey"); the value is printed beside it,
            so colour is never the only signal.
        unit: appended to printed values ("°", "%").
        band: (amber, red) cut-offs to shade, or None.
        title: what is plotted, in words.

    Returns:
        The SVG, or None when no video has a value.
    """
    ys = [v for v in values if v is not None and math.isfinite(v)]
    if not ys:
        return None
    lo, hi = min(ys), max(ys)
    if band is not None:
        lo, hi = min(lo, *band), max(hi, *band)
    margin = max((hi - lo) * 0.12, 1.0)
    lo, hi = lo - margin, hi + margin
    n = len(values)
    step = (W - PAD_L - PAD_R - 40) / max(n - 1, 1)

    def x_of(i: float) -> float:
        return PAD_L + 20 + (i * step if n > 1 else (W - PAD_L - PAD_R - 40) / 2)

    def y_of(v: float) -> float:
        return PAD_T + (hi - v) / (hi - lo) * (H - PAD_T - PAD_B)

    body: list[str] = []
    if band is not None:
        body += _band_rects(band, lo, hi, y_of)
        for v in band:
            body.append(
                f'<text x="{PAD_L - 6}" y="{y_of(v) + 4:.1f}" text-anchor="end" font-size="{FONT}" '
                f'fill="#57606a">{_fmt(v)}{escape(unit)}</text>'
            )
    body.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{H - PAD_B}" y2="{H - PAD_B}" stroke="#57606a"/>')
    line = _path(range(n), [math.nan if v is None else v for v in values], x_of, y_of)
    body.append(f'<path d="{line}" fill="none" stroke="{LEFT_STROKE}" stroke-width="2"/>')
    dot = {"green": "#116329", "amber": "#7d4e00", "red": "#a40e26"}
    for i, (label, value, c) in enumerate(zip(labels, values, colours, strict=True)):
        x = x_of(i)
        body.append(
            f'<text x="{x:.1f}" y="{H - PAD_B + 18}" text-anchor="middle" font-size="{FONT}" fill="#57606a">'
            f"{escape(label)}</text>"
        )
        if value is None or not math.isfinite(value):
            body.append(
                f'<text x="{x:.1f}" y="{(PAD_T + H - PAD_B) / 2:.1f}" text-anchor="middle" font-size="{FONT}" '
                'fill="#57606a">not measured</text>'
            )
            continue
        v = value
        body.append(f'<circle cx="{x:.1f}" cy="{y_of(v):.1f}" r="6" fill="{dot.get(c, "#424a53")}"/>')
        body.append(
            f'<text x="{x:.1f}" y="{y_of(v) - 10:.1f}" text-anchor="middle" font-size="{FONT}" fill="#24292f">'
            f"{_fmt(v)}{escape(unit)}</text>"
        )
    return _frame(title, body)
