"""Cost of the HDR10 (PQ) preview beside the plain YUV -> RGB conversion, same run.

Both convert the same 1080p 4:2:0 10-bit frame (the footage graded to PQ, upscaled) on
one core; medians of 20. The preview must stay cheap next to decoding and the SDR path.

    .venv/bin/python benchmarks/bench_display.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vqinspect.app.display import screen  # noqa: E402
from vqinspect.app.display.screen import ColorSpec  # noqa: E402
from tests.hdr_clips import graded_frame  # noqa: E402


def hd_planes() -> tuple[np.ndarray, ...]:
    """The graded frame repeated up to 1920x1080, chroma subsampled to 4:2:0."""
    y, u, v = graded_frame()
    up = [np.tile(p, (6, 6))[:1080, :1920] for p in (y, u, v)]
    return up[0], np.ascontiguousarray(up[1][::2, ::2]), np.ascontiguousarray(up[2][::2, ::2])


def median_ms(planes, spec: ColorSpec, repeats: int = 20) -> float:
    screen.to_rgb(planes, spec)                      # compile or load the kernel
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        screen.to_rgb(planes, spec)
        times.append(time.perf_counter() - t)
    return 1e3 * statistics.median(times)


def main() -> None:
    planes = hd_planes()
    sdr = median_ms(planes, ColorSpec("bt2020", False, 10))
    pq = median_ms(planes, ColorSpec("bt2020", False, 10, transfer="pq", primaries="bt2020"))
    print(f"1080p 10-bit frame to display RGB: PQ tone-mapped {pq:.1f} ms | coded (SDR path) {sdr:.1f} ms "
          f"| ratio {pq / sdr:.2f}x")


if __name__ == "__main__":
    main()
