"""HDR10 and wide-gamut pictures on an SDR (BT.709) screen, the way ffmpeg's usual chains
convert them.

PQ (HDR10) is tone-mapped: ``zscale=t=linear:npl=100`` (the PQ EOTF, 100 nits as 1.0),
``zscale=p=bt709`` (BT.2020 to BT.709 primaries in linear light), ``tonemap=hable:desat=0``
(Hable's curve on the brightest component, so the peak becomes white and hues are kept), and
``zscale=t=bt709`` (what zimg does there for display light: the inverse of BT.1886's gamma
2.4). BT.2020 SDR and HLG (which is made to be watched on SDR screens as it is) only have
their primaries converted, in BT.1886 display light: ``zscale=tin=bt2020-10:t=linear``,
``p=bt709``, ``t=bt709``. The tests match both chains to one code value against
imageio-ffmpeg's ffmpeg. One difference is deliberate: zimg extends the curves for R'G'B'
outside [0, 1] (out-of-range codes), and here they are clipped.

Only the picture on screen changes: scores and the pixel inspector use coded values, as
libvmaf does.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
from numba import njit

PEAK_NITS = 1000.0
"""Mapped to white when the stream has no HDR10 light level: ffmpeg's tonemap default.

With one (MaxCLL, else the mastering display's peak) that level goes to white, which is
what ffmpeg's tonemap does with the level it is given. Its usual chain never gives it one:
since FFmpeg 7 zscale drops light-level side data when it changes the transfer, so that
chain maps 1000 nits to white whatever the stream says. A 4000-nit master keeps its
highlights here."""
REFERENCE_WHITE_NITS = 100.0
"""Linear 1.0 (zscale's npl=100)."""
LUT_SIZE = 1 << 16
"""Entries of the PQ and output tables over [0, 1]."""

# SMPTE ST 2084
_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32

PRIMARIES = {"bt709": ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060)),
             "bt2020": ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))}
D65 = (0.3127, 0.3290)

_JIT = dict(cache=True, nogil=True, error_model="numpy")
"""numpy's error model: no division-by-zero branch, so the pixel arithmetic vectorises."""


def pq_eotf(signal: np.ndarray) -> np.ndarray:
    """Display light in nits of PQ signal values in [0, 1] (float64)."""
    p = np.clip(signal, 0.0, 1.0) ** (1.0 / _M2)
    return 10000.0 * (np.maximum(p - _C1, 0.0) / (_C2 - _C3 * p)) ** (1.0 / _M1)


_HABLE = (0.15, 0.50, 0.10, 0.20, 0.02, 0.30)
"""Its shoulder, linear, angle, toe, toe numerator and toe denominator strengths (A..F)."""
_HA, _HB, _HC, _HD, _HE, _HF = (np.float32(k) for k in _HABLE)


@njit(**_JIT)
def hable(x):
    """John Hable's filmic curve (Uncharted 2), as ffmpeg's tonemap filter has it (float32
    constants: float32 samples stay float32)."""
    return (x * (x * _HA + _HB * _HC) + _HD * _HE) / (x * (x * _HA + _HB) + _HD * _HF) - _HE / _HF


def _to_xyz(primaries) -> np.ndarray:
    """RGB -> XYZ of a set of primaries with the D65 white point."""
    def column(x, y):
        return np.array([x / y, 1.0, (1.0 - x - y) / y])

    m = np.stack([column(*p) for p in primaries], axis=1)
    return m * np.linalg.solve(m, column(*D65))


def gamut_matrix(source: str, target: str = "bt709") -> np.ndarray:
    """Linear-light RGB conversion between two sets of primaries (identity if the same)."""
    return np.linalg.solve(_to_xyz(PRIMARIES[target]), _to_xyz(PRIMARIES[source]))


@lru_cache(maxsize=2)
def tables(transfer: str) -> tuple[np.ndarray, np.ndarray]:
    """(signal -> linear, sqrt(linear) -> output code): float32 and uint8 tables.

    ``transfer``: "pq" (linear 1.0 = 100 nits) or "bt1886" (gamma 2.4, 1.0 = white). The
    output table is indexed by the square root of linear light, where gamma 1/2.4 is gentle
    enough near black for a uniform table to round like the exact curve.
    """
    grid = np.arange(LUT_SIZE, dtype=np.float64) / (LUT_SIZE - 1)
    linear = pq_eotf(grid) / REFERENCE_WHITE_NITS if transfer == "pq" else grid ** 2.4
    codes = np.round(grid ** (2.0 / 2.4) * 255.0).astype(np.uint8)
    return linear.astype(np.float32), codes


@njit(**_JIT)
def _index(x, n):
    """Nearest entry of a table of n + 1 values over [0, 1]; x is clipped (branch-free, so
    that the pixel loop vectorises, its table reads becoming gathers)."""
    return np.int32(min(max(x, np.float32(0.0)), np.float32(1.0)) * n + np.float32(0.5))


@njit(**_JIT)
def to_screen(y, u, v, sx, sy, ty, tvr, tug, tvg, tub, linear, codes, gamut, white, out):
    """Y'CbCr planes -> uint8 RGB (H x W x 3). ``ty``..``tub``: per-code contributions to
    R'G'B' in [0, 1]; ``linear``, ``codes``: ``tables``; ``white``: 1 / hable(peak) to
    tone-map, 0 not to.

    Each row goes through four loops, so that the arithmetic one vectorises apart from
    the table reads: signal -> table index, index -> linear light, gamut and tone mapping
    -> index of the output table, index -> output code.
    """
    tone_map = white > 0
    n = np.float32(linear.size - 1)
    h, w = y.shape
    light = np.empty((3, w), dtype=np.float32)
    index = np.empty((3, w), dtype=np.int32)
    lr, lg, lb = light[0], light[1], light[2]
    ir, ig, ib = index[0], index[1], index[2]
    g00, g01, g02 = gamut[0, 0], gamut[0, 1], gamut[0, 2]
    g10, g11, g12 = gamut[1, 0], gamut[1, 1], gamut[1, 2]
    g20, g21, g22 = gamut[2, 0], gamut[2, 1], gamut[2, 2]
    zero, floor = np.float32(0.0), np.float32(1e-6)
    for row in range(h):
        yr, ur, vr, o = y[row], u[row >> sy], v[row >> sy], out[row]
        for c in range(w):
            yy = ty[yr[c]]
            cu, cv = ur[c >> sx], vr[c >> sx]
            ir[c] = _index(yy + tvr[cv], n)
            ig[c] = _index(yy + tug[cu] + tvg[cv], n)
            ib[c] = _index(yy + tub[cu], n)
        for c in range(w):
            lr[c] = linear[ir[c]]
            lg[c] = linear[ig[c]]
            lb[c] = linear[ib[c]]
        for c in range(w):  # BT.2020 -> BT.709, then Hable on the brightest component
            r = g00 * lr[c] + g01 * lg[c] + g02 * lb[c]
            g = g10 * lr[c] + g11 * lg[c] + g12 * lb[c]
            b = g20 * lr[c] + g21 * lg[c] + g22 * lb[c]
            scale = np.float32(1.0)
            if tone_map:
                sig = max(max(r, g), max(b, floor))
                scale = hable(sig) * white / sig
            ir[c] = _index(np.sqrt(max(r * scale, zero)), n)
            ig[c] = _index(np.sqrt(max(g * scale, zero)), n)
            ib[c] = _index(np.sqrt(max(b * scale, zero)), n)
        for c in range(w):
            o[c, 0] = codes[ir[c]]
            o[c, 1] = codes[ig[c]]
            o[c, 2] = codes[ib[c]]


def white_scale(peak_nits: float = PEAK_NITS) -> np.float32:
    """1 / hable(peak): the factor that puts ``peak_nits`` at white."""
    return np.float32(1.0 / hable(np.float32(peak_nits / REFERENCE_WHITE_NITS)))
