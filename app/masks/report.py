"""What a mask report says: the run (inputs, clip and pooled statistics) and its least
stable frames with their pictures: the masks on the source, the warped residual (the
flips without flow) and the error against the ground truth.

Qt-free. Rows are ``vqinspect.app.report.model.WorstFrame`` and pictures ``FramePanels``, so the page
(``vqinspect.app.masks.report_html``) is drawn by the encode report's blocks.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import cv2
import numpy as np

from vqinspect.app.display.screen import color_spec, to_rgb
from vqinspect.app.shared.errors import InputError
from vqinspect.app.display.heatmap import DEFAULT_COLORMAP
from vqinspect.app.masks.maps import FrameMapper
from vqinspect.app.masks.run import MaskResult, instability, least_stable
from vqinspect.app.masks.scorer import MaskInputs, MaskOptions
from vqinspect.app.masks.display import compose, heatmap, short_name
from vqinspect.app.report.model import DEFAULT_WORST, WorstFrame, clip_fps, picture_row, worst_in_table
from vqinspect.app.report.images import ColorBar, Crop, FramePanels, Panel, encode_png
from vqinspect.app.scoring.results import ScoreTable
from vqinspect.metrics.registry import higher_is_worse

PANEL_WIDTH = 960      # wider frames are scaled down to this (DAVIS' 854x480 stays 1:1)


@dataclass
class MaskReport:
    """Everything the page shows; build it with ``build_mask_report``."""

    result: MaskResult
    base: str                          # what instability is measured by: tiou or iou_prev
    rows: list[WorstFrame]             # the least stable frames, least stable first
    instability: dict[int, float]      # of each row's frame
    title: str
    generated: str


def worst_frame(table: ScoreTable, key: str) -> int | None:
    """The frame with the worst value of ``key`` (None when it has none)."""
    worst = worst_in_table(table, key, 1, higher_is_worse(key))
    return worst[0][0] if worst else None


def build_mask_report(result: MaskResult, *, worst: int = DEFAULT_WORST,
                      render_frame: Callable[[int], FramePanels] | None = None,
                      title: str | None = None) -> MaskReport:
    """Pick the ``worst`` least stable frames (``vqinspect.app.masks.run.least_stable``) and render
    their pictures; a frame whose pictures fail keeps its row, with the reason."""
    t = result.table
    if t.count == 0:
        raise InputError(None, "there are no scored frames to report on")
    base, score = instability(t)
    fps = clip_fps(result.inputs.pred.info.as_dict())
    rows = [picture_row(rank, frame, 0, fps, t, render_frame)
            for rank, frame in enumerate(least_stable(t, max(0, worst)), start=1)]
    inputs = result.inputs
    if title is None:
        title = f"Mask stability: {short_name(inputs.pred.info.path)}"
        title += f" vs {short_name(inputs.gt.info.path)}" if inputs.gt is not None else ""
    return MaskReport(result, base, rows, {r.frame: float(score[r.frame - t.start]) for r in rows}, title,
                      datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z"))


class MaskPictures:
    """A frame's pictures for the report, whole and at most ``max_width`` wide: the masks
    on the source, the warped residual (occluded pixels grey; without flow, the flips
    since t-1) and the error against the ground truth. Owns readers: one per thread."""

    def __init__(self, inputs: MaskInputs, options: MaskOptions = MaskOptions(), max_width: int = PANEL_WIDTH):
        self.inputs, self.max_width = inputs, max_width
        source = inputs.source
        self._spec = color_spec(source.info, source.layout) if source is not None else None
        self._mapper = FrameMapper(inputs, options)
        self._source = source.reader() if source is not None else None

    def close(self) -> None:
        self._mapper.close()
        if self._source is not None:
            self._source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def render(self, frame: int) -> FramePanels:
        maps = self._mapper.maps(frame)
        rgb = to_rgb(self._source.frame(frame), self._spec) if self._source is not None else None
        h, w = maps.pred.shape
        panels = [Panel("Masks", self._png(compose(rgb, maps.pred, maps.gt)), self._overlay_caption(rgb, maps.gt))]
        if maps.residual is not None:
            occluded = float(np.mean(maps.occluded))
            panels.append(self._heatmap("Warped residual", maps.residual,
                                        f"|m_t − warp(m_t−1)| of the prediction, t−1 = frame {frame - 1}; "
                                        f"grey: occluded ({occluded:.0%})"))
        elif maps.flips is not None:
            where = " where the ground truth did not" if maps.gt is not None else ""
            panels.append(self._heatmap("Flips", maps.flips, f"prediction changed since frame {frame - 1}{where} "
                                                             "(no flow to warp with)"))
        if maps.error is not None:
            what = "|alpha error|" if self.inputs.matting else "wrong pixels"
            panels.append(self._heatmap("Error", maps.error, f"{what} against the ground truth"))
        return FramePanels(frame, Crop(0, 0, w, h), (w, h), tuple(panels))

    def _overlay_caption(self, rgb, gt) -> str:
        kind = self.inputs.pred.format.kind
        pred = {"labels": "prediction filled, a colour per id", "alpha": "prediction (alpha ≥ ½) red"}.get(
            kind, "prediction red")
        return (f"on {'the source' if rgb is not None else 'black (no --source)'}: {pred}"
                + ("; ground truth outlined green" if gt is not None else ""))

    def _heatmap(self, title: str, values: np.ndarray, caption: str) -> Panel:
        bar = ColorBar(DEFAULT_COLORMAP, (0.0, 1.0), True)
        return Panel(title, self._png(heatmap(values, 1.0, DEFAULT_COLORMAP)), caption, bar)

    def _png(self, rgb: np.ndarray) -> bytes:
        h, w = rgb.shape[:2]
        if w > self.max_width:
            rgb = cv2.resize(rgb, (self.max_width, max(1, round(h * self.max_width / w))),
                             interpolation=cv2.INTER_AREA)
        return encode_png(rgb)
