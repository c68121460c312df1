"""ADM / DLM (detail loss metric) at four wavelet scales, as libvmaf's integer_adm defines it.

Each scale: a db2 wavelet step of both images, the distorted detail split into a
restored part r (the reference band scaled by a clamped ratio, set to the distorted
band where the (h, v) directions agree within 1 degree) and an additive part a, both
weighted by the Watson CSF of the scale; the additive part masks the restored one
through a 3x3 neighbourhood threshold. Sums run over the band minus a 10 % border.

The wavelet bands are computed in libvmaf's fixed-point arithmetic (Q15 filter taps,
its shifts and rounding; band values are integers with ``BAND_Q`` fraction bits), the
1-degree test uses their exact integer products, and the restored part follows
libvmaf's integer division (a truncated reciprocal table), all as libvmaf does: the
test is a hard threshold that bands differing in the last bit flip on borderline
pixels (moving a coarse-scale score by up to ~1e-3), and the truncated reciprocals
bias the restored part by ~1e-5. CSF weighting and masking run in float32.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from vqinspect.metrics.vmaf.dwt import dwt_row, mirror_index, row_scratch
from vqinspect.metrics.vmaf.prepare import KERNEL_OPTIONS

BAND_Q = (6, 21, 19, 18)
"""Fraction bits of the integer bands at scales 0-3 (libvmaf's shifts)."""
BORDER_FACTOR = 0.1
NOISE_WEIGHT = 1.0 / 32.0
"""Noise-floor weight of the cube-root area term (libvmaf DEFAULT_ADM_NOISE_WEIGHT)."""
COS_1DEG_SQ = float(np.float32(math.cos(math.pi / 180.0) * math.cos(math.pi / 180.0)))
ONE_BY_30 = np.float32(0.0333333351)
ONE_BY_15 = np.float32(0.0666666701)

_AMPLITUDES = ((0.62171, 0.67234, 0.72709, 0.67234),
               (0.34537, 0.41317, 0.49428, 0.41317),
               (0.18004, 0.22727, 0.28688, 0.22727),
               (0.091401, 0.11792, 0.15214, 0.11792))
"""Watson et al. 1997, table V: 7-9 wavelet basis amplitudes A[lambda][theta]."""


def _quant_step(scale: int, theta: int, view_dist: float = 3.0,
                display_height: int = 1080) -> float:
    """Watson's visibility threshold of DWT level ``scale``, orientation ``theta`` (float32)."""
    a, k, f0, g = 0.495, 0.466, 0.401, (1.501, 1.0, 0.534, 1.0)
    r = np.float32(view_dist * display_height * math.pi / 180.0)
    frequency = 2.0 ** (scale + 1) * np.float32(f0) * np.float32(g[theta]) / float(r)
    temp = np.float32(math.log10(frequency))
    q = 2.0 * np.float32(a) * 10.0 ** (np.float32(k) * float(temp) * float(temp))
    return float(np.float32(q / np.float32(_AMPLITUDES[scale][theta])))


CSF = np.array([[np.float32(1.0) / np.float32(_quant_step(s, 1)),
                 np.float32(1.0) / np.float32(_quant_step(s, 2))] for s in range(4)],
               dtype=np.float32)
"""CSF weights per scale: [h and v bands, d band]."""


def _fixed_point_csf(scale: int) -> tuple[float, float]:
    """The CSF weights libvmaf's integer ADM applies to the restored and additive parts.

    Scale 0 uses hard-coded Q21/Q23 constants (3e-5 above the float weights); scales
    1-3 truncate the float weights to Q32. The reference's own energy (den) is weighted
    with the float weights.
    """
    if scale == 0:
        return 36453 / 2.0 ** 21, 49417 / 2.0 ** 23
    return tuple(int(float(c) * 2.0 ** 32) / 2.0 ** 32 for c in CSF[scale])


WEIGHTS = np.array([list(_fixed_point_csf(s)) + list(CSF[s]) for s in range(4)],
                   dtype=np.float32)
"""Per scale: [h/v and d weights of restored and additive parts, h/v and d weights of den]."""


def band_shapes(h: int, w: int) -> list[tuple[int, int]]:
    """Band sizes of the four DWT scales of an h x w image."""
    shapes = []
    for _ in range(4):
        h, w = (h + 1) // 2, (w + 1) // 2
        shapes.append((h, w))
    return shapes


@njit(inline="always", **KERNEL_OPTIONS)
def _halve(p, ip, u, big, step, inv_step):
    """One step of the binary search for the power of two above 15 bits (see ``_restored``)."""
    hit = u >= step
    scaled = u * inv_step
    grow = hit & big
    bigger = p * step
    smaller = ip * inv_step
    return (bigger if grow else p), (smaller if grow else ip), (scaled if hit else u)


@njit(inline="always", **KERNEL_OPTIONS)
def _restored(o, t, g, angle):
    """libvmaf's integer restored part of one band sample (``o``, ``t`` integers as float64).

    k = t / o in Q15 through a truncated reciprocal table (floor(2^30 / m), with |o| above
    15 bits first rounded to 15 bits), clamped to [0, 1]; r = k * o rounded; where the
    directions agree within 1 degree r becomes min(r * gain, t) (max for negative r),
    truncated. float64 holds every intermediate exactly (all below 2^53). Both sides of
    every choice are computed first, so the choices are selects and the loop vectorises.
    """
    a = abs(o)
    big = a >= 32768.0
    u = a * (1.0 / 32768.0)  # when big, |o| has floor(log2 u) + 1 bits above 15
    p = 2.0 if big else 1.0
    ip = 0.5 if big else 1.0
    p, ip, u = _halve(p, ip, u, big, 256.0, 1.0 / 256.0)
    p, ip, u = _halve(p, ip, u, big, 16.0, 1.0 / 16.0)
    p, ip, u = _halve(p, ip, u, big, 4.0, 1.0 / 4.0)
    p, ip, u = _halve(p, ip, u, big, 2.0, 1.0 / 2.0)
    rounded = np.floor((a + 0.5 * p) * ip)
    m = rounded if big else a
    recip = np.floor(1073741824.0 / np.maximum(m, 1.0))
    sign = 1.0 if o > 0.0 else -1.0
    ratio = np.floor((recip * t * sign + 16384.0 * p) * (ip * (1.0 / 32768.0)))
    clamped = np.minimum(np.maximum(ratio, 0.0), 32768.0)
    k = clamped if o != 0.0 else 32768.0
    r = np.floor((k * o + 16384.0) * (1.0 / 32768.0))
    rg = r * g
    capped = np.trunc(np.minimum(rg, t))
    floored = np.trunc(np.maximum(rg, t))
    up = angle & (k > 0.0) & (o > 0.0)
    down = angle & (k > 0.0) & (o < 0.0)
    r = floored if down else r
    return capped if up else r


@njit(**KERNEL_OPTIONS)
def _angle_flag(oh, ov, th, tv):
    """libvmaf's 1-degree test on integer (h, v) vectors: exact products, then float32 / 4096."""
    ot = np.int64(oh) * np.int64(th) + np.int64(ov) * np.int64(tv)
    om = np.int64(oh) * np.int64(oh) + np.int64(ov) * np.int64(ov)
    tm = np.int64(th) * np.int64(th) + np.int64(tv) * np.int64(tv)
    f_ot = np.float64(np.float32(ot)) / 4096.0
    f_om = np.float64(np.float32(om)) / 4096.0
    f_tm = np.float64(np.float32(tm)) / 4096.0
    return (f_ot >= 0.0) & (f_ot * f_ot >= COS_1DEG_SQ * f_om * f_tm)


@njit(**KERNEL_OPTIONS)
def _decouple_row(oh, ov, od, th, tv, td, unit, g, csf_hv, csf_d, rch, rcv, rcd, mask):
    """Row of |csf * restored| per orientation (``rch``, ``rcv``, ``rcd``) and the masker sum.

    Band rows are integer slices of equal length (``unit`` = 2^-fraction bits); the
    restored part is libvmaf's integer one (``_restored``). The masker is the sum over
    orientations of |csf * a| with a = distorted - restored, the quantity libvmaf's
    masking filters.
    """
    for j in range(oh.size):
        angle = _angle_flag(oh[j], ov[j], th[j], tv[j])
        o_h = np.float64(oh[j])
        o_v = np.float64(ov[j])
        o_d = np.float64(od[j])
        t_h = np.float64(th[j])
        t_v = np.float64(tv[j])
        t_d = np.float64(td[j])
        r_h = np.float32(_restored(o_h, t_h, g, angle)) * unit
        r_v = np.float32(_restored(o_v, t_v, g, angle)) * unit
        r_d = np.float32(_restored(o_d, t_d, g, angle)) * unit
        t_h = np.float32(t_h) * unit
        t_v = np.float32(t_v) * unit
        t_d = np.float32(t_d) * unit
        rch[j] = abs(csf_hv * r_h)
        rcv[j] = abs(csf_hv * r_v)
        rcd[j] = abs(csf_d * r_d)
        mask[j] = abs(csf_hv * (t_h - r_h)) + abs(csf_hv * (t_v - r_v)) + abs(csf_d * (t_d - r_d))


@njit(**KERNEL_OPTIONS)
def _cm_run(rch, rcv, rcd, up, mid, dn, oh, ov, od, unit, den_hv, den_d, out):
    """Cubed terms of a run: out[0..2] = x^3 (masked restored detail), out[3..5] = |csf o|^3.

    x = max(|csf r| - threshold, 0) with threshold = (8 neighbours of the masker) / 30 +
    (the masker at the pixel) / 15, libvmaf's contrast masking. The masker rows
    ``up``, ``mid``, ``dn`` are 2 samples longer than the run (one neighbour each side).
    """
    zero = np.float32(0.0)
    o0 = out[0]
    o1 = out[1]
    o2 = out[2]
    o3 = out[3]
    o4 = out[4]
    o5 = out[5]
    for j in range(rch.size):
        box = (up[j] + up[j + 1] + up[j + 2] + mid[j] + mid[j + 2]
               + dn[j] + dn[j + 1] + dn[j + 2])
        thr = box * ONE_BY_30 + mid[j + 1] * ONE_BY_15
        xh = np.maximum(rch[j] - thr, zero)
        xv = np.maximum(rcv[j] - thr, zero)
        xd = np.maximum(rcd[j] - thr, zero)
        o0[j] = xh * xh * xh
        o1[j] = xv * xv * xv
        o2[j] = xd * xd * xd
        ch = abs(den_hv * unit * np.float32(oh[j]))
        cv = abs(den_hv * unit * np.float32(ov[j]))
        cd = abs(den_d * unit * np.float32(od[j]))
        o3[j] = ch * ch * ch
        o4[j] = cv * cv * cv
        o5[j] = cd * cd * cd


@njit(**KERNEL_OPTIONS)
def _cm_row(rc, up, mid, dn, oh, ov, od, unit, den_hv, den_d, left, right, edge, out):
    """Cubed terms of columns [left, right) of one row into ``out[:, :right - left]``.

    The masker rows are copied into ``edge`` (3 x (w + 2)) with column -1 reading
    column 1 and column w reading column w - 1, so the run has both neighbours.
    """
    w = mid.size
    for k, src in enumerate((up, mid, dn)):
        row = edge[k]
        row[1:w + 1] = src
        row[0] = src[1]
        row[w + 1] = src[w - 1]
    _cm_run(rc[0, left:right], rc[1, left:right], rc[2, left:right],
            edge[0, left:right + 2], edge[1, left:right + 2], edge[2, left:right + 2],
            oh[left:right], ov[left:right], od[left:right], unit, den_hv, den_d, out)


@njit(**KERNEL_OPTIONS)
def scale_pass(src_r, src_d, level, bit_depth, egl, top, bottom, left, right, sums, planes, a_r, a_d):
    """One ADM scale of the two pictures (native luma at scale 0, the previous ``a`` band
    after), streamed by band row: the cubed terms over rows [top, bottom) and columns
    [left, right) are added into ``sums`` (float64[6]: x^3 for h, v, d, then |csf o|^3
    for h, v, d) and, when ``planes`` has shape (6, h, w), stored per pixel.

    Row i of the (h, v, d) bands is made by the wavelet step (the ``a`` band goes whole to
    ``a_r``/``a_d``: the next scale reads it), decoupled into 3-row rings, and row i - 1,
    whose masker neighbours are then ready, is masked: the bands never go out to memory.
    """
    h, w = a_r.shape
    g = np.float64(egl)
    u = np.float32(2.0 ** -BAND_Q[level])
    weights = WEIGHTS[level]
    csf_hv, csf_d, den_hv, den_d = weights[0], weights[1], weights[2], weights[3]
    scratch = row_scratch(src_r.shape[1])
    band_r = np.zeros((3, 3, w), np.int32)  # ring slot, band (h, v, d), column
    band_d = np.zeros((3, 3, w), np.int32)
    rc = np.zeros((3, 3, w), dtype=np.float32)
    mask = np.zeros((3, w), dtype=np.float32)
    edge = np.zeros((3, w + 2), dtype=np.float32)
    n = right - left
    out = np.zeros((6, n), dtype=np.float32)
    store = planes.shape[1] == h
    i0, i1 = max(top - 1, 0), min(bottom + 1, h)
    j0, j1 = max(left - 1, 0), min(right + 1, w)
    for i in range(h + 1):
        if i < h:  # every row of the a band: the next scale reads it whole
            k = i % 3
            for src, ao, bands in ((src_r, a_r, band_r), (src_d, a_d, band_d)):
                dwt_row(src, i, level, bit_depth, scratch, ao[i], bands[k, 1], bands[k, 0], bands[k, 2])
            if i0 <= i < i1:
                o, t = band_r[k], band_d[k]
                _decouple_row(o[0, j0:j1], o[1, j0:j1], o[2, j0:j1], t[0, j0:j1], t[1, j0:j1], t[2, j0:j1], u, g,
                              csf_hv, csf_d, rc[k, 0, j0:j1], rc[k, 1, j0:j1], rc[k, 2, j0:j1], mask[k, j0:j1])
        q = i - 1
        if q < top or q >= bottom:
            continue
        up, dn = mirror_index(q - 1, h), mirror_index(q + 1, h)  # the masker's neighbour rows
        o = band_r[q % 3]
        _cm_row(rc[q % 3], mask[up % 3], mask[q % 3], mask[dn % 3], o[0], o[1], o[2], u, den_hv, den_d, left,
                right, edge, out)
        for t in range(6):
            acc = 0.0
            row = out[t]
            for j in range(n):
                acc += row[j]
            sums[t] += acc
            if store:
                planes[t, q, left:right] = row


def region(h: int, w: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of a band after dropping libvmaf's 10 % border."""
    top = int(h * BORDER_FACTOR - 0.5)
    left = int(w * BORDER_FACTOR - 0.5)
    return top, h - top, left, w - left


def adm_sums(ref, dis, bit_depth, egl, a_bands):
    """(num[4], den[4]) of the four scales of native-depth planes ``ref`` and ``dis``.

    ``a_bands``: work buffers, int32 (2, h_s, w_s) per scale (see ``band_shapes``) for the
    two pictures' ``a`` bands. A Python driver: each kernel then compiles once per input
    type, not once per caller.
    """
    num = np.zeros(4)
    den = np.zeros(4)
    empty = np.zeros((6, 0, 0), dtype=np.float32)
    src_r, src_d = ref, dis
    for s in range(4):
        a = a_bands[s]
        h, w = a.shape[1], a.shape[2]
        top, bottom, left, right = region(h, w)
        sums = np.zeros(6)
        scale_pass(src_r, src_d, s, bit_depth, egl, top, bottom, left, right, sums, empty, a[0], a[1])
        src_r, src_d = a[0], a[1]
        area_term = (max(bottom - top, 0) * max(right - left, 0) * NOISE_WEIGHT) ** (1.0 / 3.0)
        num[s] = np.cbrt(sums[:3]).sum() + 3 * area_term
        den[s] = np.cbrt(sums[3:]).sum() + 3 * area_term
    return num, den
