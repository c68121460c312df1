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

from vqinspect.metrics.vmaf.prepare import KERNEL_OPTIONS

TAPS = (3571, 16004, 26386, 16004, 3571)


@njit(**KERNEL_OPTIONS)
def _mirror(i, n):
    """Index mirrored into [0, n) without repeating the edge sample."""
    if i < 0:
        return -i
    if i >= n:
        return 2 * n - i - 2
    return i


@njit(**KERNEL_OPTIONS)
def blurred_difference_row(prev, cur, i, bit_depth, y_row, out):
    """Row ``i`` of the blurred difference prev - cur (Q8 of the 8-bit scale) into ``out``.

    ``y_row`` is an int64 work row of w + 4 samples (two mirrored samples each side).
    """
    h, w = cur.shape
    c0 = np.int64(TAPS[0])
    c1 = np.int64(TAPS[1])
    c2 = np.int64(TAPS[2])
    shift = np.int64(bit_depth)
    rnd = np.int64(1) << np.int64(bit_depth - 1)
    p0 = prev[_mirror(i - 2, h)]
    p1 = prev[_mirror(i - 1, h)]
    p2 = prev[i]
    p3 = prev[_mirror(i + 1, h)]
    p4 = prev[_mirror(i + 2, h)]
    q0 = cur[_mirror(i - 2, h)]
    q1 = cur[_mirror(i - 1, h)]
    q2 = cur[i]
    q3 = cur[_mirror(i + 1, h)]
    q4 = cur[_mirror(i + 2, h)]
    mid = y_row[2:w + 2]
    for j in range(w):
        d0 = np.int64(p0[j]) - np.int64(q0[j])
        d1 = np.int64(p1[j]) - np.int64(q1[j])
        d2 = np.int64(p2[j]) - np.int64(q2[j])
        d3 = np.int64(p3[j]) - np.int64(q3[j])
        d4 = np.int64(p4[j]) - np.int64(q4[j])
        mid[j] = (c0 * (d0 + d4) + c1 * (d1 + d3) + c2 * d2 + rnd) >> shift
    y_row[0] = y_row[4]
    y_row[1] = y_row[3]
    y_row[w + 2] = y_row[w]
    y_row[w + 3] = y_row[w - 1]
    a = y_row[0:w]
    b = y_row[1:w + 1]
    d = y_row[3:w + 3]
    e = y_row[4:w + 4]
    for j in range(w):
        out[j] = (c0 * (a[j] + e[j]) + c1 * (b[j] + d[j]) + c2 * mid[j] + 32768) >> 16


@njit(**KERNEL_OPTIONS)
def motion_sad(prev, cur, bit_depth):
    """Sum over the frame of |blurred (prev - cur)| in Q8 (libvmaf's motion SAD)."""
    h, w = cur.shape
    y_row = np.empty(w + 4, dtype=np.int64)
    out = np.empty(w, dtype=np.int64)
    total = 0
    for i in range(h):
        blurred_difference_row(prev, cur, i, bit_depth, y_row, out)
        acc = 0
        for j in range(w):
            acc += abs(out[j])
        total += acc
    return total


@njit(**KERNEL_OPTIONS)
def motion_map(prev, cur, bit_depth):
    """Per-pixel |blurred (prev - cur)| on the 8-bit scale (float32)."""
    h, w = cur.shape
    y_row = np.empty(w + 4, dtype=np.int64)
    out = np.empty(w, dtype=np.int64)
    result = np.empty((h, w), dtype=np.float32)
    for i in range(h):
        blurred_difference_row(prev, cur, i, bit_depth, y_row, out)
        for j in range(w):
            result[i, j] = abs(out[j]) / np.float32(256.0)
    return result


def motion_from_sad(total: int, h: int, w: int) -> float:
    """libvmaf's normalisation of the SAD: sad / 256 / (w * h)."""
    return total / 256.0 / (w * h)
