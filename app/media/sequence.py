"""Image sequences (``frames_%04d.png``, or a folder of images): PNG, DPX, TIFF, EXR, ...

Each image is decoded on its own with PyAV, so random access is exact and cheap.
"""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
import av

from vqinspect.app.media import colorspace
from vqinspect.app.media.container import DECODE_ERRORS, _reason
from vqinspect.app.shared.errors import MediaError, StreamBroken, UnsupportedFormat
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.frames import PlanarLayout, planar_layout
from vqinspect.app.media.source import BaseReader, ClipInfo, Conform
from vqinspect.app.media.transform import Transform

IMAGE_EXTENSIONS = {".png", ".dpx", ".tif", ".tiff", ".exr", ".jpg", ".jpeg", ".bmp", ".tga", ".webp", ".pgm", ".ppm"}
_PRINTF = re.compile(r"%(0?)(\d*)d")


def is_sequence_pattern(text: str) -> bool:
    """Whether ``text`` names a printf pattern (the caller first checks it is not a file)."""
    return bool(_PRINTF.search(Path(text).name))


def list_sequence(pattern: str) -> list[Path]:
    """The files of a printf pattern (or a folder of images), in frame-number order."""
    return [f for _, f in numbered_files(pattern)]


def numbered_files(pattern: str) -> list[tuple[int | None, Path]]:
    """(frame number, file) of a printf pattern in number order; a folder's images in natural
    order, numbered by the last run of digits in their names (None without digits)."""
    p = Path(pattern)
    if p.is_dir():
        files = sorted((f for f in p.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS), key=_natural_key)
        return [(_last_number(f.stem), f) for f in files]
    m = _PRINTF.search(p.name)
    width = int(m.group(2)) if m.group(2) else None
    digits = rf"\d{{{width}}}" if m.group(1) and width else r"\d+"
    regex = re.compile(re.escape(p.name[: m.start()]) + f"({digits})" + re.escape(p.name[m.end():]) + "$")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        return []
    found = []
    for f in folder.iterdir():
        hit = regex.match(f.name)
        if hit:
            found.append((int(hit.group(1)), f))
    return sorted(found)


def _last_number(stem: str) -> int | None:
    runs = re.findall(r"\d+", stem)
    return int(runs[-1]) if runs else None


def sequence_gaps(numbered: list[tuple[int | None, Path]]) -> list[tuple[int, int]]:
    """(frame after the gap, numbers missing) for each jump in the file numbers."""
    numbers = [n for n, _ in numbered]
    if None in numbers:
        return []
    return [(i, b - a - 1) for i, (a, b) in enumerate(zip(numbers, numbers[1:]), start=1) if b - a > 1]


def _natural_key(path: Path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def _decode_image(path: Path) -> av.VideoFrame:
    try:
        with av.open(str(path)) as c:
            for frame in c.decode(video=0):
                return frame
    except DECODE_ERRORS as exc:
        raise MediaError(path, f"cannot be decoded as an image ({_reason(exc)})") from None
    raise MediaError(path, "holds no image")


class ImageSequenceSource:
    """A numbered run of still images played at ``fps``."""

    def __init__(self, pattern: str, files: list[Path], info: ClipInfo, layout: PlanarLayout):
        self.pattern, self.files, self.info, self.layout = pattern, files, info, layout
        self.transform = Transform()

    @classmethod
    def open(cls, pattern: str, fps: Fraction) -> "ImageSequenceSource":
        numbered = numbered_files(pattern)
        files = [f for _, f in numbered]
        if not files and Path(pattern).is_dir():
            raise MediaError(pattern, f"is a directory with no images in it (looked for "
                                      f"{', '.join(sorted(IMAGE_EXTENSIONS))}); for a video give the file itself")
        if not files:
            raise MediaError(pattern, "no images match this sequence pattern")
        first = _decode_image(files[0])
        try:
            layout = planar_layout(first.format.name)
        except UnsupportedFormat as exc:
            raise UnsupportedFormat(files[0], exc.problem) from None
        info = ClipInfo(
            path=pattern, kind="image-sequence", container="image2",
            codec=files[0].suffix.lower().lstrip("."), width=first.width, height=first.height,
            fps=Fraction(fps), frame_count=len(files), pix_fmt=first.format.name,
            bit_depth=layout.bit_depth, chroma_subsampling=layout.chroma_label,
            color_range=colorspace.name(colorspace.RANGE, first.color_range),
            color_matrix=colorspace.name(colorspace.MATRIX, first.colorspace),
            color_primaries=colorspace.name(colorspace.PRIMARIES, first.color_primaries),
            color_transfer=colorspace.name(colorspace.TRANSFER, first.color_trc),
            bitrate=None, duration=len(files) / float(fps), conversion=layout.converted,
            timestamp_gaps=tuple((i, missing, round(missing / float(fps), 4)) for i, missing in sequence_gaps(numbered)),
        )
        return cls(pattern, files, info, layout)

    def frame_time(self, index: int) -> float:
        return index / float(self.info.fps)

    def reader(self, cache: FrameCache | None = None, conform: Conform | None = None) -> "ImageSequenceReader":
        return ImageSequenceReader(self, cache, conform)


class ImageSequenceReader(BaseReader):
    def __init__(self, source: ImageSequenceSource, cache: FrameCache | None, conform: Conform | None):
        super().__init__(len(source.files), source.layout, cache, conform, source.transform, source.pattern)
        self.source = source

    def _decode(self, index: int) -> av.VideoFrame:
        path = self.source.files[index]
        try:
            frame = _decode_image(path)
        except MediaError as exc:
            raise StreamBroken(self.source.pattern, index, exc.problem) from None
        info = self.source.info
        if (frame.width, frame.height) != (info.width, info.height):
            raise StreamBroken(self.source.pattern, index, f"{path.name} is {frame.width}x{frame.height}, "
                               f"the sequence is {info.width}x{info.height}")
        return frame
