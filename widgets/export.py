"""Export what the view shows: the exact pixels on screen plus a caption (files, frame,
timecode, scores), to a PNG file or the clipboard."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

from vqinspect.app.shared.errors import InputError
from vqinspect.app.inspector.view_state import MODE_LABELS

CAPTION_BG = QColor(16, 16, 16)
CAPTION_FG = QColor(230, 230, 230)


def caption_lines(window) -> list[str]:
    """Files, frame and timecode, view, and the frame's scores."""
    s, v = window.session, window.view_settings
    if s.pair is None:
        return ["vqinspect: no clips open"]
    ref, dist = (Path(src.info.path).name for src in (s.reference, s.distorted))
    view = view_description(v)
    scores = s.frame_scores()
    score_text = "  ".join(f"{k} {val:.4f}" if abs(val) < 10 else f"{k} {val:.3f}"
                           for k, val in scores.items()) or "frame not scored yet"
    return [f"reference: {ref}    distorted: {dist}    offset {s.offset}",
            f"frame {s.frame}  (distorted {s.frame + s.offset})    {s.timecode()}    "
            f"{s.reference.frame_time(s.frame):.3f} s    view: {view}",
            score_text]


def view_description(v) -> str:
    """The view mode in words, with what matters of its settings (``ViewSettings``)."""
    view = MODE_LABELS[v.mode]
    if v.mode == "ab":
        view += " (showing reference)" if v.showing_reference else " (showing distorted)"
    elif v.mode == "diff":
        view += f" ({v.diff_kind}, gain ×{v.diff_gain:g})"
    elif v.mode == "heatmap" and v.map_key:
        view += f" ({v.map_key[0]}: {v.map_key[1]}, {v.colormap})"
    return view


def view_image(window) -> QImage:
    """The picture area exactly as drawn on screen."""
    return window.view_area.grab().toImage()


def captioned(image: QImage, lines: list[str], font: QFont) -> QImage:
    """``image`` with ``lines`` of text on a dark strip below it."""
    font = QFont(font)
    font.setPointSizeF(max(10.0, font.pointSizeF()))
    probe = QImage(1, 1, QImage.Format.Format_RGB32)
    with _painter(probe) as p:
        p.setFont(font)
        line_height = p.fontMetrics().height()
    strip = line_height * len(lines) + 16
    out = QImage(image.width(), image.height() + strip, QImage.Format.Format_RGB32)
    out.fill(CAPTION_BG)
    with _painter(out) as p:
        p.drawImage(0, 0, image)
        p.setFont(font)
        p.setPen(CAPTION_FG)
        for i, line in enumerate(lines):
            p.drawText(QRectF(10, image.height() + 8 + i * line_height, image.width() - 20, line_height),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
    return out


def export_image(window) -> QImage:
    return captioned(view_image(window), caption_lines(window), window.font())


def png_bytes(image: QImage) -> bytes:
    """``image`` encoded as PNG, in memory."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


def save_png(image: QImage, path: str | Path) -> None:
    """Write ``image``; InputError (one readable line) if it cannot be written."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError(path, f"folder {path.parent} does not exist")
    if not image.save(str(path), "PNG"):
        raise InputError(path, "cannot write the PNG (permissions or disk space?)")


def copy_to_clipboard(image: QImage) -> None:
    QGuiApplication.clipboard().setImage(image)


class _painter:
    """QPainter as a context manager (always ended, even on error)."""

    def __init__(self, device):
        self.painter = QPainter(device)

    def __enter__(self) -> QPainter:
        return self.painter

    def __exit__(self, *exc) -> None:
        self.painter.end()
