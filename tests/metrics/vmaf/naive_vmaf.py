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


def vif_log2_q11(v: np.ndarray) -> np.ndarray:
    """libvmaf's log2_32 / log2_64 in units of 1/2048: the table entry round(log2f(m) * 2048)
    of the top 16 bits m of ``v`` (>= 2^17), plus 2048 per bit dropped."""
    v = np.asarray(v, np.uint64)
    k = np.array([int(t).bit_length() - 16 for t in v.ravel()], np.int64).reshape(v.shape)
    m = (v >> k.astype(np.uint64)).astype(np.float64)
    table = np.floor(np.log2(m).astype(np.float32).astype(np.float64) * 2048 + 0.5)
    return table.astype(np.int64) + 2048 * k


def _filter_int(img: np.ndarray, taps, axis: int) -> np.ndarray:
    """Integer correlation along ``axis`` with reflect101 borders (uint64, unrounded)."""
    r = len(taps) // 2
    n = img.shape[axis]
    padded = np.take(img, reflect101(n, r), axis=axis)
    return sum(np.uint64(taps[k]) * np.take(padded, np.arange(k, k + n), axis=axis)
               for k in range(len(taps)))


def _round_shift(v: np.ndarray, shift: int) -> np.ndarray:
    return (v + np.uint64((1 << shift) // 2)) >> np.uint64(shift)


def vif_scale_terms(x: np.ndarray, y: np.ndarray, scale: int, bit_depth: int = 8,
                    limit: float = 100.0):
    """libvmaf's integer VIF statistic of one scale, per pixel.

    ``x``, ``y``: the scale's integer images (native planes at scale 0, Q8 images after).
    Returns (num, den, acc): per-pixel terms as libvmaf adds them and its four
    accumulators (num_log, den_log in 1/2048; num_non_log in Q16; den_non_log).
    """
    taps = VIF_TAPS[scale]
    x, y = x.astype(np.uint64), y.astype(np.uint64)
    sh_mu, sh_sq = (bit_depth, 2 * (bit_depth - 8)) if scale == 0 else (16, 16)

    def mean(img):
        return _filter_int(_round_shift(_filter_int(img, taps, 0), sh_mu), taps, 1)

    def moment(img):
        return _round_shift(_filter_int(_round_shift(_filter_int(img, taps, 0), sh_sq), taps, 1), 16)

    mu1, mu2 = mean(x), mean(y)
    half, s32 = np.uint64(1 << 31), np.uint64(32)
    s1 = moment(x * x).astype(np.int64) - ((mu1 * mu1 + half) >> s32).astype(np.int64)
    s2 = moment(y * y).astype(np.int64) - ((mu2 * mu2 + half) >> s32).astype(np.int64)
    s12 = moment(x * y).astype(np.int64) - ((mu1 * mu2 + half) >> s32).astype(np.int64)
    s2 = np.maximum(s2, 0)
    nsq = 1 << 17
    log = s1 >= nsq
    ok = log & (s12 > 0) & (s2 > 0)
    den_log = np.where(log, vif_log2_q11(np.where(log, nsq + s1, nsq)) - 17 * 2048, 0)
    g = np.where(ok, s12 / (s1 + 65536 * 1.0e-10), 0.0)
    sv = np.maximum(np.trunc(s2 - g * s12), 0.0)
    g = np.minimum(g, limit)
    n1 = (sv + nsq).astype(np.int64)
    nt = np.trunc(g * g * s1).astype(np.int64) + n1
    num_log = np.where(ok, vif_log2_q11(np.where(ok, nt, nsq)) - vif_log2_q11(np.where(ok, n1, nsq)), 0)
    num = np.where(log, num_log / 2048.0, 1.0 - s2 / 16384.0 / 65025.0)
    den = np.where(log, den_log / 2048.0, 1.0)
    acc = (int(num_log.sum()), int(den_log.sum()), int(s2[~log].sum()), int((~log).sum()))
    return num, den, acc


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


def vif(ref: np.ndarray, dist: np.ndarray, bit_depth: int, limit: float = 100.0):
    """(num[4], den[4]) of VIF as libvmaf's float32 sums of its integer accumulators."""
    nums, dens = [], []
    qr, qd, shift = ref, dist, bit_depth
    for s in range(4):
        if s > 0:
            qr = vif_downsample_q8(qr, s, shift)
            qd = vif_downsample_q8(qd, s, shift)
            shift = 16
        num_log, den_log, num_non_log, den_non_log = vif_scale_terms(qr, qd, s, bit_depth, limit)[2]
        nums.append(np.float32(num_log / 2048.0 + (den_non_log - (num_non_log / 16384.0) / 65025.0)))
        dens.append(np.float32(den_log / 2048.0 + den_non_log))
    return np.array(nums, np.float32), np.array(dens, np.float32)


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


DB2_LO_Q15 = np.array([15826, 27411, 7345, -4240], np.int64)
DB2_HI_Q15 = np.array([-4240, -7345, 27411, -15826], np.int64)
BAND_Q = (6, 21, 19, 18)
_DWT_SHIFTS = {1: (0, 0, 16384, 15), 2: (32768, 16, 32768, 16), 3: (32768, 16, 16384, 15)}


def _dwt_index(n: int) -> np.ndarray:
    """Indices -1 .. n + 1 for the db2 step: -1 reads 1, n reads n - 1, n + 1 reads n - 2."""
    i = np.arange(-1, n + 2)
    return np.where(i < 0, -i, np.where(i >= n, 2 * n - i - 1, i))


def dwt2(x: np.ndarray):
    """One float db2 step: (a, v, h, d) with libvmaf's index mirroring."""
    h, w = x.shape
    iy, ix = _dwt_index(h), _dwt_index(w)
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


def dwt2_int(src: np.ndarray, scale: int, bit_depth: int):
    """libvmaf's fixed-point db2 step: integer (a, v, h, d) with ``BAND_Q[scale]`` fraction bits."""
    h, w = src.shape
    iy, ix = _dwt_index(h), _dwt_index(w)
    ho, wo = (h + 1) // 2, (w + 1) // 2
    if scale == 0:
        vadd, vshift, hadd, hshift = 1 << (bit_depth - 1), bit_depth, 32768, 16
        centre = 46342 * vadd
    else:
        (vadd, vshift, hadd, hshift), centre = _DWT_SHIFTS[scale], 0
    rows = src.astype(np.int64)[iy]
    lo = sum(DB2_LO_Q15[k] * rows[k:k + 2 * ho:2] for k in range(4))
    hi = sum(DB2_HI_Q15[k] * rows[k:k + 2 * ho:2] for k in range(4))
    lo = (lo - centre + vadd) >> vshift
    hi = (hi + vadd) >> vshift
    lo_c, hi_c = lo[:, ix], hi[:, ix]

    def hpass(c, taps):
        return (sum(taps[k] * c[:, k:k + 2 * wo:2] for k in range(4)) + hadd) >> hshift

    return (hpass(lo_c, DB2_LO_Q15), hpass(lo_c, DB2_HI_Q15), hpass(hi_c, DB2_LO_Q15),
            hpass(hi_c, DB2_HI_Q15))


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


def angle_flag(o: np.ndarray, t: np.ndarray) -> np.ndarray:
    """libvmaf's 1-degree test on integer (h, v) bands: exact products, float32, then double."""
    dot = o[0] * t[0] + o[1] * t[1]
    om = o[0] * o[0] + o[1] * o[1]
    tm = t[0] * t[0] + t[1] * t[1]

    def f(v):
        return v.astype(np.float32).astype(np.float64) / 4096.0

    cos2 = float(np.float32(math.cos(math.pi / 180) ** 2))
    return (f(dot) >= 0) & (f(dot) * f(dot) >= cos2 * f(om) * f(tm))


def fixed_point_csf(scale: int) -> tuple[float, float]:
    """CSF weights libvmaf's integer ADM applies to the restored and additive parts."""
    if scale == 0:
        return 36453 / 2.0 ** 21, 49417 / 2.0 ** 23
    hv, dd = (float(np.float32(c)) for c in csf_weights_f32(scale))
    return int(hv * 2 ** 32) / 2.0 ** 32, int(dd * 2 ** 32) / 2.0 ** 32


def csf_weights_f32(scale: int) -> tuple[float, float]:
    """``csf_weights`` as libvmaf computes them (float32 steps)."""
    amplitudes = ((0.62171, 0.67234, 0.72709, 0.67234), (0.34537, 0.41317, 0.49428, 0.41317),
                  (0.18004, 0.22727, 0.28688, 0.22727), (0.091401, 0.11792, 0.15214, 0.11792))
    r = np.float32(3.0 * 1080 * math.pi / 180.0)
    out = []
    for theta, g in ((1, 1.0), (2, 0.534)):
        temp = np.float32(math.log10(2.0 ** (scale + 1) * np.float32(0.401) * np.float32(g)
                                     / float(r)))
        q = np.float32(2.0 * np.float32(0.495) * 10.0 ** (np.float32(0.466) * float(temp) ** 2)
                       / np.float32(amplitudes[scale][theta]))
        out.append(float(np.float32(1.0) / q))
    return out[0], out[1]


def restored_int(o: np.ndarray, t: np.ndarray, angle: np.ndarray, gain: float) -> np.ndarray:
    """libvmaf's integer restored part (adm_decouple / adm_decouple_s123), int64 arithmetic."""
    a = np.abs(o)
    bits = np.zeros_like(a)
    big = a >= 32768
    bits[big] = np.floor(np.log2(a[big])).astype(np.int64) + 1 - 15
    m = np.where(big, (a + (np.int64(1) << np.maximum(bits - 1, 0))) >> bits, a)
    recip = (np.int64(1) << 30) // np.maximum(m, 1)
    sign = np.where(o < 0, -1, 1)
    k = (recip * t * sign + (np.int64(1) << (14 + bits))) >> (15 + bits)
    k = np.where(o == 0, 32768, np.clip(k, 0, 32768))
    r = (k * o + 16384) >> 15
    up = angle & (k > 0) & (o > 0)
    down = angle & (k > 0) & (o < 0)
    boosted_up = np.trunc(np.minimum(r * gain, t)).astype(np.int64)
    boosted_down = np.trunc(np.maximum(r * gain, t)).astype(np.int64)
    return np.where(up, boosted_up, np.where(down, boosted_down, r))


def adm_scale_terms(ref_bands, dis_bands, scale: int, gain: float = 100.0):
    """Per-pixel (x^3, |csf o|^3) stacks (3, h, w) of one ADM scale over the whole band.

    ``ref_bands``, ``dis_bands`` are the integer (h, v, d) bands of ``dwt2_int``.
    """
    o_int = np.stack(ref_bands).astype(np.int64)
    t_int = np.stack(dis_bands).astype(np.int64)
    angle = angle_flag(o_int, t_int)
    r_int = np.stack([restored_int(o_int[k], t_int[k], angle, gain) for k in range(3)])
    unit = 2.0 ** -BAND_Q[scale]
    o, t, r = o_int * unit, t_int * unit, r_int * unit
    a = t - r
    hv, dd = fixed_point_csf(scale)
    csf = np.array([hv, hv, dd])[:, None, None]
    den_hv, den_dd = csf_weights_f32(scale)
    den_csf = np.array([den_hv, den_hv, den_dd])[:, None, None]
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
    return x ** 3, np.abs(den_csf * o) ** 3


def adm(ref: np.ndarray, dist: np.ndarray, bit_depth: int, gain: float = 100.0):
    """(num[4], den[4]) of ADM on native-depth planes, libvmaf's 10 % border dropped."""
    nums, dens = [], []
    x, y = ref, dist
    for s in range(4):
        ax, vx, hx, dx = dwt2_int(x, s, bit_depth)
        ay, vy, hy, dy = dwt2_int(y, s, bit_depth)
        cubes_x, cubes_o = adm_scale_terms((hx, vx, dx), (hy, vy, dy), s, gain)
        h, w = ax.shape
        top, left = int(h * 0.1 - 0.5), int(w * 0.1 - 0.5)
        region = (slice(None), slice(top, h - top), slice(left, w - left))
        area = (h - 2 * top) * (w - 2 * left) / 32.0
        nums.append(np.cbrt(cubes_x[region].sum(axis=(1, 2))).sum() + 3 * np.cbrt(area))
        dens.append(np.cbrt(cubes_o[region].sum(axis=(1, 2))).sum() + 3 * np.cbrt(area))
        x, y = ax, ay
    return np.array(nums), np.array(dens)
