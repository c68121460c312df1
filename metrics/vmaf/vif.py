"""VIF (visual information fidelity) at four scales, exactly as libvmaf's integer_vif computes it.

libvmaf works in fixed point: Q16 Gaussian taps, vertical means rounded to Q8 of the 8-bit
scale, squares in Q16, the variance terms as 32-bit integers, log2 from a 16-bit lookup
table in units of 1/2048 (``LOG2_TABLE``), integer accumulators. This port reproduces every
step bit for bit, so its per-scale sums are libvmaf's. Values below 2^32 (the means, and
at 8 bits every vertical sum) are carried in uint32 lanes, twice as many per vector as
float64; the wider ones (squares and products, up to 48 bits) in float64, where every sum
is an integer below 2^53 (exact) and the shifts are exact scalings by powers of two
followed by ``floor``. Borders are mirrored without repeating the edge sample
(``reflect101``), as libvmaf pads them. Scale s > 0 is the previous scale blurred with
scale s's filter and sampled at even rows and columns (``downsample``).
"""
from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from vqinspect.metrics.vmaf.prepare import reflect101

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
TAPS = tuple(np.array(f, dtype=np.uint32) for f in _FILTERS_Q16)
"""The taps of the uint32 sums; ``TAPS_F`` of the float64 ones."""
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


@intrinsic
def _float_bits(typingctx, x):
    """The IEEE bits of a float64 as an int64 (a bit cast, as ``view`` does for arrays)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))
    return types.int64(types.float64), codegen


@njit(**KERNEL_OPTIONS)
def _log2_q11(x, table):
    """libvmaf's log2_32 / log2_64 of a positive integer ``x`` held exactly in a float64: the
    top 16 bits of the integer looked up, plus 2048 per bit dropped (the integer is >= 2^17)."""
    bits = _float_bits(x)
    return table[(bits >> 37) & 0x7FFF] + ((bits >> 52) - 1038) * 2048


@njit(**KERNEL_OPTIONS)
def _statistic(mu1, mu2, rows, j, limit):
    """libvmaf's per-pixel statistic up to the logs, for column ``j``, from the filtered
    means (uint32 ``mu1``, ``mu2``, Q24 at 8 bits) and xx, yy, xy (``rows[2..4]``, Q16).
    The products of the means are (a * b + 2^31) >> 32 in 64-bit integers (exact: a, b < 2^32).

    Returns the three log2 arguments, 2 + sigma1^2 (the den), sv^2 + 2 + g^2 sigma1^2 and
    sv^2 + 2 (the num's difference of logs), all in Q16 (pixels that add no log term get 2,
    whose log2 cancels the 17 subtracted), and sigma2^2 for a non-log pixel (sigma1^2 < 2),
    else -1.
    """
    half = np.uint64(1 << 31)
    shift = np.uint64(32)
    a = np.uint64(mu1[j])
    b = np.uint64(mu2[j])
    nsq = np.float64(SIGMA_NSQ)
    s1 = rows[2, j] - np.float64((a * a + half) >> shift)
    s2 = max(rows[3, j] - np.float64((b * b + half) >> shift), 0.0)
    s12 = rows[4, j] - np.float64((a * b + half) >> shift)
    is_log = s1 >= nsq
    ok = is_log and s12 > 0.0 and s2 > 0.0
    g = s12 / (s1 + EPS) if ok else 0.0
    sv = max(np.trunc(s2 - g * s12), 0.0)
    g = min(g, limit)
    num1 = sv + nsq
    num_tmp = np.trunc(g * g * s1) + num1
    return (s1 + nsq if is_log else nsq, num_tmp if ok else nsq, num1 if ok else nsq,
            -1.0 if is_log else s2)


@njit(**KERNEL_OPTIONS)
def _add_row_terms(means, rows, limit, w, table, acc):
    """Add one row's terms to libvmaf's accumulators ``acc`` = (num_log, den_log,
    num_non_log, den_non_log), from its filtered means and moments (see ``_statistic``).
    One loop from the moments to the logs: nothing per pixel is stored."""
    mu1, mu2 = means[0], means[1]
    num_log = 0
    den_log = 0
    num_non_log = 0
    den_non_log = 0
    for j in range(w):
        den, num, num1, s2 = _statistic(mu1, mu2, rows, j, limit)
        den_log += _log2_q11(den, table) - 17 * 2048
        num_log += _log2_q11(num, table) - _log2_q11(num1, table)
        if s2 >= 0.0:
            num_non_log += np.int64(s2)
            den_non_log += 1
    acc[0] += num_log
    acc[1] += den_log
    acc[2] += num_non_log
    acc[3] += den_non_log


@njit(**KERNEL_OPTIONS)
def _load_ring_rows(x, y, i, samples, products, slot):
    """Row ``i``'s samples (uint32) and products x^2, y^2, xy (float64) into ``slot``."""
    xr = x[i]
    yr = y[i]
    for j in range(xr.size):
        samples[0, slot, j] = np.uint32(xr[j])
        samples[1, slot, j] = np.uint32(yr[j])
    for j in range(xr.size):
        a = np.float64(xr[j])
        b = np.float64(yr[j])
        products[0, slot, j] = a * a
        products[1, slot, j] = b * b
        products[2, slot, j] = a * b


@njit(**KERNEL_OPTIONS)
def _vertical_ring(rows, slots, taps, out):
    """The symmetric vertical filter over ring rows ``rows[slots[k]]``, into ``out`` (the
    dtype of ``rows``: uint32 sums are exact below 2^32, float64 ones below 2^53)."""
    r = taps.size // 2
    c = taps[r]
    mid = rows[slots[r]]
    for j in range(out.size):
        out[j] = c * mid[j]
    for k in range(r):
        t = taps[k]
        a = rows[slots[k]]
        b = rows[slots[2 * r - k]]
        for j in range(out.size):
            out[j] += t * (a[j] + b[j])


@njit(**KERNEL_OPTIONS)
def _filtered_row(x, y, i, taps, taps_f, shifts, work, loaded):
    """Filter row ``i`` into ``work.means_out`` (uint32 means, all bits) and
    ``work.rows[2..4]`` (xx, yy, xy in Q16), loading the ring up to row i + r."""
    samples, products, slots, means, sums, means_out, rows = work
    h, w = x.shape
    r = taps.size // 2
    n = 2 * r + 1
    while loaded[0] <= min(h - 1, i + r):
        _load_ring_rows(x, y, loaded[0], samples, products, loaded[0] % n)
        loaded[0] += 1
    for k in range(n):
        slots[k] = reflect101(i - r + k, h) % n
    mu_rnd = np.uint32((1 << shifts[0]) >> 1)
    mu_bits = np.uint32(shifts[0])
    sq_rnd = np.float64((1 << shifts[1]) >> 1)
    sq_inv = 1.0 / np.float64(1 << shifts[1])
    for m in range(2):
        out = means[m, r:r + w]
        _vertical_ring(samples[m], slots, taps, out)
        for j in range(w):
            out[j] = (out[j] + mu_rnd) >> mu_bits
    for m in range(3):
        out = sums[m, r:r + w]
        _vertical_ring(products[m], slots, taps_f, out)
        for j in range(w):
            out[j] = np.floor((out[j] + sq_rnd) * sq_inv)
    _mirror_rows(means, w, r)
    _mirror_rows(sums, w, r)
    for m in range(2):
        _horizontal(means[m], taps, means_out[m], w, r, 0.0, 0.0)
    for m in range(3):
        _horizontal(sums[m], taps_f, rows[2 + m], w, r, 32768.0, 1.0 / 65536.0)


@njit(**KERNEL_OPTIONS)
def _work(h, w, r):
    """The ring and row buffers of ``_filtered_row`` for a w-wide image and radius r."""
    n = 2 * r + 1
    return (np.empty((2, n, w), np.uint32), np.empty((3, n, w)), np.empty(n, np.int64),
            np.zeros((2, w + 2 * r), np.uint32), np.zeros((3, w + 2 * r)),
            np.empty((2, w), np.uint32), np.empty((5, w)))


@njit(**KERNEL_OPTIONS)
def vif_scale_sums(x, y, taps, taps_f, shifts, limit, table):
    """libvmaf's four accumulators of one scale: (num_log, den_log, num_non_log,
    den_non_log), exact integers (log sums in units of 1/2048, sigma2^2 in Q16).

    ``x``, ``y``: the scale's integer images (native planes or Q8 images); ``taps`` (uint32)
    and ``taps_f`` (float64) its filter; ``shifts``: the rounding shifts of the vertical
    means and products (see ``scale_shifts``). The means are filtered in uint32 lanes
    (below 65535 * 65536), the products in float64 (up to 48 bits), each row's samples and
    products computed once into a ring of the filter's rows.
    """
    h, w = x.shape
    work = _work(h, w, taps.size // 2)
    loaded = np.zeros(1, np.int64)
    acc = np.zeros(4, np.int64)
    for i in range(h):
        _filtered_row(x, y, i, taps, taps_f, shifts, work, loaded)
        _add_row_terms(work[5], work[6], limit, w, table, acc)
    return acc[0], acc[1], acc[2], acc[3]


# --- Scale 0 of 8-bit input in 32-bit integer lanes -------------------------------------
# At 8 bits every vertical sum (255^2 * 65536 < 2^32) and the horizontal sum of the means
# (65280 * 65536 < 2^32) fit in uint32, twice as many lanes as float64. Each row's samples
# and products are computed once into a ring of 17 rows; the 17 taps are written out so
# that one pass per moment reads all of them (no accumulator reloaded per tap).

@njit(**KERNEL_OPTIONS)
def _load_ring_row(x, y, i, ring, slot):
    """Row ``i``'s x, y, x^2, y^2 and xy (8-bit samples) into ``ring[:, slot]``."""
    xr = x[i]
    yr = y[i]
    for j in range(xr.size):
        a = np.uint32(xr[j])
        b = np.uint32(yr[j])
        ring[0, slot, j] = a
        ring[1, slot, j] = b
        ring[2, slot, j] = a * a
        ring[3, slot, j] = b * b
        ring[4, slot, j] = a * b


@njit(**KERNEL_OPTIONS)
def _vertical17_u32(rows, s, t, rnd, shift, out):
    """(sum of the 17 taps ``t`` over ring rows ``s`` + rnd) >> shift, into ``out``."""
    s0, s1, s2, s3, s4, s5, s6, s7, s8 = s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8]
    s9, s10, s11, s12, s13, s14, s15, s16 = s[9], s[10], s[11], s[12], s[13], s[14], s[15], s[16]
    t0, t1, t2, t3, t4, t5, t6, t7, t8 = t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]
    for j in range(out.size):
        acc = np.uint32(t8 * rows[s8, j] + t0 * (rows[s0, j] + rows[s16, j])
                        + t1 * (rows[s1, j] + rows[s15, j]) + t2 * (rows[s2, j] + rows[s14, j])
                        + t3 * (rows[s3, j] + rows[s13, j]) + t4 * (rows[s4, j] + rows[s12, j])
                        + t5 * (rows[s5, j] + rows[s11, j]) + t6 * (rows[s6, j] + rows[s10, j])
                        + t7 * (rows[s7, j] + rows[s9, j]))
        out[j] = (acc + rnd) >> shift


@njit(**KERNEL_OPTIONS)
def _horizontal17_u32(src, t, dst):
    """The 17-tap sum along padded uint32 row ``src`` (pad 8), exact, into uint32 ``dst``."""
    t0, t1, t2, t3, t4, t5, t6, t7, t8 = t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]
    for j in range(dst.size):
        dst[j] = (t8 * src[j + 8] + t0 * (src[j] + src[j + 16]) + t1 * (src[j + 1] + src[j + 15])
                  + t2 * (src[j + 2] + src[j + 14]) + t3 * (src[j + 3] + src[j + 13])
                  + t4 * (src[j + 4] + src[j + 12]) + t5 * (src[j + 5] + src[j + 11])
                  + t6 * (src[j + 6] + src[j + 10]) + t7 * (src[j + 7] + src[j + 9]))


@njit(**KERNEL_OPTIONS)
def _to_float(src, dst):
    """``dst[:] = src`` as float64 (a loop of its own, so the uint32 loops keep 8 lanes)."""
    for j in range(src.size):
        dst[j] = np.float64(src[j])


@njit(**KERNEL_OPTIONS)
def _horizontal17_q16(src, t, dst):
    """The 17-tap sum along padded float64 row ``src`` (pad 8) rounded by 16 bits into ``dst``."""
    t0, t1, t2, t3, t4, t5, t6, t7, t8 = (np.float64(t[0]), np.float64(t[1]), np.float64(t[2]),
                                          np.float64(t[3]), np.float64(t[4]), np.float64(t[5]),
                                          np.float64(t[6]), np.float64(t[7]), np.float64(t[8]))
    for j in range(dst.size):
        acc = (t8 * src[j + 8] + t0 * (src[j] + src[j + 16]) + t1 * (src[j + 1] + src[j + 15])
               + t2 * (src[j + 2] + src[j + 14]) + t3 * (src[j + 3] + src[j + 13])
               + t4 * (src[j + 4] + src[j + 12]) + t5 * (src[j + 5] + src[j + 11])
               + t6 * (src[j + 6] + src[j + 10]) + t7 * (src[j + 7] + src[j + 9]))
        dst[j] = np.floor((acc + 32768.0) * (1.0 / 65536.0))


@njit(**KERNEL_OPTIONS)
def vif_scale0_sums_8bit(x, y, taps, limit, table):
    """``vif_scale_sums`` of scale 0 for 8-bit planes (``taps`` = ``TAPS[0]``): the same
    integers, from uint32 lanes. Means round to Q8 after the vertical pass; the products
    keep all their bits (libvmaf's shift is 0 at 8 bits)."""
    h, w = x.shape
    ring = np.empty((5, 17, w), np.uint32)
    slots = np.empty(17, np.int64)
    means = np.zeros((2, w + 16), np.uint32)
    vertical = np.empty(w, np.uint32)
    products = np.zeros((3, w + 16))
    filtered = np.empty((2, w), np.uint32)
    rows = np.empty((5, w))
    acc = np.zeros(4, np.int64)
    loaded = 0
    for i in range(h):
        while loaded <= min(h - 1, i + 8):
            _load_ring_row(x, y, loaded, ring, loaded % 17)
            loaded += 1
        for k in range(17):
            slots[k] = reflect101(i - 8 + k, h) % 17
        for m in range(2):
            _vertical17_u32(ring[m], slots, taps, np.uint32(128), np.uint32(8), means[m, 8:8 + w])
        for m in range(3):
            _vertical17_u32(ring[2 + m], slots, taps, np.uint32(0), np.uint32(0), vertical)
            _to_float(vertical, products[m, 8:8 + w])
        _mirror_rows(means, w, 8)
        _mirror_rows(products, w, 8)
        for m in range(2):
            _horizontal17_u32(means[m], taps, filtered[m])
        for m in range(3):
            _horizontal17_q16(products[m], taps, rows[2 + m])
        _add_row_terms(filtered, rows, limit, w, table, acc)
    return acc[0], acc[1], acc[2], acc[3]


@njit(**KERNEL_OPTIONS)
def vif_scale_maps(x, y, taps, taps_f, shifts, limit, table, num_map, den_map):
    """Per-pixel num and den of one scale (the terms ``vif_scale_sums`` adds up)."""
    h, w = x.shape
    work = _work(h, w, taps.size // 2)
    loaded = np.zeros(1, np.int64)
    means, rows = work[5], work[6]
    for i in range(h):
        _filtered_row(x, y, i, taps, taps_f, shifts, work, loaded)
        for j in range(w):
            den, num, num1, s2 = _statistic(means[0], means[1], rows, j, limit)
            if s2 >= 0.0:
                num_map[i, j] = 1.0 - s2 / 16384.0 / 65025.0
                den_map[i, j] = 1.0
            else:
                num_map[i, j] = (_log2_q11(num, table) - _log2_q11(num1, table)) / LOG_UNIT
                den_map[i, j] = (_log2_q11(den, table) - 17 * 2048) / LOG_UNIT


@njit(**KERNEL_OPTIONS)
def downsample(q, taps, shift, out):
    """Blur integer image ``q`` and keep even rows and columns, into Q8 ``out`` (uint16).

    libvmaf's integer arithmetic: vertical sum rounded by ``shift`` (the bit depth from
    the input plane, 16 from a Q8 image), horizontal sum rounded by 16; mirrored borders.
    Every sum is below 65535 * 65536 + 2^15 < 2^32, so uint32 lanes are exact (``taps``
    from ``TAPS``). Only the even rows are filtered; the horizontal pass reads the padded
    row as even and odd halves, so tap k of output j reads even[j + k // 2] (k even) or
    odd[j + k // 2].
    """
    h, w = q.shape
    r = taps.size // 2
    ho, wo = out.shape
    buf = np.empty(w + 2 * r + 2, np.uint32)
    half_n = (w + 2 * r + 2) // 2
    even = np.empty(half_n, np.uint32)
    odd = np.empty(half_n, np.uint32)
    mid = buf[r:r + w]
    acc = np.empty(wo, np.uint32)
    rnd = np.uint32(1 << (shift - 1))
    bits = np.uint32(shift)
    for oi in range(ho):
        i = 2 * oi
        t = taps[r]
        row = q[i]
        for j in range(w):
            mid[j] = t * np.uint32(row[j])
        for k in range(r):
            t = taps[k]
            ra = q[reflect101(i - r + k, h)]
            rb = q[reflect101(i + r - k, h)]
            for j in range(w):
                mid[j] += t * (np.uint32(ra[j]) + np.uint32(rb[j]))
        for j in range(w):
            mid[j] = (mid[j] + rnd) >> bits
        for f in range(1, r + 1):
            buf[r - f] = buf[r + f]
            buf[r + w - 1 + f] = buf[r + w - 1 - f]
        for m in range(half_n):
            even[m] = buf[2 * m]
            odd[m] = buf[2 * m + 1]
        t = taps[0]
        for j in range(wo):
            acc[j] = t * even[j]
        for k in range(1, 2 * r + 1):
            t = taps[k]
            src = even[k // 2:k // 2 + wo] if k % 2 == 0 else odd[k // 2:k // 2 + wo]
            for j in range(wo):
                acc[j] += t * src[j]
        dst = out[oi]
        for j in range(wo):
            dst[j] = np.uint16((acc[j] + np.uint32(32768)) >> np.uint32(16))


def scale_shifts(scale: int, bit_depth: int) -> np.ndarray:
    """The rounding shifts (bits) of the vertical means, then of the vertical products, of
    ``scale``. Scale 0 reads the native planes: means shift by the bit depth, products by
    2 * (bit depth - 8) (not at all at 8 bits). Scales 1-3 read Q8 images: both shift by 16.
    """
    return np.array((bit_depth, 2 * (bit_depth - 8)) if scale == 0 else (16, 16), dtype=np.int64)


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
        num[s], den[s] = scale_ratio(*scale_sums(qx, qy, s, bit_depth, limit))
    return num, den


def scale_sums(x, y, scale: int, bit_depth: int, limit: float):
    """libvmaf's four accumulators of ``scale`` (see ``vif_scale_sums``), by the fastest
    exact kernel for the input."""
    if scale == 0 and bit_depth == 8:
        return vif_scale0_sums_8bit(x, y, TAPS[0], float(limit), LOG2_TABLE)
    return vif_scale_sums(x, y, TAPS[scale], TAPS_F[scale], scale_shifts(scale, bit_depth), float(limit),
                          LOG2_TABLE)


def scale_shapes(h: int, w: int) -> list[tuple[int, int]]:
    """Image sizes of VIF scales 1-3 (each keeps the even rows and columns of the previous)."""
    shapes = []
    for _ in range(3):
        h, w = h // 2, w // 2
        shapes.append((h, w))
    return shapes
