"""Re-encode footage with PyAV's encoders to make real codec artifacts (demo, tests, benchmarks)."""
from __future__ import annotations

from fractions import Fraction
from itertools import chain, islice
from pathlib import Path
from typing import Iterable, Sequence

import av

QUIET_OPTIONS = {
    "libx265": {"x265-params": "log-level=error:frame-threads=1"},   # one frame thread: the same stream every run
    "libsvtav1": {"svtav1-params": "log-level=0"},
}


def _encoder_options(codec: str, options: dict[str, str] | None) -> dict[str, str]:
    """``options`` over the quiet defaults; x265's own parameter string is joined, not replaced."""
    merged = {**QUIET_OPTIONS.get(codec, {}), **(options or {})}
    base, given = QUIET_OPTIONS.get(codec, {}).get("x265-params"), (options or {}).get("x265-params")
    if base and given:
        merged["x265-params"] = f"{base}:{given}"
    return merged


def encode_frames(
    frames: Iterable[av.VideoFrame],
    dst: str | Path,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    *,
    rate: Fraction | int = 25,
    options: dict[str, str] | None = None,
    bit_rate: int | None = None,
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
) -> Path:
    """Encode ``frames`` into ``dst`` (written to a temporary name, then renamed); returns ``dst``.

    Frames are converted to ``pix_fmt`` when they differ; the size is the first frame's.
    Frame i is stamped ``pts[i]`` in ``time_base`` (default: i in 1/rate), which makes
    variable frame rates and late starts. ``options`` go to the encoder verbatim.
    """
    frames = iter(frames)
    first = next(frames, None)
    if first is None:
        raise ValueError(f"no frames to encode into {dst}")
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.stem + ".part" + dst.suffix)
    rate = Fraction(rate)
    tb = time_base or 1 / rate
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = first.width, first.height, pix_fmt
        if time_base is not None:
            stream.time_base = stream.codec_context.time_base = time_base
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        stream.options = _encoder_options(codec, options)
        for i, frame in enumerate(chain([first], frames)):
            if frame.format.name != pix_fmt:
                frame = frame.reformat(format=pix_fmt)
            frame.pts, frame.time_base = (pts[i] if pts is not None else i), tb
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tmp.replace(dst)
    return dst


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
    opts = {}
    if crf is not None and bitrate is None and codec not in ("prores_ks", "ffv1"):
        opts["crf"] = str(crf)
    opts.update(options or {})
    with av.open(str(src)) as inp:
        in_stream = inp.streams.video[0]
        in_stream.thread_type = "AUTO"
        out_rate = Fraction(rate) if rate else (in_stream.average_rate or Fraction(25))
        width, height = size or (in_stream.width, in_stream.height)
        decoded = islice(inp.decode(in_stream), start_frame,
                         None if max_frames is None else start_frame + max_frames)
        scaled = (f.reformat(width=width, height=height, format=pix_fmt, interpolation="BICUBIC")
                  for f in decoded)
        return encode_frames(scaled, dst, codec, pix_fmt, rate=out_rate, options=opts, bit_rate=bitrate)
