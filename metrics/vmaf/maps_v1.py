"""Maps of the models with libvmaf's integer ADM, SpEED chroma or CAMBI (the v1.0.16 models).

- ``adm3_loss``: per pixel of ADM level 0 (half resolution), the model's weighted loss:
  dlm_weight * (|csf o|^3 - DLM x^3) + (1 - dlm_weight) * AIM x^3, summed over orientations
  (the terms whose cube-rooted sums make adm2 and aim).
- ``speed_chroma``: SpEED's per-block |t_ref - t_dis| of U and V, averaged (one value per
  5x5 block of the 16x decimated chroma plane).
- ``vmaf_cambi``: the CAMBI banding map with the model's options (``metrics/cambi.py``).
- ``vmaf_tiles``: the model per tile: ADM features pooled per tile from the per-pixel terms of
  the four levels, motion per tile; CAMBI and SpEED chroma (frame-wide statistics) at their
  frame values.
"""
from __future__ import annotations

import numpy as np

from vqinspect.metrics.vmaf import motion
from vqinspect.metrics.vmaf.adm3 import adm3_scores
from vqinspect.metrics.vmaf.features import kernel_plane
from vqinspect.metrics.vmaf.maps import TILE_MAP, _pool, tile_size

ADM3_MAP = "adm3_loss"
SPEED_MAP = "speed_chroma"
CAMBI_MAP = "vmaf_cambi"


def maps_of(features) -> tuple[str, ...]:
    """The maps a model with these features offers."""
    out = [TILE_MAP]
    if features.integer_adm:
        out.append(ADM3_MAP)
    if features.speed is not None:
        out.append(SPEED_MAP)
    if features.cambi is not None:
        out.append(CAMBI_MAP)
    return tuple(out)


def speed_map(ref, dist, bit_depth: int, opts) -> np.ndarray:
    """Mean of the U and V per-block SpEED differences (float32, block grid)."""
    from vqinspect.metrics.vmaf.speed_chroma import plane_dims, plane_scores

    oh, ow = plane_dims(*ref[1].shape, opts.prescale)
    grid = (oh // 5, ow // 5)
    blocks = [s[2].reshape(grid) for s in plane_scores(ref[1:3], dist[1:3], bit_depth, opts)]
    return ((blocks[0] + blocks[1]) / 2).astype(np.float32)


def adm3_loss(level_planes, dlm_weight: float) -> np.ndarray:
    """The weighted ADM3 loss of one level's per-pixel terms (float32)."""
    loss = dlm_weight * np.maximum(level_planes.den - level_planes.dlm, 0.0) \
        + (1.0 - dlm_weight) * level_planes.aim
    return loss.sum(axis=0).astype(np.float32)


def tile_adm(levels, opts, height: int, width: int, tile: int) -> dict[str, np.ndarray]:
    """adm2, aim and adm3 per tile from the per-pixel terms of the four levels."""
    grid = (-(-height // tile), -(-width // tile))
    num = den = aim = 0.0
    for s, lp in enumerate(levels):
        factor = 2 ** (s + 1)
        area = _pool(np.ones(lp.den.shape[1:]), factor, tile, grid)
        noise = 3 * np.cbrt(area * opts.noise_weight)
        den = den + sum(np.cbrt(_pool(lp.den[b], factor, tile, grid)) for b in range(3)) + noise
        num = num + sum(np.cbrt(_pool(lp.dlm[b], factor, tile, grid)) for b in range(3)) + noise
        aim = aim + sum(np.cbrt(_pool(lp.aim[b], factor, tile, grid)) for b in range(3))
    adm2, aim = num / den, aim / den
    adm3 = np.maximum(opts.dlm_weight * adm2 + (1 - opts.dlm_weight) * (1 - aim), opts.min_val)
    return {"adm2": adm2, "aim": aim, "adm3": adm3}


def compute(ref, dist, prev, bit_depth: int, model, name: str, features) -> np.ndarray:
    """The map ``name`` of a frame pair (planes tuples; ``prev`` the previous reference luma)."""
    y_ref, y_dist = kernel_plane(ref[0]), kernel_plane(dist[0])
    if name == ADM3_MAP and features.integer_adm:
        levels = adm3_scores(y_ref, y_dist, bit_depth, features.adm, planes=True).planes
        return adm3_loss(levels[0], features.adm.dlm_weight)
    if name == SPEED_MAP and features.speed is not None:
        return speed_map(ref, dist, bit_depth, features.speed)
    if name == CAMBI_MAP and features.cambi is not None:
        return features.cambi.compute_map(y_dist, bit_depth, "banding")
    if name != TILE_MAP:
        raise KeyError(f"unknown VMAF map {name!r} (known: {', '.join(maps_of(features))})")
    h, w = y_ref.shape
    tile = tile_size(h)
    frame = features.compute(ref, dist, prev, bit_depth, _Scratch())
    feats: dict[str, np.ndarray] = {}
    grid = (-(-h // tile), -(-w // tile))
    if features.integer_adm:
        levels = adm3_scores(y_ref, y_dist, bit_depth, features.adm, planes=True).planes
        feats.update(tile_adm(levels, features.adm, h, w, tile))
    moving = np.zeros((h, w), np.float32) if prev is None else \
        motion.motion_map(kernel_plane(prev), y_ref, bit_depth)
    per_tile = _pool(moving, 1, tile, grid) / _pool(np.ones((h, w)), 1, tile, grid)
    for key in ("motion", "motion2", "motion3"):
        feats[key] = np.minimum(per_tile, features.motion.max_val)
    values = np.stack([feats[k].ravel() if k in feats else np.full(grid[0] * grid[1], frame[k])
                       for k in model.features], axis=1)
    return model.predict(values).reshape(grid).astype(np.float32)


class _Scratch:
    """A throw-away workspace for one map computation."""

    def array(self, key, shape, dtype=np.float32):
        return np.empty(shape, dtype=dtype)
