"""``vqinspect snapshot REF DIST --frame N --view MODE --out FILE.png [--window-size WxH]``.

Builds the same inspector window offscreen (never shown on screen), opens the pair,
seeks, waits for the frame (and its map), by default for the scoring pass too so the
plots are full, and saves the window — or, with ``--view-only``, the exported view
with its caption — as a PNG. Runs headless: QT_QPA_PLATFORM=offscreen when no display.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from vqinspect.app.shared.errors import InputError
from vqinspect.app.scoring.metric_choice import MetricChoice
from vqinspect.app.inspector.view_state import MODES
from vqinspect.app.cli.options import (Parser, add_input_options, add_metric_options, add_profile_option,
                                       input_options, metric_names, metric_options, profile_of)
from vqinspect.app.shared.text import parse_size
from vqinspect.widgets.launch import application, display_available

DEFAULT_SIZE = (1600, 1000)
SCOPE_KINDS = ("waveform", "parade", "vectorscope", "histogram")    # vqinspect.app.display.scope_figure
SCOPE_LAYOUTS = ("side-by-side", "overlay")
FRAME_TIMEOUT = 120.0


@dataclass
class SnapshotSpec:
    reference: str
    distorted: str
    frame: int | None                 # None: the first paired frame
    view: str                         # side-by-side, wipe, ab[:distorted], diff[:rgb], heatmap:MAP, scope:KIND[:overlay]
    out: Path
    size: tuple[int, int] = DEFAULT_SIZE
    offset: int = 0
    metrics: MetricChoice | None = None
    open_options: dict = field(default_factory=dict)
    score: bool = True                # wait for the whole scoring pass (full plots)
    view_only: bool = False
    colormap: str | None = None
    screen_preview: bool = True       # HDR10, HLG, BT.2020 converted for an SDR screen (vqinspect.app.display.hdr); False: coded
    profile: str | None = None        # a QC profile (name or TOML file): its verdict in the Scores panel
    deinterlace: bool = False         # both clips through FFmpeg's bwdif (Scoring > Deinterlace Both Clips)


def snapshot_dir() -> Path:
    import platformdirs

    path = Path(os.environ.get("VQINSPECT_CACHE", platformdirs.user_cache_dir("vqinspect"))) / "snapshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def parse_view(text: str) -> tuple[str, str]:
    """``MODE[:ARG]`` -> (mode, arg); InputError naming the choices."""
    mode, _, arg = text.partition(":")
    mode = {"side_by_side": "side-by-side", "sbs": "side-by-side", "difference": "diff",
            "a/b": "ab"}.get(mode, mode)
    if mode == "scope":
        return mode, _scope_view(text, arg)
    if mode not in MODES:
        raise InputError(None, f"--view {text!r}: choose side-by-side, wipe, ab, diff, heatmap:MAP "
                               f"or scope:{'|'.join(SCOPE_KINDS)}")
    if mode == "heatmap" and not arg:
        raise InputError(None, "--view heatmap needs a map, e.g. heatmap:ssim or heatmap:squared_error")
    return mode, arg


def _scope_view(text: str, arg: str) -> str:
    """``KIND[:LAYOUT]`` of a scope view, checked; InputError naming the choices."""
    kind, _, layout = arg.partition(":")
    if kind not in SCOPE_KINDS or (layout and layout not in SCOPE_LAYOUTS):
        raise InputError(None, f"--view {text!r}: choose scope:{'|'.join(SCOPE_KINDS)}, optionally "
                               f"followed by :{'|'.join(SCOPE_LAYOUTS)}")
    return arg


def window_size(text: str) -> tuple[int, int]:
    w, h = parse_size(text, "--window-size")
    if not (320 <= w <= 10000 and 240 <= h <= 10000):
        raise InputError(None, f"--window-size {text}: width 320..10000 and height 240..10000, please")
    return w, h


def render_snapshot(spec: SnapshotSpec) -> Path:
    """Render and save; InputError for anything the user can fix."""
    from PySide6.QtCore import QSettings, Qt

    from vqinspect.app.media.source import open_media
    from vqinspect.app.qc.profile import load_profile
    from vqinspect.widgets import export
    from vqinspect.widgets.main_window import InspectorWindow

    mode, arg = parse_view(spec.view)
    if not display_available():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = application()
    metrics = spec.metrics or MetricChoice.default()
    map_key = None
    if mode == "heatmap":
        map_key = metrics.find_map(arg)
        if map_key is None:
            names = ", ".join(m for _, m in metrics.map_keys) or "none"
            raise InputError(None, f"--view heatmap:{arg}: no such map (available: {names})")
    reference = open_media(spec.reference, **spec.open_options)
    distorted = open_media(spec.distorted, **spec.open_options)
    with tempfile.TemporaryDirectory(prefix="vqinspect-snapshot-") as tmp:
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = InspectorWindow(metrics, settings=settings, open_options=spec.open_options)
        try:
            window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            window.resize(*spec.size)
            window.show()
            _configure(window, mode, arg, map_key, spec.colormap)
            if mode == "scope":
                _show_scope(window, arg)
            window.view_settings.set_screen_preview(spec.screen_preview)
            if spec.profile:
                window.verdict.use(load_profile(spec.profile), spec.profile)
            window.session.deinterlace = spec.deinterlace
            window.session.set_sources(reference, distorted, spec.offset)
            session = window.session
            frame = session.first_frame if spec.frame is None else spec.frame
            if not session.first_frame <= frame <= session.last_frame:
                raise InputError(None, f"--frame {frame} is outside the paired frames "
                                       f"{session.first_frame}..{session.last_frame}")
            session.seek(frame)
            window.request_frame()
            _wait(app, lambda: _ready(window, frame, mode, spec.score), FRAME_TIMEOUT)
            if spec.view_only:
                image = window.scopes.grab().toImage() if mode == "scope" else export.export_image(window)
            else:
                image = window.grab().toImage()
            export.save_png(image, spec.out)
        finally:
            window.close()
    return Path(spec.out)


def _configure(window, mode: str, arg: str, map_key, colormap: str | None) -> None:
    v = window.view_settings
    if colormap:
        from vqinspect.app.display.heatmap import colormap as lookup
        try:
            lookup(colormap)
        except KeyError as exc:
            raise InputError(None, str(exc.args[0])) from None
        v.set_colormap(colormap)
    if mode == "heatmap":
        v.set_map(map_key)
    if mode == "ab" and arg.startswith("dist"):
        v.toggle_ab()
    if mode == "diff" and arg:
        v.set_diff_kind("rgb" if arg.lower() == "rgb" else "luma")
    v.set_mode("side-by-side" if mode == "scope" else mode)


def _show_scope(window, arg: str) -> None:
    from PySide6.QtCore import Qt

    kind, _, layout = arg.partition(":")
    window.scopes.set_kind(kind)
    window.scopes.set_layout_name(layout or "side-by-side")
    window.scopes_dock.show()
    window.resizeDocks([window.scopes_dock], [max(560, window.width() * 2 // 5)], Qt.Orientation.Horizontal)


def _ready(window, frame: int, mode: str, score: bool) -> bool:
    images, map_image = window.view_area.images, window.view_area.map
    shown = images is not None and images.request.frame == frame
    if mode == "diff":
        shown = shown and images.diff_rgb is not None
    if mode == "heatmap":
        shown = shown and map_image is not None and map_image.request.frame == frame
    if mode == "scope":
        if window.scopes.error:
            raise InputError(None, f"--view scope:{window.scopes.kind}: {window.scopes.error}")
        scope = window.scopes.shown
        shown = shown and scope is not None and scope.frame == frame and scope.kind == window.scopes.kind
    if score and ((window.runner is not None and window.runner.running) or window.verdict.state.status == "pending"):
        return False
    return shown


def _wait(app, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise InputError(None, f"the frame was not ready after {timeout:.0f} s")
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()


def snapshot_parser() -> argparse.ArgumentParser:
    p = Parser(prog="vqinspect snapshot", description="Render the inspector window "
                                "offscreen for a frame and view, and save it as a PNG.")
    p.add_argument("reference")
    p.add_argument("distorted")
    p.add_argument("--frame", type=int, default=None, metavar="N", help="reference frame (default: first)")
    p.add_argument("--view", default="side-by-side", metavar="MODE",
                   help="side-by-side | wipe | ab[:distorted] | diff[:rgb] | heatmap:MAP | "
                        "scope:waveform|parade|vectorscope|histogram[:overlay]")
    p.add_argument("--out", required=True, metavar="FILE.png")
    p.add_argument("--window-size", default=f"{DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}", metavar="WxH",
                   help="window size (default 1600x1000)")
    p.add_argument("--offset", type=int, default=0, metavar="N")
    p.add_argument("--deinterlace", action="store_true", help="deinterlace both clips (FFmpeg bwdif)")
    add_metric_options(p, default=None)
    p.add_argument("--colormap", metavar="NAME", help="heatmap colormap (inferno, viridis, magma, ...)")
    p.add_argument("--no-scores", action="store_true", help="do not wait for the scoring pass")
    p.add_argument("--view-only", action="store_true",
                   help="save the picture area with its caption (or, for a scope view, the Scopes "
                        "dock) instead of the whole window")
    p.add_argument("--coded", action="store_true",
                   help="show HDR10, HLG and BT.2020 pictures as coded, not converted for an SDR screen")
    add_profile_option(p)
    add_input_options(p)
    return p


def snapshot_main(argv: list[str]) -> int:
    """``vqinspect snapshot``: prints the PNG's path."""
    args = snapshot_parser().parse_args(argv)
    spec = SnapshotSpec(args.reference, args.distorted, args.frame, args.view, Path(args.out),
                        window_size(args.window_size), args.offset,
                        MetricChoice.from_names(metric_names(args.metrics), metric_options(args)),
                        input_options(args), not args.no_scores, args.view_only, args.colormap,
                        not args.coded, profile_of(args) and args.profile, args.deinterlace)
    parse_view(args.view)
    print(render_snapshot(spec))
    return 0
