"""PSNR: the numba kernel against the numpy reference, libvmaf and ffmpeg's psnr filter."""
from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from vqinspect.metrics.psnr import psnr_scores, squared_error_map
from vqinspect.metrics.registry import FrameInput, MetricError, get_metric
from tests.clips import clip, lossless
from tests.metrics import naive
from tests.oracle import ffmpeg_exe

LIBVMAF_KEYS = {"psnr_y": "psnr_y", "psnr_u": "psnr_cb", "psnr_v": "psnr_cr"}


@pytest.mark.parametrize("height, width, bit_depth", [
    (64, 80, 8), (37, 41, 8), (121, 67, 10), (50, 33, 12), (19, 23, 16), (30, 30, 9),
])
def test_matches_reference_on_synthetic_frames(height, width, bit_depth):
    ref, dist = naive.synthetic_pair(height * width, height, width, bit_depth, chroma=True)
    assert psnr_scores(ref, dist, bit_depth) == pytest.approx(
        naive.psnr_planes(ref, dist, bit_depth), abs=1e-12)


def test_padded_and_other_layouts_give_the_same_scores():
    ref, dist = naive.synthetic_pair(3, 45, 61, 10, chroma=True)
    expected = psnr_scores(ref, dist, 10)
    padded = tuple(naive.padded_view(p) for p in ref)
    transposed = tuple(np.asfortranarray(p) for p in dist)
    assert psnr_scores(padded, transposed, 10) == expected
    flipped = tuple(p[::-1] for p in ref), tuple(p[::-1] for p in dist)
    assert psnr_scores(*flipped, 10) == expected


def test_gray_input_gives_luma_and_average_only():
    ref, dist = naive.synthetic_pair(5, 40, 48, 8)
    scores = psnr_scores(ref, dist, 8)
    assert set(scores) == {"psnr_y", "psnr_avg"}
    assert scores["psnr_y"] == scores["psnr_avg"] == pytest.approx(
        naive.psnr_planes(ref, dist, 8)["psnr_y"], abs=1e-12)


@pytest.mark.parametrize("bit_depth", [8, 10, 12, 16])
def test_identical_planes_give_libvmaf_cap(bit_depth):
    ref, _ = naive.synthetic_pair(7, 24, 32, bit_depth, chroma=True)
    cap = 6 * bit_depth + 12
    assert psnr_scores(ref, ref, bit_depth) == {k: cap for k in ("psnr_y", "psnr_u", "psnr_v", "psnr_avg")}


def test_average_pools_squared_errors_over_all_samples():
    ref = (np.zeros((4, 4), np.uint8), np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8))
    dist = (np.full((4, 4), 2, np.uint8), np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8))
    scores = psnr_scores(ref, dist, 8)
    assert scores["psnr_y"] == pytest.approx(10 * np.log10(255 ** 2 / 4))
    assert scores["psnr_avg"] == pytest.approx(10 * np.log10(255 ** 2 / (64 / 24)))
    assert scores["psnr_u"] == scores["psnr_v"] == 60.0


def test_squared_error_map():
    ref, dist = naive.synthetic_pair(11, 33, 47, 12)
    expected = (ref[0].astype(np.int64) - dist[0].astype(np.int64)) ** 2
    got = squared_error_map(naive.padded_view(ref[0]), dist[0], 12)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, expected.astype(np.float32))


@pytest.mark.parametrize("pair", list(naive.REAL_PAIRS))
def test_matches_libvmaf_on_real_encodes(pair):
    real = naive.real_pair(pair)
    for ref, dist, oracle in zip(real.ref, real.dist, real.oracle):
        scores = psnr_scores(ref, dist, real.bit_depth)
        assert scores == pytest.approx(naive.psnr_planes(ref, dist, real.bit_depth), abs=1e-12)
        for ours, theirs in LIBVMAF_KEYS.items():
            assert abs(scores[ours] - oracle[theirs]) < 0.01, (ours, scores[ours], oracle[theirs])


def test_matches_libvmaf_on_carphone_pair():
    real = naive.carphone_pair()
    for ref, dist, oracle in zip(real.ref, real.dist, real.oracle):
        scores = psnr_scores(ref, dist, 8)
        for ours, theirs in LIBVMAF_KEYS.items():
            assert abs(scores[ours] - oracle[theirs]) < 0.01


def _ffmpeg_psnr_frames(ref, dist) -> list[dict[str, float]]:
    """Per-frame values of ffmpeg's psnr filter (stats file, 2 decimals)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist),
           "-i", str(ref), "-lavfi", "[0:v][1:v]psnr=stats_file=-", "-f", "null", "-"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [{k: float(v) for k, v in re.findall(r"(psnr_\w+):([\d.]+)", line)}
            for line in out.splitlines() if line.startswith("n:")]


def test_average_matches_ffmpeg_psnr_filter():
    """ffmpeg's psnr_avg is also the PSNR of the MSE pooled over all samples."""
    ref, dist = lossless(frames=10), clip(crf=35, frames=10)
    theirs = _ffmpeg_psnr_frames(ref, dist)[:4]
    ours = [psnr_scores(r, d, 8) for r, d in zip(naive.decoded_planes(ref, 4),
                                                 naive.decoded_planes(dist, 4))]
    for mine, other in zip(ours, theirs):
        for key in ("psnr_avg", "psnr_y", "psnr_u", "psnr_v"):
            assert abs(mine[key] - other[key]) <= 0.0051, (key, mine[key], other[key])


def test_identical_frames_match_libvmaf_cap():
    same = naive.self_pair()
    for planes, oracle in zip(same.ref, same.oracle):
        scores = psnr_scores(planes, planes, 8)
        for ours, theirs in LIBVMAF_KEYS.items():
            assert scores[ours] == oracle[theirs] == 60.0


def test_concurrent_calls_equal_serial_calls():
    frames = [naive.synthetic_pair(seed, 120, 160, 10, chroma=True) for seed in range(8)]
    serial = [psnr_scores(r, d, 10) for r, d in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda f: psnr_scores(f[0], f[1], 10), frames))
    assert threaded == serial


@pytest.mark.parametrize("ref, dist, bit_depth, message", [
    ((np.zeros((4, 4), np.uint8),), (np.zeros((4, 5), np.uint8),), 8, "4x4 but distorted plane is 5x4"),
    ((np.zeros((4, 4), np.uint16),), (np.zeros((4, 4), np.uint16),), 8, "expected uint8"),
    ((np.zeros((4, 4), np.uint8),), (np.zeros((4, 4), np.uint8),), 10, "expected uint16"),
    ((np.zeros((4, 4), np.uint8),) * 2, (np.zeros((4, 4), np.uint8),) * 2, 8, "one (gray) or three"),
    ((np.zeros((4, 4), np.uint8),), (np.zeros((4, 4), np.uint8),), 7, "bit depth 7"),
])
def test_bad_input_raises_metric_error(ref, dist, bit_depth, message):
    with pytest.raises(MetricError, match=re.escape(message)):
        psnr_scores(ref, dist, bit_depth)


def test_registered_metric():
    metric = get_metric("psnr")
    assert metric.keys == ("psnr_y", "psnr_u", "psnr_v", "psnr_avg")
    assert not metric.luma_only and metric.maps == ("squared_error",)
    ref, dist = naive.synthetic_pair(2, 30, 40, 8, chroma=True)
    frame = FrameInput(ref, dist, 8)
    assert metric.score(frame) == psnr_scores(ref, dist, 8)
    assert metric.compute_map(frame, "squared_error").shape == (30, 40)
