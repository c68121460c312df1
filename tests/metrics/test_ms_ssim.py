"""float_ms_ssim: the numba kernel against the numpy reference and against libvmaf itself."""
from __future__ import annotations

import math
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from vqinspect.metrics._filters import lpf_decimate
from vqinspect.metrics.ms_ssim import MIN_SIZE, ms_ssim_score
from vqinspect.metrics.registry import FrameInput, MetricError, get_metric
from tests.clips import clip, lossless
from tests.metrics import naive
from tests.oracle import libvmaf_frames

# The kernel sums the Gaussian taps in float32 (libvmaf: double) and folds the symmetric
# low-pass table; measured against the reference: at most 3.2e-7 on these cases.
SCORE_TOL = 1e-6
ORACLE_TOL = 1e-4


@pytest.mark.parametrize("height, width, bit_depth", [(40, 64, 8), (37, 51, 10), (12, 9, 16)])
def test_low_pass_decimation_matches_reference(height, width, bit_depth):
    ref, _ = naive.synthetic_pair(width, height, width, bit_depth)
    expected = naive.decimate(naive.to_8bit_scale(ref[0], bit_depth), 2, naive.LPF_2D)
    got = lpf_decimate(naive.padded_view(ref[0]), bit_depth)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)  # float32 on values up to 255
    np.testing.assert_allclose(lpf_decimate(got), naive.decimate(expected, 2, naive.LPF_2D),
                               rtol=0, atol=1e-4)


@pytest.mark.parametrize("height, width, bit_depth", [
    (176, 176, 8), (181, 203, 8), (256, 320, 10), (199, 177, 12), (180, 190, 16),
])
def test_matches_reference_on_synthetic_frames(height, width, bit_depth):
    ref, dist = naive.synthetic_pair(height * 3 + width, height, width, bit_depth)
    expected = naive.float_ms_ssim(ref[0], dist[0], bit_depth)
    assert abs(ms_ssim_score(naive.padded_view(ref[0]), dist[0], bit_depth) - expected) <= SCORE_TOL


@pytest.mark.parametrize("pair", ["x264_720p", "x265_10bit", "x264_1281x721_444"])
def test_matches_reference_on_real_frames(pair):
    real = naive.real_pair(pair)
    ref, dist = real.ref[0][0], real.dist[0][0]
    expected = naive.float_ms_ssim(ref, dist, real.bit_depth)
    assert abs(ms_ssim_score(ref, dist, real.bit_depth) - expected) <= SCORE_TOL


@pytest.mark.parametrize("pair", list(naive.REAL_PAIRS))
def test_matches_libvmaf_on_real_encodes(pair):
    real = naive.real_pair(pair)
    for ref, dist, oracle in zip(real.ref, real.dist, real.oracle):
        score = ms_ssim_score(ref[0], dist[0], real.bit_depth)
        assert abs(score - oracle["float_ms_ssim"]) <= ORACLE_TOL


def test_identical_frames_give_one():
    same = naive.self_pair()
    for planes, oracle in zip(same.ref, same.oracle):
        assert oracle["float_ms_ssim"] == 1.0
        assert abs(ms_ssim_score(planes[0], planes[0], 8) - 1.0) <= 1e-6
    flat = np.full((200, 180), 17, np.uint8)
    assert abs(ms_ssim_score(flat, flat, 8) - 1.0) <= 1e-6


def test_negative_structure_gives_nan_like_libvmaf():
    """A negative mean structure term has no real power: libvmaf reports no number."""
    real = naive.negated_pair()
    for ref, dist, oracle in zip(real.ref, real.dist, real.oracle):
        assert oracle["float_ms_ssim"] is None
        assert math.isnan(ms_ssim_score(ref[0], dist[0], 8))
        assert math.isnan(naive.float_ms_ssim(ref[0], dist[0], 8))


@pytest.mark.parametrize("size", [(175, 176), (176, 175)])
def test_too_small_raises_metric_error_where_libvmaf_gives_nothing(size):
    width, height = size
    ref, dist = lossless(frames=2, size=size), clip(pix_fmt="yuv444p", crf=35, frames=2, size=size)
    assert "float_ms_ssim" not in libvmaf_frames(ref, dist)[0]
    plane = naive.decoded_planes(ref, 1)[0][0]
    message = f"ms_ssim needs at least 176x176 luma samples for its 5 scales; this clip is {width}x{height}"
    with pytest.raises(MetricError, match=re.escape(message)):
        ms_ssim_score(plane, plane, 8)


def test_smallest_size_matches_libvmaf():
    size = (MIN_SIZE, MIN_SIZE)
    ref, dist = lossless(frames=2, size=size), clip(pix_fmt="yuv444p", crf=35, frames=2, size=size)
    oracle = libvmaf_frames(ref, dist)[0]["float_ms_ssim"]
    r, d = naive.decoded_planes(ref, 1)[0][0], naive.decoded_planes(dist, 1)[0][0]
    assert abs(ms_ssim_score(r, d, 8) - oracle) <= ORACLE_TOL


def test_carphone_pair_is_too_small_for_both():
    real = naive.carphone_pair()
    assert "float_ms_ssim" not in real.oracle[0]
    with pytest.raises(MetricError, match="this clip is 176x144"):
        ms_ssim_score(real.ref[0][0], real.dist[0][0], 8)


def test_concurrent_calls_equal_serial_calls():
    frames = [naive.synthetic_pair(seed, 300, 420, 10) for seed in range(8)]
    serial = [ms_ssim_score(r[0], d[0], 10) for r, d in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda f: ms_ssim_score(f[0][0], f[1][0], 10), frames))
    assert threaded == serial


def test_registered_metric():
    metric = get_metric("ms_ssim")
    assert metric.keys == ("ms_ssim",) and metric.luma_only and metric.maps == ()
    ref, dist = naive.synthetic_pair(9, 200, 240, 8, chroma=True)
    assert metric.score(FrameInput(ref, dist, 8)) == {"ms_ssim": ms_ssim_score(ref[0], dist[0], 8)}
