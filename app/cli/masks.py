"""``vqinspect masks``: temporal consistency of a predicted mask or matte clip, from the shell.

``--report`` writes the mask report (``vqinspect.app.masks.report``); ``.pdf`` goes through the
PDF writer the entry point hands over.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vqinspect.app.cli.options import EXIT_BAD_INPUT, Parser, progress_bar
from vqinspect.app.cli.report import PdfWriter, check_pdf_writer
from vqinspect.app.shared.errors import InputError
from vqinspect.app.shared.text import aligned_columns, parse_fps
from vqinspect.metrics.registry import format_value
from vqinspect.app.masks.reader import KINDS

DEFAULT_WORST = 6                 # least stable frames pictured in --report, as ``vqinspect report``
FLOW_CHOICES = ("medium", "fast", "ultrafast", "none")
STATS = ("mean", "harmonic_mean", "min", "max", "p1", "p5")


def masks_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect masks", description="Temporal consistency of a predicted segmentation "
                "mask or alpha matte clip: accuracy against ground truth (J, F, MAD, ...), flicker "
                "without flow, and flow-based consistency against the source video.")
    p.add_argument("--pred", required=True, metavar="PRED",
                   help="predicted masks or mattes: a video, or an image sequence (masks_%%04d.png or a folder)")
    p.add_argument("--gt", metavar="GT", help="ground-truth masks or mattes, same size and frame count")
    p.add_argument("--source", metavar="SRC", help="the source video, for the flow-based measures")
    p.add_argument("--json", metavar="PATH", help="write per-frame and pooled values as JSON")
    p.add_argument("--csv", metavar="PATH", help="write per-frame values as CSV")
    p.add_argument("--maps", metavar="DIR", help="write the clip's error-rate and flip-count heatmaps as PNG")
    p.add_argument("--report", metavar="PATH", help="write a report: PATH.html (self-contained) or PATH.pdf")
    p.add_argument("--worst", type=int, default=DEFAULT_WORST, metavar="N",
                   help=f"pictures of the N least stable frames in the report (default {DEFAULT_WORST})")
    p.add_argument("--kind", choices=KINDS, default="auto",
                   help="how to read the mask values: binary (half range), alpha, labels (object ids); "
                        "default auto")
    p.add_argument("--gt-kind", choices=KINDS, default=None, help="the same for --gt (default: --kind)")
    p.add_argument("--flow", choices=FLOW_CHOICES, default="medium",
                   help="OpenCV DIS preset for the flow-based measures (default medium), or none")
    p.add_argument("--window", type=int, default=8, metavar="N", help="VC window in frames (default 8)")
    p.add_argument("--fps", metavar="F", help="frame rate of image sequences (default 25)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def masks_main(argv: list[str], write_pdf: PdfWriter | None = None) -> int:
    """``vqinspect masks``; ``write_pdf(html, path)`` makes PDF reports."""
    return _run(argv, write_pdf)


def _run(argv: list[str], write_pdf: PdfWriter | None) -> int:
    from vqinspect.app.masks.run import MaskProgress, score_masks
    from vqinspect.app.masks.scorer import MaskOptions, open_mask_inputs
    from vqinspect.app.scoring.results import write_atomic

    args = masks_parser().parse_args(argv)
    if args.window < 2:
        raise InputError(None, f"--window must be at least 2, got {args.window}")
    if args.worst < 0:
        raise InputError(None, f"--worst must be 0 or more, got {args.worst}")
    report_kind = _report_kind(args.report)
    options = MaskOptions(kind=args.kind, gt_kind=args.gt_kind,
                          flow=None if args.flow == "none" else args.flow, window=args.window)
    inputs = open_mask_inputs(args.pred, args.gt, args.source, options, parse_fps(args.fps))
    _warm_up_announced()
    bar = progress_bar(inputs.frame_count, args.quiet)

    def progress(p: MaskProgress) -> None:
        if bar is not None:
            bar.update(p.done - bar.n)

    try:
        result = score_masks(inputs, options, progress)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        import json

        write_atomic(args.json, json.dumps(result.to_json(), indent=1, allow_nan=False))
    if args.csv:
        write_atomic(args.csv, result.to_csv())
    if args.maps:
        write_maps(result, Path(args.maps))
    print(summary(result))
    for problem in result.problems:
        print(f"vqinspect: {problem}", file=sys.stderr)
    if args.report:
        write_report(result, Path(args.report), report_kind, args.worst, write_pdf)
    if result.status == "broken":
        print(f"vqinspect: scored {result.table.count} of {inputs.frame_count} frames before the problem "
              "above", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _report_kind(path: str | None) -> str | None:
    """'html' or 'pdf' for ``--report`` (checked before scoring), None without one."""
    from vqinspect.app.cli.report import output_kind

    return output_kind(Path(path)) if path else None


def write_report(result, out: Path, kind: str, worst: int, write_pdf: PdfWriter | None = None) -> None:
    """The mask report of ``result`` with pictures of its ``worst`` least stable frames."""
    from vqinspect.app.masks.report import MaskPictures, build_mask_report
    from vqinspect.app.masks.report_html import render_mask_html, write_mask_html

    with MaskPictures(result.inputs, result.options) as pictures:
        report = build_mask_report(result, worst=worst, render_frame=pictures.render)
    if kind == "pdf":
        check_pdf_writer(out, write_pdf)(render_mask_html(report, paged=True), out)
    else:
        write_mask_html(report, out)


def _warm_up_announced(patience: float = 0.5) -> None:
    """Compile the kernels up front, saying so on stderr when it takes a while (a cold cache)."""
    import threading

    from vqinspect.app.masks.scorer import warm_up

    done = threading.Event()

    def work() -> None:
        try:
            warm_up()
        finally:
            done.set()

    worker = threading.Thread(target=work, name="vq-mask-warmup", daemon=True)
    worker.start()
    if not done.wait(patience):
        print("vqinspect: compiling mask kernels on first use (once; cached for later runs)...", file=sys.stderr)
    worker.join()


def summary(result) -> str:
    """The terminal summary: what was read, pooled values per key, DAVIS clip statistics and
    the least stable frames."""
    from vqinspect.app.masks.run import instability, least_stable
    from vqinspect.app.masks.display import KIND_NAMES, short_name

    inputs = result.inputs
    d = result.description()
    title = (f"{short_name(inputs.pred.info.path)}: {result.table.count} frames scored, "
             f"{KIND_NAMES[d['kind']]}" + (f" against {short_name(inputs.gt.info.path)}" if inputs.gt else "")
             + (f", flow {d['flow']}" if d["flow"] else ", no flow")
             + (f", ids {d['ids']}" if d["ids"] else "") + f" ({result.elapsed:.1f} s)")
    pooled = result.table.pooled()
    rows = [["key", "mean", "harm.mean", "min", "max", "p1", "p5"]]
    rows += [[k] + [format_value(stats[s]) for s in STATS] for k, stats in pooled.items() if "_id" not in k]
    lines = [title, *aligned_columns(rows)]
    for key in ("j", "f", "jf"):
        if key in result.clip:
            c = result.clip[key]
            lines.append(f"{key}: mean {format_value(c['mean'])}  recall {format_value(c['recall'])}  decay {format_value(c['decay'])}")
    worst = least_stable(result.table)
    if worst:
        base, score = instability(result.table)
        lines.append(f"least stable frames ({base} below " + ("the ground truth's" if inputs.gt else "1")
                     + "): " + ", ".join(f"{f} (-{score[f - result.table.start]:.3f})" for f in worst))
    return "\n".join(lines)


def write_maps(result, folder: Path) -> list[Path]:
    """The clip's maps as colour PNGs (inferno, bright = worse, levels from 0 to the map's
    maximum): error_rate.png and flips.png."""
    import cv2

    from vqinspect.app.display.heatmap import colorize, colormap

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, values in result.maps.items():
        top = float(values.max()) or 1.0
        rgba = colorize(values, colormap("inferno"), (0.0, top))
        path = folder / f"{name}.png"
        if not cv2.imwrite(str(path), cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGRA)):
            raise InputError(path, "cannot be written")
        written.append(path)
    return written
