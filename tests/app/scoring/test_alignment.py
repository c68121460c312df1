"""Temporal alignment on real low-bitrate x264 encodes with known edits (tests/alignment_clips.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests import alignment_clips as clips
from vqinspect.__main__ import main
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.alignment import LOW_CONFIDENCE, align_clips
from vqinspect.app.scoring.engine import ScoringJob
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.metrics.registry import get_metric


def _event_truth(event) -> dict:
    """An event as the truth lists it: everything but the confidence."""
    d = event.as_dict()
    d.pop("confidence")
    return d


@pytest.fixture(scope="module")
def edited():
    ref, dist, truth = clips.edited_pair()
    return ref, dist, truth, align_clips(open_media(ref), open_media(dist), spatial=False)


def test_every_event_and_pair_is_recovered(edited):
    _, _, truth, alignment = edited
    assert alignment.offset == 7
    assert [_event_truth(e) for e in alignment.events] == truth.events
    assert [tuple(p) for p in alignment.pairs.tolist()] == truth.pairs
    assert all(e.confidence >= LOW_CONFIDENCE for e in alignment.events)
    assert alignment.leading == 7
    assert alignment.offset_confidence >= LOW_CONFIDENCE


def test_a_late_start_is_a_negative_offset():
    ref, dist, truth = clips.late_start_pair()
    alignment = align_clips(open_media(ref), open_media(dist), spatial=False)
    assert alignment.offset == -5
    assert alignment.events == ()
    assert [tuple(p) for p in alignment.pairs.tolist()] == truth.pairs


def test_a_static_scene_gives_low_confidence_not_a_wrong_event():
    ref, dist, truth = clips.static_pair()
    alignment = align_clips(open_media(ref), open_media(dist), spatial=False)
    true_events = {(e["type"], e["ref_frame"], e["count"]) for e in truth.events}
    for event in alignment.events:
        if event.type != "offset_change":
            assert (event.type, event.ref_frame, event.count) in true_events or event.confidence < LOW_CONFIDENCE
    wrong = [k for k, (r, d) in enumerate(alignment.pairs.tolist()) if (r, d) not in set(truth.pairs)]
    assert wrong, "the drop in a still picture is not visible: some pairs must be guesses"
    assert np.all(alignment.pair_confidence[wrong] < LOW_CONFIDENCE)
    assert alignment.uncertain_spans()
    assert any("uncertain" in line for line in alignment.summary())


def test_align_command_writes_the_json(edited, tmp_path, capsys):
    ref, dist, truth, _ = edited
    out = tmp_path / "align.json"
    assert main(["align", str(ref), str(dist), "--json", str(out), "--quiet", "--max-offset", "20"]) == 0
    data = json.loads(out.read_text())
    assert data["offset"] == 7
    assert [tuple(p) for p in data["pairs"]] == truth.pairs
    assert [{k: v for k, v in e.items() if k != "confidence"} for e in data["events"]] == truth.events
    assert "dropped: reference frames 18-19 missing" in capsys.readouterr().out


def test_align_command_rejects_a_negative_band(edited, capsys):
    ref, dist, _, _ = edited
    assert main(["align", str(ref), str(dist), "--max-offset", "-1"]) == 2
    assert "--max-offset" in capsys.readouterr().err


def _table(pair, metrics):
    return ScoringJob(pair, metrics, threads=2).run().table


def test_score_align_auto_equals_scoring_each_true_pair(edited, tmp_path, capsys):
    ref_path, dist_path, truth, alignment = edited
    ref, dist = open_media(ref_path), open_media(dist_path)
    keys = ("psnr_y", "psnr_u", "psnr_v", "vmaf", "motion2")
    aligned = _table(make_pair(ref, dist, matched=alignment), [get_metric("psnr"), get_metric("vmaf")])
    truth_map = dict(truth.pairs)
    assert list(aligned.scored_frames()) == sorted(truth_map)
    # the truth scored directly: each run of constant offset as an --offset/--frames range
    runs, start = [], 0
    for k in range(1, len(truth.pairs) + 1):
        if k == len(truth.pairs) or truth.pairs[k][1] - truth.pairs[k][0] != truth.pairs[start][1] - truth.pairs[start][0] \
                or truth.pairs[k][0] != truth.pairs[k - 1][0] + 1:
            runs.append((truth.pairs[start][0], truth.pairs[k - 1][0] + 1, truth.pairs[start][1] - truth.pairs[start][0]))
            start = k
    checked = 0
    for a, b, offset in runs:
        direct = _table(make_pair(ref, dist, offset, (a, b)), [get_metric("psnr"), get_metric("vmaf")])
        for r in range(a, b):
            ours, expected = aligned.row(r), direct.row(r)
            for key in keys:
                assert ours[key] == expected[key], (r, key)
            checked += 1
    assert checked == len(truth.pairs)
    # the command: events in JSON and on stderr, dropped frames unscored with a reason
    out = tmp_path / "score.json"
    assert main(["score", str(ref_path), str(dist_path), "--align", "auto", "--metrics", "psnr",
                 "--quiet", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [{k: v for k, v in e.items() if k != "confidence"} for e in data["alignment"]["events"]] == truth.events
    assert [f["frame"] for f in data["frames"]] == sorted(truth_map)
    unscored = {u["frame"]: u["reason"] for u in data["alignment"]["unscored"]}
    assert set(unscored) == {18, 19, 47, 48, 49, 50}
    assert unscored[18].startswith("dropped") and unscored[47].startswith("frozen")
    for f in data["frames"]:
        assert f["psnr_y"] == pytest.approx(aligned.row(f["frame"])["psnr_y"], abs=1e-6)
    err = capsys.readouterr().err
    assert "repeated: distorted frames 53-56 repeat reference frame 46" in err


def test_score_warns_once_about_a_likely_offset(capsys):
    ref, dist, _ = clips.late_start_pair()
    assert main(["score", str(ref), str(dist), "--metrics", "psnr", "--quiet"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "misaligned" in line]
    assert len(warnings) == 1 and "offset -5" in warnings[0] and "--align auto" in warnings[0]
    assert main(["score", str(ref), str(dist), "--metrics", "psnr", "--quiet", "--offset", "-5"]) == 0
    assert "misaligned" not in capsys.readouterr().err


def test_a_badly_spoiled_stretch_is_not_reported_as_inserted_and_dropped_frames():
    """Frames 12-26 of a lossless copy replaced by a CRF 45 encode of the same frames: nothing
    was dropped or inserted; those frames are paired at the same offset, marked uncertain."""
    from vqinspect.app.media.source import open_media
    from vqinspect.app.scoring.alignment import align_clips
    from tests.qc_clips import spliced

    ref, dist = spliced("verdict", [(12, 27)], frames=40)
    alignment = align_clips(open_media(ref), open_media(dist), spatial=False)
    assert alignment.offset == 0 and not alignment.events
    assert [tuple(p) for p in alignment.pairs] == [(i, i) for i in range(40)]
    assert any(a <= 12 and 26 <= b for a, b in alignment.uncertain_spans())
