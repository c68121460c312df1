"""``vqinspect batch MANIFEST --out DIR``: score many pairs on Dask, resumably.

Each pair is scored on a worker by ``score_task``: the pair's ``vqinspect score`` command line
parsed by ``score``'s own parser, opened, paired and scored by the same engine, and written as
that command's JSON (plus a ``batch`` block with the score cache key the result was made for).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from vqinspect.app.cli.options import (EXIT_OK, EXIT_QC_FAIL, EXIT_SOME_FAILED, Parser, add_alignment_options,
                                       add_metric_options, add_profile_option, metric_names, metric_options,
                                       profile_of, with_profile_metrics)
from vqinspect.app.shared.errors import InputError
from vqinspect.metrics.registry import MetricError, option_specs


def batch_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect batch", description="Score every pair of a manifest (CSV or JSON list of "
               "reference, distorted[, offset, frames, label, scaler, force_rate, size, pix_fmt, fps, align, max_offset, "
               "crop, shift]) on "
               "a Dask cluster; results in DIR as vqinspect score JSON, plus summary.csv/json and "
               "failures.json. Exit status 0: all scored (and with --profile, all PASS); 3: some pairs "
               "failed; 4: all scored, some FAIL the --profile.")
    p.add_argument("manifest")
    p.add_argument("--out", required=True, metavar="DIR", help="folder of the results (run again to resume)")
    add_metric_options(p)
    add_cluster_options(p)
    add_alignment_options(p)
    add_profile_option(p)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def add_cluster_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("cluster")
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes of the local cluster (default: one per core)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="use an existing Dask cluster, e.g. tcp://host:8786")
    g.add_argument("--retries", type=int, default=2, metavar="N",
                   help="times a pair is scored again after its worker died (default 2)")
    g.add_argument("--threads", type=int, default=None, metavar="N",
                   help="kernel threads per pair (default: the worker machine's cores over its Dask threads)")


def batch_main(argv: list[str]) -> int:
    from vqinspect.app.batch.manifest import load_manifest
    from vqinspect.app.batch.summary import FAILURES_JSON, write_summary

    args = batch_parser().parse_args(argv)
    profile = profile_of(args)
    if profile is not None:         # each pair is judged as `score --profile` judges it, on its worker
        args.metrics, args.profile = with_profile_metrics(args.metrics, profile), str(Path(profile.path).absolute())
    specs = with_alignment_defaults(load_manifest(args.manifest), args)
    outcomes = score_specs(specs, args.out, args)
    if profile is not None:
        judge_outcomes(outcomes, args.out, profile)
    write_summary(args.out, outcomes, judged=profile is not None)
    failed = [o for o in outcomes if o.status == "failed"]
    reused = sum(o.reused for o in outcomes)
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} pairs scored"
          + (f" ({reused} already were)" if reused else "") + f"; summary in {Path(args.out) / 'summary.csv'}")
    for o in failed:
        print(f"vqinspect: {o.spec.name}: {o.error}", file=sys.stderr)
    if failed:
        print(f"vqinspect: {len(failed)} pairs failed, listed in {Path(args.out) / FAILURES_JSON}", file=sys.stderr)
    failing = [o for o in outcomes if o.verdict == "FAIL"]
    if profile is not None:
        print(f"QC profile {profile.name}: {len(failing)} of {len(outcomes) - len(failed)} scored pairs FAIL"
              + "".join(f"\n  FAIL {o.spec.name}" for o in failing))
    return EXIT_SOME_FAILED if failed else EXIT_QC_FAIL if failing else EXIT_OK


def judge_outcomes(outcomes, out_dir, profile) -> None:
    """Each scored pair's verdict (``outcome.verdict``); a result kept from an earlier run that
    was not judged with this profile is judged now, from its JSON, and rewritten."""
    from vqinspect.app.batch.verdicts import pair_verdict

    for o in outcomes:
        if o.status == "scored" and o.json_name:
            try:
                o.verdict = pair_verdict(Path(out_dir) / o.json_name, profile)
            except (OSError, ValueError, InputError) as exc:
                o.status, o.error = "failed", f"{o.json_name}: unreadable result ({exc})"


def with_alignment_defaults(specs, args) -> list:
    """``--align``, ``--max-offset``, ``--crop`` and ``--shift`` for the pairs whose manifest
    row does not set them (each pair's result is named after its own settings)."""
    from dataclasses import replace

    given = {k: getattr(args, k) for k in ("align", "max_offset", "crop", "shift") if getattr(args, k) is not None}
    return [replace(s, **{k: v for k, v in given.items() if getattr(s, k) in (None, "")}) for s in specs]


def check_cluster_options(args) -> None:
    if args.workers is not None and args.workers < 1:
        raise InputError(None, "--workers must be 1 or more")
    if args.retries < 0:
        raise InputError(None, "--retries must be 0 or more")
    if args.threads is not None and args.threads < 1:
        raise InputError(None, "--threads must be 1 or more")


def score_specs(specs, out_dir, args, on_outcome=None) -> list:
    """Score ``specs`` into ``out_dir`` on the cluster ``args`` ask for (``--workers``,
    ``--scheduler``, ``--retries``, ``--threads``), with progress bars unless ``--quiet``."""
    from vqinspect.app.batch.runner import dask_client, run_batch

    check_cluster_options(args)
    metric_names(args.metrics)                  # a typo in --metrics fails here, not on every pair
    metric_options(args)
    scoring = metric_arguments(args)
    threads = args.threads
    if threads is None and not args.scheduler:
        threads = max(1, (os.cpu_count() or 1) // (args.workers or os.cpu_count() or 1))
    bars = BatchBars(len(specs), args.quiet)
    try:
        with dask_client(args.workers, args.scheduler) as client:
            return run_batch(specs, score_task, out_dir, client, task_args=(scoring,), threads=threads,
                             retries=args.retries, on_progress=bars.progress,
                             on_outcome=lambda o: (bars.finished(o), on_outcome and on_outcome(o)))
    finally:
        bars.close()


def metric_arguments(args) -> list[str]:
    """``--metrics`` and the metric option flags given, for each pair's score command line."""
    argv = ["--metrics", args.metrics]
    if getattr(args, "profile", None):
        argv += ["--profile", args.profile]
    for spec in option_specs():
        value = getattr(args, spec.dest, None)
        if value is not None:
            argv += [spec.flag, str(value)]
    return argv


def score_task(spec, known_key: str | None, threads: int, report, scoring: list[str]) -> dict:
    """Score one pair as ``vqinspect score`` would (runs on a Dask worker); see runner.PairTask."""
    try:
        return _score(spec, known_key, threads, report, scoring)
    except (InputError, MetricError) as exc:
        return {"status": "failed", "error": str(exc)}
    except Exception as exc:                    # a bug must not take the batch down
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}


def _score(spec, known_key, threads, report, scoring) -> dict:
    from vqinspect.app.cli.options import alignment_crop, input_options, open_inputs, parse_metrics
    from vqinspect.app.cli.score import auto_alignment, judge_result, score_parser, warm_up_for
    from vqinspect.app.scoring.engine import ScoringJob
    from vqinspect.app.scoring.pairing import make_pair, parse_range
    from vqinspect.app.scoring.score_cache import ScoreCache

    args = score_parser().parse_args([*spec.score_arguments(), *scoring, "--quiet"])
    try:
        frames = parse_range(args.frames)
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    ref, dist = open_inputs(args)
    crop = alignment_crop(args, ref, dist)
    pair = make_pair(ref, dist, args.offset, frames, force_rate=args.force_rate, scaler=args.scaler, crop=crop)
    metrics = parse_metrics(args.metrics, metric_options(args))
    options = input_options(args)
    cache = ScoreCache()
    key = cache.key(pair, metrics, options)
    if args.align == "auto":        # the files and settings decide the alignment: no decoding to resume
        key = hashlib.sha256(f"{key} align auto {args.max_offset}".encode()).hexdigest()
    if key == known_key:
        return {"status": "unchanged", "key": key}
    matched = auto_alignment(args, ref, dist, announce=False)
    if matched is not None:
        pair = make_pair(ref, dist, 0, frames, force_rate=args.force_rate, scaler=args.scaler, crop=crop,
                         matched=matched)
    warm = warm_up_for(pair, metrics)
    report(0, pair.frames)
    result = ScoringJob(pair, metrics, threads, on_progress=lambda p: report(p.done, p.total)).run()
    warm.wait()
    judge_result(result, profile_of(args))
    data = result.to_json()
    data["batch"] = {"key": key, "label": spec.label, "group": spec.group}
    text = json.dumps(data, indent=1, allow_nan=False)
    if result.status != "complete":
        return {"status": "failed", "key": key, "json": text, "error": "; ".join(result.problems) or result.status}
    try:
        cache.store(result, pair, metrics, options)       # the window opens the pair without re-scoring
    except OSError:
        pass
    return {"status": "scored", "key": key, "json": text}


class BatchBars:
    """Two tqdm bars on stderr: pairs done, and frames scored over the pairs started so far."""

    def __init__(self, pairs: int, quiet: bool):
        self.pairs = self.frames = None
        self._seen: dict[str, int] = {}
        if quiet:
            return
        from tqdm import tqdm

        self.pairs = tqdm(total=pairs, unit="pair", file=sys.stderr, dynamic_ncols=True, position=0, leave=False)
        self.frames = tqdm(total=0, unit="frame", file=sys.stderr, dynamic_ncols=True, position=1, leave=False)

    def progress(self, p) -> None:
        if self.frames is None:
            return
        if p.done == 0 or p.name not in self._seen:
            self.frames.total += p.total
            self.frames.refresh()
        before = self._seen.get(p.name, 0) if p.done else 0
        self._seen[p.name] = p.done
        self.frames.update(max(0, p.done - before))

    def finished(self, outcome) -> None:
        if self.pairs is not None:
            self.pairs.update(1)

    def close(self) -> None:
        for bar in (self.frames, self.pairs):
            if bar is not None:
                bar.close()


def worst_frame_pictures(json_path, crop: tuple[int, int] = (480, 270)):
    """The worst frame of a pair's score JSON (by the report's default key) with its pictures,
    as a report row; the row says why when the pair cannot be opened again."""
    from vqinspect.app.cli.report import choose_map
    from vqinspect.app.report.images import ReportImageRenderer
    from vqinspect.app.report.model import clip_fps, default_key, picture_row, worst_frames
    from vqinspect.app.scoring.imports import score_result_from_json

    result = score_result_from_json(json.loads(Path(json_path).read_text(encoding="utf-8")), str(json_path))
    by = default_key(result)
    worst = worst_frames(result, by, 1)
    if not worst:
        return None
    frame = worst[0][0]
    offset = int(result.alignment.get("offset", 0))
    try:
        pair = _reopen(result)
        map_metric, map_name = choose_map(None, by, result.metrics)
    except (InputError, MetricError) as exc:
        row = picture_row(1, frame, offset, clip_fps(result.reference), result.table, None)
        row.error = f"pictures unavailable: {exc}"
        return row
    with ReportImageRenderer(pair, map_metric, map_name, crop_size=crop) as renderer:
        return picture_row(1, frame, offset, clip_fps(result.reference), result.table, renderer.render)


def _reopen(result):
    """The pair a score JSON was made from, opened again with the settings it records."""
    from vqinspect.app.media.open_options import open_options
    from vqinspect.app.media.source import open_media
    from vqinspect.app.scoring.pairing import make_pair

    sources = []
    for info in (result.reference, result.distorted):
        raw = info.get("kind") == "raw"
        options = open_options([info["path"]], f"{info['width']}x{info['height']}" if raw else None,
                               info.get("pix_fmt") if raw else None,
                               info.get("fps_rational") if info.get("kind") != "container" else None)
        sources.append(open_media(info["path"], options["raw"], options["fps"]))
    a = result.alignment
    return make_pair(*sources, int(a.get("offset", 0)), (a.get("start"), a.get("stop")), force_rate=True,
                     scaler=a.get("scaler", "bicubic"))


def batch_report(folder, out: Path, write_pdf=None, title: str | None = None) -> int:
    """``vqinspect report --batch DIR -o summary.html``: the table and each pair's worst frame."""
    from vqinspect.app.report.batch_html import render_batch_html
    from vqinspect.app.batch.summary import load_summary
    from vqinspect.app.cli.report import check_pdf_writer, output_kind
    from vqinspect.app.scoring.results import write_atomic

    paged = output_kind(out) == "pdf"
    if paged:
        write_pdf = check_pdf_writer(out, write_pdf)
    rows = load_summary(folder)
    worst = {}
    for i, row in enumerate(rows):
        if row["status"] == "scored" and row.get("json"):
            try:
                found = worst_frame_pictures(Path(folder) / row["json"])
            except (OSError, ValueError, InputError) as exc:
                print(f"vqinspect: {row['json']}: no worst frame ({exc})", file=sys.stderr)
                continue
            if found is not None:
                worst[i] = found
    html = render_batch_html(rows, worst, title=title or "", paged=paged)
    if paged:
        write_pdf(html, out)
    else:
        write_atomic(out, html)
    print(out)
    return EXIT_OK
