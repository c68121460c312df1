"""libvmaf JSON models: loading the named models, prediction, and clear errors on bad files."""
from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest

from vqinspect.metrics.vmaf import BUILTIN_MODELS, VmafModelError, load_model, vmaf_metric


def model_json(name: str = "vmaf_v0.6.1") -> dict:
    path = resources.files("ffmpeg_quality_metrics") / "vmaf_models" / f"{name}.json"
    return json.loads(path.read_text())


def reference_predict(data: dict, features: dict[str, float]) -> float:
    """libvmaf's prediction written out plainly (predict.c, svm.cpp) for one frame."""
    md = data["model_dict"]
    names = [n.replace("VMAF_integer_feature_", "").replace("_score", "")
             for n in md["feature_names"]]
    x = [md["slopes"][i + 1] * features[n] + md["intercepts"][i + 1] for i, n in enumerate(names)]
    lines = md["model"].strip().splitlines()
    header = dict(line.split(None, 1) for line in lines[:lines.index("SV")])
    gamma, rho = float(header["gamma"]), float(header["rho"])
    y = -rho
    for line in lines[lines.index("SV") + 1:]:
        coef, *items = line.split()
        sv = [0.0] * len(x)
        for item in items:
            k, v = item.split(":")
            sv[int(k) - 1] = float(v)
        y += float(coef) * math.exp(-gamma * sum((a - b) ** 2 for a, b in zip(x, sv)))
    y = (y - md["intercepts"][0]) / md["slopes"][0]
    return min(max(y, md["score_clip"][0]), md["score_clip"][1])


FEATURES = [
    dict(adm2=0.93, motion2=3.1, vif_scale0=0.45, vif_scale1=0.8, vif_scale2=0.88, vif_scale3=0.92),
    dict(adm2=0.99, motion2=0.0, vif_scale0=0.9, vif_scale1=0.97, vif_scale2=0.98, vif_scale3=0.99),
    dict(adm2=0.6, motion2=12.0, vif_scale0=0.1, vif_scale1=0.3, vif_scale2=0.4, vif_scale3=0.5),
]


@pytest.mark.parametrize("name, n_sv, gain", [("vmaf_v0.6.1", 211, 100.0),
                                              ("vmaf_v0.6.1neg", 211, 1.0),
                                              ("vmaf_4k_v0.6.1", 262, 100.0)])
def test_named_models_load(name, n_sv, gain):
    model = load_model(name)
    assert name in BUILTIN_MODELS and model.name == name
    assert model.features == ("adm2", "motion2", "vif_scale0", "vif_scale1", "vif_scale2",
                              "vif_scale3")
    assert model.support_vectors.shape == (n_sv, 6) and model.coefficients.shape == (n_sv,)
    assert model.vif_gain_limit == gain and model.adm_gain_limit == gain
    assert model.clip == (0.0, 100.0) and model.transform is None  # transform not enabled


@pytest.mark.parametrize("name", BUILTIN_MODELS[:3])
def test_prediction_is_libvmafs(name):
    model = load_model(name)
    values = np.array([[f[k] for k in model.features] for f in FEATURES])
    expected = [reference_predict(model_json(name), f) for f in FEATURES]
    np.testing.assert_allclose(model.predict(values), expected, rtol=0, atol=1e-9)


def test_model_by_path_is_the_same_model(tmp_path):
    path = tmp_path / "copy.json"
    path.write_text(json.dumps(model_json()))
    by_path, by_name = load_model(path), load_model("vmaf_v0.6.1")
    values = np.array([[f[k] for k in by_name.features] for f in FEATURES])
    np.testing.assert_array_equal(by_path.predict(values), by_name.predict(values))
    assert by_path.name == "copy"


def test_enabled_score_transform_is_applied(tmp_path):
    data = model_json()
    data["model_dict"]["score_transform"] = {"enabled": True, "p0": 1.0, "p1": 0.9, "p2": 0.001,
                                             "out_gte_in": "true"}
    path = tmp_path / "transformed.json"
    path.write_text(json.dumps(data))
    plain, transformed = load_model("vmaf_v0.6.1"), load_model(path)
    values = np.array([[f[k] for k in plain.features] for f in FEATURES])
    y = plain.predict(values)
    # libvmaf rectifies against the polynomial's output (predict.c), so without knots
    # out_gte_in leaves the polynomial as it is
    expected = np.clip(1.0 + 0.9 * y + 0.001 * y * y, 0, 100)
    np.testing.assert_allclose(transformed.predict(values), expected, atol=1e-9)


def _write(tmp_path, text):
    path = tmp_path / "model.json"
    path.write_text(text)
    return path


def _mutated(change):
    data = model_json()
    change(data["model_dict"])
    return json.dumps(data)


def _set(key, value):
    return lambda md: md.__setitem__(key, value)


BAD_MODELS = [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "no 'model_dict'"),
    (json.dumps({"param_dict": {}}), "no 'model_dict'"),
    (_mutated(_set("model_type", "RANDOMFOREST")), "model_type 'RANDOMFOREST'"),
    (_mutated(_set("feature_names", ["Ciede_feature_ciede2000_score"])), "Ciede_feature_ciede2000_score"),
    (_mutated(_set("feature_names", [])), "feature_names"),
    (_mutated(_set("slopes", [1.0, 2.0])), "'slopes' must list 7 numbers"),
    (_mutated(_set("intercepts", "zero")), "'intercepts' must list 7 numbers"),
    (_mutated(_set("norm_type", "clip_0to1")), "norm_type 'clip_0to1'"),
    (_mutated(_set("score_clip", [0])), "score_clip"),
    (_mutated(_set("model", "svm_type nu_svr\nkernel_type rbf\n")), "no 'SV' section"),
    (_mutated(lambda md: md.__setitem__("model", md["model"].replace("rbf", "linear", 1))),
     "kernel_type 'linear'"),
    (_mutated(lambda md: md.__setitem__("model", md["model"].replace("total_sv 211",
                                                                      "total_sv 5"))),
     "lists 211 support vectors, total_sv says 5"),
    (_mutated(lambda md: md.__setitem__("model", md["model"].replace("1:0.65734273", "9:0.6"))),
     "feature index 9"),
    (_mutated(lambda md: md.__setitem__("model", md["model"].replace("1:0.65734273", "1:x"))),
     "support vector 1 is malformed"),
    (_mutated(_set("feature_opts_dicts", [{"cambi_max_val": 1}] + [{}] * 5)), "cambi_max_val"),
    (_mutated(_set("feature_opts_dicts", [{"adm_csf_mode": 2}, {}, {"vif_enhn_gain_limit": 2}]
                   + [{"vif_enhn_gain_limit": 1}] * 3)), "different options"),
    (_mutated(_set("score_transform", {"enabled": True, "knots": [[0, 0], [1]]})), "knots"),
]


@pytest.mark.parametrize("text, message", BAD_MODELS)
def test_bad_model_files_give_one_line_errors(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(VmafModelError) as err:
        load_model(path)
    assert isinstance(err.value, ValueError)
    assert message in str(err.value) and str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(VmafModelError, match="cannot be read"):
        load_model(tmp_path / "absent.json")
    with pytest.raises(VmafModelError, match="unknown VMAF model 'vmaf_v9'"):
        load_model("vmaf_v9")


def test_v1_0_16_models_load_by_name_and_path():
    path = resources.files("ffmpeg_quality_metrics") / "vmaf_models" / "vmaf_v1.0.16_3d0h.json"
    for model in (str(path), "vmaf_v1.0.16_3d0h"):
        assert load_model(model).features == ("vmaf_cambi", "speed_chroma_uv", "adm3", "motion3")


def test_metric_factory_takes_the_model_option(tmp_path):
    assert vmaf_metric(model="vmaf_4k_v0.6.1").options == {"model": "vmaf_4k_v0.6.1"}
    with pytest.raises(VmafModelError):
        vmaf_metric(model=_write(tmp_path, "{}"))
