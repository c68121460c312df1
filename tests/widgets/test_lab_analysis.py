"""The live analysis view: results written by the session model are shown with the MOS that
app/lab/mos.py computes, a new subject's file updates the view, and double-clicking a stimulus
opens it against its reference in the inspector. The File menu's two lab commands."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.clips import clip, lossless
from vqinspect.app.lab.dataset import opinion_scores
from vqinspect.app.lab.mos import mos_stats
from vqinspect.app.lab.plan import Plan, Stimulus, default_scale, plan_text, read_plan
from vqinspect.app.lab.results import dataset_from_results
from vqinspect.app.lab.session import Session
from vqinspect.widgets import lab_menu
from vqinspect.widgets.lab_analysis import LabAnalysisView, LabAnalysisWindow

SIZE = (176, 144)
FRAMES = 4
WAIT = 30_000
# Each subject's vote on each stimulus: deliberately different, so every MOS is distinct.
VOTES = {"S01": {"bbb_crf30": 5, "bbb_crf45": 2, "alt_crf30": 4, "alt_crf45": 1},
         "S02": {"bbb_crf30": 4, "bbb_crf45": 2, "alt_crf30": 4, "alt_crf45": 2},
         "S03": {"bbb_crf30": 4, "bbb_crf45": 1, "alt_crf30": 3, "alt_crf45": 1}}
LATE = {"S04": {"bbb_crf30": 3, "bbb_crf45": 3, "alt_crf30": 5, "alt_crf45": 3}}


@pytest.fixture
def lab(tmp_path):
    """A plan over two contents (two encodes each) in tmp_path, and its results folder."""
    for content in ("bbb", "alt"):
        shutil.copy(lossless(frames=FRAMES, size=SIZE), tmp_path / f"{content}.mkv")
        for crf in (30, 45):
            shutil.copy(clip(crf=crf, frames=FRAMES, size=SIZE), tmp_path / f"{content}_crf{crf}.mp4")
    stimuli = [Stimulus(f"{c}_crf{crf}", f"{c}_crf{crf}.mp4", c, f"{c}.mkv") for c in ("bbb", "alt") for crf in (30, 45)]
    plan = Plan("analysis", "ACR", stimuli, default_scale("ACR"), grey_seconds=0.01, reshow_dropped=False)
    path = tmp_path / "plan.json"
    path.write_text(plan_text(plan, ".json"))
    return path, tmp_path / "results"


def vote_session(plan_path: Path, subject: str, votes: dict[str, int]) -> Path:
    session = Session.start(read_plan(plan_path), subject)
    while (trial := session.next_trial()) is not None:
        session.vote(trial, votes[trial.rated])
    return session.path


def shown_scores(view: LabAnalysisView, model: str) -> dict[str, float]:
    """The y of each plotted point of ``model``, by stimulus name."""
    points = view.score_items[model]
    x, y = points.getData()
    return {view.analysis.clips[view.stimulus_near(xi)].name: float(yi) for xi, yi in zip(x, y)}


def expected_mos(results: Path) -> dict[str, float]:
    dataset = dataset_from_results(sorted(results.glob("*.json")))
    mos = mos_stats(opinion_scores(dataset))["quality_scores"]
    return {Path(name).name: float(m) for name, m in zip(dataset.dis_video_names, mos)}


def double_click(qtbot, widget, pos) -> None:
    """What a mouse sends: press, release, double-click, release (QTest's mouseDClick alone
    leaves out the last release, on which pyqtgraph delivers the click)."""
    left = Qt.MouseButton.LeftButton
    qtbot.mouseMove(widget, pos)
    qtbot.mousePress(widget, left, pos=pos)
    qtbot.mouseRelease(widget, left, pos=pos)
    qtbot.mouseDClick(widget, left, pos=pos)
    qtbot.mouseRelease(widget, left, pos=pos)


def make_view(qtbot, inputs, **kwargs) -> LabAnalysisView:
    view = LabAnalysisView([str(p) for p in inputs], **kwargs)
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    return view


def test_view_shows_the_mos_of_mos_py_and_follows_new_results(qtbot, lab):
    plan_path, results = lab
    for subject, votes in VOTES.items():
        vote_session(plan_path, subject, votes)
    view = make_view(qtbot, [results])
    try:
        qtbot.waitUntil(lambda: view.analysis is not None, timeout=WAIT)
        expected = expected_mos(results)
        by_hand = {f"{sid}.mp4": np.mean([v[sid] for v in VOTES.values()]) for sid in VOTES["S01"]}
        assert expected == pytest.approx(by_hand, abs=1e-12)
        assert shown_scores(view, "MOS") == expected
        assert view.analysis.observers == ["S01", "S02", "S03"]
        table = {view.table.item(r, 1).text(): view.table.item(r, 3).text() for r in range(view.table.rowCount())}
        assert {name: text.split(" ± ")[0] for name, text in table.items()} == \
            {name: f"{m:.3f}" for name, m in expected.items()}
        assert set(view.analysis.results) >= {"MOS", "BT500", "P910"}     # every default model ran

        with qtbot.waitSignal(view.updated, timeout=WAIT):               # a subject who comes later
            vote_session(plan_path, "S04", LATE["S04"])
        qtbot.waitUntil(lambda: len(view.analysis.observers) == 4, timeout=WAIT)
        assert shown_scores(view, "MOS") == expected_mos(results)
        assert shown_scores(view, "MOS") != expected
        assert view.subjects.rowCount() == 4
    finally:
        view.shutdown()


def test_a_session_without_votes_yet_is_reported_not_fatal(qtbot, lab):
    plan_path, results = lab
    Session.start(read_plan(plan_path), "S01")                           # started, nothing voted
    view = make_view(qtbot, [results])
    try:
        qtbot.waitUntil(lambda: bool(view.error), timeout=WAIT)
        assert view.analysis is None and "Cannot analyse" in view.status.text()
        vote_session(plan_path, "S02", VOTES["S02"])
        qtbot.waitUntil(lambda: view.analysis is not None, timeout=WAIT)
        assert view.error == "" and view.analysis.observers == ["S02"]
    finally:
        view.shutdown()


def test_double_click_opens_the_stimulus_against_its_reference(qtbot, lab, make_window):
    plan_path, results = lab
    for subject, votes in VOTES.items():
        vote_session(plan_path, subject, votes)
    window = make_window()
    analysis = lab_menu.show_analysis(window, [str(results)])
    qtbot.waitUntil(lambda: analysis.view.analysis is not None, timeout=WAIT)
    view = analysis.view
    k = next(i for i, c in enumerate(view.analysis.clips) if c.name == "alt_crf45.mp4")
    box = view.score_plot.getViewBox()
    y = float(np.mean(box.viewRange()[1]))
    scene = box.mapViewToScene(QPointF(view.x_of[k], y))
    pos = view.plots.mapFromScene(scene)
    with qtbot.waitSignal(window.pair_opened, timeout=WAIT):
        double_click(qtbot, view.plots.viewport(), pos)
    s = window.session
    assert Path(s.reference.info.path) == (plan_path.parent / "alt.mkv").resolve()
    assert Path(s.distorted.info.path) == (plan_path.parent / "alt_crf45.mp4").resolve()
    row = next(r for r in range(view.table.rowCount()) if view.table.item(r, 1).text() == "bbb_crf30.mp4")
    with qtbot.waitSignal(window.pair_opened, timeout=WAIT):             # the table too
        view.table.itemDoubleClicked.emit(view.table.item(row, 0))
    assert Path(window.session.distorted.info.path) == (plan_path.parent / "bbb_crf30.mp4").resolve()
    window.close()
    assert window.lab_windows == [] or not analysis.isVisible()


def test_file_menu_opens_the_analysis_of_a_test_and_the_runner(qtbot, lab, make_window, monkeypatch):
    plan_path, results = lab
    first = vote_session(plan_path, "S01", VOTES["S01"])
    vote_session(plan_path, "S02", VOTES["S02"])
    window = make_window()
    monkeypatch.setattr(lab_menu, "ask_analysis_inputs", lambda w: [str(first)])
    window.commands["open_lab_analysis"].trigger()
    analysis = next(w for w in window.lab_windows if isinstance(w, LabAnalysisWindow))
    qtbot.waitUntil(lambda: analysis.view.analysis is not None, timeout=WAIT)
    assert analysis.view.analysis.observers == ["S01", "S02"]           # the whole test, from one file
    monkeypatch.setattr(lab_menu, "ask_test", lambda w: (str(plan_path), "S07", False, True))
    window.commands["run_lab"].trigger()
    from vqinspect.widgets.lab_runner import LabRunner

    qtbot.waitUntil(lambda: any(isinstance(w, LabRunner) for w in window.lab_windows), timeout=WAIT)
    runner = next(w for w in window.lab_windows if isinstance(w, LabRunner))
    assert runner.session.subject == "S07" and runner.state == "intro" and runner.isVisible()
    assert runner.session.path.parent == results
    window.close()
    assert not runner.isVisible() and not analysis.isVisible()
