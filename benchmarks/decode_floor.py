"""The floor of `vqinspect score`: the same command without the metrics.

Starts Python, opens both inputs the way ``score`` does (in parallel threads), decodes the
pair with the engine's PairDecoder and drops the frames. Whatever ``score`` costs beyond
this process is its metrics: numba and the kernels. With ``--plain``: PyAV alone decoding
both files, one thread each, for the cost of our media layer on top of it.

    python benchmarks/decode_floor.py REF DIST [--plain]
"""
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def floor(ref_path: str, dist_path: str) -> None:
    from vqinspect.app.cli.options import in_background
    from vqinspect.app.scoring.engine import PairDecoder
    from vqinspect.app.media.source import open_media
    from vqinspect.app.scoring.pairing import make_pair

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


def plain(ref_path: str, dist_path: str) -> None:
    import av

    def decode(path: str) -> None:
        with av.open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for _ in container.decode(stream):
                pass

    threads = [threading.Thread(target=decode, args=(p,)) for p in (ref_path, dist_path)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    (plain if "--plain" in sys.argv[3:] else floor)(*sys.argv[1:3])
