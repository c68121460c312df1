"""File > Open Masks… (Ctrl+M): the mask mode opens in its own window, kept by the
inspector and shut down with it; inputs that cannot be scored are one readable line."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from tests.mask_clips import mask_clip


def test_ctrl_m_opens_the_mask_window_and_closing_the_inspector_stops_it(make_window, qtbot):
    c = mask_clip()
    w = make_window()
    w.ask.mask_paths = lambda: (str(c["pred"]), str(c["gt"]), str(c["source"]))
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)                # shortcuts go to the active window
    qtbot.keyClick(w.view_area.left, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert w.mask_windows == [] and "Opening the masks" in w.message.text()   # opened in the background
    qtbot.waitUntil(lambda: bool(w.mask_windows), timeout=20_000)
    (masks,) = w.mask_windows
    assert masks.isVisible() and masks.parent() is w
    assert masks.inputs.gt is not None and masks.inputs.source is not None
    qtbot.waitUntil(lambda: masks.shown_frame == 0, timeout=20_000)
    assert "Scoring the masks" in w.message.text()
    w.close()
    assert not masks.runner._thread.is_alive() and not masks.frames._thread.is_alive()
    assert not masks.isVisible()


def test_masks_that_cannot_be_scored_are_one_status_line(make_window, qtbot, tmp_path):
    c = mask_clip()
    w = make_window()
    w.ask.mask_paths = lambda: (str(c["pred"]), str(tmp_path / "nothing.mkv"), None)
    w.commands["open_masks"].trigger()
    qtbot.waitUntil(lambda: w.message.property("error"), timeout=20_000)
    assert w.mask_windows == []
    text = w.message.text()
    assert "nothing.mkv" in text and "\n" not in text


def test_the_dialog_wants_a_prediction_and_returns_the_paths(qtbot):
    from vqinspect.widgets.dialogs import MaskPathsDialog

    dialog = MaskPathsDialog()
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    dialog.fields["pred"].setText(" pred.mkv ")
    dialog.fields["source"].setText("src.mp4")
    assert ok.isEnabled() and dialog.paths() == ("pred.mkv", None, "src.mp4")
