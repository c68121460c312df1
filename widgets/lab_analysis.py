"""The subjective analysis in the window, live: the plots of the HTML report (scores with 95 %
intervals per stimulus grouped by content, the vote distribution per stimulus, per-subject bias
and inconsistency with the BT.500 screening marked) and the tables behind them.

The view watches its inputs (results files, folders or patterns of them, or a SUREAL dataset):
a file-system watcher and a slow poll both ask for a refresh; a worker thread compares the
inputs' signature and, when it changed, reads them and runs the models (latest wins: while one
computation runs, further requests collapse into one more). Double-clicking a stimulus (in the
plots or the table) opens it against its reference in the inspector.
"""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QFileSystemWatcher, QObject, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QLabel, QMainWindow, QSplitter, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from vqinspect.app.lab.analysis import Analysis, analyse, input_signature
from vqinspect.widgets.plots import PALETTE
from vqinspect.widgets.workers import BackgroundCall

POLL_MS = 2000               # the slow poll, for file systems whose changes the watcher misses
KEPT = "#5fb3f0"
SCREENED_OUT = "#ff5c5c"
SEPARATOR = "#6a6a6a"
DISTRIBUTION_MAP = "viridis"
TICKS_SHOWN = 40             # at most this many subject names under the bias plots


class AnalysisWorker(QObject):
    """Computes snapshots off the UI thread, one at a time; ``ready(Analysis)`` when the inputs
    changed since the last snapshot, ``failed(message)`` when they cannot be read yet."""

    ready = Signal(object)
    failed = Signal(str)

    def __init__(self, inputs: list[str], parent: QObject | None = None):
        super().__init__(parent)
        self.inputs = list(inputs)
        self._call: BackgroundCall | None = None
        self._pending = False
        self._last_signature: tuple | None = None
        self._closed = False

    def request(self) -> None:
        """Ask for a snapshot; collapses with the one running (latest wins)."""
        if self._closed:
            return
        if self._call is not None:
            self._pending = True
            return
        self._pending = False
        last = self._last_signature
        inputs = list(self.inputs)

        def work():
            if last is not None and input_signature(inputs) == last:
                return None                      # nothing changed
            return analyse(inputs)

        self._call = BackgroundCall(work, self)
        self._call.done.connect(self._on_done)
        self._call.failed.connect(self._on_failed)
        self._call.start()

    def _finish(self) -> None:
        self._call = None
        if self._pending and not self._closed:
            self.request()

    def _on_done(self, analysis: Analysis | None) -> None:
        if analysis is not None and not self._closed:
            self._last_signature = analysis.signature
            self.ready.emit(analysis)
        self._finish()

    def _on_failed(self, message: str) -> None:
        if not self._closed:
            self._last_signature = None            # try again at the next change or poll
            self.failed.emit(message)
        self._finish()

    def shutdown(self, timeout: float = 10.0) -> None:
        self._closed = True
        if self._call is not None:
            self._call.join(timeout)


class LabAnalysisView(QWidget):
    """Plots and tables of one analysis, refreshed as its inputs change.

    ``updated`` follows each new snapshot; ``open_requested(reference, distorted)`` each
    double-click on a stimulus (``open_pair`` is called with the same paths)."""

    updated = Signal()
    open_requested = Signal(str, str)

    def __init__(self, inputs: list[str], open_pair=None, parent: QWidget | None = None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.inputs = [str(p) for p in inputs]
        self.analysis: Analysis | None = None
        self.x_of: dict[int, float] = {}         # stimulus index -> x slot in the score plots
        self.stimulus_at: dict[int, int] = {}    # x slot -> stimulus index
        self.score_items: dict[str, pg.ScatterPlotItem] = {}
        self.error = ""
        self._open_pair = open_pair
        self._build()
        self.worker = AnalysisWorker(self.inputs, self)
        self.worker.ready.connect(self.show_analysis)
        self.worker.failed.connect(self._on_failed)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _: self.refresh())
        self.watcher.fileChanged.connect(lambda _: self.refresh())
        self._watch()
        self.poll = QTimer(self)
        self.poll.timeout.connect(self.refresh)
        self.poll.start(poll_ms)
        self.refresh()

    # ---------------------------------------------------------------- building

    def _build(self) -> None:
        self.status = QLabel("Reading the results…")
        self.status.setWordWrap(True)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.ci.setContentsMargins(4, 4, 10, 4)
        self.score_plot = self.plots.addPlot(row=0, col=0, colspan=2)
        self.dist_plot = self.plots.addPlot(row=1, col=0, colspan=2)
        self.bias_plot = self.plots.addPlot(row=2, col=0)
        self.incons_plot = self.plots.addPlot(row=2, col=1)
        layout = self.plots.ci.layout
        for row, stretch in ((0, 5), (1, 3), (2, 3)):
            layout.setRowStretchFactor(row, stretch)
        self.dist_plot.setXLink(self.score_plot)
        for plot in (self.score_plot, self.dist_plot, self.bias_plot, self.incons_plot):
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            plot.hideButtons()
        self.score_plot.setLabel("left", "score (95 % interval)")
        self.dist_plot.setLabel("left", "vote")
        self.dist_plot.setLabel("bottom", "stimulus, grouped by content (ordered by score)")
        self.bias_plot.setLabel("left", "bias (score units)")
        self.bias_plot.setLabel("bottom", "subject")
        self.incons_plot.setLabel("left", "inconsistency (std)")
        self.incons_plot.setLabel("bottom", "subject")
        self.score_legend = self.score_plot.addLegend(offset=(10, 5), brush=pg.mkBrush(30, 30, 30, 215))
        self.hover = pg.TextItem(anchor=(0, 1), color="#f0f0f0", fill=pg.mkBrush(20, 20, 20, 210))
        self.hover.setZValue(100)
        self.colorbar: pg.ColorBarItem | None = None
        self.plots.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plots.scene().sigMouseClicked.connect(self._on_mouse_clicked)

        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.itemDoubleClicked.connect(lambda item: self.open_stimulus(item.data(Qt.ItemDataRole.UserRole)))
        self.subjects = QTableWidget(0, 0)
        self.subjects.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.subjects.verticalHeader().hide()
        tabs = QTabWidget()
        tabs.addTab(self.table, "Stimuli")
        tabs.addTab(self.subjects, "Subjects")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.plots)
        splitter.addWidget(tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([700, 220])
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.status)
        column.addWidget(splitter, 1)

    # ---------------------------------------------------------------- watching

    def refresh(self) -> None:
        """Ask the worker for a snapshot (it does nothing when the inputs have not changed)."""
        self._watch()
        self.worker.request()

    def _watch(self) -> None:
        """Watch every input and its folder; an atomic rewrite replaces a file, which drops its
        watch, so the files are added again at each refresh."""
        wanted = set()
        for item in self.inputs:
            path = Path(item)
            folder = path if path.is_dir() else path.parent
            wanted.add(str(folder))
            if path.is_file():
                wanted.add(str(path))
        existing = set(self.watcher.files()) | set(self.watcher.directories())
        missing = [p for p in wanted - existing if Path(p).exists()]
        if missing:
            self.watcher.addPaths(missing)

    def shutdown(self, timeout: float = 10.0) -> None:
        self.poll.stop()
        self.worker.shutdown(timeout)

    def _on_failed(self, message: str) -> None:
        self.error = message
        previous = " (showing the last readable state)" if self.analysis is not None else ""
        self.status.setText(f"Cannot analyse the results yet: {message}{previous}")
        self.status.setStyleSheet("color: #ff7070;")

    # ---------------------------------------------------------------- showing a snapshot

    def show_analysis(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.error = ""
        self._layout_slots(analysis)
        self._show_rows(ratings=analysis.scores is not None)
        self._show_scores(analysis)
        self._show_distributions(analysis)
        self._show_subjects(analysis)
        self._fill_tables(analysis)
        self._show_status(analysis)
        self.updated.emit()

    def _show_rows(self, ratings: bool) -> None:
        """Paired comparisons have neither vote distributions nor subject terms: only the scores."""
        layout = self.plots.ci.layout
        for row, items in ((1, [self.dist_plot] + ([self.colorbar] if self.colorbar else [])),
                           (2, [self.bias_plot, self.incons_plot])):
            for item in items:
                item.setVisible(ratings)
            layout.setRowMaximumHeight(row, 1e6 if ratings else 0)
            layout.setRowStretchFactor(row, 3 if ratings else 0)
        self.score_plot.setLabel("bottom", None if ratings else "stimulus, grouped by content (ordered by score)")

    def _layout_slots(self, a: Analysis) -> None:
        """x slot of each stimulus: groups side by side with one empty slot between them."""
        self.x_of, self.stimulus_at = {}, {}
        self._groups: list[tuple[str, float, float]] = []    # (content, first x, last x)
        x = 0
        for members in a.order():
            first = x
            for k in members:
                self.x_of[k] = float(x)
                self.stimulus_at[x] = k
                x += 1
            self._groups.append((a.clips[members[0]].content, first, x - 1))
            x += 1
        self._slots = max(x - 1, 1)

    def _content_axis(self, plot: pg.PlotItem) -> None:
        ticks = [((first + last) / 2, content) for content, first, last in self._groups]
        plot.getAxis("bottom").setTicks([ticks, []])
        for content, first, last in self._groups[1:]:
            plot.addItem(pg.InfiniteLine(first - 1, angle=90, pen=pg.mkPen(SEPARATOR, style=Qt.PenStyle.DashLine)))

    def _show_scores(self, a: Analysis) -> None:
        plot = self.score_plot
        plot.clear()
        self.score_legend.clear()
        self.score_items = {}
        kind = "paired comparison" if a.dataset.is_pair_comparison else "ratings"
        plot.setTitle(f"Scores by content — {a.dataset.name} ({kind}); intervals: SUREAL's normal approximation")
        self._content_axis(plot)
        models = list(a.results)
        self.score_legend.setColumnCount(max(1, len(models)))
        order = [k for members in a.order() for k in members]
        xs = np.array([self.x_of[k] for k in order])
        for m, (model, result) in enumerate(a.results.items()):
            color = PALETTE[m % len(PALETTE)]
            dx = (m - (len(models) - 1) / 2) * min(0.6 / max(len(models), 1), 0.15)
            q = np.asarray(result["quality_scores"], dtype=float)[order]
            ci = result.get("quality_scores_ci95")
            if ci is not None:
                lo = np.asarray(ci[0], dtype=float)[order]
                hi = np.asarray(ci[1], dtype=float)[order]
                ok = np.isfinite(q) & np.isfinite(lo) & np.isfinite(hi)
                if ok.any():
                    plot.addItem(pg.ErrorBarItem(x=xs[ok] + dx, y=q[ok], bottom=lo[ok], top=hi[ok], beam=0.12,
                                                 pen=pg.mkPen(color, width=1.5)))
            ok = np.isfinite(q)
            points = pg.ScatterPlotItem(x=xs[ok] + dx, y=q[ok], size=7, brush=pg.mkBrush(color),
                                        pen=pg.mkPen("#101010"), name=model, data=np.array(order)[ok])
            plot.addItem(points)
            self.score_items[model] = points
        plot.addItem(self.hover, ignoreBounds=True)
        self.hover.hide()
        plot.setXRange(-0.8, self._slots + 0.8, padding=0)
        plot.enableAutoRange(axis="y")

    def _show_distributions(self, a: Analysis) -> None:
        plot = self.dist_plot
        plot.clear()
        self._content_axis(plot)
        if a.scores is None:
            plot.setTitle("Vote distributions: none for paired comparisons (each vote is a preference)")
            return
        finite = a.scores[np.isfinite(a.scores)]
        if not finite.size:
            plot.setTitle("Vote distributions: no votes yet")
            return
        integer = bool(np.all(finite == np.round(finite))) and finite.max() - finite.min() <= 20
        edges = (np.arange(finite.min() - 0.5, finite.max() + 1.5) if integer
                 else np.linspace(finite.min(), finite.max() + 1e-9, 11))
        share = np.full((self._slots + 1, len(edges) - 1), np.nan)
        for k, x in self.x_of.items():
            votes = a.scores[k][np.isfinite(a.scores[k])]
            counts, _ = np.histogram(votes, bins=edges)
            share[int(x)] = counts / max(1, votes.size)
        top = float(np.nanmax(share)) or 1.0
        image = pg.ImageItem(share)
        cmap = pg.colormap.get(DISTRIBUTION_MAP)
        image.setColorMap(cmap)
        image.setLevels((0.0, top))
        image.setRect(QRectF(-0.5, edges[0], self._slots + 1, edges[-1] - edges[0]))
        plot.addItem(image)
        main = a.main_model
        q = np.asarray(a.results[main]["quality_scores"], dtype=float) if a.results else None
        if q is not None:
            keys = [k for k in self.x_of if math.isfinite(q[k])]
            plot.addItem(pg.ScatterPlotItem(x=[self.x_of[k] for k in keys], y=[q[k] for k in keys], symbol="t1",
                                            size=8, brush=pg.mkBrush("#ffffff"), pen=pg.mkPen("#000000")))
        if self.colorbar is None:
            self.colorbar = pg.ColorBarItem(values=(0.0, top), colorMap=cmap, label="share of the stimulus's votes",
                                            interactive=False, width=12)
            self.plots.addItem(self.colorbar, row=1, col=2)
        self.colorbar.setLevels((0.0, top))
        marker = f"; △ {main}" if q is not None else ""
        plot.setTitle(f"Vote distribution per stimulus ({'one row per vote value' if integer else '10 bins'}{marker})")
        plot.setYRange(edges[0], edges[-1], padding=0.02)

    def _show_subjects(self, a: Analysis) -> None:
        for plot in (self.bias_plot, self.incons_plot):
            plot.clear()
        model = a.observer_model()
        screening = a.screening()
        rejected = list(screening[1].rejected) if screening else [False] * len(a.observers)
        labels = short_names(a.observers)
        every = max(1, math.ceil(len(labels) / TICKS_SHOWN))
        ticks = [[(k, labels[k]) for k in range(0, len(labels), every)], []]
        for plot in (self.bias_plot, self.incons_plot):
            plot.getAxis("bottom").setTicks(ticks)
        if model is None:
            note = ("not estimated for paired comparisons" if a.dataset.is_pair_comparison
                    else "no model with per-subject terms ran" + _skipped_note(a))
            self.bias_plot.setTitle(f"Subject bias: {note}")
            self.incons_plot.setTitle("Subject inconsistency")
            return
        result = a.results[model]
        count = len(result["observer_bias"])
        rejected = (rejected + [False] * count)[:count]
        brushes = [pg.mkBrush(SCREENED_OUT if r else KEPT) for r in rejected]
        xs = np.arange(count, dtype=float)
        key_text = (f'<span style="color:{KEPT}">■</span> kept, <span style="color:{SCREENED_OUT}">■</span> '
                    f"screened out by BT.500 ({screening[0]})" if screening else "no BT.500 screening run")
        for plot, key, title in ((self.bias_plot, "observer_bias", "Subject bias"),
                                 (self.incons_plot, "observer_inconsistency", "Subject inconsistency")):
            values = np.asarray(result[key], dtype=float)
            plot.addItem(pg.BarGraphItem(x=xs, height=np.nan_to_num(values), width=0.7, brushes=brushes,
                                         pen=pg.mkPen(None)))
            ci = result.get(f"{key}_ci95")
            if ci is not None:
                lo, hi = np.asarray(ci[0], dtype=float), np.asarray(ci[1], dtype=float)
                ok = np.isfinite(values) & np.isfinite(lo) & np.isfinite(hi)
                if ok.any():
                    plot.addItem(pg.ErrorBarItem(x=xs[ok], y=values[ok], bottom=lo[ok], top=hi[ok], beam=0.25,
                                                 pen=pg.mkPen("#d0d0d0")))
            plot.setTitle(f"{title} ({model}) — {key_text}")
            plot.setXRange(-0.8, count - 0.2, padding=0)
        self.bias_plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#a0a0a0")))

    def _fill_tables(self, a: Analysis) -> None:
        models = list(a.results)
        headers = ["content", "stimulus", "votes"] + [f"{m} ± 95 %" for m in models]
        if "MOS" in a.results:
            headers.append("MOS ± 95 % (Student t)")
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        order = [k for members in a.order() for k in members]
        self.table.setRowCount(len(order))
        counts = _vote_counts(a)
        for row, k in enumerate(order):
            cells = [a.clips[k].content, a.clips[k].name, str(counts[k])]
            cells += [_score_text(a.results[m], k) for m in models]
            if "MOS" in a.results:
                cells.append(_score_text(a.results["MOS"], k, "quality_scores_ci95_student_t"))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, k)
                item.setToolTip(f"{a.clips[k].distorted}\nreference: {a.clips[k].reference}\n"
                                "Double-click: open against its reference in the inspector")
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self._fill_subjects(a)

    def _fill_subjects(self, a: Analysis) -> None:
        model = a.observer_model()
        screening = a.screening()
        headers = ["subject", f"bias ({model})" if model else "bias", f"inconsistency ({model})" if model else
                   "inconsistency", "BT.500 screening"]
        self.subjects.clear()
        self.subjects.setColumnCount(len(headers))
        self.subjects.setHorizontalHeaderLabels(headers)
        self.subjects.setRowCount(len(a.observers))
        result = a.results.get(model, {}) if model else {}
        for s, name in enumerate(a.observers):
            bias = _number(result.get("observer_bias"), s)
            incons = _number(result.get("observer_inconsistency"), s)
            reason = screening[1].reason(s) if screening and s < len(screening[1].rejected) else ""
            for col, text in enumerate((name, bias, incons, reason)):
                item = QTableWidgetItem(text)
                if reason.startswith("rejected"):
                    item.setForeground(QColor(SCREENED_OUT))
                self.subjects.setItem(s, col, item)
        self.subjects.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def _show_status(self, a: Analysis) -> None:
        subjects = len(a.observers)
        text = (f"{a.dataset.name}: {len(a.clips)} stimuli, {subjects} subjects, {a.votes} votes "
                f"from {len(a.files)} file{'s' if len(a.files) != 1 else ''} — updated {time.strftime('%H:%M:%S')}. "
                "Double-click a stimulus to open it against its reference.")
        self.status.setText(text + _skipped_note(a))
        self.status.setStyleSheet("")

    # ---------------------------------------------------------------- mouse

    def stimulus_near(self, x: float) -> int | None:
        """The stimulus whose slot is nearest ``x`` (None over a gap or outside)."""
        return self.stimulus_at.get(int(round(x)))

    def _plot_under(self, scene_pos) -> pg.PlotItem | None:
        for plot in (self.score_plot, self.dist_plot):
            if plot.getViewBox().sceneBoundingRect().contains(scene_pos):
                return plot
        return None

    def _on_mouse_moved(self, scene_pos) -> None:
        plot = self._plot_under(scene_pos)
        if plot is None or self.analysis is None:
            self.hover.hide()
            return
        point = plot.getViewBox().mapSceneToView(scene_pos)
        k = self.stimulus_near(point.x())
        if k is None:
            self.hover.hide()
            return
        a = self.analysis
        lines = [f"{a.clips[k].name}  ({a.clips[k].content}, {_vote_counts(a)[k]} votes)"]
        lines += [f"{m}: {_score_text(r, k)}" for m, r in a.results.items()]
        self.hover.setText("\n".join(lines))
        view = self.score_plot.getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        self.hover.setAnchor((1, 0) if self.x_of[k] > (x0 + x1) / 2 else (0, 0))
        self.hover.setPos(self.x_of[k], y1)
        self.hover.show()

    def _on_mouse_clicked(self, event) -> None:
        if not event.double() or event.button() != Qt.MouseButton.LeftButton:
            return
        plot = self._plot_under(event.scenePos())
        if plot is None:
            return
        k = self.stimulus_near(plot.getViewBox().mapSceneToView(event.scenePos()).x())
        if k is not None:
            event.accept()
            self.open_stimulus(k)

    def open_stimulus(self, k: int | None) -> None:
        """Open stimulus ``k`` against its content's reference."""
        if k is None or self.analysis is None:
            return
        clips = self.analysis.clips[k]
        if clips.reference is None:
            self.status.setText(f"{clips.name} has no reference to compare it with.")
            return
        self.open_requested.emit(clips.reference, clips.distorted)
        if self._open_pair is not None:
            self._open_pair(clips.reference, clips.distorted)


class LabAnalysisWindow(QMainWindow):
    """The analysis view in a window of its own; closing it stops its worker."""

    def __init__(self, inputs: list[str], open_pair=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setObjectName("lab_analysis")
        names = ", ".join(Path(p).name for p in inputs[:3]) + ("…" if len(inputs) > 3 else "")
        self.setWindowTitle(f"Subjective analysis — {names}")
        self.view = LabAnalysisView(inputs, open_pair, self)
        self.setCentralWidget(self.view)
        self.resize(1400, 1000)

    def shutdown(self, timeout: float = 10.0) -> None:
        self.view.shutdown(timeout)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)


def short_names(names: list[str]) -> list[str]:
    """Subject names for an axis: a prefix they all share is dropped (``observer12`` -> ``12``)."""
    if len(names) < 2:
        return list(names)
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    return [name[len(prefix):] or name for name in names]


def _score_text(result: dict, k: int, interval: str = "quality_scores_ci95") -> str:
    q = float(result["quality_scores"][k])
    if not math.isfinite(q):
        return "–"
    ci = result.get(interval)
    half = float(ci[1][k]) if ci is not None else math.nan
    return f"{q:.3f}" + (f" ± {half:.3f}" if math.isfinite(half) else "")


def _number(values, k: int) -> str:
    if values is None or k >= len(values) or not math.isfinite(float(values[k])):
        return ""
    return f"{float(values[k]):+.3f}"


def _vote_counts(a: Analysis) -> list[int]:
    if a.scores is not None:
        return [int(n) for n in np.sum(np.isfinite(a.scores), axis=(1, 2))]
    return [len(v["os"]) for v in a.dataset.dis_videos]


def _skipped_note(a: Analysis) -> str:
    if not a.skipped:
        return ""
    return " Not run yet: " + "; ".join(f"{m} ({why})" for m, why in a.skipped.items()) + "."
