"""The mask mode: the source with the predicted (and ground-truth) masks as overlays and
contours, a heatmap beside it, and per-frame plots of J, F, temporal IoU and flicker that
share the playhead, seek on click and step through the least stable frames.

Keys: Left/Right step (Shift: 10), Home/End, Space play/pause, N/P next/previous least
stable frame. Scoring runs in the background and the plots fill as it goes; the maps of
the shown frame are computed on demand (latest request wins).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QMainWindow, QPushButton, QSlider,
                               QSpinBox, QSplitter, QVBoxLayout, QWidget)

from vqinspect.app.masks.run import instability, least_stable
from vqinspect.app.masks.scorer import MaskInputs, MaskOptions
from vqinspect.app.masks.display import HEATMAPS, OverlayStyle, compose, heatmap, map_top, next_worst
from vqinspect.metrics.registry import plot_groups
from vqinspect.widgets.mask_workers import MaskFrameWorker, MaskScoringRunner
from vqinspect.widgets.plots import ScorePlots

WORST_LISTED = 20
CLIP_MAPS = {"error_rate": "error_rate", "flip_count": "flips"}   # heatmap name -> MaskResult.maps key


def qimage(array: np.ndarray) -> QImage:
    """A QImage over an H x W x 3 uint8 RGB array (kept alive by the image)."""
    h, w, _ = array.shape
    image = QImage(array.data, w, h, array.strides[0], QImage.Format.Format_RGB888)
    image._array = array
    return image


class MaskImageView(QWidget):
    """Draws one picture scaled to fit, aspect kept, with a caption in the corner."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.caption = ""
        self.setMinimumSize(160, 90)

    def set_image(self, array: np.ndarray | None, caption: str = "") -> None:
        self.image = qimage(np.ascontiguousarray(array)) if array is not None else None
        self.caption = caption
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.image is not None:
            iw, ih = self.image.width(), self.image.height()
            scale = min(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 1)
            p.drawImage(target, self.image)
        if self.caption:
            width = p.fontMetrics().horizontalAdvance(self.caption)
            p.fillRect(QRectF(4, 4, width + 8, 20), Qt.GlobalColor.black)
            p.setPen(Qt.GlobalColor.white)
            p.drawText(QRectF(8, 4, width + 2, 20), Qt.AlignmentFlag.AlignVCenter, self.caption)
        p.end()


class MaskWindow(QMainWindow):
    """The mask mode for one set of inputs. ``frame_displayed(frame)`` and
    ``scoring_finished(result)`` let scripts and tests follow it."""

    frame_displayed = Signal(int)
    scoring_finished = Signal(object)

    def __init__(self, inputs: MaskInputs, options: MaskOptions = MaskOptions(), parent: QWidget | None = None):
        super().__init__(parent)
        self.inputs, self.options = inputs, options
        self.frame_count = inputs.frame_count
        self.frame = 0
        self.result = None
        self.table = None
        self.worst: list[int] = []
        self.style_ = OverlayStyle()
        self._request_id = 0
        self._shown: tuple | None = None
        self.setWindowTitle(f"vqinspect masks - {inputs.pred.info.path}")
        self._build()
        self._shortcuts()
        self.runner = MaskScoringRunner(inputs, options, self)
        self.runner.updated.connect(self._on_scores_updated)
        self.runner.finished.connect(self._on_scoring_finished)
        self.runner.failed.connect(self._on_failed)
        self.frames = MaskFrameWorker(inputs, options, self)
        self.frames.ready.connect(self._on_frame_ready)
        self.frames.failed.connect(self._on_failed)
        fps = float(inputs.pred.info.fps) or 25.0
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(1000 / fps)))
        self.timer.timeout.connect(self._on_tick)
        self.runner.start()
        self.seek(0)

    # ---------------------------------------------------------------- construction

    def _build(self) -> None:
        self.overlay_view, self.map_view = MaskImageView(), MaskImageView()
        self.show_pred = QCheckBox("prediction")
        self.show_gt = QCheckBox("ground truth")
        self.contours = QCheckBox("contours")
        for box in (self.show_pred, self.show_gt, self.contours):
            box.setChecked(True)
            box.toggled.connect(self._on_style_changed)
        self.show_gt.setEnabled(self.inputs.gt is not None)
        self.map_choice = QComboBox()
        for name, tip in HEATMAPS.items():
            if self._map_available(name):
                self.map_choice.addItem(name)
                self.map_choice.setItemData(self.map_choice.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        self.map_choice.currentTextChanged.connect(lambda _: self._redraw())
        options = QHBoxLayout()
        for w in (QLabel("show:"), self.show_pred, self.show_gt, self.contours, QLabel("heatmap:"), self.map_choice):
            options.addWidget(w)
        options.addStretch(1)
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.overlay_view)
        views.addWidget(self.map_view)
        self.plots = ScorePlots()
        self.plots.seek_requested.connect(self.seek)
        groups = plot_groups(self._expected_keys())
        self.plots.set_metrics(groups, 0, self.frame_count)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(views)
        split.addWidget(self.plots)
        split.setSizes([500, 90 * max(len(groups), 1) + 30])
        self.status = QLabel("scoring...")
        layout = QVBoxLayout()
        layout.addLayout(options)
        layout.addWidget(split, 1)
        layout.addLayout(self._transport())
        layout.addWidget(self.status)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)

    def _transport(self) -> QHBoxLayout:
        self.play = QPushButton("play")
        self.play.clicked.connect(self.toggle_play)
        self.previous_worst_button = QPushButton("◀ worse")
        self.previous_worst_button.clicked.connect(lambda: self.step_worst(-1))
        self.next_worst_button = QPushButton("worse ▶")
        self.next_worst_button.clicked.connect(lambda: self.step_worst(1))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.frame_count - 1)
        self.slider.valueChanged.connect(self.seek)
        self.spin = QSpinBox()
        self.spin.setRange(0, self.frame_count - 1)
        self.spin.valueChanged.connect(self.seek)
        row = QHBoxLayout()
        for w in (self.play, self.previous_worst_button, self.slider, self.spin,
                  QLabel(f"/ {self.frame_count - 1}"), self.next_worst_button):
            row.addWidget(w, 1 if w is self.slider else 0)
        return row

    def _shortcuts(self) -> None:
        keys = {"Right": lambda: self.seek(self.frame + 1), "Left": lambda: self.seek(self.frame - 1),
                "Shift+Right": lambda: self.seek(self.frame + 10), "Shift+Left": lambda: self.seek(self.frame - 10),
                "Home": lambda: self.seek(0), "End": lambda: self.seek(self.frame_count - 1),
                "Space": self.toggle_play, "N": lambda: self.step_worst(1), "P": lambda: self.step_worst(-1)}
        for key, slot in keys.items():
            QShortcut(QKeySequence(key), self, activated=slot)

    def _expected_keys(self) -> list[str]:
        from vqinspect.app.masks.run import expected_keys

        return expected_keys(self.inputs, self.options)

    def _map_available(self, name: str) -> bool:
        has_flow = self.options.flow is not None and self.inputs.source is not None
        if name in ("residual",):
            return has_flow
        if name == "gt_residual":
            return has_flow and self.inputs.gt is not None
        if name in ("error", "error_rate"):
            return self.inputs.gt is not None
        return True

    # ---------------------------------------------------------------- navigation

    def seek(self, frame: int) -> None:
        frame = int(min(max(frame, 0), self.frame_count - 1))
        self.frame = frame
        for w in (self.slider, self.spin):
            if w.value() != frame:
                w.blockSignals(True)
                w.setValue(frame)
                w.blockSignals(False)
        self.plots.set_playhead(frame)
        self._request_id += 1
        self.frames.request(frame, self._request_id)

    def step_worst(self, direction: int) -> None:
        target = next_worst(self.worst, self.frame, direction)
        if target is not None:
            self.seek(target)

    def toggle_play(self) -> None:
        if self.timer.isActive():
            self.timer.stop()
            self.play.setText("play")
        else:
            if self.frame >= self.frame_count - 1:
                self.seek(0)
            self.timer.start()
            self.play.setText("pause")

    def _on_tick(self) -> None:
        if self._shown is None or self._shown[0] != self.frame:
            return                       # the last frame is still being drawn
        if self.frame >= self.frame_count - 1:
            self.toggle_play()
            return
        self.seek(self.frame + 1)

    # ---------------------------------------------------------------- results

    def _on_scores_updated(self) -> None:
        self.table = self.runner.table
        self.plots.update_table(self.table)
        p = self.runner.progress
        if p is not None and self.result is None:
            self.status.setText(f"scoring... {p.done} of {p.total} frames")

    def _on_scoring_finished(self, result) -> None:
        self.result, self.table = result, result.table
        self.plots.set_metrics(plot_groups(list(result.table.keys)), 0, self.frame_count)
        self.plots.update_table(result.table)
        self.plots.set_playhead(self.frame)
        self.worst = least_stable(result.table, WORST_LISTED)
        base, _ = instability(result.table)
        listed = ", ".join(str(f) for f in self.worst[:8])
        self.status.setText(f"{result.table.count} frames scored ({result.status}, {result.elapsed:.1f} s); "
                            f"least stable by {base}: {listed or 'none'} (N/P to step)")
        self._redraw()
        self.scoring_finished.emit(result)

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"error: {message}")

    @property
    def shown_frame(self) -> int | None:
        """The frame on screen; None until the first picture."""
        return self._shown[0] if self._shown is not None else None

    def _on_frame_ready(self, maps, rgb, request_id: int) -> None:
        if request_id != self._request_id:
            return                       # superseded by a later seek
        self._shown = (maps.index, maps, rgb)
        self._redraw()
        self.frame_displayed.emit(maps.index)

    def _on_style_changed(self) -> None:
        self.style_ = OverlayStyle(self.show_pred.isChecked(), self.show_gt.isChecked(),
                                   contours=self.contours.isChecked())
        self._redraw()

    def _redraw(self) -> None:
        if self._shown is None:
            return
        frame, maps, rgb = self._shown
        self.overlay_view.set_image(compose(rgb, maps.pred, maps.gt, self.style_), f"frame {frame}")
        name = self.map_choice.currentText()
        values, caption = self._map_values(name, maps)
        if values is None:
            self.map_view.set_image(None, caption)
        else:
            self.map_view.set_image(heatmap(values, map_top(name)), caption)

    def _map_values(self, name: str, maps) -> tuple[np.ndarray | None, str]:
        if name in CLIP_MAPS:
            if self.result is None:
                return None, f"{name}: after scoring"
            return self.result.maps.get(CLIP_MAPS[name]), f"{name} (whole clip)"
        values = getattr(maps, name, None)
        return values, (name if values is not None else f"{name}: none on frame {maps.index}")

    # ---------------------------------------------------------------- closing

    def shutdown(self, timeout: float = 10.0) -> None:
        self.timer.stop()
        self.runner.stop(timeout)
        self.frames.stop(timeout)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)


def show_mask_window(inputs: MaskInputs, options: MaskOptions, parent: QWidget | None = None) -> MaskWindow:
    """The mask mode on opened inputs (``vqinspect.app.masks.scorer.open_mask_inputs``), shown."""
    window = MaskWindow(inputs, options, parent)
    window.resize(1280, 900)
    window.show()
    return window
