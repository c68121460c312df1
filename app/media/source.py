"""Open what users bring (containers, image sequences, raw YUV) as a MediaSource.

A MediaSource is immutable and shareable (probe + frame index); each thread that
decodes opens its own FrameReader from it, since PyAV containers are not thread-safe.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Protocol

from vqinspect.app.shared.errors import MediaError
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.frames import FrameScaler, PlanarLayout, Planes, frame_planes


@dataclass(frozen=True)
class ClipInfo:
    """What a probe tells about a clip; ``as_dict`` is the JSON form."""

    path: str
    kind: str                 # "container", "image-sequence" or "raw"
    container: str
    codec: str
    width: int
    height: int
    fps: Fraction
    frame_count: int
    pix_fmt: str
    bit_depth: int
    chroma_subsampling: str
    color_range: str
    color_matrix: str
    color_primaries: str
    color_transfer: str
    bitrate: int | None
    duration: float | None
    start_time: float = 0.0
    variable_frame_rate: bool = False
    conversion: str = ""      # how non-planar pixels were converted for scoring
    truncated: str = ""       # why fewer frames than the header promised, if so
    peak_luminance: float | None = None   # nits: HDR10 MaxCLL, else the mastering display's peak

    def as_dict(self) -> dict:
        d = asdict(self)
        d["fps"] = float(self.fps)
        d["fps_rational"] = f"{self.fps.numerator}/{self.fps.denominator}"
        return d


@dataclass(frozen=True)
class Conform:
    """Convert decoded frames to another size / planar layout (the distorted clip's)."""

    width: int
    height: int
    layout: PlanarLayout
    scaler: str = "bicubic"  # an FFmpeg scale filter flag: bicubic, lanczos, ...


@dataclass(frozen=True)
class RawSpec:
    """What a headerless .yuv file needs: size, pixel format and rate."""

    width: int
    height: int
    pix_fmt: str
    fps: Fraction = Fraction(25)


class FrameReader(Protocol):
    """Frame access by 0-based display index; one per thread."""

    def frame(self, index: int) -> Planes: ...

    def frames(self, start: int, stop: int) -> Iterator[tuple[int, Planes]]: ...

    def close(self) -> None: ...


class BaseReader:
    """Shared reader logic: bounds, cache lookups, conversion to (conformed) planes."""

    def __init__(self, frame_count: int, layout: PlanarLayout, cache: FrameCache | None,
                 conform: Conform | None):
        self.frame_count, self.layout, self.cache, self.conform = frame_count, layout, cache, conform
        self._scaler = (FrameScaler(conform.width, conform.height, conform.layout.planar, conform.scaler)
                        if conform else None)

    def frame(self, index: int) -> Planes:
        """The planes of frame ``index`` (0-based, display order)."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1}")
        if self.cache is not None and (hit := self.cache.get(index)) is not None:
            return hit
        return self._read(index)

    def advance(self, index: int) -> None:
        """Move a sequential decoder on towards ``index`` (see ContainerReader); readers with
        cheap random access have nothing to do."""

    def frames(self, start: int, stop: int) -> Iterator[tuple[int, Planes]]:
        """Frames ``start .. stop-1`` in order."""
        for i in range(start, min(stop, self.frame_count)):
            yield i, self.frame(i)

    def _read(self, index: int) -> Planes:
        raise NotImplementedError

    def _convert(self, index: int, frame) -> Planes:
        """Planes of a decoded av.VideoFrame, conformed if asked, and cached."""
        if self._scaler is None:
            planes = frame_planes(frame, self.layout)
        else:
            planes = frame_planes(self._scaler(frame), self.conform.layout)
        if self.cache is not None:
            self.cache.put(index, planes)
        return planes

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class MediaSource(Protocol):
    info: ClipInfo
    layout: PlanarLayout

    def reader(self, cache: FrameCache | None = None, conform: Conform | None = None) -> FrameReader: ...

    def frame_time(self, index: int) -> float: ...


RAW_EXTENSIONS = {".yuv", ".raw", ".nv12", ".rgb"}


def open_media(path: str | os.PathLike, raw: RawSpec | None = None,
               fps: Fraction | None = None) -> MediaSource:
    """Probe and index ``path``; MediaError (one readable line) for anything unusable.

    ``raw`` is required for headerless ``.yuv`` files; ``fps`` sets the rate of
    image sequences (default 25).
    """
    from vqinspect.app.media.container import ContainerSource
    from vqinspect.app.media.rawvideo import RawVideoSource
    from vqinspect.app.media.sequence import ImageSequenceSource, is_sequence_pattern

    text = str(path)
    p = Path(text)
    if is_sequence_pattern(text) or p.is_dir():
        return ImageSequenceSource.open(text, fps or Fraction(25))
    _check_file(p)
    if p.suffix.lower() in RAW_EXTENSIONS:
        if raw is None:
            raise MediaError(p, "raw YUV has no header: give --size WxH and --pix-fmt FMT (and --fps F)")
        return RawVideoSource.open(p, raw)
    return ContainerSource.open(p)


def _check_file(p: Path) -> None:
    if not p.exists():
        raise MediaError(p, "no such file")
    if p.is_dir():
        raise MediaError(p, "is a directory, not a video (for image sequences give a pattern like frames_%04d.png)")
    if not os.access(p, os.R_OK):
        raise MediaError(p, "permission denied")
    if p.stat().st_size == 0:
        raise MediaError(p, "is empty (0 bytes)")
