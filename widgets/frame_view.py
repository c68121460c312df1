"""One picture pane: draws frames through the shared Viewport, zooms, pans, wipes.

The pane only draws what it is given (QImages wrapping the display RGB arrays) and
writes user gestures back to the models: wheel and drag to the Viewport, the wipe
line to ViewSettings. Zoomed in, pixels are drawn nearest-neighbour so that each
code value is a visible square; zoomed out, the picture is smoothed.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from vqinspect.app.inspector.view_state import Viewport, ViewSettings

BACKGROUND = QColor(24, 24, 24)
WIPE_GRAB = 6      # pixels either side of the wipe line that grab it
ZOOM_STEP = 1.25   # per wheel notch
GRID_SCALE = 12    # draw a pixel grid from this zoom on
COARSE_MAP = 8     # frame pixels per map sample from which a map is drawn as blocks


def rgb_image(array: np.ndarray) -> QImage:
    """A QImage sharing an H x W x 3 (RGB) or x 4 (RGBA) uint8 array; keeps it alive."""
    h, w, c = array.shape
    fmt = QImage.Format.Format_RGB888 if c == 3 else QImage.Format.Format_RGBA8888
    image = QImage(array.data, w, h, array.strides[0], fmt)
    image._array = array  # the QImage does not own its pixels
    return image


class FrameView(QWidget):
    """Draws ``primary`` (and ``secondary`` right of / below the wipe line, and an overlay).

    ``hovered`` carries the image pixel (x, y) under the mouse, or None.
    """

    hovered = Signal(object)

    def __init__(self, viewport: Viewport, settings: ViewSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.viewport, self.settings = viewport, settings
        self.primary: QImage | None = None
        self.secondary: QImage | None = None
        self.overlay: QImage | None = None
        self.overlay_rect: QRectF | None = None
        self.labels: tuple[str, str] = ("", "")
        self.placeholder = ""
        self.wipe = False
        self._drag: str | None = None          # "pan" or "wipe" while a button is down
        self._last_pos = QPointF()
        self.setMouseTracking(True)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        viewport.changed.connect(self.update)

    # ---------------------------------------------------------------- content

    def set_content(self, primary: QImage | None, secondary: QImage | None = None,
                    labels: tuple[str, str] = ("", ""), wipe: bool = False) -> None:
        self.primary, self.secondary, self.labels, self.wipe = primary, secondary, labels, wipe
        self.update()

    def set_overlay(self, overlay: QImage | None, rect: QRectF | None = None) -> None:
        self.overlay, self.overlay_rect = overlay, rect
        self.update()

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.update()

    def _size(self) -> tuple[int, int]:
        return self.width(), self.height()

    # ---------------------------------------------------------------- painting

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        if self.primary is None:
            self._paint_placeholder(p)
            return
        split = self._split_view_coord() if self.wipe and self.secondary is not None else None
        if split is None:
            self._paint_image(p, self.primary)
        else:
            first, second = self._split_rects(split)
            p.save()
            p.setClipRect(first)
            self._paint_image(p, self.primary)
            p.setClipRect(second)
            self._paint_image(p, self.secondary)
            p.restore()
        if self.overlay is not None and self.overlay_rect is not None:
            self._paint_overlay(p)
        if self.viewport.scale >= GRID_SCALE:
            self._paint_grid(p)
        if split is not None:
            self._paint_wipe_line(p, split)
        self._paint_labels(p, split)

    def _paint_image(self, p: QPainter, image: QImage) -> None:
        """Draw only the visible part of ``image``, snapped to whole source pixels."""
        vp, size = self.viewport, self._size()
        x0, y0 = vp.view_to_image(0, 0, size)
        x1, y1 = vp.view_to_image(*size, size)
        sx0, sy0 = max(0, math.floor(x0)), max(0, math.floor(y0))
        sx1, sy1 = min(image.width(), math.ceil(x1)), min(image.height(), math.ceil(y1))
        if sx1 <= sx0 or sy1 <= sy0:
            return
        tx0, ty0 = vp.image_to_view(sx0, sy0, size)
        tx1, ty1 = vp.image_to_view(sx1, sy1, size)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, vp.scale < 1.0)
        p.drawImage(QRectF(tx0, ty0, tx1 - tx0, ty1 - ty0), image,
                    QRectF(sx0, sy0, sx1 - sx0, sy1 - sy0))

    def _paint_overlay(self, p: QPainter) -> None:
        """The map over its rectangle, clipped to the frame (a last partial tile may
        overhang). Coarse maps (tiles) keep their blocks; fine ones are smoothed."""
        r, size, vp = self.overlay_rect, self._size(), self.viewport
        x0, y0 = vp.image_to_view(r.left(), r.top(), size)
        x1, y1 = vp.image_to_view(r.right(), r.bottom(), size)
        fx0, fy0 = vp.image_to_view(0, 0, size)
        fx1, fy1 = vp.image_to_view(self.primary.width(), self.primary.height(), size)
        sample = r.width() / max(1, self.overlay.width())
        p.save()
        p.setClipRect(QRectF(fx0, fy0, fx1 - fx0, fy1 - fy0), Qt.ClipOperation.IntersectClip)
        p.setOpacity(self.settings.opacity)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, sample < COARSE_MAP)
        p.drawImage(QRectF(x0, y0, x1 - x0, y1 - y0), self.overlay)
        p.restore()

    def _paint_grid(self, p: QPainter) -> None:
        vp, size = self.viewport, self._size()
        iw, ih = self.primary.width(), self.primary.height()
        x0, y0 = vp.view_to_image(0, 0, size)
        x1, y1 = vp.view_to_image(*size, size)
        p.setPen(QPen(QColor(0, 0, 0, 90), 1))
        for x in range(max(0, math.floor(x0)), min(iw, math.ceil(x1)) + 1):
            vx = vp.image_to_view(x, 0, size)[0]
            p.drawLine(QPointF(vx, 0), QPointF(vx, size[1]))
        for y in range(max(0, math.floor(y0)), min(ih, math.ceil(y1)) + 1):
            vy = vp.image_to_view(0, y, size)[1]
            p.drawLine(QPointF(0, vy), QPointF(size[0], vy))

    def _split_view_coord(self) -> float:
        """The wipe line's x (vertical line) or y (horizontal) in view pixels."""
        iw, ih = self.primary.width(), self.primary.height()
        s = self.settings
        if s.wipe_vertical:
            return self.viewport.image_to_view(s.wipe_position * iw, 0, self._size())[0]
        return self.viewport.image_to_view(0, s.wipe_position * ih, self._size())[1]

    def _split_rects(self, split: float) -> tuple[QRectF, QRectF]:
        w, h = self._size()
        if self.settings.wipe_vertical:
            return QRectF(0, 0, split, h), QRectF(split, 0, w - split, h)
        return QRectF(0, 0, w, split), QRectF(0, split, w, h - split)

    def _paint_wipe_line(self, p: QPainter, split: float) -> None:
        w, h = self._size()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setPen(QPen(QColor(0, 0, 0, 160), 3))
        a, b = ((QPointF(split, 0), QPointF(split, h)) if self.settings.wipe_vertical
                else (QPointF(0, split), QPointF(w, split)))
        p.drawLine(a, b)
        p.setPen(QPen(QColor(255, 255, 255, 230), 1))
        p.drawLine(a, b)
        centre = QPointF(split, h / 2) if self.settings.wipe_vertical else QPointF(w / 2, split)
        p.setBrush(QColor(255, 255, 255, 230))
        p.setPen(QPen(QColor(0, 0, 0, 160), 1))
        p.drawEllipse(centre, 6, 6)

    def _paint_labels(self, p: QPainter, split: float | None) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(9.0, font.pointSizeF()))
        font.setBold(True)
        p.setFont(font)
        first, second = self.labels
        w, h = self._size()
        both = bool(second and split is not None and self.settings.wipe_vertical)
        room = w / 2 - 16 if both else w - 16
        if first:
            _badge(p, QPointF(8, 8), first, room)
        if second and split is not None:
            metrics = p.fontMetrics()
            if self.settings.wipe_vertical:
                text = metrics.elidedText(second, Qt.TextElideMode.ElideMiddle, int(room - 12))
                x = max(w / 2 + 8, w - metrics.horizontalAdvance(text) - 20)
                _badge(p, QPointF(x, 8), second, room)
            else:
                _badge(p, QPointF(8, h - metrics.height() - 14), second, room)

    def _paint_placeholder(self, p: QPainter) -> None:
        if not self.placeholder:
            return
        p.setPen(QColor(170, 170, 170))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() + 2)
        p.setFont(font)
        p.drawText(self.rect().adjusted(20, 20, -20, -20),
                   Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)

    # ---------------------------------------------------------------- mouse

    def image_point(self, pos: QPointF) -> tuple[float, float]:
        return self.viewport.view_to_image(pos.x(), pos.y(), self._size())

    def resizeEvent(self, event) -> None:
        if self.isVisible():            # a hidden pane (side by side's right) must not set the fit
            self.viewport.set_view_size(self.width(), self.height())
        super().resizeEvent(event)

    def showEvent(self, event) -> None:
        self.viewport.set_view_size(self.width(), self.height())
        super().showEvent(event)

    def wheelEvent(self, event) -> None:
        notches = event.angleDelta().y() / 120.0
        if notches:
            pos = event.position()
            self.viewport.zoom_at(ZOOM_STEP ** notches, pos.x(), pos.y(), self._size())
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        self._last_pos = event.position()
        self._drag = "wipe" if self._near_wipe_line(event.position()) else "pan"
        if self._drag == "pan":
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._drag == "pan":
            self.viewport.pan(pos.x() - self._last_pos.x(), pos.y() - self._last_pos.y())
        elif self._drag == "wipe" or (self._drag is None and self._wiping()
                                      and self.settings.wipe_follows_mouse):
            self._move_wipe(pos)
        self._last_pos = pos
        self._emit_hover(pos)

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:
        self.viewport.fit()
        event.accept()

    def leaveEvent(self, event) -> None:
        self.hovered.emit(None)
        super().leaveEvent(event)

    def _wiping(self) -> bool:
        return self.wipe and self.secondary is not None and self.primary is not None

    def _near_wipe_line(self, pos: QPointF) -> bool:
        if not self._wiping():
            return False
        split = self._split_view_coord()
        coord = pos.x() if self.settings.wipe_vertical else pos.y()
        return abs(coord - split) <= WIPE_GRAB and not self.settings.wipe_follows_mouse

    def _move_wipe(self, pos: QPointF) -> None:
        x, y = self.image_point(pos)
        if self.settings.wipe_vertical:
            self.settings.set_wipe_position(x / self.primary.width())
        else:
            self.settings.set_wipe_position(y / self.primary.height())

    def _emit_hover(self, pos: QPointF) -> None:
        if self.primary is None:
            return
        x, y = self.image_point(pos)
        ix, iy = math.floor(x), math.floor(y)
        inside = 0 <= ix < self.primary.width() and 0 <= iy < self.primary.height()
        self.hovered.emit((ix, iy) if inside else None)


def _badge(p: QPainter, at: QPointF, text: str, room: float) -> None:
    """A label on a dark translucent plate, legible over any picture, elided to ``room``."""
    metrics = p.fontMetrics()
    text = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, int(max(40, room - 12)))
    rect = QRectF(at.x(), at.y(), metrics.horizontalAdvance(text) + 12, metrics.height() + 6)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0, 0, 0, 170))
    p.drawRoundedRect(rect, 3, 3)
    p.setPen(QColor(235, 235, 235))
    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
