"""The metric registry: every metric's name, output keys, needs and maps.

A metric is computed one frame pair at a time from planar numpy arrays in their
native depth. Metrics that look at neighbouring frames say so (``needs_previous``,
``lookahead``) and the engine supplies the previous reference frame and calls
``finalize`` once the next frame's raw values are known.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

Planes = tuple  # (Y,) or (Y, U, V): 2-D uint8 or uint16 arrays in native depth


@dataclass(frozen=True)
class FrameInput:
    """One aligned frame pair as the kernels see it."""

    ref: Planes
    dist: Planes
    bit_depth: int
    index: int = 0
    prev_ref: Planes | None = None  # reference frame index-1, when the metric needs it


RawScores = dict  # key -> float, as returned by Metric.score
FinalizeFn = Callable[[RawScores, "RawScores | None"], RawScores]


@dataclass(frozen=True)
class Metric:
    """A named metric bound to its options (e.g. a VMAF model).

    ``score(frame) -> {key: value}`` gives the raw per-frame values. When
    ``lookahead`` is 1, ``finalize(raw_i, raw_next_or_None)`` turns raw values
    into the final ``keys`` once frame i+1 has been scored (None at the clip end).
    ``compute_map(frame, map_name)`` returns a 2-D float32 map (any resolution).
    """

    name: str
    keys: tuple[str, ...]
    score: Callable[[FrameInput], RawScores]
    luma_only: bool = True
    needs_previous: bool = False
    lookahead: int = 0
    finalize: FinalizeFn | None = None
    maps: tuple[str, ...] = ()
    compute_map: Callable[[FrameInput, str], np.ndarray] | None = None
    description: str = ""
    options: Mapping[str, object] = field(default_factory=dict)
    min_size: tuple[int, int] = (1, 1)  # smallest luma (width, height) the metric accepts

    def check_size(self, width: int, height: int) -> None:
        """MetricError, before any work is done, if frames of this size cannot be scored."""
        mw, mh = self.min_size
        if width < mw or height < mh:
            raise MetricError(f"{self.name} needs frames of at least {mw}x{mh} luma samples; "
                              f"this clip is {width}x{height}")


class MetricError(ValueError):
    """A metric cannot be computed on this input (e.g. clip too small)."""


_FACTORIES: dict[str, Callable[..., Metric]] = {}


def register(name: str) -> Callable[[Callable[..., Metric]], Callable[..., Metric]]:
    """Decorator registering a factory ``(**options) -> Metric`` under ``name``."""

    def wrap(factory: Callable[..., Metric]) -> Callable[..., Metric]:
        _FACTORIES[name] = factory
        return factory

    return wrap


def known_names() -> list[str]:
    """Names of the built-in metrics without importing them (numba alone takes 0.2 s)."""
    return list(_BUILTIN_MODULES)


def available() -> list[str]:
    """Names of every registered metric, in registration order."""
    _load_builtin()
    return list(_FACTORIES)


def get_metric(name: str, **options) -> Metric:
    """Build the metric ``name`` with ``options``; KeyError names the known ones."""
    _load_builtin()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r} (known: {', '.join(_FACTORIES)})") from None
    return factory(**options)


def _load_builtin() -> None:
    """Import the built-in metric modules so that they register themselves."""
    import importlib

    for module in _BUILTIN_MODULES.values():
        importlib.import_module(module)


_BUILTIN_MODULES = {"psnr": "metrics.psnr", "ssim": "metrics.ssim", "ms_ssim": "metrics.ms_ssim",
                    "vmaf": "metrics.vmaf"}
"""Metric name -> the module that registers it."""
