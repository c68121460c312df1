"""The batch summary page (`report --batch`): every pair's pooled scores in one table that sorts on a
column, and each pair's worst frame, made of the pair report's blocks."""
from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

from vqinspect.app.report.html import e, fmt, frame_row, header, page, score_spans
from vqinspect.app.report.model import WorstFrame
from vqinspect.metrics.registry import primary_keys


def render_batch_html(rows: list[dict], worst: dict[int, WorstFrame], *, title: str = "",
                      paged: bool = False) -> str:
    """``rows``: the batch's ``summary.json``; ``worst``: row index -> its worst frame row."""
    generated = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    failed = [r for r in rows if r["status"] != "scored"]
    keys = primary_keys(list(dict.fromkeys(k for r in rows for k in r.get("pooled") or {})))
    sub = f"{len(rows) - len(failed)} of {len(rows)} pairs scored · report made {generated}"
    sections = [header(title or "Batch summary", sub, [f"{_name(r)}: {r['error']}" for r in failed]),
                _table(rows, keys), _worst(rows, worst, keys)]
    return page(title or "Batch summary", sections, generated, paged=paged, rate_of="each reference")


def _name(row: dict) -> str:
    return row.get("label") or f"{Path(row['distorted']).name} vs {Path(row['reference']).name}"


def _table(rows: list[dict], keys: list[str]) -> str:
    head = "".join(f'<th data-sort="{kind}">{e(h)}</th>' for h, kind in
                   [("pair", "text"), ("distorted", "text"), ("reference", "text"), ("status", "text"),
                    *((f"{k} mean", "number") for k in keys), *((f"{k} min", "number") for k in keys)])
    body = []
    for i, r in enumerate(rows):
        pooled = r.get("pooled") or {}
        numbers = [(pooled.get(k) or {}).get(s) for s in ("mean", "min") for k in keys]
        cells = "".join(f'<td data-value="{v if v is not None and math.isfinite(v) else ""}">{fmt(v)}</td>'
                        for v in numbers)
        link = f'<a href="#pair-{i}">{e(_name(r))}</a>' if r["status"] == "scored" else e(_name(r))
        status = e(r["status"]) + (f'<br><span class="hint">{e(r["error"])}</span>' if r.get("error") else "")
        body.append(f'<tr data-row="{i}"><th data-value="{e(_name(r))}">{link}</th>'
                    f'<td data-value="{e(r["distorted"])}">{e(Path(r["distorted"]).name)}</td>'
                    f'<td data-value="{e(r["reference"])}">{e(Path(r["reference"]).name)}</td>'
                    f'<td data-value="{e(r["status"])}">{status}</td>{cells}</tr>')
    return (f'<section id="pairs"><h2>Pairs</h2><table class="stats sortable"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table><p class="hint">Click a column heading to sort by it '
            f"(again to reverse).</p></section>{_SORT_SCRIPT}")


def _worst(rows: list[dict], worst: dict[int, WorstFrame], keys: list[str]) -> str:
    blocks = []
    for i, r in enumerate(rows):
        w = worst.get(i)
        if w is None:
            continue
        where = f"{e(_name(r))} · distorted frame {w.dist_frame}"
        if w.images is not None:
            where += f" · region {e(w.images.crop.label(w.images.frame_size))}"
        blocks.append(f'<div id="pair-{i}">{frame_row(w, where, score_spans(w.scores, keys))}</div>')
    if not blocks:
        return ""
    return (f'<section id="worst"><h2>Each pair\'s worst frame</h2><p class="hint">Ranked by the report\'s '
            f'default score (VMAF when scored). Click a picture to see it pixel for pixel.</p>'
            f'{"".join(blocks)}</section>')


_SORT_SCRIPT = """<script>
document.querySelectorAll("table.sortable th[data-sort]").forEach(function (th, col) {
  th.style.cursor = "pointer";
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0], numeric = th.dataset.sort === "number";
    var up = th.dataset.dir !== "up"; th.dataset.dir = up ? "up" : "down";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.value, y = b.cells[col].dataset.value;
      if (numeric) { x = x === "" ? Infinity : +x; y = y === "" ? Infinity : +y; return up ? x - y : y - x; }
      return up ? x.localeCompare(y) : y.localeCompare(x);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
</script>"""
