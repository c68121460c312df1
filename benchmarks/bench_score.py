"""Whole-command throughput of `vqinspect score` against ffmpeg on a 1080p pair.

Prints throughput of both and their ratio in the same run (ratio > 1: we are faster),
their CPU time, our floor (the same command without metrics: Python, opening and decoding
both clips) against ffmpeg's job and its decode-only run, plain PyAV decoding, the cold numba compile time, and
peak memory on a short and a long clip (it must not grow with clip length) and, on AVX-512
CPUs, our VMAF with 512-bit against numba's default 256-bit vectors.

    .venv/bin/python benchmarks/bench_score.py [--frames 264] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (VQINSPECT, Timed, ffmpeg_exe, hd_pair, report, run_timed,  # noqa: E402
                               synthetic_clip)

FLOOR = Path(__file__).resolve().parent / "decode_floor.py"


def ffmpeg_psnr_ssim(ref: Path, dist: Path) -> list[str]:
    graph = "[0:v]split[d1][d2];[1:v]split[r1][r2];[d1][r1]psnr;[d2][r2]ssim"
    return [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
            "-lavfi", graph, "-f", "null", "-"]


def ffmpeg_libvmaf(ref: Path, dist: Path, features: str = "") -> list[str]:
    opts = "n_threads=2" + (f":feature={features}" if features else "")
    return [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
            "-lavfi", f"[0:v][1:v]libvmaf={opts}", "-f", "null", "-"]


def ffmpeg_decode(ref: Path, dist: Path) -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
            "-map", "0:v", "-f", "null", "-", "-map", "1:v", "-f", "null", "-"]


def cold_compile_seconds(metrics: str) -> float:
    """Kernel compile time with an empty numba cache (a fresh process, NUMBA_CACHE_DIR=tmp)."""
    code = ("import time; from vqinspect.app.cli.options import parse_metrics; from vqinspect.app.scoring.warmup import warm_up; "
            f"m = parse_metrics('{metrics}'); t = time.perf_counter(); warm_up(m, 8); "
            "print(time.perf_counter() - t)")
    import subprocess

    with tempfile.TemporaryDirectory() as cache:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**__import__("os").environ, "NUMBA_CACHE_DIR": cache},
                             cwd=Path(__file__).resolve().parent.parent)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=264)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--only", choices=("psnr-ssim", "vmaf", "memory"), help="run one part only")
    args = p.parse_args()
    ref, dist = hd_pair(args.frames)
    n = args.frames
    print(f"1080p Big Buck Bunny pair, {n} frames (x264 CRF 16 vs CRF 30)")
    if args.only in (None, "psnr-ssim"):
        psnr_ssim(ref, dist, n, args.repeats)
    if args.only in (None, "vmaf"):
        compare(n, VQINSPECT + ["score", str(ref), str(dist), "--metrics", "vmaf", "--quiet"],
                ffmpeg_libvmaf(ref, dist), "score --metrics vmaf", "libvmaf n_threads=2", args.repeats)
        compare(n, VQINSPECT + ["score", str(ref), str(dist), "--metrics", "psnr,ssim,vmaf", "--quiet"],
                ffmpeg_libvmaf(ref, dist, "name=psnr|name=float_ssim"), "score --metrics psnr,ssim,vmaf",
                "libvmaf+psnr+float_ssim", args.repeats)
        print(f"cold JIT compile of the VMAF kernels: {cold_compile_seconds('vmaf'):.1f} s")
        vector_width(ref, dist, n, args.repeats)
    if args.only in (None, "memory"):
        memory()


def psnr_ssim(ref: Path, dist: Path, n: int, repeats: int) -> None:
    ours_cmd = VQINSPECT + ["score", str(ref), str(dist), "--metrics", "psnr,ssim", "--quiet"]
    t = interleaved({"ours": ours_cmd, "one frame": ours_cmd + ["--frames", "0:1"],
                     "floor": [sys.executable, str(FLOOR), str(ref), str(dist)],
                     "plain": [sys.executable, str(FLOOR), str(ref), str(dist), "--plain"],
                     "ffmpeg": ffmpeg_psnr_ssim(ref, dist), "ffmpeg decode": ffmpeg_decode(ref, dist)},
                    repeats)
    ours, floor, ffmpeg, ffdec = t["ours"], t["floor"], t["ffmpeg"], t["ffmpeg decode"]
    report("score --metrics psnr,ssim (whole command)", n / ours.wall, n / ffmpeg.wall, "ffmpeg psnr+ssim")
    print(f"  CPU time: ours {ours.cpu:.2f} core-s, ffmpeg {ffmpeg.cpu:.2f} core-s; fixed start-up "
          f"(imports, probing, cached kernels, 1 frame) {t['one frame'].wall:.2f} s")
    report("our floor: the command without metrics", n / floor.wall, n / ffmpeg.wall, "ffmpeg psnr+ssim")
    report("decode both clips only (whole process)", n / floor.wall, n / ffdec.wall, "ffmpeg decode")
    report("  the same with plain PyAV", n / t["plain"].wall, n / ffdec.wall, "ffmpeg decode")
    print(f"  CPU the metrics add: ours {ours.cpu - floor.cpu:.2f} core-s "
          f"({(ours.cpu - floor.cpu) / n * 1e3:.1f} ms/frame: numba, kernels), ffmpeg's psnr+ssim "
          f"filters {ffmpeg.cpu - ffdec.cpu:.2f} core-s ({(ffmpeg.cpu - ffdec.cpu) / n * 1e3:.1f} ms/frame)")
    print(f"cold JIT compile of psnr,ssim,ms_ssim kernels: {cold_compile_seconds('psnr,ssim,ms_ssim'):.1f} s")


def compare(n: int, ours_cmd: list[str], anchor_cmd: list[str], label: str, anchor: str, repeats: int) -> None:
    t = interleaved({"ours": ours_cmd, "anchor": anchor_cmd}, repeats)
    report(label, n / t["ours"].wall, n / t["anchor"].wall, anchor)
    print(f"  CPU time: ours {t['ours'].cpu:.2f} core-s, {anchor} {t['anchor'].cpu:.2f} core-s")


def vector_width(ref: Path, dist: Path, n: int, repeats: int) -> None:
    """``score --metrics vmaf`` with the 512-bit vectors we ask numba for on AVX-512 hosts
    (``metrics/vector_width.py``) against numba's default 256 bits."""
    import llvmlite.binding as llvm

    from vqinspect.metrics.vector_width import wide_vector_features

    if wide_vector_features() is None:
        print("vector width: no AVX-512 on this CPU, the kernels use numba's default")
        return
    cmd = VQINSPECT + ["score", str(ref), str(dist), "--metrics", "vmaf", "--quiet"]
    default = ["env", f"NUMBA_CPU_FEATURES={llvm.get_host_cpu_features().flatten()}", *cmd]
    t = interleaved({"512": cmd, "256": default}, repeats)
    report("score --metrics vmaf, 512-bit vectors", n / t["512"].wall, n / t["256"].wall, "256-bit")
    print(f"  CPU time: 512-bit {t['512'].cpu:.2f} core-s, 256-bit {t['256'].cpu:.2f} core-s")


def interleaved(commands: dict[str, list[str]], repeats: int) -> dict[str, Timed]:
    """Each command once to warm up (the numba cache), then ``repeats`` rounds of all of them
    in turn so that all see the same machine load; the median wall and CPU time of each."""
    for cmd in commands.values():
        run_timed(cmd)
    runs: dict[str, list[Timed]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            runs[name].append(run_timed(cmd))
    return {name: Timed(statistics.median(r.wall for r in rs), statistics.median(r.cpu for r in rs),
                        max(r.rss_kib for r in rs)) for name, rs in runs.items()}


def memory() -> None:
    short, long = synthetic_clip(200), synthetic_clip(2000)
    rss = []
    for clip in (short, long):
        run = run_timed(VQINSPECT + ["score", str(clip), str(clip), "--metrics", "psnr,ssim,ms_ssim", "--quiet"])
        rss.append(run.rss_kib / 1024)
    print(f"peak RSS, 200 vs 2000 frames (320x180): {rss[0]:.0f} MiB vs {rss[1]:.0f} MiB "
          f"| ratio {rss[1] / rss[0]:.2f}x (bounded if ~1)")


if __name__ == "__main__":
    main()
