"""Importing per-frame scores: files written by the real tools (libvmaf inside imageio-ffmpeg's
ffmpeg, the ffmpeg-quality-metrics CLI, ``vqinspect score``) read back into our keys."""
import json
import subprocess
import sys

import numpy as np
import pytest

from vqinspect.__main__ import main
from vqinspect.app.scoring.imports import ImportedScores, ScoresFileError, libvmaf_key, load_scores
from tests.clips import clip, lossless
from tests.oracle import ffmpeg_exe

SMALL = (320, 180)
FRAMES = 6
LIBVMAF_KEYS = {"vmaf", "psnr_y", "psnr_u", "psnr_v", "ssim", "ms_ssim", "vif_scale0", "vif_scale3",
                "adm2", "adm_scale0", "motion", "motion2"}


@pytest.fixture(scope="module")
def pair():
    return lossless(frames=FRAMES, size=SMALL), clip(frames=FRAMES, size=SMALL, crf=38)


@pytest.fixture(scope="module")
def logs(pair, tmp_path_factory):
    """libvmaf logs of the pair in its JSON, XML and CSV formats."""
    ref, dist = pair
    folder = tmp_path_factory.mktemp("libvmaf")
    out = {}
    for fmt in ("json", "xml", "csv"):
        log = folder / f"vmaf.{fmt}"
        graph = (f"[0:v][1:v]libvmaf=log_path={log}:log_fmt={fmt}:n_threads=1:"
                 "feature=name=psnr|name=float_ssim|name=float_ms_ssim")
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist),
                        "-i", str(ref), "-lavfi", graph, "-f", "null", "-"], check=True, capture_output=True)
        out[fmt] = log
    return out


@pytest.fixture(scope="module")
def fqm_json(pair, tmp_path_factory):
    """The real ffmpeg-quality-metrics CLI, run offline with imageio-ffmpeg's ffmpeg."""
    ref, dist = pair
    out = tmp_path_factory.mktemp("fqm") / "fqm.json"
    _fqm(dist, ref, out, "json")
    return out


def _fqm(dist, ref, out, fmt):
    subprocess.run([sys.executable, "-m", "ffmpeg_quality_metrics", str(dist), str(ref), "-m", "psnr", "ssim",
                    "vmaf", "vif", "--ffmpeg-path", ffmpeg_exe(), "-t", "1", "--vmaf-threads", "1",
                    "--no-summary", "-o", str(out), "-of", fmt], check=True, capture_output=True)


def test_libvmaf_names_map_to_ours():
    assert libvmaf_key("psnr_cb") == "psnr_u" and libvmaf_key("psnr_cr") == "psnr_v"
    assert libvmaf_key("float_ssim") == "ssim" and libvmaf_key("float_ms_ssim") == "ms_ssim"
    assert libvmaf_key("integer_vif_scale0") == "vif_scale0" and libvmaf_key("integer_adm2") == "adm2"
    assert libvmaf_key("integer_motion2") == "motion2"
    assert libvmaf_key("VMAF_integer_feature_motion_sad_score") == "motion"
    assert libvmaf_key("VMAF_feature_adm2_score") == "adm2"      # libvmaf 1.x logs
    assert libvmaf_key("vmaf") == "vmaf" and libvmaf_key("cambi") == "cambi"


def test_libvmaf_json_log(logs):
    s = load_scores(logs["json"])
    raw = json.loads(logs["json"].read_text())["frames"]
    assert s.tool == "libvmaf" and s.format == "libvmaf-json" and s.tool_version
    assert s.frames.tolist() == list(range(FRAMES))
    assert LIBVMAF_KEYS <= set(s.keys)
    assert s.original_keys["psnr_u"] == "psnr_cb" and s.original_keys["ssim"] == "float_ssim"
    for i, f in enumerate(raw):
        assert s.series["vmaf"][i] == f["metrics"]["vmaf"]
        assert s.series["psnr_v"][i] == f["metrics"]["psnr_cr"]
        assert s.series["vif_scale0"][i] == f["metrics"]["integer_vif_scale0"]
    assert "libvmaf" in s.label and "vmaf.json" in s.label


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_libvmaf_xml_and_csv_logs_read_like_json(logs, fmt):
    s, ref = load_scores(logs[fmt]), load_scores(logs["json"])
    assert s.tool == "libvmaf" and s.format == f"libvmaf-{fmt}"
    assert s.frames.tolist() == ref.frames.tolist()
    assert set(s.keys) == set(ref.keys)
    for key in ref.keys:
        np.testing.assert_allclose(s.series[key], ref.series[key], atol=1e-6)


def test_imported_series_are_the_quantities_we_compute(pair, logs, tmp_path):
    """psnr_cb is our psnr_u, float_ssim our ssim: the renamed series agree with our scores."""
    ref, dist = pair
    out = tmp_path / "ours.json"
    assert main(["score", str(ref), str(dist), "--metrics", "psnr,ssim,ms_ssim", "--json", str(out),
                 "--quiet", "--threads", "1"]) == 0
    ours = load_scores(out)
    theirs = load_scores(logs["json"])
    for key, tol in (("psnr_y", 1e-3), ("psnr_u", 1e-3), ("psnr_v", 1e-3), ("ssim", 1e-4), ("ms_ssim", 1e-4)):
        np.testing.assert_allclose(ours.series[key], theirs.series[key], atol=tol, err_msg=key)


def test_ffmpeg_quality_metrics_json(fqm_json, logs):
    s = load_scores(fqm_json)
    raw = json.loads(fqm_json.read_text())
    lv = load_scores(logs["json"])
    assert s.tool == "ffmpeg-quality-metrics" and s.format == "fqm-json"
    assert s.frames.tolist() == list(range(FRAMES))               # its n counts from 1
    assert raw["vmaf"][0]["n"] == 1
    np.testing.assert_allclose(s.series["vmaf"], lv.series["vmaf"], atol=1e-6)
    np.testing.assert_allclose(s.series["adm2"], lv.series["adm2"], atol=1e-6)
    # ffmpeg's psnr filter: same definition as libvmaf's psnr (rounded to 2-3 decimals)
    np.testing.assert_allclose(s.series["psnr_y"], lv.series["psnr_y"], atol=0.011)
    assert {"ssim_y", "ssim_u", "ssim_v", "ssim_avg", "mse_y"} <= set(s.keys)
    assert "ssim" not in s.keys                   # ffmpeg's SSIM filter is not libvmaf's float_ssim
    # its VIF filter must not overwrite libvmaf's integer VIF
    assert s.original_keys["vif_scale0"] == "integer_vif_scale0"
    assert s.original_keys["vif_scale_0"] == "scale_0"
    assert s.series["ssim_y"][2] == raw["ssim"][2]["ssim_y"]
    assert s.notes


def test_ffmpeg_quality_metrics_csv(pair, fqm_json, tmp_path):
    ref, dist = pair
    out = tmp_path / "fqm.csv"
    _fqm(dist, ref, out, "csv")
    s, j = load_scores(out), load_scores(fqm_json)
    assert s.tool == "ffmpeg-quality-metrics" and s.format == "fqm-csv"
    assert s.frames.tolist() == j.frames.tolist()
    for key in ("vmaf", "psnr_y", "ssim_y", "adm2"):
        np.testing.assert_allclose(s.series[key], j.series[key], atol=1e-6, err_msg=key)


def test_our_json_and_csv_round_trip(pair, tmp_path):
    ref, dist = pair
    j, c = tmp_path / "s.json", tmp_path / "s.csv"
    assert main(["score", str(ref), str(dist), "--metrics", "psnr,ssim", "--offset", "1", "--json", str(j),
                 "--csv", str(c), "--quiet", "--threads", "1"]) == 0
    data = json.loads(j.read_text())
    s = load_scores(j)
    assert s.tool == "vqinspect" and s.format == "vqinspect-json" and s.tool_version == "0.1.0"
    assert s.frames.tolist() == [f["frame"] for f in data["frames"]]
    for key in data["frames"][0]:
        if key != "frame":
            assert s.series[key].tolist() == [f[key] for f in data["frames"]]
    assert s.result.alignment["offset"] == 1 and s.result.metrics == ["psnr", "ssim"]
    assert s.result.reference["path"] == data["reference"]["path"]
    table = s.to_table()
    assert table.row(2)["ssim"] == data["frames"][2]["ssim"]
    from_csv = load_scores(c)
    assert from_csv.format == "vqinspect-csv"
    for key in s.keys:
        np.testing.assert_allclose(from_csv.series[key], s.series[key], atol=1e-6)


@pytest.mark.parametrize("name, content, expected", [
    ("empty.json", b"", "is empty"),
    ("binary.json", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not a text file"),
    ("broken.json", b'{"frames": [', "not valid JSON (line 1"),
    ("other.json", b'{"hello": "world"}', "this JSON is not a libvmaf log"),
    ("other.xml", b"<html><body/></html>", "XML root <html> is not a libvmaf log"),
    ("broken.xml", b"<VMAF><frames>", "not well-formed XML"),
    ("other.csv", b"a,b,c\n1,2,3\n", "is not a libvmaf log"),
    ("letters.csv", b"Frame,vmaf,\n0,abc,\n", "frame 0: vmaf = 'abc' is not a number"),
    ("noframes.json", b'{"version": "x", "frames": []}', "this JSON is not"),
])
def test_unreadable_files_give_one_line(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ScoresFileError) as info:
        load_scores(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)) and expected in message


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ScoresFileError, match="no such file"):
        load_scores(tmp_path / "nope.json")
    with pytest.raises(ScoresFileError, match="is a directory"):
        load_scores(tmp_path)


def test_imported_scores_table_has_nan_where_a_tool_skipped_frames(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("Frame,vmaf,\n0,90.5,\n2,80.25,\n")
    s = load_scores(path)
    assert isinstance(s, ImportedScores) and s.frames.tolist() == [0, 2]
    table = s.to_table()
    assert (table.start, table.stop) == (0, 3)
    assert np.isnan(table.column("vmaf")[1]) and table.row(2)["vmaf"] == 80.25


def test_libvmaf_logs_with_cambi_and_ciede_are_read_with_their_meaning(pair, tmp_path):
    """libvmaf's own cambi and ciede features come in under our keys, with the registry's
    direction and plot group, and their values as logged."""
    from vqinspect.metrics.registry import key_info, plot_groups

    ref, dist = pair
    log = tmp_path / "cc.json"
    graph = f"[0:v][1:v]libvmaf=log_path={log}:log_fmt=json:n_threads=1:feature=name=cambi|name=ciede"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
                    "-lavfi", graph, "-f", "null", "-"], check=True, capture_output=True)
    imported = load_scores(log)
    logged = json.loads(log.read_text())["frames"]
    assert imported.series["cambi"] == pytest.approx([f["metrics"]["cambi"] for f in logged])
    assert imported.series["ciede2000"] == pytest.approx([f["metrics"]["ciede2000"] for f in logged])
    assert not key_info("cambi").higher_is_better and key_info("ciede2000").higher_is_better
    groups = dict(plot_groups(imported.keys))
    assert groups["cambi"] == ("cambi",) and groups["ciede2000"] == ("ciede2000",)
