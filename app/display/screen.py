"""Planes to what the screen shows: YUV -> RGB with the clip's matrix and range, differences.

Conversion runs in numba kernels (``nogil``, cached) over per-code-value lookup tables
built once per clip, on the native-depth planes, so 8-, 10-, 12- and 16-bit clips are
shown with their own black/white points. Chroma is
upsampled by repetition (each chroma sample covers its 2x2 or 2x1 block), which keeps
what the pixel inspector reports and what is drawn the same samples. Values are shown as
coded, except HDR10 (PQ) clips, which are tone-mapped for an SDR screen, and BT.2020 SDR and
HLG clips, whose primaries are converted to BT.709 (``vqinspect.app.display.hdr``), unless
``ColorSpec.screen_preview`` is off; then they look flat and pale, as on an SDR monitor.
"""
from __future__ import annotations

from dataclasses import replace, dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np
from numba import njit

from vqinspect.app.display import hdr

# Kr, Kb of each luma/chroma matrix (ITU-R BT.601/709/2020, SMPTE 240M, FCC)
MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593),
            "smpte240m": (0.212, 0.087), "fcc": (0.30, 0.11)}
_MATRIX_ALIASES = {"bt709": "bt709", "bt470bg": "bt601", "smpte170m": "bt601", "fcc": "fcc",
                   "bt2020nc": "bt2020", "bt2020c": "bt2020", "smpte240m": "smpte240m"}
_MATRIX_NAMES = {"bt601": "BT.601", "bt709": "BT.709", "bt2020": "BT.2020", "smpte240m": "SMPTE 240M",
                 "fcc": "FCC"}
_JIT = dict(cache=True, nogil=True)


@dataclass(frozen=True)
class ColorSpec:
    """How to turn a clip's code values into display RGB; ``note`` says what was guessed."""

    matrix: str            # a key of MATRICES
    full_range: bool
    bit_depth: int
    gray: bool = False
    note: str = ""
    transfer: str = "sdr"          # "pq" (SMPTE ST 2084, HDR10), "hlg" (ARIB STD-B67) or "sdr"
    primaries: str = "bt709"       # a key of vqinspect.app.display.hdr.PRIMARIES
    screen_preview: bool = True    # convert PQ, HLG and BT.2020 for an SDR BT.709 screen
    peak_nits: float = hdr.PEAK_NITS   # what the PQ preview maps to white

    @property
    def screen_conversion(self) -> str:
        """What ``to_rgb`` does beyond the matrix: "tone-map" (PQ), "gamut" (BT.2020 SDR or
        HLG: BT.2020 to BT.709 primaries in BT.1886 light) or "" (the codes as they are)."""
        if not self.screen_preview or self.gray:
            return ""
        if self.transfer == "pq":
            return "tone-map"
        return "gamut" if self.primaries == "bt2020" else ""

    @property
    def label(self) -> str:
        text = (f"{_MATRIX_NAMES[self.matrix]} {'full' if self.full_range else 'limited'} range, "
                f"{self.bit_depth}-bit")
        if self.transfer == "pq":
            text += f", PQ (HDR10), peak {self.peak_nits:.0f} nits"
        elif self.transfer == "hlg":
            text += ", HLG"
        if self.primaries == "bt2020":
            text += ", BT.2020 primaries"
        return text

    @property
    def description(self) -> str:
        """``label`` with what was guessed, for people (file panel, reports)."""
        return self.label + (f" ({self.note})" if self.note else "")


def color_spec(info, layout) -> ColorSpec:
    """The display conversion for a clip from its probe (``ClipInfo``) and ``PlanarLayout``.

    Untagged clips get what players assume: BT.709 from 720 lines up, BT.601 below,
    limited range. Sources converted from RGB were converted with BT.709 (vqinspect.app.media.frames).
    """
    notes = []
    matrix = _MATRIX_ALIASES.get(info.color_matrix)
    if layout.converted and "BT.709" in layout.converted:
        matrix = "bt709"
    elif matrix is None:
        matrix = "bt709" if info.height >= 720 else "bt601"
        notes.append(f"matrix {info.color_matrix}: assumed {_MATRIX_NAMES[matrix]}")
    full = info.color_range == "pc"
    if info.color_range not in ("pc", "tv") and not layout.converted:
        notes.append(f"range {info.color_range}: assumed limited")
    transfer = {"smpte2084": "pq", "arib-std-b67": "hlg"}.get(info.color_transfer, "sdr")
    primaries = "bt2020" if info.color_primaries == "bt2020" else "bt709"
    peak = info.peak_luminance or hdr.PEAK_NITS
    return ColorSpec(matrix, full, layout.bit_depth, layout.subsampling == "gray", "; ".join(notes),
                     transfer, primaries, peak_nits=peak)


def _coefficients(spec: ColorSpec) -> tuple[np.ndarray, np.ndarray]:
    """(3x3 matrix, 3 offsets) so that rgb_255 = M @ (code - offset)."""
    kr, kb = MATRICES[spec.matrix]
    kg = 1.0 - kr - kb
    to_rgb = np.array([[1.0, 0.0, 2 * (1 - kr)],
                       [1.0, -2 * kb * (1 - kb) / kg, -2 * kr * (1 - kr) / kg],
                       [1.0, 2 * (1 - kb), 0.0]])
    s = float(1 << (spec.bit_depth - 8))
    if spec.full_range:
        peak = float((1 << spec.bit_depth) - 1)
        scale = np.array([1 / peak, 1 / peak, 1 / peak])
        offset = np.array([0.0, float(1 << (spec.bit_depth - 1)), float(1 << (spec.bit_depth - 1))])
    else:
        scale = np.array([1 / (219 * s), 1 / (224 * s), 1 / (224 * s)])
        offset = np.array([16 * s, 128 * s, 128 * s])
    matrix = to_rgb * scale[None, :] * 255.0
    return matrix.astype(np.float32), offset.astype(np.float32)


FIXED_BITS = 16   # fixed-point fraction of the lookup tables


def _contributions(spec: ColorSpec) -> tuple[np.ndarray, ...]:
    """Per-code-value contributions to R', G', B' on the 0..255 scale (float64):
    Y, V->R, U->G, V->G, U->B."""
    matrix, offset = _coefficients(spec)
    codes = np.arange(1 << spec.bit_depth, dtype=np.float64)
    return tuple((codes - offset[col]) * float(matrix[row, col])
                 for row, col in ((0, 0), (0, 2), (1, 1), (1, 2), (2, 1)))


@lru_cache(maxsize=16)
def _screen_tables(spec: ColorSpec) -> tuple[np.ndarray, ...]:
    """What ``vqinspect.app.display.hdr.to_screen`` takes of a spec: ``_contributions`` on the 0..1 scale
    (float32), then the primaries' conversion to BT.709 (float32 3x3)."""
    gamut = hdr.gamut_matrix(spec.primaries).astype(np.float32)
    return (*((t / 255.0).astype(np.float32) for t in _contributions(spec)), gamut)


@lru_cache(maxsize=16)
def _tables(spec: ColorSpec) -> tuple[np.ndarray, ...]:
    """Per-code-value contributions to R, G, B in 16.16 fixed point: Y, V->R, U->G, V->G, U->B.

    With them a pixel costs five lookups and four adds; the tables (2^depth entries
    each) are built once per colour spec.
    """
    one = float(1 << FIXED_BITS)
    luma, *chroma = (np.round(t * one).astype(np.int32) for t in _contributions(spec))
    return (luma + np.int32(1 << (FIXED_BITS - 1)), *chroma)   # rounding folded into Y


@njit(**_JIT)
def _clip8(x):
    x >>= 16
    return np.uint8(0 if x < 0 else (255 if x > 255 else x))


@njit(**_JIT)
def _yuv_to_rgb(y, u, v, sx, sy, ty, tvr, tug, tvg, tub, out):
    h, w = y.shape
    for r in range(h):
        yr, ur, vr, o = y[r], u[r >> sy], v[r >> sy], out[r]
        for c in range(w):
            yy = ty[yr[c]]
            cu, cv = ur[c >> sx], vr[c >> sx]
            o[c, 0] = _clip8(yy + tvr[cv])
            o[c, 1] = _clip8(yy + tug[cu] + tvg[cv])
            o[c, 2] = _clip8(yy + tub[cu])


@njit(**_JIT)
def _gray_to_rgb(y, scale, off, out):
    h, w = y.shape
    for r in range(h):
        yr, o = y[r], out[r]
        for c in range(w):
            x = (np.float32(yr[c]) - off) * scale + np.float32(0.5)
            g = 0 if x < 0 else (255 if x >= 255 else np.uint8(x))
            o[c, 0] = g
            o[c, 1] = g
            o[c, 2] = g


@njit(**_JIT)
def _abs_diff_luma(a, b, gain, out):
    h, w = a.shape
    for r in range(h):
        ar, br, o = a[r], b[r], out[r]
        for c in range(w):
            x = abs(np.float32(ar[c]) - np.float32(br[c])) * gain + np.float32(0.5)
            g = 255 if x >= 255 else np.uint8(x)
            o[c, 0] = g
            o[c, 1] = g
            o[c, 2] = g


@njit(**_JIT)
def _abs_diff_rgb(a, b, gain, out):
    h, w, _ = a.shape
    for r in range(h):
        ar, br, o = a[r], b[r], out[r]
        for c in range(w):
            for k in range(3):
                x = abs(np.float32(ar[c, k]) - np.float32(br[c, k])) * gain + np.float32(0.5)
                o[c, k] = 255 if x >= 255 else np.uint8(x)


def chroma_shift(luma: np.ndarray, chroma: np.ndarray) -> tuple[int, int]:
    """log2 of the horizontal and vertical chroma subsampling of a plane pair."""
    sx = int(round(np.log2(luma.shape[1] / chroma.shape[1])))
    sy = int(round(np.log2(luma.shape[0] / chroma.shape[0])))
    return sx, sy


def to_rgb(planes: tuple, spec: ColorSpec) -> np.ndarray:
    """(Y,) or (Y, U, V) native-depth planes -> H x W x 3 uint8 display RGB."""
    y = planes[0]
    out = np.empty((y.shape[0], y.shape[1], 3), dtype=np.uint8)
    if len(planes) == 1 or spec.gray:
        peak = float((1 << spec.bit_depth) - 1)
        s = float(1 << (spec.bit_depth - 8))
        scale, off = (255.0 / peak, 0.0) if spec.full_range else (255.0 / (219 * s), 16 * s)
        _gray_to_rgb(y, np.float32(scale), np.float32(off), out)
        return out
    sx, sy = chroma_shift(y, planes[1])
    conversion = spec.screen_conversion
    if conversion:
        *tables, gamut = _screen_tables(spec)
        tone_map = conversion == "tone-map"
        hdr.to_screen(y, planes[1], planes[2], sx, sy, *tables, *hdr.tables("pq" if tone_map else "bt1886"),
                      gamut, hdr.white_scale(spec.peak_nits) if tone_map else np.float32(0.0), out)
        return out
    _yuv_to_rgb(y, planes[1], planes[2], sx, sy, *_tables(spec), out)
    return out


def difference(ref: tuple, dist: tuple, ref_rgb: np.ndarray, dist_rgb: np.ndarray,
               gain: float, kind: str, bit_depth: int) -> np.ndarray:
    """|ref - dist| x ``gain`` as a gray (``kind="luma"``, luma code values on the 8-bit
    scale) or colour (``kind="rgb"``, display RGB) image, H x W x 3 uint8."""
    out = np.empty_like(ref_rgb)
    if kind == "luma":
        _abs_diff_luma(ref[0], dist[0], np.float32(gain / (1 << (bit_depth - 8))), out)
    elif kind == "rgb":
        _abs_diff_rgb(ref_rgb, dist_rgb, np.float32(gain), out)
    else:
        raise ValueError(f"difference kind must be 'luma' or 'rgb', got {kind!r}")
    return out


def sample(planes: tuple, x: int, y: int) -> tuple[int, ...]:
    """Code values (native depth) of every plane at luma position (x, y)."""
    luma = planes[0]
    values = [int(luma[y, x])]
    for chroma in planes[1:]:
        sx, sy = chroma_shift(luma, chroma)
        values.append(int(chroma[y >> sy, x >> sx]))
    return tuple(values)


def timecode(frame: int, fps: Fraction | float) -> str:
    """Non-drop SMPTE-style HH:MM:SS:FF at the clip's nominal (rounded) rate."""
    nominal = max(1, round(float(fps)))
    ff = frame % nominal
    seconds = frame // nominal
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}"


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels for 8- and 16-bit planes."""
    for dtype in (np.uint8, np.uint16):
        y = np.full((4, 4), 100, dtype)
        c = np.full((2, 2), 128, dtype)
        depth = 8 if dtype is np.uint8 else 10
        spec = ColorSpec("bt709", False, depth)
        rgb = to_rgb((y, c, c), spec)
        to_rgb((y, c, c), ColorSpec("bt2020", False, depth, transfer="pq", primaries="bt2020"))
        to_rgb((y, c, c), ColorSpec("bt2020", False, depth, primaries="bt2020"))
        to_rgb((y,), ColorSpec("bt709", False, depth, gray=True))
        difference((y, c, c), (y, c, c), rgb, rgb, 1.0, "luma", depth)
    difference((y,), (y,), rgb, rgb, 1.0, "rgb", 10)


def pair_color_specs(pair, screen_preview: bool = True) -> tuple["ColorSpec", "ColorSpec"]:
    """Display conversions of both clips of a ``ClipPair``; the distorted one at its conformed bit depth."""
    ref = color_spec(pair.reference.info, pair.reference.layout)
    layout = pair.conform.layout if pair.conform is not None else pair.distorted.layout
    dist = color_spec(pair.distorted.info, layout)
    if pair.conform is not None:
        dist = replace(dist, bit_depth=layout.bit_depth, gray=layout.subsampling == "gray")
    return replace(ref, screen_preview=screen_preview), replace(dist, screen_preview=screen_preview)
