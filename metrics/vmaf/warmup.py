"""Compile (or load from numba's disk cache) every VMAF kernel on a tiny input."""
from __future__ import annotations

import time

import numpy as np

from vqinspect.metrics.vmaf import maps
from vqinspect.metrics.vmaf.features import MIN_SIZE, frame_features
from vqinspect.metrics.vmaf.model import load_model
from vqinspect.metrics.vmaf.prepare import Workspace


def warm_up() -> float:
    """Run every kernel once, for 8-bit (uint8) and 10-bit (uint16) input; returns seconds.

    The per-frame features and the tile map between them call every kernel (the tile
    map needs all per-pixel planes). With a cold cache this compiles for ~20 s; with
    numba's disk cache filled it loads in well under a second.
    """
    start = time.perf_counter()
    model = load_model()
    rng = np.random.default_rng(0)
    size = (MIN_SIZE + 7, MIN_SIZE + 14)
    for bit_depth, dtype in ((8, np.uint8), (10, np.uint16)):
        ref = rng.integers(0, 2 ** bit_depth, size).astype(dtype)
        dist = rng.integers(0, 2 ** bit_depth, size).astype(dtype)
        frame_features(ref, dist, dist, bit_depth, 100.0, 100.0, Workspace())
        maps.compute(ref, dist, dist, bit_depth, model, maps.TILE_MAP)
    return time.perf_counter() - start
