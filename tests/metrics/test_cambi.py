"""CAMBI: every kernel step against the numpy reference, and scores against libvmaf's
``cambi`` feature (libvmaf 86da14d in imageio-ffmpeg's ffmpeg) on real encodes."""
from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import numpy as np
import pytest

from vqinspect.app.media.encode import encode_frames
from vqinspect.metrics import cambi_kernels as kernels
from vqinspect.metrics._filters import plane_rows
from vqinspect.metrics.cambi import (CambiScorer, cambi_frame, cambi_metric, effective_window,
                                     libvmaf_key, mask_index, tvi_thresholds, vlt_luma)
from vqinspect.metrics.registry import FrameInput, MetricError, get_metric, metric_info
from tests.clips import CLIP_DIR, clip, lossless
from tests.metrics import naive_cambi as naive
from tests.metrics.naive import decoded_planes
from tests.oracle import ffmpeg_exe

TOLERANCE = 1e-3   # libvmaf logs 6 decimals


# ----------------------------------------------------------------------------- the oracle

def libvmaf_cambi(ref: Path, dist: Path, option_sets: list[dict], n_frames: int) -> list[dict]:
    """libvmaf's per-frame metrics with one cambi instance per option set (no VMAF model)."""
    features = "|".join("name=cambi" + "".join(f"\\\\:{k}={v}" for k, v in o.items()) for o in option_sets)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "cambi.json"
        graph = (f"[0:v][1:v]libvmaf=model=:log_fmt=json:log_path={log}:n_threads=2:"
                 f"feature={features}")
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist),
                        "-i", str(ref), "-lavfi", graph, "-f", "null", "-"], check=True, capture_output=True)
        frames = json.loads(log.read_text())["frames"] if log.exists() else []
    return [f["metrics"] for f in sorted(frames, key=lambda f: f["frameNum"])][:n_frames]


def gradient_frames(n: int, size=(640, 360)):
    """A smooth dark gradient with film-grain noise, drifting sideways: clean in the source,
    banded once an encoder has removed the noise."""
    w, h = size
    rng = np.random.default_rng(0)
    i, j = np.mgrid[0:h, 0:w].astype(np.float64)
    for t in range(n):
        y = 40 + 50 * i / h + 12 * np.sin(2 * np.pi * (j + 16 * t) / (2 * w)) + rng.normal(0, 1.2, (h, w))
        planes = np.vstack([np.clip(np.round(y), 0, 255).astype(np.uint8), np.full((h // 2, w), 128, np.uint8)])
        yield av.VideoFrame.from_ndarray(planes, format="yuv420p")


def gradient_pair(n: int = 3) -> tuple[Path, Path]:
    ref, dist = CLIP_DIR / f"cambi_gradient_ffv1_{n}.mkv", CLIP_DIR / f"cambi_gradient_x264_crf38_{n}.mp4"
    if not ref.exists():
        encode_frames(gradient_frames(n), ref, "ffv1")
    if not dist.exists():
        encode_frames(gradient_frames(n), dist, options={"crf": "38", "preset": "medium"})
    return ref, dist


PAIRS = {
    "x264_8bit": lambda: (lossless(frames=3, size=(640, 360)), clip(crf=35, frames=3, size=(640, 360)), 8, 3),
    "x265_10bit": lambda: (lossless(pix_fmt="yuv420p10le", frames=3, size=(640, 360)),
                           clip(codec="libx265", pix_fmt="yuv420p10le", crf=30, frames=3, size=(640, 360)), 10, 3),
    "x265_12bit": lambda: (lossless(pix_fmt="yuv420p12le", frames=2, size=(640, 360)),
                           # two frames, no B-frames, Matroska: x265 can reorder a 2-frame clip into
                           # timestamps the MP4 muxer refuses, depending on thread timing
                           clip(codec="libx265", pix_fmt="yuv420p12le", crf=30, frames=2, size=(640, 360),
                                container="mkv", options={"x265-params": "bframes=0"}), 12, 2),
    "ffv1_16bit": lambda: (lossless(pix_fmt="yuv420p16le", frames=2, size=(640, 360)),) * 2 + (16, 2),
    "gradient_banded": lambda: gradient_pair() + (8, 3),
    "x264_1080p": lambda: (lossless(frames=2, size=(1920, 1080)), clip(crf=35, frames=2, size=(1920, 1080)), 8, 1),
}

V1_OPTIONS = dict(cambi_high_res_speedup=1080, cambi_vis_lum_threshold=0.06, cambi_max_val=17.0)
OPTION_SETS = {
    "x264_8bit": [{}, dict(enc_width=480, enc_height=270), dict(enc_width=1280, enc_height=720),
                  dict(enc_bitdepth=10, window_size=31, topk=0.2, tvi_threshold=0.01, max_log_contrast=3),
                  dict(max_log_contrast=0), dict(max_log_contrast=5, window_size=127), dict(cambi_topk=0.3),
                  dict(cambi_eotf="pq"), V1_OPTIONS],
    "x265_10bit": [{}, dict(eotf="pq", cambi_vis_lum_threshold=0.06, cambi_max_val=0.1),
                   dict(cambi_vis_lum_threshold=0.5, enc_bitdepth=8)],
    "x265_12bit": [{}, dict(enc_width=600, enc_height=338)],
    "ffv1_16bit": [{}],
    "gradient_banded": [{}, V1_OPTIONS, dict(cambi_vis_lum_threshold=5.0)],
    "x264_1080p": [{}, V1_OPTIONS, dict(cambi_high_res_speedup=1080, enc_bitdepth=10)],
}
FULL_REF_SETS = {
    "gradient_banded": dict(full_ref="true"),
    "x265_10bit": dict(full_ref="true", enc_width=480, enc_height=270, src_width=480, src_height=270),
    "x264_1080p": dict(full_ref="true", cambi_high_res_speedup=1080, src_width=1280, src_height=720),
}


@functools.lru_cache(maxsize=None)
def real_pair(name: str):
    ref, dist, bit_depth, n = PAIRS[name]()
    return decoded_planes(ref, n), decoded_planes(dist, n), bit_depth, ref, dist, n


@pytest.mark.parametrize("name", list(PAIRS))
def test_matches_libvmaf_on_real_encodes(name):
    refs, dists, bit_depth, ref_path, dist_path, n = real_pair(name)
    oracle = libvmaf_cambi(ref_path, dist_path, OPTION_SETS[name], n)
    assert len(oracle) == n
    for options in OPTION_SETS[name]:
        key = libvmaf_key(**options)
        scorer = CambiScorer(**options)
        for frame, dist, theirs in zip(range(n), dists, oracle):
            ours = scorer.score(dist[0], bit_depth)["cambi"]
            assert abs(ours - theirs[key]) < TOLERANCE, (name, options, frame, ours, theirs[key])


def test_banded_encode_is_detected():
    refs, dists, _, ref_path, dist_path, n = real_pair("gradient_banded")
    oracle = libvmaf_cambi(ref_path, dist_path, [{}], n)
    assert all(f["cambi"] > 5 for f in oracle)
    assert all(cambi_frame(d[0], 8) > 5 for d in dists)


@pytest.mark.parametrize("name", list(FULL_REF_SETS))
def test_full_reference_keys_match_libvmaf(name):
    refs, dists, bit_depth, ref_path, dist_path, n = real_pair(name)
    options = FULL_REF_SETS[name]
    oracle = libvmaf_cambi(ref_path, dist_path, [options], n)
    metric = get_metric("cambi", **options)
    assert metric.keys == ("cambi", "cambi_source", "cambi_full_reference")
    for ref, dist, theirs in zip(refs, dists, oracle):
        ours = metric.score(FrameInput(ref, dist, bit_depth))
        assert ours.keys() == {"cambi", "cambi_source", "cambi_full_reference"}
        assert abs(ours["cambi"] - theirs[libvmaf_key(**options)]) < TOLERANCE
        for key in ("cambi_source", "cambi_full_reference"):
            assert abs(ours[key] - theirs[key]) < TOLERANCE, (key, ours[key], theirs[key])


def test_below_minimum_size_is_an_error_like_libvmaf():
    small = clip(crf=35, frames=1, size=(208, 200))
    assert all("cambi" not in f for f in libvmaf_cambi(small, small, [{}], 1))
    luma = decoded_planes(small, 1)[0][0]
    with pytest.raises(MetricError, match="at least 216 luma samples wide or high"):
        cambi_frame(luma, 8)
    wide = clip(crf=35, frames=1, size=(320, 180))     # one side is enough
    assert cambi_frame(decoded_planes(wide, 1)[0][0], 8) == pytest.approx(
        libvmaf_cambi(wide, wide, [{}], 1)[0]["cambi"], abs=TOLERANCE)


# ----------------------------------------------------------------------------- kernels vs numpy

def test_thresholds_match_libvmaf_unit_tests_and_a_scan():
    # libvmaf test_cambi.c: test_get_tvi_for_diff, test_get_vlt_luma, test_adjust_window_size
    assert list(tvi_thresholds(0.019, "bt1886", 8)) == [178, 305, 432, 559, 686, 813, 1023, 1023]
    assert list(tvi_thresholds(0.019, "pq", 4)) == [233, 1023, 1023, 1023]
    assert vlt_luma(0.06, "bt1886") == 78 and vlt_luma(0.0, "bt1886") == 0
    for tvi, eotf in ((0.019, "bt1886"), (0.005, "bt1886"), (0.3, "bt1886"), (0.01, "pq"), (0.0001, "pq")):
        assert list(tvi_thresholds(tvi, eotf, 32)) == list(naive.tvi_thresholds(tvi, eotf, 32))
    for nits in (0.01, 0.06, 1.0, 50.0, 300.0):
        assert vlt_luma(nits, "bt1886") == naive.vlt_luma(nits, "bt1886")
        assert vlt_luma(nits, "pq") == naive.vlt_luma(nits, "pq")
    sizes = [(3840, 2160), (2560, 1440), (1920, 1080), (1280, 720), (960, 540), (640, 360), (480, 270),
             (320, 180), (6000, 4000)]
    assert [effective_window(63, w, h, False) for w, h in sizes] == [63, 43, 31, 21, 15, 11, 7, 5, 105]
    assert effective_window(63, 3840, 2160, True) == 33
    for w, h in sizes + [(216, 150), (1000, 60), (7680, 4320)]:
        assert effective_window(65, w, h, False) == naive.window(65, w, h)
        assert mask_index(w, h) == naive.mask_index(w, h)


@pytest.mark.parametrize("bit_depth, size, enc, enc_bitdepth", [
    (8, (241, 223), (241, 223), 8), (8, (320, 240), (250, 199), 8), (10, (320, 240), (320, 240), 10),
    (10, (333, 217), (217, 180), 8), (12, (300, 220), (300, 220), 12), (16, (300, 220), (299, 219), 16),
])
def test_preprocessing_and_mask_match_reference(bit_depth, size, enc, enc_bitdepth):
    luma = naive.banded_frame(3, size[1], size[0], bit_depth, 1)
    padded = np.zeros((size[1], size[0] + 13), luma.dtype)
    padded[:, :size[0]] = luma
    flat, pitch = plane_rows(padded[:, :size[0]])
    img = np.empty((enc[1], enc[0]), np.uint16)
    kernels.preprocess(flat, pitch, size[1], size[0], bit_depth, enc_bitdepth < 10, img)
    expected = naive.preprocess(luma, bit_depth, enc[0], enc[1], enc_bitdepth)
    np.testing.assert_array_equal(img, expected)
    mask = np.empty(img.shape, np.uint8)
    kernels.spatial_mask(img, mask_index(*enc), mask)
    np.testing.assert_array_equal(mask.astype(bool), naive.spatial_mask(expected))


def test_twelve_bit_rounding_can_reach_1024_as_in_libvmaf():
    luma = np.full((4, 4), 4095, np.uint16)
    img = np.empty((4, 4), np.uint16)
    flat, pitch = plane_rows(luma)
    kernels.preprocess(flat, pitch, 4, 4, 12, False, img)
    assert (img == 1024).all()


def test_mode_filter_and_decimation_match_reference():
    rng = np.random.default_rng(5)
    for h, w in ((37, 53), (3, 9), (2, 7), (64, 3)):
        img = rng.integers(0, 4, (h, w)).astype(np.uint16)
        expected = naive.filter_mode(img)
        kernels.filter_mode(img, h, w)
        np.testing.assert_array_equal(img, expected)
    img = rng.integers(0, 1024, (37, 53)).astype(np.uint16)
    mask = rng.integers(0, 2, (37, 53)).astype(np.uint8)
    want_img, want_mask = img[::2, ::2].copy(), mask[::2, ::2].copy()
    assert kernels.decimate(img, mask, 37, 53) == (19, 27)
    np.testing.assert_array_equal(img[:19, :27], want_img)
    np.testing.assert_array_equal(mask[:19, :27], want_mask)


@pytest.mark.parametrize("pad, max_log_contrast, vlt", [(5, 2, 0), (3, 0, 0), (7, 3, 78), (4, 5, 200)])
def test_c_values_and_pooling_match_reference(pad, max_log_contrast, vlt):
    img = naive.preprocess(naive.banded_frame(7, 90, 130, 10, 1), 10, 130, 90, 10).astype(np.uint16)
    img[40:60, 20:80] = np.arange(60) // 7 + 70          # narrow bands in the dark, near vlt
    mask = naive.spatial_mask(img)
    tvi = tvi_thresholds(0.019, "bt1886", 1 << max_log_contrast)
    weights = np.array(naive.CONTRAST_WEIGHTS[: 1 << max_log_contrast], np.int64)
    base, top, hi, offset = kernels.value_band(tvi, vlt)
    hist = np.empty(kernels.histogram_bins(tvi, vlt) * 130, np.uint16)
    runs = np.empty((3, 2 * pad + 2, 130), np.int32)
    positive = np.empty(img.size, np.float32)
    out = np.empty(img.shape, np.float32)
    found = kernels.c_values(img, mask.astype(np.uint8), 90, 130, pad, tvi, weights, vlt, hist, runs, positive, out)
    expected = naive.c_values(img, mask, pad, tvi, vlt)
    assert expected.any()
    np.testing.assert_array_equal(out, expected)
    assert found == np.count_nonzero(expected)
    for topk in (0.0001, 0.01, 0.3, 0.6, 1.0):
        assert kernels.top_k_mean(positive, found, img.size, topk) == pytest.approx(
            naive.top_k_mean(expected, topk), rel=1e-12)


@pytest.mark.parametrize("bit_depth, step, options", [
    (8, 1, {}), (10, 2, dict(cambi_vis_lum_threshold=0.06, max_log_contrast=3)),
    (12, 4, dict(enc_width=230, enc_height=170, topk=0.1, eotf="pq")), (16, 64, dict(window_size=99)),
])
def test_whole_picture_and_maps_match_reference(bit_depth, step, options):
    luma = naive.banded_frame(1, 200, 256, bit_depth, step)
    expected, expected_maps = naive.cambi(luma, bit_depth, **options)
    result = CambiScorer(**options).picture(luma, bit_depth, maps=True)
    assert result.score == pytest.approx(expected, rel=1e-12) and expected > 0
    for ours, theirs in zip(result.maps, expected_maps, strict=True):
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("halved", [False, True])
def test_scale_loop_matches_reference(halved):
    """The five scales, with and without the high-resolution speed-up's first halving
    (which needs 1080p to switch on through the options: see the 1080p oracle case)."""
    img = naive.preprocess(naive.banded_frame(6, 230, 300, 8, 1), 8, 300, 230, 8)
    mask = naive.spatial_mask(img)
    tvi = tvi_thresholds(0.019, "bt1886", 4)
    weights = np.array(naive.CONTRAST_WEIGHTS[:4], np.int64)
    expected_pooled, expected_maps = naive.scales(img, mask, halved, 4, tvi, 78, 0.6)
    hist = np.empty(kernels.histogram_bins(tvi, 78) * 300, np.uint16)
    runs = np.empty((3, 10, 300), np.int32)
    maps = np.empty(sum(m.size for m in expected_maps), np.float32)
    pooled = kernels.cambi_scales(img.astype(np.uint16), mask.astype(np.uint8), halved, 4, tvi, weights, 78,
                                  0.6, hist, runs, np.empty(img.size, np.float32), maps)
    assert list(pooled) == pytest.approx(expected_pooled, rel=1e-12)
    np.testing.assert_array_equal(maps, np.concatenate([m.ravel() for m in expected_maps]))


def test_combined_map_is_the_scale_weighted_sum_at_frame_size():
    luma = naive.banded_frame(4, 180, 257, 10, 1)
    frame = FrameInput((luma,), (luma,), 10)
    metric = cambi_metric()
    _, scale_maps = naive.cambi(luma, 10)
    expected = np.zeros((180, 257), np.float32)
    for s, (weight, plane) in enumerate(zip(naive.SCALE_WEIGHTS, scale_maps)):
        up = np.repeat(np.repeat(plane, 1 << s, axis=0), 1 << s, axis=1)[:180, :257]
        expected += np.float32(weight) * up
    expected /= np.float32(naive.window(65, 257, 180) ** 2)
    combined = metric.compute_map(frame, "banding")
    assert combined.shape == (180, 257) and combined.dtype == np.float32
    np.testing.assert_allclose(combined, expected, rtol=1e-6)
    for s in range(5):
        np.testing.assert_array_equal(metric.compute_map(frame, f"c_values_scale{s}"), scale_maps[s])
    resized = cambi_metric(enc_width=228, enc_height=160).compute_map(frame, "banding")
    assert resized.shape == (180, 257)


def test_concurrent_calls_equal_serial_calls():
    frames = [naive.banded_frame(seed, 240, 320, 10, 1 + seed % 3) for seed in range(8)]
    scorer = CambiScorer(cambi_vis_lum_threshold=0.06)
    serial = [scorer.picture(f, 10).score for f in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda f: scorer.picture(f, 10).score, frames))
        mixed = list(pool.map(lambda f: cambi_frame(f[:, :300], 10, cambi_vis_lum_threshold=0.06), frames))
    assert threaded == serial
    assert mixed == [cambi_frame(f[:, :300], 10, cambi_vis_lum_threshold=0.06) for f in frames]


# ----------------------------------------------------------------------------- API and errors

def test_registered_metric_and_options():
    info = metric_info("cambi")
    assert info.primary == "cambi" and info.no_reference
    assert not info.key("cambi").higher_is_better and not info.key("cambi_full_reference").higher_is_better
    assert all(m.higher_is_worse for m in info.maps)
    flags = {o.flag for o in info.options}
    assert {"--cambi-window-size", "--cambi-enc-width", "--cambi-max-log-contrast", "--cambi-eotf",
            "--cambi-full-ref", "--cambi-high-res-speedup", "--cambi-vis-lum-threshold",
            "--cambi-max-val"} <= flags
    metric = get_metric("cambi", window_size=31, eotf="pq")
    assert metric.keys == ("cambi",) and metric.options == {"window_size": 31, "eotf": "pq"}
    luma = naive.banded_frame(0, 240, 320, 8, 1)
    u = np.zeros((120, 160), np.uint8)
    assert metric.score(FrameInput((luma, u, u), (luma, u, u), 8)) == {
        "cambi": cambi_frame(luma, 8, window_size=31, eotf="pq")}


def test_max_value_clamps_every_key():
    luma = naive.banded_frame(0, 240, 320, 8, 1)
    assert cambi_frame(luma, 8) > 5
    assert cambi_frame(luma, 8, cambi_max_val=2.5) == 2.5
    scores = cambi_metric(full_ref=True, cambi_max_val=1.0).score(
        FrameInput((np.zeros_like(luma),), (luma,), 8))
    assert scores == {"cambi": 1.0, "cambi_source": 0.0, "cambi_full_reference": 1.0}


@pytest.mark.parametrize("options, message", [
    (dict(window_size=3), "window_size must be in 15..127"),
    (dict(eotf="hlg"), "eotf must be bt1886 or pq"),
    (dict(cambi_high_res_speedup=720), "must be 0, 1080, 1440 or 2160"),
    (dict(topk="many"), "topk wants a float"),
    (dict(full_ref="maybe"), "full_ref wants a bool"),
    (dict(banding=1), "cambi has no option 'banding'"),
])
def test_bad_options_raise_metric_error(options, message):
    with pytest.raises(MetricError, match=message):
        cambi_metric(**options)


def test_bad_pictures_raise_metric_error():
    with pytest.raises(MetricError, match="samples above 1023"):
        cambi_frame(np.full((240, 320), 1024, np.uint16), 10)
    with pytest.raises(MetricError, match="uint16 plane for 10-bit"):
        cambi_frame(np.zeros((240, 320), np.uint8), 10)
    with pytest.raises(MetricError, match="different aspect ratios"):
        cambi_metric(full_ref=True, enc_width=300, enc_height=240, src_width=320, src_height=220).score(
            FrameInput((np.zeros((240, 320), np.uint8),), (np.zeros((240, 320), np.uint8),), 8))
    with pytest.raises(MetricError, match="larger than libvmaf allows"):
        cambi_frame(np.zeros((4320, 7680), np.uint8), 8)
