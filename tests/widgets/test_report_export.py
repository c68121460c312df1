"""File > Export Report…: HTML or PDF of the open pair with its bookmarks, made in a worker
thread while the window stays live; readable errors; closing mid-export writes nothing."""
from __future__ import annotations

import re
import threading
import time

import pytest
from PySide6.QtCore import Qt

from vqinspect.app.report.images import ReportImageRenderer

NOTE = "ringing <around> the ears & eyes"


def _bookmark(w, qtbot, frame: int, note: str) -> None:
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == frame, timeout=10_000):
        w.session.seek(frame)
    w.ask.note = lambda f: note
    w.commands["bookmark"].trigger()


def _export(w, qtbot, path, timeout=60_000):
    w.ask.save_path = lambda title, suggested, filter_: str(path)
    with qtbot.waitSignal(w.reports.done, timeout=timeout) as blocker:
        w.commands["export_report"].trigger()
    return blocker.args[0]


def test_html_report_has_scores_worst_frames_and_bookmarks(opened, qtbot, tmp_path, pair_paths):
    w = opened
    _bookmark(w, qtbot, 3, NOTE)
    out = tmp_path / "qc.html"
    assert _export(w, qtbot, out) == str(out)
    html = out.read_text(encoding="utf-8")
    dist = pair_paths[1].rsplit("/", 1)[-1]
    assert f"Quality report: {dist}" in html
    assert "ringing &lt;around&gt; the ears &amp; eyes" in html and NOTE not in html
    assert re.search(r'<article class="bookmark" data-frame="3">', html)
    worst = re.findall(r'<article class="worst-frame" data-rank="\d" data-frame="(\d)"', html)
    assert int(worst[0]) == w.session.worst_frames(w.summary.chosen_key, 1)[0][0]   # the worst moment first
    assert len(re.findall(r"data:image/png;base64", html)) >= len(worst) * 5 + 1  # 5 panels per moment, bookmark
    assert "Heatmap: ssim" in html                                           # the view's map
    assert "computed by vqinspect" in html and 'class="warning"' not in html
    assert w.message.text() == f"Report written to {out}" and not w.reports.progress.isVisible()


def test_pdf_report_by_extension(opened, qtbot, tmp_path):
    w = opened
    _bookmark(w, qtbot, 5, "soft edges")
    out = tmp_path / "out" / "qc.pdf"
    out.parent.mkdir()
    _export(w, qtbot, out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF") and len(data) > 50_000
    assert [p.name for p in out.parent.iterdir()] == ["qc.pdf"]            # no temporary left


@pytest.mark.parametrize("name, problem", [("qc.docx", "as .html or .pdf"),
                                           ("missing/qc.html", "does not exist")])
def test_bad_destinations_are_readable_messages(opened, tmp_path, name, problem):
    w = opened
    w.ask.save_path = lambda title, suggested, filter_: str(tmp_path / name)
    w.commands["export_report"].trigger()
    assert w.message.property("error") and problem in w.message.text()
    assert not w.reports.running and not (tmp_path / name).exists()


def test_nothing_to_report_without_a_pair(make_window):
    w = make_window()
    w.ask.save_path = lambda *a: pytest.fail("no file is asked for without a pair")
    w.commands["export_report"].trigger()
    assert w.message.property("error") and "open a pair" in w.message.text()


def _slow_render(monkeypatch, delay: float, started: threading.Event):
    original = ReportImageRenderer.render

    def render(self, frame):
        started.set()
        time.sleep(delay)
        return original(self, frame)

    monkeypatch.setattr(ReportImageRenderer, "render", render)


def test_the_window_stays_live_while_the_report_renders(opened, qtbot, tmp_path, monkeypatch):
    w = opened
    release = threading.Event()
    original = ReportImageRenderer.render
    monkeypatch.setattr(ReportImageRenderer, "render",
                        lambda self, frame: release.wait(30) and original(self, frame))  # held until released
    shown = []
    show_message = w.show_message
    monkeypatch.setattr(w, "show_message", lambda text, error=False: shown.append(text) or show_message(text, error))
    out = tmp_path / "live.html"
    w.ask.save_path = lambda title, suggested, filter_: str(out)
    w.commands["export_report"].trigger()
    assert w.reports.running and w.reports.progress.isVisible()            # back at once, rendering behind
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 8, timeout=10_000):
        qtbot.keyClick(w.view_area.left, Qt.Key.Key_End)
        qtbot.keyClick(w.view_area.left, Qt.Key.Key_Left)
    assert w.reports.running                                                # still rendering meanwhile
    with qtbot.waitSignal(w.reports.done, timeout=60_000):
        release.set()
    assert out.exists()
    assert any(t.startswith("Writing the report: pictures of frame") for t in shown)
    assert shown[-1] == f"Report written to {out}"


def test_closing_mid_export_cancels_and_writes_nothing(opened, qtbot, tmp_path, monkeypatch):
    w = opened
    started = threading.Event()
    _slow_render(monkeypatch, 0.3, started)
    out = tmp_path / "out" / "never.pdf"
    out.parent.mkdir()
    w.ask.save_path = lambda title, suggested, filter_: str(out)
    w.commands["export_report"].trigger()
    assert started.wait(10)
    w.close()
    assert not w.reports.running
    assert list(out.parent.iterdir()) == []


def test_a_report_made_while_scoring_says_so_and_uses_the_frames_scored(make_window, qtbot, long_pair_paths,
                                                                        tmp_path, monkeypatch):
    from vqinspect.app.scoring.engine import ScoringJob

    score_frame = ScoringJob._score_frame
    monkeypatch.setattr(ScoringJob, "_score_frame", lambda job, frame: time.sleep(0.03) or score_frame(job, frame))
    w = make_window()
    with qtbot.waitSignal(w.pair_opened, timeout=20_000):
        w.open_paths(*long_pair_paths)
    qtbot.waitUntil(lambda: w.session.table.count >= 3, timeout=20_000)
    assert w.runner.running
    out = tmp_path / "early.html"
    done = _export(w, qtbot, out)
    html = out.read_text(encoding="utf-8")
    match = re.search(r"Scoring in progress: (\d+) of (\d+) frames scored\.", html)
    assert done == str(out) and match and 3 <= int(match.group(1)) < int(match.group(2)) == w.session.pair.frames
    w.cancel_scoring()
