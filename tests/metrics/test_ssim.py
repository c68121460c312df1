"""float_ssim: the numba kernel against the numpy reference and against libvmaf itself."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from vqinspect.metrics.registry import FrameInput, MetricError, get_metric
from vqinspect.metrics._filters import box_decimate
from vqinspect.metrics.ssim import ssim_map, ssim_scale_factor, ssim_score
from tests.metrics import naive

# The kernel repeats libvmaf's float32/float64 arithmetic step by step, so it agrees with
# the reference to rounding of the final sum (measured: identical on every case here).
SCORE_TOL = 1e-7
MAP_TOL = 1e-6
ORACLE_TOL = 1e-4


@pytest.mark.parametrize("size, factor", [
    ((720, 1280), 3), ((1080, 1920), 4), ((383, 500), 1), ((384, 500), 2), ((640, 641), 3),
    ((1151, 2000), 4), ((1152, 2000), 5), ((100, 100), 1), ((2160, 3840), 8),
])
def test_scale_factor_rounds_half_up(size, factor):
    h, w = size
    assert ssim_scale_factor(w, h) == naive.ssim_scale_factor(w, h) == factor


@pytest.mark.parametrize("height, width, factor, bit_depth", [
    (60, 81, 3, 8),    # odd width divisible by 3: the last box is centred past the edge
    (61, 80, 3, 8),
    (45, 45, 5, 8),
    (41, 37, 4, 10),
    (40, 64, 4, 8),    # power-of-two factors take the integer-sum path
    (35, 50, 8, 16),
    (70, 70, 16, 8),
    (30, 30, 2, 12),
    (23, 29, 2, 16),
])
def test_box_decimation_is_bit_identical(height, width, factor, bit_depth):
    ref, _ = naive.synthetic_pair(factor, height, width, bit_depth)
    expected = naive.decimate(naive.to_8bit_scale(ref[0], bit_depth), factor, naive.box_kernel(factor))
    np.testing.assert_array_equal(box_decimate(naive.padded_view(ref[0]), bit_depth, factor), expected)
    peak = np.full_like(ref[0], 2 ** bit_depth - 1)  # the largest sums
    expected = naive.decimate(naive.to_8bit_scale(peak, bit_depth), factor, naive.box_kernel(factor))
    np.testing.assert_array_equal(box_decimate(peak, bit_depth, factor), expected)


@pytest.mark.parametrize("height, width, bit_depth", [
    (64, 80, 8), (37, 53, 8), (383, 301, 8), (450, 391, 10), (161, 133, 12), (97, 120, 16),
    (11, 11, 8),
])
def test_matches_reference_on_synthetic_frames(height, width, bit_depth):
    ref, dist = naive.synthetic_pair(height + width, height, width, bit_depth)
    expected, expected_map = naive.float_ssim(ref[0], dist[0], bit_depth)
    assert abs(ssim_score(naive.padded_view(ref[0]), dist[0], bit_depth) - expected) <= SCORE_TOL
    got_map = ssim_map(ref[0], naive.padded_view(dist[0]), bit_depth)
    assert got_map.shape == expected_map.shape and got_map.dtype == np.float32
    np.testing.assert_allclose(got_map, expected_map, rtol=0, atol=MAP_TOL)


@pytest.mark.parametrize("pair", ["x264_720p", "x265_10bit", "x264_1281x721_444"])
def test_matches_reference_on_real_frames(pair):
    real = naive.real_pair(pair)
    ref, dist = real.ref[0][0], real.dist[0][0]
    expected, expected_map = naive.float_ssim(ref, dist, real.bit_depth)
    assert abs(ssim_score(ref, dist, real.bit_depth) - expected) <= SCORE_TOL
    np.testing.assert_allclose(ssim_map(ref, dist, real.bit_depth), expected_map, rtol=0, atol=MAP_TOL)


@pytest.mark.parametrize("pair", list(naive.REAL_PAIRS))
def test_matches_libvmaf_on_real_encodes(pair):
    real = naive.real_pair(pair)
    for ref, dist, oracle in zip(real.ref, real.dist, real.oracle):
        assert abs(ssim_score(ref[0], dist[0], real.bit_depth) - oracle["float_ssim"]) <= ORACLE_TOL


def test_matches_libvmaf_on_carphone_pair():
    real = naive.carphone_pair()
    for ref, dist, oracle in zip(real.ref, real.dist, real.oracle):
        assert abs(ssim_score(ref[0], dist[0], 8) - oracle["float_ssim"]) <= ORACLE_TOL


def test_matches_libvmaf_on_negated_frames():
    real = naive.negated_pair()
    for ref, dist, oracle in zip(real.ref, real.dist, real.oracle):
        score = ssim_score(ref[0], dist[0], 8)
        assert score < 0 and abs(score - oracle["float_ssim"]) <= ORACLE_TOL


def test_identical_frames_give_one():
    same = naive.self_pair()
    for planes, oracle in zip(same.ref, same.oracle):
        assert oracle["float_ssim"] == 1.0
        assert abs(ssim_score(planes[0], planes[0], 8) - 1.0) <= 1e-6
    flat = np.full((300, 400), 200, np.uint8)  # zero variance: libvmaf's covariance clamp
    assert abs(ssim_score(flat, flat, 8) - 1.0) <= 1e-6
    assert np.all(np.abs(ssim_map(flat, flat, 8) - 1.0) <= 1e-6)


def test_concurrent_calls_equal_serial_calls():
    frames = [naive.synthetic_pair(seed, 400, 530, 8) for seed in range(8)]
    serial = [(ssim_score(r[0], d[0], 8), ssim_map(r[0], d[0], 8)) for r, d in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda f: (ssim_score(f[0][0], f[1][0], 8),
                                            ssim_map(f[0][0], f[1][0], 8)), frames))
    for (score, image), (t_score, t_image) in zip(serial, threaded):
        assert t_score == score
        np.testing.assert_array_equal(t_image, image)


@pytest.mark.parametrize("shape", [(10, 40), (500, 10)])
def test_too_small_raises_metric_error(shape):
    plane = np.zeros(shape, np.uint8)
    message = f"at least 11x11 luma samples for its Gaussian window; this clip is {shape[1]}x{shape[0]}"
    with pytest.raises(MetricError, match=re.escape(message)):
        ssim_score(plane, plane, 8)


def test_mismatched_planes_raise_metric_error():
    with pytest.raises(MetricError, match="reference plane is 40x30 but distorted plane is 40x31"):
        ssim_score(np.zeros((30, 40), np.uint8), np.zeros((31, 40), np.uint8), 8)


def test_registered_metric():
    metric = get_metric("ssim")
    assert metric.keys == ("ssim",) and metric.luma_only and metric.maps == ("ssim",)
    ref, dist = naive.synthetic_pair(4, 400, 600, 10, chroma=True)
    frame = FrameInput(ref, dist, 10)
    assert metric.score(frame) == {"ssim": ssim_score(ref[0], dist[0], 10)}
    assert metric.compute_map(frame, "ssim").shape == (400 // 2 - 10, 600 // 2 - 10)
