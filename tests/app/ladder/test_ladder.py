"""`vqinspect ladder`: encodes scored on the batch engine (lower resolutions upscaled), bitrates
from packets, convex hulls, BD-rate against the bjontegaard package, the report."""
import csv
import json
import math
import re
import subprocess

import bjontegaard
import numpy as np
import pypdf
import pytest

from vqinspect.__main__ import main
from vqinspect.app.ladder.bitrate import stream_rate
from vqinspect.app.ladder.hull import convex_hull
from vqinspect.app.ladder.ladder import Encode, Ladder, compare
from tests.clips import clip, lossless

SMALL, HALF = (320, 180), (160, 90)
GROUPS = {"fast": {"preset": "ultrafast"}, "slow": {"preset": "slow"}}


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def ladder_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ladder")
    ref = lossless(frames=6, size=SMALL)
    rows = [("distorted", "label", "group")]
    for group, options in GROUPS.items():
        for size in (SMALL, HALF):
            for crf in (22, 30, 38):
                rows.append((str(clip(frames=6, size=size, crf=crf, options=options)),
                             f"{group}-{size[1]}p-{crf}", group))
    manifest = folder / "encodes.csv"
    with manifest.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    return ref, manifest, folder


def _ffmpeg_packets(path):
    """(sizes, pts, durations) of the video packets as FFmpeg's framecrc muxer lists them."""
    import imageio_ffmpeg

    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0",
                          "-c", "copy", "-f", "framecrc", "-"], capture_output=True, text=True, check=True).stdout
    tb = re.search(r"#tb 0: (\d+)/(\d+)", out)
    rows = [[c.strip() for c in line.split(",")] for line in out.splitlines() if line and not line.startswith("#")]
    sizes = [int(r[4]) for r in rows]
    pts = [int(r[2]) for r in rows]
    durations = [int(r[3]) for r in rows]
    return sizes, pts, durations, int(tb.group(1)) / int(tb.group(2))


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_bitrate_from_packets_matches_ffmpeg(container):
    path = clip(frames=8, size=HALF, crf=30, container=container)
    sizes, pts, durations, tb = _ffmpeg_packets(path)
    seconds = (max(p + d for p, d in zip(pts, durations)) - min(pts)) * tb
    rate = stream_rate(path)
    assert rate.packets == len(sizes) == 8
    assert rate.seconds == pytest.approx(seconds, rel=1e-9) and rate.seconds == pytest.approx(8 / 25, rel=1e-6)
    assert rate.kbps == pytest.approx(sum(sizes) * 8 / seconds / 1000, rel=1e-9)


def _oracle_bd(anchor, test, key, method):
    """BD-rate and BD-quality of the two groups' hulls from the bjontegaard package."""
    def hull(encodes):
        points = sorted(convex_hull([(e["bitrate_kbps"], e["pooled"][key]["mean"]) for e in encodes]))
        return np.array([p[0] for p in points]), np.array([p[1] for p in points])

    (ra, qa), (rt, qt) = hull(anchor), hull(test)
    if method == "cubic" and min(len(ra), len(rt)) < 4:
        return None, None                       # a cubic through fewer points is not a fit
    args = dict(method=method, require_matching_points=False, min_overlap=0)
    return bjontegaard.bd_rate(ra, qa, rt, qt, **args), bjontegaard.bd_psnr(ra, qa, rt, qt, **args)


def test_ladder_end_to_end(ladder_files, tmp_path):
    ref, manifest, _ = ladder_files
    out, report = tmp_path / "a.json", tmp_path / "a.html"
    assert main(["ladder", str(ref), "--manifest", str(manifest), "--metrics", "psnr,ssim", "--json", str(out),
                 "--csv", "--report", str(report), "--bd-method", "pchip,cubic", "--workers", "1", "--quiet"]) == 0
    data = json.loads(out.read_text())
    assert {"reference", "metrics", "encodes", "bd"} <= set(data) and data["metrics"] == ["psnr", "ssim"]
    assert data["reference"]["width"] == 320 and data["keys"] == ["psnr_y", "psnr_u", "psnr_v", "psnr_avg", "ssim"]
    encodes = data["encodes"]
    assert len(encodes) == 12
    for e in encodes:
        assert {"path", "label", "group", "codec", "width", "height", "bitrate_kbps", "pooled", "on_hull"} <= set(e)
        assert e["bitrate_kbps"] == pytest.approx(stream_rate(e["path"]).kbps, rel=1e-9)
        scores = json.loads(open(e["scores"]).read())
        assert e["pooled"] == scores["pooled"] and scores["alignment"]["frames_scored"] == 6
        assert scores["alignment"]["scaled"] == (e["height"] == 90)
        if e["height"] == 90:
            assert scores["alignment"]["scaler"] == "bicubic" and scores["alignment"]["scaled_to"] == [320, 180]
    for key in data["keys"]:
        hull = set(convex_hull([(e["bitrate_kbps"], e["pooled"][key]["mean"]) for e in encodes]))
        assert [e["on_hull"][key] for e in encodes] == \
               [(e["bitrate_kbps"], e["pooled"][key]["mean"]) in hull for e in encodes]
        assert any(e["on_hull"][key] for e in encodes)

    # BD of "slow" against "fast", each group's hull as its curve, as bjontegaard computes it
    assert len(data["bd"]) == len(data["keys"]) * 2
    fast = [e for e in encodes if e["group"] == "fast"]
    slow = [e for e in encodes if e["group"] == "slow"]
    for b in data["bd"]:
        assert set(b) == {"anchor", "test", "key", "method", "bd_rate_percent", "bd_quality", "note"}
        assert (b["anchor"], b["test"]) == ("fast", "slow")
        with np.errstate(all="ignore"):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rate, quality = _oracle_bd(fast, slow, b["key"], b["method"])
        if rate is None:
            assert b["bd_rate_percent"] is None and b["bd_quality"] is None and "at least 4 points" in b["note"]
            continue
        if math.isnan(rate):
            assert b["bd_rate_percent"] is None and "do not overlap" in b["note"]
        else:
            assert b["bd_rate_percent"] == pytest.approx(rate, abs=1e-6)
        assert b["bd_quality"] == pytest.approx(quality, abs=1e-8)
    psnr_y = [b for b in data["bd"] if b["key"] == "psnr_y" and b["method"] == "pchip"][0]
    assert psnr_y["bd_rate_percent"] < 0          # the slow preset needs fewer bits

    rows = list(csv.DictReader(out.with_suffix(".csv").open()))
    assert len(rows) == 12 and float(rows[0]["ssim_mean"]) == pytest.approx(encodes[0]["pooled"]["ssim"]["mean"], abs=1e-6)

    html = report.read_text()
    for key in data["keys"]:
        assert f'<section class="curve" data-key="{key}">' in html
    assert html.count('class="hull"') == len(data["keys"])
    for e in encodes:
        assert html.count(f'data-path="{e["path"]}" data-hull=') == len(data["keys"])
        assert f">{e['label']}</text>" in html
    assert html.count('<article class="worst-frame"') == 12 and html.count("<img") >= 12 * 3
    assert "<tbody><tr data-key=\"psnr_y\" data-method=\"pchip\">" in html

    # another ladder, B (the slow encodes, as a ladder JSON), compared against the fast ones
    whole = Ladder.load(out)
    whole.encodes = [e for e in whole.encodes if e.group == "slow"]
    whole.save(tmp_path / "b.json")
    out_c, fast_manifest = tmp_path / "c.json", tmp_path / "fast.csv"
    fast_manifest.write_text("distorted,label\n" + "".join(f"{e['path']},{e['label']}\n" for e in fast))
    pdf = tmp_path / "c.pdf"
    assert main(["ladder", str(ref), "--manifest", str(fast_manifest), "--metrics", "psnr,ssim", "--json",
                 str(out_c), "--compare", str(tmp_path / "b.json"), "--workers", "1", "--quiet",
                 "--report", str(pdf)]) == 0
    pages = ["".join(page.extract_text().split()) for page in pypdf.PdfReader(str(pdf)).pages]
    assert pdf.read_bytes().startswith(b"%PDF") and len(pages) >= 2 and all(pages)   # no empty page
    assert "BD-rate" in "".join(pages).replace("BD‑rate", "BD-rate") or "BDrate" in "".join(pages)
    compared = json.loads(out_c.read_text())["bd"]
    same = {b["key"]: b for b in data["bd"] if b["method"] == "pchip"}
    assert [b["key"] for b in compared] == data["keys"]
    for b in compared:
        assert (b["anchor"], b["test"], b["method"]) == ("c", "b", "pchip")
        assert b["bd_quality"] == pytest.approx(same[b["key"]]["bd_quality"], abs=1e-9)


def test_non_monotonic_hull_is_pruned_and_said():
    """VMAF saturating at 100: two hull points of equal quality; the curve keeps the cheaper."""
    def ladder(rates, values, group):
        return [Encode(f"/{group}{i}.mp4", f"{group}{i}", group, "h264", 320, 180, r, {"vmaf": {"mean": v}})
                for i, (r, v) in enumerate(zip(rates, values))]

    anchor = ladder([100, 200, 400, 800, 1600], [60, 75, 88, 100, 100], "a")
    test = ladder([90, 180, 360, 720], [62, 77, 90, 99], "t")
    (entry,) = compare("a", anchor, "t", test, ["vmaf"])
    assert "a: 1 hull point pruned" in entry.note and "1600 kbit/s at 100" in entry.note
    expected = bjontegaard.bd_rate(np.array([100, 200, 400, 800.0]), np.array([60, 75, 88, 100.0]),
                                   np.array([90, 180, 360, 720.0]), np.array([62, 77, 90, 99.0]),
                                   method="pchip", require_matching_points=False)
    assert entry.bd_rate_percent == pytest.approx(expected, abs=1e-6)


def test_ladder_json_round_trip(tmp_path):
    e = Encode("/x.mp4", "x", "g", "hevc", 640, 360, 512.5, {"psnr_y": {"mean": 40.0}}, {"psnr_y": True}, 600.0)
    lad = Ladder({"path": "/ref.mkv", "width": 640}, ["psnr"], [e], ["psnr_y"], compare("g", [e], "g", [e], ["psnr_y"]))
    lad.save(tmp_path / "l.json")
    back = Ladder.load(tmp_path / "l.json")
    assert back.encodes[0] == e and back.keys == ["psnr_y"] and back.name == "l"
    assert math.isnan(back.bd[0].bd_rate_percent) and "pchip needs at least 2 points" in back.bd[0].note
