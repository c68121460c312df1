"""ADM3 and AIM (VMAF v1 models) as libvmaf's integer ``adm`` extractor computes them.

Same db2 wavelet as ``adm.py`` (``dwt.py``, computed row by row in int32 or exact
float64 lanes), but every later step runs in libvmaf's fixed-point arithmetic with the
options of the v1 models: CSF mode 2 (the Barten-Watson blend tables for a viewing
distance and reference display height), an enhancement gain limit, a noise weight, the
detail-loss weight and a floor.

Per level: the distorted bands are split into a restored part r and an additive part a
(integer reciprocal table); DLM masks the CSF-weighted r by a threshold built from the
CSF-weighted a (3x3 neighbourhood), AIM masks a by a threshold built from r (no noise
term). adm2 = sum(num)/sum(den), aim = sum(aim_num)/sum(den), adm3 = max(dlmw * adm2 +
(1 - dlmw) * (1 - aim), min_val). libvmaf's quirks are kept: at levels 1-3 the
rounding constant 1 << 31 of the masking maps wraps to -2^31 in an int32, the denominator
adds a full unit before its squaring shift, and the level-0 diagonal CSF adds 65535.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import leading_zeros

from vqinspect.metrics.registry import MetricError
from vqinspect.metrics.vmaf import adm
from vqinspect.metrics.vmaf.dwt import dwt_row, mirror_index, row_scratch
from vqinspect.metrics.vmaf.prepare import KERNEL_OPTIONS, Workspace

BLEND_CSF = {
    # (display height, viewing distance): ((h/v levels 0-3), (d levels 0-3))
    (1080, 3.0): ((0.01183, 0.025026, 0.04295, 0.058621), (0.004302, 0.011778, 0.023918, 0.035901)),
    (2160, 1.5): ((0.01183, 0.025026, 0.04295, 0.058621), (0.004302, 0.011778, 0.023918, 0.035901)),
    (1080, 5.0): ((0.004212, 0.014809, 0.029642, 0.047464), (0.000984, 0.005852, 0.0146, 0.027574)),
    (2160, 3.0): ((0.00226, 0.01183, 0.025026, 0.04295), (0.000479, 0.004302, 0.011778, 0.023918)),
    (2160, 5.0): ((0.000092, 0.004212, 0.014809, 0.029642), (0.000050, 0.000984, 0.005852, 0.0146)),
}
"""libvmaf barten_csf_tools.h: CSF factors of csf mode 2 (Barten-Watson blend, legacy tables)."""

COS_1DEG_SQ = np.float32(math.cos(math.pi / 180.0) ** 2)
I4_ONE_BY_30 = 143165577
I4_ONE_BY_15 = 286331153
WRAPPED_HALF = -(1 << 31)
"""libvmaf stores 1u << 31 (the rounding term of the level 1-3 masking maps) in an int32."""


@dataclass(frozen=True)
class AdmOptions:
    """Options of libvmaf's integer adm extractor that the v1 models set."""

    csf_mode: int = 2
    dlm_weight: float = 0.5
    enhn_gain_limit: float = 100.0
    noise_weight: float = 0.03125
    min_val: float = 0.0
    norm_view_dist: float = 3.0
    ref_display_height: int = 1080

    def factors(self) -> np.ndarray:
        """float32 CSF factors (4 levels x [h/v, d]); MetricError for tables libvmaf lacks."""
        if self.csf_mode != 2:
            raise MetricError(f"VMAF: adm_csf_mode {self.csf_mode} is not supported (only 2)")
        key = (int(self.ref_display_height), float(self.norm_view_dist))
        if key not in BLEND_CSF:
            known = ", ".join(f"{d}@{v}H" for d, v in BLEND_CSF)
            raise MetricError(f"VMAF: no CSF table for display height {key[0]} at {key[1]}H "
                              f"(known: {known})")
        hv, d = BLEND_CSF[key]
        return np.array([[hv[s], d[s]] for s in range(4)], dtype=np.float32)


def integer_factors(f: np.ndarray) -> np.ndarray:
    """Fixed-point CSF factors per level [h, v, d] (level 0: Q21/Q21/Q23, levels 1-3: Q32)."""
    out = np.zeros((4, 3), dtype=np.int64)
    for s in range(4):
        hv, d = float(f[s, 0]), float(f[s, 1])
        if s == 0:
            out[s] = [int(hv * 2.0 ** 21) & 0xFFFF, int(hv * 2.0 ** 21) & 0xFFFF,
                      int(d * 2.0 ** 23) & 0xFFFF]
        else:
            out[s] = [int(hv * 2.0 ** 32), int(hv * 2.0 ** 32), int(d * 2.0 ** 32)]
    return out


_WORK = Workspace()
"""Per-thread band buffers, reused from frame to frame (fresh ones cost page faults)."""


@njit(**KERNEL_OPTIONS)
def _restored(o, t, level, angle, egl):
    """libvmaf's restored part of one distorted band sample ``t`` given the reference ``o``.

    libvmaf's reciprocal table entry trunc(2^30 / q) is computed as a float64 quotient:
    exact, as 2^30 / q is never within 2^-23 below an integer it is not equal to. Written
    without branches (selects) so that the row loop vectorises.
    """
    ao = abs(o)
    e = np.int64(0)
    if level > 0 and ao >= 32768:  # levels 1-3 keep 15 significant bits of |o|
        e = np.int64(49) - leading_zeros(ao)
    q = (ao + ((np.int64(1) << e) >> 1)) >> e
    recip = np.int64(1073741824.0 / np.float64(max(q, np.int64(1))))
    signed_t = -t if o < 0 else t
    k = (recip * signed_t + (np.int64(1) << (14 + e))) >> (15 + e)
    k = np.int64(32768) if o == 0 else min(max(k, np.int64(0)), np.int64(32768))
    rst = (k * o + 16384) >> 15
    boosted = np.float64(rst) * egl
    capped = np.int64(min(boosted, np.float64(t)) if o > 0 else max(boosted, np.float64(t)))
    return capped if (angle and k != 0 and o != 0) else rst


@njit(**KERNEL_OPTIONS)
def _decouple_row(ref, dis, i, level, egl, r, a, j0, j1):
    """Columns [j0, j1) of row ``i``: restored ``r`` and additive ``a`` parts (3, w) of the
    distorted (h, v, d) bands ``dis`` (3, h, w) given the reference ``ref``."""
    cos2 = np.float64(COS_1DEG_SQ)
    # row views starting at j0 and a loop from 0: the loop vectorises (with the column
    # range in the indices, numba's negative-index wrap-around defeats it)
    oh_row, ov_row, od_row = ref[0, i, j0:j1], ref[1, i, j0:j1], ref[2, i, j0:j1]
    th_row, tv_row, td_row = dis[0, i, j0:j1], dis[1, i, j0:j1], dis[2, i, j0:j1]
    rh_row, rv_row, rd_row = r[0, j0:j1], r[1, j0:j1], r[2, j0:j1]
    ah_row, av_row, ad_row = a[0, j0:j1], a[1, j0:j1], a[2, j0:j1]
    for j in range(oh_row.size):
        oh = np.int64(oh_row[j])
        ov = np.int64(ov_row[j])
        th = np.int64(th_row[j])
        tv = np.int64(tv_row[j])
        f_ot = np.float64(np.float32(oh * th + ov * tv)) / 4096.0
        f_om = np.float64(np.float32(oh * oh + ov * ov)) / 4096.0
        f_tm = np.float64(np.float32(th * th + tv * tv)) / 4096.0
        angle = f_ot >= 0.0 and f_ot * f_ot >= cos2 * f_om * f_tm
        rh = _restored(oh, th, level, angle, egl)
        rv = _restored(ov, tv, level, angle, egl)
        td = np.int64(td_row[j])
        rd = _restored(np.int64(od_row[j]), td, level, angle, egl)
        rh_row[j] = rh
        rv_row[j] = rv
        rd_row[j] = rd
        ah_row[j] = th - rh
        av_row[j] = tv - rv
        ad_row[j] = td - rd


@njit(**KERNEL_OPTIONS)
def decouple(ref, dis, level, egl, r, a):
    """Restored ``r`` and additive ``a`` parts (3, h, w) of the distorted (h, v, d) bands
    (the whole-band form of the row kernel ``level_pass`` streams; the tests check it)."""
    _, h, w = ref.shape
    for i in range(h):
        _decouple_row(ref, dis, i, level, egl, r[:, i], a[:, i], 0, w)


@njit(**KERNEL_OPTIONS)
def _masker_row(x, level, fac, srow, crow, j0, j1):
    """One row of the masker's maps (see ``masker_maps``) from its (3, w) bands ``x``."""
    for b in range(3):
        ib = np.int64(np.int32(fac[b]))  # < 2^31: lets LLVM use 32x32-bit multiplies
        add = np.int64(65535 if b == 2 else 16384)
        sh = np.int64(17 if b == 2 else 15)
        src, srow_b, crow_b = x[b, j0:j1], srow[j0:j1], crow[j0:j1]  # loops from 0 vectorise
        for j in range(src.size):
            v = np.int64(src[j])
            if level == 0:
                c = abs(np.int64(np.int16((ib * v + add) >> sh)))
                f = np.int64(np.int16((4369 * c + 2048) >> 12))
                cc = np.int64(np.int16((8738 * c + 2048) >> 12))
            else:
                c = abs(np.int64(np.int32((ib * v + (1 << 27)) >> 28)))
                f = np.int64(np.int32((I4_ONE_BY_30 * c + WRAPPED_HALF) >> 32))
                cc = np.int64(np.int32((I4_ONE_BY_15 * c + WRAPPED_HALF) >> 32))
            if b == 0:
                srow_b[j] = f
                crow_b[j] = cc
            else:
                srow_b[j] += f
                crow_b[j] += cc


@njit(**KERNEL_OPTIONS)
def masker_maps(x, level, fac, s_out, c_out):
    """The masker's contributions to the masking threshold, summed over orientations:
    ``s_out`` the 1/30 terms each pixel gives its 8 neighbours, ``c_out`` the 1/15 term
    it gives itself (libvmaf's adm_csf / i4_adm_csf maps of the CSF-weighted bands)."""
    _, h, w = x.shape
    for i in range(h):
        _masker_row(x[:, i], level, fac, s_out[i], c_out[i], 0, w)


@njit(**KERNEL_OPTIONS)
def _masked_shifts(level, h, w):
    """(pre_add, pre_sh, sub[3], q[3], column shift[3], row shift, row add) of a level."""
    if level == 0:
        c_hv = np.int64(math.ceil(math.log2(w) - 4))
        c_d = np.int64(math.ceil(math.log2(w) - 3))
    else:
        c_hv = np.int64(math.ceil(math.log2(w)))
        c_d = c_hv
    rs = np.int64(math.ceil(math.log2(h)))
    add_r = (np.int64(1) << (rs - 1)) if rs > 0 else np.int64(0)
    if level == 0:  # x = |i32(z * I)| - i32(thr << sub)
        pre_add, pre_sh = np.int64(0), np.int64(0)
        subs = np.array([10, 10, 12], np.int64)
        qs = np.array([29, 29, 30], np.int64)
    else:  # x = |i32((z * I + 2^27) >> 28)| - thr
        pre_add, pre_sh = np.int64(1 << 27), np.int64(28)
        subs = np.zeros(3, np.int64)
        qs = np.full(3, 30, np.int64)
    css = np.array([c_hv, c_hv, c_d], np.int64)
    return pre_add, pre_sh, subs, qs, css, rs, add_r


@njit(**KERNEL_OPTIONS)
def _masked_row(z, su, sm, sd, crow, level, fac, left, right, shifts, col, thr, acc,
                units, prow):
    """Masked numerator terms of one row over columns [left, right) into ``acc`` (int64[3]).

    ``z`` (3, w) is the row of the band set masked, ``su``/``sm``/``sd`` the masker's 1/30
    map at the rows above, at and below (mirrored), ``crow`` its 1/15 map; the masking
    threshold is the 3x3 sum of the 1/30 map minus its centre plus the 1/15 term (int32, as
    libvmaf stores it). When ``prow`` has shape (3, w), each pixel's x^3 times ``units``
    is stored into it. Only columns [left - 1, right + 1) of the maps are read.
    """
    w = sm.size
    pre_add, pre_sh, subs, qs, css, rs, add_r = shifts
    j0, j1 = max(left - 1, 0), min(right + 1, w)
    n = right - left
    # slices and loops from 0 vectorise (see _decouple_row); col[j + 1]: column j's sum
    sums, above, centre, below = col[j0 + 1:j1 + 1], su[j0:j1], sm[j0:j1], sd[j0:j1]
    for j in range(sums.size):
        sums[j] = above[j] + centre[j] + below[j]
    col[0] = col[2]
    col[w + 1] = col[w]
    c0, c1, c2, smid, cmid, t = (col[left:right], col[left + 1:right + 1], col[left + 2:right + 2],
                                 sm[left:right], crow[left:right], thr[:n])
    for j in range(n):
        t[j] = np.int64(np.int32(c0[j] + c1[j] + c2[j] - smid[j] + cmid[j]))
    store = prow.shape[1] == w
    for b in range(3):
        ib = np.int64(np.int32(fac[b]))  # < 2^31: lets LLVM use 32x32-bit multiplies
        sub, q, cs = subs[b], qs[b], css[b]
        add_q = np.int64(1) << (q - 1)
        add_c = (np.int64(1) << (cs - 1)) if cs > 0 else np.int64(0)
        zrow = z[b, left:right]
        inner = np.int64(0)
        if store:
            prow_b = prow[b, left:right]
            for j in range(n):
                v = _masked_cube(zrow[j], ib, pre_add, pre_sh, t[j], sub, add_q, q, add_c, cs)
                inner += v
                prow_b[j] = v * units[b]
        else:  # summed as made: no per-pixel array (much faster)
            for j in range(n):
                inner += _masked_cube(zrow[j], ib, pre_add, pre_sh, t[j], sub, add_q, q, add_c, cs)
        acc[b] += (inner + add_r) >> rs


@njit(**KERNEL_OPTIONS)
def _masked_cube(z, ib, pre_add, pre_sh, thr, sub, add_q, q, add_c, cs):
    """One pixel's masked x^3 term: x = |csf z| - threshold, floored at 0, cubed in
    libvmaf's fixed point (int32 square rounding, then the column shift)."""
    xb = abs(np.int64(np.int32((np.int64(z) * ib + pre_add) >> pre_sh)))
    x = max(xb - np.int64(np.int32(thr << sub)), np.int64(0))
    xsq = np.int64(np.int32((x * x + add_q) >> q))
    return (xsq * x + add_c) >> cs


@njit(**KERNEL_OPTIONS)
def masked_sums(z, s, c, level, fac, top, bottom, left, right, acc, units, planes):
    """Masked numerator accumulators (h, v, d) over the region into ``acc`` (int64[3]).

    ``z`` is the band set masked (r for DLM, a for AIM), ``s``/``c`` the masker's maps
    (``masker_maps``). When ``planes`` has shape (3, h, w), each pixel's masked x^3 per
    orientation (times ``units``: on the scale of the float sums) is stored into it.
    """
    _, h, w = z.shape
    shifts = _masked_shifts(level, h, w)
    col = np.zeros(w + 2, np.int64)
    thr = np.zeros(w, np.int64)
    store = planes.shape[1] == h
    no_row = np.zeros((3, 0), np.float64)
    for i in range(top, bottom):
        prow = planes[:, i] if store else no_row
        _masked_row(z[:, i], s[mirror_index(i - 1, h)], s[i], s[mirror_index(i + 1, h)], c[i], level, fac,
                    left, right, shifts, col, thr, acc, units, prow)


@njit(**KERNEL_OPTIONS)
def _den_row(ref, i, level, left, right, shifts, acc):
    """Reference energy of row ``i`` over columns [left, right) into ``acc`` (int64[3])."""
    sq, cs, add_c, rs, add_r = shifts
    for b in range(3):
        row = ref[b, i, left:right]  # a loop from 0 vectorises (see _decouple_row)
        inner = np.int64(0)
        if level == 0:
            for j in range(row.size):
                o = abs(np.int64(row[j]))
                inner += o * o * o
        else:
            for j in range(row.size):
                o = abs(np.int64(row[j]))
                q = (np.uint64(o * o) + (np.uint64(1) << np.uint64(sq))) >> np.uint64(sq)
                inner += np.int64((q * np.uint64(o) + np.uint64(add_c)) >> np.uint64(cs))
        acc[b] += (inner + add_r) >> rs


@njit(**KERNEL_OPTIONS)
def _den_shifts(level, top, bottom, left, right):
    """(square shift, column shift, its add, row shift, its add) of ``_den_row``; level 0
    rounds each row by a shift of the whole area (no column shift)."""
    if level == 0:
        area = (bottom - top) * (right - left)
        sa = max(np.int64(math.ceil(math.log2(area) - 20)), np.int64(0))
        add_a = (np.int64(1) << (sa - 1)) if sa > 0 else np.int64(0)
        return np.int64(0), np.int64(0), np.int64(0), sa, add_a
    sq = np.int64(30 if level == 2 else 31)
    cs = np.int64(math.ceil(math.log2(right - left)))
    rs = np.int64(math.ceil(math.log2(bottom - top)))
    add_c = (np.int64(1) << (cs - 1)) if cs > 0 else np.int64(0)
    add_r = (np.int64(1) << (rs - 1)) if rs > 0 else np.int64(0)
    return sq, cs, add_c, rs, add_r


@njit(**KERNEL_OPTIONS)
def level_pass(src_r, src_d, level, bit_depth, egl, fac, top, bottom, left, right, den, dlm,
               aim, units, dlm_planes, aim_planes, a_r, a_d, band_r, band_d):
    """One ADM level of the two pictures (native luma at level 0, the previous ``a`` band
    after): the wavelet step writes the ``a`` bands (``a_r``, ``a_d``, the next level's
    input), and the level's integer accumulators (h, v, d) over the region are added:
    reference energy into ``den``, DLM (r masked by a) into ``dlm``, AIM (a masked by r)
    into ``aim``.

    Everything streams by band row: row i of the (h, v, d) bands is made, decoupled and its
    masker maps computed into 3-row rings, then row i - 1 (whose neighbours are ready) is
    masked; so the (h, v, d) bands, r, a and the maps never go out to memory. ``band_r``/``band_d``
    hold the (h, v, d) bands: (3, 1, w) row buffers, or (3, h, w) to keep them whole.
    Only the region and its one-sample margin are decoupled and masked. Per-pixel x^3
    terms go to ``dlm_planes``/``aim_planes`` when they have shape (3, h, w).
    """
    h, w = a_r.shape
    keep = band_r.shape[1] == h
    i0, i1 = max(top - 1, 0), min(bottom + 1, h)
    j0, j1 = max(left - 1, 0), min(right + 1, w)
    scratch = row_scratch(src_r.shape[1])
    r = np.zeros((3, 3, w), np.int32)  # ring slot, band, column
    a = np.zeros((3, 3, w), np.int32)
    s_a = np.zeros((3, w), np.int32)  # a's maps mask r (DLM), r's maps mask a (AIM)
    c_a = np.zeros((3, w), np.int32)
    s_r = np.zeros((3, w), np.int32)
    c_r = np.zeros((3, w), np.int32)
    col = np.zeros(w + 2, np.int64)
    thr = np.zeros(w, np.int64)
    shifts = _masked_shifts(level, h, w)
    den_shifts = _den_shifts(level, top, bottom, left, right)
    store = dlm_planes.shape[1] == h
    no_row = np.zeros((3, 0), np.float64)
    for i in range(h + 1):
        if i < h:  # every row of the a band: the next level reads it whole
            bi = i if keep else 0
            for src, ao, bands in ((src_r, a_r, band_r), (src_d, a_d, band_d)):
                dwt_row(src, i, level, bit_depth, scratch, ao[i], bands[1, bi], bands[0, bi], bands[2, bi])
            if i0 <= i < i1:
                k = i % 3
                _decouple_row(band_r, band_d, bi, level, egl, r[k], a[k], j0, j1)
                _masker_row(a[k], level, fac, s_a[k], c_a[k], j0, j1)
                _masker_row(r[k], level, fac, s_r[k], c_r[k], j0, j1)
                if top <= i < bottom:
                    _den_row(band_r, bi, level, left, right, den_shifts, den)
        q = i - 1
        if q < top or q >= bottom:
            continue
        up, mid, dn = mirror_index(q - 1, h) % 3, q % 3, mirror_index(q + 1, h) % 3
        _masked_row(r[mid], s_a[up], s_a[mid], s_a[dn], c_a[mid], level, fac, left, right,
                    shifts, col, thr, dlm, units, dlm_planes[:, q] if store else no_row)
        _masked_row(a[mid], s_r[up], s_r[mid], s_r[dn], c_r[mid], level, fac, left, right,
                    shifts, col, thr, aim, units, aim_planes[:, q] if store else no_row)


def _cbrt32(x: float) -> np.float32:
    """powf(x, 1/3) in float32, as libvmaf computes its cube roots."""
    return np.power(np.float32(x), np.float32(1.0 / 3.0), dtype=np.float32)


def _sum3(values) -> np.float32:
    out = np.float32(0.0)
    for v in values:
        out = np.float32(out + v)
    return out


def scale_den_unit(level: int) -> float:
    """2^(3 x fraction bits) of a level's reference band: |o|^3 over it is on the float scale."""
    return 2.0 ** (18, 63, 57, 54)[level]


@dataclass
class LevelPlanes:
    """Per-pixel terms of one level (3, h, w) each: |csf o|^3, DLM x^3, AIM x^3; and the area."""

    den: np.ndarray
    dlm: np.ndarray
    aim: np.ndarray
    area: int


@dataclass
class Adm3Scores:
    """Per-frame ADM features of one adm instance (and optional per-level loss planes)."""

    adm2: float
    aim: float
    adm3: float
    scales: tuple[float, float, float, float]
    planes: list | None = None


def level_shapes(h: int, w: int) -> list[tuple[int, int]]:
    return adm.band_shapes(h, w)


def adm3_scores(ref: np.ndarray, dis: np.ndarray, bit_depth: int, opts: AdmOptions,
                planes: bool = False) -> Adm3Scores:
    """ADM2/AIM/ADM3 and the four ADM scales of native-depth luma planes ``ref``, ``dis``."""
    f = opts.factors()
    ifac = integer_factors(f)
    h0, w0 = ref.shape
    src_r, src_d = ref, dis
    num = den = aim_num = 0.0
    scales = []
    maps = [] if planes else None
    for level, (h, w) in enumerate(level_shapes(h0, w0)):
        top, bottom, left, right = adm.region(h, w)
        area = (bottom - top) * (right - left)
        if level == 0:
            rsh = math.ceil(math.log2(h))
            pend = [2.0 ** (52 - math.ceil(math.log2(w) - 4) - rsh)] * 2 \
                + [2.0 ** (57 - math.ceil(math.log2(w) - 3) - rsh)]
        else:
            p = (45, 39, 36)[level - 1]
            pend = [2.0 ** (p - math.ceil(math.log2(w)) - math.ceil(math.log2(h)))] * 3
        units = np.array([2.0 ** (math.log2(pend[b]) + math.ceil(math.log2(h))) for b in range(3)])
        no_plane = np.zeros((3, 0, 0))
        dacc, nacc, aacc = np.zeros(3, np.int64), np.zeros(3, np.int64), np.zeros(3, np.int64)
        a_r = _WORK.array(f"a_r{level}", (h, w), np.int32)
        a_d = _WORK.array(f"a_d{level}", (h, w), np.int32)
        rows = h if planes else 1
        band_r = _WORK.array(f"band_r{level}", (3, rows, w), np.int32)
        band_d = _WORK.array(f"band_d{level}", (3, rows, w), np.int32)
        level_pass(src_r, src_d, level, bit_depth, float(opts.enhn_gain_limit), ifac[level],
                   top, bottom, left, right, dacc, nacc, aacc, 1.0 / units, no_plane, no_plane,
                   a_r, a_d, band_r, band_d)
        if planes:  # per pixel over the whole band: the 10 % inset is how libvmaf pools, not where loss is
            dlm_plane, aim_plane = np.zeros((3, h, w)), np.zeros((3, h, w))
            level_pass(src_r, src_d, level, bit_depth, float(opts.enhn_gain_limit), ifac[level],
                       0, h, 0, w, np.zeros(3, np.int64), np.zeros(3, np.int64), np.zeros(3, np.int64),
                       1.0 / units, dlm_plane, aim_plane, a_r, a_d, band_r, band_d)
        src_r, src_d = a_r, a_d
        if level == 0:
            sa = max(math.ceil(math.log2(area) - 20), 0)
            scale_den = 2.0 ** (18 - sa)
        else:
            k = (32, 27, 23)[level - 1]
            scale_den = 2.0 ** (k - math.ceil(math.log2(bottom - top))
                                - math.ceil(math.log2(right - left)))
        fb = (f[level, 0], f[level, 0], f[level, 1])
        noise = _cbrt32(area * opts.noise_weight)
        den_level = _sum3(np.float32(_cbrt32(dacc[b] / scale_den * float(fb[b]) ** 3) + noise)
                          for b in range(3))
        levels = []
        for acc, nw in ((nacc, opts.noise_weight), (aacc, 0.0)):
            term = _cbrt32(area * nw)
            levels.append(_sum3(np.float32(_cbrt32(np.float32(acc[b] / pend[b])) + term)
                                for b in range(3)))
        if planes:
            cube = np.abs(band_r.astype(np.float64)) ** 3 / scale_den_unit(level)
            den_plane = cube * (np.array([float(x) for x in fb]) ** 3)[:, None, None]
            maps.append(LevelPlanes(den_plane, dlm_plane, aim_plane, area))
        num_level, aim_level = levels
        num += float(num_level)
        den += float(den_level)
        aim_num += float(aim_level)
        scales.append(float(num_level) / float(den_level))
    limit = 1e-10 * (w0 * h0) / (1920.0 * 1080.0)
    num = 0.0 if num < limit else num
    den = 0.0 if den < limit else den
    if den == 0.0:
        adm2, aim = 1.0, 0.0  # libvmaf leaves aim unset here (flat reference)
    else:
        adm2, aim = num / den, aim_num / den
    adm3 = max(adm2 * opts.dlm_weight + (1.0 - aim) * (1.0 - opts.dlm_weight), opts.min_val)
    return Adm3Scores(adm2, aim, adm3, tuple(scales), maps)
