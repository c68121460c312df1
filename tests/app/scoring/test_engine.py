"""The engine against direct per-frame computation, offsets, ranges, scaling, cancel, breaks."""
import threading

import numpy as np
import pytest

from vqinspect.app.scoring.engine import ScoringJob
from vqinspect.app.shared.errors import PairingError
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.metrics.registry import FrameInput, get_metric
from tests.clips import clip, lossless
from tests.oracle import libvmaf_frames

SMALL = (320, 180)


@pytest.fixture(scope="module")
def pair_paths():
    return lossless(frames=24, size=SMALL), clip(frames=24, size=SMALL, crf=36,
                                                  options={"x264-params": "keyint=8:bframes=3"})


def _run(pair, names=("psnr", "ssim"), threads=2, **kw):
    return ScoringJob(pair, [get_metric(n) for n in names], threads, **kw).run()


def test_engine_equals_direct_computation(pair_paths):
    ref, dist = (open_media(p) for p in pair_paths)
    result = _run(make_pair(ref, dist))
    psnr, ssim = get_metric("psnr"), get_metric("ssim")
    with ref.reader() as rr, dist.reader() as dr:
        for i in range(24):
            frame = FrameInput(rr.frame(i), dr.frame(i), 8, i)
            expected = {**psnr.score(frame), **ssim.score(frame)}
            assert result.table.row(i) == pytest.approx(expected, abs=1e-12)
    assert result.status == "complete" and result.table.count == 24


def test_thread_count_does_not_change_results(pair_paths):
    pair = make_pair(*(open_media(p) for p in pair_paths))
    one, two = _run(pair, threads=1), _run(pair, threads=2)
    for key in one.table.keys:
        assert np.array_equal(one.table.column(key), two.table.column(key))


@pytest.mark.parametrize("drop_from", ["distorted", "reference"])
def test_offset_either_sign_finds_identical_frames(drop_from):
    full = lossless(frames=20, size=SMALL)
    late = lossless(frames=17, size=SMALL, start_frame=3)   # its frame j is full's frame j+3
    ref, dist = (full, late) if drop_from == "distorted" else (late, full)
    offset = -3 if drop_from == "distorted" else 3
    pair = make_pair(open_media(ref), open_media(dist), offset)
    assert pair.frames == 17
    result = _run(pair, ["psnr"])
    assert np.all(result.table.column("psnr_y") == 60.0)  # identical frames: libvmaf's 8-bit cap
    wrong = _run(make_pair(open_media(ref), open_media(dist), 0), ["psnr"])
    assert np.all(wrong.table.column("psnr_y") < 40)


def test_frame_range_gives_the_same_values(pair_paths):
    pair = make_pair(*(open_media(p) for p in pair_paths))
    full = _run(pair)
    part = _run(make_pair(*(open_media(p) for p in pair_paths), frames=(5, 11)))
    assert list(part.table.scored_frames()) == list(range(5, 11))
    for f in range(5, 11):
        assert part.table.row(f) == full.table.row(f)


def test_no_overlap_and_rate_mismatch_are_clear_errors(pair_paths):
    ref, dist = (open_media(p) for p in pair_paths)
    with pytest.raises(PairingError, match="no overlapping frames"):
        make_pair(ref, dist, offset=30)
    with pytest.raises(PairingError, match="no overlapping frames"):
        make_pair(ref, dist, frames=(40, 50))
    other_rate = open_media(clip(frames=24, size=SMALL, rate=30))
    with pytest.raises(PairingError, match="frame rates differ"):
        make_pair(ref, other_rate)
    forced = make_pair(ref, other_rate, force_rate=True)
    assert forced.frames == 24 and "paired by frame index" in forced.alignment()["notes"][0]


def test_scaled_distorted_matches_ffmpeg_scale_filter():
    """The distorted clip is scaled as FFmpeg's bicubic `scale` filter would: libvmaf agrees."""
    ref = lossless(frames=6)
    small = clip(frames=6, size=(640, 360), crf=30)
    pair = make_pair(open_media(ref), open_media(small))
    assert pair.alignment()["scaled"] and pair.alignment()["scaler"] == "bicubic"
    ours = _run(pair, ["psnr"])
    oracle = libvmaf_frames(ref, small, features=("psnr",), extra_filter="scale=1280:720:flags=bicubic")
    for i, o in enumerate(oracle):
        assert ours.table.row(i)["psnr_y"] == pytest.approx(o["psnr_y"], abs=0.01)
        assert ours.table.row(i)["psnr_u"] == pytest.approx(o["psnr_cb"], abs=0.01)


def test_cancel_stops_early_and_leaves_no_threads(pair_paths):
    pair = make_pair(*(open_media(p) for p in pair_paths))
    job = ScoringJob(pair, [get_metric("psnr"), get_metric("ssim")], 2)
    job.on_progress = lambda p: job.cancel() if p.done >= 3 else None
    result = job.run()
    assert result.status == "cancelled" and 3 <= result.table.count < 24
    assert not [t for t in threading.enumerate() if t.name.startswith("vq-")]


def test_stream_breaking_midway_scores_what_decoded(tmp_path):
    good = clip(frames=30, size=SMALL, container="mkv", crf=30)
    data = good.read_bytes()
    broken = tmp_path / "broken.mkv"
    broken.write_bytes(data[: len(data) * 2 // 3])
    ref = open_media(lossless(frames=30, size=SMALL))
    result = _run(make_pair(ref, open_media(broken)), ["psnr"])
    assert result.status == "broken"
    assert 0 < result.table.count < 30
    assert any(str(broken) in p for p in result.problems)


def test_progress_reports_rate_and_eta(pair_paths):
    pair = make_pair(*(open_media(p) for p in pair_paths))
    seen = []
    _run(pair, ["psnr"], on_progress=seen.append)
    assert [p.done for p in seen] == list(range(1, 25))
    assert all(p.total == 24 and p.fps > 0 for p in seen) and seen[-1].eta == 0


def test_vmaf_subrange_values_are_final_and_range_independent(pair_paths):
    """motion needs frame i-1 and motion2 frame i+1: a sub-range must still give full-run values."""
    pair = make_pair(*(open_media(p) for p in pair_paths))
    full = _run(pair, ["vmaf"])
    assert full.status == "complete" and full.table.count == 24
    part = _run(make_pair(*(open_media(p) for p in pair_paths), frames=(6, 13)), ["vmaf"])
    assert list(part.table.scored_frames()) == list(range(6, 13))
    for f in range(6, 13):
        assert part.table.row(f) == pytest.approx(full.table.row(f), abs=1e-9)
    motion = full.table.column("motion")
    assert full.table.row(0)["motion"] == 0
    assert np.allclose(full.table.column("motion2")[:-1], np.minimum(motion[:-1], motion[1:]))
    assert full.table.row(23)["motion2"] == full.table.row(23)["motion"]


def test_vmaf_against_libvmaf_through_the_engine(pair_paths):
    pair = make_pair(*(open_media(p) for p in pair_paths))
    ours = _run(pair, ["vmaf"])
    oracle = libvmaf_frames(*pair_paths, features=())
    for i, o in enumerate(oracle):
        assert ours.table.row(i)["vmaf"] == pytest.approx(o["vmaf"], abs=0.05)
        assert ours.table.row(i)["motion2"] == pytest.approx(o["integer_motion2"], abs=0.01)


@pytest.mark.parametrize("names", [("psnr",), ("vmaf",)])
@pytest.mark.parametrize("span", [(0, 24), (5, 11), (20, 24)])
def test_a_decoder_started_before_the_metrics_gives_the_same_table(pair_paths, names, span):
    """The CLI starts decoding before it knows the metrics (PairDecoder.covering); the job
    must then skip the extra frame before or after its range, or use it (VMAF's motion)."""
    from vqinspect.app.scoring.engine import PairDecoder

    ref, dist = (open_media(p) for p in pair_paths)
    pair = make_pair(ref, dist, 0, span)
    alone = _run(pair, names)
    handed = _run(pair, names, decoder=PairDecoder.covering(pair))
    assert handed.status == alone.status == "complete"
    assert handed.table.count == alone.table.count == span[1] - span[0]
    for key in alone.table.keys:
        assert np.array_equal(handed.table.column(key), alone.table.column(key), equal_nan=True)
    assert not [t for t in threading.enumerate() if t.name.startswith("vq-decode")]
