"""Video scopes in code values: waveform, RGB parade, vectorscope and histograms.

The kernels read the planes at their native depth (uint8 or uint16, chroma subsampled as
coded) and count samples into accumulation images; ``vqinspect.app.display.scope_figure``
turns those into pictures. R'G'B' (parade, RGB histogram) is computed from Y'CbCr with the
clip's matrix and range into the *same* code scale as luma (at 8-bit limited range black is
16 and white 235 on every channel), rounded to the nearest code and clipped to the code range;
chroma is taken by repetition as in ``vqinspect.app.display.screen``. Codes are binned to at
most 1024 levels (waveform, histogram) and 512 per chroma axis (vectorscope): at 12 bits and
more each bin holds 2^(depth-10) (or 2^(depth-9)) consecutive codes.

Graticule geometry comes from the same spec: legal levels (16-235 luma, 16-240 chroma at
8 bits, times 2^(depth-8); 0 to 2^depth - 1 at full range), the 75 % colour-bar targets from
the matrix (Kr, Kb) and range, and the skin-tone line at 123 degrees from +Cb (the I axis).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from vqinspect.app.display.screen import MATRICES, ColorSpec, chroma_shift

_JIT = dict(cache=True, nogil=True)
LEVEL_BITS = 10          # waveform and histogram: at most 2^10 levels
VECTOR_BITS = 9          # vectorscope: at most 2^9 bins per chroma axis
SKIN_TONE_DEGREES = 123.0
BAR_LEVEL = 0.75
# the six colour bars in the order a vectorscope graticule names them, as (R', G', B') at 100 %
BARS = (("R", (1, 0, 0)), ("Mg", (1, 0, 1)), ("B", (0, 0, 1)),
        ("Cy", (0, 1, 1)), ("G", (0, 1, 0)), ("Yl", (1, 1, 0)))


# ------------------------------------------------------------------ code-value geometry

def level_shift(bit_depth: int, max_bits: int = LEVEL_BITS) -> int:
    """Right shift from a code value to its bin."""
    return max(0, bit_depth - max_bits)


def levels(bit_depth: int, max_bits: int = LEVEL_BITS) -> int:
    """Number of bins of a code axis."""
    return 1 << (bit_depth - level_shift(bit_depth, max_bits))


def legal_luma(spec: ColorSpec) -> tuple[int, int]:
    """Black and white code values: 16 and 235 at 8 bits scaled to the depth, or 0 and the peak."""
    if spec.full_range:
        return 0, (1 << spec.bit_depth) - 1
    s = 1 << (spec.bit_depth - 8)
    return 16 * s, 235 * s


def legal_chroma(spec: ColorSpec) -> tuple[int, int]:
    """Lowest and highest legal chroma codes: 16 and 240 at 8 bits scaled, or the full code range."""
    if spec.full_range:
        return 0, (1 << spec.bit_depth) - 1
    s = 1 << (spec.bit_depth - 8)
    return 16 * s, 240 * s


def chroma_zero(spec: ColorSpec) -> int:
    """The code of zero colour difference (128 at 8 bits)."""
    return 1 << (spec.bit_depth - 1)


def _code_scales(spec: ColorSpec) -> tuple[float, float, float]:
    """(luma offset, luma excursion, chroma excursion) in code values: code = offset + E' * excursion."""
    if spec.full_range:
        peak = float((1 << spec.bit_depth) - 1)
        return 0.0, peak, peak
    s = float(1 << (spec.bit_depth - 8))
    return 16.0 * s, 219.0 * s, 224.0 * s


def rgb_to_codes(rgb, spec: ColorSpec) -> np.ndarray:
    """Non-linear R'G'B' in 0..1 (... x 3) -> unrounded (Y, Cb, Cr) code values of ``spec``."""
    kr, kb = MATRICES[spec.matrix]
    rgb = np.asarray(rgb, dtype=np.float64)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = kr * r + (1.0 - kr - kb) * g + kb * b
    pb, pr = (b - y) / (2.0 * (1.0 - kb)), (r - y) / (2.0 * (1.0 - kr))
    offset, luma, chroma = _code_scales(spec)
    mid = chroma_zero(spec)
    return np.stack([offset + luma * y, mid + chroma * pb, mid + chroma * pr], axis=-1)


@dataclass(frozen=True)
class Target:
    """A colour-bar target of the vectorscope, at (Cb, Cr) code values."""

    name: str
    cb: float
    cr: float


def bar_targets(spec: ColorSpec, level: float = BAR_LEVEL) -> tuple[Target, ...]:
    """Where the six colour bars at ``level`` (75 % bars: 0.75) land for this matrix and range."""
    codes = rgb_to_codes([[level * c for c in rgb] for _, rgb in BARS], spec)
    return tuple(Target(name, float(cb), float(cr)) for (name, _), (_, cb, cr) in zip(BARS, codes))


def skin_tone_end(spec: ColorSpec) -> tuple[float, float]:
    """Outer end (Cb, Cr) of the skin-tone line drawn from the centre to the 100 %-saturation radius."""
    mid = chroma_zero(spec)
    radius = _code_scales(spec)[2] / 2.0
    angle = math.radians(SKIN_TONE_DEGREES)
    return mid + radius * math.cos(angle), mid + radius * math.sin(angle)


# ------------------------------------------------------------------ Y'CbCr -> R'G'B' codes

@dataclass(frozen=True)
class RGBTables:
    """What the R'G'B' kernels look up, per code value.

    With Y an integer, the nearest code of Y + x is Y + round(x): R' and B' take a whole-code
    offset per chroma code (``r``, ``b``), G' rounds the sum of its two float terms per chroma
    sample (``g_u`` + ``g_v``). Offsets carry ``margin`` so that Y + offset is never negative;
    ``clip_bins[Y + offset]`` is then the bin of the code clipped to 0..peak.
    """

    r: np.ndarray          # uint32, margin + round(V -> R')
    g_u: np.ndarray        # float64, U -> G'
    g_v: np.ndarray        # float64, V -> G'
    b: np.ndarray          # uint32, margin + round(U -> B')
    margin: int
    clip_bins: np.ndarray  # uint32, 3 x 2^depth entries


def code_bins(bit_depth: int, max_bits: int = LEVEL_BITS) -> np.ndarray:
    """The bin of each code value (uint32; unsigned indices spare numba's negative-index checks)."""
    return (np.arange(1 << bit_depth, dtype=np.uint32) >> np.uint32(level_shift(bit_depth, max_bits)))


def rgb_tables(spec: ColorSpec) -> RGBTables:
    """R' = Y + V->R', G' = Y + U->G' + V->G', B' = Y + U->B', all in luma code values."""
    kr, kb = MATRICES[spec.matrix]
    kg = 1.0 - kr - kb
    _, luma, chroma = _code_scales(spec)
    ratio = luma / chroma
    centred = np.arange(1 << spec.bit_depth, dtype=np.float64) - chroma_zero(spec)
    margin = 1 << spec.bit_depth       # every offset is smaller: at most 1.89 x half the code range
    peak = margin - 1

    def whole(gain: float) -> np.ndarray:
        return (margin + np.floor(centred * gain + 0.5)).astype(np.uint32)

    clipped = np.clip(np.arange(3 * margin, dtype=np.int64) - margin, 0, peak)
    return RGBTables(whole(ratio * 2.0 * (1.0 - kr)), centred * (-ratio * 2.0 * kb * (1.0 - kb) / kg),
                     centred * (-ratio * 2.0 * kr * (1.0 - kr) / kg), whole(ratio * 2.0 * (1.0 - kb)), margin,
                     code_bins(spec.bit_depth)[clipped])


# ------------------------------------------------------------------ kernels
# Every index is unsigned or a range() counter: a signed one costs numba a negative-index
# check per access, which made the R'G'B' kernels five times slower.

@njit(**_JIT)
def _waveform(y, bins, col_of, out):
    """out[column, level]: a column's levels lie together, which keeps the counting in cache."""
    h, w = y.shape
    for r in range(h):
        row = y[r]
        for c in range(w):
            out[col_of[c], bins[row[c]]] += 1


@njit(**_JIT)
def _chroma_offsets(ur, vr, tr, tgu, tgv, tb, margin, out_r, out_g, out_b):
    """Per chroma sample of a row: the offsets of R', G', B' from Y (with the margin)."""
    for j in range(ur.shape[0]):
        u, v = ur[j], vr[j]
        out_r[j] = tr[v]
        out_g[j] = np.uint32(margin + math.floor(tgu[u] + tgv[v] + 0.5))
        out_b[j] = tb[u]


@njit(**_JIT)
def _rgb_counts(y, u, v, sx, sy, tr, tgu, tgv, tb, margin, clip_bins, col_of, out_r, out_g, out_b):
    """out_*[column, level] of R', G', B'; ``col_of`` all zeros makes it a histogram."""
    h, w = y.shape
    cw = u.shape[1]
    off_r = np.empty(cw, np.uint32)
    off_g = np.empty(cw, np.uint32)
    off_b = np.empty(cw, np.uint32)
    ushift = np.uint32(sx)
    for r in range(h):
        if r & ((1 << sy) - 1) == 0:
            _chroma_offsets(u[r >> sy], v[r >> sy], tr, tgu, tgv, tb, margin, off_r, off_g, off_b)
        yr = y[r]
        for c in range(w):
            yy = np.uint32(yr[c])
            j = np.uint32(c) >> ushift
            col = col_of[c]
            out_r[col, clip_bins[yy + off_r[j]]] += 1
            out_g[col, clip_bins[yy + off_g[j]]] += 1
            out_b[col, clip_bins[yy + off_b[j]]] += 1


@njit(**_JIT)
def _histogram(y, bins, out):
    h, w = y.shape
    for r in range(h):
        row = y[r]
        for c in range(w):
            out[bins[row[c]]] += 1


@njit(**_JIT)
def _vectorscope(u, v, bins, out):
    h, w = u.shape
    for r in range(h):
        ur, vr = u[r], v[r]
        for c in range(w):
            out[bins[vr[c]], bins[ur[c]]] += 1


# ------------------------------------------------------------------ wrappers

def _check(planes: tuple, spec: ColorSpec, need_chroma: bool) -> None:
    if not planes:
        raise ValueError("no planes")
    dtype = np.uint8 if spec.bit_depth <= 8 else np.uint16
    for plane in planes:
        if plane.ndim != 2 or plane.dtype != dtype:
            raise ValueError(f"planes must be 2-D {np.dtype(dtype).name} for {spec.bit_depth}-bit, "
                             f"got {plane.dtype} {plane.shape}")
    if need_chroma and len(planes) < 3:
        raise ValueError("this scope needs chroma planes")


def column_bins(width: int, columns: int) -> np.ndarray:
    """The waveform column of each picture column (``columns`` equal slices of the width)."""
    return (np.arange(width, dtype=np.int64) * columns // width).astype(np.uint32)


def _rgb(planes: tuple, spec: ColorSpec, col_of: np.ndarray, columns: int) -> np.ndarray:
    """counts[channel, column, level] of R', G', B'."""
    y, u, v = planes[:3]
    out = np.zeros((3, columns, levels(spec.bit_depth)), np.int32)
    t = rgb_tables(spec)
    sx, sy = chroma_shift(y, u)
    _rgb_counts(y, u, v, sx, sy, t.r, t.g_u, t.g_v, t.b, t.margin, t.clip_bins, col_of, out[0], out[1], out[2])
    return out


def waveform_by_column(planes: tuple, spec: ColorSpec, columns: int) -> np.ndarray:
    """Luma waveform as counted: counts[column, level] (``waveform`` is its transpose)."""
    _check(planes, spec, False)
    y = planes[0]
    columns = max(1, min(columns, y.shape[1]))
    out = np.zeros((columns, levels(spec.bit_depth)), np.int32)
    _waveform(y, code_bins(spec.bit_depth), column_bins(y.shape[1], columns), out)
    return out


def waveform(planes: tuple, spec: ColorSpec, columns: int) -> np.ndarray:
    """Luma waveform: counts[level, column], row 0 = code 0, ``columns`` slices of the width."""
    return np.ascontiguousarray(waveform_by_column(planes, spec, columns).T)


def parade_by_column(planes: tuple, spec: ColorSpec, columns: int) -> np.ndarray:
    """R'G'B' parade as counted: counts[channel, column, level]; a gray clip shows Y in all three."""
    _check(planes, spec, False)
    if len(planes) < 3 or spec.gray:
        return np.repeat(waveform_by_column(planes, spec, columns)[None], 3, axis=0)
    width = planes[0].shape[1]
    columns = max(1, min(columns, width))
    return _rgb(planes, spec, column_bins(width, columns), columns)


def parade(planes: tuple, spec: ColorSpec, columns: int) -> np.ndarray:
    """R'G'B' parade: counts[channel, level, column]."""
    return np.ascontiguousarray(parade_by_column(planes, spec, columns).transpose(0, 2, 1))


def luma_histogram(planes: tuple, spec: ColorSpec) -> np.ndarray:
    """counts[level] of the luma plane."""
    _check(planes, spec, False)
    out = np.zeros(levels(spec.bit_depth), np.int64)
    _histogram(planes[0], code_bins(spec.bit_depth), out)
    return out


def rgb_histogram(planes: tuple, spec: ColorSpec) -> np.ndarray:
    """counts[channel, level] of R', G', B' (per luma pixel)."""
    _check(planes, spec, False)
    if len(planes) < 3 or spec.gray:
        return np.repeat(luma_histogram(planes, spec)[None], 3, axis=0)
    one_column = np.zeros(planes[0].shape[1], np.uint32)
    return _rgb(planes, spec, one_column, 1)[:, 0, :].astype(np.int64)


def vectorscope(planes: tuple, spec: ColorSpec) -> np.ndarray:
    """counts[Cr bin, Cb bin] over the chroma samples (each sample once, at its own resolution)."""
    _check(planes, spec, True)
    n = levels(spec.bit_depth, VECTOR_BITS)
    out = np.zeros((n, n), np.int32)
    _vectorscope(planes[1], planes[2], code_bins(spec.bit_depth, VECTOR_BITS), out)
    return out


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel for 8- and 16-bit planes."""
    for dtype, depth in ((np.uint8, 8), (np.uint16, 10)):
        y = np.full((4, 4), 1 << (depth - 2), dtype)
        c = np.full((2, 2), 1 << (depth - 1), dtype)
        spec = ColorSpec("bt709", False, depth)
        waveform((y,), spec, 4)
        parade((y, c, c), spec, 4)
        luma_histogram((y,), spec)
        rgb_histogram((y, c, c), spec)
        vectorscope((y, c, c), spec)
