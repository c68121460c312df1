"""`vqinspect batch --profile` on a real Dask LocalCluster: each pair judged as `score --profile`
judges it, a verdict column in the summary, exit 4 when some scored pair FAILs, 3 when some pair
could not be scored; results kept from an earlier run are judged again with a new profile."""
import csv
import json

import pytest

from vqinspect.__main__ import main
from vqinspect.app.batch.runner import dask_client
from tests.qc_clips import spliced

BAD = (12, 27)
DIP = '[[rules]]\ncheck = "psnr_y >= 40"\nmax_run = 10\n'
LENIENT = 'name = "lenient"\n[[rules]]\ncheck = "psnr_y >= 20"\n'


@pytest.fixture(scope="module")
def cluster():
    with dask_client(workers=1) as client:
        yield client


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "cache"))


def _write(path, text):
    path.write_text(text)
    return str(path)


def test_batch_profile_verdicts_and_exit_statuses(cluster, tmp_path, capsys):
    ref, dist = map(str, spliced("verdict", [BAD], frames=40))
    manifest = tmp_path / "pairs.csv"
    with manifest.open("w", newline="") as f:
        csv.writer(f).writerows([("reference", "distorted", "label"), (ref, dist, "spliced"), (ref, ref, "same")])
    dip = _write(tmp_path / "dip.toml", DIP)
    out = tmp_path / "out"
    argv = ["batch", str(manifest), "--out", str(out), "--metrics", "psnr", "--quiet",
            "--scheduler", cluster.scheduler.address]

    assert main([*argv, "--profile", dip]) == 4                       # every pair scored, one FAILs
    assert "QC profile dip: 1 of 2 scored pairs FAIL" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["label"], r["status"], r["verdict"]) for r in summary] == [("spliced", "scored", "FAIL"),
                                                                         ("same", "scored", "PASS")]
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["verdict"] for r in rows] == ["FAIL", "PASS"]
    assert list(rows[0])[:5] == ["reference", "distorted", "label", "status", "verdict"]

    # each pair's JSON carries the verdict `vqinspect score --profile` gives it
    single = tmp_path / "single.json"
    assert main(["score", ref, dist, "--metrics", "psnr", "--profile", dip, "--json", str(single),
                 "--quiet"]) == 4
    got = json.loads((out / summary[0]["json"]).read_text())["verdict"]
    assert got == json.loads(single.read_text())["verdict"]
    assert got["passed"] is False and got["failures"][0]["ranges"] == [list(BAD)]
    assert json.loads((out / summary[1]["json"]).read_text())["verdict"]["passed"] is True

    # another profile: nothing is scored again, every kept result is judged again
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*-*.json")}
    lenient = _write(tmp_path / "lenient.toml", LENIENT)
    capsys.readouterr()
    assert main([*argv, "--profile", lenient]) == 0
    assert "2 of 2 pairs scored (2 already were)" in capsys.readouterr().out
    assert [r["verdict"] for r in json.loads((out / "summary.json").read_text())] == ["PASS", "PASS"]
    judged = json.loads((out / summary[0]["json"]).read_text())["verdict"]
    assert judged["profile"] == "lenient" and judged["passed"] is True
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*-*.json")}
    assert main([*argv, "--profile", lenient]) == 0                   # already judged: left as they are
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*-*.json")} == stamps

    # a pair that cannot be scored: 3, whatever the verdicts
    with manifest.open("a", newline="") as f:
        csv.writer(f).writerow((ref, str(tmp_path / "missing.mp4"), "gone"))
    assert main([*argv, "--profile", dip]) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["status"], r["verdict"]) for r in summary] == [("scored", "FAIL"), ("scored", "PASS"), ("failed", "")]


def test_batch_bad_profile_is_one_line(tmp_path, capsys):
    manifest = tmp_path / "pairs.csv"
    manifest.write_text("reference,distorted\na.mkv,b.mkv\n")
    status = main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--profile", "nope"])
    assert status == 2 and "no QC profile 'nope'" in capsys.readouterr().err
