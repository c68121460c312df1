"""SSIM exactly as libvmaf's ``float_ssim`` computes it (luma only).

Definition (libvmaf float_ssim.c -> ssim.c -> iqa decimate.c, convolve.c, ssim_tools.c):

1. Samples go onto the 8-bit scale: divided by 2^(bits-8) (libvmaf does this for 10, 12
   and 16 bits; other depths follow the same rule here).
2. Downscale by f = max(1, round(min(w, h) / 256)) (3 at 720p, 4 at 1080p): output pixel
   (y, x) is the mean of an f x f box centred on (f*y, f*x) -- rows f*y - f//2 ... -- with
   mirrored borders; the output size is n // f, plus one when n is odd.
3. On that image, an 11x11 Gaussian (sigma 1.5, libvmaf's 6-digit taps) gives local means,
   variances (clamped at 0) and covariance over the "valid" region only (no padding), and
   per pixel, with C1 = (0.01*255)^2, C2 = (0.03*255)^2, C3 = C2/2:
   l = (2 mu1 mu2 + C1) / (mu1^2 + mu2^2 + C1),
   c = (2 sd1 sd2 + C2) / (var1 + var2 + C2),
   s = (cov + C3) / (sd1 sd2 + C3)  (cov taken as 0 when negative and sd1 sd2 == 0).
4. Score = mean of l*c*s over the valid region; the map is l*c*s at the downscaled size.
"""
from __future__ import annotations

import numpy as np

from vqinspect.metrics._filters import GAUSS_LEN, box_decimate, check_pair, ssim_sums, to_float_image
from vqinspect.metrics.registry import FrameInput, Metric, MetricError


def ssim_scale_factor(width: int, height: int) -> int:
    """float_ssim's automatic downscale factor: max(1, round(min(w, h) / 256)), halves up."""
    return max(1, (2 * min(width, height) + 256) // 512)


def _prepared(ref: np.ndarray, dist: np.ndarray, bit_depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Both luma planes as float32 on the 8-bit scale, downscaled like float_ssim."""
    check_pair(ref, dist, bit_depth, "ssim")
    h, w = ref.shape
    if min(w, h) < GAUSS_LEN:  # (any downscale leaves at least 192 samples)
        raise MetricError(f"ssim needs at least {GAUSS_LEN}x{GAUSS_LEN} luma samples for its "
                          f"Gaussian window; this clip is {w}x{h}")
    factor = ssim_scale_factor(w, h)
    if factor == 1:
        return to_float_image(ref, bit_depth), to_float_image(dist, bit_depth)
    return box_decimate(ref, bit_depth, factor), box_decimate(dist, bit_depth, factor)


def ssim_score(ref: np.ndarray, dist: np.ndarray, bit_depth: int) -> float:
    """libvmaf float_ssim of two native-depth luma planes (uint8 or uint16, any strides)."""
    r, d = _prepared(ref, dist, bit_depth)
    *_, lcs_sum, count, _ = ssim_sums(r, d, exact=True)
    return float(np.float32(lcs_sum / count))


def ssim_map(ref: np.ndarray, dist: np.ndarray, bit_depth: int) -> np.ndarray:
    """Per-pixel SSIM (float32) at float_ssim's downscaled size, valid region only.

    It is smaller than the frame by the downscale factor and by 10 samples of filter
    support in each direction; viewers upsample it.
    """
    r, d = _prepared(ref, dist, bit_depth)
    return ssim_sums(r, d, exact=True, want_map=True)[-1]


def ssim_metric() -> Metric:
    """The ``ssim`` metric: key ``ssim`` (libvmaf float_ssim), map ``ssim``."""

    def score(frame: FrameInput) -> dict[str, float]:
        return {"ssim": ssim_score(frame.ref[0], frame.dist[0], frame.bit_depth)}

    def compute_map(frame: FrameInput, name: str) -> np.ndarray:
        if name != "ssim":
            raise KeyError(f"ssim has no map {name!r} (it has 'ssim')")
        return ssim_map(frame.ref[0], frame.dist[0], frame.bit_depth)

    return Metric(
        name="ssim", keys=("ssim",), score=score, luma_only=True, maps=("ssim",),
        compute_map=compute_map,
        description="SSIM as libvmaf float_ssim: luma, auto downscale, 11x11 Gaussian",
    )
