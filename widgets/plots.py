"""Per-frame score plots: one pyqtgraph plot per metric, X axes linked, a playhead in each.

Click or left-drag anywhere on a plot seeks; the wheel zooms the frame axis (all plots
follow); hovering shows the frame and its values. Curves are refreshed from the score
table as scoring fills it (NaN = not scored yet, drawn as a gap).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont

PALETTE = ("#f2c14e", "#5fb3f0", "#f07a7a", "#7fcf8a", "#c39cf2", "#f5a25d", "#e0e0e0")
PLAYHEAD = "#ffd84a"
# Antialiasing and pyqtgraph's grid each cost 15-30 ms per repaint of three plots on the
# raster engine, and the plots repaint at every playhead move: both stay off.
pg.setConfigOptions(antialias=False, background="#1e1e1e", foreground="#d0d0d0")


class SeekViewBox(pg.ViewBox):
    """A ViewBox where the left button seeks instead of panning; the wheel zooms X only."""

    def __init__(self, on_seek):
        super().__init__(enableMenu=False)
        self._on_seek = on_seek
        self.setMouseEnabled(x=True, y=False)

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_seek(self.mapSceneToView(ev.scenePos()).x())
        else:
            super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._on_seek(self.mapSceneToView(ev.scenePos()).x())
        else:
            super().mouseDragEvent(ev, axis)


class ScorePlots(pg.GraphicsLayoutWidget):
    """Stacked plots of ``groups`` ([(metric name, keys)]); ``seek_requested(frame)``."""

    seek_requested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.playheads: list[pg.InfiniteLine] = []
        self.hover_labels: dict[str, pg.TextItem] = {}
        self.plot_keys: dict[str, tuple[str, ...]] = {}
        self.frame_range = (0, 1)
        self.hover_text = ""
        self._table = None
        self.ci.layout.setSpacing(2)
        self.ci.setContentsMargins(2, 2, 6, 2)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def set_metrics(self, groups: list[tuple[str, tuple[str, ...]]], start: int, stop: int) -> None:
        """Rebuild the plots for these metric groups over reference frames start..stop-1."""
        self.clear()
        self.plots.clear()
        self.curves.clear()
        self.playheads.clear()
        self.hover_labels.clear()
        self.plot_keys = dict(groups)
        self.frame_range = (start, stop)
        first = None
        for row, (name, keys) in enumerate(groups):
            plot = pg.PlotItem(viewBox=SeekViewBox(self._seek))
            self.addItem(plot, row=row, col=0)
            self._style(plot, name, last=row == len(groups) - 1)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            legend = None
            if len(keys) > 1:
                legend = plot.addLegend(offset=(-4, 1), labelTextSize="8pt", colCount=len(keys),
                                        brush=pg.mkBrush(30, 30, 30, 200))
            for i, key in enumerate(keys):
                pen = pg.mkPen(PALETTE[i % len(PALETTE)], width=1)
                curve = plot.plot([], [], pen=pen, name=key if legend is not None else None)
                curve.setClipToView(True)
                curve.setDownsampling(auto=True, method="peak")
                self.curves[key] = curve
            line = pg.InfiniteLine(start, angle=90, movable=True, pen=pg.mkPen(PLAYHEAD, width=1.5),
                                   hoverPen=pg.mkPen(PLAYHEAD, width=3))
            line.sigDragged.connect(lambda l: self._seek(l.value()))
            plot.addItem(line, ignoreBounds=True)
            self.playheads.append(line)
            label = pg.TextItem("", color="#e8e8e8", anchor=(0, 0), fill=pg.mkBrush(0, 0, 0, 170))
            label.setParentItem(plot.vb)
            label.setPos(4, 2)
            label.hide()
            self.hover_labels[name] = label
            self.plots[name] = plot
        if first is not None:
            first.setXRange(start, max(start + 1, stop - 1), padding=0.01)
            for plot in self.plots.values():
                plot.vb.setLimits(xMin=start - 1, xMax=stop)

    def _style(self, plot: pg.PlotItem, name: str, last: bool) -> None:
        plot.setLabel("left", name)
        font = QFont()
        font.setPointSize(8)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTickFont(font)
        plot.getAxis("left").setWidth(58)
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.getAxis("bottom").setStyle(showValues=last)
        if last:
            plot.setLabel("bottom", "frame")
        plot.hideButtons()
        plot.setMenuEnabled(False)

    def update_table(self, table) -> None:
        """Redraw every curve from ``table`` (a ScoreTable being filled)."""
        self._table = table
        if table is None:
            for curve in self.curves.values():
                curve.setData([], [])
            return
        frames = table.frames()
        for key, curve in self.curves.items():
            if key in table.keys:
                curve.setData(frames, np.array(table.column(key)), connect="finite")

    def set_playhead(self, frame: int) -> None:
        for line in self.playheads:
            if line.value() != frame:
                line.blockSignals(True)
                line.setValue(frame)
                line.blockSignals(False)

    def _seek(self, x: float) -> None:
        if math.isfinite(x):
            start, stop = self.frame_range
            self.seek_requested.emit(int(min(max(round(x), start), stop - 1)))

    def _on_mouse_moved(self, pos) -> None:
        for name, plot in self.plots.items():
            label = self.hover_labels[name]
            if not plot.vb.sceneBoundingRect().contains(pos):
                label.hide()
                continue
            frame = int(round(plot.vb.mapSceneToView(pos).x()))
            label.setText(self._describe(frame, name))
            label.show()
            self.hover_text = label.toPlainText()

    def _describe(self, frame: int, name: str) -> str:
        t = self._table
        keys = self.plot_keys.get(name, ())
        if t is None or not t.start <= frame < t.stop:
            return f"frame {frame}"
        values = [f"{k} {t.column(k)[frame - t.start]:.4g}" for k in keys if k in t.keys
                  and np.isfinite(t.column(k)[frame - t.start])]
        return f"frame {frame}  " + ("  ".join(values) if values else "not scored yet")
