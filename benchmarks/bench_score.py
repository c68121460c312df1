"""Whole-command throughput of `vqinspect score` against ffmpeg on a 1080p pair.

Prints throughput of both and their ratio in the same run (ratio > 1: we are faster),
decode-only throughput, the cold numba compile time, and peak memory on a short and
a long clip (it must not grow with clip length).

    .venv/bin/python benchmarks/bench_score.py [--frames 264] [--repeats 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (VQINSPECT, best_of, ffmpeg_exe, hd_pair, report, run_timed,  # noqa: E402
                               synthetic_clip)


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


def our_decode_fps(ref: Path, dist: Path) -> float:
    """Both clips decoded to planes by our media layer, one thread each (as the engine does)."""
    from app.media import open_media

    sources = [open_media(ref), open_media(dist)]
    n = sources[0].info.frame_count

    def drain(source):
        with source.reader() as r:
            for _ in r.frames(0, n):
                pass

    t0 = time.perf_counter()
    threads = [threading.Thread(target=drain, args=(s,)) for s in sources]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return n / (time.perf_counter() - t0)


def cold_compile_seconds(metrics: str) -> float:
    """Kernel compile time with an empty numba cache (a fresh process, NUMBA_CACHE_DIR=tmp)."""
    code = ("import time; from app.cli import parse_metrics; from app.jit import warm_up; "
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
        ours_cmd = VQINSPECT + ["score", str(ref), str(dist), "--metrics", "psnr,ssim", "--quiet"]
        ours = compare(n, ours_cmd, ffmpeg_psnr_ssim(ref, dist), "score --metrics psnr,ssim (whole command)",
                       "ffmpeg psnr+ssim", args.repeats)
        startup = best_of(ours_cmd + ["--frames", "0:1"], args.repeats)
        print(f"  of which fixed start-up (imports, probing, cached kernels, 1 frame): {startup:.2f} s; "
              f"steady state {(n - 1) / max(ours - startup, 1e-9):.1f} fps")
        ffdec = best_of(ffmpeg_decode(ref, dist), args.repeats)
        report("decode both clips only", our_decode_fps(ref, dist), n / ffdec, "ffmpeg decode")
        print(f"cold JIT compile of psnr,ssim,ms_ssim kernels: {cold_compile_seconds('psnr,ssim,ms_ssim'):.1f} s")
    if args.only in (None, "vmaf"):
        compare(n, VQINSPECT + ["score", str(ref), str(dist), "--metrics", "vmaf", "--quiet"],
                ffmpeg_libvmaf(ref, dist), "score --metrics vmaf", "libvmaf n_threads=2", args.repeats)
        compare(n, VQINSPECT + ["score", str(ref), str(dist), "--metrics", "psnr,ssim,vmaf", "--quiet"],
                ffmpeg_libvmaf(ref, dist, "name=psnr|name=float_ssim"), "score --metrics psnr,ssim,vmaf",
                "libvmaf+psnr+float_ssim", args.repeats)
        print(f"cold JIT compile of the VMAF kernels: {cold_compile_seconds('vmaf'):.1f} s")
    if args.only in (None, "memory"):
        memory()


def compare(n: int, ours_cmd: list[str], anchor_cmd: list[str], label: str, anchor: str, repeats: int) -> float:
    """Interleave our command and the anchor's so both see the same machine load."""
    run_timed(ours_cmd)  # warm the numba cache
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(run_timed(ours_cmd)[0])
        theirs.append(run_timed(anchor_cmd)[0])
    report(label, n / statistics.median(ours), n / statistics.median(theirs), anchor)
    return statistics.median(ours)


def memory() -> None:
    short, long = synthetic_clip(200), synthetic_clip(2000)
    rss = []
    for clip in (short, long):
        _, kib = run_timed(VQINSPECT + ["score", str(clip), str(clip), "--metrics", "psnr,ssim,ms_ssim", "--quiet"])
        rss.append(kib / 1024)
    print(f"peak RSS, 200 vs 2000 frames (320x180): {rss[0]:.0f} MiB vs {rss[1]:.0f} MiB "
          f"| ratio {rss[1] / rss[0]:.2f}x (bounded if ~1)")


if __name__ == "__main__":
    main()
