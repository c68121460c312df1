"""The picture area: one or two FrameViews and the colour bar, arranged by view mode.

It turns the latest FrameImages / MapImage into what each pane draws for the current
mode, and re-arranges when ViewSettings change. Both panes share one Viewport.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QHBoxLayout, QWidget

from vqinspect.app.inspector.frame_service import FrameImages, MapImage
from vqinspect.app.display.heatmap import colormap
from vqinspect.app.inspector.view_state import Viewport, ViewSettings
from vqinspect.widgets.colorbar import ColorBar
from vqinspect.widgets.frame_view import FrameView, rgb_image

DROP_HINT = ("Drop a reference and a distorted clip here (reference first),\n"
             "or use File > Open Reference… and File > Open Distorted…")


class ViewArea(QWidget):
    """Side-by-side, wipe, A/B, difference and heatmap presentation of the current frame."""

    hovered = Signal(object)     # image pixel (x, y) or None

    def __init__(self, viewport: Viewport, settings: ViewSettings, parent: QWidget | None = None):
        super().__init__(parent)
        self.viewport, self.settings = viewport, settings
        self.left = FrameView(viewport, settings)
        self.right = FrameView(viewport, settings)
        self.colorbar = ColorBar()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.left, 1)
        layout.addWidget(self.right, 1)
        layout.addWidget(self.colorbar)
        for view in (self.left, self.right):
            view.hovered.connect(self.hovered)
        self.images: FrameImages | None = None
        self.map: MapImage | None = None
        self.names = ("reference", "distorted")
        self._ref = self._dist = self._diff = self._overlay = None
        self.left.set_placeholder(DROP_HINT)
        settings.changed.connect(self._on_settings_changed)
        self._arrange()

    def set_names(self, reference: str | None, distorted: str | None) -> None:
        self.names = (Path(reference).name if reference else "reference",
                      Path(distorted).name if distorted else "distorted")

    def clear(self, placeholder: str = DROP_HINT) -> None:
        self.images, self.map = None, None
        self._ref = self._dist = self._diff = self._overlay = None
        self.left.set_placeholder(placeholder)
        self.left.set_content(None)
        self.right.set_content(None)
        self.left.set_overlay(None)
        self.colorbar.hide()

    def show_frame(self, images: FrameImages) -> None:
        """New pictures for the current frame (the map, if any, is kept until replaced)."""
        if images.error:
            return
        self.images = images
        self._ref, self._dist = rgb_image(images.ref_rgb), rgb_image(images.dist_rgb)
        self._diff = rgb_image(images.diff_rgb) if images.diff_rgb is not None else None
        h, w = images.ref_rgb.shape[:2]
        self.viewport.set_image_size(w, h)
        self._arrange()

    def show_map(self, map_image: MapImage | None) -> None:
        self.map = map_image
        self._overlay = None
        if map_image is not None and map_image.rgba is not None:
            self._overlay = rgb_image(map_image.rgba)
            spec = map_image.request.heatmap
            style = map_image.style
            self.colorbar.set_map(spec.metric, spec.map.replace("_", " "), colormap(spec.colormap),
                                  map_image.levels, style.higher_is_worse, style.unit)
        self._arrange()

    def _on_settings_changed(self, name: str) -> None:
        if name in ("mode", "showing_reference", "diff_kind", "diff_gain", "wipe_vertical"):
            self._arrange()
        else:
            self.left.update()
            self.right.update()

    def _arrange(self) -> None:
        """Give each pane what the mode shows."""
        mode = self.settings.mode
        self.right.setVisible(mode == "side-by-side" and self._ref is not None)
        self.colorbar.setVisible(mode == "heatmap" and self._overlay is not None)
        ref_name, dist_name = self.names
        if self._ref is None:
            return
        self.left.set_overlay(None)
        if mode == "side-by-side":
            self.left.set_content(self._ref, labels=(f"Reference · {ref_name}", ""))
            self.right.set_content(self._dist, labels=(f"Distorted · {dist_name}", ""))
        elif mode == "wipe":
            self.left.set_content(self._ref, self._dist, (f"Reference · {ref_name}",
                                                          f"Distorted · {dist_name}"), wipe=True)
        elif mode == "ab":
            showing_ref = self.settings.showing_reference
            label = f"A · Reference · {ref_name}" if showing_ref else f"B · Distorted · {dist_name}"
            self.left.set_content(self._ref if showing_ref else self._dist, labels=(label, ""))
        elif mode == "diff":
            s = self.settings
            what = "luma" if s.diff_kind == "luma" else "RGB"
            label = f"|reference − distorted| {what} × {s.diff_gain:g}"
            if self._diff is not None:
                self.left.set_content(self._diff, labels=(label, ""))
        elif mode == "heatmap":
            self._arrange_heatmap(dist_name)

    def _arrange_heatmap(self, dist_name: str) -> None:
        m = self.map
        current = (m is not None and self.images is not None
                   and m.request.frame == self.images.request.frame)
        if self.settings.map_key is None:
            label = "Distorted · no metric map available"
        elif current and m.error:
            label = m.error
        elif current:
            label = f"Distorted + {m.request.heatmap.map.replace('_', ' ')} map"
        else:
            label = f"Distorted · computing {self.settings.map_key[1].replace('_', ' ')} map…"
        self.left.set_content(self._dist, labels=(label, ""))
        self.colorbar.setVisible(current and self._overlay is not None)
        if current and self._overlay is not None and m.placement is not None:
            pl = m.placement
            self.left.set_overlay(self._overlay, QRectF(pl.x, pl.y, pl.width, pl.height))
