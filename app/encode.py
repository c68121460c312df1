"""Re-encode footage with PyAV's encoders to make real codec artifacts (demo, tests, benchmarks)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

QUIET_OPTIONS = {
    "libx265": {"x265-params": "log-level=error"},
    "libsvtav1": {"svtav1-params": "log-level=0"},
}


def encode_video(
    src: str | Path,
    dst: str | Path,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    *,
    crf: int | None = 30,
    bitrate: int | None = None,
    max_frames: int | None = None,
    size: tuple[int, int] | None = None,
    rate: Fraction | int | None = None,
    options: dict[str, str] | None = None,
    start_frame: int = 0,
) -> Path:
    """Decode ``src`` and encode its video into ``dst``; returns ``dst``.

    ``size`` (w, h) rescales with swscale's bicubic filter; ``crf`` or ``bitrate``
    sets the rate control; ``options`` go to the encoder verbatim.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.stem + ".part" + dst.suffix)
    with av.open(str(src)) as inp, av.open(str(tmp), "w") as out:
        in_stream = inp.streams.video[0]
        in_stream.thread_type = "AUTO"
        out_rate = Fraction(rate) if rate else (in_stream.average_rate or Fraction(25))
        stream = out.add_stream(codec, rate=out_rate)
        width, height = size or (in_stream.width, in_stream.height)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        opts = dict(QUIET_OPTIONS.get(codec, {}))
        if crf is not None and bitrate is None and codec not in ("prores_ks", "ffv1"):
            opts["crf"] = str(crf)
        if bitrate is not None:
            stream.bit_rate = bitrate
        opts.update(options or {})
        stream.options = opts
        written = 0
        for i, frame in enumerate(inp.decode(in_stream)):
            if i < start_frame:
                continue
            if max_frames is not None and written >= max_frames:
                break
            frame = frame.reformat(width=width, height=height, format=pix_fmt, interpolation="BICUBIC")
            frame.pts = written
            frame.time_base = Fraction(1) / out_rate
            for packet in stream.encode(frame):
                out.mux(packet)
            written += 1
        for packet in stream.encode():
            out.mux(packet)
    tmp.replace(dst)
    return dst
