"""First-use compilation of the numba kernels: detect it, do it up front, say how long it took."""
from __future__ import annotations

import threading
import time
from typing import Callable, Iterable

import numpy as np

from vqinspect.metrics.registry import FrameInput, Metric, MetricError

WARM_SIZE = (256, 320)  # big enough for five MS-SSIM scales


class KernelWarmUp:
    """Load (or, on a cold cache, compile) the kernels in a background thread.

    Started before the files are opened, it overlaps numba's work with probing, indexing
    and the first decodes; the scoring threads simply wait on numba's lock if they need a
    kernel first. Once scoring starts, ``announce_if_slow`` says why nothing moves when the
    warm-up is a first-run compile.
    """

    def __init__(self, metrics: Iterable[Metric], bit_depth: int, chroma: bool):
        self.bit_depth, self.chroma = bit_depth, chroma
        self.announced = False
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._t0 = time.perf_counter()
        self.seconds = 0.0
        metrics = list(metrics)
        threading.Thread(target=self._work, args=(metrics,), name="vq-jit-warmup", daemon=True).start()

    def announce_if_slow(self, announce: Callable[[str], None], patience: float = 1.0) -> None:
        """Call ``announce`` once if the warm-up is still running ``patience`` seconds from now."""
        def notice():
            if not self._done.is_set():
                self.announced = True
                announce("compiling metric kernels on first use (once; cached for later runs)...")

        timer = threading.Timer(patience, notice)
        timer.daemon = True
        timer.start()

    def matches(self, bit_depth: int, chroma: bool) -> bool:
        return (bit_depth <= 8) == (self.bit_depth <= 8) and chroma == self.chroma

    def wait(self) -> float:
        """Seconds the warm-up took; re-raises what went wrong in it."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self.seconds

    def _work(self, metrics: list[Metric]) -> None:
        try:
            warm_up(metrics, self.bit_depth, self.chroma)
        except BaseException as exc:  # re-raised by wait() in the caller's thread
            self._error = exc
        finally:
            self.seconds = time.perf_counter() - self._t0
            self._done.set()


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
