"""The model lab's scatter as inline SVG: MOS (x, with its 95 % interval) against the predicted
score (y, with the bootstrap model's interval when there is one), a colour per content, and
vmaf's fitted logistic curve drawn as the predicted score it maps to each MOS."""
from __future__ import annotations

import math
from html import escape

import numpy as np

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def content_colours(contents: list[str]) -> dict[str, str]:
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(set(contents)))}


def scatter_svg(p, width: int = 560, height: int = 420) -> str:
    """``p``: analysis.Predictions."""
    left, right, top, bottom = 52, 130, 14, 40
    xs, ys = p.labels, p.scores
    x_ci = np.nan_to_num(p.label_ci)
    x_lo, x_hi = float(np.min(xs - x_ci)), float(np.max(xs + x_ci))
    y_all = np.concatenate([ys, p.lo[np.isfinite(p.lo)], p.hi[np.isfinite(p.hi)]])
    y_lo, y_hi = float(np.min(y_all)), float(np.max(y_all))
    x_lo, x_hi = _pad(x_lo, x_hi)
    y_lo, y_hi = _pad(y_lo, y_hi)
    w, h = width - left - right, height - top - bottom

    def sx(v):
        return left + (v - x_lo) / (x_hi - x_lo) * w

    def sy(v):
        return top + h - (v - y_lo) / (y_hi - y_lo) * h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="lab-scatter" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" font-size="11" font-family="sans-serif">',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#888"/>']
    for v in _ticks(x_lo, x_hi):
        out.append(f'<line x1="{sx(v):.1f}" y1="{top + h}" x2="{sx(v):.1f}" y2="{top + h + 4}" stroke="#888"/>'
                   f'<text x="{sx(v):.1f}" y="{top + h + 16}" text-anchor="middle">{v:g}</text>')
    for v in _ticks(y_lo, y_hi):
        out.append(f'<line x1="{left - 4}" y1="{sy(v):.1f}" x2="{left}" y2="{sy(v):.1f}" stroke="#888"/>'
                   f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    out.append(f'<text x="{left + w / 2}" y="{height - 6}" text-anchor="middle">MOS (95 % interval)</text>'
               f'<text transform="translate(12 {top + h / 2}) rotate(-90)" text-anchor="middle">'
               f'predicted {escape(p.model)}</text>')
    out.append(_curve(p, sx, sy, x_lo, x_hi, y_lo, y_hi))
    colours = content_colours(p.contents)
    for i, (x, y) in enumerate(zip(xs, ys)):
        c = colours[p.contents[i]]
        if x_ci[i] > 0:
            out.append(f'<line x1="{sx(x - x_ci[i]):.1f}" y1="{sy(y):.1f}" x2="{sx(x + x_ci[i]):.1f}" '
                       f'y2="{sy(y):.1f}" stroke="{c}" stroke-opacity="0.6"/>')
        if math.isfinite(p.lo[i]):
            out.append(f'<line x1="{sx(x):.1f}" y1="{sy(p.lo[i]):.1f}" x2="{sx(x):.1f}" y2="{sy(p.hi[i]):.1f}" '
                       f'stroke="{c}" stroke-opacity="0.6"/>')
        out.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3.5" fill="{c}">'
                   f'<title>{escape(p.names[i])}: MOS {x:.2f}, predicted {y:.2f}</title></circle>')
    for k, (name, c) in enumerate(colours.items()):
        ly = top + 10 + 16 * k
        out.append(f'<circle cx="{left + w + 14}" cy="{ly}" r="4" fill="{c}"/>'
                   f'<text x="{left + w + 22}" y="{ly + 4}">{escape(name[:16])}</text>')
    out.append("</svg>")
    return "".join(out)


def _curve(p, sx, sy, x_lo, x_hi, y_lo, y_hi) -> str:
    """The fitted mapping as a curve in this plot: for each MOS y on the label scale, the score x
    that the logistic maps to y (x = a + b·logit of the rescaled y)."""
    lg = p.result["logistic"]
    grid = np.linspace(max(x_lo, lg.lo + 1e-6), min(x_hi, lg.hi - 1e-6), 120)
    yn = (grid - lg.lo) / (lg.hi - lg.lo)
    x = lg.a + lg.b * np.log(yn / (1.0 - yn))
    keep = (x >= y_lo) & (x <= y_hi)
    if keep.sum() < 2:
        return ""
    points = " ".join(f"{sx(m):.1f},{sy(s):.1f}" for m, s in zip(grid[keep], x[keep]))
    return f'<polyline points="{points}" fill="none" stroke="#444" stroke-dasharray="4 3"><title>fitted logistic' \
           f'</title></polyline>'


def _pad(lo: float, hi: float) -> tuple[float, float]:
    span = hi - lo or 1.0
    return lo - 0.05 * span, hi + 0.05 * span


def _ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    step = 10 ** math.floor(math.log10((hi - lo) / count))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= count:
            step *= m
            break
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step) + 1)]
