"""File > Open Model Lab…: where a model and people disagree.

For a feature table (``vqinspect lab features``) and one or two models: a scatter of predicted
score against MOS per model, side by side (both intervals as error bars, a colour per content,
vmaf's fitted logistic curve), the residuals against MOS, the statistics table, and the selected
stimulus's per-frame model score with the model's features. Clicking a stimulus opens its pair in
the inspector at the frame where the model's per-frame score is furthest from its clip mean.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QMainWindow, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from vqinspect.app.lab.model_lab.scatter_svg import content_colours
from vqinspect.app.lab.model_lab.validation import STATS

TABLE_FILTER = "Feature tables (*.csv *.parquet);;All files (*)"
MODEL_FILTER = "libvmaf models (*.json);;All files (*)"


def install(window, menu, add) -> None:
    add(menu, "open_model_lab", "Open Mo&del Lab…", lambda: open_model_lab(window))


def ask_inputs(window) -> tuple[str, list[str]] | None:
    """(feature table, one or two model files), or None when cancelled."""
    table, _ = QFileDialog.getOpenFileName(window, "Open a feature table", "", TABLE_FILTER)
    if not table:
        return None
    models, _ = QFileDialog.getOpenFileNames(window, "Open one or two models", "", MODEL_FILTER)
    return (table, models[:2]) if models else None


def open_model_lab(window, inputs: tuple[str, list[str]] | None = None) -> "ModelLabWindow | None":
    from vqinspect.app.shared.errors import InputError

    inputs = inputs or ask_inputs(window)
    if not inputs:
        return None

    def open_pair(reference: str, distorted: str, frame: int) -> None:
        window.open_paths(reference, distorted, then=lambda: window.session.seek(frame))

    try:
        lab = ModelLabWindow(inputs[0], inputs[1], open_pair, window)
    except (InputError, ValueError) as exc:
        window.show_message(f"Model lab: {exc}")
        return None
    lab.show()
    if hasattr(window, "lab_windows"):
        window.lab_windows.append(lab)
    return lab


def load_evaluations(table_path: str, models: list[str], resamples: int = 1000) -> tuple:
    """The table and each model's in-sample predictions on it."""
    from vqinspect.app.lab.model_lab.analysis import predictions
    from vqinspect.app.lab.model_lab.features import read_table
    from vqinspect.metrics.vmaf.model import VmafModelError, load_model
    from vqinspect.app.shared.errors import InputError

    table = read_table(table_path)
    out = []
    for model in models:
        try:
            out.append(predictions(table, load_model(model), "in-sample", resamples))
        except VmafModelError as exc:
            raise InputError(None, str(exc)) from None
    return table, out


class ScatterPanel(QWidget):
    """One model: predicted against MOS with both intervals, and the residuals."""

    def __init__(self, evaluation, on_pick, parent: QWidget | None = None):
        super().__init__(parent)
        self.evaluation = ev = evaluation
        self.on_pick = on_pick
        layout = QVBoxLayout(self)
        self.scatter_plot = pg.PlotWidget(title=f"{ev.model}: predicted vs MOS")
        self.scatter_plot.setLabel("bottom", "MOS")
        self.scatter_plot.setLabel("left", f"predicted ({ev.model})")
        self.residual_plot = pg.PlotWidget(title="residual: MOS − mapped prediction")
        self.residual_plot.setLabel("bottom", "MOS")
        self.scatter_plot.addLegend(offset=(5, 5))
        layout.addWidget(self.scatter_plot, 3)
        layout.addWidget(self.residual_plot, 2)
        colours = content_colours(ev.contents)
        brushes = [pg.mkBrush(colours[c]) for c in ev.contents]
        x_ci = np.nan_to_num(ev.label_ci)
        self.x_errors = pg.ErrorBarItem(x=ev.labels, y=ev.scores, left=x_ci, right=x_ci, pen=pg.mkPen("#999"))
        self.scatter_plot.addItem(self.x_errors)
        self.y_errors = None
        if np.isfinite(ev.lo).any():
            self.y_errors = pg.ErrorBarItem(x=ev.labels, y=ev.scores, bottom=np.nan_to_num(ev.scores - ev.lo),
                                            top=np.nan_to_num(ev.hi - ev.scores), pen=pg.mkPen("#999"))
            self.scatter_plot.addItem(self.y_errors)
        self.points = pg.ScatterPlotItem(x=ev.labels, y=ev.scores, brush=brushes, size=9, data=list(range(len(ev.names))))
        self.points.sigClicked.connect(self._on_clicked)
        self.scatter_plot.addItem(self.points)
        for name, colour in colours.items():      # legend entries, one per content
            self.scatter_plot.plot([], [], pen=None, symbol="o", symbolBrush=colour, name=name)
        self.curve = self.scatter_plot.plot(*self.logistic_curve(), pen=pg.mkPen("#444", style=Qt.PenStyle.DashLine))
        residual = ev.labels - ev.result["mapped"]
        self.residuals = pg.ScatterPlotItem(x=ev.labels, y=residual, brush=brushes, size=8, data=list(range(len(ev.names))))
        self.residuals.sigClicked.connect(self._on_clicked)
        self.residual_plot.addItem(self.residuals)
        self.residual_plot.addLine(y=0, pen=pg.mkPen("#888"))

    def logistic_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(MOS, predicted score the fitted mapping sends to that MOS) over the labels' range."""
        lg = self.evaluation.result["logistic"]
        mos = np.linspace(lg.lo + 0.05, lg.hi - 0.05, 200)
        yn = (mos - lg.lo) / (lg.hi - lg.lo)
        return mos, lg.a + lg.b * np.log(yn / (1.0 - yn))

    def _on_clicked(self, _item, points, *_) -> None:
        if len(points):
            self.on_pick(self.evaluation, int(points[0].data()))


class ModelLabView(QWidget):
    """Scatter panels side by side, the statistics table and the selected stimulus's frames."""

    def __init__(self, table_path: str, models: list[str], open_pair=None, parent: QWidget | None = None,
                 resamples: int = 1000):
        super().__init__(parent)
        self.table, self.evaluations = load_evaluations(table_path, models, resamples)
        self._open_pair = open_pair
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        layout.addWidget(split)
        panels = QWidget()
        row = QHBoxLayout(panels)
        self.panels = [ScatterPanel(ev, self.pick) for ev in self.evaluations]
        for panel in self.panels:
            row.addWidget(panel)
        split.addWidget(panels)
        self.stats = self._stats_table()
        split.addWidget(self.stats)
        self.frames_plot = pg.PlotWidget(title="select a stimulus")
        self.frames_plot.setLabel("bottom", "frame")
        self.frames_plot.addLegend(offset=(5, 5))
        split.addWidget(self.frames_plot)
        self.status = QLabel("Click a stimulus to open its pair in the inspector at its most deviant frame.")
        layout.addWidget(self.status)
        self.selected: tuple[str, int] | None = None

    def _stats_table(self) -> QTableWidget:
        table = QTableWidget(len(self.evaluations), 2 + len(STATS))
        table.setHorizontalHeaderLabels(["model", "outlier ratio (P.1401)", *STATS])
        for r, ev in enumerate(self.evaluations):
            res = ev.result
            ratio = res["outlier_ratio"]
            cells = [ev.model, "n/a" if math.isnan(ratio) else f"{ratio:.3f}"]
            cells += [f"{res['stats'][k]:.3f} [{res['ci95'][k][0]:.3f}, {res['ci95'][k][1]:.3f}]" for k in STATS]
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        return table

    def pick(self, evaluation, k: int) -> None:
        """Show stimulus ``k``'s frames for ``evaluation``'s model, and open its pair."""
        name = evaluation.names[k]
        frame, score = evaluation.worst_frame(name)
        self.selected = (name, frame)
        self._plot_frames(evaluation, name, frame)
        row = self.table.row(name)
        self.status.setText(f"{name}: MOS {evaluation.labels[k]:.2f}, predicted {evaluation.scores[k]:.2f}; "
                            f"frame {frame} strays most from the clip mean ({score:.2f})")
        if self._open_pair is not None:
            self._open_pair(row["reference"], row["distorted"], frame)

    def _plot_frames(self, evaluation, name: str, frame: int) -> None:
        """The model's per-frame score and its features (rescaled to the score's range)."""
        plot = self.frames_plot
        plot.clear()
        plot.setTitle(f"{name} — {evaluation.model} per frame (features rescaled to the score's range)")
        frames = evaluation.frame_numbers[name]
        scores = evaluation.frame_scores[name]
        plot.plot(frames, scores, pen=pg.mkPen("k", width=2), symbol="o", name=evaluation.model)
        lo, hi = float(np.min(scores)), float(np.max(scores))
        for i, key in enumerate(evaluation.features):
            values = self.table.frames[name][key]
            span = float(np.ptp(values)) or 1.0
            scaled = lo + (values - float(np.min(values))) / span * ((hi - lo) or 1.0)
            plot.plot(frames, scaled, pen=pg.mkPen(pg.intColor(i, len(evaluation.features))), name=key)
        plot.addLine(x=frame, pen=pg.mkPen("r", style=Qt.PenStyle.DashLine))


class ModelLabWindow(QMainWindow):
    def __init__(self, table_path: str, models: list[str], open_pair=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setObjectName("model_lab")
        self.setWindowTitle(f"Model lab — {Path(table_path).name}: {', '.join(Path(m).name for m in models)}")
        self.view = ModelLabView(table_path, models, open_pair, self)
        self.setCentralWidget(self.view)
        self.resize(1400, 1000)
