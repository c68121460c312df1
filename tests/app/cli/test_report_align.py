"""`report` and `batch` with `--align auto`, `--crop` and `--shift` on the real misaligned
encodes of tests/alignment_clips.py."""
from __future__ import annotations

import csv
import json
import re
from argparse import Namespace

import pytest

from tests import alignment_clips as clips
from vqinspect.__main__ import main
from vqinspect.app.batch.manifest import PairSpec, load_manifest
from vqinspect.app.cli.batch import with_alignment_defaults
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.metrics.registry import get_metric


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def edited():
    return clips.edited_pair()


def _rows(html: str) -> list[tuple[int, int]]:
    """(reference frame, distorted frame) of each worst-moment row of a report."""
    return [(int(r), int(d)) for r, d in
            re.findall(r'<article class="worst-frame"[^>]*data-frame="(\d+)".*?distorted frame (\d+)', html, re.S)]


def test_report_align_auto_shows_the_true_counterparts_and_the_events(edited, tmp_path, capsys):
    ref, dist, truth = edited
    out = tmp_path / "aligned.html"
    assert main(["report", str(ref), str(dist), "-o", str(out), "--metrics", "psnr", "--quiet", "--worst", "4",
                 "--align", "auto"]) == 0
    assert "dropped: reference frames 18-19 missing" in capsys.readouterr().err
    html = out.read_text()
    rows = _rows(html)
    assert len(rows) == 4 and set(rows) <= set(truth.pairs)
    assert any(d - r != 7 for r, d in rows)     # a row past the first drop: not the starting offset
    assert f"{len(truth.pairs)} of 60 scored" in html
    assert "Automatic alignment: repeated: distorted frames 53-56 repeat reference frame 46" in html
    assert "paired by an automatic alignment, from offset 7" in html


def test_cached_scores_are_keyed_by_the_alignment_and_the_crop(edited):
    from vqinspect.app.scoring.alignment import align_signatures
    from vqinspect.app.scoring.score_cache import ScoreCache
    from vqinspect.app.scoring.signatures import clip_signatures
    from vqinspect.app.scoring.spatial import PairCrop, Rect

    ref, dist = (open_media(p) for p in edited[:2])
    matched = align_signatures(clip_signatures(ref), clip_signatures(dist))
    again = align_signatures(clip_signatures(ref), clip_signatures(dist))
    metrics = [get_metric("psnr")]
    key = ScoreCache().key
    plain = key(make_pair(ref, dist, 7), metrics)
    aligned = key(make_pair(ref, dist, matched=matched), metrics)
    window = PairCrop(Rect(320, 128, 0, 4), Rect(320, 128, 0, 4))
    assert len({plain, aligned, key(make_pair(ref, dist, 7, crop=window), metrics)}) == 3
    assert key(make_pair(ref, dist, matched=again), metrics) == aligned


def test_report_crop_takes_a_picture_size_and_a_scoring_window(tmp_path, capsys):
    ref, dist = clips.bars_pair()
    out = tmp_path / "bars.html"
    assert main(["report", str(ref), str(dist), "-o", str(out), "--metrics", "psnr", "--quiet", "--worst", "1",
                 "--crop", "320:164:0:8", "--crop", "160x90"]) == 0
    html = out.read_text()
    assert "crop reference 320:164:0:8, distorted 320:164:0:8" in html
    assert "region 160x90 at" in html and "of 320x164" in html     # pictures of the scored window
    assert main(["report", str(ref), str(dist), "-o", str(out), "--crop", "160x90", "--crop", "100x90"]) == 2
    assert "at most one WxH" in capsys.readouterr().err
    assert main(["report", str(ref), str(dist), "-o", str(out), "--shift", "2"]) == 2
    assert "--shift wants whole numbers DX:DY" in capsys.readouterr().err
    assert main(["report", str(ref), str(dist), "-o", str(out), "--align", "auto", "--max-offset", "-1"]) == 2
    assert "--max-offset must be 0 or more" in capsys.readouterr().err


def test_batch_aligns_the_pairs_that_ask_and_resumes_without_aligning_again(edited, tmp_path, capsys):
    ref, dist, truth = edited
    late_ref, late_dist, late_truth = clips.late_start_pair()
    manifest = tmp_path / "pairs.csv"
    with manifest.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["reference", "distorted", "label", "align", "offset"])
        w.writerow([ref, dist, "edited", "auto", ""])
        w.writerow([late_ref, late_dist, "late", "", "-5"])
    out = tmp_path / "out"
    argv = ["batch", str(manifest), "--out", str(out), "--metrics", "psnr", "--workers", "1", "--quiet"]
    assert main(argv) == 0
    specs = {s.label: s for s in load_manifest(manifest)}
    edited_json = json.loads((out / f"{specs['edited'].name}.json").read_text())
    events = [{k: v for k, v in e.items() if k != "confidence"} for e in edited_json["alignment"]["events"]]
    assert events == truth.events
    assert [f["frame"] for f in edited_json["frames"]] == sorted(r for r, _ in truth.pairs)
    late_json = json.loads((out / f"{specs['late'].name}.json").read_text())
    assert "events" not in late_json["alignment"] and late_json["alignment"]["offset"] == -5
    score_json = tmp_path / "score.json"      # the same numbers as `score --align auto`
    assert main(["score", str(ref), str(dist), "--align", "auto", "--metrics", "psnr", "--quiet",
                 "--json", str(score_json)]) == 0
    expected = {f["frame"]: f["psnr_y"] for f in json.loads(score_json.read_text())["frames"]}
    assert {f["frame"]: f["psnr_y"] for f in edited_json["frames"]} == expected
    capsys.readouterr()
    assert main(argv) == 0
    assert "(2 already were)" in capsys.readouterr().out


def test_batch_alignment_options_fill_only_the_rows_without_their_own(tmp_path):
    rows = [PairSpec("r.mkv", "a.mp4"), PairSpec("r.mkv", "b.mp4", crop="ref=100:50:0:0", max_offset=5)]
    args = Namespace(align="auto", max_offset=20, crop="320:164:0:8", shift=None)
    plain, own = with_alignment_defaults(rows, args)
    assert (plain.align, plain.max_offset, plain.crop) == ("auto", 20, "320:164:0:8")
    assert (own.align, own.max_offset, own.crop) == ("auto", 5, "ref=100:50:0:0")
    assert "--align" in plain.score_arguments() and "--shift" not in plain.score_arguments()
    assert rows[0].name != plain.name                         # another setting, another result file
    assert PairSpec("r.mkv", "a.mp4").name == rows[0].name    # names without alignment are unchanged


def test_bad_alignment_columns_are_one_line(tmp_path):
    from vqinspect.app.shared.errors import InputError

    manifest = tmp_path / "bad.csv"
    manifest.write_text("reference,distorted,align\nr.mkv,d.mp4,maybe\n")
    with pytest.raises(InputError, match="align must be auto"):
        load_manifest(manifest)
