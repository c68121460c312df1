"""``vqinspect report REF DIST -o report.html``: score (or reuse scores) and write a QC report.

Scores come from the score cache, a fresh scoring run, or ``--scores FILE`` (a
``vqinspect score`` JSON, a libvmaf log or an ffmpeg-quality-metrics result). ``.pdf``
output goes through the PDF writer the entry point hands over (Qt's, in ``vqinspect.widgets``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

from vqinspect.app.cli.options import (CROP_HELP, EXIT_BAD_INPUT, EXIT_QC_FAIL, Parser, add_alignment_options,
                                       add_input_options, add_metric_options, alignment_crop, add_pair_options, add_profile_option, in_background,
                                       input_options, metric_options, open_inputs, parse_metrics,
                                       print_pair_warnings, profile_of, with_profile_metrics)
from vqinspect.app.cli.score import auto_alignment, judge_result
from vqinspect.app.shared.errors import InputError
from vqinspect.app.shared.text import clip_fps
from vqinspect.metrics.registry import Metric, MetricError, available, get_metric

HTML_SUFFIXES = (".html", ".htm")
PREFERRED_MAP = ("ssim", "ssim")


def report_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect report", description="Write a QC report of a distorted "
                                "clip against its reference: metadata, alignment, pooled statistics, "
                                "per-frame plots and pictures of the worst frames.")
    p.add_argument("reference", nargs="?")
    p.add_argument("distorted", nargs="?")
    p.add_argument("--batch", metavar="DIR", help="instead of a pair: the summary of a vqinspect batch folder, "
                   "a sortable table and each pair's worst frame")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="report.html (self-contained) or report.pdf")
    p.add_argument("--scores", metavar="FILE", help="reuse scores instead of scoring: a vqinspect score "
                   "JSON/CSV, a libvmaf log (JSON, XML, CSV) or an ffmpeg-quality-metrics JSON")
    p.add_argument("--worst", type=int, default=6, metavar="N", help="pictures of the N worst frames (default 6)")
    p.add_argument("--by", metavar="KEY", help="score that ranks the frames (default: the first metric's)")
    p.add_argument("--map", metavar="METRIC:MAP", help="heatmap of the worst frames, e.g. ssim:ssim or "
                   "psnr:squared_error, or 'none' (default: a map of the ranking metric)")
    p.add_argument("--colormap", default="inferno", help="heatmap colormap (inferno, viridis, magma, ...)")
    p.add_argument("--crop", action="append", default=[], metavar="WxH|W:H:X:Y",
                   help="WxH: size of the pictures' region, shown 1:1 (default 480x270; the whole frame when "
                   f"smaller). W:H:X:Y (or ref=/dist=): {CROP_HELP}. Either or both (give --crop twice)")
    p.add_argument("--scope", choices=("waveform", "parade", "vectorscope", "histogram"),
                   help="add this scope of each worst frame, reference and distorted overlaid")
    p.add_argument("--title", help="title of the report")
    add_metric_options(p)
    add_profile_option(p)
    add_pair_options(p, offset_default=None)
    add_alignment_options(p, crop=False)
    p.add_argument("--threads", type=int, default=None, metavar="N", help="kernel threads (default: all cores)")
    p.add_argument("--no-cache", action="store_true", help="score again even if cached scores exist")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_input_options(p)
    return p


PdfWriter = Callable[[str, Path], None]


def report_main(argv: list[str], write_pdf: PdfWriter | None = None) -> int:
    """``vqinspect report``; ``write_pdf(html, path)`` makes PDFs (None: only HTML can be written)."""
    args = report_parser().parse_args(argv)
    if args.batch:
        from vqinspect.app.cli.batch import batch_report

        return batch_report(args.batch, Path(args.output), write_pdf, args.title)
    if not (args.reference and args.distorted):
        raise InputError(None, "give REFERENCE and DISTORTED, or --batch DIR (see vqinspect report --help)")
    return _run(args, write_pdf)


def _run(args, write_pdf: PdfWriter | None) -> int:
    from vqinspect.app.scoring.pairing import make_pair, parse_range
    from vqinspect.app.report.model import build_report
    from vqinspect.app.report.html import render_html, write_html
    from vqinspect.app.report.images import ReportImageRenderer

    out = Path(args.output)
    kind = output_kind(out)
    if kind == "pdf":
        write_pdf = check_pdf_writer(out, write_pdf)
    crop = _parse_crop(_picture_crop(args))
    if args.worst < 0:
        raise InputError(None, "--worst must be 0 or more")
    try:
        frames = parse_range(args.frames)
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    profile = profile_of(args)
    if args.map and args.map.lower() != "none":
        choose_map(args.map, None, [])          # an unknown map is said before anything is scored
    ref, dist = open_inputs(args)
    shots = in_background(_shot_cuts, ref, name="vq-shots")
    matched = auto_alignment(args, ref, dist)
    window = alignment_crop(args, ref, dist)
    notes: list[str] = [f"Automatic alignment: {line}" for line in matched.summary()] if matched else []
    if window is not None:
        notes.append(f"Scored inside a window of the frames: {window.describe()} (W:H:X:Y).")
    if args.scores:
        from vqinspect.app.scoring.imports import load_scores

        imported = load_scores(args.scores)
        saved = int(imported.result.alignment.get("offset", 0)) if imported.result is not None else 0
        offset = args.offset if args.offset is not None else saved
        pair = make_pair(ref, dist, offset, frames, force_rate=args.force_rate, scaler=args.scaler,
                         crop=window, matched=matched)
        result, imported_notes = _imported_result(args, imported, pair)
        notes += imported_notes
        source = imported.label
        metric_names = result.metrics
    else:
        metrics = parse_metrics(with_profile_metrics(args.metrics, profile), metric_options(args))
        _check_by(args.by, [k for m in metrics for k in m.keys])
        pair = make_pair(ref, dist, args.offset or 0, frames, force_rate=args.force_rate, scaler=args.scaler,
                         deinterlace=args.deinterlace, crop=window, matched=matched)
        print_pair_warnings(pair)
        result, source = _scores(pair, metrics, args)
        metric_names = [m.name for m in metrics]
    verdict = judge_result(result, profile)
    cuts = shots.result()
    notes.append(f"Problem moments are grouped by shot: {len(cuts)} cut{'s' if len(cuts) != 1 else ''} "
                 f"found in the reference (a jump in its 16×24 block means of luma between two frames).")
    by = args.by
    map_metric, map_name = choose_map(args.map, by or _default_by(result), metric_names)
    with ReportImageRenderer(pair, map_metric, map_name, colormap=_colormap(args.colormap),
                             crop_size=crop, scope=args.scope) as renderer:
        report = build_report(result, worst=args.worst, by=by, render_frame=renderer.render,
                              source=source, title=args.title, notes=notes,
                              display=tuple(s.description for s in renderer.specs), cuts=cuts,
                              verdict=verdict, prepare_pictures=renderer.prepare)
    for row in report.worst:                     # an automatic alignment pairs frames by its list
        row.dist_frame = renderer.dist_frame(row.frame)
    if kind == "pdf":
        write_pdf(render_html(report, paged=True), out)
    else:
        write_html(report, out)
    print(out)
    if verdict is not None:
        print("\n".join(verdict.lines(clip_fps(result.reference))))
    for problem in result.problems:
        print(f"vqinspect: {problem}", file=sys.stderr)
    if result.status == "broken":
        return EXIT_BAD_INPUT
    return EXIT_QC_FAIL if verdict is not None and not verdict.passed else 0


def _check_by(by: str | None, keys: list[str]) -> None:
    """``--by`` names a key the metrics give: said before any frame is scored."""
    if by is not None and by not in keys:
        raise InputError(None, f"--by {by}: no such score (available: {', '.join(keys)})")


def _shot_cuts(source) -> list[int]:
    """The reference's shot cuts, from the signatures of a decoding pass (beside the scoring)."""
    from vqinspect.app.qc.moments import shot_cuts
    from vqinspect.app.scoring.signatures import clip_signatures

    return shot_cuts(clip_signatures(source))


def output_kind(out: Path) -> str:
    """'html' or 'pdf' from the report's file name; InputError for anything else."""
    suffix = out.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix == ".pdf":
        return "pdf"
    raise InputError(out, "the report must end in .html or .pdf")


def _picture_crop(args) -> str:
    """Split ``--crop``: the WxH picture region is returned, a W:H:X:Y scoring window is
    left in ``args.crop`` for ``alignment_crop`` (None without one)."""
    sizes = [c for c in args.crop if ":" not in c and "=" not in c]
    windows = [c for c in args.crop if c not in sizes]
    if len(sizes) > 1 or len(windows) > 1:
        raise InputError(None, "--crop: at most one WxH picture region and one W:H:X:Y scoring window")
    args.crop = windows[0] if windows else None
    return sizes[0] if sizes else "480x270"


def _parse_crop(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise InputError(None, f"--crop wants WxH like 480x270, got {text!r}") from None
    if w < 16 or h < 16:
        raise InputError(None, f"--crop {text}: at least 16x16, please")
    return w, h


def _colormap(name: str) -> str:
    from vqinspect.app.display.heatmap import colormap

    try:
        colormap(name)
    except KeyError as exc:
        raise InputError(None, str(exc.args[0])) from None
    return name


def _default_by(result) -> str | None:
    from vqinspect.app.report.model import default_key

    return default_key(result) if result.table.keys else None


def _imported_result(args, imported, pair):
    """(ScoreResult, notes) from ``--scores``: each way the file does not fit the pair is said
    once on stderr and noted in the report; the coverage is the pair's frames."""
    from vqinspect.app.scoring.imports import pair_mismatches
    from vqinspect.app.scoring.results import ScoreResult

    notes = list(imported.notes)
    if imported.result is not None:
        result = imported.result
        saved = int(result.alignment.get("offset", 0))
        if pair.offset != saved:
            notes.append(f"The scores were computed with offset {saved}; the pictures use offset {pair.offset}.")
    else:
        result = ScoreResult(imported.to_table(), [], {}, {}, {})
        notes.append(f"Scores imported from {imported.label}; its frame numbers are taken as "
                     f"reference frame numbers.")
    for problem in pair_mismatches(imported, pair, args.offset):
        notes.append(f"Mismatch: {problem}.")
        print(f"vqinspect: {args.scores}: {problem}", file=sys.stderr)
    result.reference, result.distorted = pair.reference.info.as_dict(), pair.distorted.info.as_dict()
    result.alignment = {**pair.alignment(), "start": pair.start, "stop": pair.stop}
    return result, notes


def _scores(pair, metrics: list[Metric], args):
    """(ScoreResult, source) from the cache or a fresh run, which is then cached."""
    from vqinspect.app import __version__
    from vqinspect.app.scoring.score_cache import ScoreCache

    cache = ScoreCache()
    options = input_options(args)
    result = None if args.no_cache else cache.load(pair, metrics, options)
    if result is not None:
        print("vqinspect: using cached scores (--no-cache to score again)", file=sys.stderr)
        return result, f"computed by vqinspect {__version__} (cached)"
    result = score_pair(pair, metrics, args.threads, args.quiet)
    try:
        cache.store(result, pair, metrics, options)
    except OSError as exc:
        print(f"vqinspect: could not cache the scores ({exc})", file=sys.stderr)
    return result, f"computed by vqinspect {__version__}"


def score_pair(pair, metrics: list[Metric], threads: int | None = None, quiet: bool = False):
    """Score with the progress bar on stderr, as ``vqinspect score`` does."""
    from vqinspect.app.cli.score import score_with_progress

    return score_with_progress(pair, metrics, threads, quiet)


def choose_map(spec: str | None, by: str | None, metric_names: list[str]) -> tuple[Metric | None, str | None]:
    """The metric map for the heatmap panels: ``METRIC:MAP``/``MAP``, 'none', or by default a
    map of the metric that owns the ranking key, else of the scored metrics, else SSIM's."""
    if spec and spec.lower() == "none":
        return None, None
    drawers = []
    for name in available():
        try:
            metric = get_metric(name)
        except (MetricError, TypeError, ValueError):
            continue
        if metric.maps and metric.compute_map is not None:
            drawers.append(metric)
    if spec:
        metric_name, _, map_name = spec.rpartition(":")
        for m in drawers:
            if map_name in m.maps and (not metric_name or m.name == metric_name):
                return m, map_name
        known = ", ".join(f"{m.name}:{n}" for m in drawers for n in m.maps) or "none"
        raise InputError(None, f"--map {spec}: no such map (available: {known})")
    ranked = [m for m in drawers if by in m.keys]
    ranked += [m for name in metric_names for m in drawers if m.name == name]
    ranked += [m for m in drawers if (m.name, m.maps[0]) == PREFERRED_MAP]
    return (ranked[0], ranked[0].maps[0]) if ranked else (None, None)


def check_pdf_writer(out: Path, write_pdf: PdfWriter | None) -> PdfWriter:
    """The PDF writer, or an InputError saying PDF output is not available here."""
    if write_pdf is None:
        raise InputError(out, "PDF output needs the Qt PDF writer, which this command was not given; "
                              "write .html instead")
    return write_pdf
