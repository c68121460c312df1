"""File > Open Model Lab…: scatter, residuals, statistics, two models side by side, and a click
opening the stimulus's pair in the inspector at its most deviant frame.

Material: tests/model_lab_data.py (labels derived from libvmaf's vmaf_v0.6.1 plus seeded noise,
not human opinions)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.model_lab_data import FEATURES, feature_table
from vqinspect.__main__ import main

WAIT = 60_000


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[str, str]:
    table = feature_table()
    model = tmp_path_factory.mktemp("model_lab") / "collection.json"
    assert main(["lab", "train", str(table), "--features", FEATURES, "--out", str(model), "--bootstrap", "4",
                 "--resamples", "0"]) == 0
    return str(table), str(model)


def test_menu_opens_the_lab_with_two_models_and_a_click_opens_the_pair(qtbot, make_window, trained):
    from vqinspect.widgets import model_lab

    table, model = trained
    window = make_window()
    assert "open_model_lab" in window.commands
    lab = model_lab.open_model_lab(window, (table, [model, "vmaf_v0.6.1"]))
    qtbot.addWidget(lab)
    view = lab.view
    assert [p.evaluation.model for p in view.panels] == ["collection", "vmaf_v0.6.1"]
    assert view.stats.rowCount() == 2
    ours = view.panels[0]
    assert ours.y_errors is not None and view.panels[1].y_errors is None     # bootstrap interval only for ours
    ev = ours.evaluation
    x, y = ours.points.getData()
    np.testing.assert_allclose(x, ev.labels)
    np.testing.assert_allclose(y, ev.scores)
    mos, score = ours.logistic_curve()
    lg = ev.result["logistic"]
    np.testing.assert_allclose(lg(score), mos, rtol=1e-9)          # the curve is the fitted mapping
    k = int(np.argmax(np.abs(ev.labels - ev.result["mapped"])))
    name = ev.names[k]
    per_frame = ev.frame_scores[name]
    expected_frame = int(ev.frame_numbers[name][np.argmax(np.abs(per_frame - per_frame.mean()))])
    with qtbot.waitSignal(window.pair_opened, timeout=WAIT):
        ours.on_pick(ev, k)
    row = view.table.row(name)
    qtbot.waitUntil(lambda: window.session.frame == expected_frame, timeout=WAIT)
    assert Path(window.session.distorted.info.path) == Path(row["distorted"]).resolve()
    assert view.selected == (name, expected_frame)
    assert len(view.frames_plot.getPlotItem().listDataItems()) == 1 + len(ev.features)
    lab.close()
