"""VMAF v1.0.16 speed against libvmaf on a 1080p pair, and an exhaustive accuracy sweep.

    python -m benchmarks.bench_vmaf1 [--frames N] [--repeats R]   # ratio vs libvmaf n_threads=2
    python -m benchmarks.bench_vmaf1 --sweep                       # every model x every test clip

Speed: ``vqinspect score --metrics vmaf --vmaf-model vmaf_v1.0.16_3d0h`` against ffmpeg's
libvmaf with the same model and n_threads=2, interleaved runs on the same machine, median.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_score import interleaved  # noqa: E402
from benchmarks.common import VQINSPECT, ffmpeg_exe, hd_pair, report  # noqa: E402
from vqinspect.metrics.vmaf.model import WHEEL_MODELS, model_path  # noqa: E402

MODEL = "vmaf_v1.0.16_3d0h"


def libvmaf_cmd(ref: Path, dist: Path, model: str) -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist),
            "-i", str(ref), "-lavfi", f"[0:v][1:v]libvmaf=n_threads=2:model=path={model_path(model)}",
            "-f", "null", "-"]


def speed(frames: int, repeats: int) -> None:
    ref, dist = hd_pair(frames)
    print(f"1080p Big Buck Bunny pair, {frames} frames (x264 CRF 16 vs CRF 30), model {MODEL}")
    ours = VQINSPECT + ["score", str(ref), str(dist), "--metrics", "vmaf", "--vmaf-model", MODEL, "--quiet"]
    t = interleaved({"ours": ours, "libvmaf": libvmaf_cmd(ref, dist, MODEL)}, repeats)
    report(f"score --metrics vmaf --vmaf-model {MODEL}", frames / t["ours"].wall,
           frames / t["libvmaf"].wall, "libvmaf n_threads=2")
    print(f"  CPU time: ours {t['ours'].cpu:.2f} core-s, libvmaf {t['libvmaf'].cpu:.2f} core-s")


def sweep() -> None:
    """Worst per-frame differences to libvmaf of every non-HFR v1 model on every test clip."""
    from tests.clips import clip, lossless
    from tests.metrics.vmaf.test_vmaf1_oracle import oracle_value, score_clip
    from tests.oracle import libvmaf_frames

    clips = {"640x360 8-bit 4:2:0": ("yuv420p", "libx264", (640, 360)),
             "640x360 10-bit 4:2:0": ("yuv420p10le", "libx265", (640, 360)),
             "640x360 8-bit 4:4:4": ("yuv444p", "libx264", (640, 360)),
             "1280x720 8-bit 4:2:0": ("yuv420p", "libx264", (1280, 720)),
             "960x540 10-bit 4:2:0": ("yuv420p10le", "libx265", (960, 540))}
    for name, (pix_fmt, codec, size) in clips.items():
        ref = lossless(pix_fmt=pix_fmt, frames=8, size=size)
        dist = clip(codec=codec, pix_fmt=pix_fmt, crf=35, frames=8, size=size)
        for model in (m for m in WHEEL_MODELS if m.startswith("vmaf_v1") and "hfr" not in m):
            ours = score_clip(model, ref, dist)
            theirs = libvmaf_frames(ref, dist, features=(), model=f"path={model_path(model)}")
            worst: dict[str, float] = {}
            for mine, t in zip(ours, theirs):
                for key, value in mine.items():
                    worst[key] = max(worst.get(key, 0.0), abs(value - oracle_value(t, key)))
            pairs = list(zip(ours, theirs))  # libvmaf logs every frame, we score the first few
            mean = abs(sum(m["vmaf"] - t["vmaf"] for m, t in pairs)) / len(pairs)
            feats = max(v for k, v in worst.items() if k != "vmaf")
            print(f"{name:<22} {model:<24} vmaf worst {worst['vmaf']:.2e} mean {mean:.2e} "
                  f"| worst feature {feats:.2e} ({max((k for k in worst if k != 'vmaf'), key=worst.get)})")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--sweep", action="store_true")
    args = p.parse_args()
    if args.sweep:
        sweep()
    else:
        speed(args.frames, args.repeats)


if __name__ == "__main__":
    main()
