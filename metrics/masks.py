"""Accuracy of segmentation masks and alpha mattes against ground truth, one frame at a time.

Masks are label maps: 2-D integer arrays where 0 is background and every other value is
an object id (a binary mask is a label map with the single id 1). Mattes are float32
alpha in [0, 1].

Region and boundary measures follow DAVIS 2017 (davis2017-evaluation, davis2017/metrics.py
and utils.db_statistics):

- J = |P and G| / |P or G|, 1 when both are empty.
- F: 1-pixel boundary maps (a pixel differs from its right, lower or lower-right neighbour;
  the last row compares only to the right, the last column only downwards, the corner is
  never a boundary); tolerance ``ceil(0.008 * diagonal)`` pixels; a boundary pixel matches
  when the other boundary has a pixel within the disk x^2 + y^2 <= r^2 (DAVIS dilates with
  that disk); F = 2PR / (P + R); both empty gives 1, one of them empty gives 0.
- Per clip: mean, recall (share of frames > 0.5) and decay (mean of the first quarter
  minus the last quarter, DAVIS's overlapping bins).

Matting measures follow Robust Video Matting (evaluation/evaluate_lr.py), alpha in [0, 1]:
MAD = mean|p - g| * 1e3, MSE = mean (p - g)^2 * 1e3, Grad = sum over pixels of
(|grad g| - |grad p|)^2 / 1e3 with Gaussian-derivative filters (sigma 1.4) on min-max
normalised mattes (a sum, so it grows with the frame size), dtSSD =
sqrt(sum ((p_t - p_{t-1}) - (g_t - g_{t-1}))^2 / N) * 1e2.
"""
from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np
from numba import njit

from vqinspect.metrics._filters import JIT_OPTIONS

BOUND_TH = 0.008
NO_VALID = np.ones((0, 0), dtype=np.uint8)


# ----------------------------------------------------------------------------- kernels

@njit(**JIT_OPTIONS)
def _label_counts(pred, gt, valid, n_labels):
    """Per label: pixels in pred, pixels in gt, pixels labelled so in both (valid pixels only)."""
    in_pred = np.zeros(n_labels, dtype=np.int64)
    in_gt = np.zeros(n_labels, dtype=np.int64)
    in_both = np.zeros(n_labels, dtype=np.int64)
    h, w = pred.shape
    use_valid = valid.size > 0
    for y in range(h):
        rp, rg = pred[y], gt[y]
        for x in range(w):
            if use_valid and valid[y, x] == 0:
                continue
            p, g = rp[x], rg[x]
            in_pred[p] += 1
            in_gt[g] += 1
            if p == g:
                in_both[p] += 1
    return in_pred, in_gt, in_both


@njit(**JIT_OPTIONS)
def _boundary(mask, out):
    """DAVIS's seg2bmap on a 0/1 uint8 mask into ``out`` (0/1 uint8)."""
    h, w = mask.shape
    for y in range(h - 1):
        r0, r1, o = mask[y], mask[y + 1], out[y]
        for x in range(w - 1):
            v = r0[x]
            o[x] = (v != r0[x + 1]) | (v != r1[x]) | (v != r1[x + 1])
        o[w - 1] = r0[w - 1] != r1[w - 1]
    last, o = mask[h - 1], out[h - 1]
    for x in range(w - 1):
        o[x] = last[x] != last[x + 1]
    o[w - 1] = 0


@njit(**JIT_OPTIONS)
def _matched(src, tgt, dy, dx):
    """How many set pixels of ``src`` have a set pixel of ``tgt`` at one of the offsets.

    Offsets come nearest first, so matched pixels stop after a few probes.
    """
    h, w = src.shape
    n = 0
    for y in range(h):
        row = src[y]
        for x in range(w):
            if row[x] == 0:
                continue
            for k in range(dy.size):
                yy, xx = y + dy[k], x + dx[k]
                if 0 <= yy < h and 0 <= xx < w and tgt[yy, xx] != 0:
                    n += 1
                    break
    return n


# ----------------------------------------------------------------------------- region (J)

def label_counts(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray | None = None,
                 n_labels: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels per label in ``pred``, in ``gt`` and in both, over ``valid`` pixels (all if None).

    The arrays have at least ``n_labels`` entries (more if a label map holds a larger id).
    """
    _check_labels(pred, gt)
    if valid is not None and valid.shape != pred.shape:
        raise ValueError(f"valid must match the masks' size, got {valid.shape} and {pred.shape}")
    top = int(max(pred.max(initial=0), gt.max(initial=0))) + 1
    n = top if n_labels is None else max(n_labels, top)
    v = NO_VALID if valid is None else _as_u8(valid)
    return _label_counts(_as_u8(pred), _as_u8(gt), v, n)


def iou_from_counts(in_pred: np.ndarray, in_gt: np.ndarray, in_both: np.ndarray, label: int) -> float:
    """IoU of one label from ``label_counts``; 1 when the label is absent from both."""
    if label >= in_pred.size:
        return 1.0
    union = int(in_pred[label] + in_gt[label] - in_both[label])
    return 1.0 if union == 0 else float(in_both[label]) / union


def jaccard(pred: np.ndarray, gt: np.ndarray, valid: np.ndarray | None = None) -> float:
    """J (IoU) of two binary masks (any nonzero is foreground), 1 when both are empty."""
    counts = label_counts(_as_u8(pred != 0), _as_u8(gt != 0), valid, 2)
    return iou_from_counts(*counts, 1)


def jaccard_per_label(pred: np.ndarray, gt: np.ndarray, labels, valid: np.ndarray | None = None) -> dict:
    """J of each label in ``labels`` between two label maps (1 where a label is in neither)."""
    n = int(max(pred.max(initial=0), gt.max(initial=0), max(labels, default=0))) + 1
    counts = label_counts(pred, gt, valid, n)
    return {int(k): iou_from_counts(*counts, int(k)) for k in labels}


# ----------------------------------------------------------------------------- boundary (F)

def bound_pix(shape: tuple[int, int], bound_th: float = BOUND_TH) -> int:
    """DAVIS's tolerance in pixels: ``bound_th`` itself if >= 1, else ceil(bound_th * diagonal)."""
    if bound_th >= 1:
        return int(bound_th)
    return int(math.ceil(bound_th * math.hypot(*shape)))


@lru_cache(maxsize=16)
def disk_offsets(radius: int) -> tuple[np.ndarray, np.ndarray]:
    """(dy, dx) of the disk x^2 + y^2 <= radius^2, nearest first (read-only int64 arrays)."""
    y, x = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    inside = y * y + x * x <= radius * radius
    d2 = (y * y + x * x)[inside]
    order = np.argsort(d2, kind="stable")
    dy, dx = y[inside][order].astype(np.int64), x[inside][order].astype(np.int64)
    dy.flags.writeable = dx.flags.writeable = False
    return dy, dx


def boundary_map(mask: np.ndarray) -> np.ndarray:
    """DAVIS's 1-pixel boundary map (uint8 0/1) of a binary mask (any nonzero is foreground)."""
    m = _as_u8(mask != 0)
    out = np.empty_like(m)
    if m.size:
        _boundary(m, out)
    return out


def boundary_scores(pred: np.ndarray, gt: np.ndarray, bound_th: float = BOUND_TH) -> tuple[float, float, float]:
    """(F, precision, recall) of the boundaries of two binary masks, DAVIS's f_measure."""
    _check_labels(pred, gt)
    bp, bg = boundary_map(pred), boundary_map(gt)
    n_p, n_g = int(np.count_nonzero(bp)), int(np.count_nonzero(bg))
    if n_p == 0 and n_g == 0:
        return 1.0, 1.0, 1.0
    if n_p == 0:
        return 0.0, 1.0, 0.0
    if n_g == 0:
        return 0.0, 0.0, 1.0
    dy, dx = disk_offsets(bound_pix(pred.shape, bound_th))
    precision = _matched(bp, bg, dy, dx) / n_p
    recall = _matched(bg, bp, dy, dx) / n_g
    f = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return f, precision, recall


def boundary_f(pred: np.ndarray, gt: np.ndarray, bound_th: float = BOUND_TH) -> float:
    """DAVIS F of two binary masks (any nonzero is foreground)."""
    return boundary_scores(pred, gt, bound_th)[0]


# ----------------------------------------------------------------------------- per clip

def clip_statistics(values) -> dict[str, float]:
    """DAVIS's per-clip mean, recall (share of frames > 0.5) and decay (first quarter's mean
    minus the last quarter's, with db_statistics' overlapping bins); NaN frames are skipped."""
    v = np.asarray(values, dtype=np.float64)
    finite = v[~np.isnan(v)]
    if finite.size == 0:
        return {"mean": math.nan, "recall": math.nan, "decay": math.nan}
    ids = (np.round(np.linspace(1, v.size, 5) + 1e-10) - 1).astype(np.int64)
    bins = [v[ids[i]:ids[i + 1] + 1] for i in range(4)]
    return {
        "mean": float(finite.mean()),
        "recall": float(np.mean(finite > 0.5)),
        "decay": _nanmean(bins[0]) - _nanmean(bins[3]),
    }


def _nanmean(v: np.ndarray) -> float:
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else math.nan


# ----------------------------------------------------------------------------- matting

def mad(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean absolute alpha difference * 1e3 (alpha in [0, 1])."""
    _check_alpha(pred, gt)
    return float(np.abs(pred - gt, dtype=np.float32).mean(dtype=np.float64)) * 1e3


def mse(pred: np.ndarray, gt: np.ndarray) -> float:
    """Mean squared alpha difference * 1e3."""
    _check_alpha(pred, gt)
    d = (pred - gt).astype(np.float32)
    return float(np.mean(d * d, dtype=np.float64)) * 1e3


@lru_cache(maxsize=4)
def gauss_derivative_filters(sigma: float = 1.4, epsilon: float = 1e-2) -> tuple[np.ndarray, np.ndarray]:
    """RVM's MetricGRAD filters: Gaussian times its derivative, unit L2 norm (x, then y)."""
    half = math.ceil(sigma * math.sqrt(-2 * math.log(math.sqrt(2 * math.pi) * sigma * epsilon)))
    t = np.arange(-half, half + 1, dtype=np.float64)
    gauss = np.exp(-t ** 2 / (2 * sigma ** 2)) / (sigma * math.sqrt(2 * math.pi))
    dgauss = -t * gauss / sigma ** 2
    fx = np.outer(gauss, dgauss)
    fx /= math.sqrt((fx ** 2).sum())
    fx.flags.writeable = False
    fy = fx.T.copy()
    fy.flags.writeable = False
    return fx, fy


def gradient_magnitude(alpha: np.ndarray) -> np.ndarray:
    """|grad| of the min-max normalised matte with RVM's Gaussian-derivative filters (float32)."""
    normed = np.zeros(alpha.shape, dtype=np.float32)
    cv2.normalize(alpha.astype(np.float32, copy=False), normed, 1.0, 0.0, cv2.NORM_MINMAX)
    fx, fy = gauss_derivative_filters()
    gx = cv2.filter2D(normed, -1, fx, borderType=cv2.BORDER_REPLICATE)
    gy = cv2.filter2D(normed, -1, fy, borderType=cv2.BORDER_REPLICATE)
    return np.sqrt(gx * gx + gy * gy).astype(np.float32)


def grad_error(pred: np.ndarray, gt: np.ndarray) -> float:
    """RVM's Grad: sum of squared gradient-magnitude differences / 1e3."""
    _check_alpha(pred, gt)
    d = gradient_magnitude(gt) - gradient_magnitude(pred)
    return float(np.sum(d * d, dtype=np.float64)) / 1e3


def dtssd(pred: np.ndarray, pred_prev: np.ndarray, gt: np.ndarray, gt_prev: np.ndarray) -> float:
    """RVM's dtSSD of frame t against t-1: sqrt(sum (dp - dg)^2 / N) * 1e2."""
    _check_alpha(pred, gt)
    _check_alpha(pred_prev, gt_prev)
    d = (pred - pred_prev) - (gt - gt_prev)
    return math.sqrt(float(np.sum(d * d, dtype=np.float64)) / gt.size) * 1e2


# ----------------------------------------------------------------------------- checks

def _as_u8(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(np.uint8) if a.dtype == np.bool_ else a


def _check_labels(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.ndim != 2 or pred.shape != gt.shape:
        raise ValueError(f"masks must be 2-D and of one size, got {pred.shape} and {gt.shape}")
    for a in (pred, gt):
        if a.dtype != np.bool_ and a.dtype.kind != "u":
            raise ValueError(f"label maps must be bool or unsigned integers, got {a.dtype}")


def _check_alpha(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.ndim != 2 or pred.shape != gt.shape:
        raise ValueError(f"mattes must be 2-D and of one size, got {pred.shape} and {gt.shape}")
