"""Maps outside the engine get the earlier reference frames their metric asks for."""
from __future__ import annotations

import numpy as np

from tests.clips import clip, decoded_planes, lossless
from vqinspect.app.scoring.map_input import map_frame_input
from vqinspect.metrics.registry import FrameInput
from vqinspect.metrics.vmaf import vmaf_metric


def test_an_hfr_model_map_compares_with_frame_i_minus_2_as_scoring_does():
    ref = decoded_planes(lossless(frames=5, size=(320, 240)), 5)
    dist = decoded_planes(clip(crf=40, frames=5, size=(320, 240)), 5)
    metric = vmaf_metric("vmaf_v1.0.16_hfr_3d0h")
    assert metric.needs_previous == 2
    read = []
    frame = map_frame_input(metric, 3, ref[3], dist[3], 8, lambda k: read.append(k) or ref[k])
    assert read == [2, 1] and frame.prev_ref is ref[2] and frame.earlier_refs == (ref[1],)
    engine_like = FrameInput(ref[3], dist[3], 8, 3, ref[2], earlier_refs=(ref[1],))
    tiles = metric.compute_map(frame, "vmaf_tiles")
    np.testing.assert_array_equal(tiles, metric.compute_map(engine_like, "vmaf_tiles"))
    without_history = metric.compute_map(FrameInput(ref[3], dist[3], 8, 3, ref[2]), "vmaf_tiles")
    assert not np.array_equal(tiles, without_history)          # what the window showed before


def test_the_clip_start_has_no_history():
    ref = decoded_planes(lossless(frames=2, size=(320, 240)), 2)
    metric = vmaf_metric("vmaf_v1.0.16_hfr_3d0h")
    first = map_frame_input(metric, 0, ref[0], ref[0], 8, lambda k: ref[k])
    second = map_frame_input(metric, 1, ref[1], ref[1], 8, lambda k: ref[k])
    assert first.prev_ref is None and first.earlier_refs == ()
    assert second.prev_ref is ref[0] and second.earlier_refs == ()
    assert map_frame_input(vmaf_metric(), 1, ref[1], ref[1], 8, lambda k: ref[k]).earlier_refs == ()
