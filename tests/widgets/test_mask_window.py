"""The mask mode window on the test clip: it scores in the background, draws the overlays
and heatmaps, and seeks from plots, keys and the least-stable-frame buttons."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from vqinspect.app.masks.scorer import MaskOptions, open_mask_inputs
from tests.mask_clips import DROPOUT, EMPTY, mask_clip


@pytest.fixture
def mask_window(qtbot):
    from vqinspect.widgets.launch import application
    from vqinspect.widgets.mask_window import MaskWindow

    application()
    c = mask_clip()
    inputs = open_mask_inputs(str(c["pred"]), str(c["gt"]), str(c["source"]))
    window = MaskWindow(inputs, MaskOptions())
    window.resize(1100, 800)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.scoring_finished, timeout=60_000):
        pass
    yield window
    window.close()


def test_scores_fill_the_plots_and_the_worst_frames_are_the_corrupted_ones(mask_window):
    w = mask_window
    assert set(w.plots.plots) == {"J / F", "tIoU", "IoU prev", "flips"}
    xs, ys = w.plots.curves["tiou"].getData()
    assert len(xs) == 24 and np.isnan(ys[0]) and np.isfinite(ys[1:]).all()
    assert w.worst[:2] == [EMPTY + 1, EMPTY] or w.worst[:2] == [EMPTY, EMPTY + 1]
    assert "least stable by tiou" in w.status.text()


def test_worst_frame_keys_and_plot_clicks_seek_with_one_playhead(mask_window, qtbot):
    w = mask_window
    with qtbot.waitSignal(w.frame_displayed, timeout=10_000):
        qtbot.keyClick(w, Qt.Key.Key_N)
    assert w.frame == w.worst[0] and w.spin.value() == w.frame
    assert all(line.value() == w.frame for line in w.plots.playheads)
    plot = w.plots.plots["tIoU"]
    pos = w.plots.mapFromScene(plot.vb.mapViewToScene(QPointF(DROPOUT, 0.5)))
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == DROPOUT, timeout=10_000):
        qtbot.mouseClick(w.plots.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert w.slider.value() == DROPOUT
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == DROPOUT + 1, timeout=10_000):
        qtbot.keyClick(w, Qt.Key.Key_Right)


def test_the_residual_heatmap_lights_up_the_dropout_and_the_overlay_shows_both_masks(mask_window, qtbot, tmp_path):
    w = mask_window
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == DROPOUT, timeout=10_000):
        w.seek(DROPOUT)
    w.map_choice.setCurrentText("residual")
    image = _array(w.map_view.image)
    c = mask_clip()
    y0, y1, x0, x1 = c.dropout_box
    hole = image[y0:y1, x0:x1].astype(int).sum(axis=2)
    assert np.median(hole) > 500                            # bright (inferno's top end)
    overlay = _array(w.overlay_view.image)
    assert (overlay == (64, 255, 96)).all(axis=2).sum() > 100     # ground-truth contour drawn
    w.show_gt.setChecked(False)
    assert (_array(w.overlay_view.image) == (64, 255, 96)).all(axis=2).sum() == 0
    w.show_gt.setChecked(True)
    w.map_choice.setCurrentText("error_rate")
    w.grab().save(str(tmp_path / "mask_window.png"))


def _array(image) -> np.ndarray:
    return np.asarray(image._array)
