"""Pooled scores per key and the worst frames of a chosen key; double-click seeks there."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLabel,
                               QListWidget, QListWidgetItem, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from vqinspect.widgets.fonts import mono_font
from vqinspect.app.inspector.session import InspectorSession
from vqinspect.metrics.registry import key_info

COLUMNS = (("mean", "mean"), ("h.mean", "harmonic_mean"), ("min", "min"), ("p5", "p5"),
           ("worst", "worst_frame"))


class SummaryPanel(QWidget):
    """Reads the session's summary and worst frames; ``seek_requested(frame)``."""

    seek_requested = Signal(int)

    def __init__(self, session: InspectorSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([c for c, _ in COLUMNS])
        # Columns fit their longest text, re-measured only when a longer one appears (measuring
        # every cell at each refresh cost tens of ms while scoring); numbers are never elided:
        # a narrow dock scrolls instead.
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self._widest = [0] * len(COLUMNS)     # the longest text each column has been sized for
        self.table.setMaximumHeight(260)
        self.table.horizontalHeaderItem(len(COLUMNS) - 1).setToolTip("worst frame (double-click to go)")
        self.table.horizontalHeaderItem(1).setToolTip("harmonic mean (libvmaf's)")
        self.table.cellDoubleClicked.connect(self._on_table_double_clicked)
        self.table.cellClicked.connect(lambda row, _: self.key.setCurrentIndex(row))
        self.key = QComboBox()
        self.key.currentTextChanged.connect(self._on_key_changed)
        self.worst = QListWidget()
        self.worst.setFont(mono_font())
        self.worst.itemDoubleClicked.connect(self._on_worst_double_clicked)
        self.worst.itemActivated.connect(self._on_worst_double_clicked)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Worst frames of"))
        chooser.addWidget(self.key, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 2)
        layout.addLayout(chooser)
        layout.addWidget(self.worst, 3)
        hint = QLabel("Double-click to go there · N / P step through them")
        hint.setObjectName("hint")
        layout.addWidget(hint)

    @property
    def chosen_key(self) -> str:
        return self.key.currentText()

    def set_keys(self, keys: list[str], preferred: str | None = None) -> None:
        current = self.key.currentText()
        self.key.blockSignals(True)
        self.key.clear()
        self.key.addItems(keys)
        choice = current if current in keys else (preferred if preferred in keys else None)
        if choice:
            self.key.setCurrentText(choice)
        self.key.blockSignals(False)
        self.table.setRowCount(len(keys))
        self.table.setVerticalHeaderLabels(keys)
        self._widest = [0] * len(COLUMNS)
        self.refresh()

    def refresh(self) -> None:
        summary = self.session.summary()
        for row in range(self.table.rowCount()):
            key = self.table.verticalHeaderItem(row).text()
            stats = summary.get(key, {})
            for col, (_, stat) in enumerate(COLUMNS):
                value = stats.get(stat, math.nan)
                text = str(int(value)) if stat == "worst_frame" and math.isfinite(value) else key_info(key).format(value)
                item = self.table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(row, col, item)
                if item.text() != text:
                    item.setText(text)
                if len(text) > self._widest[col]:
                    self._widest[col] = len(text)
                    self.table.resizeColumnToContents(col)
        self._fill_worst()

    def _fill_worst(self) -> None:
        key = self.key.currentText()
        self.worst.clear()
        for rank, (frame, value) in enumerate(self.session.worst_frames(key), start=1):
            item = QListWidgetItem(f"{rank:>2}.  frame {frame:>6}   {key} {key_info(key).format(value)}")
            item.setData(Qt.ItemDataRole.UserRole, frame)
            self.worst.addItem(item)
        self.select_frame(self.session.frame)

    def select_frame(self, frame: int) -> None:
        """Highlight ``frame`` in the worst list when it is there."""
        for i in range(self.worst.count()):
            item = self.worst.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == frame:
                self.worst.setCurrentItem(item)
                return
        self.worst.clearSelection()

    def _on_key_changed(self, key: str) -> None:
        self._fill_worst()

    def _on_worst_double_clicked(self, item: QListWidgetItem) -> None:
        self.seek_requested.emit(int(item.data(Qt.ItemDataRole.UserRole)))

    def _on_table_double_clicked(self, row: int, col: int) -> None:
        item = self.table.item(row, len(COLUMNS) - 1)
        if item is not None and item.text().isdigit():
            self.seek_requested.emit(int(item.text()))
