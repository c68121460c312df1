"""Containers FFmpeg demuxes (mp4, mov, mkv, webm, ivf, y4m, ...) with frame-accurate access.

The index is built once from packets (no decoding): presentation timestamps in
display order and the keyframes to seek to. Frame ``i`` is fetched by seeking to
the last keyframe whose pts is at or before frame i's pts, then decoding forward and
matching by pts, which is right with B-frames, open GOPs (leading pictures have a
pts before their keyframe's, so they pick the previous keyframe), non-zero start
times and variable frame rate.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from vqinspect.app.media import colorspace
from vqinspect.app.shared.errors import MediaError, StreamBroken, UnsupportedFormat
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.frames import PlanarLayout, Planes, planar_layout
from vqinspect.app.media.source import BaseReader, ClipInfo, Conform

FORWARD_WINDOW = 16  # decode forward instead of seeking when the target is this close
KEEP_BEHIND = 32
"""Frames passed on the way to a target that are cached (for stepping back). Keeping
every one would hold every decoder buffer: fresh allocations then cost ~25 % of a
long forward decode."""
ADVANCE_STEP = 3  # frames a playback prefetch decodes through cached frames (see advance)
DECODE_ERRORS = (av.error.FFmpegError, OSError)


@dataclass(frozen=True)
class FrameIndex:
    """Display-order pts of every frame, and where to seek for each."""

    pts: np.ndarray          # int64, display order, strictly increasing
    key_pts: np.ndarray      # int64, pts of each keyframe, increasing
    key_seek: np.ndarray     # int64, timestamp to seek to for each keyframe (dts, else pts)
    time_base: Fraction

    def __len__(self) -> int:
        return len(self.pts)

    def keyframe_for(self, index: int) -> int:
        """Position in ``key_pts`` of the keyframe to start decoding frame ``index`` from."""
        return max(int(np.searchsorted(self.key_pts, self.pts[index], side="right")) - 1, 0)

    def index_of(self, pts: int | None) -> int | None:
        if pts is None:
            return None
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self.pts) and self.pts[i] == pts else None


def build_index(container: av.container.InputContainer, stream) -> tuple[FrameIndex, str]:
    """Read every packet of ``stream`` once; returns the index and a truncation note."""
    pts_list, keys, note = [], [], ""
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None or packet.is_discard:
                continue
            pts_list.append(packet.pts)
            if packet.is_keyframe:
                keys.append((packet.pts, packet.dts if packet.dts is not None else packet.pts))
    except DECODE_ERRORS as exc:
        note = f"the file breaks after {len(pts_list)} frames ({_reason(exc)})"
    pts = _sorted_distinct(pts_list)
    keys.sort()
    if not keys and len(pts):
        keys = [(int(pts[0]), int(pts[0]))]
    key_pts = np.asarray([k[0] for k in keys], dtype=np.int64)
    key_seek = np.asarray([k[1] for k in keys], dtype=np.int64)
    index = FrameIndex(pts, key_pts, key_seek, stream.time_base)
    if not note:
        note = _shortfall(container, stream, index)
    return index, note


def _sorted_distinct(values: list[int]) -> np.ndarray:
    """Sorted distinct int64 values (np.unique would import numpy.ma: 15 ms of start-up)."""
    a = np.sort(np.asarray(values, dtype=np.int64))
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) else a


def _shortfall(container, stream, index: FrameIndex) -> str:
    """A note when the headers announce more video than the packets hold (a cut file)."""
    n = len(index)
    if stream.frames:
        return (f"the header promises {stream.frames} frames but only {n} are present (truncated?)"
                if n < stream.frames else "")
    if stream.duration:
        declared = float(stream.duration * stream.time_base)
    elif container.duration:
        declared = container.duration / 1e6
    else:
        return ""
    step = float(np.median(np.diff(index.pts)) * index.time_base) if n > 1 else 0.04
    present = float((int(index.pts[-1]) - int(index.pts[0])) * index.time_base) + step
    if declared - present > 2 * step + 0.05:
        return f"the header announces {declared:.2f} s of video but only {present:.2f} s are present (truncated?)"
    return ""


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip().rstrip(".") or type(exc).__name__


class ContainerSource:
    """A probed and indexed video stream of a container file."""

    def __init__(self, path: Path, info: ClipInfo, layout: PlanarLayout, index: FrameIndex):
        self.path, self.info, self.layout, self.index = path, info, layout, index

    @classmethod
    def open(cls, path: Path) -> "ContainerSource":
        container = _open_container(path)
        try:
            stream = _video_stream(container, path)
            first = _first_frame(container, stream, path)
            container.seek(0)
        except DECODE_ERRORS as exc:
            container.close()
            raise MediaError(path, f"cannot be decoded ({_reason(exc)})") from None
        except MediaError:
            container.close()
            raise
        try:
            layout = planar_layout(first.format.name)
        except UnsupportedFormat as exc:
            container.close()
            raise UnsupportedFormat(path, exc.problem) from None
        try:
            index, truncated = build_index(container, stream)
            if len(index) == 0:
                raise MediaError(path, "contains no video frames")
            info = _probe(path, container, stream, first, layout, index, truncated)
        finally:
            container.close()
        return cls(path, info, layout, index)

    def frame_time(self, index: int) -> float:
        """Seconds from the first frame to frame ``index``."""
        return float((int(self.index.pts[index]) - int(self.index.pts[0])) * self.index.time_base)

    def reader(self, cache: FrameCache | None = None, conform: Conform | None = None) -> "ContainerReader":
        return ContainerReader(self, cache, conform)


def _open_container(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.InvalidDataError:
        raise MediaError(path, "is not a media file FFmpeg can read (invalid data)") from None
    except DECODE_ERRORS as exc:
        raise MediaError(path, f"cannot be opened ({_reason(exc)})") from None


def _video_stream(container, path: Path):
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams})
        what = "audio-only" if kinds == ["audio"] else f"streams: {', '.join(kinds) or 'none'}"
        raise MediaError(path, f"has no video stream ({what})")
    stream = container.streams.video[0]
    if stream.codec_context is None or stream.codec_context.codec is None:
        raise UnsupportedFormat(path, "its video codec has no decoder in this FFmpeg")
    stream.thread_type = "AUTO"
    return stream


def _first_frame(container, stream, path: Path) -> av.VideoFrame:
    for frame in container.decode(stream):
        return frame
    raise MediaError(path, "contains no decodable video frames (truncated or corrupt)")


def _probe(path, container, stream, first, layout, index: FrameIndex, truncated: str) -> ClipInfo:
    cc = stream.codec_context
    n = len(index)
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    vfr = False
    if n > 2:
        steps = np.diff(index.pts)
        vfr = bool(steps.max() > 1.5 * steps.min())
        span = float((int(index.pts[-1]) - int(index.pts[0])) * index.time_base)
        if span > 0 and (rate is None or vfr):
            rate = Fraction((n - 1) / span).limit_denominator(1001)
    rate = Fraction(rate) if rate else Fraction(25)
    duration = n / float(rate)
    bitrate = cc.bit_rate or container.bit_rate or None
    start = float(index.pts[0] * index.time_base)
    return ClipInfo(
        path=str(path), kind="container", container=container.format.name, codec=cc.name,
        width=first.width, height=first.height, fps=rate, frame_count=n,
        pix_fmt=first.format.name, bit_depth=layout.bit_depth,
        chroma_subsampling=layout.chroma_label,
        color_range=colorspace.name(colorspace.RANGE, first.color_range),
        color_matrix=colorspace.name(colorspace.MATRIX, first.colorspace),
        color_primaries=colorspace.name(colorspace.PRIMARIES, first.color_primaries),
        color_transfer=colorspace.name(colorspace.TRANSFER, first.color_trc),
        bitrate=int(bitrate) if bitrate else None, duration=duration, start_time=start,
        variable_frame_rate=vfr, conversion=layout.converted, truncated=truncated,
        peak_luminance=colorspace.peak_luminance(first),
    )


class ContainerReader(BaseReader):
    """Random and sequential access to one ContainerSource, owned by one thread."""

    def __init__(self, source: ContainerSource, cache: FrameCache | None, conform: Conform | None):
        super().__init__(len(source.index), source.layout, cache, conform)
        self.source = source
        self._container = _open_container(source.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._decoded: Iterator[av.VideoFrame] | None = None
        self._last: int | None = None    # display index of the last frame taken from the decoder
        self._floor_pts = 0              # frames before the seek keyframe are not trusted

    def close(self) -> None:
        self._container.close()

    def _read(self, index: int) -> Planes:
        if not self._can_continue_to(index):
            self._seek_to(index)
        planes = self._decode_until(index)
        if planes is None:
            self._seek_to(index, earlier=True)
            planes = self._decode_until(index)
        if planes is None:
            raise StreamBroken(self.source.path, index, "the frame could not be decoded")
        return planes

    def advance(self, index: int) -> None:
        """Decode up to ADVANCE_STEP frames on towards ``index`` when that needs no seek.

        Playing through frames served from the cache leaves the decoder behind; without
        this, the first frame after them would cost a burst of decoding (a stall). With
        it, the decoder catches up a few frames per frame shown.
        """
        index = min(index, self.frame_count - 1)
        if self._decoded is None or self._last is None or index <= self._last:
            return
        if self._can_continue_to(index):
            self._decode_until(min(index, self._last + ADVANCE_STEP))

    def _can_continue_to(self, index: int) -> bool:
        if self._decoded is None or self._last is None or index <= self._last:
            return False
        idx = self.source.index
        same_gop = idx.keyframe_for(index) == idx.keyframe_for(self._last)
        return same_gop or index - self._last <= FORWARD_WINDOW

    def _seek_to(self, index: int, earlier: bool = False) -> None:
        idx = self.source.index
        k = idx.keyframe_for(index)
        if earlier:
            k = max(k - 1, 0)
        target = int(idx.key_seek[k]) if k > 0 else int(idx.key_seek[0]) - 1
        try:
            self._container.seek(target, stream=self._stream, backward=True)
        except av.error.FFmpegError:
            self._reopen()  # formats without seeking (ivf, some raw streams): decode from the start
            k = 0
        self._floor_pts = int(idx.key_pts[k]) if k > 0 else -(2**62)
        self._decoded = self._container.decode(self._stream)
        self._last = None

    def _reopen(self) -> None:
        self._container.close()
        self._container = _open_container(self.source.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"

    def _decode_until(self, index: int) -> Planes | None:
        """Decode forward to frame ``index``; None if the decoder passed it (or ended).

        The last KEEP_BEHIND frames passed on the way go into the cache (stepping back).
        """
        idx = self.source.index
        target = int(idx.pts[index])
        try:
            for frame in self._decoded:
                if frame.pts is None or frame.pts < self._floor_pts:
                    continue
                i = idx.index_of(frame.pts)
                if i is None:
                    continue
                if frame.pts > target:
                    break
                self._last = i
                if i == index:
                    return self._convert(i, frame)
                if self.cache is not None and index - i <= KEEP_BEHIND:
                    self._convert(i, frame)
        except DECODE_ERRORS as exc:
            self._decoded, self._last = None, None
            raise StreamBroken(self.source.path, index, _reason(exc)) from None
        self._decoded, self._last = None, None
        return None
