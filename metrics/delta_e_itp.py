"""ΔE ITP (ITU-R BT.2124): colour difference of HDR and wide-gamut pictures in display light.

Each pixel's Y'CbCr goes to absolute display light with the clip's own description
(``FrameInput.colour``: matrix, range, primaries, transfer, peak_nits), then to ICtCp
(ITU-R BT.2100, PQ variant) and

    ΔE ITP = 720 sqrt(ΔI² + ΔT² + ΔP²),  T = 0.5 Ct, P = Cp;  1 is a just-noticeable difference.

Decoding: codes to E'Y, E'Cb, E'Cr by the range (limited: (Y - 16·2^(n-8)) / (219·2^(n-8)),
full: Y / (2^n - 1)), R'G'B' by the matrix's Kr, Kb, clipped to [0, 1] as a display does.
Display light in cd/m²: PQ is absolute (SMPTE ST 2084); HLG goes through BT.2100's EOTF
(inverse OETF and OOTF, black at 0) on a display whose peak is ``peak_nits`` (the stream's
HDR10 light level when it has one, else 1000, BT.2100's reference); SDR goes through BT.1886
with white at 100 cd/m² and black at 0 (L = 100 V^2.4). Linear RGB is converted from the
clip's primaries to BT.2020, then to LMS with BT.2100's matrix. Without a description
(``colour=None``) a clip is taken as BT.709 SDR, limited range.

Chroma is repeated to luma resolution like the CIEDE2000 metric. Keys ``delta_e_itp_mean``
and ``delta_e_itp_p99`` (99th percentile of the pixels); map ``delta_e_itp``.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Mapping

import numpy as np
from numba import njit

from vqinspect.metrics.ciede import PERCENTILE, check_colour_pair, percentile
from vqinspect.metrics.registry import FrameInput, Metric, MetricError

KEYS = ("delta_e_itp_mean", "delta_e_itp_p99")
MAP = "delta_e_itp"
_JIT = dict(cache=True, nogil=True, error_model="numpy")

MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593),
            "smpte240m": (0.212, 0.087), "fcc": (0.30, 0.11)}
"""Kr, Kb of each Y'CbCr matrix (the names vqinspect's screen conversion uses)."""
PRIMARIES = {"bt709": ((0.640, 0.330), (0.300, 0.600), (0.150, 0.060)),
             "bt2020": ((0.708, 0.292), (0.170, 0.797), (0.131, 0.046))}
D65 = (0.3127, 0.3290)
TRANSFERS = {"sdr": 0, "pq": 1, "hlg": 2}
SDR_WHITE_NITS = 100.0
"""BT.1886 display white for SDR clips (black at 0)."""
HLG_PEAK_NITS = 1000.0
"""BT.2100's reference HLG display, when the description has no peak."""
DEFAULT_COLOUR = {"matrix": "bt709", "primaries": "bt709", "transfer": "sdr", "range": "limited",
                  "peak_nits": HLG_PEAK_NITS}

# BT.2100: BT.2020 RGB -> LMS, and L'M'S' -> ICtCp (the integer matrices over 4096)
RGB_TO_LMS = np.array([[1688, 2146, 262], [683, 2951, 462], [99, 309, 3688]]) / 4096.0
# SMPTE ST 2084
_M1, _M2 = 2610 / 16384, 2523 / 4096 * 128
_C1, _C2, _C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
# ARIB STD-B67 (HLG)
_HLG_A = 0.17883277
_HLG_B = 1.0 - 4.0 * _HLG_A
_HLG_C = 0.5 - _HLG_A * math.log(4.0 * _HLG_A)


@njit(**_JIT)
def _pq_eotf(e):
    """PQ signal in [0, 1] -> cd/m²."""
    p = e ** (1.0 / _M2)
    return 10000.0 * (max(p - _C1, 0.0) / (_C2 - _C3 * p)) ** (1.0 / _M1)


@njit(**_JIT)
def _pq_inverse(nits):
    """cd/m² (>= 0) -> PQ signal."""
    y = (nits / 10000.0) ** _M1
    return ((_C1 + _C2 * y) / (1.0 + _C3 * y)) ** _M2


@njit(**_JIT)
def _hlg_inverse_oetf(e):
    """HLG signal in [0, 1] -> scene light in [0, 1]."""
    if e <= 0.5:
        return e * e / 3.0
    return (math.exp((e - _HLG_C) / _HLG_A) + _HLG_B) / 12.0


@njit(**_JIT)
def _clip01(x):
    return min(max(x, 0.0), 1.0)


@njit(**_JIT)
def _itp(yc, uc, vc, p, to_lms):
    """Code values -> (I, T, P). ``p``: the decoding parameters of ``_parameters``."""
    y = (yc - p[0]) * p[1]
    cb = (uc - p[2]) * p[3]
    cr = (vc - p[2]) * p[3]
    r = _clip01(y + p[4] * cr)
    g = _clip01(y + p[5] * cb + p[6] * cr)
    b = _clip01(y + p[7] * cb)
    transfer = p[8]
    if transfer == 1.0:
        r, g, b = _pq_eotf(r), _pq_eotf(g), _pq_eotf(b)
    elif transfer == 2.0:
        r, g, b = _hlg_inverse_oetf(r), _hlg_inverse_oetf(g), _hlg_inverse_oetf(b)
        ys = p[11] * r + p[12] * g + p[13] * b
        gain = p[9] * ys ** (p[10] - 1.0) if ys > 0.0 else 0.0
        r, g, b = gain * r, gain * g, gain * b
    else:
        r, g, b = p[9] * r ** 2.4, p[9] * g ** 2.4, p[9] * b ** 2.4
    lp = _pq_inverse(max(to_lms[0, 0] * r + to_lms[0, 1] * g + to_lms[0, 2] * b, 0.0))
    mp = _pq_inverse(max(to_lms[1, 0] * r + to_lms[1, 1] * g + to_lms[1, 2] * b, 0.0))
    sp = _pq_inverse(max(to_lms[2, 0] * r + to_lms[2, 1] * g + to_lms[2, 2] * b, 0.0))
    i = 0.5 * lp + 0.5 * mp
    t = 0.5 * (6610.0 * lp - 13613.0 * mp + 7003.0 * sp) / 4096.0
    pp = (17933.0 * lp - 17390.0 * mp - 543.0 * sp) / 4096.0
    return i, t, pp


@njit(**_JIT)
def _delta_e_itp_map(ry, ru, rv, dy, du, dv, sx, sy, p, to_lms, out):
    """ΔE ITP of every pixel into ``out`` (float32, luma size); returns the sum (float64)."""
    h, w = out.shape
    total = 0.0
    for row in range(h):
        ci = row >> sy
        ryr, rur, rvr = ry[row], ru[ci], rv[ci]
        dyr, dur, dvr = dy[row], du[ci], dv[ci]
        o = out[row]
        for col in range(w):
            cj = col >> sx
            i1, t1, p1 = _itp(np.float64(ryr[col]), np.float64(rur[cj]), np.float64(rvr[cj]), p, to_lms)
            i2, t2, p2 = _itp(np.float64(dyr[col]), np.float64(dur[cj]), np.float64(dvr[cj]), p, to_lms)
            de = 720.0 * math.sqrt((i2 - i1) ** 2 + (t2 - t1) ** 2 + (p2 - p1) ** 2)
            o[col] = de
            total += de
    return total


def _rgb_to_xyz(primaries) -> np.ndarray:
    """Linear RGB -> XYZ of a set of primaries with the D65 white (Y of white = 1)."""
    def column(x, y):
        return np.array([x / y, 1.0, (1.0 - x - y) / y])

    m = np.stack([column(*xy) for xy in primaries], axis=1)
    return m * np.linalg.solve(m, column(*D65))


def _description(colour: Mapping | None) -> tuple:
    """The description as a hashable, validated tuple (defaults filled in)."""
    values = {**DEFAULT_COLOUR, **{k: v for k, v in (colour or {}).items() if v is not None}}
    for name, known in (("matrix", MATRICES), ("primaries", PRIMARIES), ("transfer", TRANSFERS),
                        ("range", ("limited", "full"))):
        if values[name] not in known:
            raise MetricError(f"delta_e_itp: {name} {values[name]!r} is not supported "
                              f"({', '.join(known)})")
    peak = float(values["peak_nits"])
    if not peak > 0:
        raise MetricError(f"delta_e_itp: peak_nits must be positive, got {values['peak_nits']!r}")
    return values["matrix"], values["primaries"], values["transfer"], values["range"], peak


@lru_cache(maxsize=32)
def _parameters(description: tuple, bit_depth: int) -> tuple[np.ndarray, np.ndarray]:
    """(decoding parameters, source RGB -> LMS matrix) for ``_itp``.

    Parameters: Y offset and scale, chroma offset and scale, the R'G'B' coefficients
    Cr->R, Cb->G, Cr->G, Cb->B, the transfer (0 SDR, 1 PQ, 2 HLG), the display white or peak
    (cd/m²), HLG's system gamma, and the luminance weights of the primaries (HLG's Ys)."""
    matrix, primaries, transfer, signal_range, peak = description
    kr, kb = MATRICES[matrix]
    kg = 1.0 - kr - kb
    if signal_range == "full":
        top = float((1 << bit_depth) - 1)
        decode = [0.0, 1.0 / top, float(1 << (bit_depth - 1)), 1.0 / top]
    else:
        s = float(1 << (bit_depth - 8))
        decode = [16.0 * s, 1.0 / (219.0 * s), 128.0 * s, 1.0 / (224.0 * s)]
    coefficients = [2.0 * (1.0 - kr), -2.0 * kb * (1.0 - kb) / kg, -2.0 * kr * (1.0 - kr) / kg, 2.0 * (1.0 - kb)]
    to_xyz = _rgb_to_xyz(PRIMARIES[primaries])
    to_2020 = np.linalg.solve(_rgb_to_xyz(PRIMARIES["bt2020"]), to_xyz)
    light = SDR_WHITE_NITS if transfer == "sdr" else peak
    gamma = 1.2 + 0.42 * math.log10(peak / 1000.0)
    params = np.array(decode + coefficients + [TRANSFERS[transfer], light, gamma, *to_xyz[1]])
    return params, np.ascontiguousarray(RGB_TO_LMS @ to_2020)


def delta_e_itp_map(ref: tuple, dist: tuple, bit_depth: int,
                    colour: Mapping | None = None) -> tuple[np.ndarray, float]:
    """(ΔE ITP per pixel as float32 at luma size, their sum in float64) of Y, U, V planes
    described by ``colour`` (see the module doc)."""
    sx, sy = check_colour_pair(ref, dist, bit_depth, "delta_e_itp")
    params, to_lms = _parameters(_description(colour), bit_depth)
    out = np.empty(ref[0].shape, dtype=np.float32)
    total = _delta_e_itp_map(*ref, *dist, sx, sy, params, to_lms, out)
    return out, float(total)


def delta_e_itp_scores(ref: tuple, dist: tuple, bit_depth: int,
                       colour: Mapping | None = None) -> dict[str, float]:
    values, total = delta_e_itp_map(ref, dist, bit_depth, colour)
    return {"delta_e_itp_mean": total / values.size,
            "delta_e_itp_p99": float(percentile(values, PERCENTILE))}


def delta_e_itp_metric() -> Metric:
    """The ``delta_e_itp`` metric: mean and 99th percentile ΔE ITP, map ``delta_e_itp``."""

    def score(frame: FrameInput) -> dict[str, float]:
        return delta_e_itp_scores(frame.ref, frame.dist, frame.bit_depth, frame.colour)

    def compute_map(frame: FrameInput, name: str) -> np.ndarray:
        if name != MAP:
            raise KeyError(f"delta_e_itp has no map {name!r} (it has {MAP!r})")
        return delta_e_itp_map(frame.ref, frame.dist, frame.bit_depth, frame.colour)[0]

    return Metric(name="delta_e_itp", keys=KEYS, score=score, luma_only=False, maps=(MAP,),
                  compute_map=compute_map,
                  description="ΔE ITP (BT.2124) in display light from the clip's colour description")
