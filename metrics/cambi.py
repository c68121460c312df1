"""CAMBI, Netflix's banding index, as libvmaf's ``cambi`` feature computes it (no reference).

The distorted luma is brought to 10 bit at the encode resolution, flat areas are masked,
and at five dyadic scales each masked pixel gets a contrast value (c-value) from the counts
of its own code value and of values up to 2^max_log_contrast away in a window around it,
for the contrasts the BT.1886 (or PQ) luminance model finds visible. Each scale's c-values
are pooled by a top-k mean and the scales summed with weights 16, 8, 4, 2, 1 over the window
area. 0 means no banding, about 5 is slightly annoying, 24 the largest seen.

Options keep libvmaf's names and rules (``cambi.c`` after its 2025 changes, as in libvmaf
86da14d inside imageio-ffmpeg's ffmpeg n9.0.2; see /work/shared/notes/cambi.md):
``cambi_topk``/``cambi_eotf`` are the model-file spellings of ``topk``/``eotf``.

Public API (reused by the VMAF v1.0.16 models):
    cambi_frame(luma, bit_depth, **options) -> float
    CambiScorer(**options).picture(luma, bit_depth, maps=False) -> CambiPicture
No temporal state: every frame is scored on its own.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, fields, replace

import numpy as np

from vqinspect.metrics import cambi_kernels as kernels
from vqinspect.metrics._filters import plane_rows
from vqinspect.metrics.registry import FrameInput, Metric, MetricError

KEYS = ("cambi", "cambi_source", "cambi_full_reference")
SCALE_WEIGHTS = (16, 8, 4, 2, 1)
CONTRAST_WEIGHTS = (1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8,
                    8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9)
MIN_WIDTH_HEIGHT = 216      # CAMBI_MIN_WIDTH_HEIGHT: both sides below it are rejected
RECIPROCAL_LUT_SIZE = 4226  # libvmaf's 1/(p + p0) table: the window area must stay below it
HIGH_RES_SPEEDUPS = {1080: 1920 * 1080, 1440: 2560 * 1440, 2160: 3840 * 2160}
SCALE_MAPS = tuple(f"c_values_scale{s}" for s in range(kernels.NUM_SCALES))
COMBINED_MAP = "banding"
MAPS = SCALE_MAPS + (COMBINED_MAP,)

_LUMA_FOOT, _LUMA_HEAD = 64, 940   # 10-bit limited range, whatever the input


@dataclass(frozen=True)
class CambiOptions:
    """libvmaf's cambi options; 0 sizes and bit depth mean "the input's"."""

    enc_width: int = 0
    enc_height: int = 0
    enc_bitdepth: int = 0
    src_width: int = 0
    src_height: int = 0
    window_size: int = 65
    topk: float = 0.6
    tvi_threshold: float = 0.019
    max_log_contrast: int = 2
    eotf: str = "bt1886"
    full_ref: bool = False
    cambi_high_res_speedup: int = 0
    cambi_vis_lum_threshold: float = 0.0
    cambi_max_val: float = 1000.0


# name: (min, max) as in cambi.c's options[]
_RANGES = {"enc_width": (180, 7680), "enc_height": (150, 7680), "enc_bitdepth": (6, 16),
           "src_width": (320, 7680), "src_height": (200, 4320), "window_size": (15, 127),
           "topk": (0.0001, 1.0), "tvi_threshold": (0.0001, 1.0), "max_log_contrast": (0, 5),
           "cambi_vis_lum_threshold": (0.0, 300.0), "cambi_max_val": (0.0, 1000.0)}
_DEFAULTS = CambiOptions()
_ALIAS_OF = {"cambi_topk": "topk", "cambi_eotf": "eotf"}   # model-file spellings


def cambi_options(**options) -> CambiOptions:
    """Validated options; MetricError names a bad one. ``cambi_topk`` and ``cambi_eotf`` are
    taken when ``topk``/``eotf`` keep their defaults (libvmaf's precedence)."""
    options = dict(options)
    for alias, name in _ALIAS_OF.items():
        if alias in options:
            value = options.pop(alias)
            if options.get(name, getattr(_DEFAULTS, name)) == getattr(_DEFAULTS, name):
                options[name] = value
    known = {f.name: f.type for f in fields(CambiOptions)}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise MetricError(f"cambi has no option {unknown[0]!r} (it has {', '.join(known)})")
    parsed = {}
    for name, value in options.items():
        default = getattr(_DEFAULTS, name)
        try:
            value = type(default)(value) if not isinstance(default, bool) else _as_bool(value)
        except (TypeError, ValueError):
            raise MetricError(f"cambi option {name} wants a {type(default).__name__}, got {value!r}") from None
        lo_hi = _RANGES.get(name)
        if lo_hi and value != default and not lo_hi[0] <= value <= lo_hi[1]:
            raise MetricError(f"cambi option {name} must be in {lo_hi[0]:g}..{lo_hi[1]:g}, got {value:g}")
        parsed[name] = value
    opts = replace(_DEFAULTS, **parsed)
    if opts.eotf not in ("bt1886", "pq"):
        raise MetricError(f"cambi option eotf must be bt1886 or pq, got {opts.eotf!r}")
    if opts.cambi_high_res_speedup not in (0, *HIGH_RES_SPEEDUPS):
        raise MetricError(f"cambi option cambi_high_res_speedup must be 0, 1080, 1440 or 2160, "
                          f"got {opts.cambi_high_res_speedup}")
    return opts


def _as_bool(value) -> bool:
    if isinstance(value, str):
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(value)
    return bool(value)


# ----------------------------------------------------------------------------- luminance model

def luminance(sample: float, eotf: str) -> float:
    """cd/m² of a 10-bit code value, read as limited range (luminance_tools.c)."""
    v = (min(max(sample, _LUMA_FOOT), _LUMA_HEAD) - _LUMA_FOOT) / (_LUMA_HEAD - _LUMA_FOOT)
    if eotf == "pq":
        m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
        p = v ** (1.0 / m2)
        return 10000.0 * (max(p - c1, 0.0) / (c2 - c3 * p)) ** (1.0 / m1)
    gamma, lw, lb = 2.4, 300.0, 0.01
    a = (lw ** (1.0 / gamma) - lb ** (1.0 / gamma)) ** gamma
    b = lb ** (1.0 / gamma) / (lw ** (1.0 / gamma) - lb ** (1.0 / gamma))
    return a * max(v + b, 0.0) ** gamma


def _visible(sample: int, diff: int, tvi: float, eotf: str) -> bool:
    mean = luminance(sample, eotf)
    return luminance(sample + diff, eotf) - mean > tvi * mean


def _tvi_for_diff(diff: int, tvi: float, eotf: str) -> int:
    """get_tvi_for_diff: the largest code value at which a step of ``diff`` is still visible
    (0 if none, 1023 if all), found by bisection as libvmaf does."""

    def side(s: int) -> int:   # -1: too big, 0: the threshold, 1: too small
        if not _visible(s, diff, tvi, eotf):
            return -1
        return 1 if _visible(s + 1, diff, tvi, eotf) else 0

    foot, head = _LUMA_FOOT, _LUMA_HEAD - diff - 1
    at = side(foot)
    if at < 0:
        return 0
    if at == 0:
        return foot
    at = side(head)
    if at > 0:
        return 1023
    if at == 0:
        return head
    while True:
        mid = foot + (head - foot) // 2
        at = side(mid)
        if at == 0:
            return mid
        if at < 0:
            head = mid
        else:
            foot = mid


@functools.lru_cache(maxsize=None)
def tvi_thresholds(tvi: float, eotf: str, num_diffs: int) -> np.ndarray:
    """T_d for d = 1..num_diffs: pixels above T_d cannot show a visible step of d."""
    return np.array([_tvi_for_diff(d, tvi, eotf) for d in range(1, num_diffs + 1)], np.int64)


@functools.lru_cache(maxsize=None)
def vlt_luma(threshold: float, eotf: str) -> int:
    """get_vlt_luma: the first code value from 64 up whose luminance reaches ``threshold``,
    0 when that is 64 itself (no pixel is excluded)."""
    sample = _LUMA_FOOT
    while sample < 1023 and luminance(sample, eotf) < threshold:
        sample += 1
    return 0 if sample == _LUMA_FOOT else sample


# ----------------------------------------------------------------------------- geometry

def mask_index(width: int, height: int) -> int:
    """get_mask_index: how many of the 7x7 window's pixels must be flat for a pixel to count."""
    n = (width >> 6) * (height >> 6)
    ceil_log2 = 0 if n <= 1 else (n - 1).bit_length()
    return (49 + 3 * (ceil_log2 - 11) - 1) >> 1


def high_res_speedup_active(option: int, width: int, height: int) -> bool:
    """The speed-up halves the picture only at or above its resolution (encode pixels)."""
    return option in HIGH_RES_SPEEDUPS and width * height >= HIGH_RES_SPEEDUPS[option]


def effective_window(window_size: int, width: int, height: int, halved: bool) -> int:
    """adjust_window_size: the 4K window scaled by (w + h) / 6000, halved with the speed-up,
    made odd."""
    ws = ((window_size * (width + height)) // 375) >> 4
    if halved:
        ws = (ws + 1) >> 1
    return ws | 1


def processing_size(option_w: int, option_h: int, width: int, height: int) -> tuple[int, int]:
    """The encode (or source) size: the input's when either option is 0 or would upscale."""
    if option_w == 0 or option_h == 0 or option_w > width or option_h > height:
        return width, height
    return option_w, option_h


_KEY_ALIASES = {"enc_width": "encw", "enc_height": "ench", "enc_bitdepth": "encbd", "src_width": "srcw",
                "src_height": "srch", "window_size": "ws", "tvi_threshold": "tvit", "max_log_contrast": "mlc",
                "cambi_topk": "ctpk", "cambi_eotf": "ceot", "cambi_high_res_speedup": "hrs",
                "cambi_vis_lum_threshold": "vlt", "cambi_max_val": "cmxv"}


def libvmaf_key(**options) -> str:
    """The key libvmaf (v3.2.0+) logs the score under with these options: ``cambi`` plus
    each option given with a non-default value, sorted by name, as alias_value
    (``cambi_hrs_1080_cmxv_17_vlt_0.06``); full_ref never appears."""
    cambi_options(**options)
    parts = []
    for name in sorted(options):
        default = getattr(_DEFAULTS, _ALIAS_OF.get(name, name))
        value = options[name]
        value = _as_bool(value) if isinstance(default, bool) else type(default)(value)
        if name == "full_ref" or value == default:
            continue
        text = f"{value:g}" if isinstance(value, float) else str(value)
        parts.append(f"{_KEY_ALIASES.get(name, name)}_{text}")
    return "_".join(["cambi"] + parts)


# ----------------------------------------------------------------------------- scoring

@dataclass(frozen=True)
class CambiPicture:
    """One picture's CAMBI: ``score`` (before the max-value clamp), the pooled c-value of each
    scale, the window, and when asked each scale's c-value map."""

    score: float
    pooled: tuple[float, ...]
    window: int
    encode_size: tuple[int, int]        # (width, height)
    halved: bool                        # the high-resolution speed-up halved it first
    maps: tuple[np.ndarray, ...] = ()


class _Workspace:
    """One thread's buffers for one picture size (see kernels.cambi_scales)."""

    def __init__(self, width: int, height: int, pad: int, bins: int) -> None:
        self.img = np.empty((height, width), np.uint16)
        self.mask = np.empty((height, width), np.uint8)
        self.hist = np.empty(bins * width, np.uint16)
        self.runs = np.empty((3, 2 * pad + 2, width), np.int32)
        self.positive = np.empty(height * width, np.float32)


class CambiScorer:
    """CAMBI with fixed options; safe to call from several threads at once (no shared buffers)."""

    def __init__(self, **options) -> None:
        self.options = cambi_options(**options)
        o = self.options
        self._tvi = tvi_thresholds(o.tvi_threshold, o.eotf, 1 << o.max_log_contrast)
        self._weights = np.array(CONTRAST_WEIGHTS[: 1 << o.max_log_contrast], np.int64)
        self._vlt = vlt_luma(o.cambi_vis_lum_threshold, o.eotf)
        self._local = threading.local()

    def _workspace(self, width: int, height: int, pad: int) -> _Workspace:
        """This thread's buffers for pictures of this size (reused: no page faults per frame;
        full_ref keeps one set for the encode size and one for the source size)."""
        works = getattr(self._local, "works", None)
        if works is None:
            works = self._local.works = {}
        key = (width, height, pad)
        if key not in works:
            works[key] = _Workspace(width, height, pad, kernels.histogram_bins(self._tvi, self._vlt))
        return works[key]

    def picture(self, luma: np.ndarray, bit_depth: int, maps: bool = False,
                source: bool = False) -> CambiPicture:
        """CAMBI of one luma plane (2-D uint8 for 8 bit, uint16 above). ``source``: score it
        as full_ref's reference (src_width/src_height); the speed-up follows the encode size."""
        _check_plane(luma, bit_depth)
        o = self.options
        h_in, w_in = luma.shape
        enc_w, enc_h = processing_size(o.enc_width, o.enc_height, w_in, h_in)
        w, h = processing_size(o.src_width, o.src_height, w_in, h_in) if source else (enc_w, enc_h)
        if source and (w - enc_w) * (h - enc_h) < 0:
            raise MetricError(f"cambi: the source size {w}x{h} and the encode size {enc_w}x{enc_h} "
                              f"have different aspect ratios (one is wider but less high)")
        if w < MIN_WIDTH_HEIGHT and h < MIN_WIDTH_HEIGHT:
            raise MetricError(f"cambi needs frames at least {MIN_WIDTH_HEIGHT} luma samples wide or "
                              f"high (libvmaf's minimum); this one is processed at {w}x{h}")
        halve = high_res_speedup_active(o.cambi_high_res_speedup, enc_w, enc_h)
        window = effective_window(o.window_size, w, h, halve)
        if window * window >= RECIPROCAL_LUT_SIZE:
            raise MetricError(f"cambi: the {window}-pixel window at {w}x{h} is larger than libvmaf "
                              f"allows (window_size {o.window_size} is too large for this size)")
        flat, pitch = plane_rows(luma)
        if bit_depth > 8 and kernels.max_sample(flat, pitch, h_in, w_in) >= 1 << bit_depth:
            raise MetricError(f"cambi: the luma has samples above {(1 << bit_depth) - 1}, "
                              f"the largest {bit_depth}-bit value")
        enc_bitdepth = o.enc_bitdepth or bit_depth
        work = self._workspace(w, h, window >> 1)
        kernels.preprocess(flat, pitch, h_in, w_in, bit_depth, enc_bitdepth < 10, work.img)
        kernels.spatial_mask(work.img, mask_index(w, h), work.mask)
        sizes = _scale_sizes(w, h, halve)
        out = np.empty(sum(sw * sh for sw, sh in sizes) if maps else 0, np.float32)
        pooled = kernels.cambi_scales(work.img, work.mask, halve, window >> 1, self._tvi, self._weights,
                                      self._vlt, o.topk, work.hist, work.runs, work.positive, out)
        score = float(sum(g * p for g, p in zip(SCALE_WEIGHTS, pooled))) / (window * window)
        planes = []
        at = 0
        for sw, sh in sizes if maps else ():
            planes.append(out[at:at + sw * sh].reshape(sh, sw))
            at += sw * sh
        return CambiPicture(score, tuple(float(p) for p in pooled), window, (w, h), halve, tuple(planes))

    def score(self, dist: np.ndarray, bit_depth: int, ref: np.ndarray | None = None) -> dict[str, float]:
        """{cambi} of the distorted luma, plus cambi_source and cambi_full_reference with full_ref."""
        top = self.options.cambi_max_val
        dist_score = self.picture(dist, bit_depth).score
        scores = {"cambi": min(dist_score, top)}
        if self.options.full_ref:
            if ref is None:
                raise MetricError("cambi full_ref needs the reference picture")
            src_score = self.picture(ref, bit_depth, source=True).score
            scores["cambi_source"] = min(src_score, top)
            scores["cambi_full_reference"] = min(max(0.0, dist_score - src_score), top)
        return scores

    def compute_map(self, dist: np.ndarray, bit_depth: int, name: str) -> np.ndarray:
        """One scale's c-values (at that scale's size), or ``banding``: per frame pixel the
        scale-weighted sum of the c-values of the cells covering it over the window area,
        the per-pixel counterpart of the score."""
        if name not in MAPS:
            raise KeyError(f"cambi has no map {name!r} (it has {', '.join(MAPS)})")
        result = self.picture(dist, bit_depth, maps=True)
        if name != COMBINED_MAP:
            return result.maps[SCALE_MAPS.index(name)]
        enc_w, enc_h = result.encode_size
        combined = np.zeros((enc_h, enc_w), np.float32)
        for scale, (weight, plane) in enumerate(zip(SCALE_WEIGHTS, result.maps)):
            factor = 1 << (scale + result.halved)     # (x + 1) >> 1 per scale: ceil(x / factor)
            up = np.repeat(np.repeat(plane, factor, axis=0), factor, axis=1)[:enc_h, :enc_w]
            combined += np.float32(weight) * up
        combined /= np.float32(result.window * result.window)
        h, w = dist.shape
        if (enc_h, enc_w) != (h, w):
            rows = np.minimum((np.arange(h) * enc_h) // h, enc_h - 1)
            cols = np.minimum((np.arange(w) * enc_w) // w, enc_w - 1)
            combined = combined[rows][:, cols]
        return combined


def _scale_sizes(width: int, height: int, halve_first: bool) -> list[tuple[int, int]]:
    sizes = []
    for scale in range(kernels.NUM_SCALES):
        if scale > 0 or halve_first:
            width, height = (width + 1) >> 1, (height + 1) >> 1
        sizes.append((width, height))
    return sizes


def _check_plane(luma: np.ndarray, bit_depth: int) -> None:
    if not 8 <= bit_depth <= 16:
        raise MetricError(f"cambi: bit depth {bit_depth} is not supported (8..16)")
    want = np.dtype(np.uint8 if bit_depth == 8 else np.uint16)
    if luma.ndim != 2 or luma.size == 0 or luma.dtype != want:
        raise MetricError(f"cambi: the luma must be a non-empty 2-D {want.name} plane for "
                          f"{bit_depth}-bit input, got {luma.dtype} of shape {luma.shape}")


@functools.lru_cache(maxsize=32)
def _scorer(items: tuple) -> CambiScorer:
    return CambiScorer(**dict(items))


def cambi_frame(luma: np.ndarray, bit_depth: int, **options) -> float:
    """CAMBI of one luma plane with libvmaf's options, clamped to ``cambi_max_val``."""
    scorer = _scorer(tuple(sorted(options.items())))
    return min(scorer.picture(luma, bit_depth).score, scorer.options.cambi_max_val)


def cambi_metric(**options) -> Metric:
    """The ``cambi`` metric: the distorted clip's banding (plus the reference's and their
    difference with ``full_ref``), maps of each scale's c-values and a combined map."""
    scorer = CambiScorer(**options)
    full_ref = scorer.options.full_ref

    def score(frame: FrameInput) -> dict[str, float]:
        return scorer.score(frame.dist[0], frame.bit_depth, frame.ref[0] if full_ref else None)

    def compute_map(frame: FrameInput, name: str) -> np.ndarray:
        return scorer.compute_map(frame.dist[0], frame.bit_depth, name)

    changed = {f.name: getattr(scorer.options, f.name) for f in fields(CambiOptions)
               if getattr(scorer.options, f.name) != getattr(_DEFAULTS, f.name)}
    return Metric(
        name="cambi", keys=KEYS if full_ref else KEYS[:1], score=score, luma_only=True,
        maps=MAPS, compute_map=compute_map, options=changed,
        description="CAMBI banding index as libvmaf computes it (0 = no banding, ~5 slightly annoying)",
    )
