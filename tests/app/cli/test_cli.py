"""`vqinspect score`: outputs, layouts and the one-line errors on bad input."""
import csv
import json
import subprocess
import sys

import numpy as np
import pytest

from vqinspect.__main__ import main
from vqinspect.app.scoring.results import pool
from tests.clips import clip, lossless

SMALL = (320, 180)


@pytest.fixture(scope="module")
def pair():
    return lossless(frames=12, size=SMALL), clip(frames=12, size=SMALL, crf=38)


def test_score_writes_json_and_csv(pair, tmp_path, capsys):
    ref, dist = pair
    j, c = tmp_path / "out.json", tmp_path / "out.csv"
    assert main(["score", str(ref), str(dist), "--metrics", "psnr,ssim", "--json", str(j),
                 "--csv", str(c), "--quiet", "--threads", "2"]) == 0
    data = json.loads(j.read_text())
    assert data["tool"]["name"] == "vqinspect" and data["metrics"] == ["psnr", "ssim"]
    assert data["reference"]["width"] == 320 and data["distorted"]["codec"] == "h264"
    assert data["alignment"] == {"offset": 0, "scaled": False, "frames": 12, "start": 0, "stop": 12,
                                 "frames_scored": 12}
    assert [f["frame"] for f in data["frames"]] == list(range(12))
    assert set(data["frames"][0]) == {"frame", "psnr_y", "psnr_u", "psnr_v", "psnr_avg", "ssim"}
    for key, stats in data["pooled"].items():
        values = np.array([f[key] for f in data["frames"]])
        assert stats["mean"] == pytest.approx(values.mean(), abs=1e-6)
        assert stats["min"] == pytest.approx(values.min(), abs=1e-6)
        assert stats["p5"] == pytest.approx(np.percentile(values, 5), abs=1e-5)
    rows = list(csv.DictReader(c.open()))
    assert len(rows) == 12 and float(rows[3]["ssim"]) == pytest.approx(data["frames"][3]["ssim"], abs=1e-6)
    out = capsys.readouterr().out
    assert "psnr_y" in out and "harm.mean" in out


def test_offset_and_frames_options(pair, tmp_path):
    ref, dist = pair
    j = tmp_path / "o.json"
    assert main(["score", str(ref), str(dist), "--metrics", "psnr", "--offset", "-2", "--frames", "4:",
                 "--json", str(j), "--quiet"]) == 0
    data = json.loads(j.read_text())
    assert data["alignment"]["offset"] == -2
    assert [f["frame"] for f in data["frames"]] == list(range(4, 12))


def test_pooled_statistics_definitions():
    v = np.array([1.0, 2.0, 3.0, 4.0])
    p = pool(v)
    assert p["mean"] == 2.5 and p["min"] == 1 and p["max"] == 4
    assert p["harmonic_mean"] == pytest.approx(1 / np.mean(1 / (v + 1)) - 1)
    assert p["p1"] == pytest.approx(1.03) and p["p5"] == pytest.approx(1.15)
    assert np.isnan(pool(np.array([np.nan]))["mean"])


def test_every_registered_metric_builds_and_gives_its_declared_keys():
    """The registry's declarations and the kernels' factories agree: each metric builds, and every
    key it gives is declared by its MetricInfo (so direction, unit and plots are known)."""
    from vqinspect.metrics.registry import get_metric, known_names, metric_info

    for name in known_names():
        metric = get_metric(name)
        info = metric_info(name)
        assert all(info.key(k) is not None for k in metric.keys), name
        assert all(info.map(m) is not None for m in metric.maps), name
        assert metric.primary_key in metric.keys


def _vq(*args):
    return subprocess.run([sys.executable, "-m", "vqinspect", *map(str, args)], capture_output=True, text=True)


@pytest.mark.parametrize("case", ["missing", "not-media", "audio-only", "raw-no-size", "bad-pix-fmt",
                                  "no-overlap", "unknown-metric", "bad-frames", "ms-ssim-too-small"])
def test_bad_input_exits_2_with_one_line(case, pair, tmp_path):
    ref, dist = pair
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00garbage" * 500)
    raw = tmp_path / "clip.yuv"
    raw.write_bytes(bytes(320 * 180 * 3 // 2 * 2))
    tiny = clip(frames=3, size=(64, 48), crf=30)
    from tests.app.media.test_media import _audio_only

    args = {
        "missing": (tmp_path / "nope.mp4", dist),
        "not-media": (ref, junk),
        "audio-only": (_audio_only(tmp_path / "a.m4a"), dist),
        "raw-no-size": (raw, raw),
        "bad-pix-fmt": (raw, raw, "--size", "320x180", "--pix-fmt", "bayer_rggb8"),
        "no-overlap": (ref, dist, "--offset", "50"),
        "unknown-metric": (ref, dist, "--metrics", "psnr,bogus"),
        "bad-frames": (ref, dist, "--frames", "x:y"),
        "ms-ssim-too-small": (tiny, tiny, "--metrics", "ms_ssim"),
    }[case]
    result = _vq("score", *args, "--quiet")
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("vqinspect: "), result.stderr
    assert "Traceback" not in result.stderr
    if case in ("missing", "not-media", "audio-only"):
        assert str(args[0] if case != "not-media" else junk) in lines[0]


def test_broken_stream_scores_what_decoded_and_says_where(tmp_path):
    good = clip(frames=30, size=SMALL, container="mkv", crf=30)
    data = good.read_bytes()
    broken = tmp_path / "broken.mkv"
    broken.write_bytes(data[: len(data) * 2 // 3])
    out = tmp_path / "o.json"
    result = _vq("score", lossless(frames=30, size=SMALL), broken, "--metrics", "psnr", "--json", out, "--quiet")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert str(broken) in result.stderr and "truncated" in result.stderr
    scored = json.loads(out.read_text())
    assert scored["status"] == "broken" and 0 < len(scored["frames"]) < 30


def test_outputs_get_ordinary_permissions(pair, tmp_path):
    import os

    ref, dist = pair
    old = os.umask(0o022)
    try:
        assert main(["score", str(ref), str(dist), "--metrics", "psnr", "--json", str(tmp_path / "o.json"),
                     "--quiet"]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "o.json").stat().st_mode & 0o777 == 0o644


def test_a_reader_that_goes_away_is_not_a_traceback(pair):
    """``vqinspect score ... | head -1``: the table cannot be written; exit 1, no traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "vqinspect", "score", *map(str, pair), "--metrics", "psnr",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                      # long before the process gets to its output
    err = proc.stderr.read().decode()
    proc.wait()
    assert proc.returncode == 1 and "Traceback" not in err, err
