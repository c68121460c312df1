"""CIEDE2000: the numba kernel against the numpy reference, libvmaf's own unit-test vectors
and libvmaf's ``ciede`` feature (inside imageio-ffmpeg's ffmpeg) on real encodes."""
from __future__ import annotations

import functools
import math
import re
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest

from vqinspect.app.media.encode import encode_frames
from vqinspect.metrics.ciede import ciede_scores, delta_e00, delta_e00_map
from vqinspect.metrics.registry import FrameInput, MetricError, get_metric
from tests.clips import CLIP_DIR, clip, lossless
from tests.metrics import naive, naive_colour
from tests.oracle import libvmaf_frames

SMALL = (320, 180)
FRAMES = 3
F32 = np.float32

# libvmaf/test/test_ciede.c: (L, a, b) pairs and the float ΔE00 libvmaf expects.
LIBVMAF_VECTORS = [
    ((0.052488625, -0.587470829, -8.98771572), (0.465437293, 0.386364758, -12.7648535), 2.54780269),
    ((87.156334, -12.049645, -1.205325), (83.455727, -9.040445, -8.894289), 4.22714281),
    ((79.718491, 9.109915, 13.727915), (78.717224, 7.526546, 5.597448), 4.26012468),
    ((99.205299, -3.339410, 1.205873), (97.991730, -2.497345, 2.473533), 1.26915979),
]

REAL = {  # pix_fmt: (distorted codec, bit depth)
    "yuv420p": ("libx264", 8),
    "yuv444p": ("libx264", 8),
    "yuv420p10le": ("libx265", 10),
    "yuv444p10le": ("libx265", 10),
}


@functools.lru_cache(maxsize=None)
def real_pair(pix_fmt: str):
    """(ref paths, decoded frames of both, libvmaf's per-frame ciede2000) of a 320x180 encode."""
    codec, _ = REAL[pix_fmt]
    ref = lossless(pix_fmt=pix_fmt, frames=FRAMES, size=SMALL)
    dist = clip(codec=codec, pix_fmt=pix_fmt, crf=35, frames=FRAMES, size=SMALL)
    oracle = [f["ciede2000"] for f in libvmaf_frames(ref, dist, features=("ciede",), model=None)]
    return naive.decoded_planes(ref, FRAMES), naive.decoded_planes(dist, FRAMES), oracle


@pytest.mark.parametrize("lab1, lab2, expected", LIBVMAF_VECTORS)
def test_libvmaf_unit_vectors(lab1, lab2, expected):
    assert delta_e00(*map(F32, lab1), *map(F32, lab2)) == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize("bit_depth", [8, 10, 12, 16])
@pytest.mark.parametrize("chroma", ["420", "422", "444"])
def test_matches_numpy_reference(bit_depth, chroma):
    ref, dist = naive.synthetic_pair(bit_depth, 45, 61, bit_depth, chroma=True)
    if chroma != "420":
        size = (45, 31) if chroma == "422" else (45, 61)
        ref = (ref[0], *(np.resize(p, size) for p in ref[1:]))
        dist = (dist[0], *(np.resize(p, size) for p in dist[1:]))
    got, total = delta_e00_map((naive.padded_view(ref[0]), *ref[1:]), dist, bit_depth)
    expected = naive_colour.ciede_map(ref, dist, bit_depth)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)
    scores, want = ciede_scores(ref, dist, bit_depth), naive_colour.ciede_scores(ref, dist, bit_depth)
    assert scores["ciede2000"] == pytest.approx(want["ciede2000"], abs=1e-9)
    assert scores["delta_e00_mean"] == pytest.approx(want["delta_e00_mean"], rel=1e-9)
    assert scores["delta_e00_p99"] == pytest.approx(want["delta_e00_p99"], rel=1e-6)
    assert total == pytest.approx(np.sum(got, dtype=np.float64), rel=1e-12)


@pytest.mark.parametrize("pix_fmt", list(REAL))
def test_matches_libvmaf_on_real_encodes(pix_fmt):
    refs, dists, oracle = real_pair(pix_fmt)
    bit_depth = REAL[pix_fmt][1]
    assert len(oracle) == FRAMES
    for ref, dist, theirs in zip(refs, dists, oracle):
        ours = ciede_scores(ref, dist, bit_depth)["ciede2000"]
        assert abs(ours - theirs) < 1e-3, (ours, theirs)


def _yuv444_frame(planes: tuple) -> av.VideoFrame:
    """An 8-bit yuv444p frame holding ``planes``."""
    h, w = planes[0].shape
    frame = av.VideoFrame(w, h, "yuv444p")
    for plane, values in zip(frame.planes, planes):
        np.frombuffer(plane, np.uint8).reshape(h, plane.line_size)[:, :w] = values
    return frame


def test_422_is_scored_as_its_correct_444_upsampling_by_libvmaf():
    """libvmaf misreads 4:2:2 chroma (halves rows, reads past the row end); we repeat each
    chroma sample over its two pixels, and libvmaf agrees once that upsampling is done for it."""
    refs = naive.decoded_planes(lossless(pix_fmt="yuv422p", frames=2, size=SMALL), 2)
    dists = naive.decoded_planes(clip(pix_fmt="yuv422p", crf=35, frames=2, size=SMALL), 2)
    paths = []
    for side, frames in (("ref", refs), ("dist", dists)):
        path = CLIP_DIR / f"ciede_422_as_444_{side}.mkv"
        if not path.exists():
            encode_frames([_yuv444_frame(naive_colour.upsample_chroma(p)) for p in frames], path, "ffv1",
                          "yuv444p")
        paths.append(path)
    oracle = [f["ciede2000"] for f in libvmaf_frames(*paths, features=("ciede",), model=None)]
    for ref, dist, theirs in zip(refs, dists, oracle):
        assert ref[1].shape == (180, 160)
        assert abs(ciede_scores(ref, dist, 8)["ciede2000"] - theirs) < 1e-3


def test_identical_frames_give_infinity_like_libvmaf():
    ref, _ = naive.synthetic_pair(1, 30, 40, 10, chroma=True)
    assert ciede_scores(ref, ref, 10) == {"ciede2000": math.inf, "delta_e00_mean": 0.0, "delta_e00_p99": 0.0}


def test_p99_is_the_99th_percentile_of_the_map():
    refs, dists, _ = real_pair("yuv420p")
    values, _ = delta_e00_map(refs[0], dists[0], 8)
    scores = ciede_scores(refs[0], dists[0], 8)
    assert scores["delta_e00_p99"] == pytest.approx(np.percentile(values.astype(np.float64), 99), rel=1e-12)
    assert scores["delta_e00_mean"] == pytest.approx(10 ** ((45 - scores["ciede2000"]) / 20), rel=1e-12)


def test_concurrent_calls_equal_serial_calls():
    frames = [naive.synthetic_pair(seed, 90, 120, 10, chroma=True) for seed in range(6)]
    serial = [ciede_scores(r, d, 10) for r, d in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda f: ciede_scores(f[0], f[1], 10), frames))
    assert threaded == serial


@pytest.mark.parametrize("ref, dist, bit_depth, message", [
    ((np.zeros((4, 4), np.uint8),), (np.zeros((4, 4), np.uint8),), 8, "needs colour"),
    ((np.zeros((4, 4), np.uint8), np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8)),
     (np.zeros((4, 4), np.uint16), np.zeros((2, 2), np.uint16), np.zeros((2, 2), np.uint16)), 8,
     "distorted Y plane must be a non-empty 2-D uint8 array for 8-bit samples, got uint16"),
    ((np.zeros((4, 4), np.uint8), np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.uint8)),
     (np.zeros((4, 4), np.uint8), np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.uint8)), 8,
     "do not fit luma"),
    ((np.zeros((4, 4), np.uint8), np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8)),
     (np.zeros((4, 6), np.uint8), np.zeros((2, 3), np.uint8), np.zeros((2, 3), np.uint8)), 8,
     "reference is 4x4 but distorted is 6x4"),
])
def test_bad_input_raises_metric_error(ref, dist, bit_depth, message):
    with pytest.raises(MetricError, match=re.escape(message)):
        ciede_scores(ref, dist, bit_depth)


def test_registered_metric():
    metric = get_metric("ciede2000")
    assert metric.keys == ("ciede2000", "delta_e00_mean", "delta_e00_p99") and not metric.luma_only
    info = metric.info.map("delta_e00")
    assert info.higher_is_worse and info.marks == (1.0, 2.3)
    assert metric.info.key("ciede2000").higher_is_better
    assert not metric.info.key("delta_e00_p99").higher_is_better
    ref, dist = naive.synthetic_pair(2, 30, 40, 8, chroma=True)
    frame = FrameInput(ref, dist, 8)
    assert metric.score(frame) == ciede_scores(ref, dist, 8)
    np.testing.assert_array_equal(metric.compute_map(frame, "delta_e00"), delta_e00_map(ref, dist, 8)[0])
