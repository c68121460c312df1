"""VIF (visual information fidelity) at four scales, exactly as libvmaf's integer_vif computes it.

libvmaf works in fixed point: Q16 Gaussian taps, vertical means rounded to Q8 of the 8-bit
scale, squares in Q16, the variance terms as 32-bit integers, log2 from a 16-bit lookup
table in units of 1/2048 (``LOG2_TABLE``), integer accumulators. This port reproduces every
step bit for bit, so its per-scale sums are libvmaf's. The fixed-point values are carried
in float64: every product and sum is an integer below 2^53 (exact), the shifts are exact
scalings by powers of two followed by ``floor``, and float64 rows vectorise where 64-bit
integer multiplies do not. Borders are mirrored without repeating the edge sample
(``reflect101``), as libvmaf pads them. Scale s > 0 is the previous scale blurred with
scale s's filter and sampled at even rows and columns (``downsample``).
"""
from __future__ import annotations

import numpy as np
from numba import njit

KERNEL_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")
"""No fast-math: libvmaf's double arithmetic in the statistic (g, the residual variance)
is not contracted to FMAs, and the same expressions here must round the same way."""

# libvmaf integer_vif.h: Q16 Gaussian taps for N = 17, 9, 5, 3 (each sums to 65536).
_FILTERS_Q16 = (
    (489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640,
     1640, 935, 489),
    (1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244),
    (3571, 16004, 26386, 16004, 3571),
    (10904, 43728, 10904),
)
TAPS = tuple(np.array(f, dtype=np.int64) for f in _FILTERS_Q16)
TAPS_F = tuple(np.array(f, dtype=np.float64) for f in _FILTERS_Q16)

SIGMA_NSQ = 2 << 16
"""Noise variance of the VIF model (sigma_n^2 = 2) in Q16."""
EPS = 65536 * 1.0e-10
"""libvmaf's epsilon of g = sigma12 / (sigma1^2 + eps), in Q16."""
LOG_UNIT = 2048.0
"""The lookup table's log2 values are in units of 1/2048."""


def _log2_table() -> np.ndarray:
    """libvmaf's ``log_generate``: round(log2f(m) * 2048) for 16-bit mantissas m = 32768..65535,
    indexed by m - 32768. log2f is float32 rounded (checked equal to glibc's over the table);
    C's round() takes halves away from zero."""
    m = np.arange(32768, 65536, dtype=np.float64)
    return np.floor(np.log2(m).astype(np.float32).astype(np.float64) * 2048.0 + 0.5).astype(np.int64)


LOG2_TABLE = _log2_table()


@njit(**KERNEL_OPTIONS)
def reflect101(i, n):
    """Mirror index ``i`` into [0, n) without repeating the edge sample."""
    if i < 0:
        return -i
    if i >= n:
        return 2 * (n - 1) - i
    return i


@njit(**KERNEL_OPTIONS)
def _vertical(x, y, taps, i, rnd_mu, inv_mu, rnd_sq, inv_sq, pad, v):
    """libvmaf's vertical pass at row ``i`` into ``v[0..5, pad:pad + w]``: the means
    (rounded to Q8 by ``rnd_mu``, ``inv_mu``) and the three products (rounded by
    ``rnd_sq``, ``inv_sq``); taps folded in pairs of mirrored rows."""
    h, w = x.shape
    r = taps.size // 2
    c = taps[r]
    m1, m2, xx, yy, xy = v[0, pad:pad + w], v[1, pad:pad + w], v[2, pad:pad + w], \
        v[3, pad:pad + w], v[4, pad:pad + w]
    xr = x[i]
    yr = y[i]
    for j in range(w):
        a = np.float64(xr[j])
        b = np.float64(yr[j])
        m1[j] = c * a
        m2[j] = c * b
        xx[j] = c * (a * a)
        yy[j] = c * (b * b)
        xy[j] = c * (a * b)
    k = 0
    while k + 1 < r:  # two pairs of rows per pass over the row
        c0 = taps[k]
        c1 = taps[k + 1]
        xa, xb = x[reflect101(i - r + k, h)], x[reflect101(i + r - k, h)]
        ya, yb = y[reflect101(i - r + k, h)], y[reflect101(i + r - k, h)]
        xc, xd = x[reflect101(i - r + k + 1, h)], x[reflect101(i + r - k - 1, h)]
        yc, yd = y[reflect101(i - r + k + 1, h)], y[reflect101(i + r - k - 1, h)]
        for j in range(w):
            a1, a2, a3, a4 = np.float64(xa[j]), np.float64(xb[j]), np.float64(xc[j]), np.float64(xd[j])
            b1, b2, b3, b4 = np.float64(ya[j]), np.float64(yb[j]), np.float64(yc[j]), np.float64(yd[j])
            m1[j] += c0 * (a1 + a2) + c1 * (a3 + a4)
            m2[j] += c0 * (b1 + b2) + c1 * (b3 + b4)
            xx[j] += c0 * (a1 * a1 + a2 * a2) + c1 * (a3 * a3 + a4 * a4)
            yy[j] += c0 * (b1 * b1 + b2 * b2) + c1 * (b3 * b3 + b4 * b4)
            xy[j] += c0 * (a1 * b1 + a2 * b2) + c1 * (a3 * b3 + a4 * b4)
        k += 2
    if k < r:
        c0 = taps[k]
        xa, xb = x[reflect101(i - r + k, h)], x[reflect101(i + r - k, h)]
        ya, yb = y[reflect101(i - r + k, h)], y[reflect101(i + r - k, h)]
        for j in range(w):
            a1, a2 = np.float64(xa[j]), np.float64(xb[j])
            b1, b2 = np.float64(ya[j]), np.float64(yb[j])
            m1[j] += c0 * (a1 + a2)
            m2[j] += c0 * (b1 + b2)
            xx[j] += c0 * (a1 * a1 + a2 * a2)
            yy[j] += c0 * (b1 * b1 + b2 * b2)
            xy[j] += c0 * (a1 * b1 + a2 * b2)
    for j in range(w):
        m1[j] = np.floor((m1[j] + rnd_mu) * inv_mu)
        m2[j] = np.floor((m2[j] + rnd_mu) * inv_mu)
        xx[j] = np.floor((xx[j] + rnd_sq) * inv_sq)
        yy[j] = np.floor((yy[j] + rnd_sq) * inv_sq)
        xy[j] = np.floor((xy[j] + rnd_sq) * inv_sq)


@njit(**KERNEL_OPTIONS)
def _mirror_rows(v, w, pad):
    """Fill ``pad`` samples on both sides of the rows stored at ``v[:, pad:pad + w]``."""
    for m in range(v.shape[0]):
        row = v[m]
        for f in range(1, pad + 1):
            row[pad - f] = row[pad + f]
            row[pad + w - 1 + f] = row[pad + w - 1 - f]


@njit(**KERNEL_OPTIONS)
def _horizontal(src, taps, dst, w, pad, rnd, inv):
    """Symmetric horizontal filter of padded row ``src`` into ``dst[:w]``, rounded by
    (``rnd``, ``inv``) unless ``inv`` is 0 (the means keep all their bits)."""
    r = taps.size // 2
    c = taps[r]
    mid = src[pad:pad + w]
    for j in range(w):
        dst[j] = c * mid[j]
    k = 0
    while k + 1 < r:
        c0 = taps[k]
        c1 = taps[k + 1]
        lo = src[pad - r + k:pad - r + k + w]
        hi = src[pad + r - k:pad + r - k + w]
        lo2 = src[pad - r + k + 1:pad - r + k + 1 + w]
        hi2 = src[pad + r - k - 1:pad + r - k - 1 + w]
        for j in range(w):
            dst[j] += c0 * (lo[j] + hi[j]) + c1 * (lo2[j] + hi2[j])
        k += 2
    if k < r:
        c0 = taps[k]
        lo = src[pad - r + k:pad - r + k + w]
        hi = src[pad + r - k:pad + r - k + w]
        for j in range(w):
            dst[j] += c0 * (lo[j] + hi[j])
    if inv != 0.0:
        for j in range(w):
            dst[j] = np.floor((dst[j] + rnd) * inv)


@njit(**KERNEL_OPTIONS)
def _mu_product(a, b):
    """(a * b + 2^31) >> 32 of two 32-bit means, exact in float64 (a 16-bit split)."""
    ah = np.floor(a * (1.0 / 65536.0))
    al = a - ah * 65536.0
    bh = np.floor(b * (1.0 / 65536.0))
    bl = b - bh * 65536.0
    return ah * bh + np.floor(((ah * bl + al * bh) * 65536.0 + al * bl + 2147483648.0)
                              * (1.0 / 4294967296.0))


@njit(**KERNEL_OPTIONS)
def _row_moments(x, y, taps, i, shifts, v, rows):
    """Filtered moments of row ``i`` into ``rows[0..5, :w]``: mu1, mu2 (Q24), xx, yy, xy (Q16)."""
    w = x.shape[1]
    pad = taps.size // 2
    _vertical(x, y, taps, i, shifts[0], shifts[1], shifts[2], shifts[3], pad, v)
    _mirror_rows(v, w, pad)
    _horizontal(v[0], taps, rows[0], w, pad, 0.0, 0.0)
    _horizontal(v[1], taps, rows[1], w, pad, 0.0, 0.0)
    for m in range(2, 5):
        _horizontal(v[m], taps, rows[m], w, pad, 32768.0, 1.0 / 65536.0)


@njit(**KERNEL_OPTIONS)
def _log_arguments(rows, limit, w, args):
    """libvmaf's per-pixel statistic up to the logs.

    Writes the three log2 arguments into ``args[0..2, :w]``: 2 + sigma1^2 (the den),
    sv^2 + 2 + g^2 sigma1^2 and sv^2 + 2 (the num's difference of logs), all in Q16;
    pixels that add no log term get 2 (its log2 cancels the 17 subtracted, see
    ``_log2_q11``). Non-log pixels (sigma1^2 < 2) go to ``args[3]`` as sigma2^2 (else -1).
    """
    mu1, mu2, xx, yy, xy = rows[0], rows[1], rows[2], rows[3], rows[4]
    den, nt, n1, nl = args[0], args[1], args[2], args[3]
    nsq = np.float64(SIGMA_NSQ)
    for j in range(w):
        s1 = xx[j] - _mu_product(mu1[j], mu1[j])
        s2 = max(yy[j] - _mu_product(mu2[j], mu2[j]), 0.0)
        s12 = xy[j] - _mu_product(mu1[j], mu2[j])
        is_log = s1 >= nsq
        ok = is_log and s12 > 0.0 and s2 > 0.0
        g = s12 / (s1 + EPS) if ok else 0.0
        sv = max(np.trunc(s2 - g * s12), 0.0)
        g = min(g, limit)
        num1 = sv + nsq
        num_tmp = np.trunc(g * g * s1) + num1
        den[j] = s1 + nsq if is_log else nsq
        nt[j] = num_tmp if ok else nsq
        n1[j] = num1 if ok else nsq
        nl[j] = -1.0 if is_log else s2


@njit(**KERNEL_OPTIONS)
def _log2_q11(bits, table):
    """libvmaf's log2_32 / log2_64 of a positive integer given as float64 bits: the top 16
    bits of the integer looked up, plus 2048 per bit dropped (the integer is >= 2^17)."""
    return table[(bits >> 37) & 0x7FFF] + ((bits >> 52) - 1038) * 2048


@njit(**KERNEL_OPTIONS)
def vif_scale_sums(x, y, taps, shifts, limit, table):
    """libvmaf's four accumulators of one scale: (num_log, den_log, num_non_log,
    den_non_log), exact integers (log sums in units of 1/2048, sigma2^2 in Q16).

    ``x``, ``y``: the scale's integer images (8-bit planes or Q8 images); ``shifts`` =
    (round, 2^-shift) of the vertical means and products (see ``scale_shifts``).
    """
    h, w = x.shape
    pad = taps.size // 2
    v = np.zeros((5, w + 2 * pad))
    rows = np.empty((5, w))
    args = np.empty((4, w))
    bits = args.view(np.int64)
    num_log = 0
    den_log = 0
    num_non_log = 0
    den_non_log = 0
    for i in range(h):
        _row_moments(x, y, taps, i, shifts, v, rows)
        _log_arguments(rows, limit, w, args)
        for j in range(w):
            den_log += _log2_q11(bits[0, j], table) - 17 * 2048
            num_log += _log2_q11(bits[1, j], table) - _log2_q11(bits[2, j], table)
            s2 = args[3, j]
            if s2 >= 0.0:
                num_non_log += np.int64(s2)
                den_non_log += 1
    return num_log, den_log, num_non_log, den_non_log


@njit(**KERNEL_OPTIONS)
def vif_scale_maps(x, y, taps, shifts, limit, table, num_map, den_map):
    """Per-pixel num and den of one scale (the terms ``vif_scale_sums`` adds up)."""
    h, w = x.shape
    pad = taps.size // 2
    v = np.zeros((5, w + 2 * pad))
    rows = np.empty((5, w))
    args = np.empty((4, w))
    bits = args.view(np.int64)
    for i in range(h):
        _row_moments(x, y, taps, i, shifts, v, rows)
        _log_arguments(rows, limit, w, args)
        for j in range(w):
            s2 = args[3, j]
            if s2 >= 0.0:
                num_map[i, j] = 1.0 - s2 / 16384.0 / 65025.0
                den_map[i, j] = 1.0
            else:
                num_map[i, j] = (_log2_q11(bits[1, j], table) - _log2_q11(bits[2, j], table)) / LOG_UNIT
                den_map[i, j] = (_log2_q11(bits[0, j], table) - 17 * 2048) / LOG_UNIT


@njit(**KERNEL_OPTIONS)
def downsample(q, taps, shift, out):
    """Blur integer image ``q`` and keep even rows and columns, into Q8 ``out`` (uint16).

    libvmaf's integer arithmetic: vertical sum rounded by ``shift`` (the bit depth from
    the input plane, 16 from a Q8 image), horizontal sum rounded by 16; mirrored borders.
    Only the even rows are filtered; the horizontal pass reads the padded row as even and
    odd halves, so tap k of output j reads even[j + k // 2] (k even) or odd[j + k // 2].
    """
    h, w = q.shape
    r = taps.size // 2
    ho, wo = out.shape
    buf = np.empty(w + 2 * r + 2)
    half_n = (w + 2 * r + 2) // 2
    even = np.empty(half_n)
    odd = np.empty(half_n)
    mid = buf[r:r + w]
    acc = np.empty(wo)
    rnd = np.float64(1 << (shift - 1))
    inv = 1.0 / np.float64(1 << shift)
    for oi in range(ho):
        i = 2 * oi
        t = np.float64(taps[r])
        row = q[i]
        for j in range(w):
            mid[j] = t * np.float64(row[j])
        for k in range(r):
            t = np.float64(taps[k])
            ra = q[reflect101(i - r + k, h)]
            rb = q[reflect101(i + r - k, h)]
            for j in range(w):
                mid[j] += t * (np.float64(ra[j]) + np.float64(rb[j]))
        for j in range(w):
            mid[j] = np.floor((mid[j] + rnd) * inv)
        for f in range(1, r + 1):
            buf[r - f] = buf[r + f]
            buf[r + w - 1 + f] = buf[r + w - 1 - f]
        for m in range(half_n):
            even[m] = buf[2 * m]
            odd[m] = buf[2 * m + 1]
        t = np.float64(taps[0])
        for j in range(wo):
            acc[j] = t * even[j]
        for k in range(1, 2 * r + 1):
            t = np.float64(taps[k])
            src = even[k // 2:k // 2 + wo] if k % 2 == 0 else odd[k // 2:k // 2 + wo]
            for j in range(wo):
                acc[j] += t * src[j]
        dst = out[oi]
        for j in range(wo):
            dst[j] = np.uint16(np.floor((acc[j] + 32768.0) * (1.0 / 65536.0)))


def scale_shifts(scale: int, bit_depth: int) -> np.ndarray:
    """(round, 2^-shift) of the vertical means, then of the vertical products, of ``scale``.

    Scale 0 reads the native planes: means shift by the bit depth, products by
    2 * (bit depth - 8) (not at all at 8 bits). Scales 1-3 read Q8 images: both shift by 16.
    """
    mu, sq = (bit_depth, 2 * (bit_depth - 8)) if scale == 0 else (16, 16)
    return np.array([(1 << mu) // 2, 2.0 ** -mu, (1 << sq) // 2, 2.0 ** -sq])


def scale_ratio(num_log: int, den_log: int, num_non_log: int, den_non_log: int
                ) -> tuple[float, float]:
    """libvmaf's (num, den) of a scale from its accumulators, rounded to float32 as it
    stores them."""
    num = num_log / LOG_UNIT + (den_non_log - (num_non_log / 16384.0) / 65025.0)
    den = den_log / LOG_UNIT + den_non_log
    return float(np.float32(num)), float(np.float32(den))


def scale_score(num: float, den: float) -> float:
    """vif_scaleK as libvmaf writes it: the float32 quotient of the float32 sums."""
    return float(np.float32(num) / np.float32(den))


def scale_images(ref, dist, bit_depth, work_q):
    """The integer images of the four scales: the planes, then the Q8 images of scales 1-3
    in ``work_q`` (ref1, dis1, ref2, dis2, ref3, dis3)."""
    images = [(ref, dist)]
    for s in range(1, 4):
        qx, qy = work_q[2 * s - 2], work_q[2 * s - 1]
        src_x, src_y = images[-1]
        shift = bit_depth if s == 1 else 16
        downsample(src_x, TAPS[s], shift, qx)
        downsample(src_y, TAPS[s], shift, qy)
        images.append((qx, qy))
    return images


def vif_sums(ref, dist, bit_depth, limit, work_q):
    """(num[4], den[4]) of the four scales, as libvmaf's float32 sums.

    ``ref``, ``dist`` are the native-depth planes; ``work_q`` (uint16) holds the images of
    scales 1-3 (see ``scale_images``). A Python driver: each kernel then compiles once per
    input type, not once per caller.
    """
    num = np.zeros(4)
    den = np.zeros(4)
    for s, (qx, qy) in enumerate(scale_images(ref, dist, bit_depth, work_q)):
        acc = vif_scale_sums(qx, qy, TAPS_F[s], scale_shifts(s, bit_depth), float(limit),
                             LOG2_TABLE)
        num[s], den[s] = scale_ratio(*acc)
    return num, den


def scale_shapes(h: int, w: int) -> list[tuple[int, int]]:
    """Image sizes of VIF scales 1-3 (each keeps the even rows and columns of the previous)."""
    shapes = []
    for _ in range(3):
        h, w = h // 2, w // 2
        shapes.append((h, w))
    return shapes
