"""Speed of the colour-difference kernels on 1080p frames, against libvmaf's ``ciede`` feature.

libvmaf's ciede cost is isolated as the CPU time of ``libvmaf=feature=name=ciede`` minus that
of the same run without it (ffmpeg's libvmaf filter always runs its default VMAF model), both
with n_threads=1; ours is the CPU time of one thread calling the kernels on decoded frames.
Prints ratios measured in the same run.

    .venv/bin/python -m benchmarks.bench_colour [--frames 10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ffmpeg_exe, hd_pair, hdr_pair, run_timed  # noqa: E402
from tests.metrics.naive import decoded_planes  # noqa: E402
from vqinspect.metrics.ciede import ciede_scores  # noqa: E402
from vqinspect.metrics.delta_e_itp import delta_e_itp_scores  # noqa: E402

PQ = {"matrix": "bt2020", "primaries": "bt2020", "transfer": "pq", "range": "limited"}


def libvmaf_cpu(ref: Path, dist: Path, frames: int, ciede: bool) -> float:
    opts = "n_threads=1" + (":feature=name=ciede" if ciede else "")
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
           "-lavfi", f"[0:v][1:v]libvmaf={opts}", "-frames:v", str(frames), "-f", "null", "-"]
    return run_timed(cmd).cpu


def kernel_cpu(score, pairs) -> float:
    score(*pairs[0])  # load the kernels
    t = time.process_time()
    for ref, dist in pairs:
        score(ref, dist)
    return time.process_time() - t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=10)
    n = p.parse_args().frames
    ref, dist = hd_pair()
    pairs = list(zip(decoded_planes(ref, n), decoded_planes(dist, n)))
    ours = kernel_cpu(lambda r, d: ciede_scores(r, d, 8), pairs)
    theirs = libvmaf_cpu(ref, dist, n, True) - libvmaf_cpu(ref, dist, n, False)
    print(f"ciede2000 1080p 8-bit: ours {ours / n * 1e3:.0f} ms/frame, libvmaf ciede {theirs / n * 1e3:.0f} "
          f"ms/frame (one core each): ours/libvmaf CPU ratio {ours / theirs:.2f}")
    hdr_ref, hdr_dist = hdr_pair(n)
    hdr = list(zip(decoded_planes(hdr_ref, n), decoded_planes(hdr_dist, n)))
    itp = kernel_cpu(lambda r, d: delta_e_itp_scores(r, d, 10, PQ), hdr)
    print(f"delta_e_itp 1080p HDR10: {itp / n * 1e3:.0f} ms/frame on one core, "
          f"{itp / ours:.2f}x our ciede2000 on the SDR pair")


if __name__ == "__main__":
    main()
