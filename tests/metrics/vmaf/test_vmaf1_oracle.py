"""The VMAF v1.0.16 models against libvmaf (imageio-ffmpeg's ffmpeg) on real encodes.

Every feature the models use (CAMBI, SpEED chroma u/v/uv, adm2/aim/adm3 and the ADM scales,
motion/motion2/motion3) within 1e-4 per frame of libvmaf's logged value, and the final vmaf
within 0.05 per frame and 0.01 on the mean, at 8 and 10 bits, 4:2:0 and 4:4:4, with a
2160p-referenced model. Exhaustive sweeps: ``python -m benchmarks.bench_vmaf1 --sweep``.
"""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vqinspect.metrics.registry import FrameInput
from vqinspect.metrics.vmaf import vmaf_metric
from vqinspect.metrics.vmaf.model import model_path
from tests.clips import clip, lossless
from tests.oracle import libvmaf_frames

FRAMES = 5
CASES = {
    # name: (model, pix_fmt, codec, size)
    "8-bit 4:2:0 3d0h": ("vmaf_v1.0.16_3d0h", "yuv420p", "libx264", (640, 360)),
    "10-bit 4:2:0 3d0h": ("vmaf_v1.0.16_3d0h", "yuv420p10le", "libx265", (640, 360)),
    "8-bit 4:4:4 5d0h": ("vmaf_v1.0.16_5d0h", "yuv444p", "libx264", (640, 360)),
    "8-bit 4:4:4 1d5h_2160": ("vmaf_v1.0.16_1d5h_2160", "yuv444p", "libx264", (640, 360)),
    "10-bit 4:2:0 3d0h_2160": ("vmaf_v1.0.16_3d0h_2160", "yuv420p10le", "libx265", (960, 540)),
}


def planes(path: Path, n: int) -> tuple[list[tuple[np.ndarray, ...]], int]:
    """The first ``n`` frames' (Y, U, V) planes in native depth, and the bit depth."""
    frames = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            bit_depth = 10 if "p10" in frame.format.name else 8
            dtype = np.dtype(np.uint16 if bit_depth > 8 else np.uint8)
            out = []
            for p in frame.planes:
                row = p.line_size // dtype.itemsize
                data = np.frombuffer(p, dtype=dtype, count=row * p.height)
                out.append(data.reshape(p.height, row)[:, :p.width].copy())
            frames.append(tuple(out))
            if len(frames) == n:
                break
    return frames, bit_depth


def oracle_value(frame: dict, key: str) -> float:
    """libvmaf's logged value of our key (its names carry the options as a suffix)."""
    if key == "vmaf":
        return frame["vmaf"]
    prefix = {"vmaf_cambi": "cambi_", "motion": "VMAF_integer_feature_motion_sad_score_"}.get(key)
    prefix = prefix or (f"{key}_" if key.startswith("speed") else f"integer_{key}_")
    hits = [v for k, v in frame.items() if k.startswith(prefix)]
    assert len(hits) == 1, (key, sorted(frame))
    return hits[0]


def score_clip(model: str, ref: Path, dist: Path) -> list[dict]:
    refs, bit_depth = planes(ref, FRAMES)
    dists, _ = planes(dist, FRAMES)
    metric = vmaf_metric(model=model)
    raws = [metric.score(FrameInput(r, d, bit_depth, i, refs[i - 1] if i else None))
            for i, (r, d) in enumerate(zip(refs, dists))]
    return [metric.finalize(raws[i], raws[i + 1] if i + 1 < len(raws) else None)
            for i in range(len(raws))]


@pytest.fixture(scope="module", params=list(CASES))
def compared(request):
    model, pix_fmt, codec, size = CASES[request.param]
    ref = lossless(pix_fmt=pix_fmt, frames=FRAMES, size=size)
    dist = clip(codec=codec, pix_fmt=pix_fmt, crf=35, frames=FRAMES, size=size)
    return score_clip(model, ref, dist), libvmaf_frames(ref, dist, features=(),
                                                        model=f"path={model_path(model)}")


def test_every_feature_within_1e4_of_libvmaf(compared):
    ours, oracle = compared
    assert len(ours) == len(oracle) == FRAMES
    for mine, theirs in zip(ours, oracle):
        for key, value in mine.items():
            if key != "vmaf":
                assert abs(value - oracle_value(theirs, key)) <= 1e-4, key
    assert any(m["speed_chroma_uv"] > 0 for m in ours) or all(
        oracle_value(t, "speed_chroma_uv") == 0 for t in oracle)


def test_vmaf_within_005_per_frame_and_001_on_the_mean(compared):
    ours, oracle = compared
    mine = np.array([m["vmaf"] for m in ours])
    theirs = np.array([t["vmaf"] for t in oracle])
    assert np.abs(mine - theirs).max() <= 0.05
    assert abs(mine.mean() - theirs.mean()) <= 0.01


HFR_FRAMES = 8


@pytest.fixture(scope="module")
def hfr_compared():
    """The HFR model through the scoring engine (two frames of look-ahead and of history) on a
    real x265 encode of the bikes footage, and libvmaf's log of the same pair."""
    from vqinspect.app.media.source import open_media
    from vqinspect.app.scoring.engine import ScoringJob
    from vqinspect.app.scoring.pairing import make_pair

    model = "vmaf_v1.0.16_hfr_3d0h"
    ref = lossless("bikes.mp4", frames=HFR_FRAMES)
    dist = clip("bikes.mp4", codec="libx265", crf=28, frames=HFR_FRAMES)
    result = ScoringJob(make_pair(open_media(ref), open_media(dist)),
                        [vmaf_metric(model=model)], threads=2).run()
    ours = [result.table.row(i) for i in range(HFR_FRAMES)]
    return ours, libvmaf_frames(ref, dist, features=(), model=f"path={model_path(model)}")


def test_hfr_model_matches_libvmaf_through_the_engine(hfr_compared):
    ours, oracle = hfr_compared
    assert len(oracle) == HFR_FRAMES
    for mine, theirs in zip(ours, oracle):
        for key in ("vmaf_cambi", "speed_chroma_uv", "adm3", "motion", "motion2", "motion3"):
            assert abs(mine[key] - oracle_value(theirs, key)) <= 1e-4, key
        assert abs(mine["vmaf"] - theirs["vmaf"]) <= 0.05
    motion3 = [m["motion3"] for m in ours]
    assert motion3[0] == motion3[1] > 0  # frames 0 and 1 take the stamp: the SAD of frame 2
