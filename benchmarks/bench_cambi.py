"""CAMBI throughput: `vqinspect score --metrics cambi` against libvmaf's cambi feature.

Both whole commands on the same 1080p pair in the same run (libvmaf inside imageio-ffmpeg's
ffmpeg, n_threads=2, no VMAF model: ``model=`` leaves only the cambi feature). Prints the
throughput of both and their ratio (> 1: we are faster), and their CPU time. With
``--with-vmaf`` also what CAMBI adds to a VMAF v0.6.1 run, for both tools.

    .venv/bin/python benchmarks/bench_cambi.py [--frames 264] [--repeats 3] [--with-vmaf]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_score import interleaved  # noqa: E402
from benchmarks.common import VQINSPECT, ffmpeg_exe, hd_pair, report  # noqa: E402


def libvmaf(ref: Path, dist: Path, features: str, model: bool = False) -> list[str]:
    opts = "n_threads=2" + ("" if model else ":model=") + (f":feature={features}" if features else "")
    return [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
            "-lavfi", f"[0:v][1:v]libvmaf={opts}", "-f", "null", "-"]


def ours(ref: Path, dist: Path, metrics: str) -> list[str]:
    return VQINSPECT + ["score", str(ref), str(dist), "--metrics", metrics, "--quiet"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=264)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--with-vmaf", action="store_true", help="also measure what CAMBI adds to a VMAF run")
    args = p.parse_args()
    ref, dist = hd_pair(args.frames)
    n = args.frames
    print(f"1080p Big Buck Bunny pair, {n} frames (x264 CRF 16 vs CRF 30)")
    t = interleaved({"ours": ours(ref, dist, "cambi"), "libvmaf": libvmaf(ref, dist, "name=cambi")}, args.repeats)
    report("score --metrics cambi", n / t["ours"].wall, n / t["libvmaf"].wall, "libvmaf cambi n_threads=2")
    print(f"  CPU time: ours {t['ours'].cpu:.2f} core-s, libvmaf {t['libvmaf'].cpu:.2f} core-s "
          f"(CPU ratio {t['libvmaf'].cpu / t['ours'].cpu:.2f}x)")
    if args.with_vmaf:
        t = interleaved({"ours vmaf": ours(ref, dist, "vmaf"), "ours vmaf+cambi": ours(ref, dist, "vmaf,cambi"),
                         "libvmaf vmaf": libvmaf(ref, dist, "", model=True),
                         "libvmaf vmaf+cambi": libvmaf(ref, dist, "name=cambi", model=True)}, args.repeats)
        for tool in ("ours", "libvmaf"):
            base, both = t[f"{tool} vmaf"], t[f"{tool} vmaf+cambi"]
            print(f"  CAMBI added to a VMAF run, {tool}: +{(both.wall / base.wall - 1) * 100:.0f} % wall, "
                  f"+{(both.cpu - base.cpu) / n * 1e3:.1f} ms CPU per frame")


if __name__ == "__main__":
    main()
