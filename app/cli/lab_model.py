"""``vqinspect lab features|train|validate|report``: the model lab's commands (see
app/lab/model_lab)."""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from vqinspect.app.cli.options import Parser, add_metric_options
from vqinspect.app.shared.errors import InputError

COMMANDS = ("features", "train", "validate", "report")


def lab_model_main(argv: list[str]) -> int:
    """Run one of ``COMMANDS`` (``argv[0]``)."""
    command, rest = argv[0], argv[1:]
    return {"features": features_main, "train": train_main, "validate": validate_main,
            "report": report_main}[command](rest)


# --- features ---------------------------------------------------------------------------------

def features_parser() -> argparse.ArgumentParser:
    from vqinspect.app.cli.batch import add_cluster_options

    p = Parser(prog="vqinspect lab features", description="Score every stimulus of a dataset on the batch "
               "runner and write the feature table: a row per stimulus (mean-pooled) and, beside it, a row per "
               "frame. Run again to resume: pairs already scored with the same settings are reused.")
    p.add_argument("dataset", metavar="DATASET", help="SUREAL/vmaf dataset (.py read literally, or .json), the JSON "
                   "of `vqinspect mos`, or a CSV reference,distorted,content,mos[,mos_ci][,frames]")
    p.add_argument("--out", required=True, metavar="FEATURES", help="the table: .csv or .parquet")
    p.add_argument("--pool", default="mean", metavar="LIST",
                   help="poolings per stimulus: mean (the columns named by key), harmonic_mean, min, max, p1, p5 "
                        "(columns KEY_POOL); default mean")
    p.add_argument("--mos-model", metavar="NAME", help="with a `vqinspect mos` JSON: whose scores (default: the first)")
    add_metric_options(p, default="all")
    add_cluster_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def features_main(argv: list[str]) -> int:
    from vqinspect.app.cli.batch import score_specs
    from vqinspect.app.lab.model_lab.features import (POOLINGS, build_table, scores_folder, stimulus_specs,
                                                      write_table)
    from vqinspect.app.lab.model_lab.stimuli import read_lab_dataset

    args = features_parser().parse_args(argv)
    pools = tuple(p.strip() for p in args.pool.split(",") if p.strip())
    bad = [p for p in pools if p not in POOLINGS]
    if bad or "mean" not in pools:
        raise InputError(None, f"--pool takes {', '.join(POOLINGS)} and must include mean")
    if Path(args.out).suffix.lower() not in (".csv", ".parquet"):
        raise InputError(args.out, "the feature table is a .csv or .parquet file")
    dataset = read_lab_dataset(args.dataset, args.mos_model)
    specs = stimulus_specs(dataset)
    folder = scores_folder(args.out)
    outcomes = score_specs(specs, folder, args)
    failed = [o for o in outcomes if o.status == "failed"]
    if failed:
        raise InputError(None, f"{len(failed)} of {len(outcomes)} stimuli could not be scored, e.g. "
                               f"{failed[0].spec.label}: {failed[0].error} (scores kept in {folder}; run again)")
    meta = {"dataset": dataset.name, "source": str(dataset.source), "metrics": args.metrics,
            "vmaf_model": args.vmaf_model or "vmaf_v0.6.1"}
    table = build_table(dataset, [folder / o.json_name for o in outcomes], pools, meta)
    write_table(table, args.out)
    reused = sum(o.reused for o in outcomes)
    print(f"{args.out}: {len(table.rows)} stimuli, {len(dataset.contents)} contents, {len(table.keys)} keys "
          f"per frame" + (f" ({reused} stimuli already scored)" if reused else ""))
    return 0


# --- train ------------------------------------------------------------------------------------

def train_parser() -> argparse.ArgumentParser:
    from vqinspect.app.lab.model_lab.training import NORMS

    p = Parser(prog="vqinspect lab train", description="Train a nu-SVR (RBF) with libsvm as vmaf does, on the "
               "per-stimulus mean features, and write it as a libvmaf JSON model.")
    p.add_argument("table", metavar="FEATURES", help="feature table of `vqinspect lab features`")
    p.add_argument("--features", required=True, metavar="LIST", help="feature keys, e.g. adm2,motion2,vif_scale0,"
                   "vif_scale1,vif_scale2,vif_scale3 (written in the order libvmaf expects)")
    p.add_argument("--out", required=True, metavar="MODEL.json", help="the libvmaf model (a collection with --bootstrap)")
    p.add_argument("--c", type=float, default=4.0, help="SVR cost C (default 4, vmaf_v0.6.1's)")
    p.add_argument("--nu", type=float, default=0.9, help="nu (default 0.9)")
    p.add_argument("--gamma", type=float, default=0.04, help="RBF gamma (default 0.04)")
    p.add_argument("--norm", default="linear_rescale", choices=NORMS,
                   help="normalisation of label and features (default linear_rescale = vmaf's clip_0to1)")
    p.add_argument("--bootstrap", type=int, default=0, metavar="N", help="write a collection of N models: model 0 on "
                   "all stimuli, models 1..N-1 on resamples (vmaf's seeds), for per-frame 95 %% intervals")
    p.add_argument("--residue", action="store_true", help="with --bootstrap: resample residuals (vmaf_rb) instead of stimuli")
    add_validation_options(p)
    return p


def add_validation_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--folds", type=int, default=0, metavar="K",
                   help="also cross-validate: K folds, a content never split between folds")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the bootstrap models (vmaf's are "
                   "S+i, S=0), the folds and the statistics' intervals (default 0)")
    p.add_argument("--compare", metavar="LIST", default="",
                   help="existing models to score on the same table, e.g. vmaf_v0.6.1 (names or files)")
    p.add_argument("--resamples", type=int, default=1000, metavar="B",
                   help="bootstrap draws for the statistics' 95 %% intervals (default 1000)")
    p.add_argument("--json", metavar="PATH", help="write the statistics as JSON")


def train_main(argv: list[str]) -> int:
    from vqinspect.app.lab.model_lab.export import dump_model, libvmaf_order
    from vqinspect.app.lab.model_lab.features import read_table
    from vqinspect.app.lab.model_lab.training import SvrParams, train
    from vqinspect.app.scoring.results import write_atomic

    args = train_parser().parse_args(argv)
    table = read_table(args.table)
    keys = [k.strip() for k in args.features.split(",") if k.strip()]
    order = libvmaf_order(keys)
    norm = "clip_0to1" if args.norm == "linear_rescale" else args.norm
    params = SvrParams(args.c, args.nu, args.gamma, norm)
    model = train(table.pooled(order), table.column("mos"), order, params, args.bootstrap,
                  "residue" if args.residue else "rows", args.seed)
    write_atomic(args.out, dump_model(model))
    kind = f"collection of {len(model.svm_texts)} models" if model.is_collection else "one model"
    print(f"{args.out}: {kind}, features {', '.join(order)}, {model.training_rows} stimuli")
    _validate(table, args.out, args, params, order)
    return 0


# --- validate / report ------------------------------------------------------------------------

def validate_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect lab validate", description="Statistics of a model on a feature table: PLCC, SRCC, "
               "KRCC, RMSE (after vmaf's logistic mapping) with bootstrap 95 %% intervals and the P.1401 "
               "outlier ratio; in-sample, cross-validated (--folds) and for existing models (--compare).")
    p.add_argument("table", metavar="FEATURES")
    p.add_argument("--model", required=True, metavar="MODEL", help="a libvmaf model file or built-in name")
    add_validation_options(p)
    return p


def validate_main(argv: list[str]) -> int:
    from vqinspect.app.lab.model_lab.features import read_table

    args = validate_parser().parse_args(argv)
    _validate(read_table(args.table), args.model, args)
    return 0


def report_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect lab report", description="An HTML report: predicted score against MOS with both "
               "intervals, the fitted logistic curve, the statistics with intervals and the worst-predicted "
               "stimuli with their frames.")
    p.add_argument("table", metavar="FEATURES")
    p.add_argument("--model", required=True, metavar="MODEL", help="a libvmaf model file or built-in name")
    p.add_argument("-o", "--out", required=True, metavar="lab.html")
    p.add_argument("--worst", type=int, default=5, metavar="N", help="worst-predicted stimuli shown (default 5)")
    p.add_argument("--no-pictures", action="store_true", help="frame numbers only, without the pictures")
    add_validation_options(p)
    return p


def report_main(argv: list[str]) -> int:
    from vqinspect.app.lab.model_lab.features import read_table
    from vqinspect.app.lab.model_lab.report_html import model_report_html
    from vqinspect.app.scoring.results import write_atomic

    args = report_parser().parse_args(argv)
    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise InputError(args.out, "the report is an .html file")
    table = read_table(args.table)
    evaluations = _validate(table, args.model, args)
    html = model_report_html(table, evaluations, args.worst, pictures=not args.no_pictures)
    write_atomic(args.out, html)
    print(f"{args.out}: {len(evaluations)} evaluations of {len(table.rows)} stimuli")
    return 0


def evaluations_for(table, model: str, folds: int = 0, compare: str = "", seed: int = 0, resamples: int = 1000,
                    params=None, order=None) -> list:
    """The model in-sample, cross-validated when ``folds``, and each ``compare`` model, all on ``table``."""
    from vqinspect.app.lab.model_lab.analysis import cross_validate, params_of, predictions
    from vqinspect.metrics.vmaf.model import VmafModelError, load_model

    try:
        predictor = load_model(model)
    except VmafModelError as exc:
        raise InputError(None, str(exc)) from None
    out = [predictions(table, predictor, "in-sample (the model on every stimulus)", resamples, seed)]
    if folds:
        if params is None:
            if not Path(model).is_file():
                raise InputError(model, "--folds needs a model file whose param_dict gives C, nu and gamma")
            params, _, _ = params_of(model)
        out.append(cross_validate(table, list(order or predictor.features), params, folds, seed, resamples,
                                  predictor.name))
    for name in [c.strip() for c in compare.split(",") if c.strip()]:
        try:
            other = load_model(name)
        except VmafModelError as exc:
            raise InputError(None, str(exc)) from None
        out.append(predictions(table, other, "existing model", resamples, seed))
    return out


def _validate(table, model: str, args, params=None, order=None) -> list:
    """Print (and with --json write) the statistics of ``model`` and the others asked for."""
    from vqinspect.app.scoring.results import write_atomic

    if args.resamples < 0:
        raise InputError(None, "--resamples must be 0 or more")
    evaluations = evaluations_for(table, model, args.folds, args.compare, args.seed, args.resamples, params, order)
    print("\n".join(stats_lines(evaluations)))
    if args.json:
        write_atomic(args.json, json.dumps([e.summary() for e in evaluations], indent=1) + "\n")
    return evaluations


def stats_lines(evaluations: list) -> list[str]:
    from vqinspect.app.shared.text import aligned_columns

    rows = [["model", "scores", "PLCC", "SRCC", "KRCC", "RMSE", "RMSE unmapped", "outliers"]]
    for e in evaluations:
        r = e.result
        cells = [f"{r['stats'][k]:.3f} [{r['ci95'][k][0]:.3f}, {r['ci95'][k][1]:.3f}]"
                 for k in ("PLCC", "SRCC", "KRCC", "RMSE", "RMSE_raw")]
        ratio = r["outlier_ratio"]
        rows.append([e.model, e.kind.split(" (")[0].split(",")[0], *cells,
                     "n/a" if math.isnan(ratio) else f"{ratio:.3f}"])
    return aligned_columns(rows) + ["PLCC and RMSE after vmaf's logistic mapping; [95 % bootstrap interval]; "
                                    "outliers: ITU-T P.1401 ratio (|MOS - prediction| > the MOS's 95 % CI)"]
