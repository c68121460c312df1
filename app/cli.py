"""The ``vqinspect`` command: score, demo, and the inspector window."""
from __future__ import annotations

import argparse
import math
import os
import sys
import threading
from concurrent.futures import Future
from fractions import Fraction
from pathlib import Path

from app import __version__
from app.errors import InputError
from app.media import RAW_EXTENSIONS, RawSpec, open_media
from metrics.registry import MetricError, available, get_metric, known_names

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
DEFAULT_METRICS = "psnr,ssim,vmaf"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"score": _cmd_score, "report": _cmd_report, "snapshot": _cmd_snapshot,
                "masks": _cmd_masks, "demo": _cmd_demo}
    if argv and argv[0] in commands:
        name, rest = argv[0], argv[1:]
    elif argv and argv[0] in ("-V", "--version"):
        print(f"vqinspect {__version__}")
        return 0
    elif argv and argv[0] in ("-h", "--help"):
        _top_parser().print_help()
        return 0
    else:
        name, rest = "gui", argv
        commands["gui"] = _cmd_gui
    try:
        return commands[name](rest)
    except (InputError, MetricError) as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("vqinspect: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> None:
    """The console entry point. A ``score`` run ends without the interpreter's teardown
    (0.1-0.3 s of unloading numba's and LLVM's compiled code): by then its outputs are
    written and closed, and the streams are flushed here."""
    argv = sys.argv[1:]
    try:
        status = main(argv)
        sys.stdout.flush()
    except BrokenPipeError:  # our reader went away (``| head``): no traceback, as the docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    if argv and argv[0] == "score":
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> int:
    print(f"vqinspect: {message}", file=sys.stderr)
    return status


def _top_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vqinspect", description="Inspect video quality: "
                                "a reference and its encode, per-frame scores and artifact maps.")
    p.add_argument("command", nargs="?", help="score | report | snapshot | masks | demo (-h for each)")
    p.epilog = ("vqinspect [REF DIST] [--offset N] [--metrics ...]   open the inspector window\n"
                "vqinspect score REF DIST [--metrics psnr,ssim,ms_ssim,vmaf|all] [--json PATH] ...\n"
                "vqinspect report REF DIST -o report.html|report.pdf [--worst N] ...\n"
                "vqinspect snapshot REF DIST --frame N --view VIEW --out FILE.png\n"
                "vqinspect masks --pred PRED [--gt GT] [--source SRC] [--json PATH] [--report PATH]\n"
                "vqinspect demo   (opens the demo pair; headless: snapshot + score table)")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    return p


def add_input_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("raw video and image sequences")
    g.add_argument("--size", metavar="WxH", help="frame size of raw .yuv inputs")
    g.add_argument("--pix-fmt", metavar="FMT", help="pixel format of raw .yuv inputs (e.g. yuv420p, yuv420p10le)")
    g.add_argument("--fps", metavar="F", help="frame rate of raw .yuv inputs and image sequences (default 25)")


def add_metric_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vmaf-model", metavar="NAME|PATH", default=None,
                   help="VMAF model: vmaf_v0.6.1 (default), vmaf_v0.6.1neg, vmaf_4k_v0.6.1 or a libvmaf JSON file")


def metric_options(args) -> dict[str, dict]:
    """Per-metric options from the command line (``--vmaf-model``)."""
    model = getattr(args, "vmaf_model", None)
    return {"vmaf": {"model": model}} if model else {}


def add_pair_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--offset", type=int, default=0, metavar="N",
                   help="compare reference frame i with distorted frame i+N (either sign)")
    p.add_argument("--frames", metavar="START:END", help="reference frames to score (END exclusive)")
    p.add_argument("--force-rate", action="store_true", help="pair frame by frame even if frame rates differ")
    p.add_argument("--scaler", default="bicubic", help="filter used when the distorted size differs "
                   "(bicubic, bilinear, lanczos, area, neighbor, spline; default bicubic)")


def _score_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vqinspect score", description="Score a distorted clip against its reference.")
    p.add_argument("reference")
    p.add_argument("distorted")
    p.add_argument("--metrics", default=DEFAULT_METRICS,
                   help=f"comma-separated metrics or 'all' (known: {', '.join(known_names())}; default {DEFAULT_METRICS})")
    add_metric_options(p)
    add_pair_options(p)
    p.add_argument("--json", metavar="PATH", help="write per-frame and pooled scores as JSON")
    p.add_argument("--csv", metavar="PATH", help="write per-frame scores as CSV")
    p.add_argument("--threads", type=int, default=None, metavar="N", help="kernel threads (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_input_options(p)
    return p


def parse_metrics(text: str, options: dict[str, dict] | None = None) -> list:
    """Metrics named in ``text`` ("psnr,ssim" or "all"), built with per-metric ``options``."""
    names = available() if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError(None, "--metrics is empty")
    metrics = []
    for name in dict.fromkeys(names):
        try:
            metrics.append(get_metric(name, **(options or {}).get(name, {})))
        except KeyError as exc:
            raise InputError(None, str(exc.args[0])) from None
        except ValueError as exc:  # e.g. an unusable VMAF model file
            raise InputError(None, str(exc)) from None
    return metrics


def open_inputs(args) -> tuple:
    """Open the reference and distorted inputs with the raw/sequence options, both at once
    (probing decodes a frame and indexing demuxes the file: both release the GIL)."""
    raw, fps = raw_spec(args)
    ref, dist = (in_background(open_media, path, raw, fps, name=f"vq-open-{k}")
                 for k, path in enumerate((args.reference, args.distorted)))
    return ref.result(), dist.result()


def in_background(fn, *args, name: str) -> Future:
    """``fn(*args)`` in a daemon thread; ``.result()`` returns its value or re-raises."""
    future: Future = Future()

    def work():
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # re-raised in the caller's thread by result()
            future.set_exception(exc)

    threading.Thread(target=work, name=name, daemon=True).start()
    return future


def raw_spec(args) -> tuple[RawSpec | None, Fraction | None]:
    fps = None
    if args.fps:
        try:
            fps = Fraction(args.fps).limit_denominator(100000)
        except (ValueError, ZeroDivisionError):
            raise InputError(None, f"--fps wants a number like 25 or 30000/1001, got {args.fps!r}") from None
        if fps <= 0:
            raise InputError(None, "--fps must be positive")
    needs_raw = any(Path(f).suffix.lower() in RAW_EXTENSIONS for f in (args.reference, args.distorted))
    if not needs_raw:
        return None, fps
    if not args.size or not args.pix_fmt:
        missing = [f for f in (args.reference, args.distorted) if Path(f).suffix.lower() in RAW_EXTENSIONS][0]
        raise InputError(missing, "raw YUV has no header: give --size WxH and --pix-fmt FMT (and --fps F)")
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        raise InputError(None, f"--size wants WxH like 1920x1080, got {args.size!r}") from None
    if w <= 0 or h <= 0:
        raise InputError(None, f"--size must be positive, got {args.size!r}")
    return RawSpec(w, h, args.pix_fmt, fps or Fraction(25)), fps


def _cmd_score(argv: list[str]) -> int:
    from app.engine import PairDecoder
    from app.pairing import make_pair, parse_range

    args = _score_parser().parse_args(argv)
    try:
        frames = parse_range(args.frames)
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    # Importing numba and loading the kernels takes ~0.5 s of one core: meanwhile the
    # files are opened and both clips start decoding on the other.
    loading = in_background(_metrics_warming, args, name="vq-metrics")
    ref, dist = open_inputs(args)
    pair = make_pair(ref, dist, args.offset, frames, force_rate=args.force_rate, scaler=args.scaler)
    decoder = PairDecoder.covering(pair)
    try:
        metrics, warm = loading.result()
    except BaseException:
        decoder.stop()
        raise
    return run_scoring(pair, metrics, args.json, args.csv, args.threads, args.quiet, warm, decoder)


def _metrics_warming(args) -> tuple:
    """The metrics asked for, and their kernels loading (or compiling) in the background."""
    metrics = parse_metrics(args.metrics, metric_options(args))
    return metrics, start_warm_up(metrics)


def start_warm_up(metrics, bit_depth: int = 8, chroma: bool = True):
    """Kernel loading (or first-run compiling) in the background."""
    from app.jit import KernelWarmUp

    return KernelWarmUp(metrics, bit_depth, chroma)


def warm_up_for(pair, metrics, warm=None):
    """Check frame sizes, then make sure a warm-up for this pair's depth and planes runs."""
    for m in metrics:
        m.check_size(pair.reference.info.width, pair.reference.info.height)
    chroma = not pair.reference.layout.planar.startswith("gray")
    if warm is None or not warm.matches(pair.bit_depth, chroma):
        warm = start_warm_up(metrics, pair.bit_depth, chroma)
    return warm


def run_scoring(pair, metrics, json_path=None, csv_path=None, threads=None, quiet=False, warm=None,
                decoder=None) -> int:
    """Score ``pair`` with a progress bar, print the summary, write the outputs."""
    from app.results import dump_json, write_atomic

    result = score_with_progress(pair, metrics, threads, quiet, warm, decoder)
    if json_path:
        write_atomic(json_path, dump_json(result))
    if csv_path:
        write_atomic(csv_path, result.to_csv())
    print(summary_table(result))
    for problem in result.problems:
        print(f"vqinspect: {problem}", file=sys.stderr)
    if result.status == "broken":
        print(f"vqinspect: scored {result.table.count} of {pair.frames} frames before the problem above",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def score_with_progress(pair, metrics, threads=None, quiet=False, warm=None, decoder=None):
    """Run a ScoringJob with a progress bar on stderr while the kernels warm up beside it;
    ``decoder``: a PairDecoder already decoding the pair."""
    from app.engine import ScoringJob

    try:
        warm = warm_up_for(pair, metrics, warm)
    except BaseException:
        if decoder is not None:
            decoder.stop()
        raise
    warm.announce_if_slow(lambda text: print(f"vqinspect: {text}", file=sys.stderr))
    bar = progress_bar(pair.frames, quiet)
    job = ScoringJob(pair, metrics, threads, on_progress=lambda p: bar.update(p.done - bar.n) if bar else None,
                     decoder=decoder)
    try:
        result = job.run()
    finally:
        if bar:
            bar.close()
    seconds = warm.wait()
    if warm.announced:
        print(f"vqinspect: kernels compiled in {seconds:.1f} s", file=sys.stderr)
    return result


def progress_bar(total: int, quiet: bool):
    if quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="frame", file=sys.stderr, dynamic_ncols=True, leave=False)


def summary_table(result) -> str:
    """Pooled statistics, one row per key, for the terminal."""
    pooled = result.table.pooled()
    head = ["metric", "mean", "harm.mean", "min", "max", "p1", "p5"]
    rows = [head]
    for key, stats in pooled.items():
        rows.append([key] + [_fmt(stats[s]) for s in ("mean", "harmonic_mean", "min", "max", "p1", "p5")])
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    ref, dist = Path(result.reference["path"]).name, Path(result.distorted["path"]).name
    title = (f"{ref} vs {dist}: {result.table.count} frames scored, offset {result.alignment['offset']}"
             f" ({result.elapsed:.1f} s)")
    lines = [title]
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
              for r in rows]
    return "\n".join(lines)


def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "-"
    return f"{v:.4f}" if abs(v) < 10 else f"{v:.3f}"


def _cmd_gui(argv: list[str]) -> int:
    """The inspector window; without a display, a snapshot and the score table instead."""
    from widgets.launch import NO_DISPLAY, gui_parser, run_gui

    status = run_gui(argv)
    if status != NO_DISPLAY:
        return status
    args = gui_parser().parse_args(argv)
    if not (args.reference and args.distorted):
        return _fail("no display to open a window on, and no files to score")
    from app.pairing import make_pair

    ref, dist = open_inputs(args)
    pair = make_pair(ref, dist, args.offset)
    return run_scoring(pair, parse_metrics(args.metrics or DEFAULT_METRICS), threads=args.threads)


def _cmd_snapshot(argv: list[str]) -> int:
    from widgets.snapshot import snapshot_main

    return snapshot_main(argv)


def _cmd_report(argv: list[str]) -> int:
    from app.report_cli import report_main

    return report_main(argv)


def _cmd_masks(argv: list[str]) -> int:
    from app.masks_cli import masks_main

    return masks_main(argv)


def _cmd_demo(argv: list[str]) -> int:
    from app.demo import demo_main

    return demo_main(argv)


if __name__ == "__main__":
    run()
