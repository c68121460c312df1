"""``vqinspect mos``: outputs from a SUREAL dataset and from results files; bad input is one line."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from vqinspect.__main__ import main

NFLX = str(Path(__file__).resolve().parents[2] / "data" / "subjective" / "NFLX_dataset_public_raw_last4outliers.py")


def test_mos_writes_json_csv_dataset_and_report(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["mos", NFLX, "--model", "MOS,BT500", "--model", "P910", "--json", str(out / "output.json"),
                 "--csv", str(out / "t.csv"), "--dataset-out", str(out / "ds.json"), "--report", str(out / "r.html")]) == 0
    text = capsys.readouterr().out
    assert "BT500: screened out observer26, observer28, observer29" in text
    output = json.loads((out / "output.json").read_text())
    first = output["dis_videos"][0]
    assert set(first["models"]) == {"MOS", "BT500", "P910"}
    assert len(first["models"]["MOS"]["quality_score_ci95"]) == 2 and "quality_score_ci95_student_t" in first["models"]["MOS"]
    assert output["observers"][0]["observer"] == "observer0" and "observer_bias" in output["observers"][0]["models"]["P910"]
    assert output["observers"][26]["models"]["BT500"]["observer_rejected"] is True
    rows = list(csv.DictReader((out / "t.csv").open()))
    assert len(rows) == len(output["dis_videos"])
    assert float(rows[0]["P910_score"]) == first["models"]["P910"]["quality_score"]
    ds = json.loads((out / "ds.json").read_text())
    assert ds["groundtruth_model"] == "MOS" and "os" not in ds["dis_videos"][0]
    assert ds["dis_videos"][0]["groundtruth"] == first["models"]["MOS"]["quality_score"]
    html = (out / "r.html").read_text()
    assert "<svg" in html and "observer28" in html and "rejected" in html and "Vote distributions" in html


def test_mos_bad_input_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    assert main(["mos", str(bad)]) == 2
    assert main(["mos", NFLX, "--model", "NOPE"]) == 2
    assert main(["mos", NFLX, "--model", "BT_MLE"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("vqinspect: ") for line in err)
    assert "unknown model 'NOPE'" in err[1] and "does not apply" in err[2]
