"""`vqinspect batch` on a real Dask LocalCluster of worker processes: results as `score` writes
them, contained failures, resuming, and a worker killed while it scores."""
import csv
import json
import os
import shutil
import signal

import pytest

from vqinspect.__main__ import main
from vqinspect.app.batch.manifest import PairSpec, load_manifest
from vqinspect.app.batch.runner import dask_client, run_batch
from vqinspect.app.cli.batch import score_task
from vqinspect.app.shared.errors import InputError
from tests.clips import clip, lossless

SMALL = (320, 180)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Copies of real clips in a folder of their own (one is modified by a test)."""
    folder = tmp_path_factory.mktemp("batch_clips")
    sources = {"ref.mkv": lossless(frames=10, size=SMALL), "crf38.mp4": clip(frames=10, size=SMALL, crf=38),
               "crf26.mp4": clip(frames=10, size=SMALL, crf=26)}
    for name, src in sources.items():
        shutil.copy(src, folder / name)
    (folder / "corrupt.mp4").write_bytes(os.urandom(4000))
    return folder


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster of two worker processes for the module (the CLI reaches it by --scheduler)."""
    with dask_client(workers=2) as client:
        yield client


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "cache"))


def _manifest(folder, rows, name="pairs.csv"):
    path = folder / name
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["reference", "distorted", "label"])
        w.writerows(rows)
    return path


def _score_message(capsys, ref, dist) -> str:
    """The line ``vqinspect score`` prints for a pair it cannot score."""
    capsys.readouterr()
    assert main(["score", str(ref), str(dist), "--metrics", "psnr", "--quiet"]) == 2
    return capsys.readouterr().err.strip()


def test_batch_scores_like_score_contains_failures_and_resumes(clips, cluster, tmp_path, capsys):
    manifest = _manifest(clips, [("ref.mkv", "crf38.mp4", "low"), ("ref.mkv", "crf26.mp4", "high"),
                                 ("ref.mkv", "missing.mp4", "gone"), ("ref.mkv", "corrupt.mp4", "broken")])
    out = tmp_path / "out"
    argv = ["batch", str(manifest), "--out", str(out), "--metrics", "psnr,ssim", "--quiet",
            "--scheduler", cluster.scheduler.address]
    assert main(argv) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert [r["label"] for r in summary] == ["low", "high", "gone", "broken"]
    assert [r["status"] for r in summary] == ["scored", "scored", "failed", "failed"]
    assert set(summary[0]) == {"reference", "distorted", "label", "status", "error", "json", "pooled"}

    # each result is the JSON `vqinspect score` writes for the pair
    single = tmp_path / "single.json"
    assert main(["score", str(clips / "ref.mkv"), str(clips / "crf38.mp4"), "--metrics", "psnr,ssim",
                 "--json", str(single), "--quiet"]) == 0
    expected, got = json.loads(single.read_text()), json.loads((out / summary[0]["json"]).read_text())
    assert got["frames"] == expected["frames"] and got["pooled"] == expected["pooled"]
    assert got["alignment"] == expected["alignment"] and got["metrics"] == ["psnr", "ssim"]
    assert summary[0]["pooled"] == expected["pooled"]

    # failures carry score's own one-line message
    failures = json.loads((out / "failures.json").read_text())
    assert [f["label"] for f in failures] == ["gone", "broken"]
    for f in failures:
        assert _score_message(capsys, f["reference"], f["distorted"]) == f"vqinspect: {f['error']}"
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert float(rows[1]["ssim_mean"]) == pytest.approx(summary[1]["pooled"]["ssim"]["mean"], abs=1e-6)
    assert rows[2]["status"] == "failed" and rows[2]["psnr_y_mean"] == ""

    # the summary page: a sortable table of every pair, each scored pair's worst frame
    page = tmp_path / "summary.html"
    assert main(["report", "--batch", str(out), "-o", str(page)]) == 0
    html = page.read_text()
    assert html.count('<tr data-row="') == 4 and 'class="stats sortable"' in html
    assert html.count('<article class="worst-frame"') == 2 and 'href="#pair-0"' in html
    assert failures[0]["error"] in html and '<th data-sort="number">ssim mean' in html

    # run again: nothing is re-scored; then one encode changes and only it is
    stamps = {p.name: p.stat().st_mtime_ns for p in out.glob("*-*.json")}
    capsys.readouterr()
    assert main(argv) == 3
    assert "2 of 4 pairs scored (2 already were)" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("*-*.json")} == stamps
    shutil.copy(clip(frames=10, size=SMALL, crf=45), clips / "crf26.mp4")
    assert main(argv) == 3
    after = {p.name: p.stat().st_mtime_ns for p in out.glob("*-*.json")}
    assert after[summary[0]["json"]] == stamps[summary[0]["json"]]
    assert after[summary[1]["json"]] != stamps[summary[1]["json"]]
    rescored = json.loads((out / summary[1]["json"]).read_text())["pooled"]["psnr_y"]["mean"]
    assert rescored < summary[1]["pooled"]["psnr_y"]["mean"] - 3


def test_a_worker_killed_while_scoring_is_retried(clips, cluster, tmp_path):
    long_ref, long_dist = lossless(frames=90, size=SMALL), clip(frames=90, size=SMALL, crf=34)
    specs = [PairSpec(str(long_ref), str(long_dist), label="long"),
             PairSpec(str(clips / "ref.mkv"), str(clips / "crf38.mp4"), label="a"),
             PairSpec(str(clips / "ref.mkv"), str(clips / "crf26.mp4"), label="b")]
    killed = []

    def kill_while_scoring(p):
        # the first event of the long pair is sent as it starts scoring its 90 frames
        if p.name == specs[0].name and not killed:
            killed.append(p.pid)
            os.kill(p.pid, signal.SIGKILL)

    outcomes = run_batch(specs, score_task, tmp_path, cluster, task_args=(["--metrics", "psnr,ssim,vmaf"],),
                         threads=1, retries=2, on_progress=kill_while_scoring)
    assert len(killed) == 1
    assert [o.status for o in outcomes] == ["scored"] * 3
    assert outcomes[0].attempts == 2 and outcomes[0].peak_rss_kib > 0
    data = json.loads((tmp_path / outcomes[0].json_name).read_text())
    assert data["status"] == "complete" and data["alignment"]["frames_scored"] == 90
    assert [f["frame"] for f in data["frames"]] == list(range(90))
    for o in outcomes[1:]:
        assert json.loads((tmp_path / o.json_name).read_text())["alignment"]["frames_scored"] == 10


def test_manifest_json_relative_paths_and_stable_names(tmp_path):
    (tmp_path / "m.json").write_text(json.dumps([
        {"reference": "ref.mkv", "distorted": "enc/a.mp4", "offset": -2, "frames": "2:8", "force_rate": True},
        {"reference": "/abs/ref.y4m", "distorted": "b.yuv", "label": "B 1/2", "size": "320x180",
         "pix_fmt": "yuv420p", "fps": "25"}]))
    a, b = load_manifest(tmp_path / "m.json")
    assert a.reference == str(tmp_path / "ref.mkv") and a.distorted == str(tmp_path / "enc" / "a.mp4")
    assert a.score_arguments() == [a.reference, a.distorted, "--offset", "-2", "--frames", "2:8", "--force-rate"]
    assert b.score_arguments()[2:] == ["--size", "320x180", "--pix-fmt", "yuv420p", "--fps", "25"]
    assert a.name.startswith("a_vs_ref-") and b.name.startswith("B_1_2-")
    reordered = _manifest(tmp_path, [("/abs/ref.y4m", "b.yuv", "B 1/2")], "one.csv")
    assert load_manifest(reordered)[0].name != b.name            # no size/pix_fmt: another pair
    assert PairSpec(b.reference, b.distorted, label="B 1/2", size="320x180", pix_fmt="yuv420p",
                    fps="25").name == b.name


@pytest.mark.parametrize("text, message", [
    ("reference,encode\nr.mkv,d.mp4\n", "needs a header row"),
    ("reference,distorted,crf\nr.mkv,d.mp4,30\n", "unknown column 'crf'"),
    ("reference,distorted,offset\nr.mkv,d.mp4,x\n", "pair 1: offset must be a whole number"),
    ("reference,distorted\nr.mkv,d.mp4\nr.mkv,d.mp4\n", "the same pair twice"),
    ("reference,distorted\n", "lists no pairs"),
])
def test_bad_manifests_are_one_line(tmp_path, text, message):
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_manifest(path)
