"""Starting the inspector: ``vqinspect [REF DIST] [--offset N] [--metrics ...]``.

Without a display (Linux with neither DISPLAY nor WAYLAND_DISPLAY, and no
QT_QPA_PLATFORM chosen) it says so, renders a snapshot PNG offscreen instead and
returns NO_DISPLAY so that the caller can print the score table.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
from importlib import resources
from pathlib import Path

from vqinspect.app.cli.options import (EXIT_BAD_INPUT, Parser, add_input_options, add_metric_options,
                                       add_profile_option, input_options, metric_names, metric_options, profile_of,
                                       with_profile_metrics)
from vqinspect.app.shared.errors import InputError
from vqinspect.app.scoring.metric_choice import GUI_DEFAULT, MetricChoice
from vqinspect.metrics.registry import available
from vqinspect.widgets.fonts import install_fonts

NO_DISPLAY = 3


def display_available() -> bool:
    """Whether Qt can open windows here (or the user picked a platform plugin)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _quiet_offscreen_warnings() -> None:
    """The offscreen platform says it cannot propagate size hints for every window: noise."""
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(kind, context, message):
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(kind, context, message)
        else:
            sys.stderr.write(message + "\n")

    previous = qInstallMessageHandler(handler)


def application():
    """The QApplication (created if needed), styled once with the inspector's look."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "vqinspect"])
    if not app.property("vqinspect_styled"):
        _quiet_offscreen_warnings()
        app.setOrganizationName("vqinspect")
        app.setApplicationName("vqinspect")
        app.setStyle("Fusion")
        if not app.property("vqinspect_fonts"):
            install_fonts(app)
            app.setProperty("vqinspect_fonts", True)
        app.setStyleSheet(resources.files("vqinspect.resources").joinpath("style.qss").read_text(encoding="utf-8"))
        with resources.as_file(resources.files("vqinspect.resources").joinpath("icon.svg")) as icon:
            app.setWindowIcon(QIcon(str(icon)))
        app.setProperty("vqinspect_styled", True)
    return app


def freeze_startup_objects() -> None:
    """Exempt everything allocated so far (modules, widgets) from garbage collection.

    A full collection walks every tracked object; with Qt, numba and pyqtgraph loaded
    that stalls the event loop for tens of milliseconds whenever the scoring threads'
    allocations trigger one. Frozen objects are skipped, so collections stay short.
    """
    gc.collect()
    gc.freeze()


def gui_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect", description="The inspector window: a reference and "
                                "its encode side by side, per-frame scores and artifact heatmaps.")
    p.add_argument("reference", nargs="?", help="reference clip (drop files on the window instead)")
    p.add_argument("distorted", nargs="?", help="distorted clip")
    p.add_argument("--offset", type=int, default=0, metavar="N",
                   help="compare reference frame i with distorted frame i+N")
    p.add_argument("--deinterlace", action="store_true",
                   help="deinterlace both clips (FFmpeg bwdif, one frame per frame); Scoring menu in the window")
    add_metric_options(p, default=None)
    p.add_argument("--threads", type=int, default=None, metavar="N", help="kernel threads for scoring")
    p.add_argument("--scores", metavar="FILE", help="also plot scores from another tool: a libvmaf log "
                   "(JSON, XML, CSV), an ffmpeg-quality-metrics result or a vqinspect score JSON/CSV")
    add_profile_option(p)
    add_input_options(p)
    return p


def gui_metric_names(text: str | None, profile) -> list[str] | None:
    """``--metrics`` (None: the window's default ones) plus those the QC profile reads."""
    if profile is None:
        return metric_names(text)
    default = ",".join(n for n in GUI_DEFAULT if n in available())
    return metric_names(with_profile_metrics(text if text is not None else default, profile))


def run_gui(argv: list[str], scored_snapshot: bool = False) -> int:
    """Open the inspector window (empty, or with REF DIST); returns the exit status.

    Without a display the snapshot shows the window as it opens, or with ``scored_snapshot``
    after the whole scoring pass (plots and score table full: the demo's short pair)."""
    args = gui_parser().parse_args(argv)
    profile = profile_of(args)
    metrics = MetricChoice.from_names(gui_metric_names(args.metrics, profile), metric_options(args))
    options = input_options(args)
    imported = _load_scores(args.scores)
    if not display_available():
        return _headless(args, metrics, options, scored_snapshot)
    from vqinspect.widgets.main_window import InspectorWindow

    app = application()
    window = InspectorWindow(metrics, open_options=options, threads=args.threads)
    window.verdict.use(profile, args.profile or "")
    window.show()
    _report_unexpected_errors(window)
    freeze_startup_objects()
    _warm_kernels_in_background(metrics)
    if imported is not None:
        window.session.add_import(imported)
    if args.reference or args.distorted:
        window.open_paths(args.reference, args.distorted, args.offset, deinterlace=args.deinterlace)
    return app.exec()


def _load_scores(path: str | None):
    """``--scores FILE`` read before any window opens: a bad file is a one-line error."""
    if path is None:
        return None
    from vqinspect.app.scoring.imports import load_scores

    return load_scores(path)


def _warm_kernels_in_background(metrics: MetricChoice) -> None:
    """Compile (first run) or load (later runs) the numba kernels while the user looks around,
    so that the first scoring pass and the first heatmap do not wait for them."""
    import threading

    from vqinspect.app.scoring.warmup import warm_up

    wanted = list({id(m): m for m in [*metrics.scored, *metrics.map_metrics.values()]}.values())
    threading.Thread(target=warm_up, args=(wanted, 8), name="vq-jit-warmup", daemon=True).start()


def _report_unexpected_errors(window) -> None:
    """A bug in a slot: the traceback goes to stderr as usual, and the user gets one line
    in the status bar instead of silence."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        previous(kind, value, tb)
        window.show_message(f"Internal error ({kind.__name__}: {value}); details are on the terminal.",
                            error=True)

    sys.excepthook = hook


def _headless(args, metrics: MetricChoice, options: dict, scored: bool) -> int:
    print("vqinspect: no display available (DISPLAY and WAYLAND_DISPLAY are unset), so no window; "
          "set QT_QPA_PLATFORM=offscreen to force one", file=sys.stderr)
    if not (args.reference and args.distorted):
        return NO_DISPLAY
    from vqinspect.widgets.snapshot import SnapshotSpec, render_snapshot, snapshot_dir

    out = snapshot_dir() / f"{Path(args.reference).stem}_vs_{Path(args.distorted).stem}.png"
    spec = SnapshotSpec(args.reference, args.distorted, frame=None, view="side-by-side", out=out,
                        offset=args.offset, metrics=metrics, open_options=options, score=scored,
                        deinterlace=args.deinterlace)
    try:
        render_snapshot(spec)
    except InputError as exc:
        print(f"vqinspect: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"vqinspect: wrote a snapshot of the inspector to {out}", file=sys.stderr)
    return NO_DISPLAY
