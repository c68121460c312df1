"""Open what users bring (containers, image sequences, raw YUV) as a MediaSource.

A MediaSource is immutable and shareable (probe + frame index); each thread that
decodes opens its own FrameReader from it, since PyAV containers are not thread-safe.
"""
from __future__ import annotations

import copy
import os
import stat
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator, Protocol

from vqinspect.app.shared.errors import MediaError, StreamBroken
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.names import codec_name, container_name
from vqinspect.app.media.frames import FrameScaler, PlanarLayout, Planes, frame_planes
from vqinspect.app.media.transform import Transform


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
    rotation: int = 0         # display rotation, degrees counter-clockwise; width/height are as shown
    stored_size: str = ""     # "WxH" as stored, when a rotation makes it differ from width x height
    sample_aspect_ratio: str = "1:1"
    field_order: str = "progressive"   # progressive, tff, bff, or interlaced (order not known)
    timestamp_gaps: tuple = ()         # (frame, frames missing before it, seconds) per gap
    duplicate_timestamps: tuple = ()   # frames whose timestamp repeats the one before (dropped)
    codec_profile: str = ""            # FFmpeg's profile name (High, Main 10, HQ...)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["fps"] = float(self.fps)
        d["fps_rational"] = f"{self.fps.numerator}/{self.fps.denominator}"
        d["timestamp_gaps"] = [list(g) for g in self.timestamp_gaps]
        d["duplicate_timestamps"] = list(self.duplicate_timestamps)
        d["container_name"] = container_name(self.container, self.path)
        d["codec_name"] = codec_name(self.codec, self.codec_profile)
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
    """Shared reader logic: bounds, cache lookups, display transforms, conversion to
    (conformed) planes. Subclasses decode: ``_decode(index)`` gives the av.VideoFrame."""

    def __init__(self, frame_count: int, layout: PlanarLayout, cache: FrameCache | None,
                 conform: Conform | None, transform: Transform = Transform(),
                 path: str | os.PathLike = "", size: tuple[int, int] | None = None):
        self.frame_count, self.layout, self.cache, self.conform = frame_count, layout, cache, conform
        self.path, self.size = path, size
        before = transform.filters
        if conform is not None or before:
            target = conform or Conform(None, None, layout)
            self._scaler = FrameScaler(target.width, target.height, target.layout.planar, target.scaler, before)
        else:
            self._scaler = None
        self._out_layout = conform.layout if conform else layout
        self._delayed = self._scaler is not None and self._scaler.delayed
        self._fed = -1   # with a deinterlacer: the last frame pushed, whose output is still held back

    def frame(self, index: int) -> Planes:
        """The planes of frame ``index`` (0-based, display order)."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"frame {index} is outside 0..{self.frame_count - 1}")
        if self.cache is not None and (hit := self.cache.get(index)) is not None:
            return hit
        if self._delayed:
            return self._held_back(index)
        return self._convert(index, self._decode(index))

    def advance(self, index: int) -> None:
        """Move a sequential decoder on towards ``index`` (see ContainerReader); readers with
        cheap random access have nothing to do."""

    def frames(self, start: int, stop: int) -> Iterator[tuple[int, Planes]]:
        """Frames ``start .. stop-1`` in order."""
        for i in range(start, min(stop, self.frame_count)):
            yield i, self.frame(i)

    def _decode(self, index: int):
        raise NotImplementedError

    def _checked(self, index: int, frame):
        """``frame``, or StreamBroken when its size differs from the clip's (a resolution change)."""
        if self.size is not None and (frame.width, frame.height) != self.size:
            raise StreamBroken(self.path, index, f"the picture size changes from {self.size[0]}x{self.size[1]} "
                                                 f"to {frame.width}x{frame.height} here (scored up to the change)")
        return frame

    def _passing(self, index: int, frame) -> None:
        """A frame decoded on the way to another: cached when that costs no filter state."""
        if self.cache is not None and not self._delayed and index not in self.cache:
            self._convert(index, frame)

    def _convert(self, index: int, frame) -> Planes:
        """Planes of a decoded av.VideoFrame, transformed and conformed if asked, and cached."""
        frame = self._checked(index, frame)
        if self._scaler is None:
            planes = frame_planes(frame, self.layout)
        else:
            planes = frame_planes(self._scaler(frame), self._out_layout)
        return self._keep(index, planes)

    def _keep(self, index: int, planes: Planes) -> Planes:
        if self.cache is not None:
            self.cache.put(index, planes)
        return planes

    def _held_back(self, index: int) -> Planes:
        """Frame ``index`` through a deinterlacer, which outputs frame i once i+1 is in: frames
        read in order go through one filter graph, a jump refills it from frame index-1."""
        scaler = self._scaler
        if self._fed != index:
            scaler.reset()
            for k in (index - 1, index):
                if k >= 0:
                    scaler.push(self._checked(k, self._decode(k)))
            while scaler.pull() is not None:
                pass
        self._fed = -1
        following = None
        if index + 1 < self.frame_count:
            try:
                following = self._checked(index + 1, self._decode(index + 1))
            except StreamBroken:  # this frame is still whole: it is deinterlaced as the last one
                following = None
        scaler.push(following)
        out = scaler.pull()
        if following is not None:
            self._fed = index + 1
        if out is None:
            raise StreamBroken(self.path, index, "the deinterlacer gave no picture")
        return self._keep(index, frame_planes(out, self._out_layout))

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def with_transform(source, **changes):
    """A copy of ``source`` whose readers also apply ``changes`` (e.g. ``deinterlace=True``)."""
    from dataclasses import replace

    twin = copy.copy(source)
    twin.transform = replace(source.transform, **changes)
    return twin


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
    if p.is_dir() or (is_sequence_pattern(text) and not os.path.lexists(p)):
        return ImageSequenceSource.open(text, fps or Fraction(25))
    _check_file(p)
    if p.suffix.lower() in RAW_EXTENSIONS:
        if raw is None:
            raise MediaError(p, "raw YUV has no header: give --size WxH and --pix-fmt FMT (and --fps F)")
        return RawVideoSource.open(p, raw)
    return ContainerSource.open(p)


def _check_file(p: Path) -> None:
    """One line for what is not a readable regular file (never opening a FIFO or a device,
    which would block or never end)."""
    if not os.path.lexists(p):
        raise MediaError(p, "no such file")
    if not p.exists():
        raise MediaError(p, f"is a broken symbolic link (to {os.readlink(p)})")
    mode = p.stat().st_mode
    if stat.S_ISDIR(mode):
        raise MediaError(p, "is a directory, not a video (for image sequences give a pattern like frames_%04d.png)")
    if not stat.S_ISREG(mode):
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
                else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "not a regular file")
        target = f" ({os.path.realpath(p)})" if p.is_symlink() else ""
        raise MediaError(p, f"is {kind}{target}, not a video file: vqinspect needs a file it can seek in")
    if not os.access(p, os.R_OK):
        raise MediaError(p, "permission denied")
    if p.stat().st_size == 0:
        raise MediaError(p, "is empty (0 bytes)")
