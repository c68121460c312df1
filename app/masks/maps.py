"""The maps of one frame of a mask clip, computed on request (the mask mode's views).

Each map is H x W float32 on frame t's grid. Pair maps compare frame t with t-1, as the
per-frame keys do; the windowed flip rate looks at the ``MaskOptions.window`` frames
ending at t.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.masks.scorer import MaskInputs, MaskOptions
from vqinspect.metrics import temporal as tm

CACHE_BYTES = 96 * 2**20     # decoded mask planes kept per input (stepping and windows reuse them)


@dataclass(frozen=True)
class FrameMaps:
    """What the views draw for frame t.

    ``residual``/``gt_residual``: |m_t - warp(m_{t-1})| (label maps: 1 where the labels
    differ; mattes: |alpha difference|), NaN where occluded; None on frame 0 or without
    flow. ``error``: |prediction - ground truth| of frame t. ``flips``: 1 where the
    prediction changed label since t-1 and the ground truth did not (any change without
    ground truth). ``window_flips``: the share of the pairs of the window ending at t in
    which that happened, per pixel.
    """

    index: int
    pred: np.ndarray                      # label map of frame t
    gt: np.ndarray | None
    residual: np.ndarray | None = None
    gt_residual: np.ndarray | None = None
    occluded: np.ndarray | None = None
    error: np.ndarray | None = None
    flips: np.ndarray | None = None
    window_flips: np.ndarray | None = None


class FrameMapper:
    """Computes ``FrameMaps`` for any frame on request; owns its readers, so one per thread."""

    def __init__(self, inputs: MaskInputs, options: MaskOptions = MaskOptions()):
        self.inputs, self.options = inputs, options
        self._pred = inputs.pred.reader(FrameCache(CACHE_BYTES))
        self._gt = inputs.gt.reader(FrameCache(CACHE_BYTES)) if inputs.gt is not None else None
        self._source = inputs.source.reader() if inputs.source is not None else None
        self._estimator = tm.FlowEstimator(options.flow) if options.flow and self._source is not None else None

    def close(self) -> None:
        for r in (self._pred, self._gt, self._source):
            if r is not None:
                r.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def maps(self, index: int) -> FrameMaps:
        pf = self.inputs.pred.format
        gf = self.inputs.gt.format if self._gt is not None else None
        pred_plane = self._pred.frame(index)
        gt_plane = self._gt.frame(index) if self._gt is not None else None
        pred = pf.to_labels(pred_plane)
        gt = gf.to_labels(gt_plane) if gt_plane is not None else None
        error = None
        if gt is not None:
            if self.inputs.matting:
                error = np.abs(_alpha_of(pf, pred_plane) - _alpha_of(gf, gt_plane))
            else:
                error = (pred != gt).astype(np.float32)
        if index == 0:
            return FrameMaps(index, pred, gt, error=error)
        flips, window_flips = self._flips(index)
        residual = gt_residual = occluded = None
        if self._estimator is not None:
            depth = self.inputs.source.info.bit_depth
            luma = tm.luma8(self._source.frame(index)[0], depth)
            prev_luma = tm.luma8(self._source.frame(index - 1)[0], depth)
            flow = tm.pair_flow(prev_luma, luma, self._estimator)
            occluded = flow.occluded
            residual = _residual(pf, pred_plane, self._pred.frame(index - 1), flow)
            if gt is not None:
                gt_residual = _residual(gf, gt_plane, self._gt.frame(index - 1), flow)
        return FrameMaps(index, pred, gt, residual, gt_residual, occluded, error, flips, window_flips)

    def _flips(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Spurious flips of the pair (t-1, t), and their rate over the window ending at t."""
        start = max(1, index - self.options.window + 1)
        count = None
        changed = None
        prev = self._labels(start - 1)
        for i in range(start, index + 1):
            cur = self._labels(i)
            changed = cur[0] != prev[0]
            if cur[1] is not None:
                changed &= cur[1] == prev[1]
            count = changed.astype(np.int32) if count is None else count + changed
            prev = cur
        return changed.astype(np.float32), (count / np.float32(index - start + 1)).astype(np.float32)

    def _labels(self, index: int) -> tuple[np.ndarray, np.ndarray | None]:
        pred = self.inputs.pred.format.to_labels(self._pred.frame(index))
        gt = self.inputs.gt.format.to_labels(self._gt.frame(index)) if self._gt is not None else None
        return pred, gt


def _alpha_of(fmt, plane: np.ndarray) -> np.ndarray:
    return fmt.to_alpha(plane) if fmt.kind != "labels" else (plane != 0).astype(np.float32)


def _residual(fmt, plane: np.ndarray, prev_plane: np.ndarray, flow: tm.PairFlow) -> np.ndarray:
    """|m_t - warp(m_{t-1})|, NaN where occluded: alpha for mattes, label changes otherwise."""
    if fmt.kind == "alpha":
        cur, prev = fmt.to_alpha(plane), fmt.to_alpha(prev_plane)
        return tm.warped_residual(cur, tm.warp(prev, flow.backward, nearest=False), flow.occluded)
    cur, prev = fmt.to_labels(plane), fmt.to_labels(prev_plane)
    return tm.warped_residual(cur, tm.warp(prev, flow.backward, nearest=True), flow.occluded)
