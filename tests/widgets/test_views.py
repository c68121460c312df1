"""The picture views and panels in detail: wipe, nearest-neighbour zoom, worst-frame
list, live plots and on-demand heatmaps while scoring, real drops."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication


def test_wipe_follows_the_mouse_or_is_dragged_and_turns_horizontal(opened, qtbot):
    w = opened
    v = w.view_settings
    v.set_mode("wipe")
    view = w.view_area.left
    QApplication.processEvents()                                   # the pane widens to the whole area
    size = (view.width(), view.height())
    x_at = lambda fraction: int(w.viewport.image_to_view(320 * fraction, 90, size)[0])
    qtbot.mouseMove(view, QPoint(x_at(0.3), view.height() // 2))
    assert v.wipe_position == np.clip(v.wipe_position, 0.29, 0.31)
    w.toolbar.wipe_follow.setChecked(False)
    qtbot.mouseMove(view, QPoint(x_at(0.8), view.height() // 2))
    assert abs(v.wipe_position - 0.3) < 0.01                      # no longer follows
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x_at(0.3), 40))
    qtbot.mouseMove(view, QPoint(x_at(0.6), 40))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(x_at(0.6), 40))
    assert abs(v.wipe_position - 0.6) < 0.01                      # dragged
    w.toolbar.wipe_orientation.setCurrentIndex(1)
    assert not v.wipe_vertical
    first, second = view._split_rects(view._split_view_coord())
    assert first.width() == second.width() == view.width()         # a horizontal split


def test_zoomed_in_pixels_are_drawn_as_squares(opened):
    w = opened
    w.viewport.actual_size()
    for _ in range(4):
        w.commands["zoom_in"].trigger()
    w.viewport.zoom_at(8.0 / w.viewport.scale, *_centre(w.view_area.left))
    assert w.viewport.scale == 8.0
    image = w.view_area.left.grab().toImage()
    cx, cy = w.viewport.image_to_view(160, 90, (w.view_area.left.width(), w.view_area.left.height()))
    block = [image.pixel(int(cx) + dx, int(cy) + dy) for dx in range(1, 7) for dy in range(1, 7)]
    assert len(set(block)) == 1                                  # one source pixel, no smoothing
    expected = w.view_area.images.ref_rgb[90, 160]
    colour = image.pixelColor(int(cx) + 3, int(cy) + 3)
    assert (colour.red(), colour.green(), colour.blue()) == tuple(int(c) for c in expected)


def _centre(view):
    return view.width() / 2, view.height() / 2


def test_double_click_in_the_worst_frames_list_seeks(opened, qtbot):
    w = opened
    item = w.summary.worst.item(2)
    frame = item.data(Qt.ItemDataRole.UserRole)
    rect = w.summary.worst.visualItemRect(item)
    viewport = w.summary.worst.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())     # a real double
    assert w.session.frame == 0                                                  # click: press first
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == frame, timeout=10_000):
        qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.session.frame == frame and w.summary.worst.currentItem() is item


def test_plots_fill_live_and_heatmaps_come_first_while_scoring(make_window, qtbot, long_pair_paths, monkeypatch):
    from vqinspect.app.scoring.warmup import warm_up
    from vqinspect.metrics.registry import FrameInput, get_metric
    from vqinspect.widgets.workers import ScoringRunner

    from vqinspect.app.display import screen, heatmap

    ssim = get_metric("ssim")
    warm_up([get_metric("psnr"), ssim, get_metric("ms_ssim")], 8)   # a cold JIT cache must not decide the race
    planes = (np.zeros((64, 64), np.uint8),)
    ssim.compute_map(FrameInput(planes, planes, 8), "ssim")
    screen.warm_up()
    heatmap.colorize(np.zeros((4, 4), np.float32), heatmap.colormap("inferno"), (0.0, 1.0))
    # The pass holds itself after frame 3, in its own thread, as playback would hold it: on these
    # small frames it could otherwise reach frame 117 before the test looks, however loaded the machine.
    on_row = ScoringRunner._on_row

    def hold_after_frame_3(runner, frame, values):
        if frame == 3:
            runner.gate.pause_background(True)
        on_row(runner, frame, values)

    monkeypatch.setattr(ScoringRunner, "_on_row", hold_after_frame_3)
    w = make_window(metrics=("psnr", "ssim", "ms_ssim"))
    w.view_settings.set_map(("ssim", "ssim"))
    w.view_settings.set_mode("heatmap")
    with qtbot.waitSignal(w.pair_opened, timeout=20_000):
        w.open_paths(*long_pair_paths)
    qtbot.waitUntil(lambda: w.gate.paused and np.isfinite(w.plots.curves["ssim"].yData).sum() >= 1, timeout=20_000)
    with qtbot.waitSignal(w.map_displayed, check_params_cb=lambda f: f == 117, timeout=20_000):
        w.session.seek(117)
    assert not np.isfinite(w.session.table.column("ssim")[117])    # shown before it was scored
    plotted = np.isfinite(w.plots.curves["ssim"].yData).sum()
    assert 1 <= plotted <= 4                                        # the plot shows the pass so far
    w.gate.pause_background(False)
    qtbot.waitUntil(lambda: np.isfinite(w.plots.curves["ssim"].yData).sum() == 120, timeout=30_000)


def test_dropping_two_files_on_the_window(make_window, qtbot, pair_paths):
    w = make_window()
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(p) for p in pair_paths])
    args = (Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(200, 200), *args)
    w.dragEnterEvent(enter)                  # Qt's own drag machinery needs a real drag source
    assert enter.isAccepted()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.dropEvent(QDropEvent(QPointF(200, 200), *args))
    assert (w.session.reference.info.path, w.session.distorted.info.path) == pair_paths


def test_ten_bit_clips_show_native_codes_and_correct_levels(make_window, qtbot, pair_paths_10bit):
    from vqinspect.app.display import screen
    from vqinspect.app.display.screen import pair_color_specs

    w = make_window(metrics=("psnr",))
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_paths(*pair_paths_10bit)
    qtbot.waitUntil(lambda: w.view_area.images is not None, timeout=20_000)
    images = w.view_area.images
    assert images.ref_planes[0].dtype == np.uint16 and images.ref_planes[0].max() > 255
    ref_spec, _ = pair_color_specs(w.session.pair)
    assert ref_spec.bit_depth == 10
    assert np.array_equal(images.ref_rgb, screen.to_rgb(images.ref_planes, ref_spec))
    w._on_hovered((10, 10))
    r = w.pixel_panel.readout
    assert r.ref_yuv[0] == images.ref_planes[0][10, 10] and "10-bit" in w.pixel_panel.position.text()
    assert w.file_panel.reference.values["Pixels"].text().startswith("yuv420p10le, 10-bit")


def test_background_scoring_waits_while_playing_and_resumes_on_pause(make_window, qtbot, long_pair_paths,
                                                                     monkeypatch):
    """Two cores cannot both play at the clip's rate and score at full speed: playback wins."""
    import time

    from vqinspect.app.scoring.engine import ScoringJob

    # Each frame takes at least 50 ms, so the pass cannot finish its 120 frames before playback
    # starts, however fast or loaded the machine (on these small frames it could in 0.5 s).
    score_frame = ScoringJob._score_frame
    monkeypatch.setattr(ScoringJob, "_score_frame", lambda job, frame: time.sleep(0.05) or score_frame(job, frame))
    w = make_window(metrics=("psnr", "ssim"))
    with qtbot.waitSignal(w.pair_opened, timeout=20_000):
        w.open_paths(*long_pair_paths)
    w.player.play()                                     # the pass has only just started
    qtbot.wait(500)
    held = w.session.table.count
    deadline = time.monotonic() + 0.7
    while time.monotonic() < deadline:
        qtbot.wait(50)
    assert w.player.playing and w.runner.running
    # At most the frame that was in the kernel pool when playback began (it may still have
    # been waiting for a first-use compile) comes in while playing.
    assert w.session.table.count <= held + 1 and held < 119
    assert "paused: playing" in w.scoring.progress.format()
    w.player.pause()
    assert "paused" not in w.scoring.progress.format()
    qtbot.waitUntil(lambda: w.session.table.count > held, timeout=30_000)
