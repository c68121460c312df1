"""Workspaces: round trip, atomic save (a crash mid-write keeps the old file), moved files."""
import json
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from vqinspect.app.scoring.results import ScoreResult, ScoreTable
from vqinspect.app.inspector.view_state import ViewSettings, Viewport
from vqinspect.app.inspector.workspace import Bookmark, Workspace, WorkspaceError, apply_view, view_to_dict

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


def _media(folder, name, size=3 * 2**20 + 123, seed=0):
    """A file that stands for a video (the workspace never decodes it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def _scores(ref, dist) -> ScoreResult:
    table = ScoreTable(0, 5, ["psnr_y", "ssim"])
    for f in range(5):
        table.set_row(f, {"psnr_y": 30.0 + f, "ssim": 0.9 + f / 100})
    return ScoreResult(table, ["psnr", "ssim"], {"path": str(ref)}, {"path": str(dist)},
                       {"offset": 2, "scaled": False, "frames": 5, "start": 0, "stop": 5})


def _workspace(tmp_path):
    media = tmp_path / "project" / "media"
    ref, dist = _media(media, "ref.mkv", seed=1), _media(media, "enc <1>.mp4", seed=2)
    ws = Workspace.new(ref, dist, offset=2, frame=3, view={"mode": "wipe", "wipe_position": 0.25},
                       metrics=["psnr", "ssim"], scores=_scores(ref, dist))
    ws.add_bookmark(Bookmark(4, "banding in the sky\n<b>not bold</b>", {"mode": "heatmap"}, "Heatmap: ssim",
                             image=PNG))
    ws.add_bookmark(Bookmark(1, "blocking"))
    return ws, ref, dist


def test_round_trip(tmp_path):
    ws, ref, dist = _workspace(tmp_path)
    path = ws.save(tmp_path / "project" / "review.vqws")
    data = json.loads(path.read_text())
    assert data["format"] == "vqinspect-workspace" and data["version"] == 1
    assert data["files"][0]["relative"] == "media/ref.mkv"
    assert "image_png" not in json.dumps(data)            # pictures only when asked: the file stays small
    back = Workspace.load(path)
    assert back.reference.path == str(ref) and back.distorted.path == str(dist)
    assert (back.offset, back.frame, back.view) == (2, 3, {"mode": "wipe", "wipe_position": 0.25})
    assert back.metrics == ["psnr", "ssim"]
    assert [b.frame for b in back.bookmarks] == [1, 4]
    assert back.bookmarks[1].note == "banding in the sky\n<b>not bold</b>"
    assert back.bookmarks[1].view_name == "Heatmap: ssim" and back.bookmarks[1].image is None
    assert back.scores.table.row(3) == {"psnr_y": 33.0, "ssim": pytest.approx(0.93)}
    assert back.scores.alignment["offset"] == 2
    assert back.missing_files() == [] and back.scores_valid()


def test_bookmark_pictures_saved_when_asked(tmp_path):
    ws, _, _ = _workspace(tmp_path)
    back = Workspace.load(ws.save(tmp_path / "w.json", include_images=True))
    assert back.bookmarks[1].image == PNG


def test_crash_mid_save_keeps_the_old_file(tmp_path):
    """A process killed between writing the temporary file and the rename: old file intact."""
    ws, _, _ = _workspace(tmp_path)
    path = ws.save(tmp_path / "w.json")
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import os
        from vqinspect.app.inspector.workspace import Workspace
        ws = Workspace.load({str(path)!r})
        ws.offset = 99
        ws.bookmarks = ws.bookmarks * 2000            # a big write
        os.fsync = lambda fd: os._exit(9)             # die after writing, before the rename
        ws.save({str(path)!r})
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    assert path.read_bytes() == before
    assert Workspace.load(path).offset == 2


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    ws, _, _ = _workspace(tmp_path)
    path = ws.save(tmp_path / "w.json")
    before = path.read_bytes()

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", broken)
    ws.offset = 7
    with pytest.raises(OSError):
        ws.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "w.json"]


def test_workspace_moved_with_its_videos(tmp_path):
    ws, _, _ = _workspace(tmp_path)
    ws.save(tmp_path / "project" / "review.vqws")
    shutil.move(tmp_path / "project", tmp_path / "elsewhere")
    back = Workspace.load(tmp_path / "elsewhere" / "review.vqws")
    assert back.missing_files() == []
    assert back.reference.path == str(tmp_path / "elsewhere" / "media" / "ref.mkv")
    assert back.scores_valid()


def test_videos_moved_away_are_reported_and_relocated(tmp_path):
    ws, ref, dist = _workspace(tmp_path)
    saved = ws.save(tmp_path / "review.vqws")
    other = tmp_path / "archive"
    other.mkdir()
    shutil.move(ref, other / "ref.mkv")
    shutil.move(dist, other / "renamed.mp4")
    back = Workspace.load(saved)                         # loads, does not fail
    assert [f.role for f in back.missing_files()] == ["reference", "distorted"]
    assert back.missing_files()[1].path == str(dist)     # what to ask the user for
    assert back.relocate("reference", other / "ref.mkv") is True
    assert back.relocate("distorted", other / "renamed.mp4") is True
    assert back.missing_files() == [] and back.scores_valid()
    with pytest.raises(WorkspaceError, match="no such file"):
        back.relocate("distorted", other / "nope.mp4")


def test_relocating_to_different_bytes_drops_the_scores(tmp_path):
    ws, ref, dist = _workspace(tmp_path)
    back = Workspace.load(ws.save(tmp_path / "w.json"))
    dist.unlink()
    other = _media(tmp_path, "other.mp4", seed=7)
    assert back.relocate("distorted", other) is False
    assert back.scores is None and back.missing_files() == []


def test_changed_file_invalidates_scores(tmp_path):
    ws, ref, _ = _workspace(tmp_path)
    back = Workspace.load(ws.save(tmp_path / "w.json"))
    with open(ref, "r+b") as f:                          # re-encoded in place: same size, new tail
        f.seek(-10, 2)
        f.write(b"0123456789")
    assert back.missing_files() == [] and not back.scores_valid()


@pytest.mark.parametrize("content, expected", [
    ("{", "is not valid JSON"),
    ('{"format": "something"}', "is not a vqinspect workspace"),
    ('{"format": "vqinspect-workspace", "version": 99}', "newer vqinspect"),
    ('{"format": "vqinspect-workspace", "version": 1, "files": [{"role": "reference"}]}', "is damaged"),
    ('{"format": "vqinspect-workspace", "version": 1, "files": [{"role": "reference", "path": "a"}, '
     '{"role": "distorted", "path": "b"}], "scores": {"frames": 3}}', "is damaged"),
])
def test_bad_workspace_files(tmp_path, content, expected):
    path = tmp_path / "w.vqws"
    path.write_text(content)
    with pytest.raises(WorkspaceError) as info:
        Workspace.load(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_view_state_round_trip():
    settings, viewport = ViewSettings(), Viewport()
    viewport.set_image_size(1280, 720)
    settings.set_map(("ssim", "ssim"))
    settings.set_colormap("viridis")
    settings.lock_levels((0.5, 1.0))
    settings.set_mode("heatmap")
    settings.toggle_ab()
    viewport.zoom_at(4.0, 10, 20)
    view = json.loads(json.dumps(view_to_dict(settings, viewport)))
    s2, v2 = ViewSettings(), Viewport()
    v2.set_image_size(1280, 720)
    apply_view(view, s2, v2)
    assert view_to_dict(s2, v2) == view
    assert s2.map_spec() == settings.map_spec()
