"""VIF (visual information fidelity) at four scales, as libvmaf's integer_vif defines it.

Moments are filtered in float32 on the 8-bit scale minus 128 (see ``prepare.py``):
variance-type statistics do not depend on that offset and float32 keeps precision near
zero. Borders are mirrored without repeating the edge sample (``reflect101``) in both
directions, as libvmaf's integer extractor pads them. Scale s > 0 is the previous scale
blurred with scale s's filter and sampled at even rows and columns, computed in integer
arithmetic exactly as libvmaf does (Q8 samples), so that its rounding can be mirrored.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from vqinspect.metrics.vmaf.prepare import KERNEL_OPTIONS

# libvmaf integer_vif.h: Q16 Gaussian taps for N = 17, 9, 5, 3 (each sums to 65536).
_FILTERS_Q16 = (
    (489, 935, 1640, 2640, 3896, 5274, 6547, 7455, 7784, 7455, 6547, 5274, 3896, 2640,
     1640, 935, 489),
    (1244, 3663, 7925, 12590, 14692, 12590, 7925, 3663, 1244),
    (3571, 16004, 26386, 16004, 3571),
    (10904, 43728, 10904),
)
TAPS = tuple(np.array(f, dtype=np.int64) for f in _FILTERS_Q16)
FILTERS = tuple(np.array(f, dtype=np.float32) / np.float32(65536) for f in _FILTERS_Q16)

SIGMA_NSQ = 2.0
"""Noise variance of the VIF model (sigma_n^2)."""
NON_LOG_SCALE = 4.0 / (255.0 * 255.0)
"""Where sigma1^2 < sigma_n^2 a pixel counts 1 - sigma2^2 * sigma_n^4 / 255^2 (no log)."""
PRODUCT_RUN = 32
"""Pixels whose log factors are multiplied before one log2 (factors < 2^27: no overflow)."""


@njit(**KERNEL_OPTIONS)
def reflect101(i, n):
    """Mirror index ``i`` into [0, n) without repeating the edge sample."""
    if i < 0:
        return -i
    if i >= n:
        return 2 * (n - 1) - i
    return i


@njit(**KERNEL_OPTIONS)
def _vertical_moments(x, y, coef, i, vm1, vm2, vxx, vyy, vxy):
    """Vertical pass of the five moments for output row ``i``; taps folded in pairs of rows,
    four pairs per pass over the row."""
    h, w = x.shape
    r = coef.size // 2
    c = coef[r]
    xr = x[i]
    yr = y[i]
    for j in range(w):
        a = xr[j]
        b = yr[j]
        ca = c * a
        cb = c * b
        vm1[j] = ca
        vm2[j] = cb
        vxx[j] = ca * a
        vyy[j] = cb * b
        vxy[j] = ca * b
    k = 0
    while k + 3 < r:  # four pairs of rows per pass: fewer loads and stores of the sums
        c0, c1, c2, c3 = coef[k], coef[k + 1], coef[k + 2], coef[k + 3]
        xa, xb = x[reflect101(i - r + k, h)], x[reflect101(i + r - k, h)]
        xc, xd = x[reflect101(i - r + k + 1, h)], x[reflect101(i + r - k - 1, h)]
        xe, xf = x[reflect101(i - r + k + 2, h)], x[reflect101(i + r - k - 2, h)]
        xg, xh = x[reflect101(i - r + k + 3, h)], x[reflect101(i + r - k - 3, h)]
        ya, yb = y[reflect101(i - r + k, h)], y[reflect101(i + r - k, h)]
        yc, yd = y[reflect101(i - r + k + 1, h)], y[reflect101(i + r - k - 1, h)]
        ye, yf = y[reflect101(i - r + k + 2, h)], y[reflect101(i + r - k - 2, h)]
        yg, yh = y[reflect101(i - r + k + 3, h)], y[reflect101(i + r - k - 3, h)]
        for j in range(w):
            a1, a2, a3, a4, a5, a6, a7, a8 = xa[j], xb[j], xc[j], xd[j], xe[j], xf[j], xg[j], xh[j]
            b1, b2, b3, b4, b5, b6, b7, b8 = ya[j], yb[j], yc[j], yd[j], ye[j], yf[j], yg[j], yh[j]
            vm1[j] += c0 * (a1 + a2) + c1 * (a3 + a4) + c2 * (a5 + a6) + c3 * (a7 + a8)
            vm2[j] += c0 * (b1 + b2) + c1 * (b3 + b4) + c2 * (b5 + b6) + c3 * (b7 + b8)
            vxx[j] += (c0 * (a1 * a1 + a2 * a2) + c1 * (a3 * a3 + a4 * a4)
                       + c2 * (a5 * a5 + a6 * a6) + c3 * (a7 * a7 + a8 * a8))
            vyy[j] += (c0 * (b1 * b1 + b2 * b2) + c1 * (b3 * b3 + b4 * b4)
                       + c2 * (b5 * b5 + b6 * b6) + c3 * (b7 * b7 + b8 * b8))
            vxy[j] += (c0 * (a1 * b1 + a2 * b2) + c1 * (a3 * b3 + a4 * b4)
                       + c2 * (a5 * b5 + a6 * b6) + c3 * (a7 * b7 + a8 * b8))
        k += 4
    while k < r:
        c = coef[k]
        xa, xb = x[reflect101(i - r + k, h)], x[reflect101(i + r - k, h)]
        ya, yb = y[reflect101(i - r + k, h)], y[reflect101(i + r - k, h)]
        for j in range(w):
            a1, a2, b1, b2 = xa[j], xb[j], ya[j], yb[j]
            vm1[j] += c * (a1 + a2)
            vm2[j] += c * (b1 + b2)
            vxx[j] += c * (a1 * a1 + a2 * a2)
            vyy[j] += c * (b1 * b1 + b2 * b2)
            vxy[j] += c * (a1 * b1 + a2 * b2)
        k += 1


@njit(**KERNEL_OPTIONS)
def _mirror_row(buf, w, pad):
    """Fill ``pad`` samples on both sides of a row stored at ``buf[pad:pad + w]``."""
    for f in range(1, pad + 1):
        buf[pad - f] = buf[pad + f]
        buf[pad + w - 1 + f] = buf[pad + w - 1 - f]


@njit(**KERNEL_OPTIONS)
def _horizontal(src, coef, dst, w, pad):
    """Symmetric horizontal filter of padded row ``src`` into ``dst[:w]``, two tap pairs a pass."""
    if coef.size == 17:
        _horizontal17(src, coef, dst, w, pad)
        return
    r = coef.size // 2
    c = coef[r]
    mid = src[pad:pad + w]
    for j in range(w):
        dst[j] = c * mid[j]
    k = 0
    while k + 1 < r:
        c = coef[k]
        d = coef[k + 1]
        lo = src[pad - r + k:pad - r + k + w]
        hi = src[pad + r - k:pad + r - k + w]
        lo2 = src[pad - r + k + 1:pad - r + k + 1 + w]
        hi2 = src[pad + r - k - 1:pad + r - k - 1 + w]
        for j in range(w):
            dst[j] += c * (lo[j] + hi[j]) + d * (lo2[j] + hi2[j])
        k += 2
    if k < r:
        c = coef[k]
        lo = src[pad - r + k:pad - r + k + w]
        hi = src[pad + r - k:pad + r - k + w]
        for j in range(w):
            dst[j] += c * (lo[j] + hi[j])


@njit(**KERNEL_OPTIONS)
def _horizontal17(src, coef, dst, w, pad):
    """``_horizontal`` for scale 0's 17 taps, written out: each output is computed once in
    registers instead of accumulated over passes (a quarter faster)."""
    c0, c1, c2, c3, c4, c5, c6, c7, c8 = (coef[0], coef[1], coef[2], coef[3], coef[4], coef[5],
                                          coef[6], coef[7], coef[8])
    s = src[pad - 8:pad + w + 8]
    for j in range(w):
        dst[j] = (c8 * s[j + 8] + c0 * (s[j] + s[j + 16]) + c1 * (s[j + 1] + s[j + 15])
                  + c2 * (s[j + 2] + s[j + 14]) + c3 * (s[j + 3] + s[j + 13])
                  + c4 * (s[j + 4] + s[j + 12]) + c5 * (s[j + 5] + s[j + 11])
                  + c6 * (s[j + 6] + s[j + 10]) + c7 * (s[j + 7] + s[j + 9]))


@njit(**KERNEL_OPTIONS)
def _vertical_sum(q, taps, i, acc):
    """Integer image ``q`` filtered down the columns at row ``i`` with integer ``taps``
    (symmetric, mirrored borders), unrounded, into int64 ``acc[:w]``."""
    h, w = q.shape
    r = taps.size // 2
    t = taps[r]
    row = q[i]
    for j in range(w):
        acc[j] = t * np.int64(row[j])
    for k in range(r):
        t = taps[k]
        ra = q[reflect101(i - r + k, h)]
        rb = q[reflect101(i + r - k, h)]
        for j in range(w):
            acc[j] += t * (np.int64(ra[j]) + np.int64(rb[j]))


@njit(**KERNEL_OPTIONS)
def _mean_residual(q, taps, i, shift, acc, out):
    """Q8 rounding residual of the vertical mean of integer image ``q`` at row ``i``.

    libvmaf stores vertically filtered means as (sum + 2^(shift-1)) >> shift (Q8 of the
    8-bit scale); ``out`` gets rounded - exact, in 8-bit code values (exact in float32).
    """
    w = q.shape[1]
    _vertical_sum(q, taps, i, acc)
    half = np.int64(1) << np.int64(shift - 1)
    unit = np.float32(2.0 ** -(shift + 8))
    for j in range(w):
        a = acc[j]
        out[j] = np.float32((((a + half) >> shift) << shift) - a) * unit


@njit(**KERNEL_OPTIONS)
def _row_moments(x, y, qx, qy, coef, taps, shift, exact, i, bufs, rows, acc):
    """Filtered moments of row ``i`` into ``rows[0..6, :w]``: mu1, mu2, xx, yy, xy, e1, e2.

    e1, e2 are the filtered Q8 rounding residuals of the vertical means (zero unless
    ``exact``; ``qx``, ``qy`` are the integer images behind ``x``, ``y``): libvmaf's
    integer VIF stores vertical means in Q8, so its means carry that rounding, which
    reaches sigma^2 scaled by the absolute mean level.
    """
    w = x.shape[1]
    pad = coef.size // 2
    _vertical_moments(x, y, coef, i, bufs[0, pad:pad + w], bufs[1, pad:pad + w],
                      bufs[2, pad:pad + w], bufs[3, pad:pad + w], bufs[4, pad:pad + w])
    n = 5
    if exact:
        _mean_residual(qx, taps, i, shift, acc, bufs[5, pad:pad + w])
        _mean_residual(qy, taps, i, shift, acc, bufs[6, pad:pad + w])
        n = 7
    for m in range(n):
        _mirror_row(bufs[m], w, pad)
        _horizontal(bufs[m], coef, rows[m], w, pad)


@njit(**KERNEL_OPTIONS)
def _variances(mu1, mu2, xx, yy, xy, e1, e2):
    """(sigma1^2, sigma2^2, sigma12) with libvmaf's Q8 mean rounding (e1, e2) folded in.

    libvmaf subtracts the square of its rounded absolute mean (m + e + 128) from the
    absolute second moment; with means centred on 128 that is xx - r^2 - 256 e, r = m + e.
    The three expressions have the same shape, so identical inputs give sigma12 ==
    sigma1^2 exactly (float32, products contracted to FMAs).
    """
    r1 = mu1 + e1
    r2 = mu2 + e2
    s1 = xx - r1 * r1 - np.float32(256.0) * e1
    s2 = yy - r2 * r2 - np.float32(256.0) * e2
    s12 = xy - r1 * r2 - np.float32(128.0) * (e1 + e2)
    return s1, s2, s12


@njit(**KERNEL_OPTIONS)
def _pixel_terms(s1, s2, s12, limit):
    """(num factor, den factor, non-log weight, sigma2^2) of one pixel (float32).

    Where sigma1^2 >= sigma_n^2 the pixel's num and den are log2 of the factors (its
    non-log weight is 0); elsewhere both factors are 1 and it counts as a non-log pixel.
    Written branch-free (np.minimum, &) so that the pixel loop vectorises.
    """
    zero = np.float32(0.0)
    one = np.float32(1.0)
    nsq = np.float32(SIGMA_NSQ)
    s2 = np.maximum(s2, zero)
    is_log = s1 >= nsq
    s1c = np.maximum(s1, nsq)
    g = s12 / s1c
    sv = np.maximum(s2 - g * s12, zero)
    g = np.minimum(g, limit)
    num_f = one + g * g * s1c / (sv + nsq)
    den_f = one + s1c / nsq
    num_f = num_f if (is_log & (s12 > zero) & (s2 > zero)) else one
    den_f = den_f if is_log else one
    non_log = zero if is_log else one
    return num_f, den_f, non_log, s2


@njit(**KERNEL_OPTIONS)
def _row_buffers(w, pad):
    """(padded vertical rows, filtered rows, int64 sums) for one scale of width ``w``."""
    return (np.zeros((7, w + 2 * pad), dtype=np.float32), np.zeros((7, w), dtype=np.float32),
            np.zeros(w, dtype=np.int64))


@njit(**KERNEL_OPTIONS)
def vif_scale_sums(x, y, qx, qy, coef, taps, shift, exact, limit):
    """Sums of one scale: (num, den) as libvmaf's vif_statistic accumulates them.

    ``x``, ``y`` are float images, ``qx``, ``qy`` the integer images behind them (used
    when ``exact``, see ``_row_moments``). Log terms are summed as log2 of products of
    ``PRODUCT_RUN`` factors, which keeps the (unvectorised) log2 out of the pixel loop.
    """
    h, w = x.shape
    bufs, rows, acc = _row_buffers(w, coef.size // 2)
    lim = np.float32(limit)
    num_f = np.empty(w, dtype=np.float32)
    den_f = np.empty(w, dtype=np.float32)
    log_num = 0.0
    log_den = 0.0
    non_log_count = 0.0
    non_log_s2 = 0.0
    for i in range(h):
        _row_moments(x, y, qx, qy, coef, taps, shift, exact, i, bufs, rows, acc)
        m1, m2, xx, yy, xy, e1, e2 = rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6]
        for j in range(w):
            s1, s2, s12 = _variances(m1[j], m2[j], xx[j], yy[j], xy[j], e1[j], e2[j])
            nf, df, nl, s2c = _pixel_terms(s1, s2, s12, lim)
            num_f[j] = nf
            den_f[j] = df
            non_log_count += nl
            non_log_s2 += nl * s2c
        for j0 in range(0, w, PRODUCT_RUN):
            nfs = num_f[j0:j0 + PRODUCT_RUN]
            dfs = den_f[j0:j0 + PRODUCT_RUN]
            pn = 1.0
            pd = 1.0
            for j in range(nfs.size):
                pn *= np.float64(nfs[j])
                pd *= np.float64(dfs[j])
            log_num += np.log2(pn)
            log_den += np.log2(pd)
    num = log_num + non_log_count - non_log_s2 * NON_LOG_SCALE
    den = log_den + non_log_count
    return num, den


@njit(**KERNEL_OPTIONS)
def vif_scale_maps(x, y, qx, qy, coef, taps, shift, exact, limit, num_map, den_map):
    """Per-pixel num and den of one scale (the terms ``vif_scale_sums`` adds up)."""
    h, w = x.shape
    bufs, rows, acc = _row_buffers(w, coef.size // 2)
    for i in range(h):
        _row_moments(x, y, qx, qy, coef, taps, shift, exact, i, bufs, rows, acc)
        for j in range(w):
            s1, s2, s12 = _variances(rows[0, j], rows[1, j], rows[2, j], rows[3, j], rows[4, j],
                                     rows[5, j], rows[6, j])
            nf, df, nl, s2c = _pixel_terms(s1, s2, s12, np.float32(limit))
            if nl == 0.0:
                num_map[i, j] = np.log2(nf)
                den_map[i, j] = np.log2(df)
            else:
                num_map[i, j] = 1.0 - s2c * NON_LOG_SCALE
                den_map[i, j] = 1.0


@njit(**KERNEL_OPTIONS)
def downsample(q, taps, shift, out):
    """Blur integer image ``q`` and keep even rows and columns, into Q8 ``out`` (uint16).

    libvmaf's integer arithmetic: vertical sum rounded by ``shift`` (the bit depth from
    the input plane, 16 from a Q8 image), horizontal sum rounded by 16; mirrored borders.
    The horizontal pass reads the padded row as even and odd halves, so tap k of output
    j reads even[j + k // 2] (k even) or odd[j + k // 2].
    """
    w = q.shape[1]
    r = taps.size // 2
    ho, wo = out.shape
    buf = np.empty(w + 2 * r + 2, dtype=np.int64)
    half_n = (w + 2 * r + 2) // 2
    even = np.empty(half_n, dtype=np.int64)
    odd = np.empty(half_n, dtype=np.int64)
    mid = buf[r:r + w]
    acc = np.empty(wo, dtype=np.int64)
    half = np.int64(1) << np.int64(shift - 1)
    for oi in range(ho):
        _vertical_sum(q, taps, 2 * oi, mid)
        for j in range(w):
            mid[j] = (mid[j] + half) >> shift
        for f in range(1, r + 1):
            buf[r - f] = buf[r + f]
            buf[r + w - 1 + f] = buf[r + w - 1 - f]
        for m in range(half_n):
            even[m] = buf[2 * m]
            odd[m] = buf[2 * m + 1]
        for j in range(wo):
            acc[j] = taps[0] * even[j]
        for k in range(1, 2 * r + 1):
            t = taps[k]
            src = even[k // 2:k // 2 + wo] if k % 2 == 0 else odd[k // 2:k // 2 + wo]
            for j in range(wo):
                acc[j] += t * src[j]
        dst = out[oi]
        for j in range(wo):
            dst[j] = np.uint16((acc[j] + 32768) >> 16)


@njit(**KERNEL_OPTIONS)
def q8_to_float(q, out):
    """A Q8 image on the 8-bit scale minus 128, as float32."""
    h, w = q.shape
    for i in range(h):
        src = q[i]
        dst = out[i]
        for j in range(w):
            dst[j] = np.float32(src[j]) * np.float32(1.0 / 256.0) - np.float32(128.0)


def vif_sums(ref, dis, bit_depth, x, y, limit, work_q, work_f):
    """(num[4], den[4]) of the four scales.

    ``ref``, ``dis`` are the native-depth planes and ``x``, ``y`` their float images.
    ``work_q`` (uint16) and ``work_f`` (float32) hold the images of scales 1-3 as
    (ref1, dis1, ref2, dis2, ref3, dis3). Scale 0 keeps libvmaf's rounding of the means
    unmirrored (the 17-tap filter averages it to below 1e-5 of the score). A Python
    driver: each kernel then compiles once per input type, not once per caller.
    """
    num = np.zeros(4)
    den = np.zeros(4)
    num[0], den[0] = vif_scale_sums(x, y, work_q[0], work_q[1], FILTERS[0], TAPS[0], bit_depth,
                                    False, limit)
    downsample(ref, TAPS[1], bit_depth, work_q[0])
    downsample(dis, TAPS[1], bit_depth, work_q[1])
    for s in range(1, 4):
        qx, qy = work_q[2 * s - 2], work_q[2 * s - 1]
        if s > 1:
            downsample(work_q[2 * s - 4], TAPS[s], 16, qx)
            downsample(work_q[2 * s - 3], TAPS[s], 16, qy)
        xs, ys = work_f[2 * s - 2], work_f[2 * s - 1]
        q8_to_float(qx, xs)
        q8_to_float(qy, ys)
        num[s], den[s] = vif_scale_sums(xs, ys, qx, qy, FILTERS[s], TAPS[s], 16, True, limit)
    return num, den


def scale_shapes(h: int, w: int) -> list[tuple[int, int]]:
    """Image sizes of VIF scales 1-3 (each keeps the even rows and columns of the previous)."""
    shapes = []
    for _ in range(3):
        h, w = h // 2, w // 2
        shapes.append((h, w))
    return shapes
