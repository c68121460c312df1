"""The view toolbar: mode buttons and the current mode's controls, bound to the models.

Controls write through ViewSettings / Viewport methods and follow their ``changed``
events, so keys, menus and the toolbar always agree.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QSizePolicy, QSlider,
                               QToolBar, QWidget)

from vqinspect.app.display.heatmap import colormaps
from vqinspect.app.inspector.view_state import MODE_LABELS, MODES, Viewport, ViewSettings


class ViewToolbar(QToolBar):
    """Modes (1-5), per-mode settings, and zoom (fit / 1:1 / current zoom)."""

    def __init__(self, settings: ViewSettings, viewport: Viewport, parent: QWidget | None = None):
        super().__init__("View", parent)
        self.setObjectName("view_toolbar")
        self.settings, self.viewport = settings, viewport
        self.mode_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for i, mode in enumerate(MODES, start=1):
            action = QAction(MODE_LABELS[mode], self)
            action.setCheckable(True)
            action.setShortcut(str(i))
            action.setToolTip(f"{MODE_LABELS[mode]} ({i})")
            action.triggered.connect(lambda _=False, m=mode: settings.set_mode(m))
            group.addAction(action)
            self.addAction(action)
            self.mode_actions[mode] = action
        self.addSeparator()
        self._per_mode: dict[str, list[QAction]] = {m: [] for m in MODES}
        self._build_wipe()
        self._build_diff()
        self._build_heatmap()
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(spacer)
        self.fit_action = QAction("Fit", self)
        self.fit_action.setShortcut("Ctrl+0")
        self.fit_action.setToolTip("Fit the picture to the view (Ctrl+0, or double-click)")
        self.fit_action.triggered.connect(viewport.fit)
        self.actual_action = QAction("1:1", self)
        self.actual_action.setShortcut("Ctrl+1")
        self.actual_action.setToolTip("One image pixel per screen pixel (Ctrl+1)")
        self.actual_action.triggered.connect(viewport.actual_size)
        self.addAction(self.fit_action)
        self.addAction(self.actual_action)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(80)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.addWidget(self.zoom_label)
        settings.changed.connect(self._on_settings_changed)
        viewport.changed.connect(self._on_viewport_changed)
        self._on_settings_changed("mode")
        self._on_viewport_changed()

    def _add(self, mode: str, widget: QWidget) -> None:
        self._per_mode[mode].append(self.addWidget(widget))

    def _build_wipe(self) -> None:
        s = self.settings
        self.wipe_orientation = QComboBox()
        self.wipe_orientation.addItems(["Vertical line", "Horizontal line"])
        self.wipe_orientation.currentIndexChanged.connect(lambda i: s.set_wipe_vertical(i == 0))
        self.wipe_follow = QCheckBox("Follows mouse")
        self.wipe_follow.setChecked(s.wipe_follows_mouse)
        self.wipe_follow.setToolTip("Unchecked: drag the line to move it")
        self.wipe_follow.toggled.connect(s.set_wipe_follows_mouse)
        self._add("wipe", self.wipe_orientation)
        self._add("wipe", self.wipe_follow)
        self._add("ab", QLabel("T flips reference / distorted"))

    def _build_diff(self) -> None:
        s = self.settings
        self.diff_kind = QComboBox()
        self.diff_kind.addItems(["Luma", "RGB"])
        self.diff_kind.currentIndexChanged.connect(lambda i: s.set_diff_kind("luma" if i == 0 else "rgb"))
        self.diff_gain = QDoubleSpinBox()
        self.diff_gain.setRange(0.5, 64.0)
        self.diff_gain.setSingleStep(1.0)
        self.diff_gain.setPrefix("gain ×")
        self.diff_gain.setValue(s.diff_gain)
        self.diff_gain.setKeyboardTracking(False)
        self.diff_gain.valueChanged.connect(s.set_diff_gain)
        self._add("diff", self.diff_kind)
        self._add("diff", self.diff_gain)

    def _build_heatmap(self) -> None:
        s = self.settings
        self.map_choice = QComboBox()
        self.map_choice.setMinimumContentsLength(18)
        self.map_choice.setToolTip("Metric map drawn over the distorted frame")
        self.map_choice.currentIndexChanged.connect(self._on_map_chosen)
        self.colormap_choice = QComboBox()
        self.colormap_choice.addItems(list(colormaps()))
        self.colormap_choice.setCurrentText(s.colormap)
        self.colormap_choice.currentTextChanged.connect(s.set_colormap)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setFixedWidth(110)
        self.opacity.setValue(round(s.opacity * 100))
        self.opacity.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.opacity.valueChanged.connect(lambda v: s.set_opacity(v / 100))
        self.lock = QCheckBox("Lock levels")
        self.lock.setToolTip("Keep this frame's colour range while moving through the clip")
        self._add("heatmap", self.map_choice)
        self._add("heatmap", self.colormap_choice)
        self._add("heatmap", QLabel("opacity"))
        self._add("heatmap", self.opacity)
        self._add("heatmap", self.lock)

    def set_maps(self, keys: list[tuple[str, str]], preferred: str | None = None) -> None:
        """The (metric, map) choices; picks ``preferred`` map name if offered."""
        self.map_choice.blockSignals(True)
        self.map_choice.clear()
        for metric, name in keys:
            self.map_choice.addItem(f"{metric}: {name.replace('_', ' ')}", (metric, name))
        self.map_choice.blockSignals(False)
        if not keys:
            self.settings.set_map(None)
            return
        names = [n for _, n in keys]
        index = names.index(preferred) if preferred in names else 0
        self.map_choice.setCurrentIndex(index)
        self._on_map_chosen(index)

    def _on_map_chosen(self, index: int) -> None:
        self.settings.set_map(self.map_choice.itemData(index) if index >= 0 else None)

    def _on_settings_changed(self, name: str) -> None:
        s = self.settings
        if name == "mode":
            self.mode_actions[s.mode].setChecked(True)
            for mode, actions in self._per_mode.items():
                for action in actions:
                    action.setVisible(mode == s.mode)
        elif name == "colormap" and self.colormap_choice.currentText() != s.colormap:
            self.colormap_choice.setCurrentText(s.colormap)
        elif name == "locked_levels":
            self.lock.blockSignals(True)
            self.lock.setChecked(s.locked_levels is not None)
            self.lock.blockSignals(False)
        elif name == "diff_gain":
            self.diff_gain.setValue(s.diff_gain)
        elif name == "diff_kind":
            self.diff_kind.setCurrentIndex(0 if s.diff_kind == "luma" else 1)
        elif name == "map_key":
            keys = [self.map_choice.itemData(i) for i in range(self.map_choice.count())]
            index = keys.index(s.map_key) if s.map_key in keys else -1
            if index >= 0 and index != self.map_choice.currentIndex():
                self.map_choice.blockSignals(True)
                self.map_choice.setCurrentIndex(index)
                self.map_choice.blockSignals(False)
        elif name == "opacity":
            self.opacity.setValue(round(s.opacity * 100))
        elif name == "wipe_vertical":
            self.wipe_orientation.setCurrentIndex(0 if s.wipe_vertical else 1)
        elif name == "wipe_follows_mouse":
            self.wipe_follow.setChecked(s.wipe_follows_mouse)

    def _on_viewport_changed(self) -> None:
        vp = self.viewport
        self.zoom_label.setText(f"{'fit ' if vp.fitted else ''}{vp.scale * 100:.0f}%")
