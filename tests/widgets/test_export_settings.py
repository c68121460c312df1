"""Exporting the view (PNG, clipboard) and what persists between runs."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from vqinspect.app.shared.errors import InputError
from vqinspect.widgets import export, settings_store


def test_export_is_the_view_pixels_with_a_caption(opened, tmp_path):
    w = opened
    w.session.seek(4)
    image = export.export_image(w)
    view = export.view_image(w)
    assert image.width() == view.width() and image.height() > view.height() + 40
    assert image.copy(0, 0, view.width(), view.height()) == view.convertToFormat(image.format())
    lines = export.caption_lines(w)
    assert "bigbuckbunny_ffv1" in lines[0] and "libx264" in lines[0]
    assert lines[1].startswith("frame 4") and "00:00:00:04" in lines[1]
    assert "psnr_y" in lines[2] and "ssim" in lines[2]
    out = tmp_path / "view.png"
    export.save_png(image, out)
    assert out.stat().st_size > 1000
    with pytest.raises(InputError, match="does not exist"):
        export.save_png(image, tmp_path / "missing" / "view.png")


def test_copy_to_clipboard(opened):
    opened.commands["copy"].trigger()
    copied = QApplication.clipboard().image()
    assert not copied.isNull() and copied.width() == opened.view_area.width()
    assert "clipboard" in opened.message.text()


def test_layout_colormap_and_last_files_persist(make_window, qtbot, pair_paths, tmp_path):
    store = QSettings(str(tmp_path / "persist.ini"), QSettings.Format.IniFormat)
    first = make_window(store=store, size=(1300, 850))
    first.view_settings.set_colormap("viridis")
    first.pixel_dock.toggleViewAction().trigger()          # the user closes the pixel panel
    with qtbot.waitSignal(first.scoring_finished, timeout=60_000):
        first.open_paths(*pair_paths)
    first.close()
    assert settings_store.last_files(store) == pair_paths
    second = make_window(store=store, size=None)
    assert second.view_settings.colormap == "viridis"
    assert second.toolbar.colormap_choice.currentText() == "viridis"
    assert not second.pixel_dock.isVisible() and not second.scores_dock.isHidden()
    assert store.value("window/geometry") is not None      # offscreen clamps it to its screen
    with qtbot.waitSignal(second.scoring_finished, timeout=60_000):
        second.commands["open_last"].trigger()
    assert second.session.reference.info.path == pair_paths[0]
