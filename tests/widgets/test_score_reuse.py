"""The score cache in the window: a pair scored before reopens with its scores at once and
is not scored again; a complete run is stored, a cancelled one is not."""
from __future__ import annotations

import numpy as np
import pytest


def _entries(score_cache):
    return sorted(score_cache.glob("*.json")) if score_cache.is_dir() else []


def test_a_pair_scored_before_shows_its_scores_without_scoring(make_window, qtbot, pair_paths, score_cache,
                                                              scoring_runs):
    first = make_window()
    with qtbot.waitSignal(first.scoring_finished, timeout=60_000):
        first.open_paths(*pair_paths)
    qtbot.waitUntil(lambda: len(_entries(score_cache)) == 1, timeout=10_000)     # stored in the background
    scored = {k: first.session.table.column(k).copy() for k in first.session.table.keys}
    first.close()
    assert len(scoring_runs) == 1
    second = make_window()
    with qtbot.waitSignal(second.scoring_finished, timeout=20_000) as blocker:
        second.open_paths(*pair_paths)
    assert len(scoring_runs) == 1 and second.runner is None                        # nothing scored
    assert blocker.args[0].status == "complete"
    for key, values in scored.items():
        assert second.session.table.column(key) == pytest.approx(values)
    xs, ys = second.plots.curves["ssim"].getData()
    assert list(xs) == list(range(10)) and np.isfinite(ys).all()
    assert second.summary.worst.count() == 10 and not second.progress.isVisible()
    assert "(cached): not scored again" in second.message.text()


def test_other_metrics_or_offset_score_again(make_window, qtbot, pair_paths, score_cache, scoring_runs):
    first = make_window()
    with qtbot.waitSignal(first.scoring_finished, timeout=60_000):
        first.open_paths(*pair_paths)
    qtbot.waitUntil(lambda: len(_entries(score_cache)) == 1, timeout=10_000)
    other = make_window(metrics=("psnr",))
    with qtbot.waitSignal(other.scoring_finished, timeout=60_000):
        other.open_paths(*pair_paths)
    assert len(scoring_runs) == 2
    with qtbot.waitSignal(first.scoring_finished, timeout=60_000):
        first.open_paths(*pair_paths, offset=1)
    assert len(scoring_runs) == 3 and first.session.pair.offset == 1


def test_a_cancelled_run_is_not_cached(make_window, qtbot, long_pair_paths, score_cache):
    w = make_window(metrics=("psnr", "ssim", "ms_ssim"))
    with qtbot.waitSignal(w.pair_opened, timeout=20_000):
        w.open_paths(*long_pair_paths)
    with qtbot.waitSignal(w.scoring_finished, timeout=30_000) as blocker:
        w.cancel_scoring()
    if blocker.args[0].status == "cancelled":
        qtbot.wait(200)
        assert _entries(score_cache) == []


def test_scores_cached_by_the_report_command_open_without_scoring(make_window, qtbot, pair_paths, tmp_path,
                                                                  score_cache, scoring_runs, capsys):
    from vqinspect.__main__ import main as vq_main

    assert vq_main(["report", *pair_paths, "-o", str(tmp_path / "r.html"), "--metrics", "psnr,ssim", "--quiet"]) == 0
    assert len(_entries(score_cache)) == 1 and len(scoring_runs) == 1
    w = make_window(metrics=("psnr", "ssim"))
    with qtbot.waitSignal(w.scoring_finished, timeout=20_000):
        w.open_paths(*pair_paths)
    assert len(scoring_runs) == 1 and w.runner is None and w.session.table.count == 10


def test_a_raw_pair_scored_by_report_with_a_decimal_rate_opens_from_the_cache(make_window, qtbot, pair_paths,
                                                                              tmp_path, score_cache, scoring_runs):
    """``report --fps 29.97`` and the window (which holds the rate as a fraction) key the cache alike."""
    import av

    from vqinspect.__main__ import main as vq_main
    from vqinspect.app.media.open_options import open_options

    raw = []
    for k, path in enumerate(pair_paths):
        out = tmp_path / f"clip{k}.yuv"
        with av.open(path) as container, open(out, "wb") as f:
            for frame in container.decode(video=0):
                f.write(frame.reformat(format="yuv420p").to_ndarray().tobytes())
                size = f"{frame.width}x{frame.height}"
        raw.append(str(out))
    assert vq_main(["report", *raw, "--size", size, "--pix-fmt", "yuv420p", "--fps", "29.97", "-o",
                    str(tmp_path / "r.html"), "--metrics", "psnr,ssim", "--quiet"]) == 0
    assert len(_entries(score_cache)) == 1 and len(scoring_runs) == 1
    w = make_window(metrics=("psnr", "ssim"))
    w.open_options = open_options(raw, size, "yuv420p", "2997/100")
    with qtbot.waitSignal(w.scoring_finished, timeout=20_000):
        w.open_paths(*raw)
    assert len(scoring_runs) == 1 and w.runner is None and w.session.table.count == 10
