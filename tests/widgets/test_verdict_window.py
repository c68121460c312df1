"""The QC verdict in the window, on a real clip whose frames [12, 27) come from a CRF 45 encode
and all others are the lossless reference's: the failing range is known exactly."""
from __future__ import annotations

import json

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.qc_clips import spliced

BAD = (12, 27)
FAILING = '''name = "dip"
title = "No long PSNR dip"

[[rules]]
check = "psnr_y >= 40"
max_run = 10

[[rules]]
check = "psnr_y.max >= 50"
'''
PASSING = '''name = "lenient"
title = "Lenient"

[[rules]]
check = "psnr_y >= 20"

[[rules]]
check = "psnr_y.mean >= 40"
'''


@pytest.fixture(scope="module")
def pair():
    return tuple(map(str, spliced("verdict", [BAD], frames=40)))


@pytest.fixture
def profiles(tmp_path):
    out = {}
    for name, text in (("failing", FAILING), ("passing", PASSING)):
        out[name] = tmp_path / f"{name}.toml"
        out[name].write_text(text)
    return {k: str(v) for k, v in out.items()}


def _regions(window, key="psnr_y"):
    """The shaded regions on the plot that draws ``key``."""
    name = next(n for n, keys in window.plots.plot_keys.items() if key in keys)
    return [item.getRegion() for item in window.plots.plots[name].items if isinstance(item, pg.LinearRegionItem)]


def _all_regions(window):
    return [i for p in window.plots.plots.values() for i in p.items if isinstance(i, pg.LinearRegionItem)]


def _choose(window, qtbot, spec):
    window.ask.profile = lambda current: spec
    window.commands["qc_profile"].trigger()


def _open(window, qtbot, pair):
    with qtbot.waitSignal(window.scoring_finished, timeout=60_000):
        window.open_paths(*pair)
    qtbot.waitUntil(lambda: window.view_area.images is not None, timeout=20_000)


def test_a_failing_profile_shows_fail_shades_the_range_and_n_goes_there(make_window, qtbot, pair, profiles):
    w = make_window(metrics=("psnr",))
    seen_while_scoring = []
    w.pair_opened.connect(lambda: seen_while_scoring.append((w.verdict.state.status, w.verdict.panel.title.text())))
    _choose(w, qtbot, profiles["failing"])
    assert w.verdict.panel.isVisible() and "judged when scoring finishes" in w.verdict.panel.title.text()
    _open(w, qtbot, pair)
    assert seen_while_scoring[0][0] == "pending" and "judged when scoring finishes" in seen_while_scoring[0][1]

    panel, state = w.verdict.panel, w.verdict.state
    assert panel.word == "FAIL" and "No long PSNR dip" in panel.title.text() and "1 of 2 rules met" in panel.title.text()
    run, peak = state.rows
    assert (run.met, run.ranges, run.value) == (False, (BAD,), "15-frame run")
    psnr = w.session.table.column("psnr_y")
    assert peak.met and peak.value == f"{psnr.max():.3f}"
    assert "12–26" in panel.rules.text()
    assert _regions(w) == [(BAD[0] - 0.5, BAD[1] - 0.5)]           # frames 12..26, half a frame either side

    w.session.home()
    w.commands["next_worst"].trigger()
    assert w.session.frame == BAD[0]
    assert panel.stop.text() == "N / P: failing range 1 of 1: frames 12–26, psnr_y ≥ 40"
    w.commands["next_worst"].trigger()                              # then the worst frames, worst first
    assert w.session.frame == int(np.argmin(psnr)) and panel.stop.text().startswith("N / P: worst frame 1 of ")
    w.commands["previous_worst"].trigger()
    assert w.session.frame == BAD[0]

    # a click inside the shaded range still seeks: the shading takes no mouse button
    plot = next(iter(w.plots.plots.values()))
    inside = w.plots.mapFromScene(plot.vb.mapViewToScene(QPointF(20, plot.vb.viewRange()[1][0] + 1)))
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 20, timeout=20_000):
        qtbot.mouseClick(w.plots.viewport(), Qt.MouseButton.LeftButton, pos=inside)
    assert w.session.frame == 20 and panel.stop.text().startswith("N / P: worst frame")

    _choose(w, qtbot, profiles["passing"])                          # judged at once: the scores are finished
    assert panel.word == "PASS" and "2 of 2 rules met" in panel.title.text()
    assert _all_regions(w) == [] and all(row.met for row in state.rows)
    w.session.home()
    w.commands["next_worst"].trigger()                              # no failing range: the worst frames
    assert w.session.frame == int(np.argmin(psnr))
    _choose(w, qtbot, "")
    assert not panel.isVisible() and state.verdict is None and _all_regions(w) == []


def test_a_profile_that_reads_another_metric_scores_it_and_a_new_pairing_clears_the_shading(
        make_window, qtbot, pair_paths, tmp_path):
    w = make_window(metrics=("psnr",))
    _open(w, qtbot, pair_paths)
    path = tmp_path / "ssim.toml"
    path.write_text('[[rules]]\ncheck = "ssim.min >= 0.995"\n')
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        _choose(w, qtbot, str(path))
    qtbot.waitUntil(lambda: w.verdict.state.status == "judged", timeout=10_000)
    assert [m.name for m in w.metrics.scored] == ["psnr", "ssim"] and "ssim" in w.session.table.keys
    (failure,) = w.verdict.state.verdict.failures
    ssim = w.session.table.column("ssim")
    below = [w.session.table.start + i for i in np.flatnonzero(ssim < 0.995)]
    assert below and [f for a, b in failure.ranges for f in range(a, b)] == below
    assert _regions(w, "ssim") == [(a - 0.5, b - 0.5) for a, b in failure.ranges]

    w.session.set_offset(1)                                         # a new pairing: scored again
    assert _all_regions(w) == [] and w.verdict.state.status == "pending"
    qtbot.waitUntil(lambda: w.verdict.state.status == "judged", timeout=60_000)
    assert w.session.table.start == w.session.pair.start and w.verdict.panel.word == "FAIL"


def test_a_bad_profile_is_one_line_and_changes_nothing(make_window, qtbot, tmp_path):
    w = make_window(metrics=("psnr",))
    path = tmp_path / "bad.toml"
    path.write_text('[[rules]]\ncheck = "nope.mean >= 3"\n')
    _choose(w, qtbot, str(path))
    assert "unknown score key 'nope'" in w.message.text() and w.verdict.state.profile is None


def test_a_cancelled_run_is_not_judged(make_window, qtbot, long_pair_paths):
    w = make_window(metrics=("psnr",))
    _choose(w, qtbot, "streaming-top-rung")
    w.pair_opened.connect(w.cancel_scoring)                         # before a frame can be scored
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000) as blocker:
        w.open_paths(*long_pair_paths)
    assert blocker.args[0].status == "cancelled"
    assert w.verdict.state.status == "unjudged" and "not judged: scoring was cancelled" in w.verdict.panel.title.text()
    assert w.verdict.panel.word != "PASS" and _all_regions(w) == []


def test_the_workspace_keeps_the_profile(make_window, qtbot, pair, profiles, tmp_path, monkeypatch, scoring_runs):
    w = make_window(metrics=("psnr",))
    _choose(w, qtbot, profiles["failing"])
    _open(w, qtbot, pair)
    w.ask.save_path = lambda title, suggested, filter_: str(tmp_path / "qc.vqws")
    w.commands["save_workspace"].trigger()
    qtbot.waitUntil(lambda: w.workspace_path is not None, timeout=20_000)
    data = json.loads(w.workspace_path.read_text())
    assert data["profile"] == profiles["failing"]

    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "other-cache"))
    runs = len(scoring_runs)
    back = make_window(metrics=("psnr",))
    back.ask.open_path = lambda title, filter_: str(w.workspace_path)
    with qtbot.waitSignal(back.scoring_finished, timeout=60_000):
        back.commands["open_workspace"].trigger()
    assert len(scoring_runs) == runs                                # scores reused, judged at once
    assert back.verdict.state.spec == profiles["failing"] and back.verdict.panel.word == "FAIL"
    assert _regions(back) == [(BAD[0] - 0.5, BAD[1] - 0.5)]

    del data["profile"]                                             # a workspace from before profiles
    old = tmp_path / "old.vqws"
    old.write_text(json.dumps(data))
    back.ask.open_path = lambda title, filter_: str(old)
    with qtbot.waitSignal(back.scoring_finished, timeout=60_000):
        back.commands["open_workspace"].trigger()
    assert back.verdict.state.profile is None and not back.verdict.panel.isVisible() and _all_regions(back) == []


def test_the_command_line_adds_the_profile_and_its_metrics():
    from vqinspect.app.qc.profile import load_profile
    from vqinspect.app.scoring.metric_choice import GUI_DEFAULT
    from vqinspect.metrics.registry import available
    from vqinspect.widgets.launch import gui_metric_names, gui_parser

    args = gui_parser().parse_args(["a.mkv", "b.mkv", "--profile", "mezzanine", "--metrics", "psnr"])
    assert args.profile == "mezzanine"
    profile = load_profile(args.profile)
    assert gui_metric_names("psnr", profile) == ["psnr", *[m for m in profile.metrics() if m != "psnr"]]
    window_default = [n for n in GUI_DEFAULT if n in available()]
    assert gui_metric_names(None, profile) == window_default + [m for m in profile.metrics() if m not in window_default]
    assert gui_metric_names(None, None) is None                     # the window's default
