"""``vqinspect lab report``: the scatter, the statistics with their intervals, and the
worst-predicted stimuli with the frame where the model's score strays furthest from its clip
mean (with that frame's features and, unless asked not to, its picture)."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from vqinspect.app.lab.model_lab.features import FeatureTable
from vqinspect.app.lab.model_lab.scatter_svg import scatter_svg
from vqinspect.app.lab.model_lab.validation import STATS
from vqinspect.app.report.html import e, img, page

STAT_NAMES = {"PLCC": "PLCC", "SRCC": "SRCC", "KRCC": "KRCC", "RMSE": "RMSE", "PLCC_raw": "PLCC unmapped",
              "RMSE_raw": "RMSE unmapped"}


def model_report_html(table: FeatureTable, evaluations: list, worst: int = 5, pictures: bool = True) -> str:
    sections = [f'<header><h1>Model lab: {e(evaluations[0].model)}</h1><p>{len(table.rows)} stimuli, '
                f'{len(set(table.contents))} contents, dataset {e(table.meta.get("dataset", ""))}</p></header>',
                _stats_section(evaluations)]
    for ev in evaluations:
        sections.append(f'<section><h2>{e(ev.model)}: {e(ev.kind)}</h2>{scatter_svg(ev)}'
                        f'{_worst_section(table, ev, worst, pictures)}</section>')
    return page(f"Model lab: {evaluations[0].model}", sections, datetime.now().strftime("%Y-%m-%d %H:%M"))


def _stats_section(evaluations: list) -> str:
    head = "".join(f"<th>{STAT_NAMES[k]}</th>" for k in STATS)
    rows = []
    for ev in evaluations:
        r = ev.result
        cells = "".join(f'<td>{r["stats"][k]:.3f}<br><small>[{r["ci95"][k][0]:.3f}, {r["ci95"][k][1]:.3f}]</small></td>'
                        for k in STATS)
        ratio = r["outlier_ratio"]
        rows.append(f"<tr><td>{e(ev.model)}</td><td>{e(ev.kind)}</td>{cells}"
                    f"<td>{'n/a' if math.isnan(ratio) else f'{ratio:.3f}'}</td></tr>")
    return (f'<section><h2>Statistics</h2><table class="stats"><tr><th>model</th><th>scores</th>{head}'
            f'<th>outlier ratio</th></tr>{"".join(rows)}</table><p class="hint">PLCC, SRCC, KRCC and RMSE after '
            f"vmaf's logistic mapping (sigmoid_adjust); [95 % percentile bootstrap over stimuli, "
            f'{evaluations[0].result["resamples"]} draws]. Outlier ratio: ITU-T P.1401 §7.5.2.2, '
            f"|MOS − mapped prediction| greater than the MOS's 95 % confidence interval. A stimulus's score "
            f"is the mean of the model's per-frame scores.</p></section>")


def _worst_section(table: FeatureTable, ev, count: int, pictures: bool) -> str:
    rows = []
    for i in ev.worst_predicted(count):
        name = ev.names[i]
        frame, score = ev.worst_frame(name)
        k = int(np.nonzero(ev.frame_numbers[name] == frame)[0][0])
        feats = ", ".join(f"{f} {table.frames[name][f][k]:.4g} (clip {np.mean(table.frames[name][f]):.4g})"
                          for f in ev.features)
        picture = _picture(table.row(name), frame) if pictures else ""
        rows.append(f"<tr><td>{e(name)}<br><small>{e(ev.contents[i])}</small></td><td>{ev.labels[i]:.2f}"
                    f"{_pm(ev.label_ci[i])}</td><td>{ev.scores[i]:.2f}</td><td>{ev.result['mapped'][i]:.2f}</td>"
                    f"<td>frame {frame}: {score:.2f}<br><small>{e(feats)}</small></td><td>{picture}</td></tr>")
    return ("<h3>Worst predicted</h3><table class=\"worst\"><tr><th>stimulus</th><th>MOS</th><th>predicted</th>"
            "<th>mapped</th><th>frame furthest from the clip mean</th><th>distorted frame</th></tr>"
            + "".join(rows) + "</table>")


def _pm(ci: float) -> str:
    return f" ± {ci:.2f}" if math.isfinite(ci) else ""


def _picture(row: dict, frame: int) -> str:
    """The distorted clip's frame as an inline PNG (or why not)."""
    from vqinspect.app.display.screen import color_spec, to_rgb
    from vqinspect.app.media.source import open_media
    from vqinspect.app.report.images import encode_png
    from vqinspect.app.shared.errors import InputError

    try:
        source = open_media(row["distorted"])
        reader = source.reader()
        try:
            planes = next(p for _, p in reader.frames(frame, frame + 1))
        finally:
            reader.close()
        rgb = to_rgb(planes, color_spec(source.info, source.layout))
    except (InputError, OSError, StopIteration, ValueError) as exc:
        return f"<small>picture unavailable: {e(exc)}</small>"
    return img(encode_png(rgb), f"{row['stimulus']} frame {frame}", width=min(320, rgb.shape[1]))
