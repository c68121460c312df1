"""The ``vqinspect`` command: the one module that knows both the application and the widgets.

It dispatches the subcommands, opens the window (or falls back without a display), and hands
the Qt PDF writer to the report code as a callable, so that ``app`` never imports Qt.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from vqinspect.app import __version__
from vqinspect.app.cli.options import EXIT_BAD_INPUT, fail, run_command

COMMANDS = ("score", "report", "snapshot", "masks", "demo", "batch", "ladder", "mos", "lab", "align")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-V", "--version"):
        print(f"vqinspect {__version__}")
        return 0
    if argv and argv[0] in ("-h", "--help"):
        _top_parser().print_help()
        return 0
    name, rest = (argv[0], argv[1:]) if argv and argv[0] in COMMANDS else ("gui", argv)
    command = {"score": _score, "report": _report, "snapshot": _snapshot, "masks": _masks,
               "demo": _demo, "batch": _batch, "ladder": _ladder, "mos": _mos, "lab": _lab, "align": _align, "gui": _gui}[name]
    return run_command(command, rest)


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


def _top_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vqinspect", description="Inspect video quality: "
                                "a reference and its encode, per-frame scores and artifact maps.")
    p.add_argument("command", nargs="?", help=" | ".join(COMMANDS) + " (-h for each)")
    p.epilog = ("vqinspect [REF DIST] [--offset N] [--metrics ...]   open the inspector window\n"
                "vqinspect score REF DIST [--metrics psnr,ssim,ms_ssim,vmaf|all] [--json PATH] ...\n"
                "vqinspect align REF DIST [--json PATH] [--max-offset N]   offset, drops, repeats, borders, shift\n"
                "vqinspect report REF DIST -o report.html|report.pdf [--worst N] ...\n"
                "vqinspect snapshot REF DIST --frame N --view VIEW --out FILE.png\n"
                "vqinspect masks --pred PRED [--gt GT] [--source SRC] [--json PATH] [--report PATH]\n"
                "vqinspect demo   (opens the demo pair; headless: snapshot + score table)\n"
                "vqinspect batch MANIFEST --out DIR [--workers N] [--scheduler tcp://HOST:8786] ...\n"
                "vqinspect ladder REF ENC... --json ladder.json [--report ladder.html] [--compare B.json]\n"
                "vqinspect mos RESULTS...|DATASET [--model MOS,P910,...] [--json out.json] [--report out.html]\n"
                "vqinspect lab plan CLIPS... -o PLAN.toml | vqinspect lab run PLAN --subject ID [--resume]")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    return p


def write_pdf(html: str, out: Path) -> None:
    """Paged HTML as a PDF through Qt: the writer the report commands are handed."""
    try:
        from vqinspect.widgets.pdf import html_to_pdf
    except ImportError as exc:
        from vqinspect.app.shared.errors import InputError

        raise InputError(out, f"PDF output needs the Qt PDF writer, which cannot be loaded here ({exc}); "
                              "write .html instead") from None

    html_to_pdf(html, out)


def _score(argv: list[str]) -> int:
    from vqinspect.app.cli.score import score_main

    return score_main(argv)


def _align(argv: list[str]) -> int:
    from vqinspect.app.cli.align import align_main

    return align_main(argv)


def _report(argv: list[str]) -> int:
    from vqinspect.app.cli.report import report_main

    return report_main(argv, write_pdf)


def _batch(argv: list[str]) -> int:
    from vqinspect.app.cli.batch import batch_main

    return batch_main(argv)


def _ladder(argv: list[str]) -> int:
    from vqinspect.app.cli.ladder import ladder_main

    return ladder_main(argv, write_pdf)


def _masks(argv: list[str]) -> int:
    from vqinspect.app.cli.masks import masks_main

    return masks_main(argv, write_pdf)


def _snapshot(argv: list[str]) -> int:
    if not _gui_platform_ready(quiet=False):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from vqinspect.widgets.snapshot import snapshot_main

    return snapshot_main(argv)


def _gui(argv: list[str]) -> int:
    """The inspector window; without a display, a snapshot and the score table instead."""
    from vqinspect.app.cli.score import gui_fallback_scoring

    if not _gui_platform_ready(quiet=False):
        os.environ.pop("DISPLAY", None)
        os.environ.pop("WAYLAND_DISPLAY", None)
    from vqinspect.widgets.launch import NO_DISPLAY, gui_parser, run_gui

    status = run_gui(argv)
    if status != NO_DISPLAY:
        return status
    args = gui_parser().parse_args(argv)
    if not (args.reference and args.distorted):
        return fail("no display to open a window on, and no files to score")
    return gui_fallback_scoring(args)


def _mos(argv: list[str]) -> int:
    from vqinspect.app.cli.mos import mos_main

    return mos_main(argv)


def _lab(argv: list[str]) -> int:
    """``lab plan`` writes a plan; ``lab run`` opens the session, then the runner window."""
    from vqinspect.app.cli.lab import lab_plan_main, lab_usage, open_session, run_parser

    if argv[:1] == ["plan"]:
        return lab_plan_main(argv[1:])
    if argv[:1] and argv[0] in ("features", "train", "validate", "report"):   # the model lab
        from vqinspect.app.cli.lab_model import lab_model_main

        return lab_model_main(argv)
    if argv[:1] != ["run"]:
        print(lab_usage())
        return 0 if argv[:1] in (["-h"], ["--help"]) else EXIT_BAD_INPUT
    args = run_parser().parse_args(argv[1:])
    session = open_session(args)
    if not _gui_platform_ready(quiet=False):
        return fail("the test runner needs a display")
    from vqinspect.widgets.lab_runner import run_lab

    return run_lab(session, screen=args.screen, windowed=args.windowed)


def _demo(argv: list[str]) -> int:
    """Open the demo pair in the inspector; without a display, snapshot it and print scores."""
    from vqinspect.app.cli.score import demo_parser, score_demo
    from vqinspect.app.media.demo import demo_pair

    args = demo_parser().parse_args(argv)
    reference, distorted = demo_pair()
    if args.paths:
        print(reference)
        print(distorted)
        return 0
    print(f"reference: {reference}\ndistorted: {distorted}")
    if not args.no_gui:
        if not _gui_platform_ready(quiet=False):
            os.environ.pop("DISPLAY", None)
            os.environ.pop("WAYLAND_DISPLAY", None)
        from vqinspect.widgets.launch import NO_DISPLAY, run_gui

        status = run_gui([str(reference), str(distorted)] + (["--metrics", args.metrics] if args.metrics else []),
                         scored_snapshot=True)
        if status != NO_DISPLAY:
            return status
    return score_demo(reference, distorted, args.metrics)


def _gui_platform_ready(quiet: bool = True) -> bool:
    """False (after one line naming the packages to install) when Qt's xcb platform would
    abort for missing system libraries; the caller then falls back as without a display."""
    from vqinspect.app.shared.qt_platform import missing_xcb_libraries, install_hint

    missing = missing_xcb_libraries()
    if not missing:
        return True
    if not quiet:
        print(f"vqinspect: the window needs system libraries that are missing: {install_hint(missing)}",
              file=sys.stderr)
    return False


if __name__ == "__main__":
    run()
