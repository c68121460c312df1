"""Per-frame score plots as inline SVG (no plotting library): lines per key, the worst
frames marked and numbered, readable in a browser, in print and offline.

Long clips are reduced to the min and max of each pixel column, so a one-frame drop
stays visible however many frames there are.
"""
from __future__ import annotations

import math
from html import escape

import numpy as np

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
MARK_COLOUR = "#C62828"
WIDTH, HEIGHT = 1040, 230
LEFT, RIGHT, TOP, BOTTOM = 62, 16, 54, 34
MARK_LEVELS, MARK_GAP = 3, 14
LEGEND_Y = 14
_STYLE = ("<style>.tick,.axis,.legend,.mark{font-family:'DejaVu Sans',Arial,sans-serif;font-size:11px;"
          "fill:#333}.axis{fill:#666}.mark{fill:#C62828;font-weight:bold}</style>")


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        pad = abs(lo) * 0.01 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks, v = [], first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi:
        ticks.append(round(v, 12))
    return ticks


def _label(v: float, step: float) -> str:
    """``v`` with as many decimals as the tick step needs (0.25 steps need two)."""
    exponent = math.floor(math.log10(step))
    decimals = max(0, -exponent) + (1 if round(step / 10 ** exponent, 6) == 2.5 else 0)
    return f"{v:.{min(decimals, 6)}f}"


def _columns(x: np.ndarray, y: np.ndarray, pixels: int) -> tuple[np.ndarray, np.ndarray]:
    """Points to draw: all of them, or each pixel column's min and max in frame order."""
    if x.size <= 2 * pixels:
        return x, y
    bins = np.linspace(x[0], x[-1] + 1, pixels + 1)
    which = np.clip(np.searchsorted(bins, x, side="right") - 1, 0, pixels - 1)
    xs, ys = [], []
    for b in np.unique(which):
        idx = np.flatnonzero(which == b)
        lo, hi = idx[np.argmin(y[idx])], idx[np.argmax(y[idx])]
        for i in sorted({lo, hi}):
            xs.append(x[i])
            ys.append(y[i])
    return np.asarray(xs), np.asarray(ys)


def series_svg(frames: np.ndarray, series: dict[str, np.ndarray], *, title: str = "",
               marks: list[tuple[int, int]] = (), mark_key: str | None = None,
               width: int = WIDTH, height: int = HEIGHT, x_label: str = "reference frame",
               band: tuple[str, str] | None = None) -> str:
    """An SVG plot of ``series`` (key -> values aligned with ``frames``, NaN = gap).

    ``marks`` are (rank, frame) pairs drawn as numbered vertical lines; ``mark_key``
    is the series whose value each mark's tooltip quotes; ``x_label`` names the x axis;
    ``band`` names the (lower, upper) series drawn as a shaded interval instead of lines.
    """
    frames = np.asarray(frames, dtype=np.float64)
    edges = {k: np.asarray(series[k], dtype=np.float64) for k in (band or ()) if k in series}
    series = {k: v for k, v in series.items() if k not in edges}
    finite = [np.asarray(v, dtype=np.float64) for v in [*series.values(), *edges.values()]]
    finite = [v[np.isfinite(v)] for v in finite]
    finite = [v for v in finite if v.size]
    lo = min((float(v.min()) for v in finite), default=0.0)
    hi = max((float(v.max()) for v in finite), default=1.0)
    yticks = nice_ticks(lo, hi)
    y0, y1 = yticks[0], yticks[-1]
    x0 = float(frames.min()) if frames.size else 0.0
    x1 = float(frames.max()) if frames.size else 1.0
    x1 = x1 if x1 > x0 else x0 + 1
    pw, ph = width - LEFT - RIGHT, height - TOP - BOTTOM

    def px(f):
        return LEFT + (np.asarray(f, dtype=np.float64) - x0) / (x1 - x0) * pw

    def py(v):
        return TOP + ph - (np.asarray(v, dtype=np.float64) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
           _STYLE,
           f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fff" stroke="#bbb"/>']
    step = yticks[1] - yticks[0] if len(yticks) > 1 else 1.0
    for t in yticks:
        y = float(py(t))
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e6e6"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
                   f'{_label(t, step)}</text>')
    for t in nice_ticks(x0, x1, 8):
        if x0 <= t <= x1 and float(t).is_integer():
            x = float(px(t))
            out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP + ph}" y2="{TOP + ph + 4}" stroke="#888"/>'
                       f'<text x="{x:.1f}" y="{TOP + ph + 16}" text-anchor="middle" class="tick">{int(t)}</text>')
    out.append(f'<text x="{LEFT + pw / 2:.0f}" y="{height - 4}" text-anchor="middle" class="axis">'
               f'{escape(x_label)}</text>')
    levels = _label_levels([float(px(frame)) for _, frame in marks])
    for (rank, frame), level in zip(marks, levels):
        x = float(px(frame))
        tip = f"#{rank}: frame {frame}"
        if mark_key in series:
            hit = np.flatnonzero(frames == frame)
            if hit.size and math.isfinite(series[mark_key][hit[0]]):
                tip += f", {mark_key} {series[mark_key][hit[0]]:.4f}"
        out.append(f'<g class="worst" data-frame="{int(frame)}" data-rank="{int(rank)}">'
                   f'<title>{escape(tip)}</title>'
                   f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + ph}" stroke="{MARK_COLOUR}" '
                   f'stroke-dasharray="3 3" stroke-width="1"/>'
                   f'<text x="{x:.1f}" y="{TOP - 4 - 11 * level}" text-anchor="middle" class="mark">{int(rank)}</text></g>')
    if len(edges) == 2:
        lo, hi = edges.values()
        out.append(f'<g class="band" data-keys="{escape(" ".join(edges))}" fill="{PALETTE[0]}" fill-opacity="0.18" '
                   f'stroke="none">')
        for run in _runs(np.isfinite(lo) & np.isfinite(hi)):
            top = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(frames[run]), py(hi[run])))
            bottom = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(frames[run][::-1]), py(lo[run][::-1])))
            out.append(f'<polygon points="{top} {bottom}"/>')
        out.append("</g>")
    for i, (key, values) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        values = np.asarray(values, dtype=np.float64)
        out.append(f'<g class="series" data-key="{escape(key)}" stroke="{colour}" fill="none" '
                   f'stroke-width="1.5" stroke-linejoin="round">')
        for run in _runs(np.isfinite(values)):
            xs, ys = _columns(frames[run], values[run], pw)
            if xs.size == 1:
                out.append(f'<circle cx="{float(px(xs[0])):.1f}" cy="{float(py(ys[0])):.1f}" r="2" '
                           f'fill="{colour}"/>')
                continue
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(xs), py(ys)))
            out.append(f'<polyline points="{pts}"/>')
        out.append("</g>")
    out.append(_legend(list(series) + (["95 % interval"] if len(edges) == 2 else []), width))
    out.append("</svg>")
    return "".join(out)


def _label_levels(xs: list[float]) -> list[int]:
    """A row for each mark's number so that close marks do not print over each other."""
    last = [-math.inf] * MARK_LEVELS
    levels = [0] * len(xs)
    for i in sorted(range(len(xs)), key=lambda i: xs[i]):
        free = [lv for lv in range(MARK_LEVELS) if xs[i] - last[lv] >= MARK_GAP]
        level = free[0] if free else min(range(MARK_LEVELS), key=lambda lv: last[lv])
        levels[i], last[level] = level, xs[i]
    return levels


def _runs(mask: np.ndarray) -> list[np.ndarray]:
    """Index arrays of the consecutive True stretches of ``mask``."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1) + 1
    return np.split(idx, breaks)


def _legend(keys: list[str], width: int) -> str:
    parts, x = [], width - RIGHT
    for i in reversed(range(len(keys))):
        label = escape(keys[i])
        x -= 26 + 7 * len(keys[i])
        parts.append(f'<g class="legend"><line x1="{x}" x2="{x + 16}" y1="{LEGEND_Y - 4}" y2="{LEGEND_Y - 4}" '
                     f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="3"/>'
                     f'<text x="{x + 20}" y="{LEGEND_Y}" class="legend">{label}</text></g>')
    return "".join(parts)
