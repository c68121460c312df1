"""What the mask mode draws, without Qt: the source with the masks as coloured overlays and
contours, the heatmaps (occluded pixels greyed), which frames are worst, and the plots.

All images are H x W x 3 uint8 RGB at the clip's size.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vqinspect.app.display.heatmap import colorize, colormap

PRED_RGB = (255, 64, 64)       # prediction: red fill and contour
GT_RGB = (64, 255, 96)         # ground truth: green contour
GREY = (96, 96, 96)            # occluded (no flow information)
KIND_NAMES = {"binary": "binary masks", "alpha": "alpha mattes", "labels": "label maps"}
ID_COLOURS = np.array([(255, 64, 64), (64, 160, 255), (255, 200, 40), (200, 90, 255),
                       (40, 220, 200), (255, 130, 30), (150, 255, 60), (255, 90, 180)], np.uint8)

# The heatmaps the mask mode offers: name -> (FrameMaps/clip map attribute, what it shows).
HEATMAPS = {
    "residual": "|m_t - warp(m_t-1)| of the prediction (grey: occluded)",
    "gt_residual": "the same for the ground truth (what the flow alone gets wrong)",
    "error": "|prediction - ground truth| of this frame",
    "flips": "prediction changed since t-1 where the ground truth did not",
    "window_flips": "per-pixel rate of such flips over the VC window ending here",
    "error_rate": "share of frames the prediction is wrong at each pixel (whole clip)",
    "flip_count": "spurious flips per pixel over the whole clip",
}

# Plot groups: (title, keys); the ground truth's own value is drawn beside the prediction's.
@dataclass(frozen=True)
class OverlayStyle:
    show_pred: bool = True
    show_gt: bool = True
    fill_opacity: float = 0.45
    contours: bool = True


def contour(mask: np.ndarray) -> np.ndarray:
    """The inner 1-pixel outline of a binary mask (bool)."""
    m = np.ascontiguousarray(mask, dtype=np.uint8)
    return (m > 0) & (cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_CONSTANT,
                                borderValue=0) == 0)


def compose(source_rgb: np.ndarray | None, pred: np.ndarray, gt: np.ndarray | None,
            style: OverlayStyle = OverlayStyle()) -> np.ndarray:
    """The source (or black) with the prediction filled and outlined in red (one colour per id
    for label maps) and the ground truth outlined in green."""
    h, w = pred.shape
    out = (np.zeros((h, w, 3), np.uint8) if source_rgb is None else source_rgb.copy())
    if style.show_pred:
        colours = _fill_colours(pred)
        fg = pred != 0
        a = np.float32(style.fill_opacity)
        out[fg] = (out[fg] * (1 - a) + colours[fg] * a).astype(np.uint8)
        if style.contours:
            for k in _ids(pred):
                edge = contour(pred == k)
                out[edge] = colours[edge]
    if style.show_gt and gt is not None:
        for k in _ids(gt):
            out[contour(gt == k)] = GT_RGB
    return out


def _ids(labels: np.ndarray) -> list[int]:
    return [int(k) for k in np.nonzero(np.bincount(labels.ravel()))[0] if k != 0]


def _fill_colours(labels: np.ndarray) -> np.ndarray:
    if labels.max(initial=0) <= 1:
        out = np.empty(labels.shape + (3,), np.uint8)
        out[...] = PRED_RGB
        return out
    return ID_COLOURS[(labels.astype(np.int64) - 1) % len(ID_COLOURS)]


def short_name(path: str) -> str:
    """A clip's name for titles: the file name, with its folder for image-sequence patterns."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if "%" in p.name else p.name


def heatmap(values: np.ndarray, top: float | None = None, name: str = "inferno") -> np.ndarray:
    """A map as RGB through ``name`` (bright = worse) on [0, top] (default: its maximum, at
    least 1e-6); NaN (occluded) is grey."""
    finite = values[np.isfinite(values)]
    if top is None:
        top = max(float(finite.max()) if finite.size else 0.0, 1e-6)
    rgba = colorize(values.astype(np.float32, copy=False), colormap(name), (0.0, top))
    out = rgba[..., :3].copy()
    out[rgba[..., 3] == 0] = GREY
    return out


def map_top(name: str) -> float | None:
    """Fixed levels where a map has a natural range: [0, 1] for per-frame masks and residuals."""
    return 1.0 if name in ("residual", "gt_residual", "error", "flips") else None


def next_worst(worst: list[int], current: int, direction: int) -> int | None:
    """The next (direction 1) or previous (-1) frame of the worst list relative to ``current``:
    from a frame not in the list, the worst one (or the last of the list going back)."""
    if not worst:
        return None
    if current not in worst:
        return worst[0] if direction > 0 else worst[-1]
    i = worst.index(current) + direction
    return worst[i] if 0 <= i < len(worst) else None
