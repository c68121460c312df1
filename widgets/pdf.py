"""HTML to PDF with Qt's own text engine (QTextDocument + QPdfWriter): no browser needed.

Safe to call from a worker thread (the GUI lays out reports off the UI thread).
"""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEventLoop, QMarginsF, QSizeF, QThread
from PySide6.QtGui import QGuiApplication, QPageLayout, QPageSize, QPdfWriter, QTextDocument

from vqinspect.widgets.fonts import install_fonts

A4_MARGIN_MM = 12.0
RESOLUTION_DPI = 144


def _ensure_app() -> QGuiApplication:
    """A Qt application for painting; offscreen when there is no display.

    A full QApplication, not a QGuiApplication: the process may open windows later
    (the inspector styles the application), and Qt allows only one application object.
    """
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    if not app.property("vqinspect_fonts"):
        install_fonts(app)
        app.setProperty("vqinspect_fonts", True)
    return app


def _ensure_event_dispatcher(app: QGuiApplication) -> None:
    """Layout starts timers, which need an event dispatcher; a thread that Qt did not start
    (a Python thread) gets one when a QEventLoop is made in it, instead of Qt warning."""
    if QThread.currentThread() is not app.thread():
        QEventLoop()


def html_to_pdf(html: str, path: str | os.PathLike) -> None:
    """Lay ``html`` out on A4 pages and write them to ``path`` (through a temporary file)."""
    _ensure_event_dispatcher(_ensure_app())
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    writer = QPdfWriter(str(tmp))
    writer.setResolution(RESOLUTION_DPI)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(A4_MARGIN_MM, A4_MARGIN_MM, A4_MARGIN_MM, A4_MARGIN_MM),
                                     QPageLayout.Unit.Millimeter))
    writer.setTitle("vqinspect report")
    writer.setCreator("vqinspect")
    doc = QTextDocument()
    doc.setHtml(html)
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    doc.setPageSize(QSizeF(rect.width(), rect.height()))
    doc.print_(writer)
    del writer  # flushes and closes the file
    os.replace(tmp, path)
