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

from vqinspect.metrics.registry import interval_keys, plot_groups

PALETTE = ("#f2c14e", "#5fb3f0", "#f07a7a", "#7fcf8a", "#c39cf2", "#f5a25d", "#e0e0e0")
PLAYHEAD = "#ffd84a"
FAILING = (229, 57, 53, 60)     # a QC profile's failing ranges: translucent red behind the curves
LEGEND_HEADROOM = 0.6  # of the data's span, above it, where a plot's legend goes
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
    """Stacked plots of ``groups`` ([(metric name, keys)]); ``seek_requested(frame)``.

    Scores imported from other tools (``set_imports``) join the plot of their metric
    family, dashed, named after their source in the legend; a family nothing computes
    gets a plot of its own.
    """

    seek_requested = Signal(int)
    rebuilt = Signal()          # the plots were made anew (a strip below links its X axis again)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.imported_curves: dict[str, pg.PlotDataItem] = {}    # legend name -> curve
        self.legends: dict[str, pg.LegendItem] = {}
        self.headroom: dict[str, pg.PlotDataItem] = {}          # plot name -> invisible point
        self.playheads: list[pg.InfiniteLine] = []
        self.hover_labels: dict[str, pg.TextItem] = {}
        self.plot_keys: dict[str, tuple[str, ...]] = {}
        self.frame_range = (0, 1)
        self.hover_text = ""
        self._table = None
        self._groups: list[tuple[str, tuple[str, ...]]] = []
        self._imports: list[tuple[object, object]] = []         # (ImportedScores, ScoreTable)
        self._imported_in: dict[str, list[tuple[str, str, object]]] = {}   # plot -> (name, key, table)
        self._failing: dict[str, list[tuple[int, int]]] = {}               # key -> ranges [start, stop)
        self.shading: dict[str, list[pg.LinearRegionItem]] = {}            # plot name -> regions
        self.bands: dict[tuple[str, str], pg.FillBetweenItem] = {}       # (lo, hi) keys -> shaded interval
        self.ci.layout.setSpacing(2)
        self.ci.setContentsMargins(2, 2, 6, 2)
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def set_metrics(self, groups: list[tuple[str, tuple[str, ...]]], start: int, stop: int) -> None:
        """Rebuild the plots for these metric groups over reference frames start..stop-1."""
        self._groups = list(groups)
        self.frame_range = (start, stop)
        self._rebuild()

    def set_imports(self, imports) -> None:
        """Plot these ``ImportedScores`` beside the computed series (replacing earlier ones)."""
        self._imports = [(imported, imported.to_table()) for imported in imports]
        self._rebuild()
        self.update_table(self._table)

    def _layout(self) -> list[tuple[str, tuple[str, ...]]]:
        """(plot name, computed keys) of every plot, and where each imported series goes."""
        plots = list(self._groups)
        self._imported_in = {}
        for imported, table in self._imports:
            for family, keys in plot_groups(table.keys):
                if family not in dict(plots):
                    plots.append((family, ()))
                self._imported_in.setdefault(family, []).extend(
                    (f"{key} ({imported.label})", key, table) for key in keys)
        return plots

    def _rebuild(self) -> None:
        self.clear()
        for store in (self.plots, self.curves, self.imported_curves, self.legends, self.headroom,
                      self.hover_labels, self.shading, self.bands):
            store.clear()
        self.playheads.clear()
        plots = self._layout()
        self.plot_keys = dict(plots)
        start, stop = self.frame_range
        if not self._groups and self._imports:
            start = min(t.start for _, t in self._imports)
            stop = max(t.stop for _, t in self._imports)
            self.frame_range = (start, stop)
        first = None
        for row, (name, keys) in enumerate(plots):
            plot = pg.PlotItem(viewBox=SeekViewBox(self._seek))
            self.addItem(plot, row=row, col=0)
            self._style(plot, name, last=row == len(plots) - 1)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            imported = self._imported_in.get(name, [])
            if len(keys) + len(imported) > 1:
                self.legends[name] = legend = plot.addLegend(
                    offset=(-4, 1), labelTextSize="8pt", colCount=min(4, len(keys) + len(imported)),
                    brush=pg.mkBrush(30, 30, 30, 150), verSpacing=-6)
                legend.layout.setContentsMargins(2, 0, 2, 0)
            named = name in self.legends
            if named:
                self.headroom[name] = plot.plot([], [], pen=None, symbol="o", symbolSize=1,   # see _lift_for_legend
                                                symbolPen=None, symbolBrush=(0, 0, 0, 0))
            band = interval_keys(keys)
            lines = [k for k in keys if k not in (band or ())]
            for i, key in enumerate(lines):
                self.curves[key] = self._curve(plot, key if named else None, PALETTE[i % len(PALETTE)])
            if band is not None:
                self._band(plot, band, PALETTE[0], self.legends.get(name))
            for j, (label, key, _) in enumerate(imported):
                shared = key in keys and all(k != key for _, k, _ in imported[:j])   # later ones: their own colour
                colour = PALETTE[(keys.index(key) if shared else len(keys) + j) % len(PALETTE)]
                self.imported_curves[label] = self._curve(plot, label, colour, Qt.PenStyle.DashLine)
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
        self._draw_imports()
        self._draw_shading()
        self._lift_for_legend()
        self.rebuilt.emit()

    def set_shading(self, failing: dict[str, list[tuple[int, int]]]) -> None:
        """Shade these frame ranges ([start, stop) per score key) on the plot of their key, half
        a frame beyond the first and last frame so that each frame's point sits inside."""
        self._failing = dict(failing)
        self._draw_shading()

    def _draw_shading(self) -> None:
        for name, regions in self.shading.items():
            for region in regions:
                self.plots[name].removeItem(region)
        self.shading = {}
        for key, ranges in self._failing.items():
            name = next((n for n, keys in self.plot_keys.items() if key in keys and n in self.plots), None)
            if name is None:
                continue
            for a, b in ranges:
                region = pg.LinearRegionItem((a - 0.5, b - 0.5), movable=False, brush=pg.mkBrush(*FAILING),
                                             pen=pg.mkPen(None))
                region.setZValue(-10)
                region.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
                self.plots[name].addItem(region, ignoreBounds=True)
                self.shading.setdefault(name, []).append(region)

    def _band(self, plot: pg.PlotItem, band: tuple[str, str], colour: str, legend) -> None:
        """An interval (a bootstrap model's 95 % CI) as a shaded band around its group's curve:
        its two edges are invisible curves filled between."""
        edges = [plot.plot([], [], pen=pg.mkPen(0, 0, 0, 0)) for _ in band]   # invisible, but with a path
        for key, edge in zip(band, edges):
            self.curves[key] = edge
        shade = pg.mkColor(colour)
        shade.setAlpha(60)
        fill = pg.FillBetweenItem(*edges, brush=pg.mkBrush(shade))
        fill.setZValue(-5)
        plot.addItem(fill)
        self.bands[band] = fill
        if legend is not None:        # a wide translucent stroke stands for the band in the legend
            legend.addItem(pg.PlotDataItem([], [], pen=pg.mkPen(shade, width=8)), "95 % interval")

    def _curve(self, plot: pg.PlotItem, name: str | None, colour: str,
               style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> pg.PlotDataItem:
        curve = plot.plot([], [], pen=pg.mkPen(colour, width=1, style=style), name=name)
        curve.setClipToView(True)
        curve.setDownsampling(auto=True, method="peak")
        return curve

    def _draw_imports(self) -> None:
        for entries in self._imported_in.values():
            for label, key, table in entries:
                self.imported_curves[label].setData(table.frames(), np.array(table.column(key)),
                                                    connect="finite")

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
        self._lift_for_legend()

    def _lift_for_legend(self) -> None:
        """Raise the top of each legend plot's automatic Y range by LEGEND_HEADROOM of the
        data's span with an invisible point, so that the legend sits above the curves. Flat
        curves (identical clips: PSNR at its cap) get a span of 1 % of their value, centred."""
        for name, point in self.headroom.items():
            curves = [self.curves[key] for key in self.plot_keys.get(name, ())]
            curves += [self.imported_curves[label] for label, _, _ in self._imported_in.get(name, [])]
            ys = [curve.getData()[1] for curve in curves]
            values = np.concatenate([y for y in ys if y is not None] or [np.empty(0)])
            values = values[np.isfinite(values)]
            if not len(values):
                point.setData([], [])
                continue
            lo, hi = float(values.min()), float(values.max())
            span, below = hi - lo, lo
            if span <= 1e-9 * max(abs(hi), 1.0):
                span = 0.01 * max(abs(hi), 1.0)
                below = lo - span / 2
            x = self.frame_range[0]
            point.setData([x, x], [below, hi + LEGEND_HEADROOM * span])

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
        series = [(k, k, self._table) for k in self.plot_keys.get(name, ()) if self._table is not None]
        series += self._imported_in.get(name, [])
        values, covered = [], False
        for label, key, table in series:
            if table.start <= frame < table.stop and key in table.keys:
                covered = True
                value = table.column(key)[frame - table.start]
                if np.isfinite(value):
                    values.append(f"{label} {value:.4g}")
        if not covered:
            return f"frame {frame}"
        return f"frame {frame}  " + ("  ".join(values) if values else "not scored yet")
