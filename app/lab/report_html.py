"""The analysis as one self-contained HTML page (inline SVG, no scripts): scores with 95 %
interval bars per stimulus grouped by content, per-subject bias and inconsistency, who was
screened out and why, and the distribution of votes per stimulus."""
from __future__ import annotations

import math
import time
from html import escape
from pathlib import Path

import numpy as np

from vqinspect.app import __version__
from vqinspect.app.lab.dataset import Dataset, observer_names, opinion_scores
from vqinspect.app.lab.sureal_models import MODELS

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:12px}td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.rejected{color:#b00020;font-weight:bold}
.note{color:#555;font-size:12px}svg{background:#fafafa;margin:4px 0}
.dist{display:inline-block;margin:4px;text-align:center;font-size:10px;width:132px;vertical-align:top}
"""
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


def e(value) -> str:
    return escape(str(value), quote=True)


def lab_report_html(dataset: Dataset, results: dict[str, dict], title: str | None = None) -> str:
    title = title or f"Subjective test: {dataset.name}"
    sections = [f"<h1>{e(title)}</h1>",
                f'<p class="note">{len(dataset.dis_videos)} stimuli, models {e(", ".join(results))}. '
                "Intervals are SUREAL's normal approximation (1.95996 × standard error); the MOS "
                "models' Student-t intervals are in the table.</p>",
                _score_plots(dataset, results), _score_table(dataset, results), _observers(dataset, results),
                _screening(dataset, results), _distributions(dataset)]
    made = time.strftime("%Y-%m-%d %H:%M")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(s for s in sections if s)
            + f"\n<footer class=\"note\">Made by vqinspect {e(__version__)} on {e(made)}.</footer></body></html>\n")


def _score_plots(dataset: Dataset, results: dict[str, dict]) -> str:
    """One panel per content: each stimulus's score and interval, one colour per model."""
    names = dict(enumerate(dataset.content_names))
    groups: dict[int, list[int]] = {}
    for k, cid in enumerate(dataset.content_ids):
        groups.setdefault(cid, []).append(k)
    values = [v for r in results.values() for v in _bounds(r)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    if hi <= lo:
        hi = lo + 1.0
    legend = " ".join(f'<span style="color:{_COLORS[i % len(_COLORS)]}">■ {e(m)}</span>'
                      for i, m in enumerate(results))
    panels = [f"<h2>Scores by content</h2><p>{legend}</p>"]
    for cid, members in sorted(groups.items()):
        members = sorted(members, key=lambda k: float(next(iter(results.values()))["quality_scores"][k]))
        panels.append(f"<h3>{e(names.get(cid, cid))}</h3>" + _interval_svg(dataset, results, members, lo, hi))
    return "\n".join(panels)


def _bounds(result: dict) -> list[float]:
    q = np.asarray(result["quality_scores"], dtype=float)
    ci = result.get("quality_scores_ci95")
    out = list(q)
    if ci is not None:
        out += list(q - np.asarray(ci[0], dtype=float)) + list(q + np.asarray(ci[1], dtype=float))
    return [v for v in out if math.isfinite(v)]


def _interval_svg(dataset: Dataset, results: dict[str, dict], members: list[int], lo: float, hi: float) -> str:
    row, left, width = 18, 260, 560
    height = row * len(members) + 24

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    parts = [f'<svg width="{left + width + 20}" height="{height}" role="img">']
    for t in np.linspace(lo, hi, 6):
        parts.append(f'<line x1="{x(t):.1f}" y1="0" x2="{x(t):.1f}" y2="{height - 16}" stroke="#ddd"/>'
                     f'<text x="{x(t):.1f}" y="{height - 4}" font-size="10" text-anchor="middle">{t:.2f}</text>')
    for i, k in enumerate(members):
        y = 12 + i * row
        parts.append(f'<text x="4" y="{y + 4}" font-size="11">{e(Path(dataset.dis_video_names[k]).name[:40])}</text>')
        for m, result in enumerate(results.values()):
            q = float(result["quality_scores"][k])
            if not math.isfinite(q):
                continue
            color = _COLORS[m % len(_COLORS)]
            dy = y + (m - (len(results) - 1) / 2) * 3
            ci = result.get("quality_scores_ci95")
            if ci is not None and math.isfinite(float(ci[0][k])):
                a, b = q - float(ci[0][k]), q + float(ci[1][k])
                parts.append(f'<line x1="{x(a):.1f}" y1="{dy:.1f}" x2="{x(b):.1f}" y2="{dy:.1f}" stroke="{color}"/>')
            parts.append(f'<circle cx="{x(q):.1f}" cy="{dy:.1f}" r="3" fill="{color}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _score_table(dataset: Dataset, results: dict[str, dict]) -> str:
    head = "".join(f"<th>{e(m)}</th>" for m in results)
    rows = []
    for k, name in enumerate(dataset.dis_video_names):
        cells = []
        for result in results.values():
            q = float(result["quality_scores"][k])
            ci = result.get("quality_scores_ci95")
            text = f"{q:.3f}"
            if ci is not None and math.isfinite(float(ci[1][k])):
                text += f" ± {float(ci[1][k]):.3f}"
            t = result.get("quality_scores_ci95_student_t")
            if t is not None and math.isfinite(float(t[1][k])):
                text += f" (t: ± {float(t[1][k]):.3f})"
            cells.append(f"<td>{e(text)}</td>")
        rows.append(f"<tr><td>{e(Path(name).name)}</td>{''.join(cells)}</tr>")
    return f"<h2>Scores</h2><table><tr><th>stimulus</th>{head}</tr>{''.join(rows)}</table>"


def _observers(dataset: Dataset, results: dict[str, dict]) -> str:
    """Bias and inconsistency per subject from every model that estimates them."""
    out = []
    for model, result in results.items():
        if "observer_bias" not in result:
            continue
        bias = np.asarray(result["observer_bias"], dtype=float)
        incons = result.get("observer_inconsistency")
        names = observer_names(dataset, len(bias))
        rejected = result.get("observer_rejected", [False] * len(bias))
        rows = []
        span = max(1e-9, float(np.nanmax(np.abs(bias))))
        for k, name in enumerate(names):
            w = 80 * abs(bias[k]) / span if math.isfinite(bias[k]) else 0
            bar = (f'<svg width="170" height="10"><line x1="85" y1="0" x2="85" y2="10" stroke="#999"/>'
                   f'<rect x="{85 - w if bias[k] < 0 else 85:.1f}" y="1" width="{w:.1f}" height="8" fill="#1f77b4"/></svg>')
            inc = f"{float(incons[k]):.3f}" if incons is not None else ""
            klass = ' class="rejected"' if rejected[k] else ""
            rows.append(f"<tr{klass}><td>{e(name)}</td><td>{bias[k]:+.3f}</td><td>{bar}</td><td>{inc}</td></tr>")
        out.append(f"<h3>{e(model)}: {e(MODELS[model].summary if model in MODELS else '')}</h3><table>"
                   "<tr><th>subject</th><th>bias</th><th></th><th>inconsistency</th></tr>" + "".join(rows) + "</table>")
    return ("<h2>Subjects: bias and inconsistency</h2>" + "".join(out)) if out else ""


def _screening(dataset: Dataset, results: dict[str, dict]) -> str:
    out = []
    for model, result in results.items():
        screening = result.get("screening")
        if screening is None:
            continue
        names = observer_names(dataset, len(screening.rejected))
        rows = "".join(f'<tr{" class=rejected" if screening.rejected[k] else ""}><td>{e(n)}</td>'
                       f"<td>{e(screening.reason(k))}</td></tr>" for k, n in enumerate(names))
        gone = [n for n, r in zip(names, screening.rejected) if r]
        out.append(f"<h3>{e(model)}: screened out {e(', '.join(gone) if gone else 'nobody')}</h3><table>{rows}</table>")
    if not out:
        return ""
    return ("<h2>BT.500 screening</h2><p class=\"note\">A subject is rejected when more than 5 % of their "
            "votes fall outside mean ± 2σ (± √20σ where the votes are not normal, β2 outside 2..4) and "
            "those outliers are not one-sided (|P−Q|/(P+Q) &lt; 0.3), as SUREAL implements ITU-R BT.500.</p>"
            + "".join(out))


def _distributions(dataset: Dataset) -> str:
    """A small histogram of the votes for each stimulus."""
    if dataset.is_pair_comparison:
        return ""
    scores = opinion_scores(dataset)
    finite = scores[np.isfinite(scores)]
    if not finite.size:
        return ""
    integer = np.all(finite == np.round(finite)) and finite.max() - finite.min() <= 20
    edges = (np.arange(finite.min() - 0.5, finite.max() + 1.5) if integer
             else np.linspace(finite.min(), finite.max() + 1e-9, 11))
    cells = []
    for k, name in enumerate(dataset.dis_video_names):
        votes = scores[k][np.isfinite(scores[k])]
        counts, _ = np.histogram(votes, bins=edges)
        top = max(1, int(counts.max()))
        bw = 120 / len(counts)
        bars = "".join(f'<rect x="{i * bw + 1:.1f}" y="{50 - 48 * c / top:.1f}" width="{bw - 2:.1f}" '
                       f'height="{48 * c / top:.1f}" fill="#1f77b4"/>' for i, c in enumerate(counts))
        cells.append(f'<div class="dist"><svg width="122" height="52">{bars}</svg><br>'
                     f"{e(Path(name).name[:24])}<br>n={len(votes)}</div>")
    low, high = edges[0], edges[-1]
    return (f"<h2>Vote distributions</h2><p class=\"note\">Bins from {low:g} to {high:g}, low to high.</p>"
            + "".join(cells))
