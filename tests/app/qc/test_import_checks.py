"""Imported scores checked against the pair they are shown with: logs from the real tools, made
from other clips, a different size, another frame count, or with an offset."""
import json
import subprocess
import sys

import pytest

from vqinspect.__main__ import main as vq_main
from tests.app.report.test_report import Page
from tests.clips import clip, lossless
from tests.oracle import ffmpeg_exe

SHORT = dict(frames=6, size=(176, 144))       # the clip the logs were made from
LONG = dict(frames=12, size=(320, 180))       # the pair they are loaded onto


@pytest.fixture(scope="module")
def short_pair():
    return lossless(**SHORT), clip(crf=40, **SHORT)


@pytest.fixture(scope="module")
def long_pair():
    return lossless(**LONG), clip(crf=40, **LONG)


def _libvmaf_log(pair, path, fmt):
    ref, dist = pair
    graph = f"[0:v][1:v]libvmaf=log_path={path}:log_fmt={fmt}:n_threads=1:feature=name=psnr"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i", str(ref),
                    "-lavfi", graph, "-f", "null", "-"], check=True, capture_output=True)
    return path


def _fqm_json(pair, path):
    ref, dist = pair
    exe = [sys.executable, "-m", "ffmpeg_quality_metrics", str(dist), str(ref), "-m", "psnr",
           "--ffmpeg-path", ffmpeg_exe(), "-of", "json"]
    path.write_text(subprocess.run(exe, check=True, capture_output=True, text=True).stdout)
    return path


def _report(pair, scores, tmp_path, *extra):
    out = tmp_path / "r.html"
    status = vq_main(["report", *map(str, pair), "--scores", str(scores), "-o", str(out), "--worst", "1",
                      "--map", "none", "--quiet", *extra])
    return status, out


def test_a_libvmaf_xml_of_another_size_and_length_is_named_twice(short_pair, long_pair, tmp_path, capsys):
    log = _libvmaf_log(short_pair, tmp_path / "short.xml", "xml")
    status, out = _report(long_pair, log, tmp_path)
    err = capsys.readouterr().err
    assert status == 0
    assert "the scores were computed at 176x144; the reference is 320x180" in err
    assert "the scores cover frames 0–5 (6 frames); the pair has reference frames 0–11 (12)" in err
    text = Page(out.read_text()).text
    assert "Mismatch: the scores were computed at 176x144" in text
    assert "Reference frames 0–11: 6 of 12 scored." in text           # real coverage, not 6 of 6


def test_a_libvmaf_json_of_another_length_is_named(short_pair, long_pair, tmp_path, capsys):
    log = _libvmaf_log(short_pair, tmp_path / "short.json", "json")
    status, _ = _report(long_pair, log, tmp_path)
    assert status == 0 and "the scores cover frames 0–5 (6 frames)" in capsys.readouterr().err


def test_an_fqm_result_names_the_files_it_was_made_from(short_pair, long_pair, tmp_path, capsys):
    scores = _fqm_json(short_pair, tmp_path / "fqm.json")
    assert json.loads(scores.read_text())["input_file_ref"].endswith(short_pair[0].name)
    status, out = _report(long_pair, scores, tmp_path)
    err = capsys.readouterr().err
    assert status == 0
    assert f"the scores were computed for reference {short_pair[0].name}, not {long_pair[0].name}" in err
    assert f"the scores were computed for distorted {short_pair[1].name}, not {long_pair[1].name}" in err
    assert "Reference frames 0–11: 6 of 12 scored." in Page(out.read_text()).text


def test_an_offset_with_another_tools_log_is_explained(long_pair, tmp_path, capsys):
    log = _libvmaf_log(long_pair, tmp_path / "own.xml", "xml")
    status, out = _report(long_pair, log, tmp_path, "--offset", "3")
    assert status == 0
    assert "offset 3 moves only the distorted pictures" in capsys.readouterr().err
    assert "offset 3 moves only the distorted pictures" in Page(out.read_text()).text


def test_a_matching_log_says_nothing(long_pair, tmp_path, capsys):
    log = _libvmaf_log(long_pair, tmp_path / "own.xml", "xml")
    status, out = _report(long_pair, log, tmp_path)
    assert status == 0 and "Mismatch" not in Page(out.read_text()).text
    assert capsys.readouterr().err.count("vqinspect: ") == 0
