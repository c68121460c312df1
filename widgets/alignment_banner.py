"""A non-blocking banner over the pictures: the pair looks misaligned, here is how, and one
click applies the alignment found (``apply_requested``) or dismisses the banner."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

STYLE = ("QFrame#alignment_banner { background: #4a3b12; border: 1px solid #c9a227; border-radius: 3px; }"
         "QFrame#alignment_banner QLabel { background: transparent; color: #f5e6b8; }"
         "QFrame#alignment_banner QPushButton { padding: 3px 10px; }")


class AlignmentBanner(QFrame):
    """Hidden until ``show_suggestion``; ``text`` is what it says."""

    apply_requested = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("alignment_banner")
        self.setStyleSheet(STYLE)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.apply_button = QPushButton("Apply alignment")
        self.apply_button.setToolTip("Reopen the pair with the frame pairs (and crop) found, and score it again")
        self.apply_button.clicked.connect(self.apply_requested)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self._dismiss)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 6, 4)
        row.addWidget(QLabel("⚠"))
        row.addWidget(self.label, 1)
        row.addWidget(self.apply_button)
        row.addWidget(self.dismiss_button)
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text()

    def show_suggestion(self, text: str) -> None:
        self.label.setText(text)
        self.apply_button.setEnabled(True)
        self.show()

    def _dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
