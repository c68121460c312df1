"""The window's automatic alignment on real misaligned encodes (tests/alignment_clips.py): the
banner for a misaligned pair and none for an aligned one, the file panel's Apply reopening the
pair with the true frame pairs, and the strip's markers at the event frames."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt

from tests import alignment_clips as clips

WAIT = 120_000


@pytest.fixture(scope="module")
def edited():
    return clips.edited_pair()


def _truth_markers(truth) -> dict[str, list[int]]:
    markers: dict[str, list[int]] = {}
    for e in truth.events:
        frames = range(e["ref_frame"], e["ref_frame"] + e["count"]) if e["type"] == "dropped" else [e["ref_frame"]]
        markers.setdefault(e["type"], []).extend(frames)
    return markers


def _open(window, qtbot, ref, dist, offset=0):
    with qtbot.waitSignals([window.alignment.found, window.scoring_finished], timeout=WAIT):
        window.open_paths(str(ref), str(dist), offset)


def test_a_misaligned_pair_gets_the_banner_and_apply_pairs_the_true_frames(make_window, qtbot, edited):
    ref, dist, truth = edited
    w = make_window()
    _open(w, qtbot, ref, dist)
    banner = w.alignment_banner
    assert banner.isVisible()
    assert "offset +7, not +0" in banner.text and "6 reference frames dropped" in banner.text
    assert w.file_panel.alignment.apply_button.isEnabled()
    assert "dropped: reference frames 18-19 missing" in w.file_panel.alignment.text
    assert w.alignment_strip.markers == _truth_markers(truth)       # found, not yet applied
    assert w.session.pair.matched is None
    with qtbot.waitSignal(w.scoring_finished, timeout=WAIT):
        qtbot.mouseClick(banner.apply_button, Qt.MouseButton.LeftButton)
    pair = w.session.pair
    assert pair.matched is not None and not banner.isVisible()
    assert [(r, pair.counterpart(r)) for r, _ in truth.pairs] == truth.pairs
    assert list(w.session.table.scored_frames()) == [r for r, _ in truth.pairs]
    assert w.alignment_strip.markers == _truth_markers(truth)
    assert w.file_panel.alignment.text.startswith("Applied")
    assert w.file_panel.alignment.revert_button.isVisible()
    assert not w.file_panel.alignment.apply_button.isEnabled()
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 30, timeout=WAIT):
        w.session.seek(30)
    assert w.view_area.images.request.dist_frame == dict(truth.pairs)[30]      # 35: past the first drop
    with qtbot.waitSignal(w.scoring_finished, timeout=WAIT):
        qtbot.mouseClick(w.file_panel.alignment.revert_button, Qt.MouseButton.LeftButton)
    assert w.session.pair.matched is None and w.session.pair.offset == 7
    assert w.alignment_banner.isVisible()                # still misaligned after the first drop


def test_an_aligned_pair_gets_no_banner(make_window, qtbot):
    ref, dist, _ = clips.late_start_pair()
    w = make_window()
    _open(w, qtbot, ref, dist, offset=-5)
    assert w.alignment.detected.offset == -5 and w.alignment.detected.events == ()
    assert not w.alignment_banner.isVisible()
    assert not w.file_panel.alignment.apply_button.isEnabled()
    assert "no dropped, repeated or inserted frames" in w.file_panel.alignment.text
    assert w.alignment_strip.markers == {}
    w.file_panel.offset.setValue(0)                      # the same clips at a wrong offset: the same detection
    qtbot.waitUntil(lambda: w.alignment_banner.isVisible(), timeout=WAIT)
    assert "offset -5, not +0" in w.alignment_banner.text
    qtbot.mouseClick(w.alignment_banner.dismiss_button, Qt.MouseButton.LeftButton)
    assert not w.alignment_banner.isVisible()
    assert w.file_panel.alignment.apply_button.isEnabled()


def _screen_x(view, vb, frame: float) -> float:
    """Where ``frame`` is on the screen, on a plot (``vb``) of the pyqtgraph ``view``."""
    return view.mapToGlobal(view.mapFromScene(vb.mapViewToScene(QPointF(frame, 0.5)))).x()


def test_the_strip_follows_the_plots_frame_axis_and_seeks(make_window, qtbot, edited):
    ref, dist, _ = edited
    w = make_window()
    _open(w, qtbot, ref, dist)
    first = next(iter(w.plots.plots.values()))
    first.setXRange(10, 30, padding=0)
    strip, vb = w.alignment_strip, w.alignment_strip.plot_item.vb
    for frame in (12, 20, 28):                        # the same frame at the same place on the screen
        assert _screen_x(strip, vb, frame) == pytest.approx(_screen_x(w.plots, first.vb, frame), abs=1.0)
    pos = strip.mapFromScene(vb.mapViewToScene(QPointF(20, 0.5)))
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 20, timeout=WAIT):
        qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert w.session.frame == 20 and strip.playhead.value() == 20
    qtbot.mouseMove(strip.viewport(), strip.mapFromScene(vb.mapViewToScene(QPointF(18, 0.3))))
    qtbot.waitUntil(lambda: "reference frames 18-19 missing" in strip.hover_text, timeout=5000)
