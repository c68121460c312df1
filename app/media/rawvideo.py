"""Headerless raw video (.yuv): frames of a known size and pixel format back to back."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from vqinspect.app.shared.errors import MediaError, UnsupportedFormat
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.frames import PlanarLayout, planar_layout
from vqinspect.app.media.source import BaseReader, ClipInfo, Conform, RawSpec
from vqinspect.app.media.transform import Transform


def plane_geometry(pix_fmt: str, width: int, height: int) -> list[tuple[int, int]]:
    """(rows, bytes per row) of each plane of one tightly packed frame."""
    fmt = av.VideoFormat(pix_fmt, width, height)
    planes: dict[int, tuple[int, int]] = {}
    for comp in fmt.components:
        sample_bytes = (comp.bits + 7) // 8 if comp.bits > 8 else 1
        rows, row_bytes = planes.get(comp.plane, (comp.height, 0))
        planes[comp.plane] = (max(rows, comp.height), row_bytes + comp.width * sample_bytes)
    return [planes[p] for p in sorted(planes)]


class RawVideoSource:
    def __init__(self, path: Path, spec: RawSpec, info: ClipInfo, layout: PlanarLayout,
                 geometry: list[tuple[int, int]]):
        self.path, self.spec, self.info, self.layout, self.geometry = path, spec, info, layout, geometry
        self.transform = Transform()
        self.frame_bytes = sum(r * b for r, b in geometry)

    @classmethod
    def open(cls, path: Path, spec: RawSpec) -> "RawVideoSource":
        try:
            layout = planar_layout(spec.pix_fmt)
        except UnsupportedFormat as exc:
            raise UnsupportedFormat(path, exc.problem) from None
        fmt = av.VideoFormat(spec.pix_fmt, spec.width, spec.height)
        if not fmt.is_planar and len({c.plane for c in fmt.components}) > 1:
            raise UnsupportedFormat(path, f"unsupported raw pixel format {spec.pix_fmt}")
        geometry = plane_geometry(spec.pix_fmt, spec.width, spec.height)
        frame_bytes = sum(r * b for r, b in geometry)
        size = path.stat().st_size
        count, rest = divmod(size, frame_bytes)
        if count == 0:
            raise MediaError(path, f"is smaller than one {spec.width}x{spec.height} {spec.pix_fmt} frame "
                                   f"({size} < {frame_bytes} bytes): check --size and --pix-fmt")
        truncated = f"the last {rest} bytes are not a whole frame" if rest else ""
        info = ClipInfo(
            path=str(path), kind="raw", container="rawvideo", codec="rawvideo",
            width=spec.width, height=spec.height, fps=spec.fps, frame_count=count,
            pix_fmt=spec.pix_fmt, bit_depth=layout.bit_depth, chroma_subsampling=layout.chroma_label,
            color_range="unknown", color_matrix="unknown", color_primaries="unknown",
            color_transfer="unknown", bitrate=int(frame_bytes * 8 * float(spec.fps)),
            duration=count / float(spec.fps), conversion=layout.converted, truncated=truncated,
        )
        return cls(path, spec, info, layout, geometry)

    def frame_time(self, index: int) -> float:
        return index / float(self.info.fps)

    def reader(self, cache: FrameCache | None = None, conform: Conform | None = None) -> "RawVideoReader":
        return RawVideoReader(self, cache, conform)


class RawVideoReader(BaseReader):
    def __init__(self, source: RawVideoSource, cache: FrameCache | None, conform: Conform | None):
        super().__init__(source.info.frame_count, source.layout, cache, conform, source.transform, source.path)
        self.source = source
        self._file = open(source.path, "rb")

    def close(self) -> None:
        self._file.close()

    def _decode(self, index: int) -> av.VideoFrame:
        src = self.source
        self._file.seek(index * src.frame_bytes)
        data = self._file.read(src.frame_bytes)
        frame = av.VideoFrame(src.spec.width, src.spec.height, src.spec.pix_fmt)
        offset = 0
        for plane, (rows, row_bytes) in zip(frame.planes, src.geometry):
            chunk = np.frombuffer(data, np.uint8, rows * row_bytes, offset).reshape(rows, row_bytes)
            target = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:rows, :row_bytes]
            target[:] = chunk
            offset += rows * row_bytes
        return frame
