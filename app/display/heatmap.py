"""Metric maps as pictures: colormaps, levels, direction, and where a map sits on the frame.

Maps come at any resolution (full size, downscaled, tiles, cropped to a filter's valid
region); ``placement`` works out the rectangle of the frame they cover so that the
overlay and the pixel inspector agree with the metric about where each value belongs.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from vqinspect.metrics.registry import find_map_info
from numba import njit

DEFAULT_COLORMAP = "inferno"


@lru_cache(maxsize=None)
def colormaps() -> dict[str, np.ndarray]:
    """Every shipped colormap: name -> 256 x 3 uint8 sRGB table (perceptually uniform)."""
    text = resources.files("vqinspect.resources").joinpath("colormaps.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {k: np.asarray(v, dtype=np.uint8) for k, v in data.items() if not k.startswith("_")}


def colormap(name: str) -> np.ndarray:
    try:
        return colormaps()[name]
    except KeyError:
        raise KeyError(f"unknown colormap {name!r} (known: {', '.join(colormaps())})") from None


@dataclass(frozen=True)
class MapStyle:
    """How to read a map: which end is bad, and a fixed range when one makes sense."""

    higher_is_worse: bool
    fixed_levels: tuple[float, float] | None = None
    unit: str = ""


def map_style(name: str) -> MapStyle:
    """How the registry says map ``name`` reads (``METRIC:MAP`` or a map name)."""
    info = find_map_info(name)
    if info is None:
        return MapStyle(True)
    return MapStyle(info.higher_is_worse, info.value_range, info.unit)


def auto_levels(values: np.ndarray, style: MapStyle) -> tuple[float, float]:
    """Robust display range: the 1st..99th percentile of the finite values, widened to
    the style's fixed range when it has one; never an empty range."""
    if style.fixed_levels is not None:
        return style.fixed_levels
    v = values[np.isfinite(values)]
    if v.size == 0:
        return 0.0, 1.0
    step = max(1, v.size // 200_000)          # a subsample is plenty for percentiles
    lo, hi = (float(x) for x in np.percentile(v[::step], (1, 99)))
    if style.higher_is_worse:
        lo = min(lo, 0.0) if float(v.min()) >= 0 else lo
    if not hi > lo:
        hi = lo + (abs(lo) * 1e-3 or 1.0)
    return lo, hi


@njit(cache=True, nogil=True)
def _colorize(values, lut, lo, hi, out):
    h, w = values.shape
    n = lut.shape[0]
    scale = (n - 1) / (hi - lo)
    for r in range(h):
        vr, o = values[r], out[r]
        for c in range(w):
            x = vr[c]
            if not np.isfinite(x):
                o[c, 3] = 0
                continue
            i = int((x - lo) * scale + 0.5)
            i = 0 if i < 0 else (n - 1 if i > n - 1 else i)
            o[c, 0] = lut[i, 0]
            o[c, 1] = lut[i, 1]
            o[c, 2] = lut[i, 2]
            o[c, 3] = 255


def colorize(values: np.ndarray, lut: np.ndarray, levels: tuple[float, float],
             reverse: bool = False) -> np.ndarray:
    """Map values -> H x W x 4 uint8 RGBA through ``lut``; NaN is transparent.

    ``reverse`` flips the table, so that the bright end always marks the worse values.
    """
    table = np.ascontiguousarray(lut[::-1] if reverse else lut)
    out = np.zeros(values.shape + (4,), dtype=np.uint8)
    _colorize(np.ascontiguousarray(values, dtype=np.float32), table, float(levels[0]),
              float(levels[1]), out)
    return out


@dataclass(frozen=True)
class Placement:
    """The rectangle of the frame (luma pixel units) that a map's samples cover."""

    x: float
    y: float
    width: float
    height: float

    def sample_at(self, map_shape: tuple[int, int], px: float, py: float) -> tuple[int, int] | None:
        """Map (row, col) under frame pixel centre (px, py), or None outside the map."""
        mh, mw = map_shape
        col = math.floor((px + 0.5 - self.x) * mw / self.width)
        row = math.floor((py + 0.5 - self.y) * mh / self.height)
        if 0 <= row < mh and 0 <= col < mw:
            return row, col
        return None


def placement(frame_size: tuple[int, int], map_shape: tuple[int, int]) -> Placement:
    """Where a ``map_shape`` (rows, cols) map lies on a ``frame_size`` (w, h) frame.

    A map on a square grid from the origin (tiles, decimations: each axis holds n // f
    or ceil(n / f) samples of f pixels for one common f) is drawn from 0 with that f.
    Otherwise, per axis, with f the whole number of frame pixels per map sample:
    - maps that start at the frame's origin (downscaled by f, tiles of f pixels) are drawn
      from 0, their last sample overhanging or falling short of the edge by less than f;
    - maps short by more than one sample lost a filter's border on both sides (SSIM's
      valid region) and are centred;
    - anything else is stretched over the frame.
    """
    (fw, fh), (mh, mw) = frame_size, map_shape
    square = _grid_factor(fw, fh, mw, mh)
    if square is not None:
        return Placement(0.0, 0.0, float(mw * square), float(mh * square))
    x, width = _axis(fw, mw)
    y, height = _axis(fh, mh)
    return Placement(x, y, width, height)


def _grid_factor(fw: int, fh: int, mw: int, mh: int) -> int | None:
    """Partial last samples (ceil: tiles, ADM's (n+1)//2) are tried before dropped ones
    (floor: VIF's n//2); where both fit, the tiles' reading is the one metrics use."""
    candidates = range(max(1, fw // mw - 1), fw // max(mw - 1, 1) + 2)
    for count in (lambda n, f: -(-n // f), lambda n, f: n // f):
        for f in candidates:
            if count(fw, f) == mw and count(fh, f) == mh:
                return f
    return None


def _axis(n: int, m: int) -> tuple[float, float]:
    factor = max(1, round(n / m))
    span = m * factor
    short = n - span
    if short < factor:
        return 0.0, float(span)
    if short <= 12 * factor:
        return short / 2.0, float(span)
    return 0.0, float(n)
