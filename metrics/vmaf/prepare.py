"""Options, per-thread work buffers and the border rule shared by the VMAF kernels."""
from __future__ import annotations

import threading

import numpy as np
from numba import njit

FAST_MATH = {"nnan", "ninf", "nsz", "contract", "reassoc"}
"""LLVM fast-math flags of the kernels: reassociation (vectorised sums) and FMA
contraction, but no approximate reciprocals ("arcp") or functions ("afn"): with those,
vectorised float32 divisions are off by ~1e-5. (VIF, exact, uses none: see vif.py.)"""
KERNEL_OPTIONS = dict(cache=True, nogil=True, fastmath=FAST_MATH, error_model="numpy")
"""Options of every VMAF kernel: serial, GIL-free, cached on disk.

numba's disk cache is invalidated by changes to a kernel's own file only: after
editing these options, delete metrics/vmaf/__pycache__/*.nbi and *.nbc."""


class Workspace(threading.local):
    """Per-thread work arrays reused from frame to frame.

    Fresh multi-megabyte arrays cost page faults on every frame (about as much as a
    whole ADM pass at 1080p), so each thread keeps its buffers while the size stays.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, key: str, shape: tuple[int, ...], dtype=np.float32) -> np.ndarray:
        """The thread's array named ``key``, reallocated when the shape or dtype changes."""
        a = self._arrays.get(key)
        if a is None or a.shape != tuple(shape) or a.dtype != dtype:
            a = np.empty(shape, dtype=dtype)
            self._arrays[key] = a
        return a


@njit(cache=True, nogil=True)
def reflect101(i, n):
    """Index ``i`` mirrored into [0, n) without repeating the edge sample (-1 reads 1, n reads
    n - 2): how libvmaf pads its VIF, motion and SpEED filters."""
    if i < 0:
        return -i
    if i >= n:
        return 2 * (n - 1) - i
    return i
