"""Temporal consistency of masks: flicker without flow, and flow-based consistency.

Every pair measure belongs to the later frame t of the pair (t-1, t), so that it sits on
the same frame as the picture it describes; frame 0 has none.

Without flow:
- consecutive IoU of the masks of t-1 and t (any label change counts);
- flips: pixels whose label differs between t-1 and t;
- VC_n (VSPW, VC_perclip.py): over the window of n frames ending at t, the share of the
  pixels whose ground truth keeps one label where the prediction keeps one label too.

With optical flow (Lai et al. 2018; VSPW's TC), in the backward direction so that the
values and maps live on frame t's grid: ``b`` is the flow from t to t-1 and ``f`` the flow
from t-1 to t. Mask t-1 is warped onto frame t by sampling it at x + b(x). A pixel is
occluded when the forward-backward check fails, |b + f~|^2 > 0.01 (|b|^2 + |f~|^2) + 0.5
(f~ is f sampled bilinearly at x + b(x)), or on a motion boundary,
|grad b_x|^2 + |grad b_y|^2 > 0.01 |b|^2 + 0.002 (forward differences), or when x + b(x)
falls outside the frame.
- temporal IoU: IoU of mask t and warped mask t-1 over the non-occluded pixels;
- warping error: mean over non-occluded pixels of (m_t - warp(m_{t-1}))^2, masks as 0/1
  (for label maps: the share of non-occluded pixels whose label differs), mattes as alpha.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numba import njit

from vqinspect.metrics._filters import JIT_OPTIONS

FLOW_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}

_F32 = np.float32


# ----------------------------------------------------------------------------- kernels

@njit(**JIT_OPTIONS)
def _occlusion(b, f, out):
    """Occluded (1) or not (0) for every pixel of the frame ``b`` starts from."""
    h, w = out.shape
    for y in range(h):
        for x in range(w):
            u, v = b[y, x, 0], b[y, x, 1]
            sx, sy = x + u, y + v
            if not (0.0 <= sx <= w - 1 and 0.0 <= sy <= h - 1):
                out[y, x] = 1
                continue
            x0 = min(int(sx), max(w - 2, 0))
            y0 = min(int(sy), max(h - 2, 0))
            ax, ay = sx - x0, sy - y0
            x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
            fu = ((1 - ay) * ((1 - ax) * f[y0, x0, 0] + ax * f[y0, x1, 0])
                  + ay * ((1 - ax) * f[y1, x0, 0] + ax * f[y1, x1, 0]))
            fv = ((1 - ay) * ((1 - ax) * f[y0, x0, 1] + ax * f[y0, x1, 1])
                  + ay * ((1 - ax) * f[y1, x0, 1] + ax * f[y1, x1, 1]))
            su, sv = u + fu, v + fv
            b2, f2 = u * u + v * v, fu * fu + fv * fv
            if su * su + sv * sv > 0.01 * (b2 + f2) + 0.5:
                out[y, x] = 1
                continue
            dux = u - b[y, x + 1, 0] if x < w - 1 else 0.0
            duy = u - b[y + 1, x, 0] if y < h - 1 else 0.0
            dvx = v - b[y, x + 1, 1] if x < w - 1 else 0.0
            dvy = v - b[y + 1, x, 1] if y < h - 1 else 0.0
            grad = dux * dux + duy * duy + dvx * dvx + dvy * dvy
            out[y, x] = 1 if grad > 0.01 * b2 + 0.002 else 0


@njit(**JIT_OPTIONS)
def _update_runs(prev, cur, runs):
    """runs[x] = frames in a row (ending now) with the same label; returns label changes."""
    h, w = cur.shape
    changed = 0
    for y in range(h):
        rp, rc, rr = prev[y], cur[y], runs[y]
        for x in range(w):
            if rp[x] == rc[x]:
                rr[x] += 1
            else:
                rr[x] = 1
                changed += 1
    return changed


@njit(**JIT_OPTIONS)
def _consistency(pred_runs, gt_runs, n):
    """(pixels where both runs reach n, pixels where the ground truth's run reaches n)."""
    h, w = gt_runs.shape
    both, stable = 0, 0
    for y in range(h):
        rp, rg = pred_runs[y], gt_runs[y]
        for x in range(w):
            if rg[x] >= n:
                stable += 1
                if rp[x] >= n:
                    both += 1
    return both, stable


@njit(**JIT_OPTIONS)
def _masked_squared_error(a, b, valid):
    """(sum of (a - b)^2 over valid pixels, number of valid pixels)."""
    h, w = a.shape
    total, n = 0.0, 0
    for y in range(h):
        ra, rb, rv = a[y], b[y], valid[y]
        for x in range(w):
            if rv[x]:
                d = np.float64(ra[x]) - np.float64(rb[x])
                total += d * d
                n += 1
    return total, n


@njit(**JIT_OPTIONS)
def _masked_disagreement(a, b, valid):
    """(valid pixels whose labels differ, valid pixels)."""
    h, w = a.shape
    diff, n = 0, 0
    for y in range(h):
        ra, rb, rv = a[y], b[y], valid[y]
        for x in range(w):
            if rv[x]:
                n += 1
                if ra[x] != rb[x]:
                    diff += 1
    return diff, n


# ----------------------------------------------------------------------------- without flow

def flips(prev: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """Pixels whose label differs between two label maps (bool)."""
    return prev != cur


class RunLengths:
    """How many frames in a row (ending at the current one) each pixel kept its label."""

    def __init__(self, first: np.ndarray):
        self.labels = first.copy()
        self.runs = np.ones(first.shape, dtype=np.int32)

    def push(self, labels: np.ndarray) -> int:
        """Advance by one frame; returns how many pixels changed label."""
        changed = _update_runs(self.labels, np.ascontiguousarray(labels), self.runs)
        self.labels = labels.copy()
        return int(changed)


def video_consistency(pred_runs: RunLengths, gt_runs: RunLengths, n: int = 8) -> float:
    """VC_n of the window of ``n`` frames ending at the current frame (NaN when no ground-truth
    pixel is stable over it, or fewer than n frames were pushed)."""
    both, stable = _consistency(pred_runs.runs, gt_runs.runs, n)
    return float(both) / stable if stable else float("nan")


# ----------------------------------------------------------------------------- flow

class FlowEstimator:
    """OpenCV's DIS optical flow on 8-bit luma; one per thread (the OpenCV object is stateful)."""

    def __init__(self, preset: str = "medium"):
        if preset not in FLOW_PRESETS:
            raise ValueError(f"unknown flow preset {preset!r} (known: {', '.join(FLOW_PRESETS)})")
        self.preset = preset
        self._dis = cv2.DISOpticalFlow_create(FLOW_PRESETS[preset])

    def __call__(self, frm: np.ndarray, to: np.ndarray) -> np.ndarray:
        """Flow from ``frm`` to ``to``: H x W x 2 float32, ``frm[y, x]`` moves to (x + u, y + v)."""
        return self._dis.calc(frm, to, None)


def luma8(plane: np.ndarray, bit_depth: int) -> np.ndarray:
    """A luma plane as contiguous uint8 (higher depths shifted down) for the flow."""
    if bit_depth > 8:
        plane = (plane >> (bit_depth - 8)).astype(np.uint8)
    return np.ascontiguousarray(plane)


@dataclass(frozen=True)
class PairFlow:
    """The flow of a frame pair seen from frame t: ``backward`` (t -> t-1), and the occlusion
    mask on frame t's grid (True where t's pixel cannot be traced back to t-1)."""

    backward: np.ndarray
    occluded: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        return ~self.occluded


def pair_flow(prev_luma: np.ndarray, luma: np.ndarray, estimator: FlowEstimator) -> PairFlow:
    """Backward and forward flow between t-1 and t, and the occlusion of frame t."""
    backward = estimator(luma, prev_luma)
    forward = estimator(prev_luma, luma)
    return PairFlow(backward, occlusion(backward, forward))


def occlusion(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Occluded pixels (bool) of the frame ``backward`` starts from; see the module doc."""
    _check_flow(backward, forward)
    out = np.empty(backward.shape[:2], dtype=np.uint8)
    _occlusion(np.ascontiguousarray(backward, dtype=_F32), np.ascontiguousarray(forward, dtype=_F32), out)
    return out.view(np.bool_)


@lru_cache(maxsize=4)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    gx, gy = np.meshgrid(np.arange(w, dtype=_F32), np.arange(h, dtype=_F32))
    gx.flags.writeable = gy.flags.writeable = False
    return gx, gy


def warp(image: np.ndarray, flow: np.ndarray, nearest: bool) -> np.ndarray:
    """``image`` sampled at x + flow(x): nearest for label maps, bilinear for mattes."""
    h, w = flow.shape[:2]
    gx, gy = _grid(h, w)
    mode = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    src = image.view(np.uint8) if image.dtype == np.bool_ else image
    return cv2.remap(src, gx + flow[..., 0], gy + flow[..., 1], mode, borderMode=cv2.BORDER_REPLICATE)


def warping_error(current: np.ndarray, warped_prev: np.ndarray, valid: np.ndarray) -> float:
    """Mean of (current - warped)^2 over valid pixels (NaN if none); values as given."""
    total, n = _masked_squared_error(current, warped_prev, _u8(valid))
    return total / n if n else float("nan")


def label_disagreement(current: np.ndarray, warped_prev: np.ndarray, valid: np.ndarray) -> float:
    """Share of valid pixels whose label differs from the warped label (NaN if none)."""
    diff, n = _masked_disagreement(current, warped_prev, _u8(valid))
    return diff / n if n else float("nan")


def warped_residual(current: np.ndarray, warped_prev: np.ndarray, occluded: np.ndarray) -> np.ndarray:
    """|m_t - warp(m_{t-1})| per pixel as float32 (label maps: 1 where labels differ), NaN where
    occluded: the map to grey out."""
    if np.issubdtype(current.dtype, np.floating):
        out = np.abs(current.astype(_F32) - warped_prev.astype(_F32))
    else:
        out = (current != warped_prev).astype(_F32)
    out[occluded] = np.nan
    return out


def _u8(mask: np.ndarray) -> np.ndarray:
    mask = np.ascontiguousarray(mask)
    return mask.view(np.uint8) if mask.dtype == np.bool_ else mask


def _check_flow(a: np.ndarray, b: np.ndarray) -> None:
    if a.ndim != 3 or a.shape[2] != 2 or a.shape != b.shape:
        raise ValueError(f"flows must be H x W x 2 and of one size, got {a.shape} and {b.shape}")
