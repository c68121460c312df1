"""File > Save Workspace… / Open Workspace…: everything comes back as it was, scores are
reused without scoring, and a video that moved is asked for instead of failing."""
from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from vqinspect.app.scoring.score_cache import FileIdentity


def _save(w, qtbot, path) -> Path:
    w.ask.save_path = lambda title, suggested, filter_: str(path)
    w.workspace_path = None
    w.commands["save_workspace"].trigger()
    qtbot.waitUntil(lambda: w.workspace_path is not None, timeout=20_000)
    assert "Workspace saved" in w.message.text()
    return w.workspace_path


def _open(w, qtbot, path, frame=None):
    w.ask.open_path = lambda title, filter_: str(path)
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000) as blocker:
        w.commands["open_workspace"].trigger()
    if frame is not None:
        qtbot.waitUntil(lambda: w.view_area.images is not None and w.view_area.images.request.frame == frame,
                        timeout=20_000)
    return blocker.args[0]


def _fresh_cache(monkeypatch, tmp_path, name="other-cache"):
    """Later windows look in an empty cache: what they reuse can only come from the workspace."""
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / name))


def test_save_then_open_restores_everything_without_scoring(opened, make_window, qtbot, tmp_path, libvmaf_log,
                                                            monkeypatch, scoring_runs):
    w = opened
    w.ask.open_path = lambda title, filter_: str(libvmaf_log)
    w.commands["import_scores"].trigger()
    qtbot.waitUntil(lambda: len(w.session.imports) == 1, timeout=10_000)
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 3, timeout=10_000):
        w.session.seek(3)
    w.ask.note = lambda frame: "halo"
    w.commands["bookmark"].trigger()
    w.view_settings.set_mode("wipe")
    w.view_settings.set_wipe_position(0.3)
    w.commands["zoom_in"].trigger()
    with qtbot.waitSignal(w.frame_displayed, check_params_cb=lambda f: f == 6, timeout=10_000):
        w.session.seek(6)
    saved = _save(w, qtbot, tmp_path / "review")
    assert saved == tmp_path / "review.vqws"
    data = json.loads(saved.read_text())
    assert [f["role"] for f in data["files"]] == ["reference", "distorted"]
    assert all(f["identity"]["size"] > 0 for f in data["files"])
    assert (data["offset"], data["frame"], data["metrics"]) == (0, 6, ["psnr", "ssim"])
    assert data["view"]["mode"] == "wipe" and data["view"]["wipe_position"] == 0.3
    assert [(b["frame"], b["note"]) for b in data["bookmarks"]] == [(3, "halo")]
    assert data["bookmarks"][0]["image_png"]                          # the picture is kept
    assert [i["path"] for i in data["imports"]] == [str(libvmaf_log)]
    assert len(data["scores"]["frames"]) == 10 and data["scores"]["status"] == "complete"
    scale = w.viewport.scale
    ssim = w.session.table.column("ssim").copy()

    _fresh_cache(monkeypatch, tmp_path)
    runs_before = len(scoring_runs)
    back = make_window()
    result = _open(back, qtbot, saved, frame=6)
    assert len(scoring_runs) == runs_before and back.runner is None      # scores reused, not computed
    assert result.status == "complete"
    assert back.plots.curves["ssim"].getData()[1] == pytest.approx(ssim, abs=1e-6)
    assert back.session.frame == 6 and back.transport.frame.value() == 6
    assert back.view_settings.mode == "wipe" and back.view_settings.wipe_position == pytest.approx(0.3)
    assert back.viewport.scale == pytest.approx(scale) and not back.viewport.fitted
    (b,) = back.session.bookmarks
    assert (b.frame, b.note) == (3, "halo") and b.image and back.bookmark_panel.list.count() == 1
    assert any(name.startswith("vmaf (libvmaf") for name in back.plots.imported_curves)
    text = back.message.text()
    assert "Opened workspace review.vqws: frame 6, 1 bookmark, scores reused" in text
    assert not back.message.property("error")


def _project(tmp_path, pair_paths) -> tuple[Path, Path]:
    media = tmp_path / "project" / "media"
    media.mkdir(parents=True)
    return tuple(Path(shutil.copy(p, media / Path(p).name)) for p in pair_paths)


def _scored_workspace(make_window, qtbot, tmp_path, pair_paths) -> tuple[Path, Path, Path]:
    ref, dist = _project(tmp_path, pair_paths)
    w = make_window()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_paths(str(ref), str(dist))
    saved = _save(w, qtbot, tmp_path / "project" / "review.vqws")
    w.close()
    return saved, ref, dist


def test_a_moved_video_is_asked_for_and_its_scores_still_reused(make_window, qtbot, tmp_path, pair_paths,
                                                                monkeypatch, scoring_runs):
    saved, ref, dist = _scored_workspace(make_window, qtbot, tmp_path, pair_paths)
    archive = tmp_path / "archive"
    archive.mkdir()
    moved = Path(shutil.move(dist, archive / "renamed.mp4"))
    _fresh_cache(monkeypatch, tmp_path)
    runs_before = len(scoring_runs)
    w = make_window()
    asked = []
    w.ask.locate = lambda role, path: asked.append((role, path)) or str(moved)
    hashed_in = []
    identity_of = FileIdentity.of.__func__
    monkeypatch.setattr(FileIdentity, "of", classmethod(
        lambda cls, path: hashed_in.append(threading.current_thread()) or identity_of(cls, path)))
    _open(w, qtbot, saved)
    assert asked == [("distorted", str(dist))]
    assert w.session.distorted.info.path == str(moved)
    assert len(scoring_runs) == runs_before and w.runner is None
    assert hashed_in and threading.main_thread() not in hashed_in     # files are hashed off the UI thread


def test_another_file_given_for_a_missing_one_is_scored_again(make_window, qtbot, tmp_path, pair_paths,
                                                              monkeypatch, scoring_runs):
    saved, ref, dist = _scored_workspace(make_window, qtbot, tmp_path, pair_paths)
    dist.unlink()
    _fresh_cache(monkeypatch, tmp_path)
    runs_before = len(scoring_runs)
    w = make_window()
    w.ask.locate = lambda role, path: str(ref)            # not the bytes that were saved
    said = []
    show = w.show_message
    w.show_message = lambda text, error=False: said.append(text) or show(text, error)
    result = _open(w, qtbot, saved)
    assert len(scoring_runs) == runs_before + 1 and result.status == "complete"
    assert np.all(w.session.table.column("psnr_y") == 60.0)      # ref against itself, freshly scored
    assert any(f"{ref.name} is not the file {dist.name} that was saved: its scores are computed again" in text
               for text in said)


def test_declining_to_look_for_a_missing_video_opens_nothing(make_window, qtbot, tmp_path, pair_paths):
    saved, ref, dist = _scored_workspace(make_window, qtbot, tmp_path, pair_paths)
    dist.unlink()
    w = make_window()
    w.ask.locate = lambda role, path: None
    w.ask.open_path = lambda title, filter_: str(saved)
    w.commands["open_workspace"].trigger()
    qtbot.waitUntil(lambda: w.message.property("error"), timeout=10_000)
    assert w.message.text() == f"Workspace not opened: the distorted {dist.name} was not found."
    assert w.session.pair is None


@pytest.mark.parametrize("content, problem", [("{", "is not valid JSON"),
                                              ('{"format": "other"}', "is not a vqinspect workspace")])
def test_a_damaged_workspace_is_a_readable_message(make_window, qtbot, tmp_path, content, problem):
    bad = tmp_path / "bad.vqws"
    bad.write_text(content)
    w = make_window()
    w.ask.open_path = lambda title, filter_: str(bad)
    w.commands["open_workspace"].trigger()
    qtbot.waitUntil(lambda: w.message.property("error"), timeout=10_000)
    assert str(bad) in w.message.text() and problem in w.message.text()


def test_nothing_to_save_without_a_pair(make_window):
    w = make_window()
    w.ask.save_path = lambda *a: pytest.fail("no file is asked for without a pair")
    w.commands["save_workspace"].trigger()
    assert w.message.property("error") and "open a pair" in w.message.text()


def test_raw_video_settings_survive_the_round_trip():
    from fractions import Fraction

    from vqinspect.app.shared.errors import InputError
    from vqinspect.app.media.source import RawSpec
    from vqinspect.app.media.open_options import options_from_plain, plain_options

    for options in ({"raw": None, "fps": None}, {"raw": None, "fps": Fraction(30000, 1001)},
                    {"raw": RawSpec(352, 288, "yuv420p10le", Fraction(50)), "fps": Fraction(50)}):
        assert options_from_plain(json.loads(json.dumps(plain_options(options)))) == options
    with pytest.raises(InputError):
        options_from_plain({"size": "wide", "pix_fmt": "yuv420p"})
