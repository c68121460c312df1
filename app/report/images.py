"""Pictures of a frame for reports, without Qt: crops of the reference, the distorted clip,
their luma difference and a metric heatmap (plus what its colour bar shows), as PNG bytes.

The crop is the same region in all four pictures, centred on the worst area of the frame
(from the metric map, or the difference when there is none) and cut 1:1, so coding
artifacts stay visible. Colours go through ``vqinspect.app.display.screen`` (the clip's matrix and range)
and ``vqinspect.app.display.heatmap`` (the shipped perceptually uniform colormaps), as in the inspector.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vqinspect.app.display import screen, heatmap, scope_figure
from vqinspect.app.scoring.engine import colour_description
from vqinspect.app.scoring.map_input import map_frame_input
from vqinspect.app.scoring.spatial import crop_planes
from vqinspect.metrics.registry import Metric

CROP_SIZE = (480, 270)
DIFF_GAIN = 4.0
LOCATOR_WIDTH = 192
NO_DATA = (170, 170, 170)     # light grey: no inferno/viridis/magma colour is neutral


@dataclass(frozen=True)
class Crop:
    x: int
    y: int
    width: int
    height: int

    def label(self, frame_size: tuple[int, int]) -> str:
        if (self.width, self.height) == tuple(frame_size):
            return f"full frame {self.width}x{self.height}"
        return (f"{self.width}x{self.height} at ({self.x}, {self.y}) "
                f"of {frame_size[0]}x{frame_size[1]}")


@dataclass(frozen=True)
class ColorBar:
    """How a heatmap's colours read: ``levels`` span the table; the bright end is worse."""

    colormap: str
    levels: tuple[float, float]
    higher_is_worse: bool
    unit: str = ""

    @property
    def best_worst(self) -> tuple[float, float]:
        """The values at the dark (best) and bright (worst) ends."""
        lo, hi = self.levels
        return (lo, hi) if self.higher_is_worse else (hi, lo)

    def ramp_png(self) -> bytes:
        """The colour table as a 256 x 1 PNG, best (dark) end on the left."""
        return encode_png(heatmap.colormap(self.colormap)[None, :, :])


@dataclass(frozen=True)
class Panel:
    """One picture of a report row: a title, the PNG, a line saying what it shows and,
    for heatmaps, the colour bar to draw beside it."""

    title: str
    png: bytes
    caption: str = ""
    colorbar: ColorBar | None = None


@dataclass(frozen=True)
class FramePanels:
    frame: int
    crop: Crop
    frame_size: tuple[int, int]
    panels: tuple[Panel, ...]
    locator: bytes = b""              # small full-frame picture with the crop outlined


def encode_png(rgb: np.ndarray) -> bytes:
    """H x W x 3 uint8 RGB -> PNG bytes (lossless: the crops show codec artifacts as they are)."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise ValueError("PNG encoding failed")
    return buf.tobytes()


class ReportImageRenderer:
    """Renders ``FramePanels`` for reference frames of ``pair``; one instance per thread.

    ``map_metric``/``map_name`` choose the heatmap (None: no heatmap panel).
    """

    def __init__(self, pair, map_metric: Metric | None = None, map_name: str | None = None, *,
                 colormap: str = heatmap.DEFAULT_COLORMAP, crop_size: tuple[int, int] = CROP_SIZE,
                 diff_gain: float = DIFF_GAIN, scope: str | None = None):
        self.pair = pair
        self.scope = scope            # a scope of vqinspect.app.display.scope_figure.KINDS, or None
        self.map_metric, self.map_name = (map_metric, map_name) if map_name else (None, None)
        self.lut = heatmap.colormap(colormap)
        self.colormap = colormap
        self.crop_size = crop_size
        self.diff_gain = diff_gain
        self.specs = screen.pair_color_specs(pair)
        self._readers = pair.readers()
        self.levels: tuple[float, float] | None = None   # one colour scale for every frame, once prepared
        self._maps: dict[int, np.ndarray] = {}

    def prepare(self, frames: list[int]) -> None:
        """Compute the map of every frame to be rendered and take one colour scale over all of
        them, so that the heatmaps of a report compare (each frame's robust range, widened)."""
        if self.map_metric is None or not frames:
            return
        style = heatmap.map_style(self.map_name)
        ranges = []
        for frame in frames:
            ref, dist = self._planes(frame)
            self._maps[frame] = self._map(frame, ref, dist)
            ranges.append(heatmap.auto_levels(self._maps[frame], style))
        self.levels = (min(lo for lo, _ in ranges), max(hi for _, hi in ranges))

    def close(self) -> None:
        for reader in self._readers:
            reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def render(self, frame: int) -> FramePanels:
        """The four panels of reference frame ``frame`` (and its distorted partner)."""
        ref, dist = self._planes(frame)
        ref_rgb = screen.to_rgb(ref, self.specs[0])
        dist_rgb = screen.to_rgb(dist, self.specs[1])
        diff = screen.difference(ref, dist, ref_rgb, dist_rgb, self.diff_gain, "luma",
                                  self.pair.bit_depth)
        h, w = ref[0].shape
        values = self._maps.pop(frame) if frame in self._maps else self._map(frame, ref, dist)
        style = heatmap.map_style(self.map_name) if values is not None else None
        badness = _badness(values, style, (w, h)) if values is not None else _luma_error(ref, dist)
        crop = choose_crop((w, h), self.crop_size, badness)
        panels = [Panel("Reference", encode_png(_cut(ref_rgb, crop)), f"frame {frame}"),
                  Panel("Distorted", encode_png(_cut(dist_rgb, crop)),
                        f"frame {self.dist_frame(frame)}"),
                  Panel("|Difference|", encode_png(_cut(diff, crop)),
                        f"luma |ref − dist| ×{self.diff_gain:g}")]
        if values is not None:
            panels.append(self._heatmap_panel(values, style, crop, (w, h)))
        inside = choose_crop((crop.width, crop.height), _detail_size(crop), _cut(badness, crop))
        panels.append(_detail_panel(ref_rgb, dist_rgb, Crop(crop.x + inside.x, crop.y + inside.y,
                                                            inside.width, inside.height)))
        if self.scope is not None:
            picture, caption = scope_figure.report_picture(self.scope, ref, dist, *self.specs)
            panels.append(Panel(f"Scope: {self.scope} (whole frame)", encode_png(picture), caption))
        whole = (crop.width, crop.height) == (w, h)
        locator = b"" if whole else encode_png(_locator(dist_rgb, crop))
        return FramePanels(frame, crop, (w, h), tuple(panels), locator)

    def dist_frame(self, frame: int) -> int:
        """The distorted frame shown with reference ``frame`` (its matched counterpart, if any)."""
        matched = self.pair.counterpart(frame)
        return frame + self.pair.offset if matched is None else matched

    def _planes(self, frame: int) -> tuple[tuple, tuple]:
        """Both clips' planes of reference ``frame`` as the metrics see them (inside the pair's crop)."""
        crop = self.pair.crop
        return (crop_planes(self._readers[0].frame(frame), crop and crop.reference),
                crop_planes(self._readers[1].frame(self.dist_frame(frame)), crop and crop.distorted))

    def _map(self, frame: int, ref: tuple, dist: tuple) -> np.ndarray | None:
        if self.map_metric is None:
            return None
        crop = self.pair.crop and self.pair.crop.reference
        data = map_frame_input(self.map_metric, frame, ref, dist, self.pair.bit_depth,
                               lambda k: crop_planes(self._readers[0].frame(k), crop),
                               colour_description(self.pair.reference))
        return np.asarray(self.map_metric.compute_map(data, self.map_name), dtype=np.float32)

    def _heatmap_panel(self, values: np.ndarray, style: heatmap.MapStyle, crop: Crop,
                       frame_size: tuple[int, int]) -> Panel:
        levels = self.levels or heatmap.auto_levels(values, style)
        on_frame = map_on_frame(values, frame_size, crop)
        rgba = heatmap.colorize(on_frame, self.lut, levels, reverse=not style.higher_is_worse)
        rgb = rgba[..., :3].copy()
        rgb[rgba[..., 3] == 0] = NO_DATA
        worse = "higher" if style.higher_is_worse else "lower"
        caption = f"{self.colormap}, bright = worse ({worse} values)"
        if self.levels is not None:
            caption += "; one scale for the whole report"
        if not np.isfinite(on_frame).all():
            caption += "; grey: no values (the filter's border)"
        bar = ColorBar(self.colormap, (float(levels[0]), float(levels[1])), style.higher_is_worse, style.unit)
        name = self.map_name if self.map_name == self.map_metric.name else f"{self.map_metric.name} {self.map_name}"
        return Panel(f"Heatmap: {name}", encode_png(rgb), caption, bar)


def map_on_frame(values: np.ndarray, frame_size: tuple[int, int], crop: Crop) -> np.ndarray:
    """The map sampled at every frame pixel of ``crop`` (nearest sample; NaN outside the map)."""
    place = heatmap.placement(frame_size, values.shape)
    mh, mw = values.shape
    cols = np.floor((np.arange(crop.x, crop.x + crop.width) + 0.5 - place.x) * mw / place.width)
    rows = np.floor((np.arange(crop.y, crop.y + crop.height) + 0.5 - place.y) * mh / place.height)
    cols, rows = cols.astype(np.int64), rows.astype(np.int64)
    out = np.full((crop.height, crop.width), np.nan, dtype=np.float32)
    cin, rin = (cols >= 0) & (cols < mw), (rows >= 0) & (rows < mh)
    out[np.ix_(rin, cin)] = values[np.ix_(rows[rin], cols[cin])]
    return out


def _badness(values: np.ndarray, style: heatmap.MapStyle, frame_size: tuple[int, int]) -> np.ndarray:
    """The map over the whole frame, oriented so that larger is worse, NaN as harmless."""
    full = map_on_frame(values, frame_size, Crop(0, 0, *frame_size))
    full = full if style.higher_is_worse else -full
    finite = np.isfinite(full)
    floor = float(full[finite].min()) if finite.any() else 0.0
    return np.where(finite, full, floor)


def _luma_error(ref: tuple, dist: tuple) -> np.ndarray:
    return np.abs(ref[0].astype(np.float32) - dist[0].astype(np.float32))


def choose_crop(frame_size: tuple[int, int], size: tuple[int, int], badness: np.ndarray) -> Crop:
    """A ``size`` window (the whole frame when smaller) centred where ``badness`` is highest
    on average over the window's central area."""
    fw, fh = frame_size
    cw, ch = min(size[0], fw), min(size[1], fh)
    if (cw, ch) == (fw, fh):
        return Crop(0, 0, fw, fh)
    kernel = (max(1, cw // 2) | 1, max(1, ch // 2) | 1)
    smooth = cv2.blur(badness.astype(np.float32), kernel, borderType=cv2.BORDER_REPLICATE)
    cy, cx = np.unravel_index(int(np.argmax(smooth)), smooth.shape)
    x = int(min(max(cx - cw // 2, 0), fw - cw))
    y = int(min(max(cy - ch // 2, 0), fh - ch))
    return Crop(x, y, cw, ch)


DETAIL_ZOOM = 2


def _detail_size(crop: Crop) -> tuple[int, int]:
    """A quarter of the crop's sides (at least 48 px): shown at 2x, beside each other."""
    return max(48, crop.width // 4), max(48, crop.height // 4)


def _detail_panel(ref_rgb: np.ndarray, dist_rgb: np.ndarray, detail: Crop) -> Panel:
    """The worst area of both clips with every pixel doubled, reference left, distorted right."""
    zoom = [np.repeat(np.repeat(_cut(rgb, detail), DETAIL_ZOOM, axis=0), DETAIL_ZOOM, axis=1)
            for rgb in (ref_rgb, dist_rgb)]
    gap = np.full((zoom[0].shape[0], 4, 3), 128, np.uint8)
    caption = f"reference | distorted, {detail.width}×{detail.height} at ({detail.x}, {detail.y}), pixels ×{DETAIL_ZOOM}"
    return Panel(f"Detail ×{DETAIL_ZOOM}", encode_png(np.concatenate([zoom[0], gap, zoom[1]], axis=1)), caption)


def _cut(image: np.ndarray, crop: Crop) -> np.ndarray:
    return image[crop.y:crop.y + crop.height, crop.x:crop.x + crop.width]


def _locator(rgb: np.ndarray, crop: Crop) -> np.ndarray:
    """A small copy of the frame with the crop outlined (where on the frame the row looks)."""
    h, w = rgb.shape[:2]
    scale = LOCATOR_WIDTH / w
    small = cv2.resize(rgb, (LOCATOR_WIDTH, max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    small = (small.astype(np.float32) * 0.6).astype(np.uint8)
    x0, y0 = round(crop.x * scale), round(crop.y * scale)
    x1, y1 = round((crop.x + crop.width) * scale) - 1, round((crop.y + crop.height) * scale) - 1
    cv2.rectangle(small, (x0, y0), (x1, y1), (255, 214, 0), 2)
    return small
