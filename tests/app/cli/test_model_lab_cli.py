"""``vqinspect lab features|train|validate|report`` on the small real dataset, and the dataset
readers. Material: tests/model_lab_data.py (labels derived from libvmaf's vmaf_v0.6.1 plus seeded
noise, not human opinions)."""
from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from tests.model_lab_data import FEATURES, dataset_path, feature_table
from vqinspect.__main__ import main
from vqinspect.app.lab.model_lab.features import read_table
from vqinspect.app.lab.model_lab.stimuli import read_lab_dataset


@pytest.fixture(scope="module")
def table():
    return read_table(feature_table())


def test_the_table_holds_the_datasets_mos_and_the_mean_of_each_frames_features(table):
    names = {}
    for node in ast.parse(Path(dataset_path()).read_text()).body:
        names[node.targets[0].id] = ast.literal_eval(node.value)
    videos = names["dis_videos"]
    assert len(table.rows) == len(videos) == 20 and len(set(table.contents)) == 4
    for row, video in zip(table.rows, videos):
        votes = np.array(video["os"])
        assert row["mos"] == pytest.approx(votes.mean(), rel=1e-12)
        half = stats.t.ppf(0.975, len(votes) - 1) * votes.std(ddof=1) / math.sqrt(len(votes))
        assert row["mos_ci"] == pytest.approx(half, rel=1e-9)
        frames = json.loads(Path(row["score_json"]).read_text())["frames"]
        assert row["frames_scored"] == len(frames) == 6
        for key in FEATURES.split(",") + ["vmaf", "psnr_y"]:
            per_frame = [f[key] for f in frames]
            assert row[key] == pytest.approx(np.mean(per_frame), rel=1e-12)
            np.testing.assert_array_equal(table.frames[row["stimulus"]][key], per_frame)


def test_csv_and_mos_json_datasets(tmp_path, table):
    rows = table.rows[:3]
    csv = tmp_path / "dataset.csv"
    csv.write_text("reference,distorted,content,mos,mos_ci\n" + "".join(
        f"{r['reference']},{r['distorted']},{r['content']},{r['mos']},{r['mos_ci']}\n" for r in rows))
    ds = read_lab_dataset(csv)
    assert [s.mos for s in ds.stimuli] == [r["mos"] for r in rows]
    assert [s.content for s in ds.stimuli] == [r["content"] for r in rows]
    output = {"dis_videos": [{"dis_video_name": r["distorted"], "models": {"P910": {
        "quality_score": 50.0 + k, "quality_score_ci95": [1.5, 1.5]}}} for k, r in enumerate(rows)]}
    mos_json = tmp_path / "output.json"
    mos_json.write_text(json.dumps(output))
    ds = read_lab_dataset(mos_json)          # references from dataset.csv beside it
    assert [(s.mos, s.mos_ci, s.reference) for s in ds.stimuli] == [(50.0 + k, 1.5, r["reference"])
                                                                     for k, r in enumerate(rows)]


@pytest.mark.parametrize("argv, message", [
    (["train", "{table}", "--features", "adm2,psnr_y", "--out", "{tmp}/m.json"], "has no libvmaf model name"),
    (["train", "{table}", "--features", "adm2,motion2", "--out", "{tmp}/m.json", "--folds", "9"], "--folds"),
    (["train", "{table}", "--features", "adm2", "--out", "{tmp}/m.json", "--bootstrap", "2"], "at least 3"),
    (["features", "{tmp}/none.csv", "--out", "{tmp}/f.csv"], "cannot be read"),
    (["features", "{table}", "--out", "{tmp}/f.parquet", "--pool", "min"], "must include mean"),
])
def test_bad_input_is_one_line_and_status_2(argv, message, tmp_path, capsys):
    argv = [a.format(table=feature_table(), tmp=tmp_path) for a in argv]
    assert main(["lab", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_train_validate_and_report(tmp_path, table, capsys):
    model = tmp_path / "model.json"
    stats_json = tmp_path / "stats.json"
    assert main(["lab", "train", str(feature_table()), "--features", FEATURES, "--out", str(model), "--folds", "4",
                 "--compare", "vmaf_v0.6.1", "--json", str(stats_json), "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "cross-validated" in out and "vmaf_v0.6.1" in out
    summary = json.loads(stats_json.read_text())
    assert [s["kind"].split(",")[0].split(" (")[0] for s in summary] == ["in-sample", "cross-validated", "existing model"]
    for s in summary:
        for key in ("PLCC", "SRCC", "KRCC", "RMSE"):
            lo, hi = s["stats"][key]["ci95"]
            assert lo <= s["stats"][key]["value"] <= hi
    # vmaf_v0.6.1's statistics against scipy on the table's own vmaf column (the mean of the per-frame
    # vmaf that `vqinspect score` wrote with 6 decimals; the lab re-predicts each frame from the
    # 6-decimal features, so the two clip scores differ by ~1e-6 and the PLCCs by ~3e-8)
    labels, scores = table.column("mos"), table.column("vmaf")
    mapped_plcc = summary[2]["stats"]["PLCC"]["value"]
    lg = summary[2]["logistic"]
    mapped = 1 / (1 + np.exp(-(scores - lg["a"]) / lg["b"])) * (lg["hi"] - lg["lo"]) + lg["lo"]
    assert mapped_plcc == pytest.approx(stats.pearsonr(labels, mapped)[0], abs=1e-7)
    assert summary[2]["stats"]["SRCC"]["value"] == pytest.approx(stats.spearmanr(labels, scores)[0], abs=1e-12)
    report = tmp_path / "lab.html"
    assert main(["lab", "report", str(feature_table()), "--model", str(model), "-o", str(report), "--worst", "3",
                 "--resamples", "100"]) == 0
    html = report.read_text()
    assert html.count('class="lab-scatter"') == 1 and "data:image/png;base64" in html
    assert html.count("frame furthest from the clip mean") == 1 and "P.1401" in html
