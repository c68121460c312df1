"""Models the lab exports, run by libvmaf itself (ffmpeg's libvmaf filter, imageio-ffmpeg), and
the bootstrap statistics checked against the note's definition and its oracle numbers.

Training material: tests/model_lab_data.py (labels derived from libvmaf's vmaf_v0.6.1 plus seeded
noise, not human opinions)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.model_lab_data import FEATURES, feature_table
from tests.oracle import libvmaf_frames
from vqinspect.__main__ import main
from vqinspect.metrics.vmaf import load_model

STAT_KEYS = ("vmaf_bagging", "vmaf_stddev", "vmaf_ci_p95_lo", "vmaf_ci_p95_hi")


@pytest.fixture(scope="module")
def table() -> Path:
    return feature_table()


@pytest.fixture(scope="module")
def pairs(table):
    """Two full-size stimuli of the dataset (reference, distorted)."""
    from vqinspect.app.lab.model_lab.features import read_table

    rows = read_table(table).rows
    chosen = [r for r in rows if "_20_" in Path(r["distorted"]).name or "_44_" in Path(r["distorted"]).name][:2]
    return [(Path(r["reference"]), Path(r["distorted"])) for r in chosen]


def _train(table, out: Path, *extra: str) -> Path:
    assert main(["lab", "train", str(table), "--features", FEATURES, "--out", str(out), "--resamples", "0", *extra]) == 0
    return out


def _ours(ref: Path, dist: Path, model: Path, tmp: Path) -> list[dict]:
    out = tmp / "ours.json"
    assert main(["score", str(ref), str(dist), "--metrics", "vmaf", "--vmaf-model", str(model),
                 "--json", str(out), "--quiet"]) == 0
    return json.loads(out.read_text())["frames"]


def test_libvmaf_loads_the_exported_model_and_scores_every_frame_as_vqinspect(table, pairs, tmp_path):
    model = _train(table, tmp_path / "model.json")
    for ref, dist in pairs:
        theirs = libvmaf_frames(ref, dist, features=(), model=f"path={model}")
        ours = _ours(ref, dist, model, tmp_path)
        assert len(ours) == len(theirs) == 6
        for mine, frame in zip(ours, theirs):
            assert abs(mine["vmaf"] - frame["vmaf"]) <= 1e-3


def bootstrap_stats(member_scores: np.ndarray, finish) -> dict[str, np.ndarray]:
    """notes/model.md sec. 5 over the unclipped scores of members 1.. (rows): mean, population
    std scaled by the slope of transform∘clip at the mean (±0.01), linear-interpolation percentiles."""
    s = np.sort(member_scores, axis=0)
    mean = s.mean(axis=0)
    std = np.sqrt(((s - mean) ** 2).mean(axis=0))

    def perc(p):
        pos = p * (s.shape[0] - 1) / 100
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        return s[lo] if lo == hi else s[lo] * (hi - pos) + s[hi] * (pos - lo)

    return {"vmaf_bagging": finish(mean), "vmaf_stddev": std * (finish(mean + 0.01) - finish(mean - 0.01)) / 0.02,
            "vmaf_ci_p95_lo": finish(perc(2.5)), "vmaf_ci_p95_hi": finish(perc(97.5))}


def _members_through_libvmaf(collection: Path, ref: Path, dist: Path, tmp: Path) -> tuple[np.ndarray, np.ndarray]:
    """(model 0's vmaf, the unclipped scores of members 1.. (members x frames)) from one ffmpeg
    run that loads every member as a single model (its filter cannot load a collection).

    Members naming float features (``VMAF_feature_*``, vmaf_rb_v0.6.3) are given the integer
    extractors' names, which are the features vqinspect computes for them: this checks the
    bootstrap statistics, not libvmaf's float-versus-integer feature difference (up to 0.024
    VMAF measured on these clips)."""
    data = json.loads(collection.read_text())
    specs = []
    for k, member in data.items():
        md = dict(member["model_dict"], model_type="LIBSVMNUSVR")
        md["feature_names"] = [n.replace("VMAF_feature_", "VMAF_integer_feature_") for n in md["feature_names"]]
        if k != "0":
            md.pop("score_clip")
        path = tmp / f"member_{k}.json"
        path.write_text(json.dumps({"param_dict": member["param_dict"], "model_dict": md}))
        specs.append(f"path={path}\\:name=m{k}")
    frames = libvmaf_frames(ref, dist, features=(), model="'" + "|".join(specs) + "'")
    main_scores = np.array([f["m0"] for f in frames])
    members = np.array([[f[f"m{k}"] for f in frames] for k in range(1, len(data))])
    return main_scores, members


def _check_collection(collection: Path, ref: Path, dist: Path, tmp: Path, tolerance: float) -> None:
    main_scores, members = _members_through_libvmaf(collection, ref, dist, tmp)
    finish = load_model(str(collection)).members[0].finish
    expected = bootstrap_stats(members, finish)
    ours = _ours(ref, dist, collection, tmp)
    assert len(ours) == len(main_scores)
    for i, frame in enumerate(ours):
        assert abs(frame["vmaf"] - main_scores[i]) <= tolerance
        assert frame["vmaf_ci_p95_lo"] <= frame["vmaf_bagging"] <= frame["vmaf_ci_p95_hi"]
        for key in STAT_KEYS:
            assert abs(frame[key] - expected[key][i]) <= tolerance, key


def test_an_exported_bootstrap_collection_matches_libvmafs_members(table, pairs, tmp_path):
    collection = _train(table, tmp_path / "collection.json", "--bootstrap", "5")
    data = json.loads(collection.read_text())
    assert list(data) == ["0", "1", "2", "3", "4"]
    assert {m["model_dict"]["model_type"] for m in data.values()} == {"BOOTSTRAP_LIBSVMNUSVR"}
    assert len({json.dumps(m["model_dict"]["slopes"]) for m in data.values()}) == 1   # shared normalisation
    for ref, dist in pairs:
        _check_collection(collection, ref, dist, tmp_path, 1e-3)


@pytest.mark.parametrize("name", ["vmaf_b_v0.6.3", "vmaf_rb_v0.6.3"])
def test_netflix_bootstrap_models_in_vqinspect_match_libvmafs_members(name, pairs, tmp_path):
    from vqinspect.metrics.vmaf.model import model_path

    ref, dist = pairs[1]
    _check_collection(model_path(name), ref, dist, tmp_path, 1e-3)


def test_the_statistics_reproduce_the_notes_libvmaf_cli_numbers():
    """notes/model.md sec. 6: vmaf_b_v0.6.3 on a frame whose 6-decimal features libvmaf logged."""
    model = load_model("vmaf_b_v0.6.3")
    features = {"adm2": 0.988571, "motion2": 0.0, "vif_scale0": 0.940361, "vif_scale1": 0.992759,
                "vif_scale2": 0.993692, "vif_scale3": 0.994457}
    values = np.array([[features[k] for k in model.features]])
    members = np.array([m.raw(values) for m in model.members[1:]])
    stats = bootstrap_stats(members, model.members[0].finish)
    assert model.predict(values)[0] == pytest.approx(94.540285, abs=1e-4)
    for key, expected in (("vmaf_bagging", 93.692308), ("vmaf_stddev", 4.489777), ("vmaf_ci_p95_lo", 82.485701),
                          ("vmaf_ci_p95_hi", 99.984770)):
        assert stats[key][0] == pytest.approx(expected, abs=1e-4), key
    assert members[0][0] == pytest.approx(93.248046, abs=1e-4)
