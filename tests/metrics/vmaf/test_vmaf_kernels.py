"""VMAF kernels against the slow numpy references, plus the metric's contract.

Inputs are small synthetic frames with image-like structure (blurred noise, edges) and
a distortion (blur, noise, quantisation), at odd sizes and several bit depths.
"""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from vqinspect.metrics.registry import FrameInput, MetricError
from vqinspect.metrics.vmaf import KEYS, MAPS, adm, dwt, motion, vif, vmaf_metric, warm_up
from vqinspect.metrics.vmaf.features import MIN_SIZE, adm2_score, frame_features
from vqinspect.metrics.vmaf.prepare import Workspace
from tests.metrics.vmaf import naive_vmaf as nv


def _smooth(rng: np.random.Generator, shape: tuple[int, int], passes: int = 3) -> np.ndarray:
    """Random field blurred a few times (box 3x3), scaled to [0, 1]."""
    a = rng.random(shape)
    for _ in range(passes):
        a = (a + np.roll(a, 1, 0) + np.roll(a, -1, 0)) / 3
        a = (a + np.roll(a, 1, 1) + np.roll(a, -1, 1)) / 3
    return (a - a.min()) / (a.max() - a.min())


def pair(shape=(45, 61), bit_depth=8, seed=0):
    """(reference, distorted) planes at ``bit_depth``: texture with an edge, then degraded."""
    rng = np.random.default_rng(seed)
    peak = 2 ** bit_depth - 1
    ref = 0.6 * _smooth(rng, shape) + 0.15 * rng.random(shape)
    ref[:, shape[1] // 2:] += 0.25
    ref = np.clip(ref, 0, 1)
    dist = 0.5 * (ref + np.roll(ref, 1, 1)) + 0.03 * rng.standard_normal(shape)
    dist = np.round(np.clip(dist, 0, 1) * 24) / 24
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    return (np.round(ref * peak).astype(dtype), np.round(np.clip(dist, 0, 1) * peak).astype(dtype))


@pytest.mark.parametrize("shape", [(45, 61), (38, 33)])
@pytest.mark.parametrize("bit_depth", [8, 10])
def test_vif_downsample_is_libvmaf_integer_decimation(shape, bit_depth):
    ref, _ = pair(shape, bit_depth)
    q, shift = ref, bit_depth
    for s in range(1, 4):
        out = np.empty((q.shape[0] // 2, q.shape[1] // 2), np.uint16)
        vif.downsample(q, vif.TAPS[s], shift, out)
        expected = nv.vif_downsample_q8(q, s, shift)
        np.testing.assert_array_equal(out, expected)
        q, shift = out, 16


def scale_images(ref, dist, bit_depth, scale):
    """The integer images of VIF ``scale`` (native planes, then libvmaf's Q8 decimation)."""
    x, y, shift = ref, dist, bit_depth
    for s in range(1, scale + 1):
        x = nv.vif_downsample_q8(x, s, shift).astype(np.uint16)
        y = nv.vif_downsample_q8(y, s, shift).astype(np.uint16)
        shift = 16
    return x, y


@pytest.mark.parametrize("scale", [0, 1, 2, 3])
@pytest.mark.parametrize("bit_depth", [8, 10])
def test_vif_scale_accumulators_are_libvmaf_integers(scale, bit_depth):
    shape = (71, 83) if scale < 3 else (40, 50)
    ref, dist = pair(shape, bit_depth, seed=scale)
    x, y = scale_images(ref, dist, bit_depth, scale)
    for limit in (100.0, 1.0):
        expected = nv.vif_scale_terms(x, y, scale, bit_depth, limit)[2]
        assert tuple(vif.scale_sums(x, y, scale, bit_depth, limit)) == expected  # the kernel scoring uses
        got = vif.vif_scale_sums(x, y, vif.TAPS[scale], vif.TAPS_F[scale], vif.scale_shifts(scale, bit_depth), limit,
                                 vif.LOG2_TABLE)
        assert tuple(got) == expected                                                # the general one


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_vif_is_exact_on_extreme_samples(bit_depth):
    """Stripes of black and peak white: the largest sums and the 16-bit split of the means."""
    rows, cols = np.indices((44, 52))
    peak = 2 ** bit_depth - 1
    ref = np.where(((rows // 3) + (cols // 2)) % 2 == 0, 0, peak)
    dist = np.where(((rows // 2) + (cols // 5)) % 3 == 0, peak, peak // 3)
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    ref, dist = ref.astype(dtype), dist.astype(dtype)
    work = tuple(np.empty(s, np.uint16) for s in vif.scale_shapes(44, 52) for _ in range(2))
    num, den = vif.vif_sums(ref, dist, bit_depth, 100.0, work)
    num_ref, den_ref = nv.vif(ref, dist, bit_depth)
    np.testing.assert_array_equal(num, num_ref)
    np.testing.assert_array_equal(den, den_ref)


def test_vif_log_table_is_libvmafs():
    """round(log2f(m) * 2048), halves away from zero, for every 16-bit mantissa."""
    m = np.arange(32768, 65536)
    expected = [math.floor(float(np.float32(math.log2(v))) * 2048 + 0.5) for v in m]
    np.testing.assert_array_equal(vif.LOG2_TABLE, expected)
    assert vif.LOG2_TABLE[0] == 15 * 2048 and vif.LOG2_TABLE[-1] == 16 * 2048


def test_vif_maps_add_up_to_the_sums():
    ref, dist = pair((50, 64))
    num_map = np.empty(ref.shape, np.float32)
    den_map = np.empty(ref.shape, np.float32)
    shifts = vif.scale_shifts(0, 8)
    vif.vif_scale_maps(ref, dist, vif.TAPS[0], vif.TAPS_F[0], shifts, 100.0, vif.LOG2_TABLE, num_map, den_map)
    num, den, _ = nv.vif_scale_terms(ref, dist, 0)
    np.testing.assert_allclose(num_map, num, rtol=0, atol=1e-6)
    np.testing.assert_allclose(den_map, den, rtol=0, atol=1e-6)


@pytest.mark.parametrize("bit_depth", [8, 10, 12])
@pytest.mark.parametrize("limit", [100.0, 1.0])
def test_vif_all_scales_match_reference(bit_depth, limit):
    ref, dist = pair((67, 90), bit_depth, seed=bit_depth)
    work = tuple(np.empty(s, np.uint16) for s in vif.scale_shapes(67, 90) for _ in range(2))
    num, den = vif.vif_sums(ref, dist, bit_depth, limit, work)
    num_ref, den_ref = nv.vif(ref, dist, bit_depth, limit)
    np.testing.assert_array_equal(num, num_ref)
    np.testing.assert_array_equal(den, den_ref)


@pytest.mark.parametrize("bit_depth", [8, 10, 12])
@pytest.mark.parametrize("shape", [(45, 61), (33, 34)])
def test_motion_sad_is_libvmaf_integer_pipeline(bit_depth, shape):
    prev, cur = pair(shape, bit_depth, seed=3)
    assert motion.motion_sad(prev, cur, bit_depth) == nv.motion_sad(prev, cur, bit_depth)
    assert motion.motion_sad(cur, cur, bit_depth) == 0


def test_motion_map_adds_up_to_the_sad():
    prev, cur = pair((40, 52), 10, seed=4)
    total = motion.motion_map(prev, cur, 10).sum(dtype=np.float64) * 256
    assert total == pytest.approx(motion.motion_sad(prev, cur, 10), rel=1e-6)


@pytest.mark.parametrize("bit_depth", [8, 10])
@pytest.mark.parametrize("shape", [(45, 61), (36, 34)])
def test_adm_dwt_is_libvmaf_fixed_point(bit_depth, shape):
    _assert_dwt_scales_exact(pair(shape, bit_depth)[0], bit_depth)


def _assert_dwt_scales_exact(img: np.ndarray, bit_depth: int) -> None:
    """All four DWT scales of ``img`` equal the naive integer reference, band for band."""
    src, ref_src = img, img
    for s, band_shape in enumerate(adm.band_shapes(*img.shape)):
        out = np.empty((4,) + band_shape, np.int32)
        dwt.dwt2(src, s, bit_depth, out)
        a, v, h, d = nv.dwt2_int(ref_src, s, bit_depth)
        for got, want in zip(out, (h, v, d, a)):
            np.testing.assert_array_equal(got, want)
        src, ref_src = out[3], a


@pytest.mark.parametrize("bit_depth", [8, 10, 12, 16])
def test_adm_dwt_is_exact_on_extreme_samples(bit_depth):
    """Stripes of black and peak white drive every sum to its largest magnitude."""
    shape = (37, 50)
    peak = 2 ** bit_depth - 1
    rows, cols = np.indices(shape)
    img = np.where(((rows // 2) + (cols // 3)) % 2 == 0, 0, peak).astype(
        np.uint8 if bit_depth == 8 else np.uint16)
    _assert_dwt_scales_exact(img, bit_depth)


def test_adm_integer_bands_follow_the_float_wavelet():
    ref, _ = pair((64, 80))
    out = np.empty((4, 32, 40), np.int32)
    dwt.dwt2(ref, 0, 8, out)
    a, v, h, d = nv.dwt2(ref.astype(float) - 128)
    for got, want in zip(out, (h, v, d, a)):
        np.testing.assert_allclose(got / 2.0 ** adm.BAND_Q[0], want, atol=0.05)


@pytest.mark.parametrize("scale", [0, 1, 2, 3])
@pytest.mark.parametrize("gain", [100.0, 1.0])
def test_adm_terms_match_reference_per_pixel(scale, gain):
    ref, dist = pair((130, 150), seed=5 + scale)
    x, y = ref, dist
    for s in range(scale + 1):
        shape = adm.band_shapes(*x.shape)[0]
        rb, db = np.empty((4,) + shape, np.int32), np.empty((4,) + shape, np.int32)
        dwt.dwt2(x, s, 8, rb)
        dwt.dwt2(y, s, 8, db)
        source = x, y
        x, y = rb[3], db[3]
    h, w = shape
    planes = np.zeros((6, h, w), np.float32)
    sums = np.zeros(6)
    a = np.empty((2, h, w), np.int32)
    adm.scale_pass(*source, scale, 8, gain, 0, h, 0, w, sums, planes, a[0], a[1])
    np.testing.assert_array_equal(a, np.stack([rb[3], db[3]]))  # the next scale's input
    cubes_x, cubes_o = nv.adm_scale_terms(tuple(rb[:3]), tuple(db[:3]), scale, gain)
    scale_of = max(cubes_o.max(), 1e-12)
    np.testing.assert_allclose(planes[:3], cubes_x, rtol=2e-4, atol=1e-5 * scale_of)
    np.testing.assert_allclose(planes[3:], cubes_o, rtol=2e-4, atol=1e-5 * scale_of)
    np.testing.assert_allclose(sums, planes.reshape(6, -1).sum(axis=1, dtype=np.float64),
                               rtol=1e-5)


@pytest.mark.parametrize("bit_depth", [8, 10])
def test_adm_all_scales_match_reference(bit_depth):
    ref, dist = pair((97, 120), bit_depth, seed=7)
    a_bands = tuple(np.empty((2,) + b, np.int32) for b in adm.band_shapes(*ref.shape))
    num, den = adm.adm_sums(ref, dist, bit_depth, 100.0, a_bands)
    num_ref, den_ref = nv.adm(ref, dist, bit_depth)
    np.testing.assert_allclose(num, num_ref, rtol=2e-6)
    np.testing.assert_allclose(den, den_ref, rtol=2e-6)


def test_csf_weights_are_watsons():
    for s in range(4):
        assert tuple(adm.CSF[s]) == pytest.approx(nv.csf_weights(s), rel=1e-6)
        assert tuple(adm.WEIGHTS[s]) == pytest.approx(nv.fixed_point_csf(s)
                                                      + nv.csf_weights_f32(s), rel=1e-6)


def test_identical_frames_keep_all_detail_and_have_no_motion():
    ref, _ = pair((48, 64))
    feats = frame_features(ref, ref, ref, 8, 100.0, 100.0, Workspace())
    # libvmaf's integer ADM weights the restored part with a CSF constant 3e-5 above
    # the one of the reference's energy: identical frames give adm2 = 1.000002 there
    assert feats["adm2"] == pytest.approx(1.0, abs=2e-5)
    num, den = nv.vif(ref, ref, 8)
    for s in range(4):  # flat pixels count 1 - sigma^2 * 4 / 255^2 in num: VIF is just below 1
        assert feats[f"vif_scale{s}"] == float(num[s] / den[s])
        assert 0.999 < feats[f"vif_scale{s}"] <= 1.0
    assert feats["motion"] == 0.0


def test_adm2_of_empty_sums_is_one():
    assert adm2_score(np.zeros(4), np.zeros(4), 64, 64) == 1.0


def frames(n=4, shape=(48, 64), bit_depth=8):
    """FrameInputs of a short synthetic clip (a texture drifting one pixel per frame)."""
    ref, dist = pair((shape[0], shape[1] + n), bit_depth)
    out = []
    for i in range(n):
        r = np.ascontiguousarray(ref[:, i:i + shape[1]])
        d = np.ascontiguousarray(dist[:, i:i + shape[1]])
        prev = (out[-1].ref[0],) if out else None
        out.append(FrameInput(ref=(r,), dist=(d,), bit_depth=bit_depth, index=i, prev_ref=prev))
    return out


def run_clip(metric, inputs):
    raws = [metric.score(f) for f in inputs]
    return [metric.finalize(raws[i], raws[i + 1] if i + 1 < len(raws) else None)
            for i in range(len(raws))]


def test_metric_contract_and_motion2():
    metric = vmaf_metric()
    assert metric.name == "vmaf" and metric.keys == KEYS
    assert metric.needs_previous and metric.lookahead == 1 and metric.luma_only
    out = run_clip(metric, frames())
    assert all(set(o) == set(KEYS) for o in out)
    motions = [o["motion"] for o in out]
    assert motions[0] == 0.0 and all(m > 0 for m in motions[1:])
    assert [o["motion2"] for o in out] == [0.0, min(motions[1], motions[2]),
                                           min(motions[2], motions[3]), motions[3]]
    assert all(0.0 <= o["vmaf"] <= 100.0 for o in out)


def test_strided_planes_score_like_contiguous_ones():
    ref, dist = pair((48, 80))
    metric = vmaf_metric()
    strided = FrameInput(ref=(ref[:, :64],), dist=(dist[:, :64],), bit_depth=8)
    copied = FrameInput(ref=(ref[:, :64].copy(),), dist=(dist[:, :64].copy(),), bit_depth=8)
    assert metric.score(strided) == metric.score(copied)


def test_concurrent_scoring_is_identical_to_serial():
    inputs = frames(6, (64, 96))
    metric = vmaf_metric()
    serial = [metric.score(f) for f in inputs]
    results: dict[int, list] = {}

    def work(k):
        results[k] = [metric.score(f) for f in inputs[k % 2::2] * 3]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, got in results.items():
        assert got == serial[k % 2::2] * 3


@pytest.mark.parametrize("bad, message", [
    (lambda r, d: (r, d[:, :-1]), "distorted luma is"),
    (lambda r, d: (r.astype(np.uint16), d.astype(np.uint16)), "uint8"),
    (lambda r, d: (r[:MIN_SIZE - 1], d[:MIN_SIZE - 1]), "at least"),
])
def test_unusable_input_is_a_metric_error(bad, message):
    ref, dist = pair((48, 64))
    r, d = bad(ref, dist)
    with pytest.raises(MetricError, match=message):
        vmaf_metric().score(FrameInput(ref=(r,), dist=(d,), bit_depth=8))


def test_unsupported_bit_depth_is_a_metric_error():
    ref, dist = pair((48, 64), 10)
    with pytest.raises(MetricError, match="bit depth 9"):
        vmaf_metric().score(FrameInput(ref=(ref,), dist=(dist,), bit_depth=9))


def test_maps_have_their_scale_resolution():
    inputs = frames(2, (64, 96))
    metric = vmaf_metric()
    assert metric.maps == MAPS
    for name in MAPS:
        m = metric.compute_map(inputs[1], name)
        assert m.dtype == np.float32 and m.ndim == 2 and np.isfinite(m).all()
        if name.startswith("vif_loss_scale"):
            s = int(name[-1])
            assert m.shape == (64 >> s, 96 >> s)
        elif name.startswith("adm_loss_scale"):
            assert m.shape == adm.band_shapes(64, 96)[int(name[-1])]
        else:
            assert m.shape == (4, 6) and ((m >= 0) & (m <= 100)).all()


def test_maps_show_no_loss_for_identical_frames():
    ref, _ = pair((64, 96))
    frame = FrameInput(ref=(ref,), dist=(ref,), bit_depth=8)
    metric = vmaf_metric()
    for name in MAPS[1:]:
        # libvmaf truncates g^2 sigma1^2 (g just below 1): a VIF pixel may lose one step of
        # its log table, 1/2048 bit, on identical frames
        limit = 1 / 2048 if name.startswith("vif") else 1e-4
        assert np.abs(metric.compute_map(frame, name)).max() <= limit


def test_map_vif_loss_is_the_scale_den_minus_num():
    inputs = frames(1, (64, 96))
    metric = vmaf_metric()
    loss = metric.compute_map(inputs[0], "vif_loss_scale0").sum(dtype=np.float64)
    ref, dist = inputs[0].ref[0], inputs[0].dist[0]
    num, den, _ = nv.vif_scale_terms(ref, dist, 0)
    assert loss == pytest.approx(np.maximum(den - num, 0).sum(), rel=1e-6)


def test_unknown_map_is_a_key_error():
    with pytest.raises(KeyError, match="vmaf_tiles"):
        vmaf_metric().compute_map(frames(1)[0], "nope")


def test_warm_up_compiles_every_kernel():
    assert warm_up() >= 0.0
