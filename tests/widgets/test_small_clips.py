"""A clip too small for one of the window's metrics still gets the others scored, and says
which metric was left out and why; the cache keeps that run for the next opening."""
from __future__ import annotations

from tests.clips import clip, lossless

QCIF = (176, 144)   # below ms_ssim's 176x176, enough for psnr, ssim and vmaf


def test_the_metrics_that_fit_are_scored_and_the_others_named(make_window, qtbot, scoring_runs, score_cache):
    ref, dist = str(lossless(frames=4, size=QCIF)), str(clip(frames=4, size=QCIF, crf=35))
    w = make_window(metrics=("psnr", "ssim", "ms_ssim", "vmaf"))
    with qtbot.waitSignal(w.scoring_finished, timeout=120_000) as blocker:
        w.open_paths(ref, dist)
    result = blocker.args[0]
    assert result.status == "complete" and result.table.count == 4
    assert result.metrics == ["psnr", "ssim", "vmaf"] and "ms_ssim" not in result.table.keys
    assert "vmaf" in result.table.keys and all(v == v for v in result.table.column("vmaf"))  # no NaN
    text = w.message.text()
    assert text.startswith("Scored 4 frames with psnr, ssim, vmaf.") and w.message.property("error")
    assert "Not scored: ms_ssim needs frames of at least 176x176 luma samples; this clip is 176x144." in text
    assert "ms_ssim" not in [group for group, _ in w.scoring.choice.groups]

    qtbot.waitUntil(lambda: len(list(score_cache.glob("*.json"))) == 1, timeout=20_000)  # stored in the background
    runs = len(scoring_runs)
    again = make_window(metrics=("psnr", "ssim", "ms_ssim", "vmaf"))
    with qtbot.waitSignal(again.scoring_finished, timeout=60_000):
        again.open_paths(ref, dist)
    assert len(scoring_runs) == runs and again.scoring.source.endswith("(cached)")


def test_nothing_that_fits_is_one_readable_line(make_window, qtbot, scoring_runs):
    ref, dist = str(lossless(frames=2, size=QCIF)), str(clip(frames=2, size=QCIF, crf=35))
    w = make_window(metrics=("ms_ssim",))
    with qtbot.waitSignal(w.pair_opened, timeout=60_000):
        w.open_paths(ref, dist)
    assert " Nothing to score: ms_ssim needs frames of at least 176x176 luma samples" in w.message.text()
    assert w.message.property("error")
    assert w.runner is None and scoring_runs == []
