"""The Scores table never elides a number: each column fits its longest text, and a narrow
dock scrolls instead of cutting values to "86.…"."""
from __future__ import annotations


def _cut_columns(table) -> list[str]:
    """Columns narrower than Qt's own measure of their contents (its delegate's size hints)."""
    return [table.horizontalHeaderItem(col).text() for col in range(table.columnCount())
            if table.columnWidth(col) < table.sizeHintForColumn(col)]


def test_every_value_fits_its_column_even_in_a_narrow_window(make_window, qtbot, pair_paths):
    from vqinspect.app.scoring.metric_choice import MetricChoice

    w = make_window()
    # VMAF 1.0.16's long feature names (speed_chroma_uv...) widen the key column
    w.metrics = MetricChoice.from_names(["psnr", "vmaf"], {"vmaf": {"model": "vmaf_v1.0.16_3d0h"}})
    with qtbot.waitSignal(w.scoring_finished, timeout=120_000):
        w.open_paths(*pair_paths)
    table = w.summary.table
    assert table.rowCount() >= 15 and _cut_columns(table) == []
    w.resize(1000, 700)                              # the dock shrinks with the window
    qtbot.waitUntil(lambda: w.width() <= 1000, timeout=5_000)
    w.summary.refresh()
    assert _cut_columns(table) == []
