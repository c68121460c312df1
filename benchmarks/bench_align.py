"""`vqinspect align` against decoding both clips, on the 1080p Big Buck Bunny pair.

The requirement: aligning (signatures while decoding, the path, the spatial checks) costs at
most 1.25x decoding both clips. Anchors, each a whole process measured in this run:
PyAV alone decoding both files (one thread each) and vqinspect's own reader doing the same
(``decode_floor.py``). Also the signatures' size and the peak memory.

    python benchmarks/bench_align.py [--frames N] [--repeat K]
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, VQINSPECT, hd_pair, run_timed  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--frames", type=int, default=264)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    ref, dist = hd_pair(args.frames)
    floor = [sys.executable, str(ROOT / "benchmarks" / "decode_floor.py"), str(ref), str(dist)]
    jobs = {
        "decode both (PyAV)": floor + ["--plain"],
        "decode both (vqinspect reader)": floor,
        "vqinspect align": VQINSPECT + ["align", str(ref), str(dist), "--quiet"],
    }
    best = {}
    for _ in range(args.repeat):   # interleaved, best of K: the machine is shared
        for name, cmd in jobs.items():
            t = run_timed(cmd)
            if name not in best or t.wall < best[name].wall:
                best[name] = t
    frames = args.frames
    print(f"1080p pair, {frames} frames per clip, best of {args.repeat}")
    for name, t in best.items():
        print(f"{name:<34} wall {t.wall:6.2f} s  cpu {t.cpu:6.2f} s  {frames / t.wall:6.1f} fps  "
              f"peak RSS {t.rss_kib / 1024:6.0f} MiB")
    align = best["vqinspect align"]
    for anchor in ("decode both (PyAV)", "decode both (vqinspect reader)"):
        a = best[anchor]
        print(f"align / {anchor:<31} wall ratio {align.wall / a.wall:5.2f}x  cpu ratio {align.cpu / a.cpu:5.2f}x")
    from vqinspect.app.scoring.signatures import SIGNATURE_BYTES

    print(f"signature: {SIGNATURE_BYTES} bytes per frame")


if __name__ == "__main__":
    main()
