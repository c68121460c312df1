"""Every question the inspector asks the user, in one replaceable place.

``window.ask`` is a ``Dialogs``; features call its methods and act on the answer, so a
test (or a script) replaces a method with a function that returns the answer instead
of opening a modal dialog. None always means the user cancelled.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QInputDialog,
                               QLineEdit, QPushButton, QWidget)

SCORES_FILTER = ("Score files (*.json *.xml *.csv);;libvmaf log (*.json *.xml *.csv);;"
                 "vqinspect scores (*.json *.csv);;All files (*)")
REPORT_FILTER = "HTML report (*.html *.htm);;PDF report (*.pdf)"
WORKSPACE_FILTER = "vqinspect workspace (*.vqws *.json);;All files (*)"
MASK_FILTER = ("Masks and video (*.mp4 *.mkv *.mov *.avi *.webm *.y4m *.png *.tif *.tiff);;"
               "All files (*)")


class Dialogs:
    """The window's dialogs: each method returns the answer, or None when cancelled."""

    def __init__(self, parent: QWidget):
        self.parent = parent

    def note(self, frame: int) -> str | None:
        """The note of a new bookmark (may be empty)."""
        text, ok = QInputDialog.getText(self.parent, f"Bookmark frame {frame}", "Note (what you see here):")
        return text if ok else None

    def open_path(self, title: str, filter_: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, "", filter_)
        return path or None

    def save_path(self, title: str, suggested: str, filter_: str) -> str | None:
        """A path to write; the chosen filter's first extension is added when none was typed."""
        path, chosen = QFileDialog.getSaveFileName(self.parent, title, suggested, filter_)
        if not path:
            return None
        if not Path(path).suffix and "*." in chosen:
            path += "." + chosen.split("*.")[1].split()[0].rstrip(")")
        return path

    def locate(self, role: str, missing: str) -> str | None:
        """Where a file of a workspace is now (it is neither where it was nor beside the workspace)."""
        name = Path(missing).name
        path, _ = QFileDialog.getOpenFileName(self.parent, f"Where is the {role} file {name}?",
                                              str(Path(missing).parent), f"{name} ({name});;All files (*)")
        return path or None

    def profile(self, current: str) -> str | None:
        """A QC profile: a shipped one's name, a TOML file's path, or "" for none."""
        from vqinspect.widgets.verdict import ask_profile

        return ask_profile(self.parent, current)

    def mask_paths(self) -> tuple[str, str | None, str | None] | None:
        """(prediction, ground truth or None, source video or None)."""
        dialog = MaskPathsDialog(self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.paths()


class MaskPathsDialog(QDialog):
    """Three file fields: the predicted masks (required), ground truth and source (optional)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open masks")
        self.fields = {name: QLineEdit() for name in ("pred", "gt", "source")}
        form = QFormLayout(self)
        for name, label in (("pred", "Predicted masks"), ("gt", "Ground truth (optional)"),
                            ("source", "Source video (optional)")):
            row = QHBoxLayout()
            row.addWidget(self.fields[name], 1)
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _=False, n=name: self._on_browse(n))
            row.addWidget(browse)
            form.addRow(label, row)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.fields["pred"].textChanged.connect(self._on_pred_changed)
        self._on_pred_changed("")
        self.resize(640, self.sizeHint().height())

    def paths(self) -> tuple[str, str | None, str | None]:
        pred, gt, source = (self.fields[n].text().strip() or None for n in ("pred", "gt", "source"))
        return pred, gt, source

    def _on_pred_changed(self, text: str) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(text.strip()))

    def _on_browse(self, name: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", "", MASK_FILTER)
        if path:
            self.fields[name].setText(path)
