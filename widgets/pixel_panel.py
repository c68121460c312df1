"""The pixel inspector: position, both clips' Y/U/V code values, RGB, and the map value."""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from vqinspect.widgets.fonts import mono_font
from vqinspect.app.inspector.pixel import PixelReadout

COLUMNS = ("Y", "U", "V", "R", "G", "B")


class PixelPanel(QWidget):
    """A small grid updated from ``show_readout(readout)``; blank when the cursor leaves the frame."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        mono = mono_font()
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(3)
        self.position = QLabel("move the mouse over the picture")
        grid.addWidget(self.position, 0, 0, 1, 7)
        for c, name in enumerate(COLUMNS, start=1):
            grid.addWidget(QLabel(f"<b>{name}</b>"), 1, c)
        self.cells: dict[tuple[str, str], QLabel] = {}
        for r, row in enumerate(("Ref", "Dist", "Δ"), start=2):
            grid.addWidget(QLabel(f"<b>{row}</b>"), r, 0)
            for c, name in enumerate(COLUMNS, start=1):
                label = QLabel("")
                label.setFont(mono)
                label.setMinimumWidth(42)
                self.cells[(row, name)] = label
                grid.addWidget(label, r, c)
        self.map_value = QLabel("")
        self.map_value.setFont(mono)
        grid.addWidget(self.map_value, 5, 0, 1, 7)
        self.readout: PixelReadout | None = None

    def show_readout(self, readout: PixelReadout | None, depth: int | None = None) -> None:
        self.readout = readout
        if readout is None:
            self.position.setText("outside the picture")
            for label in self.cells.values():
                label.setText("")
            self.map_value.setText("")
            return
        bits = f", {depth}-bit code values" if depth else ""
        self.position.setText(f"x {readout.x}, y {readout.y}{bits}")
        rows = {"Ref": (*readout.ref_yuv, *_pad(readout.ref_yuv), *readout.ref_rgb),
                "Dist": (*readout.dist_yuv, *_pad(readout.dist_yuv), *readout.dist_rgb)}
        rows["Δ"] = tuple(d - r if isinstance(d, int) and isinstance(r, int) else ""
                          for r, d in zip(rows["Ref"], rows["Dist"]))
        for row, values in rows.items():
            for name, value in zip(COLUMNS, values):
                self.cells[(row, name)].setText(f"{value:+d}" if row == "Δ" and value != "" else str(value))
        if readout.map_name:
            value = "outside the map" if readout.map_value is None else f"{readout.map_value:.5g}"
            self.map_value.setText(f"{readout.map_name}: {value}")
        else:
            self.map_value.setText("")


def _pad(yuv: tuple) -> tuple:
    """Gray clips have no U/V: blank cells instead of invented chroma."""
    return ("",) * (3 - len(yuv))
