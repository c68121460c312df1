"""The Scopes dock: waveform, RGB parade, vectorscope and histograms of the shown frame.

The panel takes the planes of each frame the window shows (``show_frame``), and while it is
visible asks the ``ScopeService`` (``vqinspect.app.inspector.scope_service``) for the chosen
scope, latest request first; figures arrive through a queued signal and are drawn with
pyqtgraph: the accumulation picture, code-value axes, legal-range lines, colour-bar targets.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from vqinspect.app.display.scope_figure import KINDS, LAYOUTS, Panel, ScopeFigure
from vqinspect.app.display.screen import pair_color_specs
from vqinspect.app.inspector.frame_service import FrameImages, PriorityGate
from vqinspect.app.inspector.scope_service import ScopeRequest, ScopeResult, ScopeService

KIND_NAMES = {"waveform": "Waveform (luma)", "parade": "RGB parade", "vectorscope": "Vectorscope",
              "histogram": "Histogram (luma, RGB)"}
LAYOUT_NAMES = {"side-by-side": "Side by side", "overlay": "Overlaid"}
LEGAL_COLOUR = "#ffc83c"
GRATICULE_COLOUR = (110, 110, 110)
TARGET_COLOUR = "#e8e8e8"
SKIN_COLOUR = "#f0a882"
LINE_LABEL_FILL = (20, 20, 20, 190)


class ScopeBridge(QObject):
    """The ScopeService with its results delivered as a signal on the UI thread."""

    ready = Signal(object)      # ScopeResult

    def __init__(self, gate: PriorityGate | None, parent: QObject | None = None):
        super().__init__(parent)
        self.service = ScopeService(self.ready.emit, gate)

    def submit(self, request: ScopeRequest) -> ScopeRequest:
        return self.service.submit(request)

    def close(self, timeout: float | None = 10.0) -> bool:
        return self.service.close(timeout)


class ScopesPanel(QWidget):
    """Scope and layout choosers above the drawing; ``scope_shown(frame)`` after each figure."""

    scope_shown = Signal(int)

    def __init__(self, gate: PriorityGate | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind_box = QComboBox()
        for kind in KINDS:
            self.kind_box.addItem(KIND_NAMES[kind], kind)
        self.layout_box = QComboBox()
        for layout in LAYOUTS:
            self.layout_box.addItem(LAYOUT_NAMES[layout], layout)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setMinimumSize(320, 240)
        bar = QHBoxLayout()
        bar.addWidget(self.kind_box)
        bar.addWidget(self.layout_box)
        bar.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        column.addLayout(bar)
        column.addWidget(self.canvas, 1)
        column.addWidget(self.status)
        self.bridge = ScopeBridge(gate, self)
        self.bridge.ready.connect(self._on_ready)
        self.kind_box.currentIndexChanged.connect(lambda _: self.refresh())
        self.layout_box.currentIndexChanged.connect(lambda _: self.refresh())
        self.images: FrameImages | None = None
        self.figure: ScopeFigure | None = None
        self.shown: ScopeRequest | None = None      # the request of the figure on screen
        self.error = ""                              # why the last request has no figure
        self.plots: list[pg.PlotItem] = []
        self._active = False
        self._shown_id = 0

    @property
    def kind(self) -> str:
        return self.kind_box.currentData()

    @property
    def layout_name(self) -> str:
        return self.layout_box.currentData()

    def set_kind(self, kind: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown scope {kind!r} (known: {', '.join(KINDS)})")
        self.kind_box.setCurrentIndex(KINDS.index(kind))

    def set_layout_name(self, layout: str) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown scope layout {layout!r} (known: {', '.join(LAYOUTS)})")
        self.layout_box.setCurrentIndex(LAYOUTS.index(layout))

    def set_active(self, active: bool) -> None:
        """Only a visible dock computes scopes; becoming visible catches up with the frame."""
        self._active = active
        if active:
            self.refresh()

    def show_frame(self, images: FrameImages) -> None:
        self.images = images
        self.refresh()

    def clear(self) -> None:
        self.images, self.figure, self.shown, self.error = None, None, None, ""
        self.canvas.clear()
        self.plots = []
        self.status.setText("")

    def refresh(self) -> None:
        """Ask for the chosen scope of the last frame (if the dock is visible)."""
        images = self.images
        if not self._active or images is None or images.error or not images.ref_planes:
            return
        pair = images.request.pair
        ref_spec, dist_spec = pair_color_specs(pair)
        self.bridge.submit(ScopeRequest(self.kind, self.layout_name, images.request.frame, images.ref_planes,
                                        images.dist_planes, ref_spec, dist_spec, pair))

    def close_service(self, timeout: float | None = 10.0) -> bool:
        return self.bridge.close(timeout)

    def _on_ready(self, result: ScopeResult) -> None:
        request = result.request
        current = self.images.request.pair if self.images is not None else None
        if (request.id < self._shown_id or request.pair is not current
                or (request.kind, request.layout) != (self.kind, self.layout_name)):
            return
        self._shown_id = request.id
        self.error = result.error
        if result.error:
            self.status.setText(result.error)
            return
        self.shown = request
        self.draw(result.figure)
        self.status.setText(f"frame {request.frame}" + (f" · {result.figure.notes}" if result.figure.notes else ""))
        self.scope_shown.emit(request.frame)

    # ---------------------------------------------------------------- drawing

    def draw(self, figure: ScopeFigure) -> None:
        """Columns side by side; square panels (vectorscopes) one above the other when the
        drawing area is taller than wide, so that each gets the width."""
        self.figure = figure
        self.canvas.clear()
        self.plots = []
        square = all(p.square for _, panels in figure.columns for p in panels)
        stacked = square and self.canvas.height() > self.canvas.width()
        rows = max(len(panels) for _, panels in figure.columns)
        for c, (header, panels) in enumerate(figure.columns):
            text = header if c or not figure.legend else header + "<br>" + _legend(figure.legend)
            top, col = ((rows + 1) * c, 0) if stacked else (0, c)
            self.canvas.addLabel(text, row=top, col=col, size="9pt")
            for r, panel in enumerate(panels):
                plot = self.canvas.addPlot(row=top + r + 1, col=col)
                _draw_panel(plot, panel, compact=rows > 1)
                self.plots.append(plot)


def _legend(entries) -> str:
    return "&nbsp;&nbsp;".join(f"<span style='color:rgb{colour}'>&#9632; {name}</span>"
                               for name, colour in entries)


def _draw_panel(plot: pg.PlotItem, panel: Panel, compact: bool) -> None:
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(False, False)
    plot.hideButtons()
    plot.setTitle(panel.title, size="9pt")
    image = pg.ImageItem(panel.image, axisOrder="row-major", levels=(0, 255))
    (x0, x1), (y0, y1) = panel.x_range, panel.y_range
    image.setRect(QRectF(x0, y0, x1 - x0, y1 - y0))
    plot.addItem(image)
    for name, ticks in (("bottom", panel.x_ticks), ("left", panel.y_ticks)):
        axis = plot.getAxis(name)
        axis.enableAutoSIPrefix(False)
        axis.setTicks([list(ticks)] if ticks else None)
    plot.setLabel("bottom", panel.x_label if not compact else "")
    plot.setLabel("left", panel.y_label)
    for guide in panel.guides:
        plot.addItem(_guide_line(guide) if guide.span is None else _guide_segment(guide))
    for target in panel.targets:
        _add_target(plot, target, panel.target_half)
    if panel.skin_line is not None:
        cb0, cr0, cb1, cr1 = panel.skin_line
        plot.addItem(pg.PlotCurveItem([cb0, cb1], [cr0, cr1], pen=pg.mkPen(SKIN_COLOUR, width=1,
                                                                             style=Qt.PenStyle.DashLine)))
        label = pg.TextItem("skin", color=SKIN_COLOUR, anchor=(1, 1))
        label.setPos(cb1, cr1)
        plot.addItem(label)
    plot.setAspectLocked(panel.square)
    pad = 0.03
    plot.setXRange(x0, x1, padding=pad if panel.square else 0)
    plot.setYRange(y0, y1, padding=pad)


def _guide_pen(guide) -> QPen:
    if guide.legal:
        return pg.mkPen(LEGAL_COLOUR, width=1, style=Qt.PenStyle.DashLine)
    return pg.mkPen(GRATICULE_COLOUR, width=1, style=Qt.PenStyle.DotLine)


def _guide_line(guide) -> pg.InfiniteLine:
    """A line across the plot; its label inside the plot, right-aligned on horizontal lines,
    beside vertical ones (on the side with room)."""
    options = {"color": LEGAL_COLOUR, "fill": pg.mkBrush(*LINE_LABEL_FILL)}
    if guide.axis == "y":
        options.update(position=0.98, anchors=[(1, 0.5), (1, 0.5)])
    else:
        options.update(position=0.9)
    return pg.InfiniteLine(pos=guide.value, angle=0 if guide.axis == "y" else 90, pen=_guide_pen(guide),
                           label=guide.label or None, labelOpts=options if guide.label else None)


def _guide_segment(guide) -> pg.PlotCurveItem:
    ends = [guide.value, guide.value]
    x, y = (ends, list(guide.span)) if guide.axis == "x" else (list(guide.span), ends)
    return pg.PlotCurveItem(x, y, pen=_guide_pen(guide))


def _add_target(plot: pg.PlotItem, target, half: float) -> None:
    x, y = target.cb, target.cr
    box = pg.PlotCurveItem([x - half, x + half, x + half, x - half, x - half],
                           [y - half, y - half, y + half, y + half, y - half],
                           pen=QPen(QColor(TARGET_COLOUR), 0))
    plot.addItem(box)
    label = pg.TextItem(target.name, color=TARGET_COLOUR, anchor=(0, 1))
    label.setPos(x + half, y + half)
    plot.addItem(label)
