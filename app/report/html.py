"""A ``Report`` as one self-contained HTML page: CSS, pictures and plots inside, opens
offline, one file to mail. Every string from the user or their files is escaped.

The page's blocks (``page``, ``header``, ``cards``, ``clip_table``, ``stats_table``,
``plot_block``, ``frame_row``, ``panels``) are public: the mask report
(``vqinspect.app.masks.report_html``) is built from the same ones.

Layout uses tables and pictures carry pixel sizes for a ``PAGE_WIDTH`` page, so the same
markup reads in a browser (where CSS makes it fluid) and in Qt's rich text, which the
PDF export renders; ``paged=True`` also turns the inline SVG plots into SVG pictures and
leaves out the click-to-zoom script, which paged renderers do not run.
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable

from vqinspect.app import __version__
from vqinspect.app.media.transform import display_notes
from vqinspect.app.display.screen import timecode
from vqinspect.app.media.names import codec_name, container_name
from vqinspect.app.qc.verdict import Verdict
from vqinspect.app.shared.text import clip_fps
from vqinspect.metrics.registry import (format_value, higher_is_worse, interval_keys, key_info, plot_groups,
                                        primary_keys)
from vqinspect.app.report.model import Report, WorstFrame, ordered_keys, worst_frames
from vqinspect.app.report.images import ColorBar, FramePanels, Panel
from vqinspect.app.report.plot import HEIGHT, WIDTH, series_svg
from vqinspect.app.scoring.results import POOLS, ScoreResult, write_atomic

PAGE_WIDTH = 1000                      # px of content the pictures are sized for
PAGE_HEIGHT = 1548                     # px of content on a PDF page (A4 less 12 mm margins at 144 dpi)
PANEL_GAP = 8
PANELS_PER_LINE = 2                    # pictures side by side on a PDF page
PANEL_CAPTION_HEIGHT = 70              # px under a paged picture: colour scale and caption
ROW_TEXT_HEIGHT = 90                   # px of a moment's heading lines
SECTION_HEAD_HEIGHT = 120              # px of a section's title and hint
PAGE_BREAK = '<div style="page-break-before: always"></div>'   # honoured by Qt's rich text
STAT_LABELS = {"mean": "mean", "harmonic_mean": "harm. mean", "min": "min", "max": "max",
               "p1": "1st pct", "p5": "5th pct"}


def e(value) -> str:
    """Escaped text for HTML content and attribute values."""
    return escape(str(value), quote=True)


def fmt(v) -> str:
    return format_value(v)

def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def img(png: bytes, alt: str, width: int | None = None, cls: str = "") -> str:
    w, h = png_size(png)
    if width is not None and w:
        w, h = width, max(1, round(h * width / w))
    klass = f' class="{cls}"' if cls else ""
    return f'<img{klass} alt="{e(alt)}" width="{w}" height="{h}" src="{_data_uri(png)}">'


def _css(embed_fonts: bool = True) -> str:
    """The report's style sheet, with the shipped DejaVu fonts embedded (a Latin subset, about
    230 kB in all) so that every browser draws the same letters. The PDF writer (Qt) has them
    installed and ignores @font-face: its paged HTML goes without."""
    folder = resources.files("vqinspect.resources")
    faces = "" if not embed_fonts else "".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; '
        f'src: url({_data_uri(folder.joinpath("fonts", name).read_bytes(), "font/ttf")}) format("truetype"); }}\n'
        for family, weight, name in _WEB_FONTS)
    return faces + folder.joinpath("report.css").read_text(encoding="utf-8")


_WEB_FONTS = (("DejaVu Sans", "normal", "DejaVuSans-web.ttf"), ("DejaVu Sans", "bold", "DejaVuSans-Bold-web.ttf"),
              ("DejaVu Sans Mono", "normal", "DejaVuSansMono-web.ttf"))


def render_html(report: Report, *, paged: bool = False) -> str:
    """The whole page as one string."""
    r = report.result
    return page(report.title, [_header(report), verdict_box(report.verdict, clip_fps(r.reference)),
                               _glance(report), _clips(r, report.display), _alignment(r, report.notes),
                               _statistics(report, paged), _plots(report, paged), _worst(report, paged),
                               _bookmarks(report)],
                report.generated, paged=paged)


def verdict_box(verdict: Verdict | None, fps) -> str:
    """The QC verdict at the top: PASS or FAIL, each rule met or failed, with values, limits and
    the frames where it failed."""
    if verdict is None:
        return ""
    failed = {f.rule.text: f for f in verdict.failures}
    rows = []
    for rule in verdict.profile.rules:
        f = failed.get(rule.text)
        where = "" if f is None else "; ".join(_range_text(a, b, fps) for a, b in f.ranges[:6]) + \
            (f" and {len(f.ranges) - 6} more" if f is not None and len(f.ranges) > 6 else "")
        rows.append(f'<tr class="{"bad" if f else "ok"}"><td>{e(rule.describe())}</td>'
                    f'<td class="state">{"failed" if f else "met"}</td>'
                    f'<td>{e(f.reason) if f else ""}</td><td>{e(where)}</td></tr>')
    word, colour = ("PASS", "#e8f5e9") if verdict.passed else ("FAIL", "#fdecea")
    met = len(verdict.profile.rules) - len(verdict.failures)
    return (f'<section id="verdict" class="verdict {word.lower()}" data-passed="{str(verdict.passed).lower()}">'
            f'<table class="verdict-box" width="100%" bgcolor="{colour}" cellpadding="8"><tr><td>'
            f'<h2 class="verdict-word">QC verdict: {word}</h2>'
            f'<p>Profile <b>{e(verdict.profile.title)}</b> ({e(verdict.profile.name)}): {met} of '
            f'{len(verdict.profile.rules)} rules met.</p>'
            f'<table class="rules ruled" border="1" cellspacing="0" cellpadding="4"><thead><tr><th>rule</th>'
            f'<th>result</th><th>value</th><th>where it fails</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f'<p class="hint">{e(verdict.profile.about)}</p></td></tr></table></section>')


def _range_text(a: int, b: int, fps) -> str:
    if b - a == 1:
        return f"frame {a} ({timecode(a, fps)})"
    return f"frames {a}–{b - 1} ({timecode(a, fps)}–{timecode(b - 1, fps)})"


def page(title: str, sections: Iterable[str], generated: str, *, paged: bool = False,
         rate_of: str = "the reference") -> str:
    """A self-contained page around ``sections`` (HTML; empty ones are left out), with the
    footer saying how frames count and whose frame rate the timecodes use. On paper the footer
    goes under the title (a last page never holds it alone) and tables are ruled."""
    sections = [s for s in sections if s]
    footer = (f'<footer>Made by vqinspect {e(__version__)} on {e(generated)}. Frame numbers count '
              f"from 0 in display order; timecodes are non-drop at {e(rate_of)}'s nominal rate.</footer>")
    body = [*sections[:1], footer, *sections[1:]] if paged else [*sections, footer, _ZOOM_SCRIPT]
    html = "\n".join(["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      f'<meta name="generator" content="vqinspect {e(__version__)}">',
                      f"<title>{e(title)}</title><style>{_css(embed_fonts=not paged)}</style></head><body>",
                      *body, "</body></html>"])
    return _ruled(html) if paged else html


_RULED = ' border="1" cellspacing="0" cellpadding="5"'


def _ruled(html: str) -> str:
    """Tables with rules for Qt's rich text, which reads table attributes rather than CSS borders."""
    for cls in ("stats", "meta", "cards"):
        html = html.replace(f'<table class="{cls}">', f'<table class="{cls}"{_RULED}>')
    return html


def write_html(report: Report, path) -> Path:
    """Write the page atomically; returns the path."""
    write_atomic(path, render_html(report))
    return Path(path)


def _header(report: Report) -> str:
    r = report.result
    return header(report.title, f"Scores {report.source} · report made {report.generated}",
                  run_warnings(r.status, r.table, r.problems))


def run_warnings(status: str, table, problems: Iterable[str]) -> list[str]:
    """What the header warns about: a run that stopped early, and its problems."""
    stopped = [f"Scoring {status}: {table.count} of {len(table)} frames scored."] if status != "complete" else []
    return stopped + list(problems)


def header(title: str, sub: str, warnings: Iterable[str] = ()) -> str:
    """The page's title, the line under it and the warnings."""
    lines = "".join(f'<p class="warning">{e(w)}</p>' for w in warnings)
    return f'<header><h1>{e(title)}</h1><p class="sub">{e(sub)}</p>{lines}</header>'


def _glance(report: Report) -> str:
    pooled = report.result.table.pooled()
    items = []
    for key in primary_keys(report.result.table.keys):
        worst = worst_frames(report.result, key, 1)
        items.append((key, pooled[key]["mean"],
                      f"mean · worst {fmt(worst[0][1])} at frame {worst[0][0]}" if worst else "mean"))
    return cards(items)


def cards(items: Iterable[tuple[str, float, str]]) -> str:
    """The summary strip: a card per (label, value, line under the value)."""
    cells = "".join(f'<td class="card" data-key="{e(label)}" data-value="{attr_num(value)}"><div class="k">'
                    f'{e(label)}</div><div class="v">{fmt(value)}</div><div class="s">{e(line)}</div></td>'
                    for label, value, line in items)
    return f'<section id="summary"><table class="cards"><tr>{cells}</tr></table></section>'


_CLIP_ROWS = (
    ("File", lambda d: d.get("path")),
    ("Container / codec", lambda d: _join(container_name(d.get("container") or "", d.get("path") or ""),
                                          codec_name(d.get("codec") or "", d.get("codec_profile") or ""))),
    ("Size", lambda d: f"{d['width']}×{d['height']}" if d.get("width") else None),
    ("Frame rate", lambda d: _fps_text(d)),
    ("Frames", lambda d: d.get("frame_count")),
    ("Duration", lambda d: f"{d['duration']:.3f} s" if d.get("duration") else None),
    ("Bitrate", lambda d: f"{d['bitrate'] / 1000:.0f} kbit/s" if d.get("bitrate") else None),
    ("Pixel format", lambda d: _join(d.get("pix_fmt"), f"{d['bit_depth']}-bit" if d.get("bit_depth") else None,
                                     d.get("chroma_subsampling"))),
    ("Colour", lambda d: _join(*(f"{n} {d[k]}" for n, k in (("range", "color_range"), ("matrix", "color_matrix"),
                                ("primaries", "color_primaries"), ("transfer", "color_transfer")) if d.get(k)))),
    ("Start time", lambda d: f"{d['start_time']:.3f} s" if d.get("start_time") else None),
    ("Variable frame rate", lambda d: "yes" if d.get("variable_frame_rate") else None),
    ("Display", lambda d: display_notes(d) or None),
    ("Conversion", lambda d: d.get("conversion") or None),
    ("Truncated", lambda d: d.get("truncated") or None),
)


def _join(*items) -> str | None:
    return ", ".join(str(i) for i in items if i) or None


def _fps_text(d: dict) -> str | None:
    if not d.get("fps"):
        return None
    rational = d.get("fps_rational", "")
    return f"{d['fps']:.3f} fps" + (f" ({rational})" if rational and not rational.endswith("/1") else "")


def _clips(r: ScoreResult, display: tuple[str, str]) -> str:
    extra = [("Pictures shown as", [d or None for d in display])] if any(display) else []
    table = clip_table([("Reference", r.reference), ("Distorted", r.distorted)], extra)
    return f'<section id="clips"><h2>Clips</h2>{table}</section>'


def clip_table(columns: list[tuple[str, dict]], extra: Iterable[tuple[str, list]] = ()) -> str:
    """Probe dicts side by side, a column per (heading, dict), then the ``extra`` rows
    (label, a value per column, None for none); rows without any value are left out."""
    rows = []
    for label, get in _CLIP_ROWS:
        values = []
        for _, info in columns:
            try:
                values.append(get(info))
            except (KeyError, TypeError, ValueError):
                values.append(None)
        rows.append((label, values))
    body = "".join(f"<tr><th>{e(label)}</th>" + "".join(f"<td>{e(v) if v is not None else '–'}</td>"
                                                          for v in values) + "</tr>"
                   for label, values in [*rows, *extra] if any(v is not None for v in values))
    head = "".join(f"<th>{e(heading)}</th>" for heading, _ in columns)
    return f'<table class="meta"><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>'


def _alignment(r: ScoreResult, notes: list[str]) -> str:
    a = r.alignment
    offset = int(a.get("offset", 0))
    items = [f"Reference frame <i>i</i> is compared with distorted frame <i>i</i> {'+' if offset >= 0 else '−'} "
             f"{abs(offset)} (offset {offset})."]
    if a.get("mode") == "auto":
        items = [f"Frames are paired by an automatic alignment, from offset {offset}: each reference frame "
                 f"against its true counterpart (the events below)."]
    if "start" in a and "stop" in a:
        start, stop = int(a["start"]), int(a["stop"])
        scored = int(((r.table.scored_frames() >= start) & (r.table.scored_frames() < stop)).sum())
        items.append(f"Reference frames {start}–{stop - 1}: {scored} of {stop - start} scored.")
    if a.get("scaled"):
        w, h = a.get("scaled_to", ("?", "?"))
        items.append(f"Distorted frames scaled to {e(w)}×{e(h)} with FFmpeg's {e(a.get('scaler', '?'))} scaler.")
    else:
        items.append("No scaling: both clips have the same size.")
    items += [e(n) for n in [*a.get("notes", []), *notes]]
    return f'<section id="alignment"><h2>Alignment</h2><ul>{"".join(f"<li>{i}</li>" for i in items)}</ul></section>'


def _statistics(report: Report, paged: bool = False) -> str:
    """The scores people read; the metrics' elementary features (VMAF's VIF and ADM scales...)
    in a collapsed section below them."""
    r = report.result

    def worst_frame(key: str) -> int | None:
        worst = worst_frames(r, key, 1)
        return worst[0][0] if worst else None

    keys = ordered_keys(r.table.keys)
    scores = [k for k in keys if not key_info(k).feature]
    features = [k for k in keys if key_info(k).feature]
    pooled = r.table.pooled()
    table = stats_table(pooled, scores, worst_frame, report.by)
    more = ""
    if features:
        inner = stats_table(pooled, features, worst_frame, report.by)
        label = f"Elementary features ({len(features)}): what the scores above are computed from"
        more = (f'<h3 class="features">{e(label)}</h3>{inner}' if paged else
                f'<details class="features"><summary>{e(label)}</summary>{inner}</details>')
    return (f'<section id="statistics"><h2>Pooled statistics</h2>{table}{more}'
            f'<p class="hint">Problem moments are ranked by <b>{e(report.by)}</b>. Harmonic mean as libvmaf '
            f"pools it (1/mean(1/(x+1)) − 1); percentiles interpolate between frames. "
            f"{e(_direction_words(scores))}</p></section>")


def _direction_words(keys) -> str:
    """Which way is worse for the keys shown, from the registry: 'Lower is worse for psnr_y, ...'."""
    lower = [k for k in keys if not higher_is_worse(k)]
    higher = [k for k in keys if higher_is_worse(k)]
    parts = [f"Lower is worse for {', '.join(lower)}." if lower else "",
             f"Higher is worse for {', '.join(higher)}." if higher else ""]
    return " ".join(p for p in parts if p)


def stats_table(stats: dict[str, dict[str, float]], keys: Iterable[str],
                worst_frame: Callable[[str], int | None] | None = None, highlight: str | None = None, *,
                columns: Iterable[str] = POOLS, corner: str = "score") -> str:
    """A row per key of ``stats`` (key -> statistic -> value) and a column per statistic,
    plus the key's worst frame when ``worst_frame`` is given; the ``highlight`` row in red."""
    columns = list(columns)
    head = "".join(f"<th>{e(STAT_LABELS.get(s, s))}</th>" for s in columns)
    head += "<th>worst frame</th>" if worst_frame is not None else ""
    rows = []
    for key in keys:
        values = stats[key]
        cells = "".join(f'<td data-key="{e(key)}" data-stat="{e(s)}" data-value="{attr_num(values[s])}">'
                        f"{fmt(values[s])}</td>" for s in columns)
        if worst_frame is not None:
            worst = worst_frame(key)
            cells += f'<td data-key="{e(key)}" data-stat="worst_frame">{"–" if worst is None else worst}</td>'
        by = ' class="by" style="color: #c62828; font-weight: bold"' if key == highlight else ""
        rows.append(f"<tr{by}><th>{e(key)}</th>{cells}</tr>")
    return (f'<table class="stats"><thead><tr><th>{e(corner)}</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def attr_num(v) -> str:
    return repr(float(v)) if v is not None and math.isfinite(v) else "nan"


def _plots(report: Report, paged: bool) -> str:
    t = report.result.table
    marks = [(w.rank, w.frame) for w in report.worst]
    blocks = [plot_block(t.frames(), {k: t.column(k) for k in keys}, title, marks=marks,
                         mark_key=report.by if report.by in keys else keys[0], source=report.source, paged=paged)
              for title, keys in plot_groups(t.keys)]
    legend = (f'<p class="hint">Dashed red lines: the {len(marks)} worst frames by {e(report.by)}, numbered as '
              f"in the section below.</p>" if marks else "")
    return f'<section id="plots"><h2>Per-frame scores</h2>{legend}{"".join(blocks)}</section>'


def plot_block(frames, series: dict, title: str, *, marks: Iterable[tuple[int, int]] = (),
               mark_key: str | None = None, source: str = "", paged: bool = False,
               x_label: str = "reference frame") -> str:
    """A titled per-frame plot: inline SVG, or an SVG picture for paged renderers."""
    svg = series_svg(frames, series, title=title, marks=list(marks), mark_key=mark_key, x_label=x_label,
                     band=interval_keys(series))
    if paged:
        height = round(HEIGHT * PAGE_WIDTH / WIDTH)
        svg = (f'<img class="plot" alt="{e(title)}" width="{PAGE_WIDTH}" height="{height}" '
               f'src="{_data_uri(svg.encode(), "image/svg+xml")}">')
    src = f' <span class="src">· {e(source)}</span>' if source else ""
    return (f'<div class="plot" data-group="{e(title)}"><p class="plot-title"><b>{e(title)}</b> per frame'
            f'{src}</p>{svg}</div>')


def _worst(report: Report, paged: bool = False) -> str:
    if not report.worst:
        return ""
    keys = primary_keys(report.result.table.keys)
    keys = keys if report.by in keys else [report.by, *keys]
    fps = clip_fps(report.result.reference)
    blocks = [(_worst_row(w, keys, report.by, fps, paged), panels_height(w.images) + ROW_TEXT_HEIGHT)
              for w in report.worst]
    rows = paginate(blocks, SECTION_HEAD_HEIGHT) if paged else "".join(html for html, _ in blocks)
    shots = ("one per shot" if report.cuts else "one per stretch of bad frames") + \
        (f", {len(report.cuts)} shot cut{'s' if len(report.cuts) != 1 else ''} found" if report.cuts else "")
    how = ("Pictures are shown pixel for pixel (scroll sideways when they are wider than the window); "
           "click one to see it alone." if not paged else "Pictures are scaled to the page width.")
    return (f'{PAGE_BREAK if paged else ""}<section id="worst">'
            f'<h2>The {len(report.worst)} worst moments by {e(report.by)}</h2>'
            f'<p class="hint">A moment is a run of bad frames around its worst frame, {e(shots)}. Each shows the '
            f"same region of both clips at its worst frame, centred on the worst area, their luma difference, "
            f"the metric's heatmap (one colour scale for the whole report) and that area's pixels doubled. "
            f"{how}</p>{rows}</section>")


def _worst_row(w: WorstFrame, keys: list[str], by: str, fps, paged: bool) -> str:
    where = f"distorted frame {w.dist_frame}"
    if w.moment is not None and w.moment[1] - w.moment[0] > 1:
        where = f"{_range_text(*w.moment, fps)} · {where}"
    if w.images is not None:
        where += f" · region {e(w.images.crop.label(w.images.frame_size))}"
    return frame_row(w, where, score_spans(w.scores, keys, by), paged=paged)


def score_spans(values: dict[str, float], keys: Iterable[str], by: str | None = None) -> str:
    """A frame's values of ``keys`` (those it has), the ``by`` one in red."""
    return " ".join(f'<span class="score{" by" if k == by else ""}" data-key="{e(k)}" '
                    f'data-value="{attr_num(values[k])}">{e(k)} {fmt(values[k])}</span>'
                    for k in keys if k in values)


def frame_row(w: WorstFrame, where: str, scores: str, attrs: dict[str, str] | None = None,
              paged: bool = False, layout: "PagedLayout | None" = None) -> str:
    """A frame's row: rank, frame and timecode, the ``where`` and ``scores`` lines (HTML),
    the locator and the pictures; ``attrs`` become extra ``data-`` attributes."""
    extra = "".join(f' data-{e(k)}="{e(v)}"' for k, v in (attrs or {}).items())
    locator = ""
    if w.images is not None and w.images.locator:
        locator = f'<td class="loc">{img(w.images.locator, "where the region lies", cls="locator")}</td>'
    head = (f'<table class="row-head"><tr>{locator}<td><h3>#{w.rank} · frame {w.frame} · {e(w.timecode)}</h3>'
            f'<p class="where">{where}</p><p class="scores">{scores}</p></td></tr></table>')
    moment = f' data-moment-start="{w.moment[0]}" data-moment-stop="{w.moment[1]}"' if w.moment else ""
    return (f'<article class="worst-frame" data-rank="{w.rank}" data-frame="{w.frame}"{moment}{extra}>{head}'
            f"{panels(w.images, w.error, paged, layout or PagedLayout())}</article>")


@dataclass(frozen=True)
class PagedLayout:
    """How a row's pictures sit on paper: ``per_line`` to a line (None: all on one), enlarged up
    to ``enlarge`` times to fill it. The encode report puts two to a line, as large as the page
    allows; the mask report keeps a row of three at their size."""

    per_line: int | None = PANELS_PER_LINE
    enlarge: float = 2.0
    caption_height: int = PANEL_CAPTION_HEIGHT

    def lines(self, images: FramePanels) -> list[tuple[Panel, ...]]:
        n = self.per_line or len(images.panels)
        return [images.panels[i:i + n] for i in range(0, len(images.panels), n)]

    def widths(self, line) -> list[int]:
        n = self.per_line or len(line)
        natural = [png_size(p.png)[0] for p in line]
        fit = min(self.enlarge, (PAGE_WIDTH - PANEL_GAP * n) / max(1, sum(natural) if self.per_line is None
                                                                     else max(natural) * n))
        return [max(1, round(w * fit)) for w in natural]

    def height(self, images: FramePanels | None) -> int:
        if images is None or not images.panels:
            return 0
        total = 0
        for line in self.lines(images):
            total += max(round(png_size(p.png)[1] * w / png_size(p.png)[0]) for p, w in zip(line, self.widths(line)))
            total += self.caption_height
        return total


def panels(images: FramePanels | None, error: str, paged: bool = False, layout: PagedLayout = PagedLayout()) -> str:
    """A frame's pictures: in a browser pixel for pixel, wrapping onto more lines; on paper as
    ``layout`` puts them."""
    if images is None:
        return f'<p class="warning">{e(error)}</p>' if error else ""
    if not paged:
        figures = "".join(_figure(p, png_size(p.png)[0]) for p in images.panels)
        return f'<div class="panels">{figures}</div>'
    rows = "".join("<tr>" + "".join(_panel(p, w) for p, w in zip(line, layout.widths(line))) + "</tr>"
                   for line in layout.lines(images))
    return f'<table class="panels paged" cellspacing="{PANEL_GAP}">{rows}</table>'


def panels_height(images: FramePanels | None, layout: PagedLayout = PagedLayout()) -> int:
    """The height in px of a row's pictures as ``panels`` lays them out on paper (0 without)."""
    return layout.height(images)


def paginate(blocks: Iterable[tuple[str, int]], used: int = 0) -> str:
    """Blocks of (HTML, estimated height in px) for the PDF, with a page break before each
    block that does not fit on what is left of the page (``used`` px are taken already):
    Qt's rich text would split it, pictures on one page and their captions on the next."""
    out = []
    for html, height in blocks:
        if used and used + height > PAGE_HEIGHT:
            out.append(PAGE_BREAK)
            used = 0
        out.append(html)
        used += height
    return "".join(out)


def _panel(p: Panel, shown: int) -> str:
    """A picture in a paged table cell, ``shown`` px wide."""
    return (f'<td class="panel" valign="top">{img(p.png, p.title, shown)}'
            f"{_colorbar(p.colorbar, shown)}"
            f'<p class="cap"><b>{e(p.title)}</b> {e(p.caption)}</p></td>')


def _figure(p: Panel, width: int) -> str:
    """A picture at its own size (1:1) with its colour scale and caption."""
    return (f'<figure class="panel" style="width: {width}px">{img(p.png, p.title, width, "zoomable")}'
            f"{_colorbar(p.colorbar, width)}"
            f'<figcaption class="cap"><b>{e(p.title)}</b> {e(p.caption)}</figcaption></figure>')


def _colorbar(bar: ColorBar | None, width: int) -> str:
    """The colour scale under a heatmap: the ramp, its ends and middle values."""
    if bar is None:
        return ""
    best, worst = bar.best_worst
    unit = f" {e(bar.unit)}" if bar.unit else ""
    ramp = f'<img class="ramp" alt="colour scale" width="{width}" height="10" src="{_data_uri(bar.ramp_png())}">'
    return (f'<div class="colorbar">{ramp}<table class="ticks" width="{width}"><tr>'
            f'<td>{_tick(best)}<br><span>better</span></td><td class="mid">{_tick((best + worst) / 2)}</td>'
            f'<td class="end">{_tick(worst)}{unit}<br><span>worse</span></td></tr></table></div>')


def _tick(value: float) -> str:
    a = abs(value)
    if a == 0:
        return "0"
    if a >= 10000 or a < 0.01:
        return f"{value:.2e}"
    return f"{value:.1f}" if a >= 100 else f"{value:.3g}" if a >= 1 else f"{value:.3f}"


def _lines(text: str) -> str:
    """Escaped text whose line breaks survive renderers without ``white-space: pre-wrap``."""
    return "<br>".join(e(line) for line in text.splitlines())


def _bookmarks(report: Report) -> str:
    if not report.bookmarks:
        return ""
    shown = primary_keys(report.result.table.keys)
    items = []
    for b in report.bookmarks:
        scores = " ".join(f'<span class="score">{e(k)} {fmt(v)}</span>' for k, v in b.scores.items() if k in shown)
        if b.png:
            w = png_size(b.png)[0]
            image = img(b.png, f"view at frame {b.frame}", min(w, PAGE_WIDTH), "zoomable")
        else:
            image = '<p class="hint">no picture of the view was kept</p>'
        view = f" · {e(b.view_name)}" if b.view_name else ""
        items.append(f'<article class="bookmark" data-frame="{b.frame}"><h3>Frame {b.frame} · {e(b.timecode)}'
                     f'{view}</h3><p class="note">{_lines(b.note)}</p><p class="scores">{scores}</p>{image}</article>')
    return f'<section id="bookmarks"><h2>Bookmarks</h2>{"".join(items)}</section>'


_ZOOM_SCRIPT = """<div id="zoom" hidden></div><script>
(function () {
  var zoom = document.getElementById("zoom");
  document.addEventListener("click", function (ev) {
    var t = ev.target;
    if (t.classList && t.classList.contains("zoomable")) {
      var big = new Image(); big.src = t.src; big.alt = t.alt;
      zoom.replaceChildren(big); zoom.hidden = false;
    } else if (!zoom.hidden) { zoom.hidden = true; }
  });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") zoom.hidden = true; });
})();
</script>"""
