"""First-use compilation of the numba kernels: detect it, do it up front, say how long it took."""
from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from metrics.registry import FrameInput, Metric, MetricError

WARM_SIZE = (256, 320)  # big enough for five MS-SSIM scales


def kernels_cached(metrics: Iterable[Metric]) -> bool:
    """Whether numba's on-disk cache seems to hold these metrics' kernels already."""
    for m in metrics:
        module = importlib.import_module(m.score.__module__)
        file = Path(getattr(module, "__file__", "") or "")
        if not any((file.parent / "__pycache__").glob(f"{file.stem}.*.nbi")):
            return False
    return True


def warm_up(metrics: Iterable[Metric], bit_depth: int = 8, chroma: bool = True) -> float:
    """Run every metric once on a small synthetic pair of this depth; returns seconds spent.

    uint8 and uint16 inputs compile separately, so warm the depth that will be scored.
    """
    h, w = WARM_SIZE
    dtype = np.uint8 if bit_depth <= 8 else np.uint16
    rng = np.random.default_rng(0)
    peak = (1 << bit_depth) - 1

    def planes():
        sizes = [(h, w), (h // 2, w // 2), (h // 2, w // 2)] if chroma else [(h, w)]
        return tuple(rng.integers(0, peak + 1, s).astype(dtype) for s in sizes)

    ref, dist = planes(), planes()
    frame = FrameInput(ref, dist, bit_depth, 1, ref)
    t0 = time.perf_counter()
    for m in metrics:
        try:
            raw = m.score(frame)
            if m.finalize is not None:
                m.finalize(raw, None)
        except MetricError:
            pass
    return time.perf_counter() - t0
