"""Cost of the flow-based mask measures per frame pair at 720p and 1080p, as ratios.

For each size: one OpenCV DIS call per preset against DIS ULTRAFAST and against decoding
one frame of the source (our media layer) in the same run; the whole flow step of a mask
frame (backward and forward DIS, occlusion, warping and tIoU of prediction and ground
truth) against decoding; the mask measures without flow (J, F, consecutive IoU, flips,
VC) against decoding. Then how good each preset's flow is: the ground truth's own
temporal IoU on the test clip (1 would be perfect flow), and the kernels' first-use
compile time against loading them from numba's cache.

    .venv/bin/python benchmarks/bench_flow.py [--pairs 8]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vqinspect.app.media.footage import footage_path  # noqa: E402
from vqinspect.app.media.source import open_media  # noqa: E402
from benchmarks.common import hd_pair  # noqa: E402
from vqinspect.metrics import masks as mm  # noqa: E402
from vqinspect.metrics import temporal as tm  # noqa: E402

PRESETS = ("ultrafast", "fast", "medium")


def decode_ms(path: Path, frames: int, repeats: int = 3) -> tuple[float, list[np.ndarray]]:
    """Decoding throughput as ms per frame (a fresh reader decoding ``frames`` frames in order,
    as the mask pipeline reads; median of ``repeats``) and the luma planes."""
    source = open_media(path)
    times, lumas = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        with source.reader() as r:
            planes = [p[0] for _, p in r.frames(0, frames)]
        times.append((time.perf_counter() - t) / frames)
        lumas = [tm.luma8(p, source.info.bit_depth) for p in planes]
    return 1e3 * statistics.median(times), lumas


def round_robin_ms(jobs: dict[str, tuple], args_list: list[tuple]) -> dict[str, float]:
    """Median ms per call of each job (fn, extra args) over ``args_list``, the jobs taking turns
    on every input so that load from other processes hits them alike."""
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for args in args_list:
        for name, (fn, extra) in jobs.items():
            t = time.perf_counter()
            fn(*args, *extra)
            times[name].append(time.perf_counter() - t)
    return {name: 1e3 * statistics.median(v) for name, v in times.items()}


def moving_masks(h: int, w: int, n: int) -> list[np.ndarray]:
    import cv2

    out = []
    for t in range(n):
        m = np.zeros((h, w), np.uint8)
        cv2.ellipse(m, (w // 3 + 6 * t, h // 2), (w // 8, h // 4), 0, 0, 360, 1, -1)
        out.append(m)
    return out


def flow_step(prev_luma, luma, estimator, prev_pred, pred, prev_gt, gt):
    flow = tm.pair_flow(prev_luma, luma, estimator)
    for cur, prev in ((pred, prev_pred), (gt, prev_gt)):
        warped = tm.warp(prev, flow.backward, nearest=True)
        mm.iou_from_counts(*mm.label_counts(cur, warped, flow.valid, 2), 1)
        tm.label_disagreement(cur, warped, flow.valid)


def no_flow_step(prev_pred, pred, prev_gt, gt, runs):
    mm.iou_from_counts(*mm.label_counts(pred, gt, None, 2), 1)
    mm.boundary_f(pred, gt)
    mm.iou_from_counts(*mm.label_counts(pred, prev_pred, None, 2), 1)
    runs[0].push(pred)
    runs[1].push(gt)
    tm.video_consistency(runs[0], runs[1], 8)


def bench_size(label: str, path: Path, pairs: int) -> None:
    decode, lumas = decode_ms(path, pairs + 2)
    h, w = lumas[0].shape
    print(f"{label} ({w}x{h}, {path.name}): decoding one frame = anchor")
    estimators = {preset: tm.FlowEstimator(preset) for preset in PRESETS}
    calls = [(lumas[i], lumas[i + 1]) for i in range(1, pairs + 1)]
    for e in estimators.values():
        e(*calls[0])                                       # the first call allocates
    per_call = round_robin_ms({p: (e, ()) for p, e in estimators.items()}, calls)
    for preset in PRESETS:
        print(f"  DIS {preset:<9} one call        {per_call[preset]:7.1f} ms | "
              f"{per_call[preset] / per_call['ultrafast']:5.2f}x ultrafast | {per_call[preset] / decode:5.2f}x decode")
    preds = moving_masks(h, w, pairs + 2)
    gts = [np.roll(m, 2, axis=1) for m in preds]
    runs = (tm.RunLengths(preds[0]), tm.RunLengths(gts[0]))
    steps = [(lumas[i - 1], lumas[i], preds[i - 1], preds[i], gts[i - 1], gts[i]) for i in range(1, pairs + 1)]
    jobs = {preset: (lambda a, b, *m, e=estimators[preset]: flow_step(a, b, e, *m), ()) for preset in ("fast", "medium")}
    jobs["none"] = (lambda a, b, *m: no_flow_step(*m, runs), ())
    for fn, _ in jobs.values():
        fn(*steps[0])
    step = round_robin_ms(jobs, steps)
    for preset in ("fast", "medium"):
        print(f"  flow step, DIS {preset:<6} (2 calls + occlusion + 2 warps, tIoU) {step[preset]:7.1f} ms | "
              f"{step[preset] / decode:5.2f}x decode")
    print(f"  without flow (J, F, consecutive IoU, flips, VC)              {step['none']:7.1f} ms | "
          f"{step['none'] / decode:5.2f}x decode")


def flow_quality() -> None:
    """The ground truth's own temporal IoU per preset on the test clip (mean and worst pair)."""
    import av

    from tests.mask_clips import FRAMES, mask_clip

    clip = mask_clip()
    with av.open(str(clip.source)) as c:
        lumas = [f.to_ndarray(format="gray") for f in c.decode(video=0)]
    print("ground truth's own tIoU on the 320x180 test clip (1 = perfect flow; higher is better):")
    for preset in PRESETS:
        estimator = tm.FlowEstimator(preset)
        tious, occluded = [], []
        for t in range(1, FRAMES):
            flow = tm.pair_flow(lumas[t - 1], lumas[t], estimator)
            cur, prev = clip.gt[t].view(np.uint8), clip.gt[t - 1].view(np.uint8)
            warped = tm.warp(prev, flow.backward, nearest=True)
            tious.append(mm.iou_from_counts(*mm.label_counts(cur, warped, flow.valid, 2), 1))
            occluded.append(flow.occluded.mean())
        print(f"  DIS {preset:<9} mean {np.mean(tious):.3f}  worst {np.min(tious):.3f}  "
              f"occluded {np.mean(occluded):.1%}")


def compile_seconds() -> tuple[float, float]:
    """Mask kernel warm-up with an empty numba cache, then again from that cache (fresh processes)."""
    import os
    import subprocess
    import tempfile

    code = "from vqinspect.app.masks.scorer import warm_up; print(warm_up())"
    root = Path(__file__).resolve().parent.parent
    out = []
    with tempfile.TemporaryDirectory() as cache:
        for _ in range(2):
            done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                  env={**os.environ, "NUMBA_CACHE_DIR": cache}, cwd=root)
            out.append(float(done.stdout.strip().splitlines()[-1]))
    return out[0], out[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pairs", type=int, default=8)
    args = p.parse_args()
    bench_size("720p", footage_path("bigbuckbunny.mp4"), args.pairs)
    ref, _ = hd_pair()
    bench_size("1080p", ref, args.pairs)
    flow_quality()
    cold, cached = compile_seconds()
    print(f"mask kernels on first use: cold compile {cold:.2f} s | from the cache {cached:.3f} s | "
          f"ratio {cold / cached:.0f}x")


if __name__ == "__main__":
    main()
