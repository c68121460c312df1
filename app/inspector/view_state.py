"""What the viewer shows and how: view mode and its settings, and the shared viewport.

Both are Qt-free models: widgets read them, listen to ``changed`` and write back
through their methods, so every view that shares a Viewport zooms and pans together.
"""
from __future__ import annotations

from vqinspect.app.shared.events import Event
from vqinspect.app.inspector.frame_service import DiffSpec, MapSpec
from vqinspect.app.display.heatmap import DEFAULT_COLORMAP

MODES = ("side-by-side", "wipe", "ab", "diff", "heatmap")
MODE_LABELS = {"side-by-side": "Side by side", "wipe": "Wipe", "ab": "A/B",
               "diff": "Difference", "heatmap": "Heatmap"}
MIN_SCALE, MAX_SCALE = 1 / 32, 64.0


class ViewSettings:
    """The view mode and each mode's settings; ``changed(name)`` after every change."""

    def __init__(self):
        self.changed = Event()
        self.mode = "side-by-side"
        self.wipe_position = 0.5          # fraction of the image width (or height)
        self.wipe_vertical = True         # True: a vertical line, reference on the left
        self.wipe_follows_mouse = True
        self.showing_reference = True     # A/B: which clip is on screen
        self.diff_gain = 4.0
        self.diff_kind = "luma"
        self.map_key: tuple[str, str] | None = None   # (metric, map)
        self.colormap = DEFAULT_COLORMAP
        self.opacity = 0.7
        self.locked_levels: tuple[float, float] | None = None
        self.screen_preview = True        # HDR10, HLG, BT.2020 converted for an SDR screen (vqinspect.app.display.hdr)

    def _set(self, name: str, value) -> None:
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.changed.emit(name)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown view mode {mode!r} (known: {', '.join(MODES)})")
        self._set("mode", mode)

    def set_wipe_position(self, fraction: float) -> None:
        self._set("wipe_position", min(1.0, max(0.0, float(fraction))))

    def set_wipe_vertical(self, vertical: bool) -> None:
        self._set("wipe_vertical", bool(vertical))

    def set_wipe_follows_mouse(self, follows: bool) -> None:
        self._set("wipe_follows_mouse", bool(follows))

    def toggle_ab(self) -> None:
        self._set("showing_reference", not self.showing_reference)

    def set_diff_gain(self, gain: float) -> None:
        self._set("diff_gain", max(0.1, float(gain)))

    def set_diff_kind(self, kind: str) -> None:
        if kind not in ("luma", "rgb"):
            raise ValueError("difference kind must be 'luma' or 'rgb'")
        self._set("diff_kind", kind)

    def set_map(self, key: tuple[str, str] | None) -> None:
        self._set("locked_levels", None)
        self._set("map_key", tuple(key) if key else None)

    def set_colormap(self, name: str) -> None:
        self._set("colormap", name)

    def set_opacity(self, opacity: float) -> None:
        self._set("opacity", min(1.0, max(0.0, float(opacity))))

    def lock_levels(self, levels: tuple[float, float] | None) -> None:
        self._set("locked_levels", tuple(levels) if levels else None)

    def set_screen_preview(self, on: bool) -> None:
        self._set("screen_preview", bool(on))

    def diff_spec(self) -> DiffSpec | None:
        """What a frame request must compute for the difference view (None elsewhere)."""
        return DiffSpec(self.diff_gain, self.diff_kind) if self.mode == "diff" else None

    def map_spec(self) -> MapSpec | None:
        if self.mode != "heatmap" or self.map_key is None:
            return None
        return MapSpec(self.map_key[0], self.map_key[1], self.colormap, self.locked_levels)


class Viewport:
    """Zoom and pan shared by synchronized views.

    ``scale`` is screen pixels per image pixel; ``center`` is the image point shown at
    the centre of every view. While ``fitted`` the scale follows the view size.
    """

    def __init__(self):
        self.changed = Event()
        self.image_size = (0, 0)
        self.view_size = (1, 1)
        self.scale = 1.0
        self.center = (0.0, 0.0)
        self.fitted = True

    def set_image_size(self, width: int, height: int) -> None:
        if (width, height) != self.image_size:
            self.image_size = (width, height)
            self.fit()

    def set_view_size(self, width: int, height: int) -> None:
        size = (max(1, width), max(1, height))
        if size != self.view_size:
            self.view_size = size
            if self.fitted:
                self.fit()

    def fit(self) -> None:
        iw, ih = self.image_size
        vw, vh = self.view_size
        if iw and ih:
            self.scale = _clamp(min(vw / iw, vh / ih))
            self.center = (iw / 2.0, ih / 2.0)
        self.fitted = True
        self.changed.emit()

    def actual_size(self) -> None:
        """1:1 — one image pixel per screen pixel, around the current centre."""
        self.scale = 1.0
        self.fitted = False
        self.changed.emit()

    def zoom_at(self, factor: float, view_x: float, view_y: float,
                view_size: tuple[int, int] | None = None) -> None:
        """Zoom by ``factor`` keeping the image point under (view_x, view_y) in place."""
        vw, vh = view_size or self.view_size
        px, py = self.view_to_image(view_x, view_y, (vw, vh))
        self.scale = _clamp(self.scale * factor)
        self.center = (px - (view_x - vw / 2.0) / self.scale, py - (view_y - vh / 2.0) / self.scale)
        self.fitted = False
        self.changed.emit()

    def pan(self, dx: float, dy: float) -> None:
        """Move the picture by (dx, dy) screen pixels."""
        cx, cy = self.center
        self.center = (cx - dx / self.scale, cy - dy / self.scale)
        self.fitted = False
        self.changed.emit()

    def image_to_view(self, x: float, y: float, view_size: tuple[int, int] | None = None):
        vw, vh = view_size or self.view_size
        return ((x - self.center[0]) * self.scale + vw / 2.0,
                (y - self.center[1]) * self.scale + vh / 2.0)

    def view_to_image(self, x: float, y: float, view_size: tuple[int, int] | None = None):
        vw, vh = view_size or self.view_size
        return ((x - vw / 2.0) / self.scale + self.center[0],
                (y - vh / 2.0) / self.scale + self.center[1])


def _clamp(scale: float) -> float:
    return min(MAX_SCALE, max(MIN_SCALE, scale))
