"""``vqinspect mos``: recover per-stimulus scores from opinions, as SUREAL 0.9.0 does.

Input: the runner's results files (several subjects and sessions merged), or one SUREAL
dataset (``.py``, read by a literal parser and never executed, or ``.json``)."""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from vqinspect.app.cli.options import Parser
from vqinspect.app.shared.text import aligned_columns


def mos_parser() -> argparse.ArgumentParser:
    from vqinspect.app.lab.sureal_models import DEFAULT_MODELS, DEFAULT_PC_MODELS, MODELS

    p = Parser(prog="vqinspect mos", description="Per-stimulus scores with 95 %% intervals, per-subject "
               "bias and inconsistency, BT.500 screening: SUREAL's models, numbers equal to SUREAL 0.9.0's.")
    p.add_argument("inputs", nargs="+", metavar="RESULTS|DATASET",
                   help="results files of `vqinspect lab run` (or folders of them), or one SUREAL dataset .py/.json")
    p.add_argument("--model", action="append", metavar="NAME",
                   help=f"model(s), repeatable or comma-separated: {', '.join(MODELS)} (default "
                        f"{', '.join(DEFAULT_MODELS)}, plus DMOS with hidden references; "
                        f"{', '.join(DEFAULT_PC_MODELS)} for paired comparisons)")
    p.add_argument("--json", metavar="PATH", help="SUREAL's output.json layout")
    p.add_argument("--csv", metavar="PATH", help="the per-stimulus table as CSV")
    p.add_argument("--dataset-out", metavar="PATH", help="a SUREAL dataset JSON with the first model's scores "
                   "as groundtruth (for model training)")
    p.add_argument("--report", metavar="PATH", help="a self-contained HTML report")
    p.add_argument("--no-zeromean-bias", action="store_true",
                   help="P910/MLE: do not force the mean subject bias to zero (SUREAL's force_subjbias_zeromean=False)")
    p.add_argument("--zscore-output", action="store_true", help="THURSTONE_MLE: z-score the scale values")
    p.add_argument("--quiet", action="store_true", help="no table on stdout")
    return p


def mos_main(argv: list[str]) -> int:
    from vqinspect.app.lab.analysis import load_inputs, model_names, run_models
    from vqinspect.app.lab.output import aggregated_dataset, dump_output, stimulus_table, sureal_output
    from vqinspect.app.scoring.results import write_atomic

    args = mos_parser().parse_args(argv)
    dataset = load_inputs(args.inputs)
    names = model_names(args.model, dataset)
    options = {"force_subjbias_zeromean": not args.no_zeromean_bias, "zscore_output": args.zscore_output}
    results = run_models(dataset, names, options)
    if args.json:
        write_atomic(args.json, dump_output(sureal_output(dataset, results)) + "\n")
    if args.csv:
        write_atomic(args.csv, stimulus_table(dataset, results))
    if args.dataset_out:
        first = names[0]
        text = json.dumps(aggregated_dataset(dataset, results[first], first), indent=1) + "\n"
        write_atomic(args.dataset_out, text)
    if args.report:
        from vqinspect.app.lab.report_html import lab_report_html

        write_atomic(args.report, lab_report_html(dataset, results))
    if not args.quiet:
        print("\n".join(summary_lines(dataset, results)))
    return 0


def summary_lines(dataset, results: dict[str, dict]) -> list[str]:
    """The per-stimulus table (score and SUREAL's CI95 half-width per model), then the screening."""
    rows = [["stimulus"] + list(results)]
    for k, name in enumerate(dataset.dis_video_names):
        row = [Path(name).name]
        for result in results.values():
            score = float(result["quality_scores"][k])
            ci = result.get("quality_scores_ci95")
            half = float(ci[1][k]) if ci else math.nan
            row.append(f"{score:.3f}" + ("" if math.isnan(half) else f" ±{half:.3f}"))
        rows.append(row)
    lines = aligned_columns(rows)
    from vqinspect.app.lab.dataset import observer_names

    for model, result in results.items():
        if "observer_rejected" in result:
            names = observer_names(dataset, len(result["observer_rejected"]))
            gone = [n for n, r in zip(names, result["observer_rejected"]) if r]
            lines.append(f"{model}: screened out {', '.join(gone) if gone else 'nobody'}")
    return lines
