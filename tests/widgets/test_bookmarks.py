"""Bookmarks: Ctrl+B keeps the frame, the view and its picture with a note; the list shows
them; double-click goes back to the frame and restores the view."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

NOTE = "blocking on the <b>rabbit</b>"


def _heatmap_at(w, qtbot, frame: int) -> None:
    with qtbot.waitSignal(w.map_displayed, check_params_cb=lambda f: f == frame, timeout=20_000):
        w.view_settings.set_mode("heatmap")
        w.session.seek(frame)


def test_ctrl_b_bookmarks_the_frame_and_view_with_its_picture(opened, qtbot):
    w = opened
    _heatmap_at(w, qtbot, 4)
    w.commands["zoom_in"].trigger()
    asked = []
    w.ask.note = lambda frame: asked.append(frame) or NOTE
    qtbot.keyClick(w.view_area.left, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert asked == [4]
    (b,) = w.session.bookmarks
    assert (b.frame, b.note) == (4, NOTE)
    assert b.view["mode"] == "heatmap" and b.view["viewport"]["fitted"] is False
    assert b.view["viewport"]["scale"] == pytest.approx(w.viewport.scale)
    assert b.view_name.startswith("Heatmap (ssim")
    picture = QImage.fromData(b.image, "PNG")
    assert (picture.width(), picture.height()) == (w.view_area.width(), w.view_area.height())
    assert picture == w.view_area.grab().toImage().convertToFormat(picture.format())
    item = w.bookmark_panel.list.item(0)
    assert "Frame 4" in item.text() and NOTE in item.text() and not item.icon().isNull()
    assert w.bookmarks_dock.windowTitle() == "Bookmarks (1)"
    assert "Bookmarked frame 4" in w.message.text()


def test_double_click_goes_back_to_the_frame_and_restores_the_view(opened, qtbot):
    w = opened
    _heatmap_at(w, qtbot, 6)
    w.commands["zoom_in"].trigger()
    w.commands["zoom_in"].trigger()
    scale, centre = w.viewport.scale, w.viewport.center
    w.ask.note = lambda frame: "smear"
    w.commands["bookmark"].trigger()
    w.toolbar.mode_actions["wipe"].trigger()
    w.toolbar.fit_action.trigger()
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 1, timeout=10_000):
        w.session.seek(1)
    panel = w.bookmark_panel
    rect = panel.list.visualItemRect(panel.list.item(0))
    with qtbot.waitSignal(w.map_displayed, check_params_cb=lambda f: f == 6, timeout=20_000):
        qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.session.frame == 6 and w.transport.frame.value() == 6
    assert w.view_settings.mode == "heatmap" and w.toolbar.mode_actions["heatmap"].isChecked()
    assert not w.viewport.fitted
    assert w.viewport.scale == pytest.approx(scale) and w.viewport.center == pytest.approx(centre)
    assert w.view_area.left.overlay is not None


def test_bookmarks_stay_in_frame_order_and_delete_removes_one(opened, qtbot):
    w = opened
    w.ask.note = lambda frame: f"note {frame}"
    for frame in (7, 2):
        with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f, n=frame: f == n, timeout=10_000):
            w.session.seek(frame)
        w.commands["bookmark"].trigger()
    panel = w.bookmark_panel
    assert [panel.bookmark_at(i).frame for i in range(panel.list.count())] == [2, 7]
    panel.list.setCurrentRow(0)
    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Delete)
    assert [b.frame for b in w.session.bookmarks] == [7] and panel.list.count() == 1


def test_cancelling_the_note_keeps_nothing(opened):
    opened.ask.note = lambda frame: None
    opened.commands["bookmark"].trigger()
    assert opened.session.bookmarks == [] and opened.bookmark_panel.list.count() == 0


def test_nothing_to_bookmark_before_a_pair_is_open(make_window):
    w = make_window()
    w.ask.note = lambda frame: pytest.fail("no note is asked for without a picture")
    w.commands["bookmark"].trigger()
    assert w.session.bookmarks == [] and w.message.property("error")
