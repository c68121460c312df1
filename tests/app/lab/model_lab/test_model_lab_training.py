"""Training, folds and statistics against independent references: libsvm-official trained directly
on normalised arrays built here, numpy's legacy resampling as vmaf seeds it, scipy's correlations.

Material: tests/model_lab_data.py (labels derived from libvmaf's vmaf_v0.6.1 plus seeded noise,
not human opinions)."""
from __future__ import annotations

import json
import math
import os
import tempfile

import numpy as np
import pytest
from libsvm import svmutil
from scipy import linalg, stats

from tests.model_lab_data import FEATURES, feature_table
from vqinspect.app.lab.model_lab.export import model_json
from vqinspect.app.lab.model_lab.features import read_table
from vqinspect.app.lab.model_lab.training import SvrParams, folds_by_content, train
from vqinspect.app.lab.model_lab.validation import evaluate, fit_logistic, point_stats

KEYS = FEATURES.split(",")            # already in libvmaf's order (sorted full names)


@pytest.fixture(scope="module")
def table():
    return read_table(feature_table())


def _arrays(table, keys=KEYS):
    """[label | features] rows and their clip_0to1 normalisation, computed here."""
    xys = np.column_stack([table.column("mos")] + [table.column(k) for k in keys])
    lo, hi = xys.min(axis=0), xys.max(axis=0)
    return xys, 1.0 / (hi - lo), -lo / (hi - lo)


def _libsvm_text(rows: np.ndarray) -> str:
    """libsvm-official's nu-SVR (vmaf's -s 4 -t 2 -c 4 -g 0.04 -n 0.9 -m 200) saved as text."""
    prob = svmutil.svm_problem(rows[:, 0].tolist(), rows[:, 1:].tolist())
    model = svmutil.svm_train(prob, "-s 4 -t 2 -c 4 -g 0.04 -n 0.9 -m 200 -q")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "m")
        svmutil.svm_save_model(path, model)
        return open(path).read()


def _exact_fit(rows: np.ndarray) -> np.ndarray:
    """The fit of libsvm's model trained here on ``rows``, from its support vectors and
    coefficients with exact sums (libsvm's own OpenMP prediction varies in the last bits between
    runs, and the residue bootstrap trains on these values)."""
    prob = svmutil.svm_problem(rows[:, 0].tolist(), rows[:, 1:].tolist())
    model = svmutil.svm_train(prob, "-s 4 -t 2 -c 4 -g 0.04 -n 0.9 -m 200 -q")
    width = rows.shape[1] - 1
    svs = [[sv.get(j + 1, 0.0) for j in range(width)] for sv in model.get_SV()]
    coefs = [c[0] for c in model.get_sv_coef()]
    out = []
    for x in rows[:, 1:].tolist():
        terms = [c * math.exp(-0.04 * math.fsum((a - b) ** 2 for a, b in zip(sv, x))) for c, sv in zip(coefs, svs)]
        out.append(math.fsum(terms) - model.rho[0])
    return np.array(out)


def test_the_model_is_libsvms_on_the_same_normalised_arrays(table):
    xys, slopes, intercepts = _arrays(table)
    trained = model_json(train(table.pooled(KEYS), table.column("mos"), KEYS, SvrParams()))
    md = trained["model_dict"]
    assert md["feature_names"] == sorted(md["feature_names"])
    assert md["feature_names"][0] == "VMAF_integer_feature_adm2_score"
    np.testing.assert_allclose(md["slopes"], slopes, rtol=1e-14)
    np.testing.assert_allclose(md["intercepts"], intercepts, rtol=1e-12, atol=1e-15)
    assert md["model"] == _libsvm_text(xys * slopes + intercepts)
    header = md["model"].split("SV\n")[0].split("\n")
    assert [h.split()[0] for h in header if h] == ["svm_type", "kernel_type", "gamma", "nr_class", "total_sv", "rho"]
    assert md["norm_type"] == "linear_rescale" and trained["param_dict"]["nu"] == 0.9


@pytest.mark.parametrize("kind", ["rows", "residue"])
def test_bootstrap_members_are_trained_on_vmafs_resamples(table, kind):
    xys, slopes, intercepts = _arrays(table)
    normed = xys * slopes + intercepts
    trained = model_json(train(table.pooled(KEYS), table.column("mos"), KEYS, SvrParams(), bootstrap=4, kind=kind))
    assert list(trained) == ["0", "1", "2", "3"]
    n = len(normed)
    if kind == "residue":
        fitted = _exact_fit(normed)
    for i in range(1, 4):
        np.random.seed(i)
        idx = np.random.choice(range(n), size=n, replace=True)
        if kind == "rows":
            rows = normed[idx]
        else:
            rows = np.column_stack([fitted + (normed[:, 0] - fitted)[idx], normed[:, 1:]])
        assert trained[str(i)]["model_dict"]["model"] == _libsvm_text(rows), i
        assert trained[str(i)]["model_dict"]["slopes"] == trained["0"]["model_dict"]["slopes"]
    expected_type = "RESIDUEBOOTSTRAP_LIBSVMNUSVR" if kind == "residue" else "BOOTSTRAP_LIBSVMNUSVR"
    assert trained["0"]["model_dict"]["model_type"] == expected_type
    assert trained["0"]["param_dict"]["num_models"] == 4


def test_folds_never_split_a_content():
    contents = ["a"] * 5 + ["b"] * 3 + ["c"] * 4 + ["d"] * 5 + ["e"] * 2
    folds = folds_by_content(contents, 3, seed=7)
    assert sorted(np.concatenate(folds).tolist()) == list(range(len(contents)))
    owners = {}
    for f, test in enumerate(folds):
        for i in test:
            assert owners.setdefault(contents[i], f) == f
    assert max(len(t) for t in folds) - min(len(t) for t in folds) <= 2


def test_statistics_match_scipy_after_vmafs_mapping(table):
    labels = table.column("mos")
    predictions = table.column("vmaf")
    # vmaf's sigmoid_adjust, with scipy's lstsq
    lo, hi = labels.min() - 0.1, labels.max() + 0.1
    z = -np.log(1.0 / ((labels - lo) / (hi - lo)) - 1.0)
    (a, b), *_ = linalg.lstsq(np.column_stack([np.ones_like(z), z]), predictions)
    mapped = (1.0 / (1.0 + np.exp(-(predictions - a) / b))) * (hi - lo) + lo
    logistic = fit_logistic(predictions, labels)
    np.testing.assert_allclose(logistic(predictions), mapped, rtol=1e-10)
    ours = point_stats(labels, predictions)
    assert ours["PLCC"] == pytest.approx(stats.pearsonr(labels, mapped)[0], abs=1e-12)
    assert ours["SRCC"] == pytest.approx(stats.spearmanr(labels, mapped)[0], abs=1e-12)
    assert ours["KRCC"] == pytest.approx(stats.kendalltau(labels, mapped)[0], abs=1e-12)
    assert ours["RMSE"] == pytest.approx(np.sqrt(np.mean((labels - mapped) ** 2)), rel=1e-12)
    assert ours["PLCC_raw"] == pytest.approx(stats.pearsonr(labels, predictions)[0], abs=1e-12)


def test_tied_ranks_and_intervals_match_scipy_on_resamples():
    rng = np.random.RandomState(3)
    labels = np.round(rng.uniform(1, 5, 30), 0)           # many ties
    predictions = labels * 10 + rng.normal(0, 8, 30)
    result = evaluate(labels, predictions, np.full(30, 0.5), resamples=200, seed=11)
    draws = {"SRCC": [], "KRCC": [], "PLCC": []}
    idx_all = np.random.RandomState(11).randint(0, 30, (200, 30))
    for idx in idx_all:
        y, x = labels[idx], predictions[idx]
        lo, hi = y.min() - 0.1, y.max() + 0.1
        z = -np.log(1.0 / ((y - lo) / (hi - lo)) - 1.0)
        (a, b), *_ = linalg.lstsq(np.column_stack([np.ones_like(z), z]), x)
        m = (1.0 / (1.0 + np.exp(-(x - a) / b))) * (hi - lo) + lo
        draws["SRCC"].append(stats.spearmanr(y, m)[0])
        draws["KRCC"].append(stats.kendalltau(y, m)[0])
        draws["PLCC"].append(stats.pearsonr(y, m)[0])
    for key, values in draws.items():
        expected = (np.percentile(values, 2.5), np.percentile(values, 97.5))
        np.testing.assert_allclose(result["ci95"][key], expected, rtol=1e-9, err_msg=key)


def test_outlier_ratio_is_p1401s_with_the_mos_interval():
    labels = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    predictions = np.array([11.0, 19.0, 36.0, 41.0, 49.0, 75.0])
    ci = np.array([2.0, 2.0, 2.0, 2.0, 2.0, np.nan])
    result = evaluate(labels, predictions, ci, resamples=0)
    mapped = result["mapped"]
    expected = np.abs(labels - mapped)[:5] > 2.0
    assert result["outlier_ratio"] == pytest.approx(expected.sum() / 5)
    assert not result["outliers"][5]


def test_the_model_file_records_vmafs_param_dict(table, tmp_path):
    from vqinspect.app.lab.model_lab.export import dump_model

    model = train(table.pooled(KEYS), table.column("mos"), KEYS, SvrParams(c=2.0, nu=0.5, gamma=0.1))
    data = json.loads(dump_model(model))
    assert data["param_dict"] == {"norm_type": "clip_0to1", "score_clip": [0.0, 100.0], "C": 2.0, "nu": 0.5,
                                  "gamma": 0.1}
    assert data["model_dict"]["feature_dict"] == {"VMAF_integer_feature": ["adm2", "motion2", "vif_scale0",
                                                                           "vif_scale1", "vif_scale2", "vif_scale3"]}
    assert "gamma 0.10000000000000001" in data["model_dict"]["model"]
