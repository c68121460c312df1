"""The file panel: each clip's probe and the pairing (offset, editable; scored range; notes)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFormLayout, QFrame, QGroupBox, QLabel, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from vqinspect.app.media.names import codec_name, container_name
from vqinspect.app.display.screen import color_spec
from vqinspect.app.media.transform import display_notes
from vqinspect.widgets.alignment_box import AlignmentBox

FIELDS = ("File", "Codec", "Size", "Rate", "Frames", "Pixels", "Colour", "Shown as")


def probe_rows(source) -> dict[str, str]:
    """The probe of a MediaSource as label -> text rows for the panel."""
    i = source.info
    rate = f"{float(i.fps):.3f} fps ({i.fps.numerator}/{i.fps.denominator})"
    if i.variable_frame_rate:
        rate += ", variable"
    duration = f"{i.duration:.2f} s" if i.duration else "?"
    bitrate = f", {i.bitrate / 1e6:.2f} Mb/s" if i.bitrate else ""
    shown = color_spec(i, source.layout).description
    tags = (i.color_range, i.color_matrix, i.color_primaries, i.color_transfer)
    colour = ("untagged (no colour metadata)" if all(t == "unknown" for t in tags) else
              f"range {i.color_range}, matrix {i.color_matrix}, primaries {i.color_primaries}, "
              f"transfer {i.color_transfer}")
    rows = {
        "File": Path(i.path).name,
        "Codec": f"{codec_name(i.codec, i.codec_profile)} in {container_name(i.container, i.path)}{bitrate}",
        "Size": f"{i.width} × {i.height}",
        "Rate": rate,
        "Frames": f"{i.frame_count} ({duration})",
        "Pixels": f"{i.pix_fmt}, {i.bit_depth}-bit {i.chroma_subsampling}",
        "Colour": colour,
        "Shown as": shown,
    }
    notes = [n for n in (i.conversion, i.truncated, display_notes(i.as_dict())) if n]
    if notes:
        rows["Notes"] = "; ".join(notes)
    return rows


class ClipBox(QGroupBox):
    """One clip's probe as a form."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.form = QFormLayout(self)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.values: dict[str, QLabel] = {}
        for name in (*FIELDS, "Notes"):
            label = QLabel("—")
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[name] = label
            self.form.addRow(name, label)
        self.show_source(None)

    def show_source(self, source) -> None:
        rows = probe_rows(source) if source is not None else {"File": "not opened"}
        for name, label in self.values.items():
            label.setText(rows.get(name, "—"))
            self.form.setRowVisible(label, name in rows or name != "Notes")
        self.values["File"].setToolTip(source.info.path if source is not None else "")


class FilePanel(QWidget):
    """Both clips' probes and the offset; ``offset_requested(n)`` when the user edits it."""

    offset_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.reference = ClipBox("Reference")
        self.distorted = ClipBox("Distorted")
        pairing = QGroupBox("Pairing")
        form = QFormLayout(pairing)
        self.offset = QSpinBox()
        self.offset.setRange(-1_000_000, 1_000_000)
        self.offset.setKeyboardTracking(False)      # re-score on Enter / arrows, not per digit
        self.offset.setToolTip("Distorted frame = reference frame + offset. Enter applies it.")
        self.offset.setEnabled(False)
        self.offset.valueChanged.connect(self._on_offset_changed)
        self.scored = QLabel("—")
        self.notes = QLabel("")
        self.notes.setWordWrap(True)
        form.addRow("Offset", self.offset)
        form.addRow("Frames", self.scored)
        form.addRow("Notes", self.notes)
        content = QWidget()                      # scrolls, so that the panel sets no minimum window height
        layout = QVBoxLayout(content)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.reference)
        layout.addWidget(self.distorted)
        layout.addWidget(pairing)
        self.alignment = AlignmentBox()          # filled by widgets.alignment_control
        layout.addWidget(self.alignment)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(content.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._updating = False

    def show_sources(self, reference, distorted) -> None:
        self.reference.show_source(reference)
        self.distorted.show_source(distorted)

    def show_pair(self, pair) -> None:
        self._updating = True
        try:
            self.offset.setEnabled(pair is not None)
            if pair is not None:
                self.offset.setValue(pair.offset)
        finally:
            self._updating = False
        if pair is None:
            self.scored.setText("—")
            self.notes.setText("")
            return
        first, stop = pair.dist_range(pair.stop)
        self.scored.setText(f"reference {pair.start}–{pair.stop - 1} ({pair.frames} paired), "
                            f"distorted {first}–{stop - 1}")
        self.notes.setText("; ".join(pair.notes) or "same size and format")

    def _on_offset_changed(self, value: int) -> None:
        if not self._updating:
            self.offset_requested.emit(value)
