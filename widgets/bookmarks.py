"""Bookmarks: a frame and the exact view the user saw there, with a note (Ctrl+B).

The list (a dock) shows each bookmark's frame, timecode, view and note beside a thumbnail
of the picture; double-click or Enter goes back to the frame and restores the view,
Delete removes one. Bookmarks are saved in workspaces and listed in reports.
"""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from vqinspect.app.inspector.session import InspectorSession
from vqinspect.app.inspector.workspace import Bookmark, apply_view, view_to_dict
from vqinspect.widgets import export

THUMBNAIL = QSize(112, 63)


def add_bookmark(window, note: str) -> Bookmark | None:
    """Bookmark the frame on screen with the view as shown (settings, zoom and its picture)."""
    images = window.view_area.images
    if window.session.pair is None or images is None:
        window.show_message("Nothing to bookmark yet: open a pair and wait for its picture.", error=True)
        return None
    frame = images.request.frame          # the picture's frame, even if a newer one is decoding
    view_name = export.view_description(window.view_settings)
    bookmark = Bookmark(frame, note, view_to_dict(window.view_settings, window.viewport), view_name,
                        datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        export.png_bytes(export.view_image(window)))
    window.session.add_bookmark(bookmark)
    window.bookmarks_dock.show()            # if it was closed; a tab stays where it is
    window.show_message(f"Bookmarked frame {frame} ({view_name}).")
    return bookmark


def jump_to(window, bookmark: Bookmark) -> None:
    """Go to the bookmark's frame and show it the way it was seen."""
    apply_view(bookmark.view, window.view_settings, window.viewport)
    window.session.seek(bookmark.frame)
    window.show_message(f"Frame {bookmark.frame}: {bookmark.view_name or 'view'} restored.")


def describe(bookmark: Bookmark, timecode: str) -> str:
    lines = [f"Frame {bookmark.frame} · {timecode}", bookmark.view_name]
    note = bookmark.note.strip().splitlines()
    lines.append(note[0] + (" …" if len(note) > 1 else "") if note else "(no note)")
    return "\n".join(line for line in lines if line)


class BookmarkPanel(QWidget):
    """The session's bookmarks in frame order; ``jump_requested(bookmark)``."""

    jump_requested = Signal(object)

    def __init__(self, session: InspectorSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.list = QListWidget()
        self.list.setIconSize(THUMBNAIL)
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.itemDoubleClicked.connect(self._on_item_activated)
        self.list.itemActivated.connect(self._on_item_activated)
        remove = QAction("Remove Bookmark", self.list)
        remove.setShortcut(Qt.Key.Key_Delete)
        remove.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove.triggered.connect(self._on_remove)
        self.list.addAction(remove)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.remove_button.clicked.connect(self._on_remove)
        hint = QLabel("Ctrl+B bookmarks the frame · double-click goes back to it")
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.remove_button)
        layout.addWidget(hint)
        session.bookmarks_changed.connect(self._on_bookmarks_changed)
        self._on_bookmarks_changed()

    def bookmark_at(self, row: int) -> Bookmark:
        return self.list.item(row).data(Qt.ItemDataRole.UserRole)

    def _on_bookmarks_changed(self) -> None:
        self.list.clear()
        for bookmark in self.session.bookmarks:
            item = QListWidgetItem(describe(bookmark, self.session.timecode(bookmark.frame)))
            item.setData(Qt.ItemDataRole.UserRole, bookmark)
            item.setToolTip(bookmark.note or "(no note)")
            if bookmark.image:
                pixmap = QPixmap()
                pixmap.loadFromData(bookmark.image, "PNG")
                item.setIcon(QIcon(pixmap.scaled(THUMBNAIL, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)))
            self.list.addItem(item)
        self.remove_button.setEnabled(bool(self.session.bookmarks))

    def _on_item_activated(self, item: QListWidgetItem) -> None:
        self.jump_requested.emit(item.data(Qt.ItemDataRole.UserRole))

    def _on_remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.session.remove_bookmark(item.data(Qt.ItemDataRole.UserRole))
