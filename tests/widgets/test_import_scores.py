"""Scores from other tools (a real libvmaf log of the test pair) plotted beside ours, named
after their source; unreadable files are one readable line; ``vqinspect REF DIST --scores``."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from vqinspect.__main__ import main as vq_main
from vqinspect.app.cli.options import EXIT_BAD_INPUT
from vqinspect.widgets.launch import gui_parser, run_gui


def _import(w, qtbot, path) -> None:
    """Import ``path`` through the menu and wait until it is read (in the background)."""
    before = [id(i) for i in w.session.imports]
    w.ask.open_path = lambda title, filter_: str(path)
    w.commands["import_scores"].trigger()
    assert w.message.text().startswith("Importing")
    qtbot.waitUntil(lambda: [id(i) for i in w.session.imports] != before or bool(w.message.property("error")),
                    timeout=10_000)


def _label(log) -> str:
    version = json.loads(log.read_text())["version"]
    return f"libvmaf {version}: {log.name}"


def test_imported_series_join_the_plots_with_their_source_in_the_legend(opened, libvmaf_log, qtbot):
    w = opened
    _import(w, qtbot, libvmaf_log)
    label = _label(libvmaf_log)
    assert set(w.plots.plots) == {"psnr", "ssim", "vmaf"}             # vmaf: a plot of its own
    ssim_curve = w.plots.imported_curves[f"ssim ({label})"]
    xs, ys = ssim_curve.getData()
    frames = json.loads(libvmaf_log.read_text())["frames"]
    assert list(xs) == list(range(10))
    assert ys == pytest.approx([f["metrics"]["float_ssim"] for f in frames])
    assert ssim_curve in w.plots.plots["ssim"].listDataItems()          # beside the computed ssim
    legend = [item.text for _, item in w.plots.legends["ssim"].items]
    assert legend == ["ssim", f"ssim ({label})"]
    vmaf = w.plots.imported_curves[f"vmaf ({label})"]
    assert np.isfinite(vmaf.getData()[1]).all() and vmaf in w.plots.plots["vmaf"].listDataItems()
    assert "adm2" not in " ".join(w.plots.imported_curves)             # VMAF's features stay out
    assert w.plots.curves["ssim"].getData()[1] == pytest.approx(w.session.table.column("ssim"))
    assert f"Imported psnr_y, psnr_u, psnr_v, vmaf (+1 more) from {label}" in w.message.text()
    assert not w.message.property("error")
    assert ys == pytest.approx(w.session.table.column("ssim"), abs=2e-4)   # and they agree with ours


def test_hovering_shows_the_imported_value_too(opened, libvmaf_log, qtbot):
    from PySide6.QtCore import QPointF

    w = opened
    _import(w, qtbot, libvmaf_log)
    plot = w.plots.plots["vmaf"]
    value = w.plots.imported_curves[f"vmaf ({_label(libvmaf_log)})"].getData()[1][5]
    qtbot.waitUntil(lambda: plot.vb.viewRange()[1][0] < value < plot.vb.viewRange()[1][1], timeout=5000)
    qtbot.mouseMove(w.plots.viewport(), w.plots.mapFromScene(plot.vb.mapViewToScene(QPointF(5, value))))
    qtbot.waitUntil(lambda: "frame 5" in w.plots.hover_text, timeout=5000)
    assert f"vmaf ({_label(libvmaf_log)}) {value:.4g}" in w.plots.hover_text


def test_importing_the_same_file_again_replaces_it(opened, libvmaf_log, qtbot):
    w = opened
    _import(w, qtbot, libvmaf_log)
    first = w.session.imports[0]
    _import(w, qtbot, libvmaf_log)
    assert len(w.session.imports) == 1 and w.session.imports[0] is not first
    assert sum("vmaf (" in name for name in w.plots.imported_curves) == 1


@pytest.mark.parametrize("content, problem", [("{\"frames\": 3}", "is not a libvmaf log"),
                                              ("", "is empty"),
                                              ("frame,psnr_y\n0,abc\n", "is not a number")])
def test_a_bad_score_file_is_one_readable_line(opened, qtbot, tmp_path, content, problem):
    w = opened
    bad = tmp_path / "scores.json"
    bad.write_text(content)
    _import(w, qtbot, bad)
    text = w.message.text()
    assert w.message.property("error") and str(bad) in text and "\n" not in text
    assert problem.split()[-1] in text and "Traceback" not in text
    assert w.plots.imported_curves == {} and w.session.imports == []


def test_command_line_scores_option(pair_paths, libvmaf_log, qtbot, monkeypatch, capsys, settings):
    """``vqinspect REF DIST --scores FILE`` opens the window with the file's series plotted."""
    from PySide6.QtWidgets import QApplication

    from vqinspect.widgets import launch
    from vqinspect.widgets.main_window import InspectorWindow

    assert gui_parser().parse_args(["a", "b", "--scores", "x.json"]).scores == "x.json"
    seen = {}

    class App:
        def exec(self):
            window = next(w for w in QApplication.topLevelWidgets()
                          if isinstance(w, InspectorWindow) and w.isVisible())
            qtbot.waitUntil(lambda: window.session.table is not None and window.session.table.count == 10,
                            timeout=60_000)
            seen["curves"] = sorted(window.plots.imported_curves)
            seen["imports"] = [i.path for i in window.session.imports]
            window.close()
            return 0

    monkeypatch.setattr(launch, "application", lambda: App())
    monkeypatch.setattr(launch, "freeze_startup_objects", lambda: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr("vqinspect.widgets.settings_store.default_settings", lambda: settings)
    assert run_gui([*pair_paths, "--scores", str(libvmaf_log), "--metrics", "psnr,ssim"]) == 0
    assert seen["imports"] == [str(libvmaf_log)]
    assert f"vmaf ({_label(libvmaf_log)})" in seen["curves"]


def test_command_line_bad_scores_file_exits_with_one_line(pair_paths, tmp_path, capsys):
    bad = tmp_path / "log.xml"
    bad.write_text("<notvmaf/>")
    assert vq_main([*pair_paths, "--scores", str(bad)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bad) in err and "not a libvmaf log" in err


def test_a_log_of_another_clip_is_imported_with_a_visible_mismatch_note(opened, qtbot, tmp_path):
    """A libvmaf log of a shorter, smaller clip: plotted, and the status line says how it does not fit."""
    import subprocess

    from tests.clips import clip, lossless
    from tests.oracle import ffmpeg_exe

    ref, dist = lossless(frames=6, size=(176, 144)), clip(crf=40, frames=6, size=(176, 144))
    log = tmp_path / "other.xml"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
                    "-lavfi", f"[0:v][1:v]libvmaf=log_path={log}:log_fmt=xml:n_threads=1", "-f", "null", "-"],
                   check=True, capture_output=True)
    _import(opened, qtbot, log)
    text = opened.message.text()
    assert opened.message.property("error") and "Mismatch: the scores were computed at 176x144" in text
    assert "the scores cover frames 0–5 (6 frames); the pair has reference frames 0–9 (10)" in text
