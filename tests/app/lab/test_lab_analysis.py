"""The subjective analysis against SUREAL 0.9.0, run at test time on every shipped dataset."""
from __future__ import annotations

import contextlib
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
from sureal.dataset_reader import PairedCompDatasetReader, RawDatasetReader  # noqa: E402
from sureal.pc_subjective_model import PairedCompSubjectiveModel  # noqa: E402,F401  (registers BT_MLE...)
from sureal.subjective_model import SubjectiveModel  # noqa: E402
from sureal.tools.misc import import_python_file  # noqa: E402
import sureal  # noqa: E402

from vqinspect.app.lab.dataset import read_dataset  # noqa: E402
from vqinspect.app.lab.output import dump_output, sureal_output  # noqa: E402
from vqinspect.app.lab.sureal_models import run_model  # noqa: E402
from vqinspect.app.shared.errors import InputError  # noqa: E402

DATA = str(Path(__file__).resolve().parents[2] / "data" / "subjective") + "/"
RATING = ["NFLX_dataset_public_raw.py", "NFLX_dataset_public_raw_last4outliers.py"]
PC = "lukas_pc_dataset.py"
ALIASES = {"P910": sureal.P910AnnexEModel, "P913": sureal.P913124Model, "BT500": sureal.BT500Model}
RATING_MODELS = ["MOS", "DMOS", "BT500", "P913", "P910", "MLE_CO_AP", "MLE", "MLE_CO", "MLE_SO",
                 "SR_DMOS", "ZS_MOS", "ZS_SR_MOS", "ZS_SR_DMOS", "BR_MOS"]
KEYS = ["quality_scores", "quality_scores_std", "quality_scores_ci95", "quality_ambiguity", "observer_bias",
        "observer_bias_std", "observer_bias_ci95", "observer_inconsistency", "observer_inconsistency_std",
        "observer_inconsistency_ci95", "observer_scores_mean", "observer_scores_std", "content_ambiguity",
        "content_ambiguity_std", "content_ambiguity_ci95", "observer_rejected_1st_stats",
        "observer_rejected_2nd_stats", "dof", "loglikelihood", "aic", "bic"]
TOL = 1e-6


def sureal_result(path: str, model: str, pc: bool = False, **kwargs) -> dict:
    cls = ALIASES.get(model) or SubjectiveModel.find_subclass(model)
    reader = (PairedCompDatasetReader if pc else RawDatasetReader)(import_python_file(path))
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cls(reader).run_modeling(**kwargs)


def assert_agrees(mine: dict, ref: dict) -> int:
    compared = 0
    for key in KEYS:
        if key not in ref or ref[key] is None:
            continue
        assert key in mine, key
        a, b = np.asarray(mine[key], dtype=float), np.asarray(ref[key], dtype=float)
        np.testing.assert_allclose(a, b, rtol=0, atol=TOL, equal_nan=True, err_msg=key)
        compared += 1
    if "observer_rejected" in ref:
        assert list(mine["observer_rejected"]) == list(ref["observer_rejected"])
    return compared


@pytest.mark.parametrize("name", RATING)
@pytest.mark.parametrize("model", RATING_MODELS)
def test_rating_models_agree_with_sureal(name, model):
    path = DATA + name
    compared = assert_agrees(run_model(read_dataset(path), model), sureal_result(path, model))
    assert compared >= 3


@pytest.mark.parametrize("model", ["BT_MLE", "THURSTONE_MLE"])
def test_pair_comparison_models_agree_with_sureal(model):
    path = DATA + PC
    assert assert_agrees(run_model(read_dataset(path), model), sureal_result(path, model, pc=True)) >= 2


def test_options_agree_with_sureal():
    path = DATA + RATING[1]
    for model, kwargs in [("P910", {"force_subjbias_zeromean": False}),
                          ("MOS", {"normalize_final": True}),
                          ("MOS", {"transform_final": {"p0": 1.0, "p1": 2.0, "p2": 0.5}})]:
        assert_agrees(run_model(read_dataset(path), model, **kwargs), sureal_result(path, model, **kwargs))


def test_rejection_lists_match_sureal():
    for name in RATING:
        for model in ("BT500", "P913"):
            mine = run_model(read_dataset(DATA + name), model)
            ref = sureal_result(DATA + name, model)
            assert [k for k, r in enumerate(mine["observer_rejected"]) if r] == \
                   [k for k, r in enumerate(ref["observer_rejected"]) if r]
            assert mine["screening"].rejected_indices == [k for k, r in enumerate(ref["observer_rejected"]) if r]


def test_output_json_has_sureal_layout(tmp_path):
    """SUREAL's own formatter on SUREAL's results against ours: same structure, same numbers."""
    from sureal.routine import format_output_of_run_subjective_models

    path = DATA + RATING[0]
    models = ["MOS", "P910", "P913", "MLE_CO"]
    dataset = read_dataset(path)
    mine = json.loads(dump_output(sureal_output(dataset, {m: run_model(dataset, m) for m in models})))
    refs, classes = [], []
    for m in models:
        r = sureal_result(path, m)
        r["dis_video_names"] = dataset.dis_video_names
        refs.append(r)
        classes.append(ALIASES.get(m) or SubjectiveModel.find_subclass(m))
    ref = json.loads(json.dumps(format_output_of_run_subjective_models(import_python_file(path),
                                                                      [_Typed(c) for c in classes],
                                                                      refs)))
    _assert_contains(mine, ref)


class _Typed:
    """What SUREAL's formatter reads from a model object: its TYPE."""

    def __init__(self, cls):
        self.TYPE = cls.TYPE


def _assert_contains(mine, ref, where="output"):
    """Every key and value of SUREAL's output is in ours (ours may add keys)."""
    if isinstance(ref, dict):
        for key, value in ref.items():
            assert key in mine, f"{where}.{key}"
            _assert_contains(mine[key], value, f"{where}.{key}")
    elif isinstance(ref, list):
        assert len(mine) == len(ref), where
        for k, (a, b) in enumerate(zip(mine, ref)):
            _assert_contains(a, b, f"{where}[{k}]")
    elif isinstance(ref, str):
        assert mine == ref, where
    else:
        assert (np.isnan(ref) and np.isnan(mine)) or abs(mine - ref) <= TOL, where


def test_json_dataset_reads_like_the_py_file(tmp_path):
    from sureal.tools.misc import import_json_file

    names = read_dataset(DATA + RATING[0])
    data = dict(names.fields, ref_videos=names.ref_videos, dis_videos=names.dis_videos)
    out = tmp_path / "nflx.json"
    out.write_text(json.dumps(data))
    reader = RawDatasetReader(import_json_file(str(out)))
    with contextlib.redirect_stdout(io.StringIO()):
        ref = sureal.P910AnnexEModel(reader).run_modeling()
    assert_agrees(run_model(read_dataset(out), "P910"), ref)


def test_student_t_interval_is_labelled_and_wider():
    """Student t against scipy's quantile, computed here from the raw votes of stimulus 0."""
    from scipy.stats import t

    dataset = read_dataset(DATA + RATING[0])
    result = run_model(dataset, "MOS")
    votes = np.array(dataset.dis_videos[0]["os"], dtype=float)
    half = t.ppf(0.975, len(votes) - 1) * votes.std(ddof=1) / np.sqrt(len(votes))
    assert abs(result["quality_scores_ci95_student_t"][1][0] - half) < 1e-12
    assert result["quality_scores_ci95_student_t"][1][0] > result["quality_scores_ci95"][1][0]


def test_literal_parser_never_executes(tmp_path):
    marker = tmp_path / "ran"
    bad = tmp_path / "evil.py"
    bad.write_text(f"import os\nos.system('touch {marker}')\nref_videos = []\n")
    with pytest.raises(InputError, match="only 'name = literal'"):
        read_dataset(bad)
    call = tmp_path / "call.py"
    call.write_text(f"dis_videos = [__import__('os').system('touch {marker}')]\n")
    with pytest.raises(InputError, match="not a literal"):
        read_dataset(call)
    assert not marker.exists()


def test_literal_parser_reads_names_and_concatenation(tmp_path):
    f = tmp_path / "d.py"
    f.write_text("d = 'x'\nref_videos = [{'content_id': 0, 'content_name': 'c', 'path': d + '/r.yuv'}]\n"
                 "dis_videos = [{'content_id': 0, 'asset_id': 0, 'os': {'a': 1, 'b': [2, 3]}, 'path': d + '/r.yuv'},"
                 " {'content_id': 0, 'asset_id': 1, 'os': {'a': -1.5}, 'path': 'p'}]\nref_score = float('nan')\n")
    ds = read_dataset(f)
    assert ds.ref_videos[0]["path"] == "x/r.yuv" and ds.is_reference == [True, False]
    from vqinspect.app.lab.dataset import opinion_scores

    x = opinion_scores(ds)
    assert x.shape == (2, 2, 2) and x[0, 1, 1] == 3 and x[1, 0, 0] == -1.5 and np.isnan(x[1, 1, 0])
