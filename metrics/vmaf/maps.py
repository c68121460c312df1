"""Per-pixel VIF and ADM loss maps and the per-tile VMAF map of one frame pair.

Maps cover the whole frame (ADM's 10 % border is not dropped) and come at the
resolution of their scale: VIF scale s at 1/2^s, ADM scale s at 1/2^(s+1), the tile map
one value per tile. They are computed on request, so they favour clarity over speed.
"""
from __future__ import annotations

import numpy as np

from vqinspect.metrics.vmaf import adm, motion, vif
from vqinspect.metrics.vmaf.features import kernel_plane
from vqinspect.metrics.vmaf.model import VmafModel

VIF_MAPS = tuple(f"vif_loss_scale{s}" for s in range(4))
ADM_MAPS = tuple(f"adm_loss_scale{s}" for s in range(4))
TILE_MAP = "vmaf_tiles"
MAPS = (TILE_MAP,) + VIF_MAPS + ADM_MAPS
TILE_AT_1080P = 64
"""Tile side in luma pixels at 1080 lines; it scales with the frame height."""


def vif_planes(ref: np.ndarray, dist: np.ndarray, bit_depth: int, gain: float,
               scales: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per-pixel (num, den) of the first ``scales`` VIF scales of native-depth planes."""
    shapes = [shape for shape in vif.scale_shapes(*ref.shape) for _ in range(2)]
    work_q = tuple(np.empty(shape, np.uint16) for shape in shapes)
    planes = []
    for s, (qx, qy) in enumerate(vif.scale_images(ref, dist, bit_depth, work_q)[:scales]):
        num = np.empty(qx.shape, np.float32)
        den = np.empty(qx.shape, np.float32)
        vif.vif_scale_maps(qx, qy, vif.TAPS[s], vif.TAPS_F[s], vif.scale_shifts(s, bit_depth), float(gain),
                           vif.LOG2_TABLE, num, den)
        planes.append((num, den))
    return planes


def adm_planes(ref: np.ndarray, dist: np.ndarray, bit_depth: int, gain: float,
               scales: int = 4) -> list[np.ndarray]:
    """Per-pixel cubed terms (6, h, w) of the first ``scales`` ADM scales.

    Terms: x^3 for h, v, d, then |csf o|^3 for h, v, d.
    """
    planes = []
    src_r, src_d = ref, dist
    for s, shape in enumerate(adm.band_shapes(*ref.shape)[:scales]):
        a = np.empty((2,) + shape, np.int32)
        terms = np.zeros((6,) + shape, np.float32)
        adm.scale_pass(src_r, src_d, s, bit_depth, gain, 0, shape[0], 0, shape[1], np.zeros(6), terms, a[0], a[1])
        planes.append(terms)
        src_r, src_d = a[0], a[1]
    return planes


def vif_loss(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Information lost per pixel (den - num, in bits; 0 where nothing is lost)."""
    return np.maximum(den - num, 0.0).astype(np.float32)


def adm_loss(terms: np.ndarray) -> np.ndarray:
    """Masked detail lost per pixel: sum over orientations of |csf o|^3 - x^3, at least 0."""
    return np.maximum(terms[3:].sum(axis=0) - terms[:3].sum(axis=0), 0.0).astype(np.float32)


def tile_size(height: int) -> int:
    """Tile side in luma pixels: 64 at 1080 lines, in proportion elsewhere (at least 16)."""
    return max(16, round(TILE_AT_1080P * height / 1080))


def _pool(plane: np.ndarray, factor: int, tile: int, grid: tuple[int, int]) -> np.ndarray:
    """Sums of ``plane`` (one sample per ``factor`` luma pixels) over each tile of ``grid``."""
    n_ty, n_tx = grid
    ty = np.minimum(((np.arange(plane.shape[0]) + 0.5) * factor // tile).astype(int), n_ty - 1)
    tx = np.minimum(((np.arange(plane.shape[1]) + 0.5) * factor // tile).astype(int), n_tx - 1)
    index = (ty[:, None] * n_tx + tx[None, :]).ravel()
    sums = np.bincount(index, weights=plane.ravel().astype(np.float64), minlength=n_ty * n_tx)
    return sums.reshape(grid)


def tile_features(vifp, admp, motion_plane: np.ndarray, height: int, width: int,
                  tile: int) -> dict[str, np.ndarray]:
    """Every feature pooled per tile: VIF and ADM sums over the tile, motion its mean."""
    grid = (-(-height // tile), -(-width // tile))
    feats: dict[str, np.ndarray] = {}
    for s, (num, den) in enumerate(vifp):
        # A partial last row or column of tiles can hold no sample of a coarse scale (libvmaf's
        # downscaling drops the frame's last few lines): such a tile takes the frame's value.
        tile_num, tile_den = _pool(num, 2 ** s, tile, grid), _pool(den, 2 ** s, tile, grid)
        whole = float(tile_num.sum()) / float(tile_den.sum()) if tile_den.sum() > 0 else 1.0
        feats[f"vif_scale{s}"] = np.divide(tile_num, tile_den, out=np.full(grid, whole), where=tile_den > 0)
    nums, dens = [], []
    for s, terms in enumerate(admp):
        factor = 2 ** (s + 1)
        area_term = 3 * np.cbrt(_pool(np.ones(terms.shape[1:]), factor, tile, grid)
                                * adm.NOISE_WEIGHT)
        num = sum(np.cbrt(_pool(terms[t], factor, tile, grid)) for t in range(3)) + area_term
        den = sum(np.cbrt(_pool(terms[t], factor, tile, grid)) for t in range(3, 6)) + area_term
        feats[f"adm_scale{s}"] = num / den
        nums.append(num)
        dens.append(den)
    feats["adm2"] = sum(nums) / sum(dens)
    pixels = _pool(np.ones(motion_plane.shape), 1, tile, grid)
    feats["motion"] = _pool(motion_plane, 1, tile, grid) / pixels
    feats["motion2"] = feats["motion"]
    return feats


def compute(ref: np.ndarray, dist: np.ndarray, prev: np.ndarray | None, bit_depth: int,
            model: VmafModel, name: str) -> np.ndarray:
    """The map ``name`` (one of ``MAPS``) of a frame pair as float32."""
    ref, dist = kernel_plane(ref), kernel_plane(dist)
    h, w = ref.shape
    if name in VIF_MAPS:
        s = VIF_MAPS.index(name)
        num, den = vif_planes(ref, dist, bit_depth, model.vif_gain_limit, s + 1)[s]
        return vif_loss(num, den)
    if name in ADM_MAPS:
        s = ADM_MAPS.index(name)
        return adm_loss(adm_planes(ref, dist, bit_depth, model.adm_gain_limit, s + 1)[s])
    if name != TILE_MAP:
        raise KeyError(f"unknown VMAF map {name!r} (known: {', '.join(MAPS)})")
    if prev is None:
        moving = np.zeros((h, w), np.float32)
    else:
        moving = motion.motion_map(kernel_plane(prev), ref, bit_depth)
    feats = tile_features(vif_planes(ref, dist, bit_depth, model.vif_gain_limit),
                          adm_planes(ref, dist, bit_depth, model.adm_gain_limit), moving, h, w,
                          tile_size(h))
    grid = feats["motion"].shape
    values = np.stack([feats[k].ravel() for k in model.features], axis=1)
    return model.predict(values).reshape(grid).astype(np.float32)
