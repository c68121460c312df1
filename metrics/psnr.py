"""PSNR per plane and pooled, with libvmaf's ``psnr`` feature rules.

PSNR = 10 log10(peak^2 / MSE) with peak = 2^bits - 1 and MSE the mean squared sample
difference in native depth. Like libvmaf (integer_psnr.c), scores are capped at
6*bits + 12 dB (60 dB at 8 bits, 72 at 10): identical planes give the cap, never inf.
``psnr_avg`` is the PSNR of the MSE over all samples of the three planes together
(so 4:2:0 chroma weighs a quarter of luma each), capped the same way.

Keys: ``psnr_y``, ``psnr_u``, ``psnr_v``, ``psnr_avg`` for three-plane input; gray
(one-plane) input gives only ``psnr_y`` and ``psnr_avg`` (equal), never made-up chroma.
Map ``squared_error``: the per-sample luma squared error, float32, in native depth units.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from vqinspect.metrics._filters import JIT_OPTIONS, check_pair, plane_rows
from vqinspect.metrics.registry import FrameInput, Metric, MetricError

KEYS = ("psnr_y", "psnr_u", "psnr_v", "psnr_avg")


@njit(**JIT_OPTIONS)
def _sse(a, a_pitch, b, b_pitch, h, w):
    """Sum of squared differences of two planes given as flat buffers with row pitches."""
    total = 0
    for y in range(h):
        ra = a[y * a_pitch: y * a_pitch + w]
        rb = b[y * b_pitch: y * b_pitch + w]
        row_total = 0
        for x in range(w):
            d = np.int64(ra[x]) - np.int64(rb[x])
            row_total += d * d
        total += row_total
    return total


@njit(**JIT_OPTIONS)
def _squared_error(a, a_pitch, b, b_pitch, out):
    """Per-sample squared difference into the float32 image ``out``."""
    h, w = out.shape
    for y in range(h):
        ra = a[y * a_pitch: y * a_pitch + w]
        rb = b[y * b_pitch: y * b_pitch + w]
        dst = out[y]
        for x in range(w):
            d = np.float32(np.int32(ra[x]) - np.int32(rb[x]))
            dst[x] = d * d


def plane_sse(ref: np.ndarray, dist: np.ndarray) -> int:
    """Sum of squared sample differences of two same-shape planes (exact, int64)."""
    a, a_pitch = plane_rows(ref)
    b, b_pitch = plane_rows(dist)
    return int(_sse(a, a_pitch, b, b_pitch, ref.shape[0], ref.shape[1]))


def psnr_from_sse(sse: int, count: int, bit_depth: int) -> float:
    """libvmaf's PSNR of a summed squared error: MSE floored at 1e-16, capped at 6*bits+12."""
    peak = float((1 << bit_depth) - 1)
    mse = sse / count
    return min(10.0 * math.log10(peak * peak / max(mse, 1e-16)), 6.0 * bit_depth + 12.0)


def psnr_scores(ref: tuple, dist: tuple, bit_depth: int) -> dict[str, float]:
    """PSNR of (Y,) or (Y, U, V) planes in native depth; see the module doc for the keys."""
    if len(ref) != len(dist) or len(ref) not in (1, 3):
        raise MetricError(f"psnr needs one (gray) or three (Y, U, V) planes on each side, "
                          f"got {len(ref)} and {len(dist)}")
    sses, counts = [], []
    for name, r, d in zip(("Y", "U", "V"), ref, dist):
        check_pair(r, d, bit_depth, f"psnr ({name} plane)")
        sses.append(plane_sse(r, d))
        counts.append(r.size)
    scores = {"psnr_y": psnr_from_sse(sses[0], counts[0], bit_depth)}
    if len(ref) == 3:
        scores["psnr_u"] = psnr_from_sse(sses[1], counts[1], bit_depth)
        scores["psnr_v"] = psnr_from_sse(sses[2], counts[2], bit_depth)
    scores["psnr_avg"] = psnr_from_sse(sum(sses), sum(counts), bit_depth)
    return scores


def squared_error_map(ref: np.ndarray, dist: np.ndarray, bit_depth: int) -> np.ndarray:
    """Luma squared error per sample (float32, native depth units, full resolution)."""
    check_pair(ref, dist, bit_depth, "psnr squared_error map")
    a, a_pitch = plane_rows(ref)
    b, b_pitch = plane_rows(dist)
    out = np.empty(ref.shape, dtype=np.float32)
    _squared_error(a, a_pitch, b, b_pitch, out)
    return out


def psnr_metric() -> Metric:
    """The ``psnr`` metric: per-plane and pooled PSNR (libvmaf cap), map ``squared_error``.

    ``keys`` lists every key it can give; gray input gives ``psnr_y`` and ``psnr_avg`` only.
    """

    def score(frame: FrameInput) -> dict[str, float]:
        return psnr_scores(frame.ref, frame.dist, frame.bit_depth)

    def compute_map(frame: FrameInput, name: str) -> np.ndarray:
        if name != "squared_error":
            raise KeyError(f"psnr has no map {name!r} (it has 'squared_error')")
        return squared_error_map(frame.ref[0], frame.dist[0], frame.bit_depth)

    return Metric(
        name="psnr", keys=KEYS, score=score, luma_only=False, maps=("squared_error",),
        compute_map=compute_map,
        description="PSNR per plane and pooled over all samples, capped at 6*bits+12 dB",
    )
