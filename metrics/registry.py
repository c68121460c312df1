"""The metric registry: what every metric means, declared once, and how to build it.

A metric is computed one frame pair at a time from planar numpy arrays in their native depth.
Its *meaning* (output keys with direction, unit, format and plot group; its primary key; its
maps with direction, scale and colormap; its options) is declared here in a ``MetricInfo``,
without importing numba, so that the CLI, the window, reports and workspaces read it at no
cost. Its *kernels* live in the module the info names, imported only when the metric is built.

Metrics that look at neighbouring frames say so (``needs_previous``, ``lookahead``) and the
engine supplies the previous reference frame and calls ``finalize`` once the next frame's raw
values are known.
"""
from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

Planes = tuple  # (Y,) or (Y, U, V): 2-D uint8 or uint16 arrays in native depth
HIGHER, LOWER = "higher", "lower"


@dataclass(frozen=True)
class KeyInfo:
    """One per-frame output key: which way is better, its unit, how to print and plot it.

    ``feature``: an elementary feature (VMAF's VIF and ADM scales...) rather than a score people
    read; summaries show it in a collapsed section and plots leave it out by default."""

    name: str
    better: str = HIGHER
    unit: str = ""
    digits: int = 4
    group: str = ""                 # plot group ("" = the metric's name)
    feature: bool = False
    label: str = ""
    interval: str = ""              # "lo" or "hi": an edge of the interval drawn around its group's curve

    @property
    def higher_is_better(self) -> bool:
        return self.better == HIGHER

    def format(self, value) -> str:
        return format_value(value, self.digits)


def format_value(value, digits: int = 4, missing: str = "–") -> str:
    """A score for a table: ``digits`` decimals below 10, one fewer above; ``missing`` for
    None, NaN and infinity."""
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return missing
    return f"{value:.{digits}f}" if abs(value) < 10 else f"{value:.{max(digits - 1, 1)}f}"


@dataclass(frozen=True)
class MapInfo:
    """One per-pixel map: which way is better, how to scale and colour it, and values to mark
    on the colour bar (CIEDE2000's 1 and 2.3 just-noticeable differences...)."""

    name: str
    better: str = LOWER
    scale: str = "linear"           # linear | cube_root
    value_range: tuple[float, float] | None = None
    colormap: str = "inferno"
    unit: str = ""
    marks: tuple[float, ...] = ()
    label: str = ""

    @property
    def higher_is_worse(self) -> bool:
        return self.better == LOWER


@dataclass(frozen=True)
class OptionInfo:
    """One option of a metric, with its command-line flag ``--METRIC-NAME`` (or ``flag``)."""

    metric: str
    name: str
    type: Callable = str
    default: object = None
    help: str = ""
    metavar: str = "VALUE"
    choices: tuple = ()
    flag_name: str = ""

    @property
    def flag(self) -> str:
        return self.flag_name or f"--{self.metric}-{self.name}".replace("_", "-")

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def parse(self, text):
        """The option's value from its text; ValueError (a MetricError) naming the flag."""
        try:
            value = self.type(text)
        except (TypeError, ValueError):
            raise MetricError(f"{self.flag} wants a {getattr(self.type, '__name__', 'value')}, got {text!r}") from None
        if self.choices and value not in self.choices:
            raise MetricError(f"{self.flag} must be one of {', '.join(map(str, self.choices))}, got {text!r}")
        return value


@dataclass(frozen=True)
class MetricInfo:
    """What a metric means; ``build`` names ``module:function`` making its ``Metric``.

    ``key_patterns``: regular expressions for keys that depend on the options (a bootstrap
    VMAF model's interval keys...), each with the KeyInfo it stands for."""

    name: str
    build: str
    description: str
    keys: tuple[KeyInfo, ...]
    primary: str
    maps: tuple[MapInfo, ...] = ()
    options: tuple[OptionInfo, ...] = ()
    key_patterns: tuple[tuple[str, KeyInfo], ...] = ()
    no_reference: bool = False
    mask: bool = False              # the mask mode's measures, not scored on a clip pair
    ranking: int = 5                # lower ranks worst frames first when several metrics are scored

    def key(self, name: str) -> KeyInfo | None:
        for k in self.keys:
            if k.name == name:
                return k
        for pattern, info in self.key_patterns:
            if re.fullmatch(pattern, name):
                return KeyInfo(name, info.better, info.unit, info.digits, info.group or self.name,
                               info.feature, info.label, info.interval)
        return None

    def map(self, name: str) -> MapInfo | None:
        return next((m for m in self.maps if m.name == name), None)

    @property
    def score_keys(self) -> tuple[str, ...]:
        """The keys people read (not the elementary features)."""
        return tuple(k.name for k in self.keys if not k.feature)


@dataclass(frozen=True)
class FrameInput:
    """One aligned frame pair as the kernels see it."""

    ref: Planes
    dist: Planes
    bit_depth: int
    index: int = 0
    prev_ref: Planes | None = None  # reference frame index-1, when the metric needs it
    prev_dist: Planes | None = None  # distorted frame index-1, when the metric needs it
    earlier_refs: tuple = ()  # reference frames index-2, index-3, ... (needs_previous > 1)
    colour: Mapping | None = None   # the reference clip's colour description: matrix, primaries,
    #                                 transfer (sdr|pq|hlg), range (limited|full), peak_nits


RawScores = dict  # key -> float, as returned by Metric.score
FinalizeFn = Callable[..., RawScores]  # (raw_i, raw_i+1, ..., raw_i+lookahead[, previous=])


@dataclass(frozen=True)
class Metric:
    """A named metric bound to its options (e.g. a VMAF model).

    ``score(frame) -> {key: value}`` gives the raw per-frame values. When
    ``lookahead`` is N >= 1, ``finalize(raw_i, raw_i+1, ..., raw_i+N)`` turns raw values
    into the final ``keys`` once frames i+1 .. i+N have been scored (None past the clip
    end); with ``history`` H > 0 it also gets ``previous=(raw_i-H, ..., raw_i-1)`` (None
    before the first scored frame). ``needs_previous`` N > 1 (True is 1) asks for the
    reference frames i-2 .. i-N too, in ``FrameInput.earlier_refs``.
    ``compute_map(frame, map_name)`` returns a 2-D float32 map (any resolution).
    """

    name: str
    keys: tuple[str, ...]
    score: Callable[[FrameInput], RawScores]
    luma_only: bool = True
    needs_previous: bool | int = False
    lookahead: int = 0
    finalize: FinalizeFn | None = None
    history: int = 0
    maps: tuple[str, ...] = ()
    compute_map: Callable[[FrameInput, str], np.ndarray] | None = None
    description: str = ""
    options: Mapping[str, object] = field(default_factory=dict)
    min_size: tuple[int, int] = (1, 1)  # smallest luma (width, height) the metric accepts

    @property
    def info(self) -> MetricInfo:
        return metric_info(self.name)

    @property
    def primary_key(self) -> str:
        primary = self.info.primary
        return primary if primary in self.keys else self.keys[0]

    def check_size(self, width: int, height: int) -> None:
        """MetricError, before any work is done, if frames of this size cannot be scored."""
        mw, mh = self.min_size
        if width < mw or height < mh:
            raise MetricError(f"{self.name} needs frames of at least {mw}x{mh} luma samples; "
                              f"this clip is {width}x{height}")


class MetricError(ValueError):
    """A metric cannot be computed on this input (e.g. clip too small)."""


_INFOS: dict[str, MetricInfo] = {}


def register(info: MetricInfo) -> MetricInfo:
    """Declare a metric: its meaning, and where its kernels are (``info.build``)."""
    _INFOS[info.name] = info
    return info


def known_names() -> list[str]:
    """Names of the metrics that score clip pairs, in registration order (no numba import)."""
    return [name for name, info in _INFOS.items() if not info.mask]


available = known_names


def metric_info(name: str) -> MetricInfo:
    try:
        return _INFOS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r} (known: {', '.join(known_names())})") from None


def all_infos() -> list[MetricInfo]:
    return list(_INFOS.values())


def get_metric(name: str, **options) -> Metric:
    """Build the metric ``name`` with ``options``; KeyError names the known ones."""
    info = metric_info(name)
    if info.mask:
        raise KeyError(f"{name!r} is a mask measure (vqinspect masks), not a metric of a clip pair")
    module, _, function = info.build.partition(":")
    return getattr(importlib.import_module(module), function)(**options)


def option_specs() -> list[OptionInfo]:
    """Every metric option, for the command line's flags."""
    return [option for info in _INFOS.values() for option in info.options]


_FALLBACK_CACHE: dict[str, KeyInfo] = {}


def key_info(key: str) -> KeyInfo:
    """What a per-frame key means, from the metric that declares it. A key nobody declares
    (a feature another tool logged) reads as higher-is-better, an elementary feature."""
    for info in _INFOS.values():
        found = info.key(key)
        if found is not None:
            return found if found.group else KeyInfo(**{**found.__dict__, "group": info.name})
    return _FALLBACK_CACHE.setdefault(key, KeyInfo(key, HIGHER, group=key, feature=True))


def is_declared(key: str) -> bool:
    """Whether a metric declares ``key`` (a key another tool logged may not be)."""
    return any(info.key(key) is not None for info in _INFOS.values())


def higher_is_worse(key: str) -> bool:
    """Whether a larger value of ``key`` means a worse frame."""
    return not key_info(key).higher_is_better


def map_info(metric: str, name: str) -> MapInfo:
    found = metric_info(metric).map(name)
    if found is None:
        raise KeyError(f"{metric} has no map {name!r}")
    return found


def find_map_info(name: str) -> MapInfo | None:
    """A map's info from ``METRIC:MAP`` or a bare map name (map names are unique)."""
    metric, _, map_name = name.rpartition(":")
    for info in _INFOS.values():
        if not metric or info.name == metric:
            found = info.map(map_name)
            if found is not None:
                return found
    return None


def plot_groups(keys) -> list[tuple[str, tuple[str, ...]]]:
    """(group, keys) of each per-frame plot: metrics in the order their keys come, each metric's
    groups in the order it declares them; elementary features are left out when a score of their
    metric is present."""
    keys = list(keys)
    groups: dict[str, list[str]] = {}
    scores = {_owner(k) for k in keys if not key_info(k).feature}
    for key in keys:
        info = key_info(key)
        if info.feature and _owner(key) in scores:
            continue
        groups.setdefault(info.group, []).append(key)
    return sorted(((g, tuple(ks)) for g, ks in groups.items()), key=lambda group: _group_rank(group, keys))


def _group_rank(group: tuple[str, tuple[str, ...]], keys: list[str]) -> tuple[int, int]:
    first = group[1][0]
    owner = _INFOS.get(_owner(first) or "")
    if owner is None:
        return keys.index(first), 0
    start = min(keys.index(k) for k in keys if owner.key(k) is not None)
    declared = [k.group or owner.name for k in owner.keys]
    return start, declared.index(group[0]) if group[0] in declared else len(declared)


def _owner(key: str) -> str | None:
    return next((i.name for i in _INFOS.values() if i.key(key) is not None), None)


def primary_keys(keys) -> list[str]:
    """Each metric's primary key among ``keys`` (one per metric present), in order."""
    present = list(keys)
    out = []
    for info in _INFOS.values():
        if info.primary in present:
            out.append(info.primary)
        elif any(info.key(k) is not None and not info.key(k).feature for k in present):
            out.append(next(k for k in present if info.key(k) is not None and not info.key(k).feature))
    return sorted(out, key=present.index)


def ranking_key(metric_names, keys) -> str | None:
    """The key that ranks frames by default: the primary key of the scored metric that ranks
    first (VMAF when present), else of the first metric; else the first key."""
    keys = list(keys)
    infos = [_INFOS[n] for n in metric_names if n in _INFOS]
    for info in sorted(infos, key=lambda i: i.ranking):
        if info.primary in keys:
            return info.primary
        own = [k for k in keys if info.key(k) is not None]
        if own:
            return own[0]
    return keys[0] if keys else None


def _k(name, better=HIGHER, unit="", digits=4, group="", feature=False, label="", interval=""):
    return KeyInfo(name, better, unit, digits, group, feature, label, interval)


def interval_keys(keys) -> tuple[str, str] | None:
    """The (lower, upper) edge keys of an interval among one plot group's ``keys``, if both are there."""
    lo = next((k for k in keys if key_info(k).interval == "lo"), None)
    hi = next((k for k in keys if key_info(k).interval == "hi"), None)
    return (lo, hi) if lo and hi else None


# ---------------------------------------------------------------------------------------------
# The metrics. Adding one: a kernel module with a ``build`` function, its tests, and an entry here.
# ---------------------------------------------------------------------------------------------

register(MetricInfo(
    "psnr", "vqinspect.metrics.psnr:psnr_metric",
    "PSNR per plane and pooled over all samples, capped at 6*bits+12 dB",
    keys=tuple(_k(k, unit="dB") for k in ("psnr_y", "psnr_u", "psnr_v", "psnr_avg")),
    primary="psnr_y",
    maps=(MapInfo("squared_error", LOWER, unit="code values²", label="squared error"),)))

register(MetricInfo(
    "ssim", "vqinspect.metrics.ssim:ssim_metric",
    "SSIM as libvmaf float_ssim: luma, auto downscale, 11x11 Gaussian",
    keys=(_k("ssim"),), primary="ssim",
    maps=(MapInfo("ssim", HIGHER, label="SSIM"),)))

register(MetricInfo(
    "ms_ssim", "vqinspect.metrics.ms_ssim:ms_ssim_metric",
    "MS-SSIM as libvmaf float_ms_ssim: luma, 5 scales, 9/7 low-pass",
    keys=(_k("ms_ssim"),), primary="ms_ssim"))

_VMAF_FEATURES = ("vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "adm2", "adm_scale0",
                  "adm_scale1", "adm_scale2", "adm_scale3", "motion", "motion2", "motion3", "adm3", "aim",
                  "vmaf_cambi", "speed_chroma_u", "speed_chroma_v", "speed_chroma_uv")
_VMAF_LOWER = ("motion", "aim", "vmaf_cambi", "speed_chroma")  # key prefixes where lower is better
register(MetricInfo(
    "vmaf", "vqinspect.metrics.vmaf.metric:vmaf_metric",
    "VMAF and its features, as libvmaf computes them",
    keys=(_k("vmaf"),) + tuple(
        _k(k, better=LOWER if k.startswith(_VMAF_LOWER) else HIGHER,
           group=k.rstrip("0123").removesuffix("_scale").removesuffix("_u").removesuffix("_v"),
           feature=True) for k in _VMAF_FEATURES)
    + (_k("vmaf_bagging", group="vmaf"), _k("vmaf_ci_p95_lo", group="vmaf", interval="lo"),
       _k("vmaf_ci_p95_hi", group="vmaf", interval="hi"),
       _k("vmaf_stddev", better=LOWER, group="vmaf_stddev")),
    primary="vmaf", ranking=0,
    maps=(MapInfo("vmaf_tiles", HIGHER, value_range=(0.0, 100.0), label="VMAF per tile"),)
    + tuple(MapInfo(f"vif_loss_scale{s}", LOWER, unit="bits", label=f"VIF loss, scale {s}") for s in range(4))
    + tuple(MapInfo(f"adm_loss_scale{s}", LOWER, label=f"ADM loss, scale {s}") for s in range(4))
    + (MapInfo("adm3_loss", LOWER, scale="cube_root", label="ADM3 loss (DLM and AIM)"),
       MapInfo("speed_chroma", LOWER, label="SpEED chroma difference per block"),
       MapInfo("vmaf_cambi", LOWER, label="CAMBI banding (the model's options)")),
    options=(OptionInfo("vmaf", "model", str, "vmaf_v0.6.1", metavar="NAME|PATH",
                        help="VMAF model: a name (see vqinspect score --list-models: vmaf_v0.6.1, "
                             "vmaf_v1.0.16_3d0h, vmaf_b_v0.6.3, ...) or a libvmaf JSON model or "
                             "model collection"),)))

# The mask mode's measures (``vqinspect masks``): declared for their meaning (direction, plots).
# Plot groups are the mask window's and report's plots; keys in no group stay in the tables.
_MASK_KEYS = (("j", HIGHER, "J / F"), ("f", HIGHER, "J / F"), ("tiou", HIGHER, "tIoU"),
              ("iou_prev", HIGHER, "IoU prev"), ("flip_rate", LOWER, "flips"), ("mad", LOWER, "MAD"),
              ("dtssd", LOWER, "dtSSD"), ("jf", HIGHER, ""), ("mse", LOWER, ""), ("grad", LOWER, ""),
              ("warp_error", LOWER, ""), ("occluded", LOWER, ""))
register(MetricInfo(
    "masks", "vqinspect.app.masks.scorer:MaskScorer",
    "Temporal consistency of predicted masks and mattes",
    keys=tuple(_k(k, better, group=group or k, feature=not group) for k, better, group in _MASK_KEYS),
    primary="iou_prev",
    key_patterns=tuple((rf"gt_{k}", _k(k, better, group=group or k, feature=not group))
                       for k, better, group in _MASK_KEYS)
    + tuple((rf"(gt_)?{k}_id\d+", _k(k, better, group=k, feature=True)) for k, better, _ in _MASK_KEYS)
    + ((r"(gt_)?vc\d+(_id\d+)?", _k("vc", group="vc", feature=True)),),
    mask=True))

register(MetricInfo(
    "ciede2000", "vqinspect.metrics.ciede:ciede_metric",
    "CIEDE2000 as libvmaf's ciede feature (its limited-range BT.709 YUV->Lab, kL=0.65, kH=4): "
    "45 - 20 log10(mean ΔE00), the mean and the 99th percentile of ΔE00 per pixel; 4:2:2 chroma "
    "is upsampled correctly, where libvmaf misreads it",
    keys=(_k("ciede2000", unit="dB"), _k("delta_e00_mean", LOWER, unit="ΔE00", group="delta_e00"),
          _k("delta_e00_p99", LOWER, unit="ΔE00", group="delta_e00", label="ΔE00, worst 1 %")),
    primary="ciede2000",
    maps=(MapInfo("delta_e00", LOWER, unit="ΔE00", marks=(1.0, 2.3), label="ΔE00 (CIEDE2000)"),)))

register(MetricInfo(
    "delta_e_itp", "vqinspect.metrics.delta_e_itp:delta_e_itp_metric",
    "ΔE ITP (ITU-R BT.2124) in display light from the reference clip's signalled matrix, range, "
    "primaries and transfer: PQ as coded, HLG on a display of the signalled peak (else 1000 nits), "
    "SDR after BT.1886 decoding (100 nits white, black 0); 1 is a just-noticeable difference",
    keys=(_k("delta_e_itp_mean", LOWER, unit="ΔE ITP"),
          _k("delta_e_itp_p99", LOWER, unit="ΔE ITP", label="ΔE ITP, worst 1 %")),
    primary="delta_e_itp_mean",
    maps=(MapInfo("delta_e_itp", LOWER, unit="ΔE ITP", marks=(1.0,), label="ΔE ITP"),)))

register(MetricInfo(
    "cambi", "vqinspect.metrics.cambi:cambi_metric",
    "CAMBI banding index as libvmaf computes it, on the distorted clip (0 = none, ~5 slightly annoying)",
    keys=(_k("cambi", LOWER), _k("cambi_source", LOWER, label="CAMBI of the reference"),
          _k("cambi_full_reference", LOWER, label="CAMBI added by the encode")),
    primary="cambi", no_reference=True,
    maps=tuple(MapInfo(f"c_values_scale{s}", LOWER, label=f"CAMBI c-values, scale {s}") for s in range(5))
    + (MapInfo("banding", LOWER, label="CAMBI banding (scale-weighted c-values)"),),
    options=(
        OptionInfo("cambi", "enc_width", int, 0, "encode width to process at (0: the clip's)", "PIXELS"),
        OptionInfo("cambi", "enc_height", int, 0, "encode height to process at (0: the clip's)", "PIXELS"),
        OptionInfo("cambi", "enc_bitdepth", int, 0, "encode bit depth; below 10 smooths 8-bit dither "
                   "(0: the clip's)", "BITS"),
        OptionInfo("cambi", "window_size", int, 65, "window at 4K, scaled to the encode size (15..127)", "PIXELS"),
        OptionInfo("cambi", "topk", float, 0.6, "fraction of pixels pooled per scale (0.0001..1)", "FRACTION"),
        OptionInfo("cambi", "tvi_threshold", float, 0.019, "visibility threshold ΔL/L (0.0001..1)", "RATIO"),
        OptionInfo("cambi", "max_log_contrast", int, 2, "contrasts up to 2^N 10-bit code values (0..5)", "N"),
        OptionInfo("cambi", "eotf", str, "bt1886", "luminance model", "EOTF", choices=("bt1886", "pq")),
        OptionInfo("cambi", "full_ref", str, "false", "also score the reference: adds cambi_source and "
                   "cambi_full_reference", "BOOL", choices=("true", "false")),
        OptionInfo("cambi", "src_width", int, 0, "with full_ref: reference width to process at", "PIXELS"),
        OptionInfo("cambi", "src_height", int, 0, "with full_ref: reference height to process at", "PIXELS"),
        OptionInfo("cambi", "cambi_high_res_speedup", int, 0, "halve pictures of at least this height "
                   "after the mask (0, 1080, 1440, 2160)", "HEIGHT", choices=(0, 1080, 1440, 2160),
                   flag_name="--cambi-high-res-speedup"),
        OptionInfo("cambi", "cambi_vis_lum_threshold", float, 0.0, "ignore banding darker than this "
                   "(cd/m², 0..300)", "NITS", flag_name="--cambi-vis-lum-threshold"),
        OptionInfo("cambi", "cambi_max_val", float, 1000.0, "clamp the scores to this (0..1000)", "VALUE",
                   flag_name="--cambi-max-val"))))
