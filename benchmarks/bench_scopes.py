"""Cost of each scope for one 1080p frame on one core, against its 16 ms budget (one frame at
60 fps) and against a plain numpy anchor measured in the same run: ``np.bincount`` of the
same luma plane (a one-pass count over the same 2 million samples).

The frame is a real one (Big Buck Bunny, frame 40, scaled to 1920x1080 4:2:0), 8- and 10-bit.
Kernel: the counting alone (what the 16 ms budget is about); + picture: the whole background
job of the dock for both clips of a pair, side by side (counts, brightness, colours).
Medians of 15 runs of the CPU time of the calling thread (the kernels are serial: one core),
which other processes on a shared machine disturb less than wall time.

    .venv/bin/python benchmarks/bench_scopes.py
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vqinspect.app.display import scope_figure, scopes  # noqa: E402
from vqinspect.app.display.screen import ColorSpec  # noqa: E402
from vqinspect.app.media.footage import footage_path  # noqa: E402
from vqinspect.app.media.frames import frame_planes, planar_layout  # noqa: E402

BUDGET_MS = 16.0
REPEATS = 15


def hd_planes(pix_fmt: str, index: int = 40) -> tuple:
    with av.open(str(footage_path())) as src:
        for i, frame in enumerate(src.decode(video=0)):
            if i == index:
                scaled = frame.reformat(width=1920, height=1080, format=pix_fmt, interpolation="BICUBIC")
                return tuple(np.ascontiguousarray(p) for p in frame_planes(scaled, planar_layout(pix_fmt)))
    raise RuntimeError("footage too short")


def median_ms(fn) -> float:
    fn()                                   # compile or load from numba's cache
    times = []
    for _ in range(REPEATS):
        t = time.thread_time()
        fn()
        times.append(time.thread_time() - t)
    return 1e3 * statistics.median(times)


def main() -> None:
    for pix_fmt, depth in (("yuv420p", 8), ("yuv420p10le", 10)):
        planes = hd_planes(pix_fmt)
        spec = ColorSpec("bt709", False, depth)
        anchor = median_ms(lambda: np.bincount(planes[0].ravel(), minlength=1 << depth))
        print(f"1080p 4:2:0 {depth}-bit frame; anchor np.bincount(luma) {anchor:.1f} ms "
              f"(budget {BUDGET_MS:.0f} ms = {BUDGET_MS / anchor:.2f}x the anchor)")
        for kind in scope_figure.KINDS:
            kernel = median_ms(lambda: scope_figure.accumulate(kind, planes, spec))
            whole = median_ms(lambda: scope_figure.figure(kind, "side-by-side", planes, planes, spec, spec))
            print(f"  {kind:<12} kernel {kernel:6.1f} ms | {kernel / BUDGET_MS:5.2f}x budget | "
                  f"{kernel / anchor:5.2f}x anchor || + picture, both clips {whole / BUDGET_MS:5.2f}x budget "
                  f"| {whole / anchor:5.2f}x anchor")
        rgb = median_ms(lambda: scopes.rgb_histogram(planes, spec))
        print(f"  (of the histogram: R'G'B' part {rgb / BUDGET_MS:.2f}x budget, {rgb / anchor:.2f}x anchor)")


if __name__ == "__main__":
    main()
