"""The inspector window: assembles the views and panels and wires models, workers and views.

The window owns the Qt-free models (InspectorSession, ViewSettings, Viewport), the
on-demand FrameBridge and the background ScoringRunner. Model events drive the views;
worker results arrive as queued signals and are applied only when still current.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (QDockWidget, QLabel, QMainWindow, QProgressBar, QPushButton, QSplitter,
                               QVBoxLayout, QWidget)

from app.errors import InputError
from app.frame_service import FrameRequest, PriorityGate
from app.metric_choice import MetricChoice
from app.pixel import pixel_readout
from app.session import InspectorSession
from app.view_state import Viewport, ViewSettings
from widgets import actions, settings_store
from widgets.file_panel import FilePanel
from widgets.pixel_panel import PixelPanel
from widgets.plots import ScorePlots
from widgets.summary import SummaryPanel
from widgets.toolbar import ViewToolbar
from widgets.transport import Player, TransportBar
from widgets.view_area import ViewArea
from widgets.workers import BackgroundCall, FrameBridge, ScoringRunner

SUMMARY_EVERY = 10      # refresh pooled stats every N score updates (about once a second)
PREFETCH_PLAYING = 3    # frames decoded ahead while playing
PREFETCH_IDLE = 1       # ... and while paused: the next arrow-key step is then instant


class InspectorWindow(QMainWindow):
    """The whole inspector. ``frame_displayed(frame)``, ``map_displayed(frame)``,
    ``pair_opened()`` and ``scoring_finished(result)`` let scripts and tests follow it."""

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
        self.runner: ScoringRunner | None = None
        self._retired: list[ScoringRunner] = []
        self._calls: list[BackgroundCall] = []
        self._open_generation = 0
        self._last_request: FrameRequest | None = None
        self._shown_id = 0
        self._hover: tuple[int, int] | None = None
        self._updates = 0
        self._closed = False
        self._build()
        actions.install(self)
        self._connect()
        settings_store.restore(self)

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        self.player = Player(self.session, self)
        self.view_area = ViewArea(self.viewport, self.view_settings)
        self.toolbar = ViewToolbar(self.view_settings, self.viewport, self)
        self.addToolBar(self.toolbar)
        self.toolbar.set_maps(self.metrics.map_keys, preferred="ssim")
        self.transport = TransportBar(self.session, self.player)
        self.plots = ScorePlots()
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.view_area, 1)
        column.addWidget(self.transport)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.plots)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([640, 300])
        self.setCentralWidget(self.splitter)
        self.file_panel = FilePanel()
        self.pixel_panel = PixelPanel()
        self.summary = SummaryPanel(self.session)
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.pixel_dock = self._dock("pixel_dock", "Pixel", self.pixel_panel, right)
        self.scores_dock = self._dock("scores_dock", "Scores", self.summary, right)
        self.files_dock = self._dock("files_dock", "Files", self.file_panel, right)
        self.tabifyDockWidget(self.scores_dock, self.files_dock)
        self.scores_dock.raise_()
        self.message = QLabel("Open a reference and a distorted clip to begin.")
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(170)
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel scoring")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self.cancel_scoring)
        self.statusBar().addWidget(self.message, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()
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
        self.view_settings.changed.connect(self._on_view_settings_changed)
        self.bridge.frame_ready.connect(self._on_frame_ready)
        self.bridge.map_ready.connect(self._on_map_ready)
        self.view_area.hovered.connect(self._on_hovered)
        self.plots.seek_requested.connect(s.seek)
        self.summary.seek_requested.connect(s.seek)
        self.file_panel.offset_requested.connect(self._on_offset_requested)
        self.toolbar.lock.toggled.connect(self._on_lock_levels)

    # ---------------------------------------------------------------- opening

    def open_paths(self, reference: str | None, distorted: str | None, offset: int = 0) -> None:
        """Open either or both clips in the background; the others stay as they are."""
        self._open_generation += 1
        generation = self._open_generation
        current = (self.session.reference, self.session.distorted)
        options = dict(self.open_options)

        def work():
            from app.media import open_media
            ref = open_media(reference, **options) if reference else current[0]
            dist = open_media(distorted, **options) if distorted else current[1]
            return ref, dist

        names = " and ".join(Path(p).name for p in (reference, distorted) if p)
        self.show_message(f"Opening {names}…")
        call = BackgroundCall(work, self)
        call.done.connect(lambda sources: self._on_opened(generation, sources, offset))
        call.failed.connect(lambda message: self._on_open_failed(generation, message))
        self._calls = [c for c in self._calls if not c.join(0)] + [call]
        call.start()

    def _on_opened(self, generation: int, sources, offset: int) -> None:
        if generation != self._open_generation or self._closed:
            return
        reference, distorted = sources
        try:
            self.session.set_sources(reference, distorted, offset)
        except InputError as exc:
            self.show_message(str(exc), error=True)
            return
        settings_store.remember_files(self.store, reference, distorted)
        if self.session.pair is None:
            missing = "distorted" if reference is not None else "reference"
            self.show_message(f"Now open the {missing} clip (File menu, or drop it on the window).")

    def _on_open_failed(self, generation: int, message: str) -> None:
        if generation == self._open_generation:
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
        self.player.pause()
        self.file_panel.show_pair(pair)
        self._shown_id = 0
        self.view_area.clear()
        if pair is None:
            self._stop_scoring()
            self.plots.set_metrics([], 0, 1)
            self.transport.set_range()
            return
        self.view_area.left.set_placeholder("Decoding…")
        self._start_scoring(pair)
        self.transport.set_range()
        message = (f"Paired {pair.frames} frames, offset {pair.offset}"
                   + (f" — {'; '.join(pair.notes)}" if pair.notes else "") + ".")
        if not self.metrics.kernels_cached():
            message += " Compiling the metric kernels on first use (once; cached afterwards)…"
        self.show_message(message)
        self.pair_opened.emit()

    def _on_frame_changed(self, frame: int) -> None:
        self.transport.show_frame(frame)
        self.plots.set_playhead(frame)
        self.summary.select_frame(frame)
        self.request_frame()

    def _on_view_settings_changed(self, name: str) -> None:
        if name in ("mode", "diff_gain", "diff_kind", "map_key", "colormap", "locked_levels"):
            last = self._last_request
            s = self.view_settings
            if last is None or last.diff != s.diff_spec() or last.heatmap != s.map_spec():
                self.request_frame()
        if name == "colormap":
            settings_store.remember_colormap(self.store, self.view_settings.colormap)

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
        request = FrameRequest(s.pair, s.frame, self.view_settings.diff_spec(), self.view_settings.map_spec(),
                               prefetch=PREFETCH_PLAYING if self.player.playing else PREFETCH_IDLE)
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

    # ---------------------------------------------------------------- scoring

    def _start_scoring(self, pair) -> None:
        self._stop_scoring()
        runner = ScoringRunner(pair, self.metrics.scored, self.gate, self.threads, self)
        runner.updated.connect(self._on_scores_updated)
        runner.finished.connect(self._on_scoring_finished)
        runner.failed.connect(self._on_scoring_failed)
        self.runner = runner
        self.session.set_table(runner.table)
        self.plots.set_metrics(self.metrics.groups, pair.start, pair.stop)
        self.plots.update_table(runner.table)
        self.summary.set_keys(list(runner.table.keys), self.metrics.preferred_key)
        self.progress.setRange(0, pair.frames)
        self.progress.setValue(0)
        self.progress.setFormat("scored %v / %m")
        self.progress.show()
        self.cancel_button.show()
        self._updates = 0
        runner.start()

    def _stop_scoring(self) -> None:
        """Cancel the running pass without waiting; it is joined on close."""
        runner, self.runner = self.runner, None
        if runner is not None:
            for signal in (runner.updated, runner.finished, runner.failed):
                signal.disconnect()
            runner.cancel()
            self._retired.append(runner)
        self._retired = [r for r in self._retired if r.running]
        self.progress.hide()
        self.cancel_button.hide()

    def cancel_scoring(self) -> None:
        if self.runner is not None:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)

    def _on_scores_updated(self) -> None:
        runner = self.runner
        if runner is None:
            return
        self.plots.update_table(runner.table)
        progress = runner.progress
        if progress is not None:
            self.progress.setValue(progress.done)
            eta = f", {progress.eta:.0f} s left" if progress.eta is not None else ""
            self.progress.setToolTip(f"{progress.fps:.1f} frames/s{eta}")
        self._updates += 1
        if self._updates % SUMMARY_EVERY == 1:
            self.summary.refresh()

    def _on_scoring_finished(self, result) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.cancel_button.setEnabled(True)
        self.plots.update_table(result.table)
        self.summary.refresh()
        scored = result.table.count
        if result.status == "cancelled":
            self.show_message(f"Scoring cancelled after {scored} of {len(result.table)} frames.")
        elif result.status == "broken":
            self.show_message(f"Scored {scored} frames, then: {'; '.join(result.problems)}", error=True)
        else:
            self.show_message(f"Scored {scored} frames with {', '.join(result.metrics)}.")
        self.scoring_finished.emit(result)

    def _on_scoring_failed(self, message: str) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.show_message(message, error=True)

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

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop playback and every worker thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.player.pause()
        self._stop_scoring()
        for runner in self._retired:
            runner.stop(timeout)
        self._retired.clear()
        self.bridge.close(timeout)
        for call in self._calls:
            call.join(timeout)
        self._calls.clear()

    def closeEvent(self, event) -> None:
        settings_store.save(self)
        self.shutdown()
        super().closeEvent(event)
