"""CIEDE2000 colour difference as libvmaf's ``ciede`` feature computes it (feature/ciede.c).

Per pixel, both Y'CbCr triples go to CIELAB the way libvmaf does it, whatever the clip says:
limited range, libvmaf's "BT.709" coefficients (R = y + 1.28033 v, G = y - 0.21482 u -
0.38059 v, B = y + 2.12798 u, nothing clipped), the sRGB curve with its knee at 10/255, the
sRGB/D65 XYZ matrix and white. Then ΔE00 with libvmaf's weights kL = 0.65, kC = 1, kH = 4
and its two shortcuts (Δh' is 0 when an *unprimed* chroma is 0; the mean hue has no -2π
branch). Every value C stores as ``float`` is rounded to float32 here at the same place,
and no fast-math is allowed, so that the per-frame score matches libvmaf to its printed digits.

Keys: ``ciede2000`` = 45 - 20 log10(mean ΔE00) (libvmaf's, higher is better; +inf for
identical frames, as libvmaf), ``delta_e00_mean`` and ``delta_e00_p99`` (the 99th percentile
of the per-pixel ΔE00, numpy's linear interpolation). Map ``delta_e00``: ΔE00 per pixel.

Chroma is repeated to luma resolution (each sample covers its 2x2, 2x1 or 1x1 block).
libvmaf gets 4:2:2 wrong: its scale_chroma_planes halves chroma rows instead of columns and
reads past the end of each chroma row; here 4:2:2 chroma is repeated horizontally, the correct
upsampling, so 4:2:2 scores differ from libvmaf's (by about 0.36 dB on a CRF 35 x264 encode)
and equal libvmaf's on the same frames upsampled to 4:4:4 first. 4:2:0 and 4:4:4 agree.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from vqinspect.metrics.registry import FrameInput, Metric, MetricError

KEYS = ("ciede2000", "delta_e00_mean", "delta_e00_p99")
MAP = "delta_e00"
_JIT = dict(cache=True, nogil=True, error_model="numpy")
"""No fast-math: float32 rounding and operation order must stay those of the C code."""

_F32 = np.float32
_PI = math.pi
_TWO_PI = 2.0 * math.pi
_KAPPA = 24389.0 / 27.0
_EPSILON = 216.0 / 24389.0
_TWO = _F32(2.0)
_FIFTY = _F32(50.0)
_POW25_7 = _F32(_F32(25.0) ** _F32(7.0))   # powf(25., 7) in get_r_sub_t
# extract's default_ksub
_KL, _KC, _KH = _F32(0.65), _F32(1.0), _F32(4.0)
PERCENTILE = 99.0


@njit(**_JIT)
def _linear(c):
    """rgb_to_xyz_map: the sRGB curve with libvmaf's knee (10/255), in double."""
    if c > 10.0 / 255.0:
        return ((c + 0.055) * (1.0 / 1.055)) ** 2.4
    return c * (1.0 / 12.92)


@njit(**_JIT)
def _lab_f(c):
    """xyz_to_lab_map: computed in double, returned as a float32."""
    if c > _EPSILON:
        return _F32(c ** (1.0 / 3.0))
    return _F32((_KAPPA * c + 16.0) * (1.0 / 116.0))


@njit(**_JIT)
def _lab(yc, uc, vc, scale):
    """get_lab_color: code values (native depth, float64) -> float32 L, a, b."""
    y = (yc - 16.0 * scale) * (1.0 / (219.0 * scale))
    u = (uc - 128.0 * scale) * (1.0 / (224.0 * scale))
    v = (vc - 128.0 * scale) * (1.0 / (224.0 * scale))
    r = _linear(y + 1.28033 * v)
    g = _linear(y - 0.21482 * u - 0.38059 * v)
    b = _linear(y + 2.12798 * u)
    x = r * 0.4124564390896921 + g * 0.357576077643909 + b * 0.18043748326639894
    yy = r * 0.21267285140562248 + g * 0.715152155287818 + b * 0.07217499330655958
    z = r * 0.019333895582329317 + g * 0.119192025881303 + b * 0.9503040785363677
    fx = np.float64(_lab_f(x * (1.0 / 0.95047)))
    fy = np.float64(_lab_f(yy))
    fz = np.float64(_lab_f(z * (1.0 / 1.08883)))
    return _F32(116.0 * fy - 16.0), _F32(500.0 * (fx - fy)), _F32(200.0 * (fy - fz))


@njit(**_JIT)
def _hue(b, a):
    """get_h_prime(b, a'): atan2 (double) of float32s, mapped to [0, 2π), 0 for a grey."""
    if b == 0.0 and a == 0.0:
        return _F32(0.0)
    h = _F32(math.atan2(np.float64(b), np.float64(a)))
    if h < 0.0:
        h = _F32(h + _TWO_PI)
    return h


@njit(**_JIT)
def delta_e00(l1, a1, b1, l2, a2, b2):
    """libvmaf's ciede2000() with kL, kC, kH = 0.65, 1, 4 on float32 Lab values."""
    dl = _F32(l2 - l1)
    l_bar = _F32((l1 + l2) / _TWO)
    c1 = _F32(math.sqrt(np.float64(a1) ** 2 + np.float64(b1) ** 2))
    c2 = _F32(math.sqrt(np.float64(a2) ** 2 + np.float64(b2) ** 2))
    c_bar = _F32((c1 + c2) / _TWO)
    c_bar7 = np.float64(c_bar) ** 7.0
    g = 1.0 - math.sqrt(c_bar7 / (c_bar7 + 25.0 ** 7.0))
    ap1 = _F32(a1 + (a1 / _TWO) * g)
    ap2 = _F32(a2 + (a2 / _TWO) * g)
    cp1 = _F32(math.sqrt(np.float64(ap1) ** 2 + np.float64(b1) ** 2))
    cp2 = _F32(math.sqrt(np.float64(ap2) ** 2 + np.float64(b2) ** 2))
    cp_bar = _F32((cp1 + cp2) / _TWO)
    dc = _F32(cp2 - cp1)
    l50 = np.float64(_F32(l_bar - _FIFTY)) ** 2
    s_l = _F32(1.0 + (0.015 * l50) / math.sqrt(20.0 + l50))
    s_c = _F32(1.0 + 0.045 * cp_bar)
    h1 = _hue(b1, ap1)
    h2 = _hue(b2, ap2)
    if c1 == 0.0 or c2 == 0.0:
        dh = _F32(0.0)
    elif abs(h1 - h2) <= _PI:
        dh = _F32(h2 - h1)
    elif h2 <= h1:
        dh = _F32(_F32(h2 - h1) + _TWO_PI)
    else:
        dh = _F32(_F32(h2 - h1) - _TWO_PI)
    d_big_h = _F32(2.0 * math.sqrt(np.float64(cp1 * cp2)) * math.sin(dh / 2.0))
    h_sum = _F32(h1 + h2)
    if abs(_F32(h1 - h2)) > _PI:
        h_bar = _F32((h_sum + _TWO_PI) / 2.0)
    else:
        h_bar = _F32(h_sum / 2.0)
    t = _F32(1.0 - 0.17 * math.cos(h_bar - _PI / 6.0) + 0.24 * math.cos(2.0 * h_bar)
             + 0.32 * math.cos(3.0 * h_bar + _PI / 30.0) - 0.20 * math.cos(4.0 * h_bar - 7.0 * _PI / 20.0))
    s_h = _F32(1.0 + 0.015 * cp_bar * t)
    degrees = _F32((_F32(h_bar * (180.0 / _PI)) - 275.0) * (1.0 / 25.0))
    cp_bar7 = cp_bar ** _F32(7.0)
    ratio = cp_bar7 / (cp_bar7 + _POW25_7)
    angle = _F32(_F32(60.0 * math.exp(np.float64(-(degrees ** _TWO)))) * (_PI / 180.0))
    r_t = _F32(-2.0 * math.sqrt(np.float64(ratio)) * math.sin(np.float64(angle)))
    lightness = _F32(dl / (_KL * s_l))
    chroma = _F32(dc / (_KC * s_c))
    hue = _F32(d_big_h / (_KH * s_h))
    cross = r_t * chroma * hue
    return _F32(math.sqrt(np.float64(lightness) ** 2 + np.float64(chroma) ** 2
                          + np.float64(hue) ** 2 + np.float64(cross)))


@njit(**_JIT)
def _delta_e00_map(ry, ru, rv, dy, du, dv, sx, sy, scale, out):
    """ΔE00 of every pixel into ``out`` (float32, luma size); returns the sum (float64).
    Chroma sample (row >> sy, column >> sx) covers each pixel."""
    h, w = out.shape
    total = 0.0
    for i in range(h):
        ci = i >> sy
        ryr, rur, rvr = ry[i], ru[ci], rv[ci]
        dyr, dur, dvr = dy[i], du[ci], dv[ci]
        o = out[i]
        row_total = 0.0
        for j in range(w):
            cj = j >> sx
            l1, a1, b1 = _lab(np.float64(ryr[j]), np.float64(rur[cj]), np.float64(rvr[cj]), scale)
            l2, a2, b2 = _lab(np.float64(dyr[j]), np.float64(dur[cj]), np.float64(dvr[cj]), scale)
            de = delta_e00(l1, a1, b1, l2, a2, b2)
            o[j] = de
            row_total += de
        total += row_total
    return total


@njit(**_JIT)
def percentile(values, q):
    """numpy's ``percentile(values, q)`` (linear interpolation) of a 2-D float32 map."""
    flat = values.ravel()
    n = flat.size
    pos = (n - 1) * (q / 100.0)
    lo = int(math.floor(pos))
    frac = pos - lo
    part = np.partition(flat, lo)
    a = np.float64(part[lo])
    if lo + 1 >= n or frac == 0.0:
        return a
    b = np.float64(part[lo + 1:].min())
    return a + (b - a) * frac


def chroma_shifts(planes: tuple, what: str) -> tuple[int, int]:
    """(sx, sy): log2 of the chroma subsampling; MetricError unless it is 1 or 2 each way."""
    (h, w), (ch, cw) = planes[0].shape, planes[1].shape
    shifts = []
    for full, sub in ((w, cw), (h, ch)):
        shift = next((s for s in (0, 1) if (full + (1 << s) - 1) >> s == sub), None)
        if shift is None:
            raise MetricError(f"{what}: chroma planes of {cw}x{ch} do not fit luma of {w}x{h} "
                              f"(4:4:4, 4:2:2 or 4:2:0 wanted)")
        shifts.append(shift)
    if planes[2].shape != planes[1].shape:
        raise MetricError(f"{what}: the U and V planes differ in size")
    return shifts[0], shifts[1]


def check_colour_pair(ref: tuple, dist: tuple, bit_depth: int, what: str) -> tuple[int, int]:
    """MetricError unless ``ref`` and ``dist`` are matching Y, U, V planes of this depth;
    returns the chroma shifts (sx, sy)."""
    if len(ref) != 3 or len(dist) != 3:
        raise MetricError(f"{what} needs colour (Y, U, V planes); got {len(ref)} and {len(dist)} planes")
    if not 8 <= bit_depth <= 16:
        raise MetricError(f"{what}: bit depth {bit_depth} is not supported (8..16)")
    want = np.dtype(np.uint8 if bit_depth == 8 else np.uint16)
    for side, planes in (("reference", ref), ("distorted", dist)):
        for name, plane in zip("YUV", planes):
            if plane.ndim != 2 or plane.size == 0 or plane.dtype != want:
                raise MetricError(f"{what}: {side} {name} plane must be a non-empty 2-D {want.name} "
                                  f"array for {bit_depth}-bit samples, got {plane.dtype} {plane.shape}")
        if planes is dist and any(r.shape != d.shape for r, d in zip(ref, dist)):
            raise MetricError(f"{what}: reference is {ref[0].shape[1]}x{ref[0].shape[0]} but distorted "
                              f"is {dist[0].shape[1]}x{dist[0].shape[0]} (or their chroma differs)")
    return chroma_shifts(ref, what)


def delta_e00_map(ref: tuple, dist: tuple, bit_depth: int) -> tuple[np.ndarray, float]:
    """(ΔE00 per pixel as float32 at luma size, their sum in float64) of Y, U, V planes."""
    sx, sy = check_colour_pair(ref, dist, bit_depth, "ciede2000")
    out = np.empty(ref[0].shape, dtype=np.float32)
    total = _delta_e00_map(*ref, *dist, sx, sy, float(1 << (bit_depth - 8)), out)
    return out, float(total)


def ciede_scores(ref: tuple, dist: tuple, bit_depth: int) -> dict[str, float]:
    """The three keys of one frame pair (see the module doc)."""
    values, total = delta_e00_map(ref, dist, bit_depth)
    mean = total / values.size
    score = 45.0 - 20.0 * math.log10(mean) if mean > 0 else math.inf
    return {"ciede2000": score, "delta_e00_mean": mean,
            "delta_e00_p99": float(percentile(values, PERCENTILE))}


def ciede_metric() -> Metric:
    """The ``ciede2000`` metric: libvmaf's ``ciede`` score, mean and 99th percentile ΔE00,
    map ``delta_e00``."""

    def score(frame: FrameInput) -> dict[str, float]:
        return ciede_scores(frame.ref, frame.dist, frame.bit_depth)

    def compute_map(frame: FrameInput, name: str) -> np.ndarray:
        if name != MAP:
            raise KeyError(f"ciede2000 has no map {name!r} (it has {MAP!r})")
        return delta_e00_map(frame.ref, frame.dist, frame.bit_depth)[0]

    return Metric(name="ciede2000", keys=KEYS, score=score, luma_only=False, maps=(MAP,),
                  compute_map=compute_map,
                  description="CIEDE2000 as libvmaf's ciede feature: 45 - 20 log10(mean ΔE00)")
