"""The file panel's alignment box: what the automatic alignment found for the open pair, with
one click to apply it (``apply_requested``) or to go back to the plain offset (``revert_requested``)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

STATUS_HEIGHT = 96      # px: the summary scrolls beyond this


class AlignmentBox(QGroupBox):
    """``text`` is the summary of the alignment found (or its progress)."""

    apply_requested = Signal()
    revert_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Alignment", parent)
        self.status = QPlainTextEdit()
        self.status.setReadOnly(True)
        self.status.setMaximumHeight(STATUS_HEIGHT)
        self.status.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.status.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.apply_button = QPushButton("Apply")
        self.apply_button.setToolTip("Pair each reference frame with its true counterpart (and score inside the "
                                     "crop found), then score again")
        self.apply_button.clicked.connect(self.apply_requested)
        self.revert_button = QPushButton("Use the offset")
        self.revert_button.setToolTip("Back to pairing frame i with frame i + offset throughout")
        self.revert_button.clicked.connect(self.revert_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.revert_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.clear()

    @property
    def text(self) -> str:
        return self.status.toPlainText()

    def clear(self, text: str = "—") -> None:
        self.status.setPlainText(text)
        self.apply_button.setEnabled(False)
        self.revert_button.setVisible(False)

    def show_progress(self, done: int, total: int) -> None:
        self.status.setPlainText(f"Looking for the offset, dropped and repeated frames… {100 * done // max(total, 1)} %")

    def show_alignment(self, lines: list[str], applied: bool, can_apply: bool) -> None:
        """The alignment's summary; ``applied``: it pairs the frames now."""
        head = "Applied: the frames are paired as found." if applied else "Found (not applied):"
        self.status.setPlainText("\n".join([head, *lines]))
        self.apply_button.setEnabled(can_apply and not applied)
        self.revert_button.setVisible(applied)
