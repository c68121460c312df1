"""`vqinspect batch` against the same pairs scored one after another by `vqinspect score`.

Eight short pairs (a lossless reference and eight x264 encodes of it) are scored by
``vqinspect batch --workers 2`` and by eight ``vqinspect score --threads 2`` runs in a row, in the
same run; the ratio batch / sequential is printed (the target is at most 1.15). Then the
workers' peak memory after half the pairs and after all of them (it must not grow with the
number of pairs).

    .venv/bin/python benchmarks/bench_batch.py [--frames 60] [--size 640x360] [--repeats 2]
"""
from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import MEDIA, VQINSPECT, run_timed  # noqa: E402

CRFS = (20, 23, 26, 29, 32, 35, 38, 41)
METRICS = "psnr,ssim,vmaf"


def short_pairs(frames: int, size: tuple[int, int]) -> list[tuple[Path, Path]]:
    from vqinspect.app.media.encode import encode_video
    from vqinspect.app.media.footage import footage_path

    w, h = size
    ref = MEDIA / f"batch_ref_{w}x{h}_{frames}.mkv"
    if not ref.exists():
        encode_video(footage_path(), ref, "ffv1", crf=None, max_frames=frames, size=size)
    pairs = []
    for crf in CRFS:
        dist = MEDIA / f"batch_x264_{w}x{h}_{frames}_crf{crf}.mp4"
        if not dist.exists():
            encode_video(footage_path(), dist, "libx264", crf=crf, max_frames=frames, size=size)
        pairs.append((ref, dist))
    return pairs


def sequential(pairs, work: Path) -> float:
    total = 0.0
    for i, (ref, dist) in enumerate(pairs):
        total += run_timed([*VQINSPECT, "score", str(ref), str(dist), "--metrics", METRICS, "--threads", "2",
                            "--quiet", "--json", str(work / f"seq{i}.json")]).wall
    return total


def batch(manifest: Path, out: Path) -> float:
    # exit status 0: every pair scored (run_timed raises otherwise)
    return run_timed([*VQINSPECT, "batch", str(manifest), "--out", str(out), "--metrics", METRICS,
                      "--workers", "2", "--quiet"]).wall


def worker_memory(pairs, out: Path) -> tuple[int, int]:
    """Peak RSS (KiB) of the workers after the first half of the pairs and after all of them."""
    from vqinspect.app.batch.manifest import PairSpec
    from vqinspect.app.batch.runner import dask_client, run_batch
    from vqinspect.app.cli.batch import score_task

    specs = [PairSpec(str(r), str(d), label=f"mem{i}") for i, (r, d) in enumerate(pairs)]
    peaks: list[int] = []
    with dask_client(workers=2) as client:
        run_batch(specs, score_task, out, client, task_args=(["--metrics", METRICS],), threads=1,
                  on_outcome=lambda o: peaks.append(o.peak_rss_kib))
    half = len(peaks) // 2
    return max(peaks[:half]), max(peaks)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=60)
    p.add_argument("--size", default="640x360")
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    pairs = short_pairs(args.frames, size)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        manifest = work / "pairs.csv"
        with manifest.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["reference", "distorted"])
            w.writerows([(str(r), str(d)) for r, d in pairs])
        seq_times, batch_times = [], []
        for k in range(args.repeats):
            seq_times.append(sequential(pairs, work))
            batch_times.append(batch(manifest, work / f"out{k}"))
        seq, bat = min(seq_times), min(batch_times)
        print(f"{len(pairs)} pairs {args.size} x {args.frames} frames, {METRICS}")
        print(f"sequential vqinspect score --threads 2: {seq:6.2f} s   (runs: {', '.join(f'{t:.2f}' for t in seq_times)})")
        print(f"vqinspect batch --workers 2:           {bat:6.2f} s   (runs: {', '.join(f'{t:.2f}' for t in batch_times)})")
        print(f"ratio batch / sequential: {bat / seq:.3f} (target <= 1.15)")
        half, full = worker_memory(pairs, work / "mem")
        print(f"worker peak RSS after {len(pairs) // 2} pairs: {half / 1024:.0f} MiB; after {len(pairs)}: "
              f"{full / 1024:.0f} MiB (ratio {full / half:.3f})")


if __name__ == "__main__":
    main()
