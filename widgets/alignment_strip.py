"""The alignment strip under the score plots: where frames were dropped, repeated or inserted
and where the offset changes, at their reference frames, on the plots' frame axis.

Dropped reference frames are red bars over the frames missing (hatched when the distorted clip
froze instead), a repeated frame an orange bar on the reference frame repeated, inserted
frames a violet mark after the reference frame they follow, an offset change a blue line
with the new offset, and stretches whose pairing is a guess (a still picture) a grey band.
Clicking seeks, the wheel zooms, hovering names the events, as on the plots.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from vqinspect.widgets.plots import PLAYHEAD, SeekViewBox

COLOURS = {"dropped": "#e5534b", "frozen": "#e5534b", "repeated": "#f0a13a", "inserted": "#b07cf0",
           "offset_change": "#5fb3f0"}
LEGEND = (("dropped", "s"), ("frozen", "s"), ("repeated", "s"), ("inserted", "t1"), ("offset_change", "|"),
          ("uncertain", "s"))
UNCERTAIN = (160, 160, 160, 60)
HEIGHT = 52
AXIS_WIDTH = 58            # the score plots' left axis, so that the frame axes line up


class AlignmentStrip(pg.PlotWidget):
    """The events of an ``alignment.Alignment`` along the reference frames; ``markers`` maps
    each kind (dropped, repeated, inserted, offset_change, uncertain) to the frames marked."""

    seek_requested = Signal(int)

    def __init__(self, plots=None, parent=None):
        super().__init__(parent, viewBox=SeekViewBox(self._seek))
        self.plot_item = self.getPlotItem()
        self.markers: dict[str, list[int]] = {}
        self.hover_text = ""
        self.frame_range = (0, 1)
        self._alignment = None
        self._items: list = []
        self._plots = plots
        self.setFixedHeight(HEIGHT)
        self._style()
        self.playhead = pg.InfiniteLine(0, angle=90, pen=pg.mkPen(PLAYHEAD, width=1.5))
        self.plot_item.addItem(self.playhead, ignoreBounds=True)
        self.hover_label = pg.TextItem("", color="#e8e8e8", anchor=(0, 0.5), fill=pg.mkBrush(0, 0, 0, 190))
        self.hover_label.setParentItem(self.plot_item.vb)
        self.hover_label.setPos(4, HEIGHT / 2 - 8)
        self.hover_label.hide()
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        if plots is not None:
            plots.rebuilt.connect(self._link)
            self._link()

    def _style(self) -> None:
        p = self.plot_item
        p.hideButtons()
        p.setMenuEnabled(False)
        p.setMouseEnabled(x=True, y=False)
        p.setYRange(0, 1, padding=0)
        p.getAxis("bottom").hide()
        left = p.getAxis("left")
        left.setWidth(AXIS_WIDTH)
        left.setStyle(showValues=False, tickLength=0)
        font = QFont()
        font.setPointSize(8)
        left.setLabel("align")
        left.label.setFont(font)
        p.layout.setContentsMargins(2, 0, 6, 2)
        legend = p.addLegend(offset=(-4, 1), labelTextSize="7pt", colCount=len(LEGEND), verSpacing=-8,
                             brush=pg.mkBrush(30, 30, 30, 170))
        legend.layout.setContentsMargins(2, 0, 2, 0)
        for kind, symbol in LEGEND:
            sample = pg.ScatterPlotItem([], [], symbol=symbol, size=9, brush=_brush(kind),
                                        pen=pg.mkPen(COLOURS[kind]) if symbol == "|" else None)
            legend.addItem(sample, kind.replace("_", " "))

    def _link(self) -> None:
        """Follow the first score plot's frame axis (the plots are rebuilt for each pair)."""
        first = next(iter(self._plots.plots.values()), None) if self._plots is not None else None
        self.plot_item.setXLink(first)
        if first is None:
            start, stop = self.frame_range
            self.plot_item.setXRange(start, max(start + 1, stop - 1), padding=0.01)

    def set_alignment(self, alignment, start: int, stop: int) -> None:
        """Mark ``alignment``'s events (None: clear) over reference frames start..stop-1."""
        for item in self._items:
            self.plot_item.removeItem(item)
        self._items = []
        self.markers = {}
        self._alignment = alignment
        self.frame_range = (start, stop)
        if self._plots is None or not self._plots.plots:
            self._link()
        if alignment is None:
            return
        bars: dict[str, list[tuple[float, float]]] = {}
        for ev in alignment.events:
            if ev.type == "dropped":
                kind = "frozen" if ev.frozen else "dropped"
                bars.setdefault(kind, []).append((ev.ref_frame - 0.5, ev.ref_frame + ev.count - 0.5))
                self.markers.setdefault("dropped", []).extend(range(ev.ref_frame, ev.ref_frame + ev.count))
            elif ev.type == "repeated":
                bars.setdefault("repeated", []).append((ev.ref_frame - 0.4, ev.ref_frame + 0.4))
                self.markers.setdefault("repeated", []).append(ev.ref_frame)
            elif ev.type == "inserted":
                self._add(pg.ScatterPlotItem([ev.ref_frame + 0.5], [0.32], symbol="t1", size=11,
                                             brush=_brush("inserted"), pen=None))
                self.markers.setdefault("inserted", []).append(ev.ref_frame)
            else:
                self._offset_change(ev)
        for a, b in alignment.uncertain_spans():
            region = pg.LinearRegionItem((a - 0.5, b + 0.5), movable=False, brush=_brush("uncertain"),
                                         pen=pg.mkPen(None))
            region.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            region.setZValue(-10)
            self._add(region)
            self.markers.setdefault("uncertain", []).extend(range(a, b + 1))
        for kind, spans in bars.items():
            x0 = np.array([s[0] for s in spans])
            width = np.array([s[1] - s[0] for s in spans])
            self._add(pg.BarGraphItem(x0=x0, width=width, y0=0.05, height=0.55, brush=_brush(kind),
                                      pen=pg.mkPen(COLOURS[kind]) if kind == "frozen" else pg.mkPen(None)))

    def _offset_change(self, ev) -> None:
        x = ev.ref_frame - 0.5
        self._add(pg.InfiniteLine(x, angle=90, pen=pg.mkPen(COLOURS["offset_change"], width=1.5,
                                                            style=Qt.PenStyle.DashLine)))
        label = pg.TextItem(f"{ev.offset:+d}", color=COLOURS["offset_change"], anchor=(0, 0))
        label.setPos(x, 0.62)
        self._add(label)
        self.markers.setdefault("offset_change", []).append(ev.ref_frame)

    def _add(self, item) -> None:
        self.plot_item.addItem(item, ignoreBounds=True)
        self._items.append(item)

    def set_playhead(self, frame: int) -> None:
        self.playhead.setValue(frame)

    def describe(self, frame: int) -> str:
        """The events at reference ``frame``, one line, for the hover label."""
        if self._alignment is None:
            return f"frame {frame}"
        found = []
        for ev in self._alignment.events:
            last = ev.ref_frame + (ev.count - 1 if ev.type == "dropped" else 0)
            if ev.ref_frame <= frame <= last:
                found.append(ev.describe())
        if any(a <= frame <= b for a, b in self._alignment.uncertain_spans()):
            found.append("pairing uncertain here (the picture hardly changes)")
        return f"frame {frame}  " + ("; ".join(found) if found else "paired as expected")

    def _seek(self, x: float) -> None:
        if math.isfinite(x):
            self.seek_requested.emit(int(round(x)))

    def _on_mouse_moved(self, pos) -> None:
        vb = self.plot_item.vb
        if not vb.sceneBoundingRect().contains(pos):
            self.hover_label.hide()
            return
        frame = int(round(vb.mapSceneToView(pos).x()))
        self.hover_text = self.describe(frame)
        self.hover_label.setText(self.hover_text)
        self.hover_label.show()


def _brush(kind: str) -> QBrush:
    """Solid, or hatched for frames a frozen picture stands in for."""
    if kind == "uncertain":
        return QBrush(QColor(*UNCERTAIN))
    style = Qt.BrushStyle.BDiagPattern if kind == "frozen" else Qt.BrushStyle.SolidPattern
    return QBrush(QColor(COLOURS[kind]), style)
