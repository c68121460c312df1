"""Scope accumulations as pictures with their graticule: what the Scopes dock draws (Qt-free).

A ``ScopeFigure`` holds one column of ``Panel``s per clip (side by side) or one column for
both (overlay: reference and distorted counted into two colours that add up to white where
they agree). A panel is an RGB picture whose rows run from code 0 upwards, the code-value
range it covers, and its guides: legal-range lines, the vectorscope's 75 % colour-bar targets
and skin-tone line, tick positions in code values. Counts are shown on a log scale with a
floor, so that a handful of out-of-range samples stay visible next to millions of others.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from vqinspect.app.display import scopes
from vqinspect.app.display.screen import ColorSpec

KINDS = ("waveform", "parade", "vectorscope", "histogram")
LAYOUTS = ("side-by-side", "overlay")
WAVEFORM_COLUMNS = 768          # waveform slices of the picture width (at most)
PARADE_COLUMNS = 320            # ... per parade channel
PARADE_GAP = 16                 # dark columns between parade channels
HISTOGRAM_ROWS = 160
TARGET_HALF = 0.025             # vectorscope target box: half side, as a share of the code range
DIM_FLOOR = 0.3                 # brightness of a bin holding a single sample
HISTOGRAM_FILL = 0.8
NEUTRAL = (225, 240, 225)
REFERENCE_COLOUR = (40, 170, 255)
DISTORTED_COLOUR = (255, 140, 30)
CHANNEL_COLOURS = {"Y": (230, 230, 230), "R": (255, 70, 70), "G": (70, 235, 90), "B": (80, 130, 255)}


@dataclass(frozen=True)
class Guide:
    """A graticule line at a code value: ``axis`` "y" is horizontal, "x" vertical."""

    axis: str
    value: float
    label: str = ""
    legal: bool = False          # a legal-range limit (drawn stronger, labelled)
    span: tuple[float, float] | None = None    # its extent along the other axis; None: across the plot


@dataclass(frozen=True)
class Panel:
    title: str
    image: np.ndarray                       # H x W x 3 uint8, row 0 at y_range[0]
    x_range: tuple[float, float]            # what the picture's width covers
    y_range: tuple[float, float]
    x_label: str
    y_label: str
    x_ticks: tuple[tuple[float, str], ...] = ()   # empty: automatic
    y_ticks: tuple[tuple[float, str], ...] = ()
    guides: tuple[Guide, ...] = ()
    targets: tuple[scopes.Target, ...] = ()
    target_half: float = 0.0                # half side of a target box, code values
    skin_line: tuple[float, float, float, float] | None = None   # Cb0, Cr0, Cb1, Cr1
    square: bool = False                    # one code value is as long on both axes


@dataclass(frozen=True)
class ScopeFigure:
    kind: str
    layout: str
    columns: tuple[tuple[str, tuple[Panel, ...]], ...]    # (header, panels) per column
    legend: tuple[tuple[str, tuple[int, int, int]], ...] = ()
    notes: str = ""                                        # what was guessed about the clips' colour


# ------------------------------------------------------------------ brightness

def brightness_levels(counts: np.ndarray) -> np.ndarray:
    """Brightness of each count 0..top (larger counts count as ``top``), float32: 0 when empty,
    ``DIM_FLOOR`` for one sample, log-scaled up to 1 at ``top``, four times the mean of the
    non-empty bins. A table over the counts costs a lookup per bin instead of a logarithm."""
    counts = np.asarray(counts)
    filled = np.count_nonzero(counts)
    top = int(max(4.0 * float(counts.sum()) / filled, 2.0)) if filled else 2
    k = np.arange(top + 1, dtype=np.float64)
    table = np.where(k > 0, DIM_FLOOR + (1.0 - DIM_FLOOR) * np.log(np.maximum(k, 1.0)) / np.log(top), 0.0)
    return table.astype(np.float32)


@njit(cache=True, nogil=True)
def _paint(counts, by_column, colours, top, out):
    """out[row, column] += colours[min(count, top)]; ``by_column``: counts are [column, row]."""
    a, b = counts.shape
    for i in range(a):
        for j in range(b):
            k = min(counts[i, j], top)
            if k:
                r, c = (j, i) if by_column else (i, j)
                for ch in range(3):
                    out[r, c, ch] += colours[k, ch]


def tint(layers: list[tuple[np.ndarray, tuple[int, int, int]]], by_column: bool = False) -> np.ndarray:
    """Counts of each layer shown in its colour, the layers added and clipped: H x W x 3 uint8,
    row 0 = first row of the counts (or their first column, ``by_column``)."""
    shape = layers[0][0].shape[::-1] if by_column else layers[0][0].shape
    total = np.zeros((*shape, 3), np.uint16)
    for counts, colour in layers:
        table = brightness_levels(counts)
        rgb = np.floor(table[:, None] * np.asarray(colour, np.float32)[None, :] + 0.5).astype(np.uint16)
        _paint(counts, by_column, rgb, counts.dtype.type(table.shape[0] - 1), total)
    return np.minimum(total, 255).astype(np.uint8)


# ------------------------------------------------------------------ graticule

def code_ticks(spec: ColorSpec, lo: int, hi: int) -> tuple[tuple[float, str], ...]:
    """Ticks at the legal limits and every 64 codes (at 8 bits, scaled) not crowding them."""
    s = 1 << (spec.bit_depth - 8)
    peak = (1 << spec.bit_depth) - 1
    keep = [lo, hi]
    for value in list(range(0, peak + 1, 64 * s)) + [peak]:
        if all(abs(value - k) >= 24 * s for k in keep):
            keep.append(value)
    return tuple((float(v), str(v)) for v in sorted(keep))


def _legal_guides(spec: ColorSpec, axis: str) -> tuple[Guide, ...]:
    lo, hi = scopes.legal_luma(spec)
    words = ("full-range black", "full-range white") if spec.full_range else ("black", "white")
    ticks = code_ticks(spec, lo, hi)
    faint = tuple(Guide(axis, v) for v, _ in ticks if v not in (lo, hi))
    return faint + (Guide(axis, lo, f"{words[0]} {lo}", True), Guide(axis, hi, f"{words[1]} {hi}", True))


def _code_extent(spec: ColorSpec) -> tuple[float, float]:
    """Rows or columns of bins span this: code c is centred on c."""
    return -0.5, float(1 << spec.bit_depth) - 0.5


# ------------------------------------------------------------------ panels

def _layers(counts: list[np.ndarray], colours: list[tuple[int, int, int]], by_column: bool = False) -> np.ndarray:
    return tint(list(zip(counts, colours)), by_column)


def waveform_panels(counts: list[np.ndarray], colours, spec: ColorSpec, width: int) -> tuple[Panel, ...]:
    lo, hi = scopes.legal_luma(spec)
    return (Panel("Luma waveform", _layers(counts, colours, True), (0.0, float(width)), _code_extent(spec),
                  "picture column (px)", f"Y' code value ({spec.bit_depth}-bit)",
                  y_ticks=code_ticks(spec, lo, hi), guides=_legal_guides(spec, "y")),)


def parade_panels(counts: list[np.ndarray], colours_per_channel, spec: ColorSpec) -> tuple[Panel, ...]:
    """``counts``: one (3, columns, levels) array per layer; ``colours_per_channel[k]``: the colour
    of each layer in channel k."""
    lo, hi = scopes.legal_luma(spec)
    columns, rows = counts[0].shape[1], counts[0].shape[2]
    gap = np.zeros((rows, PARADE_GAP, 3), np.uint8)
    blocks = []
    for k in range(3):
        blocks.append(_layers([c[k] for c in counts], colours_per_channel[k], True))
        if k < 2:
            blocks.append(gap)
    image = np.concatenate(blocks, axis=1)
    step = columns + PARADE_GAP
    ticks = tuple((k * step + columns / 2.0, name) for k, name in enumerate("RGB"))
    return (Panel("RGB parade", image, (0.0, float(image.shape[1])), _code_extent(spec), "",
                  f"R'G'B' code value ({spec.bit_depth}-bit)", x_ticks=ticks,
                  y_ticks=code_ticks(spec, lo, hi), guides=_legal_guides(spec, "y")),)


def vectorscope_panels(counts: list[np.ndarray], colours, spec: ColorSpec) -> tuple[Panel, ...]:
    extent = _code_extent(spec)
    mid = scopes.chroma_zero(spec)
    lo, hi = scopes.legal_chroma(spec)
    guides = [Guide("x", mid, span=extent), Guide("y", mid, span=extent)]
    if not spec.full_range:      # the legal box
        guides += [Guide(axis, v, "", True, (lo, hi)) for axis in "xy" for v in (lo, hi)]
    ticks = code_ticks(spec, lo, hi)
    skin = (float(mid), float(mid), *scopes.skin_tone_end(spec))
    return (Panel("Vectorscope", _layers(counts, colours), extent, extent,
                  f"Cb code value ({spec.bit_depth}-bit)", f"Cr code value ({spec.bit_depth}-bit)",
                  x_ticks=ticks, y_ticks=ticks, guides=tuple(guides), targets=scopes.bar_targets(spec),
                  target_half=TARGET_HALF * (1 << spec.bit_depth), skin_line=skin, square=True),)


def histogram_image(percent: list[np.ndarray], colours, top: float, rows: int = HISTOGRAM_ROWS) -> np.ndarray:
    """Filled histograms (one per layer, ``percent`` of pixels per bin), 0..``top`` over ``rows``."""
    heights = (np.arange(rows, dtype=np.float32) + 0.5) * (top / rows)
    total = np.zeros((rows, percent[0].shape[0], 3), np.uint16)
    for p, colour in zip(percent, colours):
        fill = np.floor(np.asarray(colour, np.float32) * HISTOGRAM_FILL + 0.5).astype(np.uint16)
        total += (heights[:, None] < p[None, :])[..., None] * fill
    return np.minimum(total, 255).astype(np.uint8)


def histogram_panels(counts: list[np.ndarray], colours_per_channel, spec: ColorSpec) -> tuple[Panel, ...]:
    """``counts``: one (4, levels) array per layer (Y, R, G, B)."""
    lo, hi = scopes.legal_luma(spec)
    panels = []
    for k, name in enumerate(("Y'", "R'", "G'", "B'")):
        percent = [100.0 * c[k] / max(int(c[k].sum()), 1) for c in counts]
        top = max(max(float(p.max()) for p in percent) * 1.05, 1e-3)
        image = histogram_image(percent, colours_per_channel[k], top)
        panels.append(Panel(f"{name} histogram", image, _code_extent(spec), (0.0, top),
                            f"{name} code value ({spec.bit_depth}-bit)", "% of pixels",
                            x_ticks=code_ticks(spec, lo, hi), guides=_legal_guides(spec, "x")))
    return tuple(panels)


# ------------------------------------------------------------------ figures

def accumulate(kind: str, planes: tuple, spec: ColorSpec) -> np.ndarray:
    """The counts a scope of ``kind`` draws for one clip (waveform and parade as counted:
    [(channel,) column, level])."""
    if kind == "waveform":
        return scopes.waveform_by_column(planes, spec, WAVEFORM_COLUMNS)
    if kind == "parade":
        return scopes.parade_by_column(planes, spec, PARADE_COLUMNS)
    if kind == "vectorscope":
        return scopes.vectorscope(planes, spec)
    if kind == "histogram":
        return np.concatenate([scopes.luma_histogram(planes, spec)[None], scopes.rgb_histogram(planes, spec)])
    raise ValueError(f"unknown scope {kind!r} (known: {', '.join(KINDS)})")


def panels(kind: str, counts: list[np.ndarray], colours: list, spec: ColorSpec, width: int) -> tuple[Panel, ...]:
    """Panels of ``kind`` from one or two layers of counts; ``colours[layer]`` is a colour, or for
    parade and histogram None to use each channel's own colour."""
    def per_channel(names):
        return [[CHANNEL_COLOURS[n] if c is None else c for c in colours] for n in names]

    if kind == "waveform":
        return waveform_panels(counts, [c or NEUTRAL for c in colours], spec, width)
    if kind == "parade":
        return parade_panels(counts, per_channel("RGB"), spec)
    if kind == "vectorscope":
        return vectorscope_panels(counts, [c or NEUTRAL for c in colours], spec)
    return histogram_panels(counts, per_channel("YRGB"), spec)


def figure(kind: str, layout: str, ref: tuple, dist: tuple, ref_spec: ColorSpec, dist_spec: ColorSpec,
           names: tuple[str, str] = ("Reference", "Distorted"), cancelled=lambda: False) -> ScopeFigure | None:
    """The scope of both clips' planes; None when ``cancelled()`` turned true on the way."""
    if kind not in KINDS:
        raise ValueError(f"unknown scope {kind!r} (known: {', '.join(KINDS)})")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown scope layout {layout!r} (known: {', '.join(LAYOUTS)})")
    if kind == "vectorscope" and (len(ref) < 3 or ref_spec.gray):
        raise ValueError("a gray (4:0:0) clip has no chroma: no vectorscope")
    ref_counts = accumulate(kind, ref, ref_spec)
    if cancelled():
        return None
    dist_counts = accumulate(kind, dist, dist_spec)
    if cancelled():
        return None
    width = ref[0].shape[1]
    notes = "; ".join(f"{name}: {spec.note}" for name, spec in zip(names, (ref_spec, dist_spec)) if spec.note)
    if layout == "overlay":
        header = f"{names[0]} and {names[1]}: {_short_label(ref_spec)}"
        if dist_spec.label != ref_spec.label:
            header += f"<br>({names[1]}: {_short_label(dist_spec)}; graticule of the {names[0].lower()})"
        column = panels(kind, [ref_counts, dist_counts], [REFERENCE_COLOUR, DISTORTED_COLOUR], ref_spec, width)
        legend = ((names[0], REFERENCE_COLOUR), (names[1], DISTORTED_COLOUR))
        return ScopeFigure(kind, layout, ((header, column),), legend, notes)
    return ScopeFigure(kind, layout, (
        (f"{names[0]}: {_short_label(ref_spec)}", panels(kind, [ref_counts], [None], ref_spec, width)),
        (f"{names[1]}: {_short_label(dist_spec)}", panels(kind, [dist_counts], [None], dist_spec, width))),
        notes=notes)


def _short_label(spec: ColorSpec) -> str:
    """The spec's label, "(assumed)" when part of it was guessed: headers stay one short line."""
    return spec.label + (" (assumed)" if spec.note else "")


# ------------------------------------------------------------------ still pictures (reports)

LEGAL_RGB = (255, 200, 60)
GRATICULE_RGB = (90, 90, 90)
TARGET_RGB = (235, 235, 235)
SKIN_RGB = (240, 168, 130)
STACK_GAP = 6
REPORT_NAMES = {"waveform": "luma waveform", "parade": "R'G'B' parade", "vectorscope": "vectorscope (Cb across, Cr up)",
                "histogram": "histograms of Y', R', G', B' (top to bottom)"}


def still_picture(panel: Panel) -> np.ndarray:
    """The panel's picture, top row up, with its guides, targets and skin-tone line drawn in
    (for pictures without axes, such as a report's)."""
    image = panel.image[::-1].copy()
    h, w = image.shape[:2]
    (x0, x1), (y0, y1) = panel.x_range, panel.y_range

    def col(x: float) -> int:
        return int(np.clip((x - x0) / (x1 - x0) * w, 0, w - 1))

    def row(y: float) -> int:
        return int(np.clip((y1 - y) / (y1 - y0) * h, 0, h - 1))

    for guide in sorted(panel.guides, key=lambda g: g.legal):         # legal lines drawn last, on top
        colour = LEGAL_RGB if guide.legal else GRATICULE_RGB
        if guide.axis == "y":
            lo, hi = (col(guide.span[0]), col(guide.span[1])) if guide.span else (0, w - 1)
            image[row(guide.value), lo:hi + 1] = colour
        else:
            lo, hi = (row(guide.span[1]), row(guide.span[0])) if guide.span else (0, h - 1)
            image[lo:hi + 1, col(guide.value)] = colour
    for target in panel.targets:
        left, right = col(target.cb - panel.target_half), col(target.cb + panel.target_half)
        top, bottom = row(target.cr + panel.target_half), row(target.cr - panel.target_half)
        image[top, left:right + 1] = image[bottom, left:right + 1] = TARGET_RGB
        image[top:bottom + 1, left] = image[top:bottom + 1, right] = TARGET_RGB
    if panel.skin_line is not None:
        cb0, cr0, cb1, cr1 = panel.skin_line
        for t in np.linspace(0.0, 1.0, 2 * max(h, w)):
            if int(t * 24) % 2 == 0:                                       # dashed
                image[row(cr0 + t * (cr1 - cr0)), col(cb0 + t * (cb1 - cb0))] = SKIN_RGB
    return image


def report_picture(kind: str, ref: tuple, dist: tuple, ref_spec: ColorSpec, dist_spec: ColorSpec) -> tuple[np.ndarray, str]:
    """(RGB picture, caption) of both clips' scope overlaid, its panels stacked, graticule drawn in."""
    fig = figure(kind, "overlay", ref, dist, ref_spec, dist_spec)
    pictures = [still_picture(p) for p in fig.columns[0][1]]
    width = max(p.shape[1] for p in pictures)
    gap = np.zeros((STACK_GAP, width, 3), np.uint8)
    rows = []
    for picture in pictures:
        pad = np.zeros((picture.shape[0], width - picture.shape[1], 3), np.uint8)
        rows += [np.concatenate([picture, pad], axis=1), gap]
    lo, hi = (scopes.legal_chroma if kind == "vectorscope" else scopes.legal_luma)(ref_spec)
    axis = "chroma" if kind == "vectorscope" else "code values"
    caption = (f"{REPORT_NAMES[kind]}, {ref_spec.bit_depth}-bit code values; reference blue, distorted orange, "
               f"white where they agree; amber: legal {axis} {lo}–{hi}")
    if kind == "vectorscope":
        caption += "; boxes: 75 % colour bars, dashed: skin tone"
    return np.concatenate(rows[:-1], axis=0), caption
