"""The floor of `vqinspect score`: the same command without the metrics.

Starts Python, opens both inputs the way ``score`` does (in parallel threads), decodes the
pair with the engine's PairDecoder and drops the frames. Whatever ``score`` costs beyond
this process is its metrics: numba and the kernels.

    python benchmarks/decode_floor.py REF DIST
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.cli import in_background  # noqa: E402
from app.engine import PairDecoder  # noqa: E402
from app.media import open_media  # noqa: E402
from app.pairing import make_pair  # noqa: E402


def main(ref_path: str, dist_path: str) -> None:
    ref, dist = (in_background(open_media, p, name="open") for p in (ref_path, dist_path))
    pair = make_pair(ref.result(), dist.result())
    decoder = PairDecoder.covering(pair)
    frames = 0
    while True:
        ref_item, dist_item = decoder.ref_q.get(), decoder.dist_q.get()
        if not (isinstance(ref_item, tuple) and isinstance(dist_item, tuple)):
            break  # (index, planes) pairs until the end marker or a failure
        frames += 1
    if frames < pair.frames:
        raise SystemExit(f"decoded {frames} frames of {pair.frames}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
