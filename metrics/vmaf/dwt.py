"""libvmaf's db2 wavelet step in its fixed-point arithmetic (integer_adm): Q15 taps, its
shifts and rounding per level, mirrored borders. The classic ADM (``adm.py``) and ADM3/AIM
(``adm3.py``) stream it row by row (``dwt_row``: int32 or float64 lanes); ``dwt2``, the
whole-image form, is what the tests check against the numpy port of libvmaf's C.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from vqinspect.metrics.vmaf.prepare import KERNEL_OPTIONS

DB2_LO = (15826, 27411, 7345, -4240)
DB2_HI = (-4240, -7345, 27411, -15826)
DB2_LO_SUM = 46342


@njit(**KERNEL_OPTIONS)
def mirror_index(i, n):
    """Index ``i`` mirrored into [0, n): -1 reads 1, n reads n - 1. libvmaf's ADM pads this way
    both the wavelet's input and the masking threshold's neighbour rows (both ADMs)."""
    if i < 0:
        return -i
    if i >= n:
        return 2 * n - i - 1
    return i


@njit(**KERNEL_OPTIONS)
def level_shifts(scale, bit_depth):
    """(vertical add, vertical shift, horizontal add, horizontal shift) of libvmaf's DWT."""
    if scale == 0:
        return np.int64(1) << np.int64(bit_depth - 1), np.int64(bit_depth), 32768, 16
    if scale == 1:
        return 0, 0, 16384, 15
    if scale == 2:
        return 32768, 16, 32768, 16
    return 32768, 16, 16384, 15


LO0, LO1, LO2, LO3 = DB2_LO
HI0, HI1, HI2, HI3 = DB2_HI
"""db2 taps as module constants, so that numba folds them into the row loops."""


@njit(**KERNEL_OPTIONS)
def _int_edge(row, j, lo_out, hi_out):
    """Horizontal output ``j`` of a level-0 int32 row with mirrored reads (the row ends)."""
    w = row.size
    a0 = row[mirror_index(2 * j - 1, w)]
    a1 = row[mirror_index(2 * j, w)]
    a2 = row[mirror_index(2 * j + 1, w)]
    a3 = row[mirror_index(2 * j + 2, w)]
    lo_out[j] = np.int32(LO0 * a0 + LO1 * a1 + LO2 * a2 + LO3 * a3 + 32768) >> 16
    hi_out[j] = np.int32(HI0 * a0 + HI1 * a1 + HI2 * a2 + HI3 * a3 + 32768) >> 16


@njit(**KERNEL_OPTIONS)
def _int_horizontal(row, even, odd, lo_out, hi_out):
    """Low and high horizontal outputs of one level-0 int32 row: the row is split into its
    even and odd samples first, so that the taps read contiguous int32 lanes."""
    w = row.size
    for j in range(w // 2):
        even[j] = row[2 * j]
        odd[j] = row[2 * j + 1]
    if w % 2:
        even[w // 2] = row[w - 1]
    inner = (w - 1) // 2  # outputs 1 .. inner - 1 need no mirroring
    for j in range(1, inner):
        a0 = odd[j - 1]
        a1 = even[j]
        a2 = odd[j]
        a3 = even[j + 1]
        lo_out[j] = np.int32(LO0 * a0 + LO1 * a1 + LO2 * a2 + LO3 * a3 + 32768) >> 16
        hi_out[j] = np.int32(HI0 * a0 + HI1 * a1 + HI2 * a2 + HI3 * a3 + 32768) >> 16
    _int_edge(row, 0, lo_out, hi_out)
    for j in range(max(inner, 1), lo_out.size):
        _int_edge(row, j, lo_out, hi_out)


@njit(**KERNEL_OPTIONS)
def int_dwt_row(src, i, bit_depth, tlo, thi, even, odd, a_out, v_out, h_out, d_out):
    """Row ``i`` of the four level-0 bands (``dwt2``) for depths up to 12 bits, in int32
    lanes (twice as many per vector as int64): every sum fits, as the vertical outputs stay
    within +-27411 and the horizontal sums within 54822 * 27411 + 2^15 < 2^31."""
    h, w = src.shape
    vshift = np.uint32(bit_depth) & np.uint32(31)  # known < 32: the shift stays in int32 lanes
    vadd = np.int32(1 << (bit_depth - 1))
    off = vadd - np.int32(DB2_LO_SUM) * vadd  # libvmaf centres the plane on mid-grey
    s0 = src[mirror_index(2 * i - 1, h)]
    s1 = src[mirror_index(2 * i, h)]
    s2 = src[mirror_index(2 * i + 1, h)]
    s3 = src[mirror_index(2 * i + 2, h)]
    for j in range(w):
        a0 = np.int32(s0[j])
        a1 = np.int32(s1[j])
        a2 = np.int32(s2[j])
        a3 = np.int32(s3[j])
        tlo[j] = np.int32(np.int32(LO0 * a0 + LO1 * a1 + LO2 * a2 + LO3 * a3 + off) >> vshift)
        thi[j] = np.int32(np.int32(HI0 * a0 + HI1 * a1 + HI2 * a2 + HI3 * a3 + vadd) >> vshift)
    _int_horizontal(tlo, even, odd, a_out, v_out)
    _int_horizontal(thi, even, odd, h_out, d_out)


@njit(**KERNEL_OPTIONS)
def _float_edge(row, j, add, inv, lo_out, hi_out):
    """``_int_edge`` in float64 lanes (see ``float_dwt_row``)."""
    w = row.size
    a0 = row[mirror_index(2 * j - 1, w)]
    a1 = row[mirror_index(2 * j, w)]
    a2 = row[mirror_index(2 * j + 1, w)]
    a3 = row[mirror_index(2 * j + 2, w)]
    lo_out[j] = np.int32(np.floor((LO0 * a0 + LO1 * a1 + LO2 * a2 + LO3 * a3 + add) * inv))
    hi_out[j] = np.int32(np.floor((HI0 * a0 + HI1 * a1 + HI2 * a2 + HI3 * a3 + add) * inv))


@njit(**KERNEL_OPTIONS)
def _float_horizontal(row, even, odd, add, inv, lo_out, hi_out):
    """``_int_horizontal`` in float64 lanes (see ``float_dwt_row``)."""
    w = row.size
    for j in range(w // 2):
        even[j] = row[2 * j]
        odd[j] = row[2 * j + 1]
    if w % 2:
        even[w // 2] = row[w - 1]
    inner = (w - 1) // 2
    for j in range(1, inner):
        a0 = odd[j - 1]
        a1 = even[j]
        a2 = odd[j]
        a3 = even[j + 1]
        lo_out[j] = np.int32(np.floor((LO0 * a0 + LO1 * a1 + LO2 * a2 + LO3 * a3 + add) * inv))
        hi_out[j] = np.int32(np.floor((HI0 * a0 + HI1 * a1 + HI2 * a2 + HI3 * a3 + add) * inv))
    _float_edge(row, 0, add, inv, lo_out, hi_out)
    for j in range(max(inner, 1), lo_out.size):
        _float_edge(row, j, add, inv, lo_out, hi_out)


@njit(**KERNEL_OPTIONS)
def float_dwt_row(src, i, level, bit_depth, tlo, thi, even, odd, a_out, v_out, h_out, d_out):
    """Row ``i`` of the four bands of a level (``dwt2``) in float64 lanes: every sum is
    an integer below 2^47 (|samples| < 2^31 times taps summing to 54822), exact in float64
    so that FMAs cannot change it, and each shift is the floor of an exact power-of-two
    product (float64 FMAs run several times faster than int64 multiplies)."""
    h, w = src.shape
    vadd, vshift, hadd, hshift = level_shifts(level, bit_depth)
    vinv = 1.0 / np.float64(1 << vshift)
    hinv = 1.0 / np.float64(1 << hshift)
    va = np.float64(vadd)
    centre = np.float64(DB2_LO_SUM * vadd if level == 0 else 0)
    s0 = src[mirror_index(2 * i - 1, h)]
    s1 = src[mirror_index(2 * i, h)]
    s2 = src[mirror_index(2 * i + 1, h)]
    s3 = src[mirror_index(2 * i + 2, h)]
    for j in range(w):
        a0 = np.float64(s0[j])
        a1 = np.float64(s1[j])
        a2 = np.float64(s2[j])
        a3 = np.float64(s3[j])
        tlo[j] = np.floor((LO0 * a0 + LO1 * a1 + LO2 * a2 + LO3 * a3 - centre + va) * vinv)
        thi[j] = np.floor((HI0 * a0 + HI1 * a1 + HI2 * a2 + HI3 * a3 + va) * vinv)
    _float_horizontal(tlo, even, odd, np.float64(hadd), hinv, a_out, v_out)
    _float_horizontal(thi, even, odd, np.float64(hadd), hinv, h_out, d_out)


@njit(**KERNEL_OPTIONS)
def row_scratch(w):
    """The scratch rows ``dwt_row`` needs for a source ``w`` samples wide (int32 ones for the
    int32 lanes, float64 ones for the others)."""
    half = w // 2 + 1
    return (np.zeros(w, np.int32), np.zeros(w, np.int32), np.zeros(half, np.int32), np.zeros(half, np.int32),
            np.zeros(w), np.zeros(w), np.zeros(half), np.zeros(half))


@njit(inline="always", **KERNEL_OPTIONS)  # in the callers' loops: no 8-tuple passed per row
def dwt_row(src, i, level, bit_depth, scratch, a_out, v_out, h_out, d_out):
    """Row ``i`` of the four bands of a level (see ``dwt2``): int32 lanes where every sum fits
    (level 0 up to 12 bits), exact float64 lanes elsewhere (some of libvmaf's sums need more
    than 32 bits). ``scratch`` from ``row_scratch``."""
    itlo, ithi, ieven, iodd, ftlo, fthi, feven, fodd = scratch
    if level == 0 and bit_depth <= 12:
        int_dwt_row(src, i, bit_depth, itlo, ithi, ieven, iodd, a_out, v_out, h_out, d_out)
    else:
        float_dwt_row(src, i, level, bit_depth, ftlo, fthi, feven, fodd, a_out, v_out, h_out, d_out)


@njit(**KERNEL_OPTIONS)
def dwt2(src, level, bit_depth, out):
    """One db2 step of integer image ``src`` into ``out`` = int32 (h, v, d, a) bands.

    Level 0 reads the native-depth plane (centred on mid-grey as libvmaf does), later
    levels the previous ``a`` band. Bands are ((h + 1) // 2, (w + 1) // 2); a = low rows
    / low columns, v = low rows / high columns, h = high rows / low columns, d = high /
    high (libvmaf's naming), each row made by ``dwt_row``.
    """
    scratch = row_scratch(src.shape[1])
    for i in range((src.shape[0] + 1) // 2):
        dwt_row(src, i, level, bit_depth, scratch, out[3, i], out[1, i], out[0, i], out[2, i])
