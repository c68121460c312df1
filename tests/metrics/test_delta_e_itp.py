"""ΔE ITP: the numba kernel against the numpy reference, and against colour-science's BT.2124
(``colour.delta_E(..., method="ITP")``) on sampled pixels of a real HDR10 frame and an SDR frame."""
from __future__ import annotations

import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import colour
import numpy as np
import pytest

from vqinspect.__main__ import main
from vqinspect.app.media.encode import encode_frames
from vqinspect.app.media.source import open_media
from vqinspect.app.inspector.frame_service import FrameRequest, FrameService, MapSpec
from vqinspect.app.scoring.engine import ScoringJob, colour_description
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.metrics.delta_e_itp import delta_e_itp_map, delta_e_itp_scores
from vqinspect.metrics.registry import FrameInput, MetricError, get_metric
from tests.clips import CLIP_DIR, clip, lossless
from tests.hdr_clips import HDR10_VUI, graded_frame, hdr10_clip, pq_frame
from tests.metrics import naive, naive_colour

SMALL = (320, 180)
PQ = {"matrix": "bt2020", "primaries": "bt2020", "transfer": "pq", "range": "limited", "peak_nits": 1000.0}
DESCRIPTIONS = [
    {"matrix": "bt709", "primaries": "bt709", "transfer": "sdr", "range": "limited", "peak_nits": 1000.0},
    PQ,
    {"matrix": "bt2020", "primaries": "bt2020", "transfer": "hlg", "range": "full", "peak_nits": 600.0},
    {"matrix": "bt601", "primaries": "bt709", "transfer": "pq", "range": "full", "peak_nits": 4000.0},
    {"matrix": "bt2020", "primaries": "bt2020", "transfer": "hlg", "range": "limited", "peak_nits": 1000.0},
]


def hdr10_pair() -> tuple:
    """The graded HDR10 frame as x265 encodes it by default (reference) and at CRF 40."""
    dist = CLIP_DIR / "hdr10_pq_320x180_2_crf40.mkv"
    if not dist.exists():
        encode_frames([pq_frame(graded_frame())] * 2, dist, "libx265", "yuv420p10le",
                      options={"x265-params": f"log-level=error:crf=40:{HDR10_VUI}"})
    return hdr10_clip(frames=2), dist


def colour_science_ictcp(planes: tuple, rows, cols, bit_depth: int, desc: dict) -> np.ndarray:
    """ICtCp of the pixels (rows, cols) by colour-science: Y'CbCr -> R'G'B' (clipped to the
    display's [0, 1]) -> display light (ST 2084, BT.2100 HLG or BT.1886) -> BT.2020 -> ICtCp."""
    y, u, v = planes
    sy, sx = y.shape[0] // u.shape[0], y.shape[1] // u.shape[1]
    ycc = np.stack([y[rows, cols], u[rows // sy, cols // sx], v[rows // sy, cols // sx]], -1).astype(float)
    weights = {"bt709": "ITU-R BT.709", "bt2020": "ITU-R BT.2020", "bt601": "ITU-R BT.601"}[desc["matrix"]]
    rgb = colour.YCbCr_to_RGB(ycc, K=colour.WEIGHTS_YCBCR[weights], in_bits=bit_depth,
                              in_legal=desc["range"] == "limited", in_int=True)
    rgb = np.clip(rgb, 0.0, 1.0)
    if desc["transfer"] == "pq":
        light = colour.models.eotf_ST2084(rgb)
    elif desc["transfer"] == "hlg":
        light = colour.models.eotf_BT2100_HLG(rgb, L_W=desc["peak_nits"])
    else:
        light = colour.models.eotf_BT1886(rgb, L_B=0, L_W=100)
    space = {"bt709": "ITU-R BT.709", "bt2020": "ITU-R BT.2020"}[desc["primaries"]]
    light = colour.RGB_to_RGB(light, colour.RGB_COLOURSPACES[space], colour.RGB_COLOURSPACES["ITU-R BT.2020"])
    return colour.RGB_to_ICtCp(light, method="ITU-R BT.2100-2 PQ", L_p=10000)


def sampled_oracle(ref, dist, bit_depth, desc, n=3000, seed=0):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, ref[0].shape[0], n)
    cols = rng.integers(0, ref[0].shape[1], n)
    expected = colour.delta_E(colour_science_ictcp(ref, rows, cols, bit_depth, desc),
                              colour_science_ictcp(dist, rows, cols, bit_depth, desc), method="ITP")
    return rows, cols, expected


@pytest.mark.parametrize("desc", DESCRIPTIONS, ids=lambda d: f"{d['transfer']}-{d['matrix']}-{d['range']}")
@pytest.mark.parametrize("bit_depth, chroma", [(8, "420"), (10, "422"), (12, "444")])
def test_matches_numpy_reference(desc, bit_depth, chroma):
    ref, dist = naive.synthetic_pair(bit_depth, 47, 63, bit_depth, chroma=True)
    if chroma != "420":
        rows = 47 if chroma in ("422", "444") else 24
        cols = 63 if chroma == "444" else 32
        ref = (ref[0], *(np.resize(p, (rows, cols)) for p in ref[1:]))
        dist = (dist[0], *(np.resize(p, (rows, cols)) for p in dist[1:]))
    got, total = delta_e_itp_map(ref, dist, bit_depth, desc)
    expected = naive_colour.delta_e_itp_map(ref, dist, bit_depth, desc)
    np.testing.assert_allclose(got, expected, rtol=2e-7, atol=2e-6)
    assert total / got.size == pytest.approx(expected.mean(), rel=1e-9)
    scores = delta_e_itp_scores(ref, dist, bit_depth, desc)
    assert scores["delta_e_itp_p99"] == pytest.approx(np.percentile(got, 99), rel=1e-6)


def test_real_hdr10_frame_matches_colour_science():
    ref_path, dist_path = hdr10_pair()
    desc = colour_description(open_media(str(ref_path)))
    assert desc["transfer"] == "pq" and desc["primaries"] == "bt2020" and desc["matrix"] == "bt2020"
    assert desc["range"] == "limited"
    ref, dist = naive.decoded_planes(ref_path, 1)[0], naive.decoded_planes(dist_path, 1)[0]
    got, _ = delta_e_itp_map(ref, dist, 10, desc)
    rows, cols, expected = sampled_oracle(ref, dist, 10, desc)
    assert expected.max() > 5 and np.median(expected) > 0.5  # a real difference, highlights included
    np.testing.assert_allclose(got[rows, cols], expected, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("desc", DESCRIPTIONS[2:3] + DESCRIPTIONS[4:], ids=["hlg-full-600", "hlg-limited"])
def test_hlg_reading_of_the_hdr_frame_matches_colour_science(desc):
    ref = graded_frame()
    rng = np.random.default_rng(5)
    dist = tuple(np.clip(p.astype(np.int64) + rng.integers(-9, 10, p.shape), 0, 1023).astype(np.uint16)
                 for p in ref)
    got, _ = delta_e_itp_map(ref, dist, 10, desc)
    rows, cols, expected = sampled_oracle(ref, dist, 10, desc)
    np.testing.assert_allclose(got[rows, cols], expected, rtol=1e-6, atol=1e-5)


def test_sdr_frame_matches_colour_science_after_bt1886():
    ref_path, dist_path = lossless(frames=2, size=SMALL), clip(crf=35, frames=2, size=SMALL)
    ref, dist = naive.decoded_planes(ref_path, 1)[0], naive.decoded_planes(dist_path, 1)[0]
    for desc in (None, {"matrix": "bt601", "primaries": "bt709", "transfer": "sdr", "range": "limited"}):
        got, _ = delta_e_itp_map(ref, dist, 8, desc)
        oracle_desc = desc or {"matrix": "bt709", "primaries": "bt709", "transfer": "sdr", "range": "limited"}
        rows, cols, expected = sampled_oracle(ref, dist, 8, oracle_desc)
        assert np.median(expected) > 0.5
        np.testing.assert_allclose(got[rows, cols], expected, rtol=1e-6, atol=1e-5)


def test_engine_passes_the_reference_colour_description():
    ref_path, dist_path = hdr10_pair()
    pair = make_pair(open_media(str(ref_path)), open_media(str(dist_path)))
    result = ScoringJob(pair, [get_metric("delta_e_itp")], threads=2).run()
    ref, dist = naive.decoded_planes(ref_path, 2), naive.decoded_planes(dist_path, 2)
    for i in range(2):
        expected = delta_e_itp_scores(ref[i], dist[i], 10, PQ)
        row = {k: float(v) for k, v in result.table.row(i).items()}
        assert row == pytest.approx(expected, rel=1e-12)
        assert expected != pytest.approx(delta_e_itp_scores(ref[i], dist[i], 10, None), rel=1e-3)


def test_inspector_map_uses_the_reference_colour_description():
    ref_path, dist_path = hdr10_pair()
    pair = make_pair(open_media(str(ref_path)), open_media(str(dist_path)))
    maps, done = [], threading.Event()
    service = FrameService({"delta_e_itp": get_metric("delta_e_itp")}, lambda images: None,
                           lambda m: (maps.append(m), done.set()))
    try:
        service.submit(FrameRequest(pair, 1, heatmap=MapSpec("delta_e_itp", "delta_e_itp")))
        assert done.wait(60)
    finally:
        assert service.close()
    assert not maps[0].error and maps[0].style.higher_is_worse
    ref, dist = naive.decoded_planes(ref_path, 2)[1], naive.decoded_planes(dist_path, 2)[1]
    np.testing.assert_array_equal(maps[0].values, delta_e_itp_map(ref, dist, 10, PQ)[0])


def test_score_command_writes_both_metrics(tmp_path):
    ref, dist = lossless(frames=2, size=SMALL), clip(crf=35, frames=2, size=SMALL)
    out = tmp_path / "out.json"
    assert main(["score", str(ref), str(dist), "--metrics", "ciede2000,delta_e_itp", "--json", str(out),
                 "--quiet", "--threads", "2"]) == 0
    data = json.loads(out.read_text())
    assert data["metrics"] == ["ciede2000", "delta_e_itp"]
    keys = {"ciede2000", "delta_e00_mean", "delta_e00_p99", "delta_e_itp_mean", "delta_e_itp_p99"}
    assert set(data["frames"][0]) == {"frame"} | keys and keys <= set(data["pooled"])
    assert all(f["delta_e_itp_p99"] > f["delta_e_itp_mean"] > 0 for f in data["frames"])


def test_identical_frames_give_zero():
    ref, _ = naive.synthetic_pair(1, 30, 40, 10, chroma=True)
    assert delta_e_itp_scores(ref, ref, 10, PQ) == {"delta_e_itp_mean": 0.0, "delta_e_itp_p99": 0.0}


def test_concurrent_calls_equal_serial_calls():
    frames = [naive.synthetic_pair(seed, 90, 120, 10, chroma=True) for seed in range(6)]
    serial = [delta_e_itp_scores(r, d, 10, PQ) for r, d in frames]
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda f: delta_e_itp_scores(f[0], f[1], 10, PQ), frames))
    assert threaded == serial


@pytest.mark.parametrize("colour_desc, message", [
    ({"transfer": "slog3"}, "transfer 'slog3' is not supported"),
    ({"primaries": "smpte431"}, "primaries 'smpte431' is not supported"),
    ({"range": "pc"}, "range 'pc' is not supported"),
    ({"peak_nits": 0}, "peak_nits must be positive"),
])
def test_bad_description_raises_metric_error(colour_desc, message):
    ref, dist = naive.synthetic_pair(1, 8, 8, 8, chroma=True)
    with pytest.raises(MetricError, match=re.escape(message)):
        delta_e_itp_scores(ref, dist, 8, colour_desc)


def test_gray_input_raises_metric_error():
    ref, dist = naive.synthetic_pair(1, 8, 8, 8)
    with pytest.raises(MetricError, match="needs colour"):
        delta_e_itp_scores(ref, dist, 8)


def test_registered_metric():
    metric = get_metric("delta_e_itp")
    assert metric.keys == ("delta_e_itp_mean", "delta_e_itp_p99") and not metric.luma_only
    assert metric.info.map("delta_e_itp").higher_is_worse
    ref, dist = naive.synthetic_pair(2, 30, 40, 10, chroma=True)
    frame = FrameInput(ref, dist, 10, colour=PQ)
    assert metric.score(frame) == delta_e_itp_scores(ref, dist, 10, PQ)
    np.testing.assert_array_equal(metric.compute_map(frame, "delta_e_itp"), delta_e_itp_map(ref, dist, 10, PQ)[0])
