"""An encode's bitrate measured from its video stream's packets (bits over duration), with the
value its container declares beside it: headers may state a target, the whole file's rate
(audio and overhead included) or nothing at all."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from vqinspect.app.shared.errors import MediaError

DIFFERENT = 0.01                  # a declared rate more than 1 % off the measured one is shown


@dataclass(frozen=True)
class StreamRate:
    kbps: float                   # measured: 8 × packet bytes / duration / 1000
    seconds: float                # first packet's pts to the last one's end
    packets: int
    declared_kbps: float | None   # the stream's (else the container's) bit_rate header

    @property
    def declared_differs(self) -> bool:
        return self.declared_kbps is not None and abs(self.declared_kbps - self.kbps) > DIFFERENT * self.kbps


def stream_rate(path: str | Path) -> StreamRate:
    """Measure the first video stream of ``path``; MediaError when it has no timed packets."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(path, "has no video stream")
            stream = container.streams.video[0]
            declared = stream.codec_context.bit_rate or container.bit_rate or None
            sizes, starts, ends = 0, [], []
            for packet in container.demux(stream):
                if packet.size == 0 or packet.pts is None:
                    continue
                sizes += packet.size
                starts.append(packet.pts)
                ends.append(packet.pts + (packet.duration or 0))
            time_base = stream.time_base
    except av.error.FFmpegError as exc:
        raise MediaError(path, f"cannot be read for its bitrate ({exc})") from None
    if len(starts) < 1:
        raise MediaError(path, "has no video packets to measure a bitrate from")
    pts = np.sort(np.asarray(starts, dtype=np.int64))
    step = float(np.median(np.diff(pts))) if len(pts) > 1 else 0.0
    last_end = max(max(ends), int(pts[-1]) + step)
    seconds = float((last_end - int(pts[0])) * time_base)
    if seconds <= 0:
        raise MediaError(path, "has no duration to measure a bitrate over")
    return StreamRate(sizes * 8 / seconds / 1000, seconds, len(starts),
                      declared / 1000 if declared else None)
