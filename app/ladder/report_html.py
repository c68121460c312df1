"""The ladder report: one self-contained page with the rate-quality curve of every key (the hull
drawn, every encode labelled), the encodes table, the BD table and each encode's worst frame,
made of the pair report's blocks (``vqinspect.app.report.html``)."""
from __future__ import annotations

import base64
import math
from datetime import datetime, timezone
from html import escape

from vqinspect.app.ladder.ladder import MEASUREMENT, Ladder
from vqinspect.app.report.html import PAGE_WIDTH, clip_table, e, fmt, frame_row, header, page, score_spans
from vqinspect.app.report.model import WorstFrame
from vqinspect.app.report.plot import PALETTE, nice_ticks

WIDTH, HEIGHT = 1000, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 30, 44
HULL_COLOUR = "#C62828"
_STYLE = ("<style>.tick,.axis,.pt,.legend{font-family:'DejaVu Sans',Arial,sans-serif;font-size:11px;fill:#333}"
          ".axis{fill:#666}.pt{font-size:10px}</style>")


def render_ladder_html(ladder: Ladder, worst: dict[str, WorstFrame] | None = None, *, title: str = "",
                       paged: bool = False) -> str:
    """The page; ``worst``: the worst frame (with its pictures) of each encode, by path."""
    generated = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    title = title or f"Bitrate ladder: {ladder.name}"
    failed = [f"{x.label}: {x.error}" for x in ladder.encodes if x.error]
    sections = [header(title, f"{len(ladder.scored())} encodes scored · report made {generated}", failed),
                _method(ladder), _encodes(ladder),
                *(_curve_block(ladder, key, paged) for key in ladder.keys),
                _bd_table(ladder), _worst(ladder, worst or {})]
    return page(title, sections, generated, paged=paged)


def _method(ladder: Ladder) -> str:
    ref = clip_table([("Reference", ladder.reference)])
    return f'<section id="reference"><h2>Reference</h2>{ref}<p class="hint">{e(MEASUREMENT)}</p></section>'


def _encodes(ladder: Ladder) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in ("encode", "group", "codec", "size", "kbit/s", *ladder.keys))
    rows = []
    for x in ladder.encodes:
        rate = fmt(x.bitrate_kbps) if x.bitrate_kbps is not None else "–"
        if x.container_bitrate_kbps is not None:
            rate += f' <span class="hint">(header: {fmt(x.container_bitrate_kbps)})</span>'
        cells = "".join(f'<td data-key="{e(k)}" data-value="{x.quality(k)!r}">{fmt(x.quality(k))}'
                        f'{" ★" if x.on_hull.get(k) else ""}</td>' for k in ladder.keys)
        rows.append(f'<tr data-path="{e(x.path)}"><th>{e(x.label)}</th><td>{e(x.group)}</td><td>{e(x.codec)}</td>'
                    f"<td>{e(x.resolution)}</td><td>{rate}</td>{cells}</tr>")
    return (f'<section id="encodes"><h2>Encodes</h2><table class="stats"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table><p class="hint">Pooled means; ★ on the convex hull of that '
            f"key (all groups together).</p></section>")


def _curve_block(ladder: Ladder, key: str, paged: bool) -> str:
    svg = rate_quality_svg(ladder, key)
    if paged:
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
        svg = (f'<img class="plot" alt="{e(key)}" width="{PAGE_WIDTH}" height="{round(HEIGHT * PAGE_WIDTH / WIDTH)}" '
               f'src="{uri}">')
    return (f'<section class="curve" data-key="{e(key)}"><h2>{e(key)} against bitrate</h2>{svg}</section>')


def rate_quality_svg(ladder: Ladder, key: str) -> str:
    """Points per (group, resolution) joined by rate, the hull in red, every point labelled;
    bitrate on a log axis."""
    encodes = [x for x in ladder.scored() if math.isfinite(x.quality(key))]
    rates = [x.bitrate_kbps for x in encodes] or [1.0, 10.0]
    values = [x.quality(key) for x in encodes] or [0.0, 1.0]
    x0, x1 = math.log10(min(rates)), math.log10(max(rates))
    pad = max((x1 - x0) * 0.06, 0.02)
    x0, x1 = x0 - pad, x1 + pad
    yticks = nice_ticks(min(values), max(values))
    y0, y1 = yticks[0], yticks[-1]
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(rate):
        return LEFT + (math.log10(rate) - x0) / (x1 - x0) * pw

    def py(v):
        return TOP + ph - (v - y0) / ((y1 - y0) or 1) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot rq" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
           f'height="{HEIGHT}" role="img" aria-label="{escape(key)} against bitrate">', _STYLE,
           f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="#fff" stroke="#bbb"/>']
    step = yticks[1] - yticks[0] if len(yticks) > 1 else 1.0
    for t in yticks:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#e6e6e6"/>'
                   f'<text x="{LEFT - 6}" y="{py(t) + 4:.1f}" text-anchor="end" class="tick">{_tick(t, step)}</text>')
    for t in _log_ticks(10 ** x0, 10 ** x1):
        out.append(f'<line x1="{px(t):.1f}" x2="{px(t):.1f}" y1="{TOP}" y2="{TOP + ph}" stroke="#eee"/>'
                   f'<text x="{px(t):.1f}" y="{TOP + ph + 16}" text-anchor="middle" class="tick">{t:g}</text>')
    out.append(f'<text x="{LEFT + pw / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle" class="axis">bitrate '
               f'(kbit/s, log scale)</text>')
    series: dict[tuple[str, str], list] = {}
    for x in encodes:
        series.setdefault((x.group, x.resolution), []).append(x)
    legend = []
    for i, ((group, size), members) in enumerate(series.items()):
        colour = PALETTE[i % len(PALETTE)]
        members.sort(key=lambda x: x.bitrate_kbps)
        pts = " ".join(f"{px(x.bitrate_kbps):.1f},{py(x.quality(key)):.1f}" for x in members)
        name = f"{group} {size}".strip()
        out.append(f'<g class="series" data-name="{escape(name)}"><polyline points="{pts}" fill="none" '
                   f'stroke="{colour}" stroke-width="1.2"/>')
        for x in members:
            cx, cy = px(x.bitrate_kbps), py(x.quality(key))
            hull = x.on_hull.get(key)
            ring = f' stroke="{HULL_COLOUR}" stroke-width="2"' if hull else ""
            out.append(f'<g class="point" data-path="{escape(x.path)}" data-hull="{str(bool(hull)).lower()}">'
                       f'<title>{escape(x.label)}: {x.bitrate_kbps:.1f} kbit/s, {key} {x.quality(key):.4f}</title>'
                       f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{4.5 if hull else 3.5}" fill="{colour}"{ring}/>'
                       f'<text x="{cx + 6:.1f}" y="{cy - 6:.1f}" class="pt">{escape(x.label)}</text></g>')
        out.append("</g>")
        legend.append((name or "encodes", colour))
    hull = sorted((x for x in encodes if x.on_hull.get(key)), key=lambda x: x.bitrate_kbps)
    if len(hull) > 1:
        pts = " ".join(f"{px(x.bitrate_kbps):.1f},{py(x.quality(key)):.1f}" for x in hull)
        out.append(f'<polyline class="hull" points="{pts}" fill="none" stroke="{HULL_COLOUR}" stroke-width="2.5" '
                   f'stroke-dasharray="7 4" opacity="0.85"/>')
    legend.append(("convex hull", HULL_COLOUR))
    x = LEFT + 8
    for name, colour in legend:
        out.append(f'<g class="legend"><line x1="{x}" x2="{x + 16}" y1="{TOP - 12}" y2="{TOP - 12}" stroke="{colour}" '
                   f'stroke-width="3"/><text x="{x + 20}" y="{TOP - 8}" class="legend">{escape(name)}</text></g>')
        x += 30 + 7 * len(name)
    out.append("</svg>")
    return "".join(out)


def _tick(v: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) + (1 if round(step / 10 ** math.floor(math.log10(step)), 6) == 2.5 else 0)
    return f"{v:.{min(decimals, 6)}f}"


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1, 2, 5 × 10^k values within [lo, hi] (fewer when the range spans decades)."""
    ticks = []
    for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in ((1, 2, 5) if math.log10(hi / lo) < 2.5 else (1,)):
            v = m * 10.0 ** k
            if lo <= v <= hi:
                ticks.append(v)
    return ticks or [lo, hi]


def _bd_table(ladder: Ladder) -> str:
    if not ladder.bd:
        return ('<section id="bd"><h2>BD-rate</h2><p class="hint">No comparison: give a manifest with a group '
                "column or --compare another ladder.</p></section>")
    rows = "".join(f'<tr data-key="{e(b.key)}" data-method="{e(b.method)}"><td>{e(b.anchor)}</td><td>{e(b.test)}</td>'
                   f"<th>{e(b.key)}</th><td>{e(b.method)}</td>"
                   f'<td data-value="{b.bd_rate_percent!r}">{_signed(b.bd_rate_percent, " %")}</td>'
                   f'<td data-value="{b.bd_quality!r}">{_signed(b.bd_quality, "")}</td>'
                   f'<td class="note">{e(b.note)}</td></tr>' for b in ladder.bd)
    return ('<section id="bd"><h2>BD-rate and BD-quality</h2><table class="stats"><thead><tr><th>anchor</th>'
            "<th>test</th><th>key</th><th>method</th><th>BD-rate</th><th>BD-quality</th><th>note</th></tr></thead>"
            f'<tbody>{rows}</tbody></table><p class="hint">BD-rate: the average bitrate difference of the test at '
            "equal quality over the overlapping quality range (negative: the test needs fewer bits). BD-quality: "
            "the average quality difference at equal bitrate, in the key's units. Curves: each side's convex hull; "
            "pchip is integrated exactly (JCT-VC/JVET, Netflix BDrateCalculator), cubic is VCEG-M33's "
            "polynomial fit, akima is scipy's Akima1DInterpolator.</p></section>")


def _signed(v: float, unit: str) -> str:
    return "–" if not math.isfinite(v) else f"{v:+.4f}{unit}"


def _worst(ladder: Ladder, worst: dict[str, WorstFrame]) -> str:
    rows = []
    for x in ladder.scored():
        w = worst.get(x.path)
        if w is None:
            continue
        where = f"{e(x.label)} · {e(x.resolution)} · {fmt(x.bitrate_kbps)} kbit/s"
        if w.images is not None:
            where += f" · region {e(w.images.crop.label(w.images.frame_size))}"
        rows.append(frame_row(w, where, score_spans(w.scores, ladder.keys)))
    if not rows:
        return ""
    return ('<section id="worst"><h2>Each encode\'s worst frame</h2><p class="hint">The same region of the '
            "reference and the encode (upscaled to the reference's size), their luma difference and a heatmap, "
            f'centred on the worst area of the frame.</p>{"".join(rows)}</section>')
