"""The inspector window end to end: opening, plots, seeking, keys, offsets, closing."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt

from vqinspect.app.media.source import open_media


def test_opening_a_pair_fills_panels_plots_and_summary(opened, pair_paths):
    w = opened
    pair = w.session.pair
    assert (pair.start, pair.stop, pair.offset) == (0, 10, 0)
    assert w.file_panel.reference.values["Codec"].text().startswith("FFV1 in Matroska")
    assert w.file_panel.distorted.values["Codec"].text().startswith("H.264 High in MP4")
    assert w.file_panel.reference.values["Size"].text() == "320 × 180"
    xs, ys = w.plots.curves["ssim"].getData()
    assert list(xs) == list(range(10)) and np.all(np.isfinite(ys))
    assert w.summary.table.rowCount() == len(w.session.table.keys)
    assert w.summary.worst.count() == 10
    assert w.transport.total.text() == "/ 9"
    assert "Scored 10 frames" in w.message.text()
    assert w.view_area.images.request.frame == 0


def test_click_on_a_plot_seeks_and_the_views_follow(opened, qtbot):
    w = opened
    plot = w.plots.plots["ssim"]
    scene_pos = plot.vb.mapViewToScene(QPointF(7, float(np.nanmean(w.session.table.column("ssim")))))
    view_pos = w.plots.mapFromScene(scene_pos)
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 7, timeout=10_000):
        qtbot.mouseClick(w.plots.viewport(), Qt.MouseButton.LeftButton, pos=view_pos)
    assert w.session.frame == 7
    assert w.transport.frame.value() == 7
    assert all(line.value() == 7 for line in w.plots.playheads)
    assert w.view_area.images.request.frame == 7


def test_hovering_a_plot_shows_frame_and_value(opened, qtbot):
    w = opened
    plot = w.plots.plots["ssim"]
    value = w.session.table.column("ssim")[4]
    pos = w.plots.mapFromScene(plot.vb.mapViewToScene(QPointF(4, value)))
    qtbot.mouseMove(w.plots.viewport(), pos)
    qtbot.waitUntil(lambda: "frame 4" in w.plots.hover_text, timeout=5000)
    assert f"ssim {value:.4g}" in w.plots.hover_text


def test_zoom_and_pan_stay_in_sync_across_side_by_side_views(opened, qtbot):
    w = opened
    left, right = w.view_area.left, w.view_area.right
    assert right.isVisible()
    before = w.viewport.scale
    centre = QPointF(left.width() / 3, left.height() / 3)
    under_cursor = left.image_point(centre)
    _wheel(left, centre, notches=3)
    assert w.viewport.scale == pytest.approx(before * 1.25 ** 3)
    assert left.image_point(centre) == pytest.approx(under_cursor)     # zoom towards the cursor
    assert right.image_point(centre) == pytest.approx(left.image_point(centre), abs=1.0)
    point = right.image_point(QPointF(50, 50))
    qtbot.mousePress(right, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(right, QPoint(140, 120))
    qtbot.mouseRelease(right, Qt.MouseButton.LeftButton, pos=QPoint(140, 120))
    moved = left.image_point(QPointF(90, 70))
    assert moved == pytest.approx(point, abs=1.5)                        # drag pans both


def test_fit_and_one_to_one(opened):
    w = opened
    w.commands["zoom_in"].trigger()
    assert not w.viewport.fitted
    w.toolbar.actual_action.trigger()
    assert w.viewport.scale == 1.0
    w.toolbar.fit_action.trigger()
    assert w.viewport.fitted
    iw, ih = w.viewport.image_size
    assert iw * w.viewport.scale <= w.view_area.left.width() + 1


def test_keys_step_jump_play_and_flip(opened, qtbot):
    w = opened
    s = w.session

    def key(k, modifier=Qt.KeyboardModifier.NoModifier):
        qtbot.keyClick(w.view_area.left, k, modifier)

    key(Qt.Key.Key_Right)
    assert s.frame == 1
    key(Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert s.frame == 9                       # +10, clamped to the last paired frame
    key(Qt.Key.Key_Left)
    assert s.frame == 8
    key(Qt.Key.Key_Home)
    assert s.frame == 0
    key(Qt.Key.Key_End)
    assert s.frame == 9
    key(Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert s.frame == 0
    key(Qt.Key.Key_N)
    worst = s.worst_frames(w.summary.chosen_key)
    assert s.frame == worst[0][0]
    key(Qt.Key.Key_N)
    assert s.frame == worst[1][0]
    key(Qt.Key.Key_P)
    assert s.frame == worst[0][0]
    key(Qt.Key.Key_T)
    assert w.view_settings.mode == "ab" and w.view_settings.showing_reference
    key(Qt.Key.Key_T)
    assert not w.view_settings.showing_reference
    key(Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert w.transport.frame.hasFocus()
    w.view_area.left.setFocus()
    key(Qt.Key.Key_Home)
    key(Qt.Key.Key_Space)
    assert w.player.playing
    qtbot.waitUntil(lambda: s.frame >= 3, timeout=5000)
    key(Qt.Key.Key_Space)
    assert not w.player.playing
    assert "played at" in w.transport.state.text()


def test_playback_reaches_the_end_and_stops(opened, qtbot):
    w = opened
    w.player.play()
    qtbot.waitUntil(lambda: not w.player.playing, timeout=5000)
    assert w.session.frame == 9


def test_mode_switching_changes_what_the_views_show(opened, qtbot):
    w = opened
    area = w.view_area
    w.toolbar.mode_actions["wipe"].trigger()
    assert not area.right.isVisible() and area.left.wipe and area.left.secondary is not None
    w.view_settings.set_wipe_position(0.25)
    assert area.left._split_view_coord() == pytest.approx(w.viewport.image_to_view(80, 0, (
        area.left.width(), area.left.height()))[0])
    w.toolbar.mode_actions["ab"].trigger()
    assert area.left.primary is area._ref
    w.view_settings.toggle_ab()
    assert area.left.primary is area._dist
    with qtbot.waitSignal(w.frame_displayed, timeout=10_000):
        w.toolbar.mode_actions["diff"].trigger()
    assert area.images.diff_rgb is not None and area.left.primary is area._diff
    expected = np.minimum(np.abs(area.images.ref_planes[0].astype(int)
                                 - area.images.dist_planes[0].astype(int)) * 4, 255)
    assert np.array_equal(area.images.diff_rgb[..., 0], expected)
    with qtbot.waitSignal(w.map_displayed, timeout=20_000):
        w.toolbar.mode_actions["heatmap"].trigger()
    assert area.left.overlay is not None and area.colorbar.isVisible()
    assert area.map.request.heatmap.map == w.view_settings.map_key[1]
    w.toolbar.mode_actions["side-by-side"].trigger()
    assert area.right.isVisible() and area.left.overlay is None


def test_pixel_inspector_reports_the_decoded_code_values(opened, qtbot, pair_paths):
    w = opened
    with qtbot.waitSignal(w.map_displayed, timeout=20_000):
        w.view_settings.set_mode("heatmap")
    view = w.view_area.left
    x, y = 101, 57
    vx, vy = w.viewport.image_to_view(x + 0.5, y + 0.5, (view.width(), view.height()))
    qtbot.mouseMove(view, QPoint(int(vx), int(vy)))
    qtbot.waitUntil(lambda: w.pixel_panel.readout is not None, timeout=5000)
    r = w.pixel_panel.readout
    assert (r.x, r.y) == (x, y)
    ref = open_media(pair_paths[0]).reader().frame(0)
    dist = open_media(pair_paths[1]).reader().frame(0)
    assert r.ref_yuv == (ref[0][y, x], ref[1][y // 2, x // 2], ref[2][y // 2, x // 2])
    assert r.dist_yuv == (dist[0][y, x], dist[1][y // 2, x // 2], dist[2][y // 2, x // 2])
    assert r.ref_rgb == tuple(w.view_area.images.ref_rgb[y, x])
    m = w.view_area.map
    if m.values.shape == ref[0].shape:
        assert r.map_value == pytest.approx(float(m.values[y, x]))
    else:
        assert r.map_value == pytest.approx(float(m.values[m.placement.sample_at(m.values.shape, x, y)]))
    assert w.pixel_panel.cells[("Ref", "Y")].text() == str(ref[0][y, x])


def test_editing_the_offset_realigns_and_rescores(opened, qtbot):
    w = opened
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.file_panel.offset.setValue(2)
    assert w.session.pair.offset == 2 and (w.session.pair.start, w.session.pair.stop) == (0, 8)
    assert w.session.table.count == 8
    assert w.transport.total.text() == "/ 7"
    w.file_panel.offset.setValue(50)
    assert w.session.pair.offset == 2
    assert w.file_panel.offset.value() == 2
    assert "no overlapping frames" in w.message.text() and w.message.property("error")


def test_closing_mid_scoring_cancels_cleanly(make_window, qtbot, long_pair_paths):
    w = make_window(metrics=("psnr", "ssim", "ms_ssim"))
    with qtbot.waitSignal(w.pair_opened, timeout=20_000):
        w.open_paths(*long_pair_paths)
    runner = w.runner
    assert runner.running
    w.close()
    assert not runner.running and runner.job.cancelled


def test_cancel_button_stops_scoring(make_window, qtbot, long_pair_paths):
    w = make_window(metrics=("psnr", "ssim", "ms_ssim"))
    with qtbot.waitSignal(w.pair_opened, timeout=20_000):
        w.open_paths(*long_pair_paths)
    with qtbot.waitSignal(w.scoring_finished, timeout=30_000) as blocker:
        qtbot.mouseClick(w.cancel_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].status in ("cancelled", "complete")
    assert not w.cancel_button.isVisible()


def test_bad_files_give_a_readable_message(make_window, qtbot, tmp_path):
    w = make_window()
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    w.open_paths(str(junk), str(junk))
    qtbot.waitUntil(lambda: w.message.property("error") is True, timeout=10_000)
    assert "notes.mp4" in w.message.text() and "Traceback" not in w.message.text()
    assert w.session.pair is None


def test_dropping_files_opens_reference_then_distorted(make_window, qtbot, pair_paths):
    w = make_window()
    w.open_dropped([pair_paths[0]])
    qtbot.waitUntil(lambda: w.session.reference is not None, timeout=10_000)
    assert w.session.pair is None and "distorted" in w.message.text()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_dropped([pair_paths[1]])
    assert w.session.distorted.info.path == pair_paths[1]


def _wheel(widget, pos: QPointF, notches: int) -> None:
    from PySide6.QtCore import QPoint as P
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    event = QWheelEvent(pos, widget.mapToGlobal(pos), P(0, 0), P(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_a_plot_with_a_legend_keeps_its_curves_below_it(opened, qtbot):
    """The legend sits at the top of the psnr plot: the automatic range leaves room there."""
    w = opened
    plot, legend = w.plots.plots["psnr"], w.plots.legends["psnr"]
    values = np.concatenate([w.session.table.column(k) for k in w.plots.plot_keys["psnr"]])
    qtbot.waitUntil(lambda: plot.vb.viewRange()[1][1] > np.nanmax(values), timeout=5000)
    top = plot.vb.mapViewToScene(QPointF(0, float(np.nanmax(values)))).y()
    assert legend.sceneBoundingRect().bottom() <= top + 1         # above the highest curve


def test_flat_curves_sit_inside_their_plot(make_window, qtbot, pair_paths):
    """A clip against itself: every psnr key is at the 60 dB cap, a flat line that stays
    inside the plot, below the legend."""
    w = make_window()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_paths(pair_paths[0], pair_paths[0])
    assert np.all(w.session.table.column("psnr_y") == 60.0)
    plot, legend = w.plots.plots["psnr"], w.plots.legends["psnr"]
    qtbot.waitUntil(lambda: plot.vb.viewRange()[1][0] < 60.0 < plot.vb.viewRange()[1][1], timeout=5000)
    low, high = plot.vb.viewRange()[1]
    assert 0.2 < (60.0 - low) / (high - low) < 0.6 and high - low < 5
    line = plot.vb.mapViewToScene(QPointF(0, 60.0)).y()
    assert legend.sceneBoundingRect().bottom() <= line + 1


def test_opening_a_shorter_pair_at_a_late_frame_lands_on_its_last_frame(opened, qtbot, pair_paths_10bit):
    w = opened
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 9, timeout=10_000):
        w.session.end()
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 5, timeout=20_000):
        w.open_paths(*pair_paths_10bit)
    assert w.session.frame == 5 and w.transport.frame.value() == 5 and w.session.last_frame == 5
