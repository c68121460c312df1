"""Maps of the v1.0.16 models on real footage: the ADM3 terms cover the whole band (libvmaf's
10 % inset is how it pools the frame, not where loss can be), so border tiles are not outliers."""
from __future__ import annotations

import numpy as np
import pytest

from tests.clips import clip, decoded_planes, lossless
from vqinspect.metrics.registry import FrameInput
from vqinspect.metrics.vmaf import adm, vmaf_metric
from vqinspect.metrics.vmaf.adm3 import adm3_scores
from vqinspect.metrics.vmaf.features import ModelFeatures
from vqinspect.metrics.vmaf.model import load_model

MODEL = "vmaf_v1.0.16_3d0h"


@pytest.fixture(scope="module")
def frames():
    size = (320, 240)
    return decoded_planes(lossless(frames=2, size=size), 2), decoded_planes(clip(frames=2, size=size, crf=40), 2)


def test_planes_cover_the_band_and_leave_the_scores_alone(frames):
    (ref, _), (dist, _) = frames
    opts = ModelFeatures(load_model(MODEL)).adm
    plain = adm3_scores(ref[0], dist[0], 8, opts)
    mapped = adm3_scores(ref[0], dist[0], 8, opts, planes=True)
    assert (mapped.adm2, mapped.aim, mapped.adm3, mapped.scales) == (plain.adm2, plain.aim, plain.adm3, plain.scales)
    level0 = mapped.planes[0]
    h, w = level0.den.shape[1:]
    top, bottom, left, right = adm.region(h, w)
    outside = np.ones((h, w), bool)
    outside[top:bottom, left:right] = False
    for plane in (level0.den, level0.dlm):
        assert plane[:, outside].sum() > 0.05 * plane.sum()        # the border is there, not zeros


def test_an_undistorted_frame_has_no_loss_and_equal_tiles(frames):
    (ref, _), (dist, _) = frames
    metric = vmaf_metric(MODEL)
    frame = FrameInput(ref, ref, 8, 0)                               # frame 0: no motion anywhere
    loss = metric.compute_map(frame, "adm3_loss")
    encoded = metric.compute_map(FrameInput(ref, dist, 8, 0), "adm3_loss")
    assert loss.shape == encoded.shape == (120, 160)
    assert loss.sum() < 1e-4 * encoded.sum()      # float |csf o|^3 against integer x^3: rounding only
    tiles = metric.compute_map(frame, "vmaf_tiles")
    assert tiles.shape == (15, 20)                                   # 16-pixel tiles at 240 lines
    np.testing.assert_array_equal(tiles, np.full(tiles.shape, tiles[7, 10]))   # border tiles too


def test_border_tiles_are_not_outliers_on_a_uniform_encode(frames):
    refs, dists = frames
    tiles = vmaf_metric(MODEL).compute_map(FrameInput(refs[1], dists[1], 8, 1, refs[0]), "vmaf_tiles")
    inner = tiles[2:-2, 2:-2]
    ring = np.concatenate([tiles[0], tiles[-1], tiles[:, 0], tiles[:, -1]])
    assert np.median(ring) > np.percentile(inner, 5) - 10            # before: the ring sat near 0
