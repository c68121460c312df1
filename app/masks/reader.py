"""Read mask and alpha clips as one 2-D plane per frame, whatever they were saved as.

Masks come as gray PNGs (8 or 16-bit), gray+alpha or RGBA PNGs whose alpha is the
matte, palette PNGs whose indices are object ids (DAVIS), RGB PNGs that are gray in
disguise, or videos whose luma is the mask. ``open_mask`` probes the clip with
``vqinspect.app.media.source``, decodes a few frames, picks the plane that holds the mask and works out
what the values mean (binary, alpha or labels); a clip that is none of these (a colour
picture, a natural gray video) is refused with one readable line.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

import av
import numpy as np

from vqinspect.app.media.container import ContainerReader, ContainerSource
from vqinspect.app.shared.errors import InputError, UnsupportedFormat
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.frames import frame_planes, planar_layout
from vqinspect.app.media.source import ClipInfo, MediaSource, open_media
from vqinspect.app.media.rawvideo import RawVideoReader, RawVideoSource
from vqinspect.app.media.sequence import ImageSequenceReader, ImageSequenceSource

KINDS = ("auto", "binary", "alpha", "labels")
GRAY_TOLERANCE = 0.02     # RGB channels (or chroma) may stray this far (share of range): lossy files
EXTREME_TOLERANCE = 0.04  # "at black or white" for a matte, as a share of the range
MIN_EXTREME_SHARE = 0.5   # a matte has at least this share of its pixels at black or white
MAX_LABEL_IDS = 32        # gray masks with at most this many small values are label maps
VOID_LABEL = 255
"""In 8-bit label maps: "void" (DAVIS, VOC). Read as background, as the DAVIS 2017 toolkit
reads its ground truths, so that J and F match its numbers and void is never an object."""


class NotAMask(InputError):
    """A clip that does not hold a mask, a matte or a label map."""


@dataclass(frozen=True)
class MaskFormat:
    """Where the mask is in the decoded frames and what its values mean.

    ``channel``: gray, luma (of a YUV video), alpha, palette (indices) or rgb (a gray
    picture stored as RGB; its green channel is read). ``black`` and ``white`` are the code
    values of 0 and 1 (16 and 235 for limited-range 8-bit video). ``kind``: binary
    (foreground where value >= half way from black to white), alpha (linear in between,
    clipped) or labels (the values are object ids, 0 is background; in 8-bit label maps
    VOID_LABEL is background too).
    """

    channel: str
    bit_depth: int
    black: int
    white: int
    kind: str

    @property
    def threshold(self) -> int:
        """The smallest code value that counts as foreground: half range, rounded up."""
        return -(-(self.black + self.white) // 2)

    def to_labels(self, plane: np.ndarray) -> np.ndarray:
        """The label map of a plane: ids as they are for labels (void as 0), else 0/1 (uint8)
        at half range."""
        if self.kind == "labels":
            if plane.dtype == np.uint8:
                return np.where(plane == VOID_LABEL, np.uint8(0), plane)
            return np.ascontiguousarray(plane)
        return (plane >= self.threshold).view(np.uint8)

    def to_alpha(self, plane: np.ndarray) -> np.ndarray:
        """Alpha in [0, 1] (float32): (value - black) / (white - black), clipped."""
        if self.kind == "labels":
            raise ValueError("a label map has no alpha")
        a = (plane.astype(np.float32) - np.float32(self.black)) / np.float32(self.white - self.black)
        return np.clip(a, 0.0, 1.0, out=a)

    def as_dict(self) -> dict:
        return {"channel": self.channel, "bit_depth": self.bit_depth, "black": self.black,
                "white": self.white, "kind": self.kind, "threshold": self.threshold}


# ----------------------------------------------------------------------------- channels

def _has_alpha(pix_fmt: str) -> bool:
    return any(c.is_alpha for c in av.VideoFormat(pix_fmt, 16, 16).components)


def _depth(pix_fmt: str) -> int:
    return 8 if max(c.bits for c in av.VideoFormat(pix_fmt, 16, 16).components) <= 8 else 16


def _rgb_format(pix_fmt: str, alpha: bool) -> str:
    if _depth(pix_fmt) == 8:
        return "rgba" if alpha else "rgb24"
    return "rgba64le" if alpha else "rgb48le"


def frame_channels(frame: av.VideoFrame) -> tuple[np.ndarray, ...]:
    """Every channel of a decoded frame as 2-D arrays: (indices,) for palette images,
    (R, G, B[, A]) for RGB and alpha-carrying formats, the planar (Y[, U, V]) otherwise."""
    name = frame.format.name
    if name == "pal8":
        return (np.ascontiguousarray(frame.to_ndarray()[0]),)
    alpha = _has_alpha(name)
    if alpha or frame.format.is_rgb:
        rgb = frame.reformat(format=_rgb_format(name, alpha)).to_ndarray()
        return tuple(np.ascontiguousarray(rgb[..., c]) for c in range(rgb.shape[2]))
    return frame_planes(frame, planar_layout(name))


def frame_channel(frame: av.VideoFrame, channel: str) -> np.ndarray:
    """The one plane ``channel`` of a decoded frame (see ``MaskFormat``)."""
    if channel == "palette":
        if frame.format.name != "pal8":
            raise UnsupportedFormat(None, f"frame is {frame.format.name}, not a palette image")
        return np.ascontiguousarray(frame.to_ndarray()[0])
    if channel in ("alpha", "rgb"):
        alpha = channel == "alpha"
        rgb = frame.reformat(format=_rgb_format(frame.format.name, alpha)).to_ndarray()
        return np.ascontiguousarray(rgb[..., 3 if alpha else 1])
    return frame_planes(frame, planar_layout(frame.format.name))[0]


class _ChannelReader:
    """Mixin for the media readers: hand out one channel (or all) instead of the planes."""

    channel = "all"

    def _convert(self, index: int, frame):
        if self.channel == "all":
            planes = frame_channels(frame)
        else:
            planes = (frame_channel(frame, self.channel),)
        if self.cache is not None:
            self.cache.put(index, planes)
        return planes


class _ContainerChannels(_ChannelReader, ContainerReader):
    pass


class _SequenceChannels(_ChannelReader, ImageSequenceReader):
    pass


class _RawChannels(_ChannelReader, RawVideoReader):
    pass


_READERS = {ContainerSource: _ContainerChannels, ImageSequenceSource: _SequenceChannels,
            RawVideoSource: _RawChannels}


def _channel_reader(source: MediaSource, channel: str, cache: FrameCache | None = None):
    reader = _READERS[type(source)](source, cache, None)
    reader.channel = channel
    return reader


# ----------------------------------------------------------------------------- choosing

def choose_channel(pix_fmt: str, samples: list[tuple[np.ndarray, ...]], color_range: str) -> tuple[str, int, int, int]:
    """(channel, bit depth, black, white) for frames of ``pix_fmt`` whose ``frame_channels``
    are ``samples``; NotAMask (path-less) when no channel holds a mask."""
    first = samples[0]
    if pix_fmt == "pal8":
        return "palette", 8, 0, 255
    depth = 8 if first[0].dtype == np.uint8 else 16
    peak = (1 << depth) - 1
    if len(first) == 4 and any(int(s[3].min()) < peak for s in samples):
        return "alpha", depth, 0, peak
    if len(first) >= 3 and (_has_alpha(pix_fmt) or av.VideoFormat(pix_fmt, 16, 16).is_rgb):
        spread = max(max(_spread(s[0], s[1]), _spread(s[1], s[2])) for s in samples)
        if spread > GRAY_TOLERANCE * peak:
            raise NotAMask(None, "is a colour picture, not a mask (expected gray, alpha or palette "
                                 "images, or a video whose luma is the mask)")
        return "rgb", depth, 0, peak
    layout = planar_layout(pix_fmt)
    depth = layout.bit_depth
    peak = (1 << depth) - 1
    if len(first) == 3:
        mid = 1 << (depth - 1)
        spread = max(_chroma_spread(p, mid) for s in samples for p in s[1:])
        if spread > GRAY_TOLERANCE * peak:
            raise NotAMask(None, "is a colour video, not a mask (its chroma is not neutral)")
        if color_range != "pc":
            scale = 1 << (depth - 8)
            return "luma", depth, 16 * scale, 235 * scale
        return "luma", depth, 0, peak
    return "gray", depth, 0, peak


def _spread(a: np.ndarray, b: np.ndarray) -> float:
    """The 99.9th percentile of |a - b| (a few stray pixels of a lossy file do not count)."""
    return float(np.percentile(np.abs(a.astype(np.int32) - b.astype(np.int32)), 99.9))


def _chroma_spread(plane: np.ndarray, mid: int) -> float:
    return float(np.percentile(np.abs(plane.astype(np.int32) - mid), 99.9))


def detect_kind(planes: list[np.ndarray], channel: str, black: int, white: int) -> tuple[str, int, int]:
    """(kind, black, white) from sample planes of the mask channel; NotAMask if the values look
    like a picture rather than a mask or matte."""
    if channel == "palette":
        return "labels", black, white
    values = np.unique(np.concatenate([np.unique(p) for p in planes]))
    if set(values.tolist()) <= {black, white}:
        return "binary", black, white
    if black == 0 and set(values.tolist()) <= {0, 1}:
        return "binary", 0, 1
    ids = values[values != VOID_LABEL] if white == 255 else values   # 8-bit: void may be there
    if black == 0 and ids.size <= MAX_LABEL_IDS and int(ids.max()) <= min(255, white // 8):
        return "labels", black, white
    tolerance = EXTREME_TOLERANCE * (white - black)
    extreme = np.mean([np.mean((p <= black + tolerance) | (p >= white - tolerance)) for p in planes])
    if extreme < MIN_EXTREME_SHARE:
        raise NotAMask(None, f"looks like a picture, not a mask or matte (only {extreme:.0%} of its "
                             "pixels are at the black or white level; give --kind alpha if it is a matte)")
    return "alpha", black, white


def forced_kind(kind: str, channel: str, black: int, white: int) -> tuple[str, int, int]:
    """(kind, black, white) when the user names the kind."""
    if kind == "labels" or channel != "palette":
        return kind, black, white
    raise NotAMask(None, f"is a palette image (object ids); it cannot be read as {kind}")


# ----------------------------------------------------------------------------- sources

class MaskSource:
    """A mask clip: the media probe plus where its mask is; readers give one 2-D plane per frame."""

    def __init__(self, media: MediaSource, fmt: MaskFormat):
        self.media, self.format = media, fmt

    @property
    def info(self) -> ClipInfo:
        return self.media.info

    def reader(self, cache: FrameCache | None = None) -> "MaskReader":
        return MaskReader(_channel_reader(self.media, self.format.channel, cache))

    def as_dict(self) -> dict:
        d = self.info.as_dict()
        d["mask"] = self.format.as_dict()
        return d


class MaskReader:
    """Frames of a mask clip as 2-D arrays in native depth; one per thread."""

    def __init__(self, reader):
        self._reader = reader
        self.frame_count = reader.frame_count

    def frame(self, index: int) -> np.ndarray:
        return self._reader.frame(index)[0]

    def frames(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        for i, planes in self._reader.frames(start, stop):
            yield i, planes[0]

    def close(self) -> None:
        self._reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_mask(path: str | os.PathLike, kind: str = "auto", fps: Fraction | None = None,
              samples: int = 3) -> MaskSource:
    """Probe ``path`` as a mask clip; InputError (one line naming the file) if it is not one.

    ``kind`` forces binary, alpha or labels; ``auto`` decides from ``samples`` frames
    spread over the clip (first, middle, last).
    """
    if kind not in KINDS:
        raise InputError(None, f"unknown mask kind {kind!r} (known: {', '.join(KINDS)})")
    media = open_media(path, None, fps)
    n = media.info.frame_count
    picks = sorted({round(i * (n - 1) / max(samples - 1, 1)) for i in range(samples)})
    try:
        with _channel_reader(media, "all") as reader:
            sampled = [reader.frame(i) for i in picks]
        channel, depth, black, white = choose_channel(media.info.pix_fmt, sampled, media.info.color_range)
        planes = _pick(sampled, channel)
        if kind == "auto":
            kind, black, white = detect_kind(planes, channel, black, white)
        else:
            kind, black, white = forced_kind(kind, channel, black, white)
    except NotAMask as exc:
        raise NotAMask(path, exc.problem) from None
    return MaskSource(media, MaskFormat(channel, depth, black, white, kind))


def _pick(sampled: list[tuple[np.ndarray, ...]], channel: str) -> list[np.ndarray]:
    index = {"alpha": 3, "rgb": 1}.get(channel, 0)
    return [s[index] for s in sampled]
