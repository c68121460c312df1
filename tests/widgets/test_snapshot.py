"""``vqinspect snapshot`` and the no-display path of ``vqinspect``: real renders, checked
against an approved image with a tolerance (the diff is saved when they differ)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vqinspect.widgets.launch import NO_DISPLAY, run_gui
from vqinspect.__main__ import main as vq_main

APPROVED = Path(__file__).parent / "approved"
# Allowed difference: a handful of pixels (font hinting, a status text) but not a shifted
# layout or different picture.
MAX_CHANGED_FRACTION = 0.004
CHANGED_LEVEL = 40


def _load(path: Path) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    assert not image.isNull(), f"cannot read {path}"
    h, w, bpl = image.height(), image.width(), image.bytesPerLine()
    return np.frombuffer(image.constBits(), np.uint8, bpl * h).reshape(h, bpl)[:, : w * 3].reshape(h, w, 3).copy()


def _save(array: np.ndarray, path: Path) -> None:
    from PySide6.QtGui import QImage

    h, w, _ = array.shape
    data = np.ascontiguousarray(array)
    QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).save(str(path))


def assert_image_approved(actual: Path, name: str, tmp_path: Path) -> None:
    """Compare with approved/NAME.png; VQINSPECT_APPROVE=1 (re)writes the approved image."""
    approved = APPROVED / f"{name}.png"
    if os.environ.get("VQINSPECT_APPROVE") == "1":
        approved.write_bytes(actual.read_bytes())
    assert approved.exists(), f"no approved image {approved}: look at {actual}, then rerun with VQINSPECT_APPROVE=1"
    got, want = _load(actual), _load(approved)
    assert got.shape == want.shape, f"size {got.shape} != approved {want.shape} (see {actual})"
    diff = np.abs(got.astype(int) - want.astype(int)).max(axis=2)
    changed = float((diff > CHANGED_LEVEL).mean())
    if changed > MAX_CHANGED_FRACTION:
        diff_path = tmp_path / f"{name}.diff.png"
        _save(np.repeat(np.minimum(diff * 4, 255).astype(np.uint8)[..., None], 3, axis=2), diff_path)
        pytest.fail(f"{changed:.2%} of pixels differ from {approved}: got {actual}, diff {diff_path}")


def test_snapshot_side_by_side_matches_the_approved_image(pair_paths, tmp_path, capsys):
    out = tmp_path / "side_by_side.png"
    rc = vq_main(["snapshot", *pair_paths, "--frame", "3", "--view", "side-by-side", "--out", str(out),
                        "--window-size", "1280x800", "--metrics", "psnr,ssim"])
    assert rc == 0 and capsys.readouterr().out.strip() == str(out)
    assert_image_approved(out, "side_by_side", tmp_path)


def test_snapshot_heatmap_view_only_has_the_view_and_a_caption(pair_paths, tmp_path):
    out = tmp_path / "heat.png"
    rc = vq_main(["snapshot", *pair_paths, "--frame", "2", "--view", "heatmap:ssim", "--out", str(out),
                        "--window-size", "1000x700", "--metrics", "psnr", "--no-scores", "--view-only",
                        "--colormap", "viridis"])
    assert rc == 0
    image = _load(out)
    assert image.shape[1] < 1000                     # the picture area, not the window
    caption = image[-40:]
    assert caption.max() > 200 and np.median(caption) < 40     # light text on a dark strip


@pytest.mark.parametrize("args, message", [
    (["missing.mp4", "{dist}", "--out", "{out}"], "no such file"),
    (["{ref}", "{dist}", "--out", "{out}", "--view", "sideways"], "--view 'sideways'"),
    (["{ref}", "{dist}", "--out", "{out}", "--view", "heatmap:nope"], "no such map"),
    (["{ref}", "{dist}", "--out", "{out}", "--frame", "40", "--no-scores"], "--frame 40 is outside"),
    (["{ref}", "{dist}", "--out", "{out}", "--window-size", "big"], "--window-size wants WxH"),
    (["{ref}", "{dist}", "--out", "/no/such/folder/x.png", "--no-scores"], "does not exist"),
    (["{ref}", "{dist}", "--out", "{out}", "--metrics", "psnr,nope"], "unknown metric 'nope'"),
])
def test_snapshot_bad_input_is_one_clear_line(pair_paths, tmp_path, capsys, args, message):
    filled = [a.format(ref=pair_paths[0], dist=pair_paths[1], out=tmp_path / "x.png") for a in args]
    assert vq_main(["snapshot", *filled]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_without_a_display_the_gui_writes_a_snapshot_and_says_so(pair_paths, tmp_path, monkeypatch, capsys):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path))
    assert run_gui([*pair_paths, "--metrics", "psnr"]) == NO_DISPLAY
    err = capsys.readouterr().err
    assert "no display" in err
    written = list((tmp_path / "snapshots").glob("*.png"))
    assert len(written) == 1 and str(written[0]) in err
    assert _load(written[0]).shape[0] > 500


def test_the_demo_snapshot_without_a_display_shows_the_whole_scoring_pass(long_pair_paths, tmp_path, monkeypatch):
    """With ``scored_snapshot`` (the demo) the snapshot waits for every frame's scores: the
    psnr_y curve (the palette's first colour, drawn without antialiasing) runs across the
    plot under the picture, from the first frame to the last, not only its legend sample."""
    from vqinspect.widgets.plots import PALETTE

    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path))
    assert run_gui([*long_pair_paths, "--metrics", "psnr"], scored_snapshot=True) == NO_DISPLAY
    image = _load(next((tmp_path / "snapshots").glob("*.png")))
    curve = np.array([int(PALETTE[0][i:i + 2], 16) for i in (1, 3, 5)])
    lower = image[image.shape[0] // 2:]
    columns = np.flatnonzero((np.abs(lower.astype(int) - curve).max(axis=2) <= 8).any(axis=0))
    assert columns.size and columns[-1] - columns[0] > image.shape[1] // 2


def test_gui_bad_arguments_return_2(capsys):
    assert vq_main(["a.mp4", "b.mp4", "--metrics", "bogus"]) == 2
    assert "unknown metric 'bogus'" in capsys.readouterr().err


def test_gui_opens_the_pair_and_returns_when_closed(pair_paths, qapp, monkeypatch, tmp_path):
    from PySide6.QtCore import QSettings, QTimer

    from vqinspect.widgets import settings_store
    from vqinspect.widgets.main_window import InspectorWindow

    monkeypatch.setattr(settings_store, "default_settings",
                        lambda: QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    seen = {}

    def close_when_scored():
        window = next((w for w in qapp.topLevelWidgets() if isinstance(w, InspectorWindow) and w.isVisible()), None)
        if window is not None and window.session.table is not None and window.session.table.count == 10:
            seen["offset"], seen["metrics"] = window.session.offset, window.session.table.keys
            window.close()
        else:
            QTimer.singleShot(50, close_when_scored)

    QTimer.singleShot(50, close_when_scored)
    assert run_gui([*pair_paths, "--offset", "0", "--metrics", "psnr"]) == 0
    assert seen == {"offset": 0, "metrics": ["psnr_y", "psnr_u", "psnr_v", "psnr_avg"]}


def test_snapshot_of_hdr10_is_tone_mapped_unless_asked_for_coded_values(tmp_path):
    from tests.hdr_clips import hdr10_clip

    clip = str(hdr10_clip())
    shots = {}
    for name, extra in (("mapped", []), ("coded", ["--coded"])):
        out = tmp_path / f"{name}.png"
        assert vq_main(["snapshot", clip, clip, "--view", "ab", "--out", str(out), "--window-size", "900x600",
                              "--metrics", "psnr", "--no-scores", "--view-only", *extra]) == 0
        shots[name] = _load(out)[:-40].astype(int)                # without the caption
    chroma = {name: float(np.mean(s.max(axis=2) - s.min(axis=2))) for name, s in shots.items()}
    assert chroma["mapped"] > chroma["coded"] + 10      # BT.2020 codes shown as BT.709 look washed out
