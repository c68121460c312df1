"""libvmaf JSON models: loading, validation and the nu-SVR prediction (numpy).

A model names its features, rescales each linearly (``slopes``/``intercepts``, index 0
for the output), predicts with a libsvm nu-SVR text model (RBF kernel), undoes the
output rescale, optionally transforms (polynomial, knots, rectification; only when
``score_transform.enabled`` is true, as in libvmaf) and clips the score.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
import importlib.util
from importlib import resources
from pathlib import Path

import numpy as np

WHEEL_MODELS = ("vmaf_v0.6.1", "vmaf_v0.6.1neg", "vmaf_4k_v0.6.1", "vmaf_v1.0.16_3d0h",
                "vmaf_v1.0.16_5d0h", "vmaf_v1.0.16_1d5h_2160", "vmaf_v1.0.16_3d0h_2160",
                "vmaf_v1.0.16_hfr_3d0h", "vmaf_v1.0.16_hfr_5d0h", "vmaf_v1.0.16_hfr_1d5h_2160",
                "vmaf_v1.0.16_hfr_3d0h_2160")
"""Models shipped in the ffmpeg-quality-metrics wheel (from Netflix), known by name."""
BOOTSTRAP_MODELS = ("vmaf_b_v0.6.3", "vmaf_rb_v0.6.3")
"""Bootstrap model collections shipped in vqinspect's resources/models (from Netflix)."""
BUILTIN_MODELS = WHEEL_MODELS + BOOTSTRAP_MODELS
MODEL_TYPES = ("LIBSVMNUSVR", "BOOTSTRAP_LIBSVMNUSVR", "RESIDUEBOOTSTRAP_LIBSVMNUSVR")

FEATURES = ("adm2", "adm_scale0", "adm_scale1", "adm_scale2", "adm_scale3", "motion", "motion2",
            "vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "adm3", "aim", "motion3",
            "vmaf_cambi", "speed_chroma_u", "speed_chroma_v", "speed_chroma_uv")
"""Elementary features vqinspect computes; a model may use any of them. CAMBI as a VMAF
feature is ``vmaf_cambi`` (the model's options), apart from the ``cambi`` metric's key."""
_KEY_RENAMES = {"cambi": "vmaf_cambi"}

_FEATURE_NAME = re.compile(r"^(?:VMAF_integer_feature_|VMAF_feature_|integer_|Cambi_feature_|"
                           r"Speed_chroma_feature_)?(\w+?)(?:_score)?$")
FAMILIES = {"vif": ("vif_enhn_gain_limit",),
            "adm": ("adm_enhn_gain_limit", "adm_dlm_weight", "adm_noise_weight", "adm_min_val",
                    "adm_norm_view_dist", "adm_ref_display_height", "adm_csf_mode"),
            "motion": ("motion_max_val", "motion_five_frame_window", "motion_moving_average"),
            "speed_chroma": ("speed_kernelscale", "speed_prescale", "speed_prescale_method",
                             "speed_sigma_nn", "speed_nn_floor", "speed_weight_var_mode",
                             "speed_max_val"),
            "cambi": ("cambi_high_res_speedup", "cambi_vis_lum_threshold", "cambi_max_val",
                      "window_size", "topk", "tvi_threshold", "max_log_contrast", "eotf",
                      "enc_width", "enc_height", "enc_bitdepth", "cambi_topk", "cambi_eotf")}
"""Extractor options a model's ``feature_opts_dicts`` may set, per feature family."""


def family(feature: str) -> str:
    """The libvmaf extractor family of one of our feature keys."""
    for name in ("vif", "speed_chroma", "vmaf_cambi", "motion"):
        if feature.startswith(name):
            return name.removeprefix("vmaf_")
    return "adm"


class VmafModelError(ValueError):
    """A VMAF model cannot be loaded; the message names the file and what is wrong."""


@dataclass(frozen=True)
class ScoreTransform:
    """libvmaf's optional score transform: polynomial, piecewise-linear knots, rectification."""

    poly: tuple[float | None, float | None, float | None] = (None, None, None)
    knots: tuple[tuple[float, float], ...] = ()
    out_lte_in: bool = False
    out_gte_in: bool = False

    def apply(self, y: np.ndarray) -> np.ndarray:
        """Transformed scores (libvmaf predict.c ``transform``)."""
        out = y
        if any(p is not None for p in self.poly):
            p0, p1, p2 = (0.0 if p is None else p for p in self.poly)
            out = p0 + p1 * y + p2 * y * y
        stage = out
        if self.knots:
            out = _piecewise_linear(stage, self.knots)
        if self.out_lte_in:
            out = np.minimum(out, stage)
        if self.out_gte_in:
            out = np.maximum(out, stage)
        return out


def _piecewise_linear(x: np.ndarray, knots: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Linear interpolation through the knots, extrapolating the end segments."""
    kx = np.array([k[0] for k in knots])
    ky = np.array([k[1] for k in knots])
    y = np.interp(x, kx, ky)
    lo_slope = (ky[1] - ky[0]) / (kx[1] - kx[0])
    hi_slope = (ky[-1] - ky[-2]) / (kx[-1] - kx[-2])
    y = np.where(x < kx[0], ky[0] + (x - kx[0]) * lo_slope, y)
    return np.where(x > kx[-1], ky[-1] + (x - kx[-1]) * hi_slope, y)


@dataclass(frozen=True, eq=False)
class VmafModel:
    """A loaded libvmaf model: feature names, rescaling, the SVM and the output stage."""

    name: str
    features: tuple[str, ...]
    slopes: np.ndarray
    intercepts: np.ndarray
    out_slope: float
    out_intercept: float
    gamma: float
    rho: float
    support_vectors: np.ndarray
    coefficients: np.ndarray
    clip: tuple[float, float] | None = None
    transform: ScoreTransform | None = None
    options: dict = field(default_factory=dict, compare=False)
    chroma_correction: float = 0.0
    source: str = field(default="", compare=False)

    @property
    def vif_gain_limit(self) -> float:
        return float(self.options.get("vif", {}).get("vif_enhn_gain_limit", 100.0))

    @property
    def adm_gain_limit(self) -> float:
        return float(self.options.get("adm", {}).get("adm_enhn_gain_limit", 100.0))

    @property
    def families(self) -> tuple[str, ...]:
        """The extractor families the model's features come from, in a fixed order."""
        used = {family(f) for f in self.features}
        return tuple(f for f in FAMILIES if f in used)

    def raw(self, values: np.ndarray) -> np.ndarray:
        """The SVM's output on the score scale, before transform and clip (libvmaf predict.c)."""
        x = np.atleast_2d(np.asarray(values, dtype=np.float64))
        x = x * self.slopes + self.intercepts
        x = self._correct_chroma(x)
        d2 = ((x[:, None, :] - self.support_vectors[None, :, :]) ** 2).sum(axis=2)
        y = np.exp(-self.gamma * d2) @ self.coefficients - self.rho
        return (y - self.out_intercept) / self.out_slope

    def finish(self, y: np.ndarray) -> np.ndarray:
        """Transform (if enabled) and clip raw scores."""
        if self.transform is not None:
            y = self.transform.apply(y)
        if self.clip is not None:
            y = np.clip(y, self.clip[0], self.clip[1])
        return y

    def predict(self, values: np.ndarray) -> np.ndarray:
        """VMAF of each row of ``values`` (n, len(features)), in ``features`` order."""
        return self.finish(self.raw(values))

    def _correct_chroma(self, x: np.ndarray) -> np.ndarray:
        """libvmaf's chroma-from-luma correction: a SpEED chroma value of exactly 0 (singular
        or flat chroma) is replaced by ``chroma_correction_parameter * (1 - adm3)``."""
        guided = [i for i, f in enumerate(self.features) if "speed_chroma" in f]
        guiding = [i for i, f in enumerate(self.features) if "adm3" in f]
        if not self.chroma_correction or not guided or not guiding:
            return x
        g, a = guided[0], guiding[0]
        raw_speed = (x[:, g] - self.intercepts[g]) / self.slopes[g]
        raw_adm3 = (x[:, a] - self.intercepts[a]) / self.slopes[a]
        replaced = self.chroma_correction * (1.0 - raw_adm3) * self.slopes[g] + self.intercepts[g]
        x = x.copy()
        x[:, g] = np.where(raw_speed == 0.0, replaced, x[:, g])
        return x


def load_model(model: str | Path = "vmaf_v0.6.1"):
    """A model by built-in name (see ``BUILTIN_MODELS``) or by path to a libvmaf JSON file.

    A model collection ({"0": model, "1": model, ...}, the bootstrap models) loads as a
    ``bootstrap.BootstrapModel``; any other file as a ``VmafModel``.
    """
    text, where, name = _read(model)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise VmafModelError(f"{where}: not valid JSON ({e.msg} at line {e.lineno}, "
                             f"column {e.colno})") from None
    if isinstance(data, dict) and "model_dict" not in data and "0" in data:
        from vqinspect.metrics.vmaf.bootstrap import BootstrapModel

        keys = sorted(data, key=lambda k: int(k) if k.isdigit() else -1)
        if [k for k in keys] != [str(i) for i in range(len(keys))] or len(keys) < 3:
            raise VmafModelError(f"{where}: a model collection needs models \"0\", \"1\", ... "
                                 "(at least 3)")
        members = tuple(_parse(data[k], f"{where} (model {k})", name) for k in keys)
        return BootstrapModel(name=name, members=members, source=where)
    return _parse(data, where, name)


def model_path(name: str) -> Path:
    """The file of a built-in model."""
    if name in BOOTSTRAP_MODELS:
        return Path(str(resources.files("vqinspect.resources"))) / "models" / f"{name}.json"
    return _shipped_models() / f"{name}.json"


def _shipped_models() -> Path:
    """The model folder inside the ffmpeg-quality-metrics package, found without importing
    it (its import pulls in its own CLI: 50 ms of every start-up)."""
    spec = importlib.util.find_spec("ffmpeg_quality_metrics")
    if spec is None or not spec.submodule_search_locations:
        raise VmafModelError("the ffmpeg-quality-metrics package (VMAF's model files) is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "vmaf_models"


def _read(model: str | Path) -> tuple[str, str, str]:
    """(text, description for messages, model name) of a model name or path."""
    name = str(model)
    if "/" not in name and "\\" not in name and not name.endswith(".json"):
        shipped = model_path(name)
        if not shipped.is_file():
            raise VmafModelError(f"unknown VMAF model {name!r}: give one of "
                                 f"{', '.join(BUILTIN_MODELS)} or a path to a libvmaf JSON model")
        return shipped.read_text(encoding="utf-8"), f"VMAF model {name}", name
    path = Path(model)
    try:
        return path.read_text(encoding="utf-8"), f"VMAF model file {path}", path.stem
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        raise VmafModelError(f"VMAF model file {path}: cannot be read ({reason})") from None


def _parse(data: object, where: str, name: str) -> VmafModel:
    """Validate a decoded libvmaf JSON model and build a ``VmafModel``."""
    if not isinstance(data, dict) or not isinstance(data.get("model_dict"), dict):
        raise VmafModelError(f"{where}: no 'model_dict' object (not a libvmaf model)")
    md = data["model_dict"]
    model_type = md.get("model_type")
    if model_type not in MODEL_TYPES:
        raise VmafModelError(f"{where}: model_type {model_type!r} is not supported "
                             f"({', '.join(MODEL_TYPES)})")
    features = _features(md.get("feature_names"), where)
    n = len(features)
    norm = md.get("norm_type", "none")
    if norm == "linear_rescale":
        slopes = _numbers(md.get("slopes"), n + 1, "slopes", where)
        intercepts = _numbers(md.get("intercepts"), n + 1, "intercepts", where)
    elif norm == "none":
        slopes, intercepts = [1.0] * (n + 1), [0.0] * (n + 1)
    else:
        raise VmafModelError(f"{where}: norm_type {norm!r} is not supported "
                             "('linear_rescale' or 'none')")
    if slopes[0] == 0:
        raise VmafModelError(f"{where}: the output slope (slopes[0]) is 0")
    options = _feature_options(md.get("feature_opts_dicts"), features, where)
    correction = md.get("chroma_correction_parameter", 0.0)
    if not isinstance(correction, (int, float)) or isinstance(correction, bool):
        raise VmafModelError(f"{where}: 'chroma_correction_parameter' must be a number")
    gamma, rho, sv, coef = _parse_libsvm(md.get("model"), n, where)
    return VmafModel(
        name=name, features=features, slopes=np.array(slopes[1:]),
        intercepts=np.array(intercepts[1:]), out_slope=slopes[0], out_intercept=intercepts[0],
        gamma=gamma, rho=rho, support_vectors=sv, coefficients=coef,
        clip=_clip(md.get("score_clip"), where),
        transform=_transform(md.get("score_transform"), where),
        options=options, chroma_correction=float(correction), source=where)


def _features(names: object, where: str) -> tuple[str, ...]:
    """Our feature keys for the model's feature names."""
    if not isinstance(names, list) or not names or not all(isinstance(x, str) for x in names):
        raise VmafModelError(f"{where}: 'feature_names' must be a non-empty list of strings")
    keys = []
    for raw in names:
        m = _FEATURE_NAME.match(raw)
        key = m.group(1) if m else raw
        key = _KEY_RENAMES.get(key, key)
        if key not in FEATURES:
            raise VmafModelError(f"{where}: feature {raw!r} is not supported "
                                 f"(supported: {', '.join(FEATURES)})")
        keys.append(key)
    return tuple(keys)


def _numbers(values: object, n: int, what: str, where: str,
             hint: str = "output first, then one per feature") -> list[float]:
    """A list of ``n`` finite numbers, or a clear error."""
    if (not isinstance(values, list) or len(values) != n
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            or not np.all(np.isfinite(values))):
        raise VmafModelError(f"{where}: {what!r} must list {n} numbers ({hint})")
    return [float(v) for v in values]


def _feature_options(opts: object, features: tuple[str, ...], where: str) -> dict[str, dict]:
    """Extractor options per family from ``feature_opts_dicts`` (libvmaf applies the k-th dict
    to the extractor of the k-th feature); a family must get the same options everywhere."""
    out: dict[str, dict] = {}
    if opts is None:
        return out
    if not isinstance(opts, list) or len(opts) != len(features):
        raise VmafModelError(f"{where}: 'feature_opts_dicts' must have one object per feature")
    for key, opt in zip(features, opts):
        if not isinstance(opt, dict):
            raise VmafModelError(f"{where}: 'feature_opts_dicts' entries must be objects")
        fam = family(key)
        for name, value in opt.items():
            if name not in FAMILIES[fam]:
                raise VmafModelError(f"{where}: feature option {name!r} on {key} is not supported "
                                     f"(supported: {', '.join(FAMILIES[fam])})")
            if name.endswith("enhn_gain_limit") and (
                    not isinstance(value, (int, float)) or not 1.0 <= value <= 100.0):
                raise VmafModelError(f"{where}: {name} must be a number in [1, 100]")
        if opt and out.get(fam, opt) != opt:
            raise VmafModelError(f"{where}: features of the {fam} extractor have different options")
        if opt:
            out[fam] = dict(opt)
    return out


def _clip(clip: object, where: str) -> tuple[float, float] | None:
    """The (min, max) score clip, if the model has one."""
    if clip is None:
        return None
    lo, hi = _numbers(clip, 2, "score_clip", where, hint="min, max")
    return lo, hi


def _transform(spec: object, where: str) -> ScoreTransform | None:
    """The score transform when it is enabled (libvmaf ignores it otherwise)."""
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise VmafModelError(f"{where}: 'score_transform' must be an object")
    if spec.get("enabled") is not True:
        return None
    poly = []
    for p in ("p0", "p1", "p2"):
        v = spec.get(p)
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool)):
            raise VmafModelError(f"{where}: score_transform {p} must be a number or null")
        poly.append(None if v is None else float(v))
    knots = spec.get("knots") or []
    if not isinstance(knots, list) or not all(isinstance(k, list) and len(k) == 2 for k in knots) \
            or len(knots) == 1:
        raise VmafModelError(f"{where}: score_transform knots must be a list of [x, y] pairs")
    knot_pairs = tuple((float(k[0]), float(k[1])) for k in knots)
    if any(b[0] <= a[0] or b[1] < a[1] for a, b in zip(knot_pairs, knot_pairs[1:])):
        raise VmafModelError(f"{where}: score_transform knots must increase")
    return ScoreTransform(poly=tuple(poly), knots=knot_pairs,
                          out_lte_in=spec.get("out_lte_in") == "true",
                          out_gte_in=spec.get("out_gte_in") == "true")


def _parse_libsvm(text: object, n: int, where: str):
    """(gamma, rho, support vectors (m, n), coefficients (m,)) of a libsvm nu-SVR text model."""
    if not isinstance(text, str):
        raise VmafModelError(f"{where}: 'model' must be the libsvm model text")
    lines = text.strip().splitlines()
    header: dict[str, str] = {}
    i = 0
    while i < len(lines) and lines[i].strip() != "SV":
        parts = lines[i].split(None, 1)
        if len(parts) == 2:
            header[parts[0]] = parts[1].strip()
        i += 1
    if i == len(lines):
        raise VmafModelError(f"{where}: libsvm model has no 'SV' section")
    if header.get("svm_type") not in ("nu_svr", "epsilon_svr"):
        raise VmafModelError(f"{where}: libsvm svm_type {header.get('svm_type')!r} is not "
                             "supported (nu_svr or epsilon_svr)")
    if header.get("kernel_type") != "rbf":
        raise VmafModelError(f"{where}: libsvm kernel_type {header.get('kernel_type')!r} is not "
                             "supported (only rbf)")
    try:
        gamma = float(header["gamma"])
        rho = float(header["rho"])
        total = int(header["total_sv"])
    except (KeyError, ValueError):
        raise VmafModelError(f"{where}: libsvm header needs numeric gamma, rho and "
                             "total_sv") from None
    rows = [ln for ln in lines[i + 1:] if ln.strip()]
    if len(rows) != total:
        raise VmafModelError(f"{where}: libsvm model lists {len(rows)} support vectors, "
                             f"total_sv says {total}")
    sv = np.zeros((total, n))
    coef = np.empty(total)
    for r, line in enumerate(rows):
        parts = line.split()
        try:
            coef[r] = float(parts[0])
            for item in parts[1:]:
                idx, val = item.split(":")
                k = int(idx)
                if not 1 <= k <= n:
                    raise VmafModelError(f"{where}: support vector {r + 1} uses feature index "
                                         f"{k}, the model has {n} features")
                sv[r, k - 1] = float(val)
        except ValueError as e:
            if isinstance(e, VmafModelError):
                raise
            raise VmafModelError(f"{where}: support vector {r + 1} is malformed: "
                                 f"{line.strip()[:60]!r}") from None
    return gamma, rho, sv, coef


_VIEWING = {"vmaf_4k_v0.6.1": (1.5, 2160)}
"""Models whose file does not carry their viewing conditions (Netflix's documentation)."""


def describe_model(name: str) -> str:
    """One line on a built-in model: viewing distance, display resolution, frame rate."""
    model = load_model(name)
    adm = model.options.get("adm", {})
    nvd, rdh = _VIEWING.get(name, (adm.get("adm_norm_view_dist", 3.0),
                                   adm.get("adm_ref_display_height", 1080)))
    motion = model.options.get("motion", {})
    rate = "high frame rate" if motion.get("motion_five_frame_window") else "standard frame rate"
    extra = ""
    if hasattr(model, "members"):
        extra = f", bootstrap of {len(model.members) - 1} models (95 % interval)"
    elif "vmaf_cambi" in model.features:
        extra = ", banding and chroma aware (CAMBI, SpEED chroma)"
    if model.adm_gain_limit == 1.0 and "vmaf_cambi" not in model.features:
        extra += ", no enhancement gain (NEG)"
    return f"viewing distance {nvd:g}H, {int(rdh)}p display, {rate}{extra}"
