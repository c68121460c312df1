"""The VMAF v1 kernels (ADM3/AIM, SpEED chroma, motion3, model chain) against naive numpy."""
from __future__ import annotations

import json

import numpy as np
import pytest

from vqinspect.metrics.registry import MetricError
from vqinspect.metrics.vmaf import adm, adm3, speed_chroma
from vqinspect.metrics.vmaf.model import VmafModelError, load_model, model_path
from vqinspect.metrics.vmaf.motion3 import MotionOptions, motion_features

RNG = np.random.default_rng(7)


def bands(level: int, shape=(3, 24, 30)) -> tuple[np.ndarray, np.ndarray]:
    """Correlated reference/distorted bands in the range of that level's integers."""
    scale = 2000 if level == 0 else 2 ** 18
    o = RNG.normal(0, scale, shape).astype(np.int64)
    t = (o * RNG.uniform(0.2, 1.2, shape) + RNG.normal(0, scale / 4, shape)).astype(np.int64)
    return o.astype(np.int32), t.astype(np.int32)


def _div_table() -> np.ndarray:
    """libvmaf's adm_div_lookup: trunc(2^30 / x) for x in [-32768, 32768], index x + 32768."""
    x = np.arange(-32768, 32769, dtype=np.int64)
    out = np.zeros(x.size, dtype=np.int64)
    nz = x != 0
    out[nz] = np.sign(x[nz]) * ((1 << 30) // np.abs(x[nz]))
    return out


DIV = _div_table()


def test_reciprocal_quotient_is_libvmafs_table():
    """decouple's float64 quotient 2^30 / q, truncated, is the integer table for every q."""
    q = np.arange(1, 32769, dtype=np.int64)
    np.testing.assert_array_equal((2.0 ** 30 / q.astype(np.float64)).astype(np.int64),
                                  DIV[q + 32768])


def naive_decouple(o: np.ndarray, t: np.ndarray, level: int):
    """libvmaf adm_decouple / adm_decouple_s123 written out with numpy int64 (egl = 1)."""
    o, t = o.astype(np.int64), t.astype(np.int64)
    ot = o[0] * t[0] + o[1] * t[1]
    om = o[0] ** 2 + o[1] ** 2
    tm = t[0] ** 2 + t[1] ** 2
    f = lambda v: v.astype(np.float32).astype(np.float64) / 4096.0  # noqa: E731
    angle = (f(ot) >= 0) & (f(ot) ** 2 >= float(adm3.COS_1DEG_SQ) * f(om) * f(tm))
    a_o = np.abs(o)
    if level == 0:
        e = np.zeros_like(o)
        q = o
        sign = np.ones_like(o)
    else:
        bits = np.where(a_o > 0, np.floor(np.log2(np.maximum(a_o, 1))).astype(np.int64) + 1, 0)
        e = np.where(a_o >= 32768, bits - 15, 0)
        q = np.where(a_o >= 32768, (a_o + (1 << np.maximum(e - 1, 0))) >> e, a_o)
        sign = np.where(o < 0, -1, 1)
    k = (DIV[q + 32768] * t * sign + (1 << (14 + e))) >> (15 + e)
    k = np.where(o == 0, 32768, np.clip(k, 0, 32768))
    r = (k * o + 16384) >> 15
    boost = angle[None] & (k != 0)
    r = np.where(boost & (o > 0), np.minimum(r, t), np.where(boost & (o < 0), np.maximum(r, t), r))
    return r, t - r


@pytest.mark.parametrize("level", [0, 1, 3])
def test_decouple_is_libvmafs(level):
    o, t = bands(level)
    r = np.empty_like(o)
    a = np.empty_like(o)
    adm3.decouple(o, t, level, 1.0, r, a)
    nr, na = naive_decouple(o, t, level)
    np.testing.assert_array_equal(r, nr)
    np.testing.assert_array_equal(a, na)


def naive_masked(z, x, level, fac, region):
    """CSF maps of the masker ``x`` and the masked sums of ``z`` (libvmaf adm_csf / adm_cm)."""
    z, x = z.astype(np.int64), x.astype(np.int64)
    fac = np.asarray(fac, np.int64)[:, None, None]
    if level == 0:
        add = np.array([16384, 16384, 65535])[:, None, None]
        sh = np.array([15, 15, 17])[:, None, None]
        c = ((fac * x + add) >> sh).astype(np.int16).astype(np.int64)
        f = ((4369 * np.abs(c) + 2048) >> 12).astype(np.int16).astype(np.int64)
        centre = ((8738 * np.abs(c) + 2048) >> 12).astype(np.int16).astype(np.int64)
    else:
        c = ((fac * x + (1 << 27)) >> 28).astype(np.int32).astype(np.int64)
        f = ((adm3.I4_ONE_BY_30 * np.abs(c) - (1 << 31)) >> 32).astype(np.int32).astype(np.int64)
        centre = ((adm3.I4_ONE_BY_15 * np.abs(c) - (1 << 31)) >> 32).astype(np.int32).astype(np.int64)
    fp = np.pad(f, ((0, 0), (1, 1), (1, 1)), mode="reflect")  # -1 -> 1 ...
    fp[:, -1, :] = fp[:, -2, :]  # ... and n -> n - 1
    fp[:, :, -1] = fp[:, :, -2]
    _, h, w = z.shape
    box = sum(fp[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1)
              if (dy, dx) != (0, 0))
    thr = (box + centre).sum(axis=0)
    top, bottom, left, right = region
    acc = np.zeros(3, np.int64)
    rs = int(np.ceil(np.log2(h)))
    for b in range(3):
        if level == 0:
            sub, q = (12, 30) if b == 2 else (10, 29)
            cs = int(np.ceil(np.log2(w) - (3 if b == 2 else 4)))
            xb = np.abs((z[b] * fac[b]).astype(np.int32).astype(np.int64)) - (thr << sub)
        else:
            q, cs = 30, int(np.ceil(np.log2(w)))
            xb = np.abs(((z[b] * fac[b] + (1 << 27)) >> 28).astype(np.int32).astype(np.int64)) - thr
        xb = np.maximum(xb, 0)
        xsq = ((xb * xb + (1 << (q - 1))) >> q).astype(np.int32).astype(np.int64)
        val = (xsq * xb + (1 << (cs - 1))) >> cs
        rows = val[top:bottom, left:right].sum(axis=1)
        acc[b] = ((rows + (1 << (rs - 1))) >> rs).sum()
    return acc


@pytest.mark.parametrize("level", [0, 2])
def test_masked_sums_are_libvmafs(level):
    o, t = bands(level)
    r = np.empty_like(o)
    a = np.empty_like(o)
    adm3.decouple(o, t, level, 1.0, r, a)
    fac = adm3.integer_factors(adm3.AdmOptions(csf_mode=2).factors())[level]
    s = np.empty(o.shape[1:], np.int32)
    c = np.empty(o.shape[1:], np.int32)
    adm3.masker_maps(a, level, fac, s, c)
    region = adm.region(*o.shape[1:])
    acc = np.zeros(3, np.int64)
    adm3.masked_sums(r, s, c, level, fac, *region, acc, np.ones(3), np.zeros((3, 0, 0)))
    np.testing.assert_array_equal(acc, naive_masked(r, a, level, fac, region))


def test_csf_factors_are_the_blend_tables():
    ifac = adm3.integer_factors(adm3.AdmOptions(csf_mode=2).factors())
    assert list(ifac[0]) == [24809, 24809, 36087]
    assert list(ifac[1]) == [107485848, 107485848, 50586124]
    with pytest.raises(MetricError, match="no CSF table"):
        adm3.AdmOptions(csf_mode=2, ref_display_height=720).factors()


def test_speed_blur_decimate_and_local_mean_match_numpy():
    plane = RNG.normal(0, 30, (100, 130)).astype(np.float32)
    ours = speed_chroma.blur_decimate(plane, 1.0, 0.0, speed_chroma.ANTIALIAS, 6, 8)
    taps = speed_chroma.ANTIALIAS.astype(np.float64)
    padded = np.pad(plane.astype(np.float64), 4, mode="reflect")
    vert = sum(taps[k] * padded[k:k + 100, :] for k in range(9))
    full = sum(taps[k] * vert[:, k:k + 130] for k in range(9))
    np.testing.assert_allclose(ours, full[::16, ::16][:6, :8], atol=2e-4)
    d = ours.astype(np.float64)
    p = np.pad(d, 1, mode="reflect")
    g = speed_chroma.LOCAL_MEAN.astype(np.float64)
    v = g[0] * p[:-2] + g[1] * p[1:-1] + g[2] * p[2:]
    blur = g[0] * v[:, :-2] + g[1] * v[:, 1:-1] + g[2] * v[:, 2:]
    np.testing.assert_allclose(speed_chroma.remove_local_mean(ours, speed_chroma.LOCAL_MEAN), d - blur,
                               atol=2e-4)


@pytest.mark.parametrize("bit_depth", [8, 10])
def test_speed_blur_of_native_planes_rounds_as_libvmafs_float32_loop(bit_depth):
    """The blur reading native samples rounds each step as libvmaf's float32 C does: the
    picture copy (x / 2^(bits-8) - 128), then each column's taps added in order, then
    each sample's taps along the row; numpy float32 arithmetic, one rounding per operation."""
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    plane = RNG.integers(0, 1 << bit_depth, (70, 90)).astype(dtype)
    ours = speed_chroma.blur_decimate(plane, 1.0 / (1 << (bit_depth - 8)), 128.0, speed_chroma.ANTIALIAS, 4, 5)
    f = plane.astype(np.float32) / np.float32(1 << (bit_depth - 8)) - np.float32(128.0)
    taps = speed_chroma.ANTIALIAS
    rows = np.abs(np.arange(-4, 70 + 4))  # reflect101 of the padded rows ...
    rows = np.where(rows > 69, 2 * 69 - rows, rows)
    vert = np.zeros((4, 90), np.float32)
    for k in range(9):
        vert = vert + taps[k] * f[rows[16 * np.arange(4) + k]]
    cols = np.abs(np.arange(-4, 90 + 4))
    cols = np.where(cols > 89, 2 * 89 - cols, cols)
    expected = np.zeros((4, 5), np.float32)
    for k in range(9):
        expected = expected + taps[k] * vert[:, cols[16 * np.arange(5) + k]]
    np.testing.assert_array_equal(ours, expected)


def test_speed_flat_plane_flags_only_its_own_side():
    """The four sides' linear algebra runs as one stack: a flat (singular) plane among
    them gets s = 0 and the flag, the others what they get alone."""
    textured = [speed_chroma.remove_local_mean(RNG.normal(0, 9, (20, 30)).astype(np.float32),
                                               speed_chroma.LOCAL_MEAN) for _ in range(3)]
    flat = np.zeros((20, 30), np.float32)
    together = speed_chroma.est_params([textured[0], flat, textured[1], textured[2]], 0.29)
    assert [p.singular for p in together] == [False, True, False, False]
    assert not together[1].variance.any()
    for side, alone in zip((0, 2, 3), textured):
        single = speed_chroma.est_params([alone], 0.29)[0]
        np.testing.assert_array_equal(together[side].variance, single.variance)
        np.testing.assert_array_equal(together[side].entropy, single.entropy)


def test_speed_covariance_and_blocks_match_numpy():
    d = RNG.normal(0, 5, (12, 17)).astype(np.float32)
    k = speed_chroma.covariance(d)
    shifts = np.stack([d[r:r + 6, c:c + 11].ravel().astype(np.float64) for r in range(5) for c in range(5)])
    np.testing.assert_allclose(k, np.cov(shifts, bias=True), rtol=1e-5, atol=1e-4)
    y = speed_chroma.block_samples(d)
    assert y.shape == (25, 2 * 3)
    np.testing.assert_array_equal(y[:, 4], d[5:10, 5:10].ravel())  # block (1, 1)


def test_speed_bilinear_matches_numpy():
    src = RNG.normal(0, 50, (40, 60)).astype(np.float32)
    ours = speed_chroma.bilinear(src, 24, 36)
    ys = np.clip((np.arange(24) + 0.5) * 40 / 24 - 0.5, 0, None)
    xs = np.clip((np.arange(36) + 0.5) * 60 / 36 - 0.5, 0, None)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, 39), np.minimum(x0 + 1, 59)
    dy, dx = (ys - y0)[:, None], (xs - x0)[None, :]
    s = src.astype(np.float64)
    ref = ((1 - dy) * (1 - dx) * s[y0][:, x0] + (1 - dy) * dx * s[y0][:, x1]
           + dy * (1 - dx) * s[y1][:, x0] + dy * dx * s[y1][:, x1])
    np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_speed_refuses_planes_libvmaf_crashes_on():
    with pytest.raises(MetricError, match="SpEED chroma needs"):
        speed_chroma.plane_dims(136, 320, 0.5)


def naive_flush(sad: list[float], opts: MotionOptions) -> list[tuple[float, float]]:
    """libvmaf integer_motion.c ``flush``: (motion2, motion3) of every frame from all SADs."""
    n, m = len(sad), opts.stride
    motion2 = []
    for i in range(n):
        if i < m:
            motion2.append(0.0)
        elif i == n - 1:
            motion2.append(sad[i])
        elif i - m + 1 >= m:
            motion2.append(min(sad[i - m + 1], sad[i + 1]))
        else:
            motion2.append(sad[i + 1])
    stamp = min(sad[m], opts.max_val) if n > m else 0.0
    p = [min(v, opts.max_val) for v in motion2]
    out = []
    for i in range(n):
        if i < m:
            out.append((motion2[i], stamp))
        elif opts.moving_average:
            out.append((motion2[i], (p[i] + (stamp if i - 1 < m else p[i - 1])) / 2))
        else:
            out.append((motion2[i], p[i]))
    return out


@pytest.mark.parametrize("opts", [MotionOptions(max_val=18.0),
                                  MotionOptions(max_val=18.0, five_frame_window=True, moving_average=True),
                                  MotionOptions(max_val=3.0, moving_average=True),
                                  MotionOptions(max_val=18.0, five_frame_window=True)])
def test_motion_windows_are_libvmafs_flush(opts):
    """Each frame's motion2/motion3 from its window of raw values, as libvmaf's flush gives them
    from the whole clip: frames before the first SAD take the stamp, the last uses its own SAD."""
    for n in range(1, 8):
        sad = [0.0 if i < opts.stride else float(RNG.uniform(0.5, 5.0)) for i in range(n)]
        samples = [(sad[i], i >= opts.stride) for i in range(n)]
        for i, (motion2, motion3) in enumerate(naive_flush(sad, opts)):
            window = [samples[j] if 0 <= j < n else None for j in range(i - 2, i + 3)]
            window[:2 - opts.history] = [None] * (2 - opts.history)  # what finalize is given
            window[3 + opts.lookahead:] = [None] * (2 - opts.lookahead)
            got = motion_features(window, opts)
            assert got["motion2"] == motion2 and got["motion3"] == pytest.approx(motion3, abs=1e-15)
            assert got["motion"] == sad[i]


def test_motion3_takes_the_next_frames_motion_on_frame_0():
    opts = MotionOptions(max_val=18.0)
    window = [None, None, (0.0, False), (2.5, True), None]
    assert motion_features(window, opts) == {"motion": 0.0, "motion2": 0.0, "motion3": 2.5}
    hfr = MotionOptions(max_val=18.0, five_frame_window=True, moving_average=True)
    assert hfr.lookahead == 2 and hfr.history == 2 and hfr.stride == 2
    window = [None, None, (0.0, False), (0.0, False), (4.0, True)]
    assert motion_features(window, hfr)["motion3"] == 4.0


def test_chroma_correction_replaces_a_zero_speed():
    model = load_model("vmaf_v1.0.16_3d0h")
    assert model.features == ("vmaf_cambi", "speed_chroma_uv", "adm3", "motion3")
    zero = np.array([[1.0, 0.0, 0.95, 2.0]])
    subst = np.array([[1.0, 120.0 * (1 - 0.95), 0.95, 2.0]])
    assert model.predict(zero)[0] == pytest.approx(model.predict(subst)[0], abs=1e-9)
    assert model.predict(zero)[0] != pytest.approx(model.predict(np.array([[1.0, 1e-3, 0.95, 2.0]]))[0])


def test_v1_transform_and_clip_follow_the_file():
    md = json.loads(model_path("vmaf_v1.0.16_3d0h_2160").read_text())["model_dict"]
    model = load_model("vmaf_v1.0.16_3d0h_2160")
    values = np.array([[0.5, 3.0, 0.97, 1.0], [0.0, 0.0, 1.0, 0.0]])
    raw = model.raw(values)
    np.testing.assert_allclose(model.predict(values), np.clip(raw + 5.0, 0, md["score_clip"][1]))


def test_unsupported_feature_names_what_is_supported(tmp_path):
    data = json.loads(model_path("vmaf_v1.0.16_3d0h").read_text())
    data["model_dict"]["feature_names"][0] = "Ciede_feature_ciede2000_score"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    with pytest.raises(VmafModelError, match="ciede2000_score' is not supported .supported: .*adm3"):
        load_model(path)
