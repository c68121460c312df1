"""VMAF against libvmaf (imageio-ffmpeg's ffmpeg) on real encoded content.

Run as a module to print the accuracy table of the README:
``python -m tests.metrics.vmaf.test_vmaf_oracle``.
"""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from vqinspect.app.media.encode import encode_video
from vqinspect.app.media.footage import footage_path
from vqinspect.metrics.registry import FrameInput
from vqinspect.metrics.vmaf import vmaf_metric
from tests.clips import CLIP_DIR, clip, lossless
from tests.oracle import libvmaf_frames

FEATURES = ("vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "adm2")
SMALL = (640, 360)


def upscaled(small: Path, size: tuple[int, int]) -> Path:
    """``small`` scaled back up to ``size`` (swscale bicubic) and stored losslessly (FFV1)."""
    dst = CLIP_DIR / f"{small.stem}_up_{size[0]}x{size[1]}.mkv"
    if not dst.exists():
        encode_video(small, dst, "ffv1", "yuv420p", crf=None, size=size)
    return dst


PAIRS = {
    "720p x264 crf23": lambda: (lossless(frames=6), clip(codec="libx264", crf=23, frames=6)),
    "360p x264 crf40": lambda: (lossless(frames=8, size=SMALL),
                                clip(codec="libx264", crf=40, frames=8, size=SMALL)),
    "360p x265 crf28": lambda: (lossless(frames=8, size=SMALL),
                                clip(codec="libx265", crf=28, frames=8, size=SMALL)),
    "360p x265 crf40": lambda: (lossless(frames=8, size=SMALL),
                                clip(codec="libx265", crf=40, frames=8, size=SMALL)),
    "360p 10-bit x265 crf30": lambda: (
        lossless(pix_fmt="yuv420p10le", frames=8, size=SMALL),
        clip(codec="libx265", pix_fmt="yuv420p10le", crf=30, frames=8, size=SMALL)),
    "360p 12-bit x265 crf30": lambda: (
        lossless(pix_fmt="yuv420p12le", frames=6, size=SMALL),
        clip(codec="libx265", pix_fmt="yuv420p12le", crf=30, frames=6, size=SMALL)),
    "360p from 320x180 x264 crf28": lambda: (
        lossless(frames=8, size=SMALL),
        upscaled(clip(codec="libx264", crf=28, frames=8, size=(320, 180)), SMALL)),
    "bikes 640x272 x264 crf35": lambda: (lossless("bikes.mp4", frames=8),
                                         clip("bikes.mp4", codec="libx264", crf=35, frames=8)),
    "bikes 640x272 x265 crf28": lambda: (lossless("bikes.mp4", frames=8),
                                         clip("bikes.mp4", codec="libx265", crf=28, frames=8)),
    "carphone pair 176x144": lambda: (footage_path("carphone_pristine.mp4"),
                                      footage_path("carphone_distorted.mp4")),
}
FRAMES = 8
"""Frames scored per pair (the carphone footage is longer: its first ones)."""


def luma(path: Path, n: int) -> tuple[list[np.ndarray], int]:
    """The first ``n`` luma planes of ``path`` in native depth, and the bit depth."""
    planes = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            name = frame.format.name
            bit_depth = 12 if "p12" in name else 10 if "p10" in name else 8
            dtype = np.uint16 if bit_depth > 8 else np.uint8
            p = frame.planes[0]
            row = p.line_size // np.dtype(dtype).itemsize
            data = np.frombuffer(p, dtype=dtype, count=row * p.height)
            planes.append(data.reshape(p.height, row)[:, :p.width].copy())
            if len(planes) == n:
                break
    return planes, bit_depth


def compare(name: str) -> dict[str, float]:
    """Worst and mean differences to libvmaf of every frame that has its successor."""
    ref_path, dist_path = PAIRS[name]()
    refs, bit_depth = luma(ref_path, FRAMES)
    dists, _ = luma(dist_path, FRAMES)
    metric = vmaf_metric()
    raws = [metric.score(FrameInput(ref=(r,), dist=(d,), bit_depth=bit_depth, index=i,
                                    prev_ref=(refs[i - 1],) if i else None))
            for i, (r, d) in enumerate(zip(refs, dists))]
    oracle = libvmaf_frames(ref_path, dist_path, features=())
    n = len(raws) if len(oracle) == len(raws) else len(raws) - 1  # motion2 needs frame n
    ours = [metric.finalize(raws[i], raws[i + 1] if i + 1 < len(raws) else None)
            for i in range(n)]
    ref_vmaf = np.array([o["vmaf"] for o in oracle[:n]])
    our_vmaf = np.array([o["vmaf"] for o in ours])
    row = {"frames": n, "libvmaf mean": ref_vmaf.mean(),
           "vmaf worst": np.abs(our_vmaf - ref_vmaf).max(),
           "vmaf mean diff": abs(our_vmaf.mean() - ref_vmaf.mean())}
    for key in FEATURES + ("motion2",):
        diff = np.abs([o[key] - f[f"integer_{key}"] for o, f in zip(ours, oracle)])
        row[f"{key} worst"] = diff.max()
    return row


@pytest.fixture(scope="module")
def rows():
    return {}


VIF_WORST = 5e-5
"""VIF is libvmaf's integer pipeline bit for bit: only the log's 6 printed decimals differ."""
VMAF_WORST = 1e-3


@pytest.mark.parametrize("name", list(PAIRS))
def test_vmaf_matches_libvmaf(name, rows):
    row = rows.setdefault(name, compare(name))
    assert row["vmaf worst"] <= VMAF_WORST
    for key in FEATURES[:4]:
        assert row[f"{key} worst"] <= VIF_WORST, key
    assert row["adm2 worst"] <= 2e-5
    assert row["motion2 worst"] <= 1e-5


@pytest.mark.parametrize("name", ["360p x264 crf40", "bikes 640x272 x265 crf28"])
def test_named_models_match_libvmaf(name):
    ref_path, dist_path = PAIRS[name]()
    refs, _ = luma(ref_path, FRAMES)
    dists, _ = luma(dist_path, FRAMES)
    for model in ("vmaf_v0.6.1neg", "vmaf_4k_v0.6.1"):
        metric = vmaf_metric(model=model)
        raws = [metric.score(FrameInput(ref=(r,), dist=(d,), bit_depth=8, index=i,
                                        prev_ref=(refs[i - 1],) if i else None))
                for i, (r, d) in enumerate(zip(refs, dists))]
        ours = [metric.finalize(raws[i], raws[i + 1] if i + 1 < len(raws) else None)
                for i in range(len(raws))]
        oracle = libvmaf_frames(ref_path, dist_path, features=(), model=f"version={model}")
        diff = np.abs([o["vmaf"] - f["vmaf"] for o, f in zip(ours, oracle)])
        assert diff.max() <= VMAF_WORST, model
        suffix = "_egl_1" if model.endswith("neg") else ""
        for s in range(4):
            key = f"vif_scale{s}"
            vif_diff = [abs(o[key] - f[f"integer_{key}{suffix}"]) for o, f in zip(ours, oracle)]
            assert max(vif_diff) <= VIF_WORST, (model, key)


def main() -> None:
    """Print the accuracy table (markdown) of every pair."""
    header = None
    for name in PAIRS:
        row = compare(name)
        if header is None:
            header = list(row)
            print("| pair | " + " | ".join(header) + " |")
            print("|---" * (len(header) + 1) + "|")
        cells = [f"{row[k]:.3g}" if isinstance(row[k], float) else str(row[k]) for k in header]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
