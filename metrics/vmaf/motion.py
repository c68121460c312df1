"""Motion on the reference luma, bit-exact with libvmaf's integer_motion (fused pipeline).

The difference of two consecutive reference frames is blurred with the 5-tap Q16
Gaussian [3571, 16004, 26386, 16004, 3571] -- vertical pass first, rounded to Q8 of the
8-bit scale, then horizontal, borders mirrored without repeating the edge sample -- and
its mean absolute value is the frame's motion. motion2 of frame i is min(motion[i],
motion[i + 1]) (motion[i] at the last frame, 0 at the first).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from vqinspect.metrics.vmaf.prepare import KERNEL_OPTIONS, reflect101

TAPS = (3571, 16004, 26386, 16004, 3571)


@njit(**KERNEL_OPTIONS)
def vertical_row(prev, cur, i, bit_depth, y_row):
    """Vertical pass of row ``i`` of the blurred difference prev - cur (Q8 of the 8-bit
    scale) into ``y_row[2:w + 2]``, with two mirrored samples each side for the horizontal
    pass (``horizontal``).

    The integer pipeline runs in float64 lanes: every value is an integer below 2^34, so
    the sums are exact, and the shifts are floors of exact power-of-two products
    (vectorised float64 FMAs are faster than int64 multiplies).
    """
    h, w = cur.shape
    c0 = np.float64(TAPS[0])
    c1 = np.float64(TAPS[1])
    c2 = np.float64(TAPS[2])
    inv = 1.0 / np.float64(1 << bit_depth)
    rnd = np.float64(1 << (bit_depth - 1))
    p0 = prev[reflect101(i - 2, h)]
    p1 = prev[reflect101(i - 1, h)]
    p2 = prev[i]
    p3 = prev[reflect101(i + 1, h)]
    p4 = prev[reflect101(i + 2, h)]
    q0 = cur[reflect101(i - 2, h)]
    q1 = cur[reflect101(i - 1, h)]
    q2 = cur[i]
    q3 = cur[reflect101(i + 1, h)]
    q4 = cur[reflect101(i + 2, h)]
    mid = y_row[2:w + 2]
    for j in range(w):
        d0 = np.float64(np.int32(p0[j]) - np.int32(q0[j]))
        d1 = np.float64(np.int32(p1[j]) - np.int32(q1[j]))
        d2 = np.float64(np.int32(p2[j]) - np.int32(q2[j]))
        d3 = np.float64(np.int32(p3[j]) - np.int32(q3[j]))
        d4 = np.float64(np.int32(p4[j]) - np.int32(q4[j]))
        mid[j] = np.floor((c0 * (d0 + d4) + c1 * (d1 + d3) + c2 * d2 + rnd) * inv)
    y_row[0] = y_row[4]
    y_row[1] = y_row[3]
    y_row[w + 2] = y_row[w]
    y_row[w + 3] = y_row[w - 1]


@njit(**KERNEL_OPTIONS)
def horizontal(a, b, mid, d, e):
    """One output of the horizontal pass from its five (shifted) vertical samples."""
    return np.floor((TAPS[0] * (a + e) + TAPS[1] * (b + d) + TAPS[2] * mid + 32768.0)
                    * (1.0 / 65536.0))


@njit(**KERNEL_OPTIONS)
def motion_sad(prev, cur, bit_depth):
    """Sum over the frame of |blurred (prev - cur)| in Q8 (libvmaf's motion SAD)."""
    h, w = cur.shape
    y_row = np.empty(w + 4, dtype=np.float64)
    a, b, mid, d, e = y_row[0:w], y_row[1:w + 1], y_row[2:w + 2], y_row[3:w + 3], y_row[4:w + 4]
    total = 0.0  # exact: below 2^53
    for i in range(h):
        vertical_row(prev, cur, i, bit_depth, y_row)
        for j in range(w):  # summed as made: no per-pixel row
            total += abs(horizontal(a[j], b[j], mid[j], d[j], e[j]))
    return np.int64(total)


@njit(**KERNEL_OPTIONS)
def motion_map(prev, cur, bit_depth):
    """Per-pixel |blurred (prev - cur)| on the 8-bit scale (float32)."""
    h, w = cur.shape
    y_row = np.empty(w + 4, dtype=np.float64)
    a, b, mid, d, e = y_row[0:w], y_row[1:w + 1], y_row[2:w + 2], y_row[3:w + 3], y_row[4:w + 4]
    result = np.empty((h, w), dtype=np.float32)
    for i in range(h):
        vertical_row(prev, cur, i, bit_depth, y_row)
        out = result[i]
        for j in range(w):
            out[j] = np.float32(abs(horizontal(a[j], b[j], mid[j], d[j], e[j]))) / np.float32(256.0)
    return result


def motion_from_sad(total: int, h: int, w: int) -> float:
    """libvmaf's normalisation of the SAD: sad / 256 / (w * h)."""
    return total / 256.0 / (w * h)
