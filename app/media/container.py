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

from vqinspect.app.media import checks, colorspace, transform
from vqinspect.app.shared.errors import MediaError, StreamBroken, UnsupportedFormat
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.frames import PlanarLayout, planar_layout
from vqinspect.app.media.source import BaseReader, ClipInfo, Conform
from vqinspect.app.media.transform import Transform

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
    by_count: bool = False   # no timestamps (raw .h264/.265): frames are counted from the start
    duplicates: tuple = ()   # display indices whose pts came more than once (the repeats are dropped)

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


def build_index(container: av.container.InputContainer, stream, path: Path) -> tuple[FrameIndex, str]:
    """Read every packet of ``stream`` once; returns the index and a truncation note. A stream
    whose packets carry no timestamps (an elementary stream) is indexed by decoding it once."""
    pts_list, keys, note, untimed = [], [], "", 0
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:
                continue
            if packet.pts is None:
                untimed += 1
                continue
            pts_list.append(packet.pts)
            if packet.is_keyframe:
                keys.append((packet.pts, packet.dts if packet.dts is not None else packet.pts))
    except DECODE_ERRORS as exc:
        note = f"the file breaks after {len(pts_list) + untimed} frames ({_reason(exc)})"
    if untimed > len(pts_list):
        return _index_by_decoding(path, stream.time_base, note)
    pts, duplicates = _sorted_distinct(pts_list)
    keys.sort()
    if not keys and len(pts):
        keys = [(int(pts[0]), int(pts[0]))]
    key_pts = np.asarray([k[0] for k in keys], dtype=np.int64)
    key_seek = np.asarray([k[1] for k in keys], dtype=np.int64)
    index = FrameIndex(pts, key_pts, key_seek, stream.time_base, duplicates=duplicates)
    if not note:
        note = _shortfall(container, stream, index, path)
    return index, note


def _index_by_decoding(path: Path, time_base, note: str) -> tuple[FrameIndex, str]:
    """Count the frames of a stream without timestamps by decoding it once, in display order."""
    count = 0
    container = _open_container(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            count += 1
    except DECODE_ERRORS as exc:
        note = note or f"the file breaks after {count} frames ({_reason(exc)})"
    finally:
        container.close()
    pts = np.arange(count, dtype=np.int64)
    zero = np.zeros(1, dtype=np.int64)
    return FrameIndex(pts, zero, zero, Fraction(1, 1), by_count=True), note


def _sorted_distinct(values: list[int]) -> tuple[np.ndarray, tuple]:
    """Sorted distinct int64 values, and the positions (in the distinct list) of the values
    that came more than once (np.unique would import numpy.ma: 15 ms of start-up)."""
    a = np.sort(np.asarray(values, dtype=np.int64))
    if not len(a):
        return a, ()
    first = np.concatenate(([True], a[1:] != a[:-1]))
    distinct = a[first]
    repeated = np.flatnonzero(~first)  # positions in a of the repeats
    return distinct, tuple(int(i) for i in np.cumsum(first)[repeated] - 1)


def _shortfall(container, stream, index: FrameIndex, path: Path) -> str:
    """A note when the headers announce more video than the packets hold (a cut file)."""
    n = len(index)
    if n == 0:
        return ""
    if container.format.name == "yuv4mpegpipe":
        return checks.y4m_partial_frame(path, n, _first_packet_size(path))
    if stream.frames:
        if stream.frames > 100 * max(n, 1) + 1000:
            return (f"its header claims {stream.frames} frames but only {n} are present: the sample table is "
                    "damaged")
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


def _first_packet_size(path: Path) -> int:
    with av.open(str(path)) as c:
        for packet in c.demux(video=0):
            return packet.size
    return 0


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip().rstrip(".") or type(exc).__name__


class ContainerSource:
    """A probed and indexed video stream of a container file."""

    def __init__(self, path: Path, info: ClipInfo, layout: PlanarLayout, index: FrameIndex):
        self.path, self.info, self.layout, self.index = path, info, layout, index
        self.transform = Transform(rotation=info.rotation)

    @classmethod
    def open(cls, path: Path) -> "ContainerSource":
        _check_claims(path)
        container = _open_container(path)
        try:
            stream = _video_stream(container, path)
            first = _first_frame(container, stream, path)
            container = _rewind(container, path)
            stream = container.streams.video[0]
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
            index, truncated = build_index(container, stream, path)
            if len(index) == 0:
                raise MediaError(path, "contains no video frames")
            info = _probe(path, container, stream, first, layout, index, truncated)
        finally:
            container.close()
        return cls(path, info, layout, index)

    def frame_time(self, index: int) -> float:
        """Seconds from the first frame to frame ``index``."""
        if self.index.by_count:
            return index / float(self.info.fps)
        return float((int(self.index.pts[index]) - int(self.index.pts[0])) * self.index.time_base)

    def reader(self, cache: FrameCache | None = None, conform: Conform | None = None) -> "ContainerReader":
        return ContainerReader(self, cache, conform)


def _check_claims(path: Path) -> None:
    """The frame size the file claims, checked with its probe decoding nothing (FFmpeg's probe
    would otherwise decode a picture of whatever size a forged header claims)."""
    container = _open_container(path, options={"skip_frame": "all"})
    try:
        checks.check_claimed_size(path, container, _video_stream(container, path))
    except DECODE_ERRORS:
        pass  # the real open reports what is wrong
    finally:
        container.close()


def _open_container(path: Path, **options) -> av.container.InputContainer:
    try:
        return av.open(str(path), metadata_errors="ignore", **options)
    except av.error.InvalidDataError:
        problem = checks.y4m_size_problem(path)
        raise MediaError(path, problem or "is not a media file FFmpeg can read (invalid data)") from None
    except DECODE_ERRORS as exc:
        problem = checks.y4m_size_problem(path) or checks.mp4_header_problem(path)
        raise MediaError(path, problem or f"cannot be opened ({_reason(exc)})") from None


def _reopen(container, path: Path) -> av.container.InputContainer:
    container.close()
    return _open_container(path)


def _rewind(container, path: Path) -> av.container.InputContainer:
    """``container`` back at its start: sought, or opened again where it cannot seek (raw
    elementary streams)."""
    try:
        container.seek(0)
        return container
    except DECODE_ERRORS:
        return _reopen(container, path)


def _video_stream(container, path: Path):
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams})
        what = "audio-only" if kinds == ["audio"] else f"streams: {', '.join(kinds) or 'none'}"
        damage = checks.mp4_header_problem(path) if not kinds else None
        raise MediaError(path, damage or f"has no video stream ({what})")
    stream = container.streams.video[0]
    if stream.codec_context is None or stream.codec_context.codec is None:
        damage = checks.mp4_header_problem(path)
        if damage:
            raise MediaError(path, damage)
        name = stream.codec_context.name if stream.codec_context is not None else "none"
        if name in ("none", "", None):
            raise MediaError(path, "its video stream names no codec (damaged or unknown sample description)")
        raise UnsupportedFormat(path, f"its video codec ({name}) has no decoder in this FFmpeg")
    stream.thread_type = "AUTO"
    return stream


def _first_frame(container, stream, path: Path) -> av.VideoFrame:
    for frame in container.decode(stream):
        return frame
    damage = checks.mp4_header_problem(path)
    raise MediaError(path, damage or "contains no decodable video frames (truncated or corrupt)")


def _probe(path, container, stream, first, layout, index: FrameIndex, truncated: str) -> ClipInfo:
    cc = stream.codec_context
    n = len(index)
    rate, vfr = _frame_rate(stream, index)
    gaps, duplicates = (), ()
    if not index.by_count:
        gaps, duplicates, _ = checks.timestamp_report(index.pts, index.time_base, index.duplicates)
    duration = n / float(rate)
    bitrate = cc.bit_rate or container.bit_rate or None
    start = 0.0 if index.by_count else float(index.pts[0] * index.time_base)
    rotation = transform.normal_rotation(first.rotation)
    width, height = transform.rotated_size(first.width, first.height, rotation)
    return ClipInfo(
        path=str(path), kind="container", container=container.format.name, codec=cc.name,
        codec_profile=cc.profile or "",
        width=width, height=height, fps=rate, frame_count=n,
        pix_fmt=first.format.name, bit_depth=layout.bit_depth,
        chroma_subsampling=layout.chroma_label,
        color_range=colorspace.name(colorspace.RANGE, first.color_range),
        color_matrix=colorspace.name(colorspace.MATRIX, first.colorspace),
        color_primaries=colorspace.name(colorspace.PRIMARIES, first.color_primaries),
        color_transfer=colorspace.name(colorspace.TRANSFER, first.color_trc),
        bitrate=int(bitrate) if bitrate else None, duration=duration, start_time=start,
        variable_frame_rate=vfr, conversion=layout.converted, truncated=truncated,
        peak_luminance=colorspace.peak_luminance(first),
        rotation=rotation, stored_size=f"{first.width}x{first.height}" if rotation in (90, 270) else "",
        sample_aspect_ratio=transform.aspect_text(stream.sample_aspect_ratio or cc.sample_aspect_ratio),
        field_order=transform.field_order(cc.field_order, first.interlaced_frame),
        timestamp_gaps=gaps, duplicate_timestamps=duplicates,
    )


def _frame_rate(stream, index: FrameIndex) -> tuple[Fraction, bool]:
    """The clip's frame rate and whether it varies. Regular timestamps give the rate of their
    usual step (a gap left by a missing frame, a cut end or a header that lies about the
    duration does not change it); a variable rate is frames over time."""
    header = stream.average_rate or stream.guessed_rate or stream.base_rate
    header = Fraction(header) if header and 0 < float(header) < 1000 else None
    n = len(index)
    if index.by_count or n < 3:
        return header or Fraction(25), False
    steps = np.diff(index.pts)
    step = float(np.median(steps))
    vfr = bool(np.mean(np.abs(steps - step) > 0.2 * step) > 0.1)
    if vfr:
        span = float((int(index.pts[-1]) - int(index.pts[0])) * index.time_base)
        return _plausible(Fraction((n - 1) / span).limit_denominator(1001), header), True
    measured = 1.0 / (step * float(index.time_base))
    if header is not None and abs(float(header) - measured) <= 2e-3 * measured:
        return header, False
    return _plausible(Fraction(measured).limit_denominator(1001), header), False


def _plausible(rate: Fraction, header: Fraction | None) -> Fraction:
    """``rate`` when it is one a video can have (damaged timestamps can say anything)."""
    return rate if 0.1 <= rate <= 1000 else header or Fraction(25)


class ContainerReader(BaseReader):
    """Random and sequential access to one ContainerSource, owned by one thread."""

    def __init__(self, source: ContainerSource, cache: FrameCache | None, conform: Conform | None):
        stored = transform.rotated_size(source.info.width, source.info.height, source.info.rotation)
        super().__init__(len(source.index), source.layout, cache, conform, source.transform, source.path, stored)
        self.source = source
        self._container = _open_container(source.path)
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._decoded: Iterator[av.VideoFrame] | None = None
        self._last: int | None = None    # display index of the last frame taken from the decoder
        self._floor_pts = 0              # frames before the seek keyframe are not trusted
        self._counted = 0                # frames decoded since the start (streams without timestamps)

    def close(self) -> None:
        self._container.close()

    def _decode(self, index: int) -> av.VideoFrame:
        if not self._can_continue_to(index):
            self._seek_to(index)
        frame = self._decode_until(index)
        if frame is None:
            self._seek_to(index, earlier=True)
            frame = self._decode_until(index)
        if frame is None:
            raise StreamBroken(self.source.path, index, "the frame could not be decoded")
        return frame

    def advance(self, index: int) -> None:
        """Decode up to ADVANCE_STEP frames on towards ``index`` when that needs no seek.

        Playing through frames served from the cache leaves the decoder behind; without
        this, the first frame after them would cost a burst of decoding (a stall). With
        it, the decoder catches up a few frames per frame shown.
        """
        index = min(index, self.frame_count - 1)
        if self._decoded is None or self._last is None or index <= self._last or self._delayed:
            return
        if self._can_continue_to(index):
            target = min(index, self._last + ADVANCE_STEP)
            frame = self._decode_until(target)
            if frame is not None:
                self._passing(target, frame)

    def _can_continue_to(self, index: int) -> bool:
        if self._decoded is None or self._last is None or index <= self._last:
            return False
        idx = self.source.index
        if idx.by_count:
            return True
        same_gop = idx.keyframe_for(index) == idx.keyframe_for(self._last)
        return same_gop or index - self._last <= FORWARD_WINDOW

    def _seek_to(self, index: int, earlier: bool = False) -> None:
        idx = self.source.index
        if idx.by_count:  # nothing to seek by: decode from the start, counting frames
            self._reopen()
            self._floor_pts, self._counted = -(2**62), 0
            self._decoded, self._last = self._container.decode(self._stream), None
            return
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

    def _decode_until(self, index: int) -> av.VideoFrame | None:
        """Decode forward to frame ``index``; None if the decoder passed it (or ended).

        The last KEEP_BEHIND frames passed on the way go into the cache (stepping back).
        """
        idx = self.source.index
        target = int(idx.pts[index])
        try:
            for frame in self._decoded:
                if idx.by_count:
                    i = self._counted
                    self._counted += 1
                    pts = i
                else:
                    pts = frame.pts
                    if pts is None or pts < self._floor_pts:
                        continue
                    i = idx.index_of(pts)
                    if i is None:
                        continue
                if pts > target or i >= self.frame_count:
                    break
                self._last = i
                if i == index:
                    return frame
                if index - i <= KEEP_BEHIND:
                    self._passing(i, frame)
        except DECODE_ERRORS as exc:
            self._decoded, self._last = None, None
            raise StreamBroken(self.source.path, index, _reason(exc)) from None
        self._decoded, self._last = None, None
        return None
