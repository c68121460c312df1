"""A trained model as a libvmaf JSON model (notes/model.md sec. 2-3): ``{"param_dict",
"model_dict"}``, or a bootstrap collection ``{"0": ..., "N-1": ...}`` whose members share the
normalisation. The libsvm text is libsvm's own ``svm_save_model`` output, which libvmaf's
strict header parser reads (``nr_class`` before ``rho``, no unknown lines)."""
from __future__ import annotations

import json

from vqinspect.app.lab.model_lab.training import TrainedModel
from vqinspect.app.shared.errors import InputError

LIBVMAF_NAMES = {
    "adm2": "VMAF_integer_feature_adm2_score",
    "motion2": "VMAF_integer_feature_motion2_score",
    "motion3": "VMAF_integer_feature_motion3_score",
    "adm3": "VMAF_integer_feature_adm3_score",
    **{f"vif_scale{s}": f"VMAF_integer_feature_vif_scale{s}_score" for s in range(4)},
    **{f"adm_scale{s}": f"integer_adm_scale{s}" for s in range(4)},
    "vmaf_cambi": "Cambi_feature_cambi_score",
    "speed_chroma_uv": "Speed_chroma_feature_speed_chroma_uv_score",
}
"""Our feature keys and the names libvmaf's integer extractors give them (and that its model
loader maps back to the extractors)."""


def libvmaf_order(keys: list[str]) -> list[str]:
    """``keys`` in the order libvmaf expects: sorted by full feature name (vmaf's
    ``get_ordered_feature_names``)."""
    unknown = [k for k in keys if k not in LIBVMAF_NAMES]
    if unknown:
        raise InputError(None, f"feature {unknown[0]!r} has no libvmaf model name; exportable features: "
                               f"{', '.join(sorted(LIBVMAF_NAMES))}")
    if len(set(keys)) != len(keys):
        raise InputError(None, "a feature is listed twice")
    return sorted(keys, key=lambda k: LIBVMAF_NAMES[k])


def model_json(model: TrainedModel) -> dict:
    """The libvmaf JSON of ``model``: one model, or the collection when it was bootstrapped."""
    if not model.is_collection:
        return _member(model, model.svm_texts[0], "LIBSVMNUSVR")
    kind = "RESIDUEBOOTSTRAP_LIBSVMNUSVR" if model.bootstrap == "residue" else "BOOTSTRAP_LIBSVMNUSVR"
    return {str(i): _member(model, text, kind) for i, text in enumerate(model.svm_texts)}


def _member(model: TrainedModel, svm: str, model_type: str) -> dict:
    p = model.params
    param_dict = {"norm_type": p.norm if p.norm != "linear_rescale" else "clip_0to1",
                  "score_clip": [0.0, 100.0], "C": p.c, "nu": p.nu, "gamma": p.gamma}
    if model.is_collection:
        param_dict["num_models"] = len(model.svm_texts)
    names = [LIBVMAF_NAMES[k] for k in model.features]
    model_dict = {"model_type": model_type, "norm_type": model.norm_type,
                  "feature_names": names, "feature_dict": _feature_dict(model.features),
                  "score_clip": [0.0, 100.0], "model": svm}
    if model.norm_type == "linear_rescale":
        model_dict["slopes"] = [float(v) for v in model.slopes]
        model_dict["intercepts"] = [float(v) for v in model.intercepts]
    return {"param_dict": param_dict, "model_dict": model_dict}


def _feature_dict(keys: tuple[str, ...]) -> dict:
    """vmaf's Python ``feature_dict`` (which extractor gives which atom); libvmaf ignores it."""
    out: dict[str, list[str]] = {}
    for k in keys:
        name = LIBVMAF_NAMES[k]
        extractor = name.split("_feature_")[0] + "_feature" if "_feature_" in name else "VMAF_integer_feature"
        atom = name.split("_feature_")[-1].removesuffix("_score") if "_feature_" in name else k
        out.setdefault(extractor, []).append(atom)
    return out


def dump_model(model: TrainedModel) -> str:
    return json.dumps(model_json(model), indent=4) + "\n"


def loaded(model: TrainedModel | dict, name: str = "trained"):
    """The exported model as vqinspect's VMAF predictor (``VmafModel`` or ``BootstrapModel``), the
    same object ``vqinspect score --vmaf-model`` builds from the file."""
    from vqinspect.metrics.vmaf.bootstrap import BootstrapModel
    from vqinspect.metrics.vmaf.model import _parse

    data = model_json(model) if isinstance(model, TrainedModel) else model
    if "model_dict" in data:
        return _parse(data, name, name)
    members = tuple(_parse(data[str(i)], f"{name} (model {i})", name) for i in range(len(data)))
    return BootstrapModel(name=name, members=members, source=name)
