"""Spatial checks (borders, shift, crop) on real x264 encodes, and scoring with the suggested
window against libvmaf run on the same cropped (or scaled) pixels."""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from tests import alignment_clips as clips
from tests.oracle import ffmpeg_exe
from vqinspect.__main__ import main
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.alignment import align_clips
from vqinspect.app.scoring.spatial import Rect, crop_planes, parse_crop, shift_crop


def _findings(ref, dist):
    alignment = align_clips(open_media(ref), open_media(dist))
    assert alignment.offset == 0 and alignment.events == ()
    return alignment.spatial.findings


def libvmaf_cropped(ref: Path, dist: Path, ref_filter: str, dist_filter: str) -> list[dict]:
    """libvmaf's per-frame psnr and VMAF with a filter chain in front of each input."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "vmaf.json"
        graph = (f"[0:v]{dist_filter}[d];[1:v]{ref_filter}[r];[d][r]libvmaf=log_path={log}:log_fmt=json:"
                 "n_threads=2:feature=name=psnr:model=version=vmaf_v0.6.1")
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist),
                        "-i", str(ref), "-lavfi", graph, "-f", "null", "-"], check=True, capture_output=True)
        frames = json.loads(log.read_text())["frames"]
    return [f["metrics"] for f in sorted(frames, key=lambda f: f["frameNum"])]


def _ours(ref: Path, dist: Path, tmp_path: Path, *options: str) -> list[dict]:
    out = tmp_path / "score.json"
    assert main(["score", str(ref), str(dist), "--metrics", "psnr,vmaf", "--quiet", "--json", str(out),
                 *options]) == 0
    return json.loads(out.read_text())["frames"]


def _assert_matches_libvmaf(ours: list[dict], oracle: list[dict]) -> None:
    assert len(ours) == len(oracle)
    for key, theirs, tol in (("psnr_y", "psnr_y", 1e-4), ("psnr_u", "psnr_cb", 1e-4), ("psnr_v", "psnr_cr", 1e-4),
                             ("vmaf", "vmaf", 0.05)):
        diff = np.abs([o[key] - t[theirs] for o, t in zip(ours, oracle)])
        assert diff.max() <= tol, (key, diff.max())


def test_black_bars_in_one_clip(tmp_path):
    ref, dist = clips.bars_pair()
    (finding,) = _findings(ref, dist)
    assert finding.kind == "borders"
    assert finding.option == "--crop 320:164:0:8"
    assert finding.crop.reference == finding.crop.distorted == Rect(320, 164, 0, 8)
    window = "crop=320:164:0:8:exact=1"
    _assert_matches_libvmaf(_ours(ref, dist, tmp_path, "--crop", "320:164:0:8"),
                            libvmaf_cropped(ref, dist, window, window))


def test_a_two_pixel_shift(tmp_path):
    ref, dist = clips.shifted_pair(2, 0)
    (finding,) = _findings(ref, dist)
    assert finding.kind == "shift" and finding.option == "--shift 2:0"
    _assert_matches_libvmaf(_ours(ref, dist, tmp_path, "--shift", "2:0"),
                            libvmaf_cropped(ref, dist, "crop=318:180:0:0:exact=1", "crop=318:180:2:0:exact=1"))


def test_a_crop_scaled_back_to_full_size(tmp_path):
    ref, dist = clips.cropped_pair()
    (finding,) = _findings(ref, dist)
    assert finding.kind == "crop"
    assert finding.crop.reference == Rect(256, 144, 32, 18) and finding.crop.distorted is None
    _assert_matches_libvmaf(_ours(ref, dist, tmp_path, "--crop", "ref=256:144:32:18"),
                            libvmaf_cropped(ref, dist, "crop=256:144:32:18:exact=1", "scale=256:144:flags=bicubic"))


def test_an_aligned_pair_has_no_spatial_finding():
    ref, dist, _ = clips.late_start_pair()
    alignment = align_clips(open_media(ref), open_media(dist))
    assert alignment.spatial.findings == ()


def test_crop_planes_cuts_chroma_like_ffmpeg_exact_crop():
    y = np.arange(12 * 16).reshape(12, 16)
    u = np.arange(6 * 8).reshape(6, 8)
    out = crop_planes((y, u, u), Rect(5, 4, 3, 2))
    assert np.array_equal(out[0], y[2:6, 3:8])
    assert np.array_equal(out[1], u[1:3, 1:4])   # x >> 1, ceil(w / 2)


def test_crop_and_shift_options_parse():
    assert parse_crop("ref=256:144:32:18").reference == Rect(256, 144, 32, 18)
    both = parse_crop("320:164:0:8")
    assert both.reference == both.distorted == Rect(320, 164, 0, 8)
    crop = shift_crop(-2, 1, 320, 180)
    assert crop.reference == Rect(318, 179, 2, 0) and crop.distorted == Rect(318, 179, 0, 1)
    with pytest.raises(ValueError):
        parse_crop("left=1:2:3:4")


def test_bad_crop_is_one_line(capsys):
    ref, dist = clips.bars_pair()
    assert main(["score", str(ref), str(dist), "--metrics", "psnr", "--crop", "400:100:0:0", "--quiet"]) == 2
    assert "does not fit" in capsys.readouterr().err
