"""The numba kernels of SSIM and MS-SSIM (libvmaf's iqa code: decimation, separable
Gaussian, the SSIM statistic) and the plane checks and access they share with PSNR.

Kernels that call each other live in this one file: numba's on-disk cache does not
notice when a function it inlined from another file changes.

Every hot loop runs along contiguous rows; buffers are allocated by the Python wrappers.
Images and filtered moments are float32 as in libvmaf; the sums that make a score are
float64. Kernels read planes as a flat buffer plus a row pitch (see ``plane_rows``) and
put samples on the 8-bit scale as they read them.
"""
from __future__ import annotations

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import as_strided

from vqinspect.metrics.registry import MetricError

JIT_OPTIONS = dict(cache=True, nogil=True, fastmath=True, error_model="numpy")
"""Options of every kernel: serial (the engine parallelises across frames), GIL-free, cached."""

STATISTIC_JIT_OPTIONS = dict(JIT_OPTIONS, fastmath={"nnan", "ninf", "nsz"})
"""For the per-pixel SSIM statistic: no FMA contraction or reassociation, so that
``E[x^2] - mu^2`` cancels exactly as in C (flat areas are sensitive to it)."""

_F32 = np.float32
_ZERO = _F32(0.0)

# iqa/ssim_tools.h: the 11-tap Gaussian (sigma 1.5) that _iqa_convolve applies separably.
_G0, _G1, _G2, _G3, _G4, _G5 = (_F32(0.001028), _F32(0.007599), _F32(0.036001),
                                _F32(0.109361), _F32(0.213006), _F32(0.266012))
GAUSS_LEN = 11

# _iqa_ssim's constants: K1 = 0.01, K2 = 0.03, L = 255 (float arithmetic, as in C).
_C1 = _F32(_F32(_F32(0.01) * _F32(255.0)) ** 2)
_C2 = _F32(_F32(_F32(0.03) * _F32(255.0)) ** 2)
_C3 = _F32(_C2 / _F32(2.0))

# ms_ssim.c: one quadrant of the 9x9 table g_lpf that _iqa_decimate applies (symmetric in
# both axes: rows and columns 5..8 mirror 3..0). It is used as the 2-D table it is, not as
# the outer product of the 1-D taps g_lpf_h, which differs from it in the 7th decimal.
_LPF = np.array([
    [0.000714, -0.000450, -0.002090, 0.007132, 0.016114],
    [-0.000450, 0.000283, 0.001316, -0.004490, -0.010146],
    [-0.002090, 0.001316, 0.006115, -0.020867, -0.047149],
    [0.007132, -0.004490, -0.020867, 0.071207, 0.160885],
    [0.016114, -0.010146, -0.047149, 0.160885, 0.363505],
], dtype=_F32)
_LPF_HALF = 4


# ----------------------------------------------------------------------------- plane access

def check_pair(ref: np.ndarray, dist: np.ndarray, bit_depth: int, what: str) -> None:
    """Raise MetricError unless ref/dist are same-shape 2-D planes of this bit depth."""
    if not 8 <= bit_depth <= 16:
        raise MetricError(f"{what}: bit depth {bit_depth} is not supported (8..16)")
    want = np.dtype(np.uint8 if bit_depth == 8 else np.uint16)
    for name, plane in (("reference", ref), ("distorted", dist)):
        if plane.ndim != 2 or plane.size == 0:
            raise MetricError(f"{what}: {name} plane must be 2-D and non-empty, "
                              f"got shape {plane.shape}")
        if plane.dtype != want:
            raise MetricError(f"{what}: {name} plane is {plane.dtype}, expected {want.name} "
                              f"for {bit_depth}-bit samples")
    if ref.shape != dist.shape:
        raise MetricError(f"{what}: reference plane is {ref.shape[1]}x{ref.shape[0]} but "
                          f"distorted plane is {dist.shape[1]}x{dist.shape[0]}")


def plane_rows(plane: np.ndarray) -> tuple[np.ndarray, int]:
    """A 1-D contiguous view of ``plane``'s memory and its row pitch in samples.

    Row ``y`` is ``flat[y*pitch : y*pitch + width]``. Views with padded rows (as decoders
    deliver them) need no copy this way; numba does not vectorise loops over 2-D
    non-contiguous arrays of 16-bit samples. Other layouts are copied first.
    """
    item = plane.itemsize
    h, w = plane.shape
    row_stride = plane.strides[0]
    padded_rows = row_stride >= w * item and row_stride % item == 0
    if plane.strides[1] != item or not (h == 1 or padded_rows):
        plane = np.ascontiguousarray(plane)
    pitch = plane.strides[0] // item if h > 1 else w
    flat = as_strided(plane, shape=((h - 1) * pitch + w,), strides=(item,), writeable=False)
    return flat, pitch


def sample_scale(dtype: np.dtype, bit_depth: int) -> np.float32:
    """Factor onto the 8-bit scale: libvmaf's float picture_copy divides 10/12/16-bit
    samples by 4/16/256 (2^(bits-8); other depths follow the rule); float images are
    already there."""
    if dtype == np.float32:
        return _F32(1.0)
    return _F32(1.0 / (1 << (bit_depth - 8)))


def decimated_size(n: int, factor: int) -> int:
    """_iqa_decimate's output length: n // factor, plus one when n is odd (any factor)."""
    return n // factor + (n & 1)


# ----------------------------------------------------------------------------- kernels

@njit(**JIT_OPTIONS)
def _mirror(i, n):
    """iqa's KBND_SYMMETRIC: -1 -> 0, -2 -> 1, n -> n-1, n+1 -> n-2."""
    if i < 0:
        return -1 - i
    if i >= n:
        return 2 * n - 1 - i
    return i


@njit(**JIT_OPTIONS)
def _to_float(src, pitch, scale, out):
    """Samples times ``scale`` (a power of two, so exact) into the float32 image ``out``."""
    h, w = out.shape
    for y in range(h):
        row = src[y * pitch: y * pitch + w]
        dst = out[y]
        for x in range(w):
            dst[x] = _F32(row[x]) * scale


@njit(**JIT_OPTIONS)
def _box_decimate(src, pitch, h, w, factor, tap, acc, out):
    """_iqa_decimate with float_ssim's f x f box, reading samples directly.

    Output (y, x) averages rows f*y - f//2 ... and columns f*x - f//2 ... (f of each,
    mirrored at the borders). ``tap`` is 1.0f/(f*f) times the sample scale. As in
    _iqa_filter_pixel every product is rounded to float32 and the sum kept in float64,
    which makes the result bit-identical to libvmaf's. ``acc``: float64 row of width w.
    """
    out_h, out_w = out.shape
    lo = factor // 2
    for oy in range(out_h):
        for x in range(w):
            acc[x] = 0.0
        for v in range(factor):
            r = _mirror(oy * factor + v - lo, h)
            row = src[r * pitch: r * pitch + w]
            for x in range(w):
                acc[x] += _F32(_F32(row[x]) * tap)
        dst = out[oy]
        for ox in range(out_w):
            total = 0.0
            for u in range(factor):
                total += acc[_mirror(ox * factor + u - lo, w)]
            dst[ox] = _F32(total)


@njit(**JIT_OPTIONS)
def _box_sum_decimate(src, pitch, h, w, factor, tap, col, out):
    """``_box_decimate`` for power-of-two factors, where integer sums give the same bits.

    Then ``tap`` is a power of two, so every float32 product of a sample and ``tap`` is
    exact, and so is their sum (below 2^24 x tap: ``box_decimate`` checks the range);
    libvmaf's result is therefore the integer box sum times ``tap``. ``col``: int32 row.
    """
    out_h, out_w = out.shape
    lo = factor // 2
    inner = min((w - factor + lo) // factor + 1, out_w)  # boxes 1 .. inner - 1 need no mirror
    for oy in range(out_h):
        for x in range(w):
            col[x] = 0
        for v in range(factor):
            r = _mirror(oy * factor + v - lo, h)
            row = src[r * pitch: r * pitch + w]
            for x in range(w):
                col[x] += row[x]
        dst = out[oy]
        for ox in range(out_w):
            if 0 < ox < inner:
                continue
            total = 0
            for u in range(factor):
                total += col[_mirror(ox * factor + u - lo, w)]
            dst[ox] = _F32(total) * tap
        # Written out per factor: a constant stride lets the loop vectorise.
        if factor == 2:
            for ox in range(1, inner):
                dst[ox] = _F32(col[2 * ox - 1] + col[2 * ox]) * tap
        elif factor == 4:
            for ox in range(1, inner):
                b = 4 * ox - 2
                dst[ox] = _F32(col[b] + col[b + 1] + col[b + 2] + col[b + 3]) * tap
        elif factor == 8:
            for ox in range(1, inner):
                b = 8 * ox - 4
                dst[ox] = _F32(col[b] + col[b + 1] + col[b + 2] + col[b + 3]
                               + col[b + 4] + col[b + 5] + col[b + 6] + col[b + 7]) * tap
        else:
            for ox in range(1, inner):
                total = 0
                for u in range(factor):
                    total += col[ox * factor - lo + u]
                dst[ox] = _F32(total) * tap


@njit(**JIT_OPTIONS)
def _lpf_decimate(src, pitch, h, w, scale, padded, even, odd, out):
    """_iqa_decimate by 2 with MS-SSIM's 9x9 table: output (y, x) is centred on (2y, 2x).

    For each output row the two input rows sharing a table row are summed (the table is
    symmetric) into ``padded`` (width w + 8, mirrored columns at both ends), split into
    its even and odd columns, and the 9 taps of that table row applied along the row.
    """
    out_h, out_w = out.shape
    half = _LPF_HALF
    for oy in range(out_h):
        dst = out[oy]
        for x in range(out_w):
            dst[x] = _ZERO
        for v in range(half + 1):
            r = _mirror(2 * oy + v - half, h)
            top = src[r * pitch: r * pitch + w]
            if v < half:
                r = _mirror(2 * oy + half - v, h)
                bottom = src[r * pitch: r * pitch + w]
                for x in range(w):
                    padded[x + half] = _F32(top[x]) * scale + _F32(bottom[x]) * scale
            else:
                for x in range(w):
                    padded[x + half] = _F32(top[x]) * scale
            for p in range(half):
                padded[half - 1 - p] = padded[half + p]
                padded[w + half + p] = padded[w + half - 1 - p]
            for j in range(np.uint64(odd.shape[0])):  # unsigned: no wraparound test, so
                even[j] = padded[j + j]                # the strided loads vectorise
                odd[j] = padded[j + j + np.uint64(1)]
            even[odd.shape[0]] = padded[2 * odd.shape[0]]
            k = _LPF[v]
            for x in range(out_w):
                dst[x] += (k[4] * even[x + 2] + k[0] * (even[x] + even[x + 4])
                           + k[2] * (even[x + 1] + even[x + 3]) + k[1] * (odd[x] + odd[x + 3])
                           + k[3] * (odd[x + 1] + odd[x + 2]))


@njit(**JIT_OPTIONS)
def _gauss_row(src, zero, dst, n):
    """Valid-region 11-tap Gaussian along one row: dst[x] = sum_u g[u] * src[x + u], x < n.

    Products are float32 (as in C); they are summed in the type of ``zero``: float64
    reproduces _iqa_convolve's double sums exactly, float32 runs twice as wide.
    """
    for x in range(n):
        dst[x] = (zero + _G0 * src[x] + _G1 * src[x + 1] + _G2 * src[x + 2] + _G3 * src[x + 3]
                  + _G4 * src[x + 4] + _G5 * src[x + 5] + _G4 * src[x + 6] + _G3 * src[x + 7]
                  + _G2 * src[x + 8] + _G1 * src[x + 9] + _G0 * src[x + 10])


@njit(**JIT_OPTIONS)
def _gauss_column(ring, first, q, zero, dst, n):
    """Valid-region 11-tap Gaussian down ring rows first..first+10 (modulo the ring
    length) of quantity q."""
    k = ring.shape[0]
    r0, r1, r2 = ring[first % k, q], ring[(first + 1) % k, q], ring[(first + 2) % k, q]
    r3, r4, r5 = ring[(first + 3) % k, q], ring[(first + 4) % k, q], ring[(first + 5) % k, q]
    r6, r7, r8 = ring[(first + 6) % k, q], ring[(first + 7) % k, q], ring[(first + 8) % k, q]
    r9, r10 = ring[(first + 9) % k, q], ring[(first + 10) % k, q]
    for x in range(n):
        dst[x] = (zero + _G0 * r0[x] + _G1 * r1[x] + _G2 * r2[x] + _G3 * r3[x] + _G4 * r4[x]
                  + _G5 * r5[x] + _G4 * r6[x] + _G3 * r7[x] + _G2 * r8[x] + _G1 * r9[x]
                  + _G0 * r10[x])


@njit(**JIT_OPTIONS)
def _gauss_column_pair(ring, first, q, zero, dst0, dst1, n):
    """Two consecutive output rows of ``_gauss_column`` from ring rows first..first+11:
    they share ten input rows, so each is loaded once for both (the pass is load-bound)."""
    k = ring.shape[0]
    r0, r1, r2 = ring[first % k, q], ring[(first + 1) % k, q], ring[(first + 2) % k, q]
    r3, r4, r5 = ring[(first + 3) % k, q], ring[(first + 4) % k, q], ring[(first + 5) % k, q]
    r6, r7, r8 = ring[(first + 6) % k, q], ring[(first + 7) % k, q], ring[(first + 8) % k, q]
    r9, r10, r11 = ring[(first + 9) % k, q], ring[(first + 10) % k, q], ring[(first + 11) % k, q]
    for x in range(n):
        v1, v2, v3, v4, v5 = r1[x], r2[x], r3[x], r4[x], r5[x]
        v6, v7, v8, v9, v10 = r6[x], r7[x], r8[x], r9[x], r10[x]
        dst0[x] = (zero + _G0 * r0[x] + _G1 * v1 + _G2 * v2 + _G3 * v3 + _G4 * v4 + _G5 * v5
                   + _G4 * v6 + _G3 * v7 + _G2 * v8 + _G1 * v9 + _G0 * v10)
        dst1[x] = (zero + _G0 * v1 + _G1 * v2 + _G2 * v3 + _G3 * v4 + _G4 * v5 + _G5 * v6
                   + _G4 * v7 + _G3 * v8 + _G2 * v9 + _G1 * v10 + _G0 * r11[x])


@njit(**STATISTIC_JIT_OPTIONS)
def _ssim_statistic(moments, zero, stats, n):
    """_iqa_ssim's per-pixel l, c, s and l*c*s for n pixels of moments, into ``stats``.

    With a float64 ``zero`` the arithmetic is C's: variances and covariance in float32,
    l and c in double over float32 denominators, s a float32 division.
    """
    mu_a, mu_b, e_aa, e_bb, e_ab = moments[0], moments[1], moments[2], moments[3], moments[4]
    lum_row, con_row, str_row, lcs_row = stats[0], stats[1], stats[2], stats[3]
    two = zero + _F32(2.0)
    for x in range(n):
        m1 = mu_a[x]
        m2 = mu_b[x]
        var1 = max(e_aa[x] - m1 * m1, _ZERO)
        var2 = max(e_bb[x] - m2 * m2, _ZERO)
        cov = e_ab[x] - m1 * m2
        sd12 = _F32(np.sqrt(zero + var1 * var2))
        lum = (two * m1 * m2 + _C1) / (m1 * m1 + m2 * m2 + _C1)
        con = (two * sd12 + _C2) / (var1 + var2 + _C2)
        if cov < _ZERO and sd12 <= _ZERO:  # libvmaf: flat and identical counts as s = 1
            cov = _ZERO
        struct = (cov + _C3) / (sd12 + _C3)
        lum_row[x] = lum
        con_row[x] = con
        str_row[x] = struct
        lcs_row[x] = lum * con * struct


@njit(**JIT_OPTIONS)
def _row_sums(stats, n):
    """Sums of the first n values of each of the four statistic rows."""
    lum_row, con_row, str_row, lcs_row = stats[0], stats[1], stats[2], stats[3]
    l_sum = 0.0
    c_sum = 0.0
    s_sum = 0.0
    lcs_sum = 0.0
    for x in range(n):
        l_sum += lum_row[x]
        c_sum += con_row[x]
        s_sum += str_row[x]
        lcs_sum += lcs_row[x]
    return l_sum, c_sum, s_sum, lcs_sum


@njit(**JIT_OPTIONS)
def _ssim_core(a_src, a_pitch, b_src, b_pitch, h, w, scale, zero,
               rows, ring, moments, stats, ssim_map, want_map):
    """_iqa_ssim's default branch on two images; returns the sums of l, c, s and l*c*s.

    Streams the images once, top to bottom: each input row is scaled, squared and
    Gaussian-filtered along the row into a ring of the last 12 rows (5 quantities:
    x, y, x^2, y^2, xy); output rows, two at a time, then filter the ring down the
    columns and evaluate the statistic. Writes the l*c*s map when ``want_map``.
    """
    l_sum = 0.0
    c_sum = 0.0
    s_sum = 0.0
    lcs_sum = 0.0
    a, b, aa, bb, ab = rows[0], rows[1], rows[2], rows[3], rows[4]
    n = w - GAUSS_LEN + 1
    out_h = h - GAUSS_LEN + 1
    for iy in range(h):
        a_in = a_src[iy * a_pitch: iy * a_pitch + w]
        b_in = b_src[iy * b_pitch: iy * b_pitch + w]
        for x in range(w):
            va = _F32(a_in[x]) * scale
            vb = _F32(b_in[x]) * scale
            a[x] = va
            b[x] = vb
            aa[x] = va * va
            bb[x] = vb * vb
            ab[x] = va * vb
        slot = ring[iy % ring.shape[0]]
        for q in range(5):
            _gauss_row(rows[q], zero, slot[q], n)
        first = iy - GAUSS_LEN  # a pair of output rows starts here once this row is in
        pair = first >= 0 and first % 2 == 0
        last = iy == h - 1 and out_h % 2 == 1  # an odd last output row, alone
        if not (pair or last):
            continue
        if pair:
            for q in range(5):
                _gauss_column_pair(ring, first, q, zero, moments[0, q], moments[1, q], n)
        else:
            first = out_h - 1
            for q in range(5):
                _gauss_column(ring, first, q, zero, moments[0, q], n)
        for p in range(2 if pair else 1):
            _ssim_statistic(moments[p], zero, stats, n)
            row_l, row_c, row_s, row_lcs = _row_sums(stats, n)
            l_sum += row_l
            c_sum += row_c
            s_sum += row_s
            lcs_sum += row_lcs
            if want_map:
                ssim_map[first + p, :] = stats[3, :n]
    return l_sum, c_sum, s_sum, lcs_sum


# ----------------------------------------------------------------------------- wrappers

def to_float_image(plane: np.ndarray, bit_depth: int) -> np.ndarray:
    """A plane as float32 on the 8-bit scale (libvmaf's float picture_copy, offset 0)."""
    flat, pitch = plane_rows(plane)
    out = np.empty(plane.shape, dtype=_F32)
    _to_float(flat, pitch, sample_scale(plane.dtype, bit_depth), out)
    return out


def box_decimate(plane: np.ndarray, bit_depth: int, factor: int) -> np.ndarray:
    """float_ssim's downscale of a native-depth plane: f x f box, every f-th sample."""
    h, w = plane.shape
    flat, pitch = plane_rows(plane)
    out = np.empty((decimated_size(h, factor), decimated_size(w, factor)), dtype=_F32)
    tap = _F32(_F32(1.0) / _F32(factor * factor)) * sample_scale(plane.dtype, bit_depth)
    power_of_two = factor & (factor - 1) == 0
    if power_of_two and factor * factor * np.iinfo(plane.dtype).max < 1 << 24:
        _box_sum_decimate(flat, pitch, h, w, factor, tap, np.empty(w, dtype=np.int32), out)
    else:
        _box_decimate(flat, pitch, h, w, factor, tap, np.empty(w), out)
    return out


def lpf_decimate(img: np.ndarray, bit_depth: int = 8) -> np.ndarray:
    """MS-SSIM's step to the next scale: 9x9 9/7 low-pass, every second sample.

    ``img`` is a native-depth plane (scale 0) or a float32 image on the 8-bit scale.
    """
    h, w = img.shape
    flat, pitch = plane_rows(img)
    out_h, out_w = decimated_size(h, 2), decimated_size(w, 2)
    out = np.empty((out_h, out_w), dtype=_F32)
    padded = np.empty(w + 2 * _LPF_HALF, dtype=_F32)
    even = np.empty(out_w + _LPF_HALF, dtype=_F32)
    odd = np.empty(out_w + _LPF_HALF - 1, dtype=_F32)
    _lpf_decimate(flat, pitch, h, w, sample_scale(img.dtype, bit_depth), padded, even, odd, out)
    return out


def ssim_sums(ref: np.ndarray, dist: np.ndarray, bit_depth: int = 8, *, exact: bool = True,
              want_map: bool = False):
    """Sums of SSIM's l, c, s and l*c*s over the valid region of two images.

    ``ref``/``dist`` are native-depth planes or float32 images on the 8-bit scale.
    ``exact`` sums the Gaussian taps in float64 like libvmaf (bit-identical moments);
    otherwise in float32, twice as fast and about 1e-7 off in the means.
    Returns ``(l_sum, c_sum, s_sum, lcs_sum, count, ssim_map)``; ``ssim_map`` is the
    (h-10) x (w-10) float32 l*c*s map when ``want_map``, else None.
    """
    h, w = ref.shape
    out_h, out_w = h - GAUSS_LEN + 1, w - GAUSS_LEN + 1
    a, a_pitch = plane_rows(ref)
    b, b_pitch = plane_rows(dist)
    ssim_map = np.empty((out_h, out_w) if want_map else (1, 1), dtype=_F32)
    zero = np.float64(0.0) if exact else _ZERO
    sums = _ssim_core(a, a_pitch, b, b_pitch, h, w, sample_scale(ref.dtype, bit_depth), zero,
                      np.empty((5, w), dtype=_F32), np.empty((GAUSS_LEN + 1, 5, out_w), dtype=_F32),
                      np.empty((2, 5, out_w), dtype=_F32), np.empty((4, out_w), dtype=type(zero)),
                      ssim_map, want_map)
    return (*sums, out_h * out_w, ssim_map if want_map else None)
