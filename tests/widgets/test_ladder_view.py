"""File > Open Ladder…: the rate–quality chart of a real ladder (made by ``vqinspect ladder``)
against its JSON, hover, a clicked point opening the pair with the ladder's scores, per-frame
overlays of several encodes, and ``[`` / ``]`` switching encodes while keeping the frame and view."""
from __future__ import annotations

import csv
import itertools
import json
import math

import pytest
from PySide6.QtCore import QPoint, Qt

from vqinspect.__main__ import main
from vqinspect.app.ladder.view_model import BY_GROUP
from tests.clips import clip, lossless

SMALL, HALF = (320, 180), (160, 90)
CRFS = (22, 30, 38)


@pytest.fixture(scope="module")
def ladder_json(tmp_path_factory):
    """A 6-frame reference and 3 x264 rungs at 2 resolutions, scored by ``vqinspect ladder``
    (PSNR, SSIM) into a ladder JSON and its score files; its own score cache."""
    folder = tmp_path_factory.mktemp("ladder_view")
    rows = [("distorted", "label")]
    for size in (SMALL, HALF):
        rows += [(str(clip(frames=6, size=size, crf=crf)), f"{size[1]}p-crf{crf}") for crf in CRFS]
    with (folder / "encodes.csv").open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    out = folder / "ladder.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VQINSPECT_CACHE", str(folder / "cache"))
        assert main(["ladder", str(lossless(frames=6, size=SMALL)), "--manifest", str(folder / "encodes.csv"),
                     "--metrics", "psnr,ssim", "--json", str(out), "--workers", "1", "--quiet"]) == 0
    return out


@pytest.fixture
def data(ladder_json):
    return json.loads(ladder_json.read_text())


def _open_ladder(w, qtbot, path):
    """File > Open Ladder… with ``path``; returns the chart once it is laid out."""
    w.ask.open_path = lambda title, filter_: str(path)
    w.commands["open_ladder"].trigger()
    qtbot.waitUntil(lambda: w.ladder is not None and w.ladder.ladder is not None
                    and w.ladder.ladder.name == path.stem, timeout=10_000)
    view = w.ladder.view
    qtbot.waitUntil(lambda: view.plot_widget.isVisible() and view.plot.vb.width() > 150, timeout=5000)
    return view


def _activate(w, qtbot):
    """Window shortcuts ([, ]) need the window active."""
    w.windowHandle().requestActivate()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)


def _assert_points(item, encodes, key):
    """``item`` draws ``encodes`` (JSON) at (log10 kbit/s, pooled mean of ``key``), by rate."""
    xs, ys = item.getData()
    ordered = sorted(encodes, key=lambda e: e["bitrate_kbps"])
    assert list(xs) == pytest.approx([math.log10(e["bitrate_kbps"]) for e in ordered], abs=1e-12)
    assert list(ys) == pytest.approx([e["pooled"][key]["mean"] for e in ordered], abs=1e-12)


def _encode(w, label):
    return next(e for e in w.ladder.ladder.encodes if e.label == label)


def _hover(view, qtbot, encode) -> QPoint:
    """Move the mouse onto ``encode``'s point until the chart describes it (pyqtgraph's scene
    drops moves that follow each other too closely, and the dock may still be settling), one
    pixel to and fro so that no move repeats the last position."""
    nudges = itertools.cycle([QPoint(1, 0), QPoint(0, 0)])

    def described() -> bool:
        qtbot.mouseMove(view.plot_widget.viewport(), view.point_position(encode).toPoint() + next(nudges))
        return view.hover_text.startswith(encode.label + "\n") and view.hover_label.isVisible()

    qtbot.waitUntil(described, timeout=5000)
    return view.point_position(encode).toPoint()


def _click(view, qtbot, encode):
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=_hover(view, qtbot, encode))


def test_the_chart_has_one_curve_per_resolution_and_the_hull_of_the_json(make_window, qtbot, ladder_json, data):
    w = make_window()
    view = _open_ladder(w, qtbot, ladder_json)
    assert w.ladder.dock.isVisible() and view.key == data["keys"][0] == "psnr_y"
    assert [view.key_box.itemText(i) for i in range(view.key_box.count())] == data["keys"]
    for key in ("psnr_y", "ssim"):
        view.set_key(key)
        assert list(view.curves) == ["320x180", "160x90"]          # largest first
        for name, item in view.curves.items():
            width, height = map(int, name.split("x"))
            _assert_points(item, [e for e in data["encodes"] if (e["width"], e["height"]) == (width, height)], key)
        _assert_points(view.hull_curve, [e for e in data["encodes"] if e["on_hull"][key]], key)
        hull_x, hull_y = view.hull_marks.getData()
        assert (list(hull_x), list(hull_y)) == tuple(list(v) for v in view.hull_curve.getData())
        legend = [item.text for _, item in view.legend.items]
        assert legend == ["convex hull", "320x180", "160x90"]
        assert view.plot.getAxis("left").labelText.startswith(key)
    ticks = view.plot.getAxis("bottom").tickValues(*view.plot.vb.viewRange()[0], 500)[0][1]
    assert [round(10 ** t) for t in ticks] == [50, 100, 200, 500]   # the rates run from 46 to 538 kbit/s


def test_curves_per_group_follow_the_manifest_groups(make_window, qtbot, ladder_json, data, tmp_path):
    for e in data["encodes"]:
        e["group"] = "x264-low" if e["label"].endswith("38") else "x264-high"
    grouped = tmp_path / "grouped.json"
    grouped.write_text(json.dumps(data))
    w = make_window()
    view = _open_ladder(w, qtbot, grouped)
    assert view.mode == BY_GROUP                                    # several groups: one curve each
    assert list(view.curves) == ["x264-high", "x264-low"]
    for name, item in view.curves.items():
        _assert_points(item, [e for e in data["encodes"] if e["group"] == name], "psnr_y")


def test_hovering_a_point_names_the_encode_and_its_scores(make_window, qtbot, ladder_json, data):
    w = make_window()
    view = _open_ladder(w, qtbot, ladder_json)
    target = data["encodes"][4]
    _hover(view, qtbot, _encode(w, target["label"]))
    assert f"{target['bitrate_kbps']:.1f} kbit/s" in view.hover_text and "160x90 · h264" in view.hover_text
    assert f"ssim {target['pooled']['ssim']['mean']:.4f}" in view.hover_text
    assert view.hover_label.isVisible()


def test_clicking_a_point_opens_that_encode_with_the_ladders_scores(make_window, qtbot, ladder_json, data,
                                                                    scoring_runs):
    w = make_window()
    view = _open_ladder(w, qtbot, ladder_json)
    target = data["encodes"][1]
    with qtbot.waitSignal(w.scoring_finished, timeout=30_000):
        _click(view, qtbot, _encode(w, target["label"]))
    s = w.session
    assert (s.reference.info.path, s.distorted.info.path) == (data["reference"]["path"], target["path"])
    assert scoring_runs == [] and "ladder's scores" in w.scoring.source         # not scored again
    frames = json.loads(open(target["scores"]).read())["frames"]
    assert s.table.column("psnr_y") == pytest.approx([f["psnr_y"] for f in frames])
    assert "Ladder encode 180p-crf30" in w.message.text()
    assert view.current_mark.getData()[0] == pytest.approx([math.log10(target["bitrate_kbps"])])


def test_ticked_encodes_overlay_their_per_frame_curves(make_window, qtbot, ladder_json, data):
    w = make_window()
    view = _open_ladder(w, qtbot, ladder_json)
    with qtbot.waitSignal(w.scoring_finished, timeout=30_000):
        w.ladder.open_encode(_encode(w, "180p-crf22"))
    chosen = [e for e in data["encodes"] if e["label"] in ("90p-crf22", "180p-crf38")]
    for e in chosen:
        view.overlay_item(_encode(w, e["label"])).setCheckState(Qt.CheckState.Checked)

    def name(e, key):
        return f"{key} ({e['label']} {e['bitrate_kbps']:.0f} kbit/s)"

    qtbot.waitUntil(lambda: all(name(e, "psnr_y") in w.plots.imported_curves for e in chosen), timeout=10_000)
    for e in chosen:
        frames = json.loads(open(e["scores"]).read())["frames"]
        xs, ys = w.plots.imported_curves[name(e, "psnr_y")].getData()
        assert list(xs) == list(range(6)) and list(ys) == pytest.approx([f["psnr_y"] for f in frames])
        assert w.plots.imported_curves[name(e, "psnr_y")] in w.plots.plots["psnr"].listDataItems()
    assert len(w.plots.imported_curves) == 2                        # the chart's key only
    assert len({w.plots.imported_curves[name(e, "psnr_y")].opts["pen"].color().name() for e in chosen}) == 2
    view.set_key("ssim")
    assert set(w.plots.imported_curves) == {name(e, "ssim") for e in chosen}
    view.overlay_item(_encode(w, chosen[0]["label"])).setCheckState(Qt.CheckState.Unchecked)
    assert set(w.plots.imported_curves) == {name(chosen[1], "ssim")}


def test_brackets_switch_to_the_next_encode_by_bitrate_keeping_frame_and_view(make_window, qtbot, ladder_json,
                                                                               data, scoring_runs):
    w = make_window()
    view = _open_ladder(w, qtbot, ladder_json)
    by_rate = sorted(data["encodes"], key=lambda e: e["bitrate_kbps"])
    with qtbot.waitSignal(w.scoring_finished, timeout=30_000):
        _click(view, qtbot, _encode(w, by_rate[2]["label"]))
    w.session.seek(4)
    w.toolbar.mode_actions["wipe"].trigger()
    qtbot.waitUntil(lambda: w.view_area.images is not None and w.view_area.images.request.frame == 4, timeout=20_000)
    w.viewport.zoom_at(2.0, *(v / 3 for v in w.viewport.view_size))
    _activate(w, qtbot)
    scale, centre = w.viewport.scale, w.viewport.center
    assert not w.viewport.fitted

    for expected in (by_rate[3], by_rate[4]):
        with qtbot.waitSignal(w.pair_opened, timeout=30_000):
            qtbot.keyClick(w.view_area.left, Qt.Key.Key_BracketRight)
        assert w.session.distorted.info.path == expected["path"]
        assert w.session.frame == 4 and w.view_settings.mode == "wipe"
        qtbot.waitUntil(lambda: w.view_area.images is not None, timeout=20_000)
        assert w.view_area.images.request.frame == 4
        assert (w.viewport.scale, w.viewport.center) == (scale, centre)
    with qtbot.waitSignal(w.pair_opened, timeout=30_000):
        qtbot.keyClick(w.view_area.left, Qt.Key.Key_BracketLeft)
    assert w.session.distorted.info.path == by_rate[3]["path"] and w.session.frame == 4
    assert scoring_runs == []                                       # every switch used the ladder's scores


def test_brackets_stop_at_the_ends_and_need_a_ladder(make_window, qtbot, ladder_json, data):
    w = make_window()
    _activate(w, qtbot)
    qtbot.keyClick(w.view_area.left, Qt.Key.Key_BracketRight)
    assert "Open a ladder first" in w.message.text() and w.message.property("error")
    _open_ladder(w, qtbot, ladder_json)
    highest = max(data["encodes"], key=lambda e: e["bitrate_kbps"])
    with qtbot.waitSignal(w.pair_opened, timeout=30_000):
        qtbot.keyClick(w.view_area.left, Qt.Key.Key_BracketLeft)     # from no encode: [ starts at the top
    assert w.session.distorted.info.path == highest["path"]
    qtbot.keyClick(w.view_area.left, Qt.Key.Key_BracketRight)
    assert "highest-bitrate encode" in w.message.text() and w.session.distorted.info.path == highest["path"]


def test_a_file_that_is_not_a_ladder_is_one_line(make_window, qtbot, tmp_path):
    bad = tmp_path / "scores.json"
    bad.write_text('{"frames": []}')
    w = make_window()
    w.ask.open_path = lambda title, filter_: str(bad)
    w.commands["open_ladder"].trigger()
    qtbot.waitUntil(lambda: bool(w.message.property("error")), timeout=10_000)
    assert "is not a vqinspect ladder JSON" in w.message.text() and w.ladder is None
