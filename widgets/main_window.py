"""The inspector window: assembles the views and panels and wires models, workers and views.

The window owns the Qt-free models (InspectorSession, ViewSettings, Viewport), the
on-demand FrameBridge, the scores (``vqinspect.widgets.scoring``: a background pass or a reused
run) and the report export. Model events drive the views; worker results arrive as
queued signals and are applied only when still current. Features with their own module
(bookmarks, score imports, workspaces, reports, masks) act on the window from there;
every question to the user goes through ``self.ask`` (``vqinspect.widgets.dialogs``).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from vqinspect.app.shared.errors import InputError
from vqinspect.app.inspector.frame_service import FrameRequest, PriorityGate
from vqinspect.app.scoring.metric_choice import MetricChoice
from vqinspect.app.inspector.pixel import pixel_readout
from vqinspect.app.inspector.session import InspectorSession
from vqinspect.app.inspector.view_state import Viewport, ViewSettings
from vqinspect.widgets import actions, settings_store
from vqinspect.widgets.alignment_banner import AlignmentBanner
from vqinspect.widgets.alignment_control import AlignmentControl
from vqinspect.widgets.alignment_strip import AlignmentStrip
from vqinspect.widgets.bookmarks import BookmarkPanel, jump_to
from vqinspect.widgets.dialogs import Dialogs
from vqinspect.widgets.file_panel import FilePanel
from vqinspect.widgets.pixel_panel import PixelPanel
from vqinspect.widgets.plots import ScorePlots
from vqinspect.widgets.report_export import ReportExport
from vqinspect.widgets.scopes import ScopesPanel
from vqinspect.widgets.scoring import ScoringControl
from vqinspect.widgets.summary import SummaryPanel
from vqinspect.widgets.toolbar import ViewToolbar
from vqinspect.widgets.transport import Player, TransportBar
from vqinspect.widgets.verdict import VerdictControl
from vqinspect.widgets.view_area import ViewArea
from vqinspect.widgets.workers import BackgroundCall, FrameBridge

PREFETCH_PLAYING = 3    # frames decoded ahead while playing
PREFETCH_IDLE = 1       # ... and while paused: the next arrow-key step is then instant


class InspectorWindow(QMainWindow):
    """The whole inspector. ``frame_displayed(frame)``, ``map_displayed(frame)``,
    ``pair_opened()`` and ``scoring_finished(result)`` (scored, or reused without scoring)
    let scripts and tests follow it."""

    frame_displayed = Signal(int)
    map_displayed = Signal(int)
    pair_opened = Signal()
    scoring_finished = Signal(object)

    def __init__(self, metrics: MetricChoice | None = None, settings: QSettings | None = None,
                 open_options: dict | None = None, threads: int | None = None):
        super().__init__()
        self.setWindowTitle("vqinspect")
        self.setObjectName("inspector")
        self.setAcceptDrops(True)
        self.metrics = metrics or MetricChoice.default()
        self.store = settings or settings_store.default_settings()
        self.open_options = open_options or {}
        self.threads = threads
        self.session = InspectorSession()
        self.view_settings = ViewSettings()
        self.viewport = Viewport()
        self.gate = PriorityGate()
        self.bridge = FrameBridge(self.metrics.map_metrics, self.gate, self)
        self.ask = Dialogs(self)
        self.mask_windows: list = []
        self.workspace_path: Path | None = None
        self._calls: list[BackgroundCall] = []
        self.open_generation = 0           # each open bumps it; a step of an older one then gives up
        self._last_request: FrameRequest | None = None
        self._shown_id = 0
        self._hover: tuple[int, int] | None = None
        self._closed = False
        self._build()
        actions.install(self)
        self._connect()
        settings_store.restore(self)

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        self.player = Player(self.session, self.gate, self)
        self.view_area = ViewArea(self.viewport, self.view_settings)
        self.toolbar = ViewToolbar(self.view_settings, self.viewport, self)
        self.addToolBar(self.toolbar)
        self.toolbar.set_maps(self.metrics.map_keys, preferred="ssim")
        self.transport = TransportBar(self.session, self.player)
        self.plots = ScorePlots()
        self.alignment_strip = AlignmentStrip(self.plots)
        self.alignment_banner = AlignmentBanner()
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.alignment_banner)
        column.addWidget(self.view_area, 1)
        column.addWidget(self.transport)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        under = QWidget()                       # the plots, and the alignment strip on their frame axis
        plots_column = QVBoxLayout(under)
        plots_column.setContentsMargins(0, 0, 0, 0)
        plots_column.setSpacing(0)
        plots_column.addWidget(self.plots, 1)
        plots_column.addWidget(self.alignment_strip)
        self.splitter.addWidget(under)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 300])
        self.setCentralWidget(self.splitter)
        self.file_panel = FilePanel()
        self.pixel_panel = PixelPanel()
        self.summary = SummaryPanel(self.session)
        self.bookmark_panel = BookmarkPanel(self.session)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.pixel_dock = self._dock("pixel_dock", "Pixel", self.pixel_panel, right)
        self.scores_dock = self._dock("scores_dock", "Scores", self.summary, right)
        self.files_dock = self._dock("files_dock", "Files", self.file_panel, right)
        self.bookmarks_dock = self._dock("bookmarks_dock", "Bookmarks", self.bookmark_panel, right)
        self.tabifyDockWidget(self.scores_dock, self.files_dock)
        self.tabifyDockWidget(self.files_dock, self.bookmarks_dock)
        self.scores_dock.raise_()
        self.scopes = ScopesPanel(self.gate)
        self.scopes_dock = self._dock("scopes_dock", "Scopes", self.scopes, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.scopes_dock.hide()     # computed only while shown (View menu)
        self.message = QLabel("Open a reference and a distorted clip to begin.")
        self.statusBar().addWidget(self.message, 1)
        self.scoring = ScoringControl(self)
        self.player.state_changed.connect(lambda _: self.scoring.show_playing(self.player.playing))
        self.progress, self.cancel_button = self.scoring.progress, self.scoring.cancel_button
        self.verdict = VerdictControl(self)      # the QC profile's verdict in the Scores panel and on the plots
        self.reports = ReportExport(self)
        self.alignment = AlignmentControl(self)   # detection, file panel box, strip, banner, Apply
        self.resize(1600, 1000)
        self.resizeDocks([self.scores_dock], [370], Qt.Orientation.Horizontal)
        self.resizeDocks([self.pixel_dock, self.scores_dock], [150, 600], Qt.Orientation.Vertical)

    def _dock(self, name: str, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        s = self.session
        s.sources_changed.connect(self._on_sources_changed)
        s.pair_changed.connect(self._on_pair_changed)
        s.frame_changed.connect(self._on_frame_changed)
        s.imports_changed.connect(lambda: self.plots.set_imports(s.imports))
        s.bookmarks_changed.connect(lambda: self.bookmarks_dock.setWindowTitle(f"Bookmarks ({len(s.bookmarks)})"))
        self.view_settings.changed.connect(self._on_view_settings_changed)
        self.bridge.frame_ready.connect(self._on_frame_ready)
        self.bridge.map_ready.connect(self._on_map_ready)
        self.scopes_dock.visibilityChanged.connect(self.scopes.set_active)
        self.view_area.hovered.connect(self._on_hovered)
        self.plots.seek_requested.connect(s.seek)
        self.summary.seek_requested.connect(s.seek)
        self.bookmark_panel.jump_requested.connect(lambda bookmark: jump_to(self, bookmark))
        self.file_panel.offset_requested.connect(self._on_offset_requested)
        self.toolbar.lock.toggled.connect(self._on_lock_levels)

    # ---------------------------------------------------------------- opening

    @property
    def runner(self):
        """The scoring pass in progress (None when scores were reused or it ended)."""
        return self.scoring.runner

    def open_paths(self, reference: str | None, distorted: str | None, offset: int = 0, *,
                   scores=None, then=None, deinterlace: bool | None = None) -> None:
        """Open either or both clips in the background; the others stay as they are.

        The pair then shows ``scores`` ((ScoreResult, source), e.g. from a workspace) or
        cached scores instead of scoring, when they fit it; ``then()`` runs once it is open.
        ``deinterlace``: deinterlace both clips, or not (None: as the window does now).
        """
        self.open_generation += 1
        generation = self.open_generation
        current = (self.session.reference, self.session.distorted)
        options = dict(self.open_options)
        deinterlace = self.session.deinterlace if deinterlace is None else deinterlace

        def work():
            from vqinspect.app.media.source import open_media
            ref = open_media(reference, **options) if reference else current[0]
            dist = open_media(distorted, **options) if distorted else current[1]
            return ref, dist, [scores, self.scoring.lookup(ref, dist, offset, deinterlace)]

        names = " and ".join(Path(p).name for p in (reference, distorted) if p)
        self.show_message(f"Opening {names}…")
        self.background(work, lambda opened: self._on_opened(generation, opened, offset, then, deinterlace),
                        lambda message: self._on_open_failed(generation, message))

    def background(self, fn, on_done, on_failed) -> BackgroundCall:
        """``fn()`` in a ``vq-call`` thread, joined on shutdown; its result or error message
        reaches ``on_done`` or ``on_failed`` on the UI thread."""
        call = BackgroundCall(fn, self)
        call.done.connect(on_done)
        call.failed.connect(on_failed)
        self._calls = [c for c in self._calls if not c.join(0)] + [call]
        return call.start()

    def _on_opened(self, generation: int, opened, offset: int, then, deinterlace: bool) -> None:
        if generation != self.open_generation or self._closed:
            return
        reference, distorted, candidates = opened
        self.scoring.offer(candidates)
        self.session.deinterlace = deinterlace
        try:
            self.session.set_sources(reference, distorted, offset)
        except InputError as exc:
            self.show_message(str(exc), error=True)
            return
        finally:
            self.scoring.offer([])
        settings_store.remember_files(self.store, reference, distorted)
        if self.session.pair is None:
            missing = "distorted" if reference is not None else "reference"
            self.show_message(f"Now open the {missing} clip (File menu, or drop it on the window).")
        elif then is not None:
            then()

    def _on_open_failed(self, generation: int, message: str) -> None:
        if generation == self.open_generation:
            self.show_message(message, error=True)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error)
        self.message.style().polish(self.message)

    # ---------------------------------------------------------------- model events

    def _on_sources_changed(self) -> None:
        s = self.session
        self.file_panel.show_sources(s.reference, s.distorted)
        self.view_area.set_names(s.reference.info.path if s.reference else None,
                                 s.distorted.info.path if s.distorted else None)
        names = [Path(src.info.path).name for src in (s.reference, s.distorted) if src is not None]
        self.setWindowTitle("vqinspect — " + " vs ".join(names) if names else "vqinspect")

    def _on_pair_changed(self, pair) -> None:
        self.commands["deinterlace"].setChecked(self.session.deinterlace)
        self.player.pause()
        self.file_panel.show_pair(pair)
        self._shown_id = 0
        self.view_area.clear()
        self.scopes.clear()
        if pair is None:
            self.scoring.stop()
            self.plots.set_metrics([], 0, 1)
            self.transport.set_range()
            return
        self.view_area.left.set_placeholder("Decoding…")
        self.scoring.start(pair)
        self.transport.set_range()
        message = (f"Paired {pair.frames} frames, offset {pair.offset}"
                   + (f" — {'; '.join(pair.notes)}" if pair.notes else "") + ".")
        nothing = not self.scoring.choice.scored
        if nothing:
            message += f" Nothing to score: {'; '.join(self.scoring.left_out)}."
        elif self.scoring.runner is None:
            message += f" Scores {self.scoring.source}: not scored again."
        self.show_message(message, error=nothing)
        self.pair_opened.emit()

    def _on_frame_changed(self, frame: int) -> None:
        self.transport.show_frame(frame)
        self.plots.set_playhead(frame)
        self.summary.select_frame(frame)
        self.request_frame()

    def _on_view_settings_changed(self, name: str) -> None:
        if name in ("mode", "diff_gain", "diff_kind", "map_key", "colormap", "locked_levels", "screen_preview"):
            last = self._last_request
            s = self.view_settings
            if (last is None or last.diff != s.diff_spec() or last.heatmap != s.map_spec()
                    or last.screen_preview != s.screen_preview):
                self.request_frame()
        if name == "colormap":
            settings_store.remember_colormap(self.store, self.view_settings.colormap)

    def set_deinterlace(self, on: bool) -> None:
        """Scoring > Deinterlace Both Clips: re-pair (and score again) with both clips through
        FFmpeg's bwdif, or without it."""
        try:
            self.session.set_deinterlace(on)
        except InputError as exc:
            self.commands["deinterlace"].setChecked(self.session.deinterlace)
            self.show_message(f"Deinterlacing not {'applied' if on else 'removed'}: {exc}", error=True)
            return
        if self.session.pair is None:
            self.show_message("The clips you open will be deinterlaced (FFmpeg bwdif)." if on
                              else "The clips you open will be shown and scored as coded.")
        else:
            self.show_message("Both clips deinterlaced (FFmpeg bwdif, one frame per frame)." if on
                              else "Clips shown and scored as coded (not deinterlaced).")

    def _on_offset_requested(self, offset: int) -> None:
        try:
            self.session.set_offset(offset)
        except InputError as exc:
            self.show_message(f"Offset {offset} not applied: {exc}", error=True)
            self.file_panel.show_pair(self.session.pair)

    def _on_lock_levels(self, locked: bool) -> None:
        current = self.view_area.map
        self.view_settings.lock_levels(current.levels if locked and current is not None else None)

    # ---------------------------------------------------------------- frames

    def request_frame(self) -> None:
        """Ask for the current frame with what the current mode needs (latest wins)."""
        s = self.session
        if s.pair is None or self._closed:
            return
        v = self.view_settings
        request = FrameRequest(s.pair, s.frame, v.diff_spec(), v.map_spec(),
                               prefetch=PREFETCH_PLAYING if self.player.playing else PREFETCH_IDLE,
                               screen_preview=v.screen_preview)
        self._last_request = self.bridge.submit(request)

    def _on_frame_ready(self, images) -> None:
        request = images.request
        if request.pair is not self.session.pair or request.id < self._shown_id:
            return
        self.player.frame_shown()
        if images.error:
            self.show_message(images.error, error=True)
            return
        self._shown_id = request.id
        self.view_area.show_frame(images)
        self.scopes.show_frame(images)
        self._update_pixel_panel()
        self.frame_displayed.emit(request.frame)

    def _on_map_ready(self, map_image) -> None:
        request = map_image.request
        if (request.pair is not self.session.pair or request.frame != self.session.frame
                or request.heatmap != self.view_settings.map_spec()):
            return
        self.view_area.show_map(map_image)
        self._update_pixel_panel()
        self.map_displayed.emit(request.frame)

    def _on_hovered(self, point) -> None:
        self._hover = point
        self._update_pixel_panel()

    def _update_pixel_panel(self) -> None:
        images = self.view_area.images
        if self._hover is None or images is None:
            self.pixel_panel.show_readout(None)
            return
        readout = pixel_readout(images, self.view_area.map, *self._hover)
        self.pixel_panel.show_readout(readout, self.session.pair.bit_depth if self.session.pair else None)

    def cancel_scoring(self) -> None:
        self.scoring.cancel()

    # ---------------------------------------------------------------- drag and drop, closing

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        self.open_dropped(paths)
        event.acceptProposedAction()

    def open_dropped(self, paths: list[str]) -> None:
        """Two files: reference then distorted. One file: fills the missing role, else
        replaces the distorted clip (comparing another encode of the same reference)."""
        if len(paths) >= 2:
            self.open_paths(paths[0], paths[1])
        elif len(paths) == 1:
            if self.session.reference is None:
                self.open_paths(paths[0], None)
            else:
                self.open_paths(None, paths[0], self.session.offset)

    @property
    def closed(self) -> bool:
        """Shut down: results of background calls that arrive now are dropped."""
        return self._closed

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop playback and every worker thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.player.pause()
        self.reports.shutdown(timeout)
        self.scoring.shutdown(timeout)
        self.alignment.shutdown(timeout)
        for window in self.mask_windows:
            window.shutdown(timeout)
            window.close()
        self.bridge.close(timeout)
        self.scopes.close_service(timeout)
        for call in self._calls:
            call.join(timeout)
        self._calls.clear()

    def closeEvent(self, event) -> None:
        settings_store.save(self)
        self.shutdown()
        super().closeEvent(event)
