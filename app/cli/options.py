"""What every subcommand shares: exit statuses, the input, pair and metric options, metric
lists, running a command with one-line errors, progress bars."""
from __future__ import annotations

import argparse
import sys
import threading
from concurrent.futures import Future

from vqinspect.app.media.open_options import open_options
from vqinspect.app.media.source import open_media
from vqinspect.app.shared.errors import InputError
from vqinspect.metrics.registry import MetricError, available, get_metric, known_names, option_specs

EXIT_OK = 0
EXIT_BAD_INPUT = 2          # one line on stderr says what to fix
EXIT_SOME_FAILED = 3        # batch: some pairs failed, the others are written
EXIT_QC_FAIL = 4            # a QC profile's verdict is FAIL
EXIT_INTERRUPTED = 130
DEFAULT_METRICS = "psnr,ssim,vmaf"


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one InputError line, not usage + exit 2."""

    def error(self, message: str):
        raise InputError(None, f"{message} (see {self.prog} --help)")


def fail(message: str, status: int = EXIT_BAD_INPUT) -> int:
    print(f"vqinspect: {message}", file=sys.stderr)
    return status


def run_command(command, argv: list[str]) -> int:
    """``command(argv)`` with the CLI's contract: bad input is one line and status 2,
    Ctrl+C is one line and status 130, ``--help`` is status 0."""
    try:
        return command(argv)
    except (InputError, MetricError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED)
    except SystemExit as exc:  # --help, --version
        return int(exc.code or 0)


def add_input_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("raw video and image sequences")
    g.add_argument("--size", metavar="WxH", help="frame size of raw .yuv inputs")
    g.add_argument("--pix-fmt", metavar="FMT", help="pixel format of raw .yuv inputs (e.g. yuv420p, yuv420p10le)")
    g.add_argument("--fps", metavar="F", help="frame rate of raw .yuv inputs and image sequences (default 25)")


def input_options(args) -> dict:
    """``open_media`` keyword arguments from the parsed input options."""
    paths = [getattr(args, "reference", None), getattr(args, "distorted", None)]
    return open_options(paths, args.size, args.pix_fmt, args.fps)


def add_pair_options(p: argparse.ArgumentParser, offset_default: int | None = 0) -> None:
    p.add_argument("--offset", type=int, default=offset_default, metavar="N",
                   help="compare reference frame i with distorted frame i+N (either sign)")
    p.add_argument("--frames", metavar="START:END", help="reference frames to score (END exclusive)")
    p.add_argument("--force-rate", action="store_true", help="pair frame by frame even if frame rates differ")
    p.add_argument("--scaler", default="bicubic", help="filter used when the distorted size differs "
                   "(bicubic, bilinear, lanczos, area, neighbor, spline; default bicubic)")
    p.add_argument("--deinterlace", action="store_true",
                   help="deinterlace both clips (FFmpeg bwdif, one frame per frame) before scoring")


CROP_HELP = ("score a window: W:H:X:Y of both clips, or ref=W:H:X:Y and/or dist=W:H:X:Y (comma-separated), "
             "as FFmpeg's crop=w:h:x:y:exact=1")


def add_alignment_options(p: argparse.ArgumentParser, crop: bool = True) -> None:
    """``--align auto``, ``--crop`` and ``--shift`` (see ``vqinspect align``); ``crop=False``
    for a command whose own ``--crop`` also takes the scoring window (``report``)."""
    g = p.add_argument_group("alignment")
    g.add_argument("--align", choices=("auto",), default=None,
                   help="find the offset, dropped, repeated and inserted frames first and score the "
                        "matched frame pairs only")
    g.add_argument("--max-offset", type=int, default=None, metavar="N",
                   help="with --align auto: largest offset to consider (default 50)")
    if crop:
        g.add_argument("--crop", metavar="W:H:X:Y", help=CROP_HELP)
    g.add_argument("--shift", metavar="DX:DY", help="the distorted picture is moved DX px right, DY px down: "
                   "score the window where the clips overlap")


def alignment_crop(args, reference, distorted):
    """The PairCrop asked for by ``--crop`` and ``--shift`` (None for neither); InputError if malformed."""
    from vqinspect.app.scoring.spatial import combine, parse_crop, parse_shift, shift_crop

    crop = None
    try:
        if getattr(args, "crop", None):
            crop = parse_crop(args.crop)
        if getattr(args, "shift", None):
            dx, dy = parse_shift(args.shift)
            ref_rect = crop.reference if crop else None
            dist_rect = crop.distorted if crop else None
            width = (ref_rect or dist_rect).w if (ref_rect or dist_rect) else reference.info.width
            height = (ref_rect or dist_rect).h if (ref_rect or dist_rect) else reference.info.height
            if crop is None and (distorted.info.width, distorted.info.height) != (width, height):
                raise ValueError("--shift needs clips of the same size")
            crop = combine(crop, shift_crop(dx, dy, width, height))
    except ValueError as exc:
        raise InputError(None, str(exc)) from None
    return crop


def print_pair_warnings(pair) -> None:
    """The pairing's warning lines (rotation, aspect, interlacing, gaps, frame counts) on stderr."""
    for line in getattr(pair, "warnings", ()):
        print(f"vqinspect: {line}", file=sys.stderr)


def add_metric_options(p: argparse.ArgumentParser, default: str | None = DEFAULT_METRICS) -> None:
    """``--metrics`` and one flag per metric option the registry declares (``--vmaf-model``...)."""
    shown = f"; default {default}" if default else ""
    p.add_argument("--metrics", default=default, metavar="LIST",
                   help=f"comma-separated metrics or 'all' (known: {', '.join(known_names())}{shown})")
    g = p.add_argument_group("metric options")
    for spec in option_specs():
        g.add_argument(spec.flag, dest=spec.dest, metavar=spec.metavar, default=None, help=spec.help)


def metric_options(args) -> dict[str, dict]:
    """Per-metric options given on the command line: ``{"vmaf": {"model": ...}}``."""
    options: dict[str, dict] = {}
    for spec in option_specs():
        value = getattr(args, spec.dest, None)
        if value is not None:
            options.setdefault(spec.metric, {})[spec.name] = spec.parse(value)
    return options


def add_profile_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profile", metavar="FILE|NAME", help="judge the scores with a QC profile (a TOML file, or "
                   "streaming-top-rung, mezzanine): PASS, or FAIL with exit status 4")


def profile_of(args):
    """The QC profile ``--profile`` names (None without one); InputError if unusable."""
    from vqinspect.app.qc.profile import load_profile

    spec = getattr(args, "profile", None)
    return load_profile(spec) if spec else None


def with_profile_metrics(text: str | None, profile) -> str | None:
    """``--metrics`` plus the metrics the profile's rules read, which must be scored to judge."""
    if profile is None:
        return text
    names = metric_names(text) or []
    return ",".join(names + [m for m in profile.metrics() if m not in names])


def metric_names(text: str | None) -> list[str] | None:
    """Names from ``--metrics`` ("psnr,ssim" or "all"); None when not given."""
    if text is None:
        return None
    names = available() if text.strip() == "all" else [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError(None, "--metrics is empty")
    return list(dict.fromkeys(names))


def parse_metrics(text: str, options: dict[str, dict] | None = None) -> list:
    """Metrics named in ``text``, built with per-metric ``options``."""
    metrics = []
    for name in metric_names(text):
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
    options = input_options(args)
    ref, dist = (in_background(open_media, path, options["raw"], options["fps"], name=f"vq-open-{k}")
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


def progress_bar(total: int, quiet: bool = False):
    """A tqdm bar on stderr counting frames, or None with ``quiet``."""
    if quiet:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="frame", file=sys.stderr, dynamic_ncols=True, leave=False)
