"""Decoded PyAV frames to planar numpy arrays in native depth (never through RGB).

Planar YUV and gray formats are taken as they are. Semi-planar and packed YUV
(nv12, p010, yuyv422, ...) are repacked to the planar format of the same depth and
subsampling, which is lossless. RGB and palette sources (PNG, DPX, TIFF, EXR) are
converted to planar YUV 4:4:4 with BT.709 coefficients; that is the one lossy
step, the same for both clips of a pair, and the probe says so.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from vqinspect.app.shared.errors import UnsupportedFormat

Planes = tuple  # (Y,) or (Y, U, V)

_SUBSAMPLING = {(0, 0): "444", (1, 0): "422", (1, 1): "420", (0, 1): "440", (2, 0): "411", (2, 2): "410"}
_SUBSAMPLING_LABEL = {"444": "4:4:4", "422": "4:2:2", "420": "4:2:0", "440": "4:4:0",
                      "411": "4:1:1", "410": "4:1:0", "gray": "4:0:0"}
_DEPTHS = (8, 9, 10, 12, 14, 16)


@dataclass(frozen=True)
class PlanarLayout:
    """How a source pixel format maps onto the planar format we score."""

    source: str           # the decoder's pix_fmt
    planar: str           # the planar pix_fmt we hand to the kernels
    bit_depth: int
    subsampling: str      # "420", "422", "444", ..., or "gray"
    converted: str = ""   # empty when no conversion, else what it did

    @property
    def chroma_label(self) -> str:
        return _SUBSAMPLING_LABEL[self.subsampling]

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.uint8) if self.bit_depth <= 8 else np.dtype("<u2")

    @property
    def samples_per_pixel(self) -> float:
        """Samples of all planes per luma pixel (1.5 for 4:2:0, 1 for gray)."""
        if self.subsampling == "gray":
            return 1.0
        sx, sy = next(shift for shift, name in _SUBSAMPLING.items() if name == self.subsampling)
        return 1.0 + 2.0 / (1 << (sx + sy))


def _planar_name(subsampling: str, depth: int) -> str:
    base = "gray" if subsampling == "gray" else f"yuv{subsampling}p"
    if depth == 8:
        return base
    return f"{base}{depth}le"


def _snap_depth(bits: int) -> int:
    """The smallest planar depth that holds ``bits`` (float sources map to 16)."""
    for depth in _DEPTHS:
        if bits <= depth:
            return depth
    return 16


def planar_layout(pix_fmt: str) -> PlanarLayout:
    """The planar layout for ``pix_fmt``; UnsupportedFormat for what we cannot score."""
    try:
        fmt = av.VideoFormat(pix_fmt, 64, 64)
    except (ValueError, av.error.FFmpegError):
        raise UnsupportedFormat(None, f"unknown pixel format {pix_fmt!r}") from None
    if fmt.is_bayer or fmt.is_bit_stream and pix_fmt not in ("monob", "monow"):
        raise UnsupportedFormat(None, f"unsupported pixel format {pix_fmt} (raw Bayer or bitstream)")
    colour = [c for c in fmt.components if not c.is_alpha]
    if not colour:
        raise UnsupportedFormat(None, f"unsupported pixel format {pix_fmt} (no colour components)")
    bits = max(c.bits for c in colour)
    is_float = "f32" in pix_fmt or "f16" in pix_fmt
    depth = 16 if is_float else _snap_depth(max(bits, 8))
    if fmt.is_rgb or fmt.has_palette or pix_fmt.startswith("xyz"):
        return PlanarLayout(pix_fmt, _planar_name("444", depth), depth, "444",
                            f"{pix_fmt} converted to YUV 4:4:4 (BT.709) for scoring")
    if len(colour) == 1:
        planar = _planar_name("gray", depth)
        native = pix_fmt == planar or (pix_fmt == "gray8")
        return PlanarLayout(pix_fmt, planar, depth, "gray", "" if native else f"{pix_fmt} repacked as {planar}")
    sub = _SUBSAMPLING.get(_chroma_shift(fmt))
    if sub is None:
        raise UnsupportedFormat(None, f"unsupported pixel format {pix_fmt} (chroma layout)")
    planar = _planar_name(sub, depth)
    native = _is_native_planar(fmt, colour, depth)
    return PlanarLayout(pix_fmt, planar if not native else pix_fmt, depth, sub,
                        "" if native else f"{pix_fmt} repacked as {planar}")


def _chroma_shift(fmt: av.VideoFormat) -> tuple[int, int]:
    luma, chroma = fmt.components[0], fmt.components[1]
    return ((luma.width // max(chroma.width, 1)).bit_length() - 1,
            (luma.height // max(chroma.height, 1)).bit_length() - 1)


def _is_native_planar(fmt: av.VideoFormat, colour: list, depth: int) -> bool:
    planes = [c.plane for c in colour]
    return (
        fmt.is_planar
        and len(set(planes)) == len(planes) == 3
        and not fmt.is_big_endian
        and all(c.bits == depth for c in colour)
    )


def frame_planes(frame: av.VideoFrame, layout: PlanarLayout) -> Planes:
    """``frame``'s colour planes as numpy arrays of ``layout.planar``, without a copy.

    The arrays are views of the decoder's reference-counted buffers (rows may be
    padded, i.e. strided); they keep the frame alive for as long as they live.
    """
    if frame.format.name != layout.planar:
        kwargs = {"dst_colorspace": "ITU709"} if "BT.709" in layout.converted else {}
        frame = frame.reformat(format=layout.planar, **kwargs)
    n_planes = 1 if layout.subsampling == "gray" else 3
    dtype = layout.dtype
    out = []
    for plane in frame.planes[:n_planes]:
        row = plane.line_size // dtype.itemsize
        data = np.frombuffer(plane, dtype=dtype, count=row * plane.height)
        out.append(data.reshape(plane.height, row)[:, : plane.width])
    return tuple(out)


class FrameScaler:
    """Filter, scale and convert frames with FFmpeg's own filters (``before``, then ``scale``).

    Going through libavfilter (not a bare swscale call) gives the same pixels as
    ``ffmpeg -vf scale=W:H:flags=F``, chroma siting included, so scores of a scaled
    pair agree with libvmaf run behind that filter. ``before`` are (filter, arguments)
    pairs run first: deinterlacing and rotation (see transform.Transform). Width None
    keeps the size. One instance per thread.

    A deinterlacer holds one frame back (it needs the next one): ``push`` and ``pull``
    then work apart, and ``delayed`` says so; ``__call__`` is push and pull for the rest.
    """

    def __init__(self, width: int | None, height: int | None, pix_fmt: str, flags: str = "bicubic",
                 before: tuple = ()):
        self.width, self.height, self.pix_fmt, self.flags = width, height, pix_fmt, flags
        self.before = tuple(before)
        self.delayed = any(name == "bwdif" for name, _ in self.before)
        self._graph = None
        self._input_key = None
        self._pts = 0

    def __call__(self, frame: av.VideoFrame) -> av.VideoFrame:
        self.push(frame)
        return self._graph.pull()

    def push(self, frame: av.VideoFrame | None) -> None:
        """Feed one frame (None: the end of the stream, which flushes a held-back frame)."""
        if frame is not None:
            key = (frame.width, frame.height, frame.format.name)
            if key != self._input_key:
                self._build(*key)
            frame.pts = self._pts
            self._pts += 1
        self._graph.push(frame)

    def pull(self) -> av.VideoFrame | None:
        """The next filtered frame, or None when the filters hold it back."""
        try:
            return self._graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return None

    def reset(self) -> None:
        """Forget held-back frames (before feeding frames that do not follow on)."""
        self._graph, self._input_key, self._pts = None, None, 0

    def _build(self, width: int, height: int, pix_fmt: str) -> None:
        graph = av.filter.Graph()
        chain = [graph.add_buffer(width=width, height=height, format=pix_fmt, time_base=Fraction(1, 25))]
        for name, args in self.before:
            chain.append(graph.add(name, args) if args else graph.add(name))
        if self.width is not None:
            chain.append(graph.add("scale", f"{self.width}:{self.height}:flags={self.flags}"))
        chain.append(graph.add("format", self.pix_fmt))
        chain.append(graph.add("buffersink"))
        for a, b in zip(chain, chain[1:]):
            a.link_to(b)
        graph.configure()
        self._graph, self._input_key, self._pts = graph, (width, height, pix_fmt), 0


def planes_nbytes(planes: Planes) -> int:
    return sum(p.nbytes for p in planes)
