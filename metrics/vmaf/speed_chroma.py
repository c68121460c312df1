"""SpEED chroma (``speed_chroma_u/v/uv``, VMAF v1 models) as libvmaf's speed.c computes it.

Per chroma plane of both pictures: optional prescale (bilinear or nearest), a 9-tap
Gaussian anti-alias blur sampled every 16th pixel, local mean removal (3-tap Gaussian);
then a Gaussian scale mixture over 5x5 blocks: the 25x25 covariance K, its eigenvalues,
each block's variance multiplier s = y' K^-1 y / 25 and its entropy
sum_k log2(lambda_k s + sigma) + log2(2 pi e). A block counts where either side's entropy
exceeds the neural-noise floor; the plane's score is the mean |E_ref log2(1 + s_ref) -
E_dis log2(1 + 0.75 s_ref + 0.25 s_dis)| (weight mode 5). A side whose K is singular gets
s = 0 and flags the plane; U/V combine into uv as libvmaf does.

The conversion, scalers and filters round every float32 step in libvmaf's order; the
covariance's sums are vectorised (reassociated); the eigenvalues and the solve use float64
LAPACK, on the four sides of a frame at once (libvmaf's float32 GSL port agrees to ~3e-5).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from vqinspect.metrics.registry import MetricError
from vqinspect.metrics.vmaf.prepare import KERNEL_OPTIONS, reflect101

BLOCK = 5
EIGEN_EPS = 1e-6
LOG2_2PIE = math.log2(2.0 * math.pi * math.e)
STRICT = dict(KERNEL_OPTIONS, fastmath=False)
"""The float32 filters and scalers: every product and sum rounded in libvmaf's order (its C
is built without FMA contraction); their column loops vectorise without reassociation."""


@dataclass(frozen=True)
class SpeedOptions:
    """Options of libvmaf's speed_chroma extractor."""

    kernelscale: float = 1.0
    prescale: float = 1.0
    prescale_method: str = "nearest"
    sigma_nn: float = 0.29
    nn_floor: float = 0.0
    max_val: float = 1000.0
    weight_var_mode: int = 0

    def check(self) -> None:
        if self.kernelscale != 1.0:
            raise MetricError(f"VMAF: speed_kernelscale {self.kernelscale} is not supported (only 1)")
        if self.prescale_method not in ("nearest", "bilinear"):
            raise MetricError(f"VMAF: speed_prescale_method {self.prescale_method!r} is not "
                              "supported (nearest or bilinear)")
        if not 0 <= self.weight_var_mode <= 6:
            raise MetricError(f"VMAF: speed_weight_var_mode must be 0..6, got {self.weight_var_mode}")


ANTIALIAS = np.array([0.0756488293, 0.0991033912, 0.120188937, 0.13493669, 0.14024429,
                      0.13493669, 0.120188937, 0.0991033912, 0.0756488293], dtype=np.float32)
"""9-tap anti-alias Gaussian (sigma 3.6) of speed_get_antialias_filter at kernel scale 1."""
LOCAL_MEAN = np.array([0.166378513, 0.667242944, 0.166378513], dtype=np.float32)
"""3-tap Gaussian (sigma 0.6) of vif_get_filter at scale 4, kernel scale 1."""


def scaled_size(n: int, prescale: float) -> int:
    return int(n * prescale + 0.5) if abs(prescale - 1.0) >= 1e-3 else n


def plane_dims(h: int, w: int, prescale: float) -> tuple[int, int]:
    """(operating h, w) after prescale and decimation by 16; MetricError if too small."""
    oh, ow = scaled_size(h, prescale) >> 4, scaled_size(w, prescale) >> 4
    if oh < BLOCK or ow < BLOCK:
        raise MetricError(f"VMAF: SpEED chroma needs chroma planes of at least "
                          f"{math.ceil(80 / prescale)}x{math.ceil(80 / prescale)} samples "
                          f"(got {w}x{h}; libvmaf crashes on this input)")
    return oh, ow


@njit(**STRICT)
def to_float(plane, divisor, out):
    """float32(x) / divisor - 128 (libvmaf picture_copy with offset -128)."""
    h, w = plane.shape
    d = np.float32(divisor)
    for i in range(h):
        for j in range(w):
            out[i, j] = np.float32(plane[i, j]) / d - np.float32(128.0)


@njit(**STRICT)
def bilinear(src, dst_h, dst_w):
    """libvmaf's per-pixel bilinear scaler (vif_scale_frame_bilinear), float32."""
    src_h, src_w = src.shape
    out = np.empty((dst_h, dst_w), np.float32)
    rx = np.float32(np.float32(src_w) / np.float32(dst_w))
    ry = np.float32(np.float32(src_h) / np.float32(dst_h))
    one = np.float32(1.0)
    for y in range(dst_h):
        yy = np.float32((y + 0.5) * np.float64(ry) - 0.5)
        y1 = int(_mirror_f(np.float32(math.floor(yy)), src_h - 1))
        y2 = int(_mirror_f(np.float32(math.ceil(yy)), src_h - 1))
        dy = np.float32(yy - np.float32(y1))
        for x in range(dst_w):
            xx = np.float32((x + 0.5) * np.float64(rx) - 0.5)
            x1 = int(_mirror_f(np.float32(math.floor(xx)), src_w - 1))
            x2 = int(_mirror_f(np.float32(math.ceil(xx)), src_w - 1))
            dx = np.float32(xx - np.float32(x1))
            a = np.float32(np.float32((one - dy) * (one - dx)) * src[y1, x1])
            b = np.float32(np.float32((one - dy) * dx) * src[y1, x2])
            c = np.float32(np.float32(dy * (one - dx)) * src[y2, x1])
            d = np.float32(np.float32(dy * dx) * src[y2, x2])
            out[y, x] = np.float32(np.float32(np.float32(a + b) + c) + d)
    return out


@njit(**KERNEL_OPTIONS)
def _mirror_f(i, right):
    if i < 0:
        return -i
    if i > right:
        return 2 * right - i
    return i


@njit(**KERNEL_OPTIONS)
def nearest(src, dst_h, dst_w):
    """libvmaf's nearest-neighbour scaler: src[(int)(y * ry)][(int)(x * rx)]."""
    src_h, src_w = src.shape
    out = np.empty((dst_h, dst_w), np.float32)
    rx = np.float32(np.float32(src_w) / np.float32(dst_w))
    ry = np.float32(np.float32(src_h) / np.float32(dst_h))
    for y in range(dst_h):
        sy = int(np.float32(y) * ry)
        for x in range(dst_w):
            out[y, x] = src[sy, int(np.float32(x) * rx)]
    return out


@njit(**STRICT)
def blur_decimate(src, scale, offset, taps, oh, ow):
    """Separable blur (vertical then horizontal, reflect borders) of float32(src) * scale -
    offset, sampled at (16i, 16j): only the rows the samples need are read.

    Each column's vertical sum adds the taps in order from 0 in float32, as libvmaf's loop
    does; the column loop is innermost, so it vectorises without changing any rounding.
    ``scale`` is a power of two (1 / 2^(bits - 8)): the product equals libvmaf's division.
    """
    h, w = src.shape
    n = taps.size
    half = n // 2
    sc = np.float32(scale)
    off = np.float32(offset)
    out = np.empty((oh, ow), np.float32)
    row = np.empty(w, np.float32)
    for i in range(oh):
        r = 16 * i
        row[:] = 0.0
        for k in range(n):
            t = taps[k]
            s = src[reflect101(r - half + k, h)]
            for c in range(w):
                row[c] = np.float32(row[c] + np.float32(t * np.float32(np.float32(s[c]) * sc - off)))
        for j in range(ow):
            cc = 16 * j
            acc = np.float32(0.0)
            for k in range(n):
                acc = np.float32(acc + np.float32(taps[k] * row[reflect101(cc - half + k, w)]))
            out[i, j] = acc
    return out


@njit(**STRICT)
def remove_local_mean(d, taps):
    """d - blur(d) with the 3-tap Gaussian (vertical then horizontal, reflect borders)."""
    h, w = d.shape
    n = taps.size
    half = n // 2
    tmp = np.empty((h, w), np.float32)
    for i in range(h):
        for j in range(w):
            acc = np.float32(0.0)
            for k in range(n):
                acc = np.float32(acc + np.float32(taps[k] * d[reflect101(i - half + k, h), j]))
            tmp[i, j] = acc
    out = np.empty((h, w), np.float32)
    for i in range(h):
        for j in range(w):
            acc = np.float32(0.0)
            for k in range(n):
                acc = np.float32(acc + np.float32(taps[k] * tmp[i, reflect101(j - half + k, w)]))
            out[i, j] = np.float32(d[i, j] - acc)
    return out


@njit(**KERNEL_OPTIONS)
def centred_shifts(d):
    """The 25 shifted sub-images of the 5x5 blocks' samples (row 5r + c: the plane's
    [r:r + th - 4, c:c + tw - 4] flattened), each minus its float32 mean, in float64."""
    h, w = d.shape
    sh = (h // BLOCK) * BLOCK - BLOCK + 1
    sw = (w // BLOCK) * BLOCK - BLOCK + 1
    out = np.empty((BLOCK * BLOCK, sh * sw))
    count = np.float32(sw * sh)
    for r in range(BLOCK):
        for c in range(BLOCK):
            acc = np.float32(0.0)
            for i in range(sh):
                for j in range(sw):
                    acc = np.float32(acc + d[r + i, c + j])
            mean = np.float64(np.float32(acc / count))
            row = out[r * BLOCK + c]
            for i in range(sh):
                for j in range(sw):
                    row[i * sw + j] = np.float64(d[r + i, c + j]) - mean
    return out


def covariance(d: np.ndarray) -> np.ndarray:
    """libvmaf's 25x25 covariance of the 5x5 shifted sub-images (float32 means, float64
    sums, rounded to float32)."""
    c = centred_shifts(d)
    return ((c @ c.T) / c.shape[1]).astype(np.float32)


def block_samples(d: np.ndarray) -> np.ndarray:
    """Y (25, n_blocks): row 5r + c holds sample (r, c) of every 5x5 block, blocks row-major."""
    h, w = d.shape
    th, tw = (h // BLOCK) * BLOCK, (w // BLOCK) * BLOCK
    blocks = d[:th, :tw].reshape(th // BLOCK, BLOCK, tw // BLOCK, BLOCK)
    return np.ascontiguousarray(blocks.transpose(1, 3, 0, 2).reshape(BLOCK * BLOCK, -1))


@dataclass
class SideParams:
    """est_params of one picture: per-block entropies and variance multipliers (float32)."""

    entropy: np.ndarray
    variance: np.ndarray
    singular: bool


def est_params(planes: list[np.ndarray], sigma_nn: float) -> list[SideParams]:
    """Entropy and variance multiplier of every 5x5 block of each mean-removed plane (all
    of one shape: the chroma planes of both pictures). The small linear-algebra calls run
    once on the stack of sides (numpy loops the same LAPACK routine over it)."""
    k = np.stack([covariance(d) for d in planes]).astype(np.float64)
    y = np.stack([block_samples(d) for d in planes])
    eig = np.linalg.eigvalsh(k)
    r = np.linalg.qr(k, mode="r")
    singular = (eig < EIGEN_EPS).any(axis=1) | (np.abs(np.diagonal(r, axis1=1, axis2=2)) < EIGEN_EPS).any(axis=1)
    x = np.zeros(y.shape, np.float32)
    if not singular.all():
        ok = ~singular
        x[ok] = np.linalg.solve(k[ok], y[ok].astype(np.float64)).astype(np.float32)
    params = []
    for side in range(len(planes)):
        s = row_sum_f32((x[side] * y[side]) / np.float32(BLOCK * BLOCK))
        lam = np.maximum(eig[side].astype(np.float32), np.float32(0.0))[:, None]
        terms = np.log2((lam * s + np.float32(sigma_nn)).astype(np.float64)) + LOG2_2PIE
        params.append(SideParams(row_sum_f32_via_f64(terms), s, bool(singular[side])))
    return params


@njit(cache=True, nogil=True)
def row_sum_f32(z):
    """Sum of the rows of float32 ``z``, one row after the other in float32 (strict IEEE:
    no fast-math, so the order and roundings are those of the loop)."""
    out = z[0].copy()
    for i in range(1, z.shape[0]):
        for j in range(z.shape[1]):
            out[j] = out[j] + z[i, j]
    return out


@njit(cache=True, nogil=True)
def row_sum_f32_via_f64(t):
    """Sum of the rows of float64 ``t`` into a float32 total rounded after every row
    (total = float32(float64(total) + row)), in row order, strict IEEE."""
    out = np.zeros(t.shape[1], np.float32)
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            out[j] = np.float32(np.float64(out[j]) + t[i, j])
    return out


def block_scores(ref: SideParams, dis: SideParams, opts: SpeedOptions) -> np.ndarray:
    """Per-block |t_ref - t_dis| (0 where both entropies are below the noise floor), float32."""
    sigma = np.float32(opts.sigma_nn)
    base = np.float32(BLOCK * BLOCK * (math.log2(float(np.float32(np.float32(1.0 + opts.nn_floor)
                                                                  * sigma))) + LOG2_2PIE))
    sr, sd = ref.variance.astype(np.float64), dis.variance.astype(np.float64)
    w_ref, w_dis = _weighted_variances(sr, sd, opts.weight_var_mode)
    t_ref = (ref.entropy.astype(np.float64) * np.log2(1.0 + w_ref)).astype(np.float32)
    t_dis = (dis.entropy.astype(np.float64) * np.log2(1.0 + w_dis)).astype(np.float32)
    visible = ~((ref.entropy < base) & (dis.entropy < base))
    return np.where(visible, np.abs(t_ref - t_dis), np.float32(0.0)).astype(np.float32)


def _weighted_variances(sr: np.ndarray, sd: np.ndarray, mode: int) -> tuple[np.ndarray, np.ndarray]:
    """The variance multipliers weighting each side's entropy (speed_weight_var_mode 0-6)."""
    if mode == 0:
        return sr, sd
    if mode == 1:
        return sr, sr
    if mode == 2:
        return sd, sd
    if mode == 3:
        return (sr + sd) / 2, (sr + sd) / 2
    if mode == 4:
        return sr, (sr + sd) / 2
    return sr, (0.75 * sr + 0.25 * sd if mode == 5 else 0.25 * sr + 0.75 * sd)


def prepared(plane: np.ndarray, bit_depth: int, opts: SpeedOptions) -> np.ndarray:
    """The mean-removed, 16x decimated float32 plane SpEED models."""
    h, w = plane.shape
    oh, ow = plane_dims(h, w, opts.prescale)
    sh, sw = scaled_size(h, opts.prescale), scaled_size(w, opts.prescale)
    divisor = float(1 << (bit_depth - 8))
    plane = np.ascontiguousarray(plane)
    if (sh, sw) == (h, w):  # the blur converts the rows it reads
        d = blur_decimate(plane, 1.0 / divisor, 128.0, ANTIALIAS, oh, ow)
    else:
        f = np.empty((h, w), np.float32)
        to_float(plane, divisor, f)
        f = bilinear(f, sh, sw) if opts.prescale_method == "bilinear" else nearest(f, sh, sw)
        d = blur_decimate(f, 1.0, 0.0, ANTIALIAS, oh, ow)
    return remove_local_mean(d, LOCAL_MEAN)


def plane_scores(ref_planes: tuple, dis_planes: tuple, bit_depth: int,
                 opts: SpeedOptions) -> list[tuple[float, bool, np.ndarray]]:
    """(score, flagged, per-block scores) of each chroma plane pair (U, V)."""
    n = len(ref_planes)
    sides = est_params([prepared(p, bit_depth, opts) for p in (*ref_planes, *dis_planes)], opts.sigma_nn)
    scores = []
    for pr, pd in zip(sides[:n], sides[n:]):
        blocks = block_scores(pr, pd, opts)
        if pr.singular != pd.singular:
            scores.append((0.0, True, np.zeros_like(blocks)))
            continue
        total = row_sum_f32(blocks[:, None])[0]  # in block order, float32 as libvmaf adds them
        scores.append((float(np.float32(total / np.float32(blocks.size))), pr.singular, blocks))
    return scores


def speed_chroma(ref_u, ref_v, dis_u, dis_v, bit_depth: int,
                 opts: SpeedOptions) -> dict[str, float]:
    """speed_chroma_u, _v and _uv of one frame pair (chroma planes in native depth)."""
    (u, bad_u, _), (v, bad_v, _) = plane_scores((ref_u, ref_v), (dis_u, dis_v), bit_depth, opts)
    if bad_u and not bad_v:
        uv = v
    elif bad_v and not bad_u:
        uv = u
    else:
        uv = float(np.float32((np.float32(u) + np.float32(v)) / 2.0))
    m = opts.max_val
    return {"speed_chroma_u": min(u, m), "speed_chroma_v": min(v, m), "speed_chroma_uv": min(uv, m)}
