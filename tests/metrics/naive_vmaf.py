"""Slow, obvious numpy references of the VMAF kernels (float64), for tests only.

They follow the definitions in metrics/vmaf (libvmaf's integer extractors) line by line
on whole arrays, without the row buffers, folding and product tricks of the kernels.
"""
from __future__ import annotations

import math

import numpy as np

VIF_TAPS = (
    (489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640,
     1640, 935, 489),
    (1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244),
    (3571, 16004, 26386, 16004, 3571),
    (10904, 43728, 10904),
)
MOTION_TAPS = (3571, 16004, 26386, 16004, 3571)
DB2_LO = np.array([0.482962913144690, 0.836516303737469, 0.224143868041857, -0.129409522550921])
DB2_HI = np.array([-0.129409522550921, -0.224143868041857, 0.836516303737469, -0.482962913144690])


def reflect101(n: int, r: int) -> np.ndarray:
    """Indices -r .. n + r - 1 mirrored into [0, n) without repeating the edge."""
    i = np.arange(-r, n + r)
    return np.where(i < 0, -i, np.where(i >= n, 2 * (n - 1) - i, i))


def filter_separable(img: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Vertical then horizontal correlation with mirrored (reflect101) borders."""
    r = len(taps) // 2
    h, w = img.shape
    rows = img[reflect101(h, r)]
    v = sum(taps[k] * rows[k:k + h] for k in range(len(taps)))
    cols = v[:, reflect101(w, r)]
    return sum(taps[k] * cols[:, k:k + w] for k in range(len(taps)))


def vif_scale_terms(x: np.ndarray, y: np.ndarray, scale: int, limit: float = 100.0,
                    e1: np.ndarray | None = None, e2: np.ndarray | None = None):
    """Per-pixel (num, den) of one VIF scale of 8-bit-scale images (libvmaf's statistic).

    ``e1``, ``e2`` are optional offsets of the filtered means (libvmaf's Q8 rounding).
    """
    f = np.array(VIF_TAPS[scale], float) / 65536
    mu1 = filter_separable(x, f) + (0 if e1 is None else e1)
    mu2 = filter_separable(y, f) + (0 if e2 is None else e2)
    s1 = filter_separable(x * x, f) - mu1 * mu1
    s2 = np.maximum(filter_separable(y * y, f) - mu2 * mu2, 0.0)
    s12 = filter_separable(x * y, f) - mu1 * mu2
    log = s1 >= 2.0
    s1c = np.maximum(s1, 2.0)
    g = s12 / (s1c + 1e-10)
    sv = np.maximum(s2 - g * s12, 0.0)
    g = np.minimum(g, limit)
    num = np.where(log & (s12 > 0) & (s2 > 0), np.log2(1 + g * g * s1c / (sv + 2.0)), 0.0)
    num = np.where(log, num, 1.0 - s2 * 4.0 / (255.0 * 255.0))
    den = np.where(log, np.log2(1 + s1c / 2.0), 1.0)
    return num, den


def vif_downsample_q8(q: np.ndarray, scale: int, shift: int) -> np.ndarray:
    """libvmaf's integer blur-and-decimate to ``scale`` (Q8 result, int64)."""
    taps = np.array(VIF_TAPS[scale], np.int64)
    r = len(taps) // 2
    h, w = q.shape
    rows = q.astype(np.int64)[reflect101(h, r)]
    v = sum(taps[k] * rows[k:k + h] for k in range(len(taps)))
    v = (v + (1 << (shift - 1))) >> shift
    cols = v[:, reflect101(w, r)]
    out = (sum(taps[k] * cols[:, k:k + w] for k in range(len(taps))) + 32768) >> 16
    return out[0:2 * (h // 2):2, 0:2 * (w // 2):2]


def vif_mean_rounding(q: np.ndarray, scale: int, shift: int) -> np.ndarray:
    """Filtered Q8 rounding residual of the vertical mean of integer image ``q``."""
    taps = np.array(VIF_TAPS[scale], np.int64)
    r = len(taps) // 2
    h, w = q.shape
    rows = q.astype(np.int64)[reflect101(h, r)]
    a = sum(taps[k] * rows[k:k + h] for k in range(len(taps)))
    resid = ((((a + (1 << (shift - 1))) >> shift) << shift) - a) / 2.0 ** (shift + 8)
    f = taps / 65536.0
    cols = resid[:, reflect101(w, r)]
    return sum(f[k] * cols[:, k:k + w] for k in range(len(taps)))


def vif(ref: np.ndarray, dist: np.ndarray, bit_depth: int, limit: float = 100.0):
    """(num[4], den[4]) of VIF, with libvmaf's integer decimation and Q8 mean rounding."""
    nums, dens = [], []
    scale = 2.0 ** (8 - bit_depth)
    num, den = vif_scale_terms(ref * scale, dist * scale, 0, limit)
    nums.append(num.sum())
    dens.append(den.sum())
    qr, qd, shift = ref, dist, bit_depth
    for s in range(1, 4):
        qr = vif_downsample_q8(qr, s, shift)
        qd = vif_downsample_q8(qd, s, shift)
        shift = 16
        e1 = vif_mean_rounding(qr, s, 16)
        e2 = vif_mean_rounding(qd, s, 16)
        num, den = vif_scale_terms(qr / 256.0, qd / 256.0, s, limit, e1, e2)
        nums.append(num.sum())
        dens.append(den.sum())
    return np.array(nums), np.array(dens)


def motion_sad(prev: np.ndarray, cur: np.ndarray, bit_depth: int) -> int:
    """libvmaf's motion SAD: blurred (prev - cur) in Q8 with integer rounding, summed |.|."""
    taps = np.array(MOTION_TAPS, np.int64)
    h, w = cur.shape
    d = prev.astype(np.int64) - cur.astype(np.int64)
    rows = d[reflect101(h, 2)]
    v = (sum(taps[k] * rows[k:k + h] for k in range(5)) + (1 << (bit_depth - 1))) >> bit_depth
    cols = v[:, reflect101(w, 2)]
    b = (sum(taps[k] * cols[:, k:k + w] for k in range(5)) + 32768) >> 16
    return int(np.abs(b).sum())


def dwt2(x: np.ndarray):
    """One db2 step: (a, v, h, d) with index -1 reading 1 and index n reading n - 1."""
    h, w = x.shape

    def idx(n):
        i = np.arange(-1, n + 2)
        return np.where(i < 0, -i, np.where(i >= n, 2 * n - i - 1, i))

    iy, ix = idx(h), idx(w)
    ho, wo = (h + 1) // 2, (w + 1) // 2
    rows = x[iy]
    lo = sum(DB2_LO[k] * rows[k:k + 2 * ho:2] for k in range(4))
    hi = sum(DB2_HI[k] * rows[k:k + 2 * ho:2] for k in range(4))
    lo_c, hi_c = lo[:, ix], hi[:, ix]
    a = sum(DB2_LO[k] * lo_c[:, k:k + 2 * wo:2] for k in range(4))
    v = sum(DB2_HI[k] * lo_c[:, k:k + 2 * wo:2] for k in range(4))
    hb = sum(DB2_LO[k] * hi_c[:, k:k + 2 * wo:2] for k in range(4))
    d = sum(DB2_HI[k] * hi_c[:, k:k + 2 * wo:2] for k in range(4))
    return a, v, hb, d


def csf_weights(scale: int) -> tuple[float, float]:
    """(h and v, d) CSF weights: 1 / Watson's quantisation step at 3 heights, 1080 lines."""
    amplitudes = ((0.62171, 0.67234, 0.72709, 0.67234), (0.34537, 0.41317, 0.49428, 0.41317),
                  (0.18004, 0.22727, 0.28688, 0.22727), (0.091401, 0.11792, 0.15214, 0.11792))
    r = 3.0 * 1080 * math.pi / 180.0
    out = []
    for theta, g in ((1, 1.0), (2, 0.534)):
        temp = math.log10(2.0 ** (scale + 1) * 0.401 * g / r)
        q = 2.0 * 0.495 * 10.0 ** (0.466 * temp * temp) / amplitudes[scale][theta]
        out.append(1.0 / q)
    return out[0], out[1]


def adm_scale_terms(ref_bands, dis_bands, scale: int, gain: float = 100.0):
    """Per-pixel (x^3, |csf o|^3) stacks (3, h, w) of one ADM scale over the whole band."""
    o = np.stack(ref_bands)
    t = np.stack(dis_bands)
    k = np.clip(t / (o + 1e-30), 0.0, 1.0)
    r = k * o
    dot = o[0] * t[0] + o[1] * t[1]
    angle = (dot >= 0) & (dot * dot >= math.cos(math.pi / 180) ** 2
                          * (o[0] ** 2 + o[1] ** 2) * (t[0] ** 2 + t[1] ** 2))
    boosted = np.where(r > 0, np.minimum(r * gain, t), np.where(r < 0, np.maximum(r * gain, t), r))
    r = np.where(angle, boosted, r)
    a = t - r
    hv, dd = csf_weights(scale)
    csf = np.array([hv, hv, dd])[:, None, None]
    masker = np.abs(csf * a).sum(axis=0)
    hh, ww = masker.shape
    up = np.r_[1, np.arange(hh - 1)]
    down = np.r_[np.arange(1, hh), hh - 1]
    left = np.r_[1, np.arange(ww - 1)]
    right = np.r_[np.arange(1, ww), ww - 1]
    rows = (masker[up], masker, masker[down])
    box = sum(m[:, left] + m[:, right] for m in rows) + masker[up] + masker[down]
    thr = box / 30.0 + masker / 15.0
    x = np.maximum(np.abs(csf * r) - thr, 0.0)
    return x ** 3, np.abs(csf * o) ** 3


def adm(x: np.ndarray, y: np.ndarray, gain: float = 100.0):
    """(num[4], den[4]) of ADM of 8-bit-scale float images, libvmaf's 10 % border dropped."""
    nums, dens = [], []
    for s in range(4):
        ax, vx, hx, dx = dwt2(x)
        ay, vy, hy, dy = dwt2(y)
        cubes_x, cubes_o = adm_scale_terms((hx, vx, dx), (hy, vy, dy), s, gain)
        h, w = ax.shape
        top, left = int(h * 0.1 - 0.5), int(w * 0.1 - 0.5)
        region = (slice(None), slice(top, h - top), slice(left, w - left))
        area = (h - 2 * top) * (w - 2 * left) / 32.0
        nums.append(np.cbrt(cubes_x[region].sum(axis=(1, 2))).sum() + 3 * np.cbrt(area))
        dens.append(np.cbrt(cubes_o[region].sum(axis=(1, 2))).sum() + 3 * np.cbrt(area))
        x, y = ax, ay
    return np.array(nums), np.array(dens)
