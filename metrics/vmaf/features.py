"""The elementary VMAF features of one frame pair: VIF, ADM and motion from native-depth luma."""
from __future__ import annotations

import numpy as np

from vqinspect.metrics.registry import MetricError
from vqinspect.metrics.vmaf import adm, motion, vif
from vqinspect.metrics.vmaf.prepare import Workspace, to_float

MIN_SIZE = 33
"""Smallest width and height: libvmaf's integer ADM reads outside the band below this."""
BIT_DEPTHS = (8, 10, 12, 16)


def check_planes(ref: np.ndarray, dist: np.ndarray, bit_depth: int,
                 prev: np.ndarray | None = None) -> None:
    """Raise MetricError unless the luma planes can be compared as VMAF defines it."""
    if bit_depth not in BIT_DEPTHS:
        raise MetricError(f"VMAF: bit depth {bit_depth} is not supported (8, 10, 12 or 16)")
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    for what, plane in (("reference", ref), ("distorted", dist), ("previous reference", prev)):
        if plane is None:
            continue
        if plane.ndim != 2 or plane.dtype != dtype:
            raise MetricError(f"VMAF: the {what} luma must be a 2-D {np.dtype(dtype).name} "
                              f"array at {bit_depth} bits (got {plane.ndim}-D {plane.dtype})")
        if plane.shape != ref.shape:
            raise MetricError(f"VMAF: the {what} luma is {plane.shape[1]}x{plane.shape[0]}, "
                              f"the reference {ref.shape[1]}x{ref.shape[0]}")
    h, w = ref.shape
    if h < MIN_SIZE or w < MIN_SIZE:
        raise MetricError(f"VMAF needs at least {MIN_SIZE}x{MIN_SIZE} pixels (got {w}x{h})")


def kernel_plane(plane: np.ndarray) -> np.ndarray:
    """``plane`` as a C-contiguous, writable array (decoded planes may be strided views).

    One layout for every caller keeps the kernels vectorised and compiled once.
    """
    if plane.flags.c_contiguous and plane.flags.writeable:
        return plane
    return np.array(plane, order="C")


def as_float(plane: np.ndarray, bit_depth: int, out: np.ndarray) -> np.ndarray:
    """``plane`` on the 8-bit scale minus 128 (float32), written into ``out``."""
    to_float(kernel_plane(plane), 2.0 ** (8 - bit_depth), out)
    return out


def frame_features(ref: np.ndarray, dist: np.ndarray, prev: np.ndarray | None, bit_depth: int,
                   vif_gain: float, adm_gain: float, ws: Workspace) -> dict[str, float]:
    """VIF scales, ADM (adm2 and its scales) and motion (0 without a previous frame)."""
    ref, dist = kernel_plane(ref), kernel_plane(dist)
    h, w = ref.shape
    x = as_float(ref, bit_depth, ws.array("x", (h, w)))
    y = as_float(dist, bit_depth, ws.array("y", (h, w)))
    shapes = [shape for shape in vif.scale_shapes(h, w) for _ in range(2)]
    work_q = tuple(ws.array(f"vif_q{k}", shape, np.uint16) for k, shape in enumerate(shapes))
    work_f = tuple(ws.array(f"vif_f{k}", shape) for k, shape in enumerate(shapes))
    vif_num, vif_den = vif.vif_sums(ref, dist, bit_depth, x, y, vif_gain, work_q, work_f)
    bands = adm.band_shapes(h, w)
    ref_bands = tuple(ws.array(f"adm_ref{s}", (4,) + b, np.int32) for s, b in enumerate(bands))
    dis_bands = tuple(ws.array(f"adm_dis{s}", (4,) + b, np.int32) for s, b in enumerate(bands))
    adm_num, adm_den = adm.adm_sums(ref, dist, bit_depth, adm_gain, ref_bands, dis_bands)
    out = {f"vif_scale{s}": float(vif_num[s] / vif_den[s]) for s in range(4)}
    out["adm2"] = adm2_score(adm_num, adm_den, h, w)
    out.update({f"adm_scale{s}": float(adm_num[s] / adm_den[s]) for s in range(4)})
    out["motion"] = motion_score(prev, ref, bit_depth)
    return out


def adm2_score(num: np.ndarray, den: np.ndarray, h: int, w: int) -> float:
    """adm2 from the per-scale sums; tiny sums count as 0 and a zero den gives 1 (libvmaf)."""
    limit = 1e-10 * (w * h) / (1920.0 * 1080.0)
    n = float(num.sum())
    d = float(den.sum())
    n = 0.0 if n < limit else n
    d = 0.0 if d < limit else d
    return 1.0 if d == 0.0 else n / d


def motion_score(prev: np.ndarray | None, cur: np.ndarray, bit_depth: int) -> float:
    """Mean absolute blurred difference to the previous reference frame (0 without one)."""
    if prev is None:
        return 0.0
    h, w = cur.shape
    sad = motion.motion_sad(kernel_plane(prev), kernel_plane(cur), bit_depth)
    return motion.motion_from_sad(sad, h, w)
