"""``vqinspect score REF DIST``: per-frame and pooled scores on the terminal, in JSON and CSV."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vqinspect.app.cli.options import (add_alignment_options, alignment_crop, DEFAULT_METRICS, EXIT_BAD_INPUT,
                                       EXIT_QC_FAIL, Parser, add_input_options, add_profile_option, profile_of,
                                       with_profile_metrics,
                                       add_metric_options, add_pair_options, in_background, metric_options,
                                       open_inputs, parse_metrics, print_pair_warnings, progress_bar)
from vqinspect.app.shared.errors import InputError
from vqinspect.app.shared.text import aligned_columns, clip_fps
from vqinspect.metrics.registry import key_info


def score_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect score", description="Score a distorted clip against its reference.")
    p.add_argument("reference")
    p.add_argument("distorted")
    add_metric_options(p)
    add_pair_options(p)
    add_alignment_options(p)
    add_profile_option(p)
    p.add_argument("--json", metavar="PATH", help="write per-frame and pooled scores as JSON")
    p.add_argument("--csv", metavar="PATH", help="write per-frame scores as CSV")
    p.add_argument("--threads", type=int, default=None, metavar="N", help="kernel threads (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--list-models", action="store_true",
                   help="list the VMAF models known by name (for --vmaf-model) and exit")
    add_input_options(p)
    return p


def list_models() -> str:
    """Each VMAF model known by name, with its viewing conditions."""
    from vqinspect.metrics.vmaf.model import BUILTIN_MODELS, describe_model

    width = max(map(len, BUILTIN_MODELS))
    return "\n".join(f"{name:<{width}}  {describe_model(name)}" for name in BUILTIN_MODELS)


def score_main(argv: list[str]) -> int:
    from vqinspect.app.scoring.engine import PairDecoder
    from vqinspect.app.scoring.pairing import make_pair, parse_range

    if "--list-models" in argv:
        print(list_models())
        return 0
    args = score_parser().parse_args(argv)
    try:
        frames = parse_range(args.frames)
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    # Importing numba and loading the kernels takes ~0.5 s of one core: meanwhile the
    # files are opened and both clips start decoding on the other.
    loading = in_background(_metrics_warming, args, name="vq-metrics")
    ref, dist = open_inputs(args)
    matched = auto_alignment(args, ref, dist)
    pair = make_pair(ref, dist, args.offset, frames, force_rate=args.force_rate, scaler=args.scaler,
                     deinterlace=args.deinterlace, crop=alignment_crop(args, ref, dist), matched=matched)
    print_pair_warnings(pair)
    watch = None
    if matched is None:
        from vqinspect.app.scoring.alignment import MisalignmentCheck

        watch = MisalignmentCheck(pair)
    decoder = PairDecoder.covering(pair, watch)
    try:
        metrics, warm = loading.result()
    except BaseException:
        decoder.stop()
        raise
    status = run_scoring(pair, metrics, args.json, args.csv, args.threads, args.quiet, warm, decoder,
                         profile_of(args))
    warning = watch.warning() if watch is not None else None
    if warning:
        print(f"vqinspect: {warning}", file=sys.stderr)
    return status


def auto_alignment(args, ref, dist, announce: bool = True):
    """With ``--align auto``: the alignment, its events and spatial suggestions on stderr
    (``announce``), else None."""
    if args.align != "auto":
        if args.max_offset is not None:
            raise InputError(None, "--max-offset goes with --align auto")
        return None
    from vqinspect.app.cli.align import run_alignment
    from vqinspect.app.scoring.alignment import DEFAULT_MAX_OFFSET

    if args.offset:
        raise InputError(None, "--offset and --align auto exclude each other (the alignment finds the offset)")
    if args.max_offset is not None and args.max_offset < 0:
        raise InputError(None, "--max-offset must be 0 or more")
    alignment = run_alignment(ref, dist, args.max_offset if args.max_offset is not None else DEFAULT_MAX_OFFSET,
                              args.quiet, spatial=announce and not (args.crop or args.shift))
    for line in alignment.summary() if announce else ():
        print(f"vqinspect: alignment: {line}", file=sys.stderr)
    return alignment


def _metrics_warming(args) -> tuple:
    """The metrics asked for, and their kernels loading (or compiling) in the background."""
    metrics = parse_metrics(with_profile_metrics(args.metrics, profile_of(args)), metric_options(args))
    return metrics, start_warm_up(metrics)


def start_warm_up(metrics, bit_depth: int = 8, chroma: bool = True):
    """Kernel loading (or first-run compiling) in the background."""
    from vqinspect.app.scoring.warmup import KernelWarmUp

    return KernelWarmUp(metrics, bit_depth, chroma)


def warm_up_for(pair, metrics, warm=None):
    """Check frame sizes, then make sure a warm-up for this pair's depth and planes runs."""
    for m in metrics:
        m.check_size(*pair.size)
    chroma = not pair.reference.layout.planar.startswith("gray")
    if warm is None or not warm.matches(pair.bit_depth, chroma):
        warm = start_warm_up(metrics, pair.bit_depth, chroma)
    return warm


def run_scoring(pair, metrics, json_path=None, csv_path=None, threads=None, quiet=False, warm=None,
                decoder=None, profile=None) -> int:
    """Score ``pair`` with a progress bar, print the summary and the verdict of ``profile``,
    write the outputs."""
    from vqinspect.app.scoring.results import dump_json, write_atomic

    result = score_with_progress(pair, metrics, threads, quiet, warm, decoder)
    verdict = judge_result(result, profile)
    if json_path:
        write_atomic(json_path, dump_json(result))
    if csv_path:
        write_atomic(csv_path, result.to_csv())
    print(summary_table(result))
    if verdict is not None:
        print("\n".join(verdict.lines(clip_fps(result.reference))))
    for problem in result.problems:
        print(f"vqinspect: {problem}", file=sys.stderr)
    if result.status == "broken":
        print(f"vqinspect: scored {result.table.count} of {pair.frames} frames before the problem above",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_QC_FAIL if verdict is not None and not verdict.passed else 0


def judge_result(result, profile):
    """The verdict of ``profile`` on ``result`` (None without a profile), printed and kept in
    the result's JSON."""
    if profile is None:
        return None
    from vqinspect.app.qc.verdict import judge

    verdict = judge(profile, result.table)
    result.verdict = verdict.to_json()
    return verdict


def score_with_progress(pair, metrics, threads=None, quiet=False, warm=None, decoder=None):
    """Run a ScoringJob with a progress bar on stderr while the kernels warm up beside it;
    ``decoder``: a PairDecoder already decoding the pair."""
    from vqinspect.app.scoring.engine import ScoringJob

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


def summary_table(result) -> str:
    """Pooled statistics, one row per key, for the terminal (digits from the registry)."""
    stats_names = ("mean", "harmonic_mean", "min", "max", "p1", "p5")
    rows = [["metric", "mean", "harm.mean", "min", "max", "p1", "p5"]]
    for key, stats in result.table.pooled().items():
        rows.append([key] + [key_info(key).format(stats[s]) for s in stats_names])
    ref, dist = Path(result.reference["path"]).name, Path(result.distorted["path"]).name
    title = (f"{ref} vs {dist}: {result.table.count} frames scored, offset {result.alignment['offset']}"
             f" ({result.elapsed:.1f} s)")
    return "\n".join([title, *aligned_columns(rows)])


def gui_fallback_scoring(args) -> int:
    """Without a display: score the pair the window was asked to open and print the table."""
    from vqinspect.app.scoring.pairing import make_pair

    ref, dist = open_inputs(args)
    pair = make_pair(ref, dist, args.offset)
    return run_scoring(pair, parse_metrics(args.metrics or DEFAULT_METRICS, metric_options(args)),
                       threads=args.threads)


def demo_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect demo", description="Build the demo pair (cached) and open it in the inspector.")
    p.add_argument("--metrics", default=None, help="metrics to score, or 'all' (default: psnr, ssim, ms_ssim, vmaf)")
    p.add_argument("--no-gui", action="store_true", help="only score the pair and print the table")
    p.add_argument("--paths", action="store_true", help="only print the two demo file paths")
    return p


def score_demo(reference, distorted, metrics: str | None) -> int:
    """The demo pair's score table (the demo without a window): the window's metrics by default."""
    from vqinspect.app.media.source import open_media
    from vqinspect.app.scoring.metric_choice import GUI_DEFAULT
    from vqinspect.app.scoring.pairing import make_pair

    pair = make_pair(open_media(reference), open_media(distorted))
    return run_scoring(pair, parse_metrics(metrics or ",".join(GUI_DEFAULT)))
