"""The rate–quality chart of a ladder (File > Open Ladder…): one curve per resolution or group
over a log-rate axis in kbit/s, the convex hull highlighted, a metric chooser, hover for an
encode's name and scores; below it, the encodes whose per-frame curves are overlaid on the
inspector's plots. It only shows and asks: ``ladder_navigation`` opens and overlays encodes.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from vqinspect.app.ladder.ladder import Encode, Ladder
from vqinspect.app.ladder.view_model import (CURVE_MODES, chart_curves, default_mode, describe, hull_encodes,
                                             log_ticks, plottable, rate_text, same_file, walk_order)
from vqinspect.metrics.registry import key_info
from vqinspect.widgets.plots import PALETTE, PLAYHEAD

PICK_RADIUS = 10        # pixels from a point within which hovering or clicking means it
HULL_PEN = pg.mkPen((255, 255, 255, 75), width=9)
HULL_RING = pg.mkPen((255, 255, 255, 230), width=2)


class LogRateAxis(pg.AxisItem):
    """A bottom axis over log10(kbit/s) labelled in kbit/s at 1-2-5 steps."""

    def tickValues(self, minVal, maxVal, size):
        major, minor = log_ticks(10.0 ** minVal, 10.0 ** maxVal)
        return [(1.0, [math.log10(v) for v in major]), (0.1, [math.log10(v) for v in minor])]

    def tickStrings(self, values, scale, spacing):
        return [rate_text(10.0 ** v) if spacing >= 1.0 else "" for v in values]


class PointViewBox(pg.ViewBox):
    """A ViewBox whose left click near a point (``pick(scene_pos)``) calls ``on_click(point)``;
    elsewhere it pans and zooms as usual. (A click right on a symbol is taken by its scatter
    item first: ``LadderView`` routes those to the same ``pick``.)"""

    def __init__(self, pick, on_click):
        super().__init__(enableMenu=False)
        self._pick, self._on_click = pick, on_click

    def mouseClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            hit = self._pick(ev.scenePos())
            if hit is not None:
                ev.accept()
                self._on_click(hit)
                return
        super().mouseClickEvent(ev)


class LadderView(QWidget):
    """The chart and the overlay list of one ladder.

    ``encode_chosen(encode)``: a point was clicked (or an encode double-clicked in the list);
    ``overlay_toggled(encode, on)``: its per-frame curves should be overlaid or removed;
    ``key_changed(key)``: the metric chooser moved.
    """

    encode_chosen = Signal(object)
    overlay_toggled = Signal(object, bool)
    key_changed = Signal(str)

    def __init__(self, ladder: Ladder, parent: QWidget | None = None):
        super().__init__(parent)
        self.ladder = ladder
        self.curves: dict[str, pg.PlotDataItem] = {}     # legend name -> curve
        self.hull_curve: pg.PlotDataItem | None = None
        self.hull_marks: pg.ScatterPlotItem | None = None
        self.hover_text = ""
        self.current_path: str | None = None
        self._points: list[tuple[Encode, float, float]] = []      # (encode, log10 rate, quality)
        self.key_box = QComboBox()
        self.mode_box = QComboBox()
        self.mode_box.addItems(CURVE_MODES)
        self.plot_widget = pg.PlotWidget(viewBox=PointViewBox(self._pick, self.encode_chosen.emit),
                                         axisItems={"bottom": LogRateAxis("bottom")})
        self.plot: pg.PlotItem = self.plot_widget.getPlotItem()
        self._style_plot()
        self.hover_label = pg.TextItem("", color="#e8e8e8", fill=pg.mkBrush(0, 0, 0, 200),
                                       border=pg.mkPen("#808080"))
        self.hover_label.setZValue(100)
        self.hover_label.hide()
        self.current_mark = pg.ScatterPlotItem(symbol="+", size=22, pen=pg.mkPen(PLAYHEAD, width=2.5), brush=None)
        self.current_mark.setZValue(50)
        self.current_mark.sigClicked.connect(lambda _item, _points, ev: self._on_symbol_clicked(ev))
        self.overlays = QListWidget()
        self.overlays.setToolTip("Tick encodes to overlay their per-frame curves of the chosen key on the plots; "
                                 "double-click one to open it.")
        self._build_layout()
        self.key_box.currentTextChanged.connect(self._on_key_changed)
        self.mode_box.currentTextChanged.connect(lambda _: self.redraw())
        self.overlays.itemChanged.connect(self._on_item_changed)
        self.overlays.itemDoubleClicked.connect(lambda item: self.encode_chosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.set_ladder(ladder)

    # ---------------------------------------------------------------- construction

    def _build_layout(self) -> None:
        choosers = QHBoxLayout()
        choosers.addWidget(QLabel("Metric"))
        choosers.addWidget(self.key_box, 1)
        choosers.addWidget(QLabel("One curve per"))
        choosers.addWidget(self.mode_box, 1)
        hint = QLabel("Click a point to open that encode (+ marks the open one) · [ / ] previous / next encode "
                      "by bitrate")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #a0a0a0;")
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(choosers)
        column.addWidget(self.plot_widget, 3)
        column.addWidget(hint)
        column.addWidget(QLabel("Overlay per-frame curves on the plots:"))
        column.addWidget(self.overlays, 1)

    def _style_plot(self) -> None:
        plot = self.plot
        font = QFont()
        font.setPointSize(8)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).setTickFont(font)
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.setLabel("bottom", "bitrate (kbit/s, log scale)")
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.hideButtons()
        plot.setMenuEnabled(False)
        self.legend = plot.addLegend(offset=(-6, -6), labelTextSize="8pt", brush=pg.mkBrush(30, 30, 30, 190),
                                     pen=pg.mkPen("#606060"))

    # ---------------------------------------------------------------- content

    def set_ladder(self, ladder: Ladder) -> None:
        """Show ``ladder`` (its first key, curves per group when it has several groups)."""
        self.ladder = ladder
        for box, items, current in ((self.key_box, ladder.keys, ladder.keys[0] if ladder.keys else ""),
                                    (self.mode_box, CURVE_MODES, default_mode(ladder))):
            box.blockSignals(True)
            if box is self.key_box:
                box.clear()
                box.addItems(items)
            box.setCurrentText(current)
            box.blockSignals(False)
        self._fill_overlays()
        self.redraw()

    @property
    def key(self) -> str:
        return self.key_box.currentText()

    @property
    def mode(self) -> str:
        return self.mode_box.currentText()

    def set_key(self, key: str) -> None:
        self.key_box.setCurrentText(key)

    def redraw(self) -> None:
        """Draw the curves, the hull and the current encode's mark for the chosen key."""
        plot, key = self.plot, self.key
        plot.clear()
        self.legend.clear()
        self.curves.clear()
        self.hull_curve = self.hull_marks = None
        self._points = []
        if not key:
            plot.setTitle("This ladder has no scored encodes")
            return
        info = key_info(key)
        plot.setTitle(f"{self.ladder.name}: {key}", size="9pt")
        plot.setLabel("left", key + (f" ({info.unit})" if info.unit else ""))
        hull = hull_encodes(self.ladder, key)
        if hull:
            self.hull_curve = plot.plot([math.log10(e.bitrate_kbps) for e in hull], [e.quality(key) for e in hull],
                                        pen=HULL_PEN, name="convex hull", antialias=True)
            self.hull_marks = pg.ScatterPlotItem([math.log10(e.bitrate_kbps) for e in hull],
                                                 [e.quality(key) for e in hull], symbol="o", size=15,
                                                 pen=HULL_RING, brush=None, antialias=True)
            self.hull_marks.setZValue(20)
            self.hull_marks.sigClicked.connect(lambda _item, _points, ev: self._on_symbol_clicked(ev))
            plot.addItem(self.hull_marks)
        for i, curve in enumerate(chart_curves(self.ladder, key, self.mode)):
            rates, qualities = curve.points(key)
            colour = PALETTE[i % len(PALETTE)]
            item = plot.plot(np.log10(rates), qualities, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=8,
                             symbolBrush=colour, symbolPen=pg.mkPen("#1e1e1e"), name=curve.name, antialias=True)
            item.setZValue(10)
            item.sigPointsClicked.connect(lambda _item, _points, ev: self._on_symbol_clicked(ev))
            self.curves[curve.name] = item
        self._points = [(e, math.log10(e.bitrate_kbps), e.quality(key)) for e in plottable(self.ladder, key)]
        plot.addItem(self.current_mark)
        plot.addItem(self.hover_label, ignoreBounds=True)
        self.hover_label.hide()
        self._show_current()
        plot.vb.autoRange(padding=0.08)     # now, not at the next paint: points are where they are drawn

    def _fill_overlays(self) -> None:
        self.overlays.blockSignals(True)
        self.overlays.clear()
        for e in walk_order(self.ladder):
            item = QListWidgetItem(f"{e.label}  ·  {e.resolution}  ·  {e.bitrate_kbps:.0f} kbit/s")
            item.setData(Qt.ItemDataRole.UserRole, e)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if e.scores:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            else:
                item.setToolTip("No per-frame scores in the ladder for this encode")
            item.setFlags(flags)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.overlays.addItem(item)
        self.overlays.blockSignals(False)

    def overlay_item(self, encode: Encode) -> QListWidgetItem | None:
        for row in range(self.overlays.count()):
            item = self.overlays.item(row)
            if item.data(Qt.ItemDataRole.UserRole).path == encode.path:
                return item
        return None

    def set_overlaid(self, encode: Encode, on: bool) -> None:
        """Tick or untick ``encode`` without asking for it again."""
        item = self.overlay_item(encode)
        if item is not None:
            self.overlays.blockSignals(True)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.overlays.blockSignals(False)

    def set_current(self, path: str | None) -> None:
        """Mark the encode open in the inspector (none when ``path`` is not in the ladder)."""
        self.current_path = path
        self._show_current()
        for row in range(self.overlays.count()):
            item = self.overlays.item(row)
            font = item.font()
            font.setBold(same_file(item.data(Qt.ItemDataRole.UserRole).path, path))
            item.setFont(font)

    def _show_current(self) -> None:
        at = [(x, y) for e, x, y in self._points if same_file(e.path, self.current_path)]
        self.current_mark.setData([x for x, _ in at], [y for _, y in at])

    # ---------------------------------------------------------------- pointing

    def point_position(self, encode: Encode) -> QPointF:
        """Where ``encode``'s point is, in the plot widget's viewport coordinates."""
        x, y = next((x, y) for e, x, y in self._points if e is encode)
        return QPointF(self.plot_widget.mapFromScene(self.plot.vb.mapViewToScene(QPointF(x, y))))

    def _pick(self, scene_pos) -> Encode | None:
        """The encode whose point is nearest ``scene_pos``, within PICK_RADIUS pixels."""
        best, best_distance = None, PICK_RADIUS
        for e, x, y in self._points:
            p = self.plot.vb.mapViewToScene(QPointF(x, y))
            distance = math.hypot(p.x() - scene_pos.x(), p.y() - scene_pos.y())
            if distance <= best_distance:
                best, best_distance = e, distance
        return best

    def _on_mouse_moved(self, scene_pos) -> None:
        encode = self._pick(scene_pos)
        if encode is None:
            self.hover_label.hide()
            self.hover_text = ""
            return
        self.hover_text = describe(encode, self.ladder.keys, self.key)
        x, y = math.log10(encode.bitrate_kbps), encode.quality(self.key)
        (x_lo, x_hi), (y_lo, y_hi) = self.plot.vb.viewRange()
        self.hover_label.setAnchor((1.05 if x > (x_lo + x_hi) / 2 else -0.05, 0.0 if y > (y_lo + y_hi) / 2 else 1.0))
        self.hover_label.setText(self.hover_text)
        self.hover_label.setPos(x, y)
        self.hover_label.show()
        self.hover_label.updateTransform(force=True)    # else drawn at the view's scale, off screen

    # ---------------------------------------------------------------- signals

    def _on_symbol_clicked(self, ev) -> None:
        hit = self._pick(ev.scenePos()) if ev.button() == Qt.MouseButton.LeftButton else None
        if hit is not None:
            self.encode_chosen.emit(hit)

    def _on_key_changed(self, key: str) -> None:
        self.redraw()
        if key:
            self.key_changed.emit(key)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.overlay_toggled.emit(item.data(Qt.ItemDataRole.UserRole), item.checkState() == Qt.CheckState.Checked)
