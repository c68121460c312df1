"""A ``MaskReport`` as one self-contained HTML page, drawn with the encode report's blocks
(``vqinspect.app.report.html``): same look, same escaping, same paged variant for the PDF."""
from __future__ import annotations

from pathlib import Path

from vqinspect.app import __version__
from vqinspect.app.masks.report import MaskReport, worst_frame
from vqinspect.app.masks.display import KIND_NAMES
from vqinspect.metrics.registry import higher_is_worse, plot_groups
from vqinspect.app.report.html import (PAGE_BREAK, PagedLayout, attr_num, cards, clip_table, e, fmt, frame_row, header, page, paginate,
                             panels_height, plot_block, run_warnings, score_spans, stats_table)
from vqinspect.app.scoring.results import write_atomic

DAVIS_STATS = ("mean", "recall", "decay")
ROW_IDS = 4                  # label maps: a row quotes the ids whose value drops most, at most this many
ONE_LINE = PagedLayout(per_line=None, enlarge=1.0, caption_height=0)   # the row's pictures side by side
ROW_TEXT_HEIGHT = 190        # px of a row besides its pictures: heading, values, colour bars, captions
SECTION_HEAD_HEIGHT = 100    # px of the section's heading and hint


def render_mask_html(report: MaskReport, *, paged: bool = False) -> str:
    """The whole page as one string; ``paged`` for the PDF (as ``render_html``)."""
    r = report.result
    sub = (f"Scored by vqinspect {__version__} in {r.elapsed:.1f} s · report made {report.generated}")
    return page(report.title, [header(report.title, sub, run_warnings(r.status, r.table, r.problems)),
                               _summary(report), _inputs(report), _clip(report), _statistics(report),
                               _plots(report, paged), _unstable(report, paged)],
                report.generated, paged=paged, rate_of="the prediction")


def write_mask_html(report: MaskReport, path) -> Path:
    """Write the page atomically; returns the path."""
    write_atomic(path, render_mask_html(report))
    return Path(path)


def _overall(keys) -> list[str]:
    """The overall keys (label maps also have per-id ones, ``j_id3``)."""
    return [k for k in keys if "_id" not in k]


def _summary(report: MaskReport) -> str:
    r, base = report.result, report.base
    pooled = r.table.pooled()
    items = []
    if "jf" in r.clip:
        c = r.clip["jf"]
        items.append(("J&F", c["mean"], f"DAVIS mean · recall {fmt(c['recall'])} · decay {fmt(c['decay'])}"))
    for key in (base, "flip_rate"):
        if key in pooled:
            gt = pooled.get("gt_" + key)
            items.append((key, pooled[key]["mean"], f"mean · ground truth's {fmt(gt['mean'])}" if gt else "mean"))
    vc = f"vc{r.options.window}"
    if vc in r.clip:
        items.append((vc, r.clip[vc], f"video consistency, {r.options.window}-frame windows"))
    if report.rows:
        w = report.rows[0]
        items.append(("least stable", report.instability[w.frame], f"frame {w.frame}: {_drop(report, w)}"))
    return cards(items)


def _drop(report: MaskReport, w) -> str:
    """How a frame's instability comes about: its value against the ground truth's (or 1)."""
    base, values = report.base, w.scores
    against = f"the ground truth's {fmt(values.get('gt_' + base))}" if "gt_" + base in report.result.table.keys \
        else "1"
    return f"{base} {fmt(values.get(base))} vs {against}"


def _mask_text(mask: dict | None) -> str | None:
    """How a clip's values were read as a mask."""
    if not mask:
        return None
    kind, channel = mask["kind"], mask["channel"]
    if kind == "binary":
        return f"binary: foreground from {mask['threshold']} ({channel} channel, {mask['bit_depth']}-bit)"
    if kind == "alpha":
        return f"alpha: {mask['black']} → 0, {mask['white']} → 1 ({channel} channel, {mask['bit_depth']}-bit)"
    return f"labels: the values are object ids ({channel})"


def _inputs(report: MaskReport) -> str:
    r = report.result
    inputs = r.inputs
    columns = [("Prediction", inputs.pred.as_dict())]
    columns += [("Ground truth", inputs.gt.as_dict())] if inputs.gt is not None else []
    columns += [("Source", inputs.source.info.as_dict())] if inputs.source is not None else []
    table = clip_table(columns, [("Read as", [_mask_text(info.get("mask")) for _, info in columns])])
    d = r.description()
    ids = f", object ids {', '.join(map(str, d['ids']))}" if d["ids"] else ""
    items = [f"Scored as {KIND_NAMES[d['kind']]}{ids}: {r.table.count} of {len(r.table)} frames."]
    if d["flow"]:
        items.append(f"Flow: {d['flow']} on the source's luma; occlusion by the forward–backward check and the "
                     f"flow-gradient test (Lai et al. 2018).")
    else:
        why = "no --source" if inputs.source is None else "--flow none"
        items.append(f"No flow ({why}): no temporal IoU or warping error; instability is measured by iou_prev.")
    if inputs.gt is not None:
        items.append(f"DAVIS boundary tolerance {d['bound_pix']} px; VC over {d['vc_window']}-frame windows.")
    else:
        items.append("No ground truth (--gt): no accuracy, and instability is measured against 1.")
    body = "".join(f"<li>{e(i)}</li>" for i in items)
    return f'<section id="inputs"><h2>Inputs</h2>{table}<ul>{body}</ul></section>'


def _clip(report: MaskReport) -> str:
    r = report.result
    keys = [k for k, v in r.clip.items() if isinstance(v, dict)]
    if not keys:
        return ('<section id="clip"><h2>Clip statistics</h2><p class="hint">The DAVIS statistics need ground '
                "truth (--gt).</p></section>")
    table = stats_table(r.clip, keys, columns=DAVIS_STATS, corner="measure")
    vc = f"vc{r.options.window}"
    line = ""
    if vc in r.clip:
        line = (f'<p>Video consistency <span class="score" data-key="{e(vc)}" data-stat="clip" '
                f'data-value="{attr_num(r.clip[vc])}"><b>{e(vc)} {fmt(r.clip[vc])}</b></span> (VSPW: the share of '
                f"pixels with a stable ground truth where the prediction is stable too, mean over the windows)</p>")
    ids = " Label maps: the overall values average those of the ids." if r.ids else ""
    return (f'<section id="clip"><h2>Clip statistics</h2>{table}{line}<p class="hint">DAVIS: mean over the '
            f"frames; recall, the share of frames above 0.5; decay, the mean of the first quarter of the clip minus "
            f"that of the last (positive: it gets worse).{ids}</p></section>")


def _statistics(report: MaskReport) -> str:
    t = report.result.table
    keys = _overall(t.keys)
    table = stats_table(t.pooled(), keys, lambda key: worst_frame(t, key), report.base)
    worse = [k for k in keys if higher_is_worse(k) and not k.startswith("gt_")]
    direction = f"Higher is worse for {', '.join(worse)}; lower for the others." if worse else "Lower is worse."
    gt = (" The gt_ values are the ground truth's own: flow and motion keep them below perfect, so compare the "
          "prediction's with them." if report.result.inputs.gt is not None else "")
    return (f'<section id="statistics"><h2>Pooled statistics</h2>{table}<p class="hint">Over the frames each '
            f"key applies to (measures of a pair (t−1, t) belong to frame t, so they start at frame 1). "
            f"{e(direction)}{gt} Harmonic mean as libvmaf pools it; percentiles interpolate between frames."
            f"</p></section>")


def _plots(report: MaskReport, paged: bool) -> str:
    t = report.result.table
    marks = [(w.rank, w.frame) for w in report.rows]
    blocks = [plot_block(t.frames(), {k: t.column(k) for k in keys}, title, marks=marks,
                         mark_key=report.base if report.base in keys else keys[0], paged=paged, x_label="frame")
              for title, keys in plot_groups(t.keys)]
    gt = " The gt_ lines are the ground truth's own values." if report.result.inputs.gt is not None else ""
    legend = (f'<p class="hint">Dashed red lines: the {len(marks)} least stable frames, numbered as in the '
              f"section below.{gt}</p>" if marks else "")
    return f'<section id="plots"><h2>Per-frame values</h2>{legend}{"".join(blocks)}</section>'


def _unstable(report: MaskReport, paged: bool) -> str:
    base = report.base
    has_gt = "gt_" + base in report.result.table.keys
    if not report.rows:
        return (f'<section id="unstable"><h2>Least stable frames</h2><p>No frame\'s {e(base)} falls below '
                f"{'the ground truth' if has_gt else '1'}.</p></section>")
    keys = _overall(report.result.table.keys)
    blocks = [(_row(report, w, keys, paged), panels_height(w.images, ONE_LINE) + ROW_TEXT_HEIGHT)
              for w in report.rows]
    rows = paginate(blocks, SECTION_HEAD_HEIGHT) if paged else "".join(html for html, _ in blocks)
    against = "the ground truth's own value" if has_gt else "1"
    return (f'{PAGE_BREAK if paged else ""}<section id="unstable">'
            f'<h2>The {len(report.rows)} least stable frames by {e(base)}</h2>'
            f'<p class="hint">Instability: how far the prediction\'s {e(base)} (frame t against t−1'
            f'{", warped by the flow" if base == "tiou" else ""}) falls below {against}. Each row shows the masks '
            f"on the frame, where the prediction changed against the previous frame and, with ground truth, "
            f"where it is wrong.{'' if paged else ' Click a picture to see it at full size.'}</p>{rows}</section>")


def _row(report: MaskReport, w, keys: list[str], paged: bool) -> str:
    value = report.instability[w.frame]
    where = f"instability {fmt(value)}: {e(_drop(report, w))}"
    if w.images is not None:
        size = w.images.frame_size
        where += f" · whole frame {size[0]}×{size[1]}"
    base = report.base
    lead = [k for k in (base, "gt_" + base) if k in keys] + _dropping_ids(report, w)
    shown = lead + [k for k in keys if k not in lead]
    return frame_row(w, where, score_spans(w.scores, shown, base), {"instability": attr_num(value)}, paged=paged,
                     layout=ONE_LINE)


def _dropping_ids(report: MaskReport, w) -> list[str]:
    """Label maps: the per-id keys (``tiou_id2``, ``gt_tiou_id2``) of the ids whose value
    falls most below the ground truth's (or 1) on this frame: which object is unstable."""
    base, drops = report.base, []
    for k in report.result.ids:
        value = w.scores.get(f"{base}_id{k}")
        against = w.scores.get(f"gt_{base}_id{k}", 1.0)
        if value is not None and against - value > 0:
            drops.append((against - value, k))
    drops.sort(key=lambda d: -d[0])
    return [key for _, k in drops[:ROW_IDS] for key in (f"{base}_id{k}", f"gt_{base}_id{k}") if key in w.scores]
