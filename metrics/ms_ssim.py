"""MS-SSIM exactly as libvmaf's ``float_ms_ssim`` computes it (luma only, Wang et al.).

Definition (libvmaf float_ms_ssim.c -> ms_ssim.c -> iqa decimate.c, ssim_tools.c):

1. Samples on the 8-bit scale (divided by 2^(bits-8)), no initial downscale.
2. Five scales. Scale k+1 is scale k filtered with the 9x9 9/7 biorthogonal low-pass table
   (mirrored borders), sampled at every second row and column: n -> n // 2 + (n & 1).
3. At each scale the per-pixel l, c, s of SSIM (11x11 Gaussian, valid region, as in
   ``vqinspect.metrics.ssim``) are averaged separately -- not l*c*s.
4. MS-SSIM = prod_k mean(l_k)^a_k * mean(c_k)^b_k * mean(s_k)^g_k with
   a = (0, 0, 0, 0, 0.1333), b = g = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333).
   A negative mean(s_k) makes the result NaN, as C's pow() does in libvmaf.

libvmaf refuses inputs where any of the five scales, halved with floor division, is
narrower than 11 samples: both sides must be at least 176.
"""
from __future__ import annotations

import math

import numpy as np

from vqinspect.metrics._filters import GAUSS_LEN, check_pair, lpf_decimate, ssim_sums
from vqinspect.metrics.registry import FrameInput, Metric, MetricError

SCALES = 5
MIN_SIZE = GAUSS_LEN << (SCALES - 1)
"""Smallest width and height libvmaf accepts (176): the fifth scale must fit the window."""

_F32 = np.float32
_ALPHAS = tuple(float(_F32(a)) for a in (0.0, 0.0, 0.0, 0.0, 0.1333))
_BETAS = tuple(float(_F32(b)) for b in (0.0448, 0.2856, 0.3001, 0.2363, 0.1333))
_GAMMAS = _BETAS


def _pow(base: float, exponent: float) -> float:
    """C's pow() for these exponents: NaN for a negative base with a fractional exponent."""
    if exponent == 0.0:
        return 1.0
    return math.nan if base < 0.0 else base ** exponent


def ms_ssim_score(ref: np.ndarray, dist: np.ndarray, bit_depth: int) -> float:
    """libvmaf float_ms_ssim of two native-depth luma planes (uint8 or uint16, any strides)."""
    check_pair(ref, dist, bit_depth, "ms_ssim")
    h, w = ref.shape
    if min(w, h) < MIN_SIZE:
        raise MetricError(f"ms_ssim needs at least {MIN_SIZE}x{MIN_SIZE} luma samples for its "
                          f"{SCALES} scales; this clip is {w}x{h}")
    r, d = ref, dist
    score = 1.0
    for scale in range(SCALES):
        if scale:
            r, d = lpf_decimate(r, bit_depth), lpf_decimate(d, bit_depth)
        # float32 filter sums: twice as fast, within ~1e-7 of libvmaf's double sums here
        l_sum, c_sum, s_sum, _, count, _ = ssim_sums(r, d, bit_depth, exact=False)
        lum, con, struct = (float(_F32(total / count)) for total in (l_sum, c_sum, s_sum))
        score *= (_pow(lum, _ALPHAS[scale]) * _pow(con, _BETAS[scale])
                  * _pow(struct, _GAMMAS[scale]))
    return score


def ms_ssim_metric() -> Metric:
    """The ``ms_ssim`` metric: key ``ms_ssim`` (libvmaf float_ms_ssim); no map."""

    def score(frame: FrameInput) -> dict[str, float]:
        return {"ms_ssim": ms_ssim_score(frame.ref[0], frame.dist[0], frame.bit_depth)}

    return Metric(
        name="ms_ssim", keys=("ms_ssim",), score=score, luma_only=True,
        description="MS-SSIM as libvmaf float_ms_ssim: luma, 5 scales, 9/7 low-pass",
        min_size=(MIN_SIZE, MIN_SIZE),
    )
