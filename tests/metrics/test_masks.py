"""Mask accuracy: J, F, the clip statistics and the matting measures against straightforward
numpy transcriptions of DAVIS 2017 (davis2017/metrics.py, utils.py) and Robust Video
Matting (evaluation/evaluate_lr.py), on the test clip and on edge cases."""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from vqinspect.metrics import masks as mm
from tests.mask_clips import CORRUPTED, FRAMES, mask_clip


# ----------------------------------------------------------------------------- naive references

def naive_j(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    union = np.sum(a | b)
    return 1.0 if union == 0 else np.sum(a & b) / union


def naive_seg2bmap(seg: np.ndarray) -> np.ndarray:
    """davis2017 utils/_seg2bmap, same-size case, as written there."""
    seg = seg.astype(bool)
    e, s, se = np.zeros_like(seg), np.zeros_like(seg), np.zeros_like(seg)
    e[:, :-1] = seg[:, 1:]
    s[:-1, :] = seg[1:, :]
    se[:-1, :-1] = seg[1:, 1:]
    b = seg ^ e | seg ^ s | seg ^ se
    b[-1, :] = seg[-1, :] ^ e[-1, :]
    b[:, -1] = seg[:, -1] ^ s[:, -1]
    b[-1, -1] = 0
    return b


def naive_dilate(b: np.ndarray, r: int) -> np.ndarray:
    """Binary dilation by the disk x^2 + y^2 <= r^2, one shifted copy per disk offset."""
    h, w = b.shape
    out = np.zeros_like(b)
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dy * dy + dx * dx > r * r or abs(dy) >= h or abs(dx) >= w:
                continue
            src = b[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
            out[max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)] |= src
    return out


def naive_f(fg: np.ndarray, gt: np.ndarray, bound_th: float = 0.008) -> float:
    """davis2017 f_measure with the disk dilation spelled out."""
    bound = bound_th if bound_th >= 1 else math.ceil(bound_th * np.linalg.norm(fg.shape))
    fb, gb = naive_seg2bmap(fg), naive_seg2bmap(gt)
    fd, gd = naive_dilate(fb, int(bound)), naive_dilate(gb, int(bound))
    n_fg, n_gt = fb.sum(), gb.sum()
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision, recall = np.sum(fb & gd) / n_fg, np.sum(gb & fd) / n_gt
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def naive_db_statistics(values: np.ndarray) -> tuple[float, float, float]:
    m = np.nanmean(values)
    o = np.nanmean(values > 0.5)
    ids = (np.round(np.linspace(1, len(values), 5) + 1e-10) - 1).astype(int)
    bins = [values[ids[i]:ids[i + 1] + 1] for i in range(4)]
    return m, o, np.nanmean(bins[0]) - np.nanmean(bins[3])


def naive_grad(pred: np.ndarray, true: np.ndarray, sigma: float = 1.4) -> float:
    """RVM's MetricGRAD with the filter built by its double loop and applied as an explicit
    correlation over a replicate-padded image (no OpenCV)."""
    eps = 1e-2
    half = np.ceil(sigma * np.sqrt(-2 * np.log(np.sqrt(2 * np.pi) * sigma * eps)))
    size = int(2 * half + 1)

    def gaussian(x):
        return np.exp(-x ** 2 / (2 * sigma ** 2)) / (sigma * np.sqrt(2 * np.pi))

    fx = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            fx[i, j] = gaussian(i - half) * (-(j - half) * gaussian(j - half) / sigma ** 2)
    fx /= np.sqrt((fx ** 2).sum())
    fy = fx.T

    def correlate(img, k):
        r = k.shape[0] // 2
        padded = np.pad(img.astype(np.float64), r, mode="edge")
        out = np.zeros(img.shape)
        for i in range(k.shape[0]):
            for j in range(k.shape[1]):
                out += k[i, j] * padded[i:i + img.shape[0], j:j + img.shape[1]]
        return out

    def normed(a):
        lo, hi = a.min(), a.max()
        return np.zeros_like(a, dtype=np.float64) if hi - lo < 1e-12 else (a - lo) / (hi - lo)

    def magnitude(a):
        return np.sqrt(correlate(normed(a), fx) ** 2 + correlate(normed(a), fy) ** 2)

    return float(((magnitude(true) - magnitude(pred)) ** 2).sum() / 1000)


# ----------------------------------------------------------------------------- J and F

def test_j_and_f_match_davis_on_every_frame_of_the_clip():
    c = mask_clip()
    for t in range(FRAMES):
        assert mm.jaccard(c.pred[t], c.gt[t]) == pytest.approx(naive_j(c.pred[t], c.gt[t]), abs=1e-15)
        assert mm.boundary_f(c.pred[t], c.gt[t]) == pytest.approx(naive_f(c.pred[t], c.gt[t]), abs=1e-12)
        clean = t not in CORRUPTED
        assert (mm.jaccard(c.pred[t], c.gt[t]) == 1.0) == clean
    for t in (0, 9):
        for k in (1, 2):
            p, g = c.pred_labels[t] == k, c.gt_labels[t] == k
            assert mm.boundary_f(p, g) == pytest.approx(naive_f(p, g), abs=1e-12)
        per = mm.jaccard_per_label(c.pred_labels[t], c.gt_labels[t], [1, 2, 5])
        assert per[1] == 1.0 and per[5] == 1.0
        assert per[2] == pytest.approx(naive_j(c.pred_labels[t] == 2, c.gt_labels[t] == 2), abs=1e-15)


@pytest.mark.parametrize("shape, seed", [((37, 53), 0), ((120, 90), 1), ((1, 40), 2), ((40, 1), 3), ((2, 2), 4)])
def test_j_and_f_match_davis_on_random_blobs(shape, seed):
    rng = np.random.default_rng(seed)
    for _ in range(4):
        a = _blobs(shape, rng)
        b = _blobs(shape, rng) if rng.random() < 0.5 else np.roll(a, rng.integers(-3, 4), axis=int(rng.integers(0, 2)))
        assert mm.jaccard(a, b) == pytest.approx(naive_j(a, b), abs=1e-15)
        assert mm.boundary_f(a, b) == pytest.approx(naive_f(a, b), abs=1e-12)
        assert np.array_equal(mm.boundary_map(a).astype(bool), naive_seg2bmap(a))
        assert mm.boundary_f(a, b, bound_th=3) == pytest.approx(naive_f(a, b, bound_th=3), abs=1e-12)


def _blobs(shape, rng) -> np.ndarray:
    noise = rng.random(shape)
    k = max(1, min(shape) // 6)
    smooth = np.cumsum(np.cumsum(noise, 0), 1)
    smooth = smooth[k:, k:] - smooth[:-k, k:] - smooth[k:, :-k] + smooth[:-k, :-k] if min(shape) > 2 * k else noise
    out = np.zeros(shape, bool)
    out[:smooth.shape[0], :smooth.shape[1]] = smooth > np.median(smooth)
    return out


def test_empty_masks_follow_davis():
    empty, full = np.zeros((30, 40), bool), np.zeros((30, 40), bool)
    full[5:20, 8:30] = True
    assert mm.jaccard(empty, empty) == 1.0 and mm.boundary_f(empty, empty) == 1.0
    assert mm.jaccard(empty, full) == 0.0 and mm.boundary_f(empty, full) == 0.0
    assert mm.jaccard(full, empty) == 0.0 and mm.boundary_f(full, empty) == 0.0
    assert mm.boundary_scores(empty, full) == (0.0, 1.0, 0.0)
    assert mm.boundary_scores(full, empty) == (0.0, 0.0, 1.0)
    whole = np.ones((30, 40), bool)          # the frame edge is not a boundary
    assert mm.boundary_map(whole).sum() == 0 and mm.boundary_f(whole, whole) == 1.0


def test_tolerance_is_davis_bound_pix_and_a_disk():
    assert mm.bound_pix((480, 854)) == 8 and mm.bound_pix((1080, 1920)) == 18
    assert mm.bound_pix((180, 320)) == 3 and mm.bound_pix((10, 10), 4) == 4
    for r in (1, 3, 8, 18):
        dy, dx = mm.disk_offsets(r)
        y, x = np.mgrid[-r:r + 1, -r:r + 1]
        assert dy.size == np.count_nonzero(x * x + y * y <= r * r)
        d2 = dy * dy + dx * dx
        assert d2.max() <= r * r and np.all(np.diff(d2) >= 0)
    a = np.zeros((40, 40), bool)
    a[10:30, 10:20] = True
    shifted = np.roll(a, 3, axis=1)          # 3 px off: outside 40x40's 1-px tolerance, inside 3
    assert mm.boundary_f(a, shifted) < 1.0
    assert mm.boundary_f(a, shifted, bound_th=3) == 1.0


def test_label_counts_match_numpy():
    rng = np.random.default_rng(5)
    p = rng.integers(0, 5, (33, 47)).astype(np.uint16)
    g = rng.integers(0, 5, (33, 47)).astype(np.uint16)
    valid = rng.random((33, 47)) < 0.7
    in_p, in_g, both = mm.label_counts(p, g, valid)
    for k in range(5):
        assert in_p[k] == np.sum((p == k) & valid) and in_g[k] == np.sum((g == k) & valid)
        assert both[k] == np.sum((p == k) & (g == k) & valid)


def test_kernels_give_the_same_results_from_several_threads():
    c = mask_clip()
    expected = [mm.boundary_f(c.pred[t], c.gt[t]) for t in range(FRAMES)]
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda t: mm.boundary_f(c.pred[t], c.gt[t]), range(FRAMES)))
    assert got == expected


# ----------------------------------------------------------------------------- per clip

@pytest.mark.parametrize("n", [1, 2, 3, 7, 24, 300])
def test_clip_statistics_match_db_statistics(n):
    values = np.random.default_rng(n).random(n)
    stats = mm.clip_statistics(values)
    assert (stats["mean"], stats["recall"], stats["decay"]) == pytest.approx(naive_db_statistics(values), abs=1e-12)


def test_clip_statistics_skip_unscored_frames():
    values = np.array([0.9, np.nan, 0.2, 0.8, 0.7, np.nan, 0.6, 0.1])
    stats = mm.clip_statistics(values)
    assert stats["mean"] == pytest.approx(np.nanmean(values))
    assert stats["recall"] == pytest.approx(4 / 6)   # DAVIS would count the NaN frames as misses
    assert stats["decay"] == pytest.approx(naive_db_statistics(values)[2])
    assert all(math.isnan(v) for v in mm.clip_statistics([np.nan, np.nan]).values())


# ----------------------------------------------------------------------------- matting

def test_matting_measures_match_rvm_on_the_clip():
    c = mask_clip()
    for t in (0, 11, 16):
        p, g = c.pred_alpha[t], c.gt_alpha[t]
        assert mm.mad(p, g) == pytest.approx(np.abs(p - g).mean() * 1e3, rel=1e-6)
        assert mm.mse(p, g) == pytest.approx(((p - g) ** 2).mean() * 1e3, rel=1e-6)
        assert mm.grad_error(p, g) == pytest.approx(naive_grad(p, g), rel=2e-3, abs=1e-6)
    p, pp, g, gp = c.pred_alpha[11], c.pred_alpha[10], c.gt_alpha[11], c.gt_alpha[10]
    expected = np.sqrt(np.sum(((p - pp) - (g - gp)) ** 2) / g.size) * 1e2
    assert mm.dtssd(p, pp, g, gp) == pytest.approx(expected, rel=1e-6)
    assert mm.mad(g, g) == 0.0 and mm.grad_error(g, g) == 0.0 and mm.dtssd(g, gp, g, gp) == 0.0


def test_grad_of_constant_mattes_is_zero_and_filters_match_rvm():
    fx, fy = mm.gauss_derivative_filters()
    assert fx.shape == (9, 9) and np.allclose(fy, fx.T) and np.isclose(np.sum(fx ** 2), 1.0)
    flat = np.full((20, 30), 0.3, np.float32)
    assert mm.grad_error(flat, np.zeros_like(flat)) == 0.0
