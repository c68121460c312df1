"""The heatmap's colour bar: the colormap as drawn, with values, and which end is worse."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from vqinspect.widgets.frame_view import BACKGROUND, rgb_image


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Round values between ``lo`` and ``hi`` (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def format_value(value: float, step: float) -> str:
    """A tick label with as many decimals as the tick step needs."""
    decimals = max(0, min(6, -math.floor(math.log10(step) + 1e-9))) if step > 0 else 2
    if step == 2.5 * 10 ** math.floor(math.log10(step)):
        decimals += 1                       # 0.25, 2.5: one more digit
    return f"{value:,.{decimals}f}"


class ColorBar(QWidget):
    """A vertical bar: top is the high end of the levels; the header names the map."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.metric_name = ""
        self.title = ""
        self.unit = ""
        self.levels = (0.0, 1.0)
        self.worse_high = True
        self._image: QImage | None = None
        self.setMinimumWidth(112)
        self.setMaximumWidth(136)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    def set_map(self, metric: str, title: str, lut: np.ndarray, levels: tuple[float, float],
                worse_high: bool, unit: str = "") -> None:
        """Show ``lut`` (256 x 3) over ``levels``; ``worse_high`` puts 'worse' at the top."""
        table = lut[::-1] if not worse_high else lut          # as the overlay draws it
        column = np.ascontiguousarray(table[::-1][:, None, :].repeat(4, axis=1))  # top = high
        self._image = rgb_image(column)
        self.metric_name = metric if metric.replace("_", " ") != title else ""
        self.title, self.unit = title, unit
        self.levels, self.worse_high = levels, worse_high
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self._image is None:
            return
        fm = p.fontMetrics()
        width = self.width() - 8
        y = 4.0
        for text, colour, bold in ((self.metric_name, QColor(160, 160, 160), False),
                                   (self.title, QColor(235, 235, 235), True),
                                   (self.unit, QColor(160, 160, 160), False)):
            if not text:
                continue
            font = QFont(self.font())
            font.setBold(bold)
            p.setFont(font)
            box = p.fontMetrics().boundingRect(0, 0, width, 1000, Qt.TextFlag.TextWordWrap, text)
            p.setPen(colour)
            p.drawText(QRectF(4, y, width, box.height()), Qt.TextFlag.TextWordWrap, text)
            y += box.height() + 1
        p.setFont(self.font())
        top, bottom = y + fm.height() + 10, self.height() - fm.height() - 14
        bar = QRectF(10, top, 18, max(10, bottom - top))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(bar, self._image)
        p.setPen(QPen(QColor(120, 120, 120), 1))
        p.drawRect(bar)
        lo, hi = self.levels
        span = hi - lo
        p.setPen(QColor(215, 215, 215))
        ticks = nice_ticks(lo, hi, max(3, int(bar.height() // 45)))
        step = ticks[1] - ticks[0] if len(ticks) > 1 else span
        for tick in ticks:
            ty = bar.bottom() - (tick - lo) / span * bar.height() if span > 0 else bar.center().y()
            p.drawLine(int(bar.right()), int(ty), int(bar.right()) + 4, int(ty))
            p.drawText(QRectF(bar.right() + 7, ty - fm.height() / 2, self.width() - bar.right() - 8,
                              fm.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       format_value(tick, step))
        p.setPen(QColor(165, 165, 165))
        high, low = ("worse", "better") if self.worse_high else ("better", "worse")
        p.drawText(QRectF(4, top - fm.height() - 3, width, fm.height()), Qt.AlignmentFlag.AlignLeft,
                   f"{high} ↑")
        p.drawText(QRectF(4, bottom + 3, width, fm.height()), Qt.AlignmentFlag.AlignLeft, f"{low} ↓")
