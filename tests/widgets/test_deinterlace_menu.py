"""Scoring > Deinterlace Both Clips: the pair is made again through bwdif and scored again, the
interlacing warning goes, and a workspace keeps the setting."""
from __future__ import annotations

import json

import pytest

from tests.app.media.lying_clips import interlaced_h264


@pytest.fixture(scope="module")
def tff(tmp_path_factory):
    return str(interlaced_h264(tmp_path_factory.mktemp("interlaced") / "tff.mp4"))


def test_the_menu_deinterlaces_rescoring_and_the_workspace_keeps_it(make_window, qtbot, tff, tmp_path,
                                                                    monkeypatch):
    w = make_window()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_paths(tff, tff)
    action = w.commands["deinterlace"]
    assert action.isCheckable() and not action.isChecked()
    assert "is interlaced (tff)" in w.file_panel.notes.text()
    coded = w.scoring.result
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000) as blocker:
        action.trigger()
        said = w.message.text()     # before the event loop runs: the pass cannot have ended yet
    assert w.session.deinterlace and action.isChecked()
    assert said == "Both clips deinterlaced (FFmpeg bwdif, one frame per frame)."
    assert "both clips deinterlaced" in w.file_panel.notes.text() and "is interlaced" not in w.file_panel.notes.text()
    assert blocker.args[0] is not coded and blocker.args[0].table.count == 8

    w.ask.save_path = lambda title, suggested, filter_: str(tmp_path / "inter.vqi")
    w.commands["save_workspace"].trigger()
    qtbot.waitUntil(lambda: w.workspace_path is not None, timeout=20_000)
    assert json.loads(w.workspace_path.read_text())["deinterlace"] is True

    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "other-cache"))   # scores can only come from the file
    again = make_window()
    again.ask.open_path = lambda title, filter_: str(w.workspace_path)
    with qtbot.waitSignal(again.scoring_finished, timeout=60_000) as reopened:
        again.commands["open_workspace"].trigger()
    assert again.session.deinterlace and again.commands["deinterlace"].isChecked()
    assert again.scoring.source.startswith("from the workspace")
    assert reopened.args[0].table.row(3) == blocker.args[0].table.row(3)


def test_turning_it_off_scores_the_clips_as_coded(make_window, qtbot, tff):
    w = make_window()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_paths(tff, tff, deinterlace=True)
    assert w.commands["deinterlace"].isChecked()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.commands["deinterlace"].trigger()
        said = w.message.text()
    assert not w.session.deinterlace and not w.commands["deinterlace"].isChecked()
    assert said == "Clips shown and scored as coded (not deinterlaced)."
    assert "is interlaced (tff)" in w.file_panel.notes.text()


def test_without_a_pair_the_setting_waits_for_the_clips(make_window, qtbot, tff):
    w = make_window()
    w.commands["deinterlace"].trigger()
    assert w.session.deinterlace and w.message.text() == "The clips you open will be deinterlaced (FFmpeg bwdif)."
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_paths(tff, tff)
    assert "both clips deinterlaced" in w.file_panel.notes.text()
