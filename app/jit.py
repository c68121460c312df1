"""First-use compilation of the numba kernels: detect it, do it up front, say how long it took."""
from __future__ import annotations

import threading
import time
from typing import Callable, Iterable

import numpy as np

from metrics.registry import FrameInput, Metric, MetricError

WARM_SIZE = (256, 320)  # big enough for five MS-SSIM scales


def warm_up_announced(metrics: Iterable[Metric], bit_depth: int, chroma: bool,
                      announce: Callable[[str], None], patience: float = 2.0) -> float:
    """``warm_up`` that calls ``announce`` if it takes longer than ``patience`` (a cold cache)."""
    done = threading.Event()
    t0 = time.perf_counter()
    result: list = []

    def work():
        try:
            result.append(warm_up(metrics, bit_depth, chroma))
        except BaseException as exc:  # re-raised in the caller's thread
            result.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="vq-jit-warmup", daemon=True).start()
    if not done.wait(patience):
        announce("compiling metric kernels on first use (once; cached for later runs)...")
        done.wait()
    if isinstance(result[0], BaseException):
        raise result[0]
    return time.perf_counter() - t0


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
