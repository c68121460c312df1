"""The Scopes dock in the window: computed only while shown, follows the frame (latest wins),
draws every scope with code-value axes and legal lines; ``snapshot --view scope:KIND``."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest

from vqinspect.app.display import scope_figure, scopes
from vqinspect.app.display.screen import pair_color_specs
from vqinspect.app.shared.errors import InputError
from vqinspect.widgets import snapshot

TIMEOUT = 30_000


@pytest.fixture
def window(make_window, qtbot, pair_paths):
    """A window with the test pair open on frame 0 (scores not awaited)."""
    win = make_window(metrics=("psnr",))
    with qtbot.waitSignal(win.frame_displayed, timeout=TIMEOUT):
        win.open_paths(*pair_paths)
    return win


def show_scopes(window, qtbot, kind="waveform", layout="side-by-side"):
    panel = window.scopes
    panel.set_kind(kind)
    panel.set_layout_name(layout)
    if not window.scopes_dock.isVisible():
        window.commands["scopes"].trigger()
    qtbot.waitUntil(lambda: panel.shown is not None and (panel.shown.kind, panel.shown.layout) == (kind, layout)
                    and panel.shown.frame == window.session.frame, timeout=TIMEOUT)
    return panel


def items(plot, cls):
    return [i for i in plot.items if isinstance(i, cls)]


def labelled_lines(plot) -> dict[float, str]:
    """{value: label text} of the plot's labelled lines (the legal limits)."""
    return {line.value(): line.label.format for line in items(plot, pg.InfiniteLine) if hasattr(line, "label")}


def test_hidden_dock_computes_nothing_and_the_view_menu_shows_it(window, qtbot):
    assert not window.scopes_dock.isVisible() and window.scopes.shown is None
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.commands["scopes"] in view_menu.actions()
    panel = show_scopes(window, qtbot)
    assert window.scopes_dock.isVisible() and len(panel.plots) == 2
    images = window.view_area.images
    spec, _ = pair_color_specs(images.request.pair)
    wave = scopes.waveform(images.ref_planes, spec, scope_figure.WAVEFORM_COLUMNS)
    image = items(panel.plots[0], pg.ImageItem)[0].image
    np.testing.assert_array_equal(image.any(axis=2), wave > 0)     # row 0 = code 0, at the bottom


def test_waveform_has_legal_lines_and_code_value_ticks(window, qtbot):
    panel = show_scopes(window, qtbot)
    plot = panel.plots[0]
    legal = labelled_lines(plot)
    assert set(legal) == {16.0, 235.0} and "235" in legal[235.0] and "16" in legal[16.0]
    ticks = [v for v, _ in plot.getAxis("left")._tickLevels[0]]
    assert {16.0, 128.0, 235.0} <= set(ticks)
    lo, hi = plot.getViewBox().viewRange()[1]
    assert lo < 16 and hi > 235


@pytest.mark.parametrize("kind,layout,plots", [("parade", "side-by-side", 2), ("vectorscope", "overlay", 1),
                                               ("histogram", "side-by-side", 8), ("histogram", "overlay", 4)])
def test_every_scope_and_layout_is_drawn(window, qtbot, kind, layout, plots):
    panel = show_scopes(window, qtbot, kind, layout)
    assert len(panel.plots) == plots and panel.figure.kind == kind
    if kind == "vectorscope":
        plot = panel.plots[0]
        labels = {t.textItem.toPlainText() for t in items(plot, pg.TextItem)}
        assert {"R", "Mg", "B", "Cy", "G", "Yl", "skin"} <= labels
        assert plot.getViewBox().state["aspectLocked"]
    if layout == "overlay":
        assert "Reference" in panel.figure.legend[0][0]


def test_scope_follows_the_frame_latest_request_wins(window, qtbot):
    panel = show_scopes(window, qtbot, "parade")
    shown = []
    panel.scope_shown.connect(shown.append)
    for frame in (2, 5, 7, 9):
        window.session.seek(frame)
    qtbot.waitUntil(lambda: panel.shown.frame == 9, timeout=TIMEOUT)
    assert shown == sorted(shown) and shown[-1] == 9
    window.scopes_dock.hide()
    window.session.seek(4)
    qtbot.waitUntil(lambda: window.view_area.images.request.frame == 4, timeout=TIMEOUT)
    qtbot.wait(200)
    assert panel.shown.frame == 9                       # hidden: nothing computed
    window.scopes_dock.show()
    qtbot.waitUntil(lambda: panel.shown.frame == 4, timeout=TIMEOUT)


def test_ten_bit_pair_has_ten_bit_legal_lines(make_window, qtbot, pair_paths_10bit):
    win = make_window(metrics=("psnr",))
    with qtbot.waitSignal(win.frame_displayed, timeout=TIMEOUT):
        win.open_paths(*pair_paths_10bit)
    panel = show_scopes(win, qtbot, "histogram")
    assert set(labelled_lines(panel.plots[0])) == {64.0, 940.0}
    assert panel.plots[0].getViewBox().viewRange()[0][1] > 1000


def test_snapshot_scope_view(pair_paths, tmp_path):
    from PySide6.QtGui import QImage

    from vqinspect.app.scoring.metric_choice import MetricChoice

    out = tmp_path / "vectorscope.png"
    snapshot.render_snapshot(snapshot.SnapshotSpec(*pair_paths, 3, "scope:vectorscope:overlay", out,
                                                   size=(1280, 800), metrics=MetricChoice.from_names(["psnr"]),
                                                   score=False, view_only=True))
    image = QImage(str(out))
    assert not image.isNull() and 300 < image.width() < 1280 and image.height() > 300


@pytest.mark.parametrize("view", ["scope", "scope:oscilloscope", "scope:parade:stacked"])
def test_snapshot_bad_scope_view_names_the_choices(view):
    with pytest.raises(InputError, match="waveform|parade"):
        snapshot.parse_view(view)
    assert snapshot.SCOPE_KINDS == scope_figure.KINDS and snapshot.SCOPE_LAYOUTS == scope_figure.LAYOUTS
