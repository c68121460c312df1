"""The frame a metric's map is computed from, outside the scoring engine (the window, reports)."""
from __future__ import annotations

from typing import Callable, Mapping

from vqinspect.metrics.registry import FrameInput, Metric, Planes


def map_frame_input(metric: Metric, frame: int, ref: Planes, dist: Planes, bit_depth: int,
                    reference_planes: Callable[[int], Planes], colour: Mapping | None = None) -> FrameInput:
    """``FrameInput`` of reference ``frame`` with the earlier reference frames ``metric`` asks for
    (``needs_previous`` N: frames i-1 .. i-N, those before the clip start left out), as the engine
    gives them: the HFR VMAF models compare with frame i-2, so their maps need it too.
    ``reference_planes(k)``: the reference's planes of frame k, as the metrics see them."""
    history = [reference_planes(frame - k) for k in range(1, int(metric.needs_previous) + 1) if frame - k >= 0]
    return FrameInput(ref, dist, bit_depth, frame, history[0] if history else None,
                      earlier_refs=tuple(history[1:]), colour=colour)
