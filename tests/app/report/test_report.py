"""QC reports: contents checked by parsing the HTML, escaping, --scores reuse, the cache,
the worst-frame pictures, the SVG plots, and that none of it needs Qt."""
import base64
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest

from vqinspect.__main__ import main as vq_main
from vqinspect.app.display.screen import to_rgb
from vqinspect.app.display.screen import pair_color_specs
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.app.report.model import build_report, plot_groups
from vqinspect.app.report.html import render_html
from vqinspect.app.report.images import Crop, ReportImageRenderer, choose_crop, map_on_frame
from vqinspect.app.report.plot import series_svg
from vqinspect.app.inspector.workspace import Bookmark
from vqinspect.metrics.registry import get_metric
from tests.clips import clip, lossless
from tests.oracle import ffmpeg_exe

SMALL = (320, 180)
EVIL = "<img src=x onerror=alert(1)>.mp4"


class Page(HTMLParser):
    """Elements (tag, attributes) in document order, the text, and the sections' ids."""

    def __init__(self, text: str):
        super().__init__()
        self.elements, self.chunks = [], []
        self.feed(text)
        self.text = "".join(self.chunks)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.chunks.append(data)

    def all(self, tag, **attrs):
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    @property
    def sections(self):
        return [a.get("id") for a in self.all("section")]

    def pngs(self):
        return [a for a in self.all("img") if a.get("src", "").startswith("data:image/png;base64,")]


@pytest.fixture(scope="module")
def pair():
    return lossless(frames=8, size=SMALL), clip(frames=8, size=SMALL, crf=38)


@pytest.fixture(scope="module")
def scores_json(pair, tmp_path_factory):
    ref, dist = pair
    out = tmp_path_factory.mktemp("score") / "scores.json"
    assert vq_main(["score", str(ref), str(dist), "--metrics", "psnr,ssim", "--json", str(out), "--quiet",
                    "--threads", "1"]) == 0
    return out


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "cache"))


def _report(*args) -> int:
    return vq_main(["report", *(str(a) for a in args), "--quiet", "--threads", "1"])


def test_report_from_scores_json_matches_the_json(pair, scores_json, tmp_path, capsys):
    ref, dist = pair
    out = tmp_path / "r.html"
    assert _report(ref, dist, "-o", out, "--scores", scores_json, "--worst", "3", "--crop", "160x90") == 0
    assert capsys.readouterr().out.strip() == str(out)
    data = json.loads(scores_json.read_text())
    page = Page(out.read_text())
    assert page.sections == ["summary", "clips", "alignment", "statistics", "plots", "worst"]
    # pooled statistics: every number of the JSON, in the table
    for key, stats in data["pooled"].items():
        for stat, value in stats.items():
            cell, = page.all("td", **{"data-key": key, "data-stat": stat})
            assert float(cell["data-value"]) == pytest.approx(value, abs=1e-6)
    # 8 frames are one shot and less than a second: one problem moment, at the worst frame by psnr_y
    # (the first metric's key), spanning the frames around it worse than 90 % of the clip
    expected = sorted(data["frames"], key=lambda f: f["psnr_y"])[:1]
    rows = page.all("article", **{"class": "worst-frame"})
    assert [int(r["data-frame"]) for r in rows] == [f["frame"] for f in expected]
    start, stop = int(rows[0]["data-moment-start"]), int(rows[0]["data-moment-stop"])
    threshold = np.percentile([-f["psnr_y"] for f in data["frames"]], 90)
    inside = [f for f in data["frames"] if start <= f["frame"] < stop]
    assert start <= expected[0]["frame"] < stop and all(-f["psnr_y"] >= threshold for f in inside)
    quoted = page.all("span", **{"data-key": "psnr_y"})       # one per row, in row order
    assert [float(a["data-value"]) for a in quoted] == pytest.approx([f["psnr_y"] for f in expected], abs=1e-6)
    # pictures: a locator and reference, distorted, difference, heatmap (+ its colour ramp), detail x2
    assert len(page.pngs()) == 7
    assert len(page.all("figure", **{"class": "panel"})) == 5
    # one plot per metric, the worst frames marked on each
    svgs = page.all("svg")
    assert [a["aria-label"] for a in svgs] == ["psnr", "ssim"]
    marks = page.all("g", **{"class": "worst"})
    assert len(marks) == 2 * 1 and {int(m["data-frame"]) for m in marks} == {f["frame"] for f in expected}
    assert len(page.all("g", **{"class": "series"})) == 5      # psnr_y/u/v/avg + ssim
    # both clips' metadata and the alignment
    assert ref.name in page.text and dist.name in page.text and "320×180" in page.text
    assert "offset 0" in page.text and "8 of 8 scored" in page.text
    # self-contained: nothing fetched from anywhere
    assert not page.all("link") and not any(a.get("src", "").startswith(("http", "//", "file"))
                                             for _, a in page.elements)


def test_report_scores_and_then_uses_the_cache(pair, tmp_path, monkeypatch, capsys):
    ref, dist = pair
    assert _report(ref, dist, "-o", tmp_path / "a.html", "--metrics", "psnr,ssim", "--worst", "2") == 0
    assert list((tmp_path / "cache" / "scores").glob("*.json"))

    def no_scoring(self):
        raise AssertionError("scored again")

    monkeypatch.setattr("vqinspect.app.scoring.engine.ScoringJob.run", no_scoring)
    assert _report(ref, dist, "-o", tmp_path / "b.html", "--metrics", "psnr,ssim", "--worst", "2") == 0
    assert "cached" in capsys.readouterr().err
    a, b = Page((tmp_path / "a.html").read_text()), Page((tmp_path / "b.html").read_text())
    assert [x["data-value"] for x in a.all("td") if "data-value" in x] == \
           [x["data-value"] for x in b.all("td") if "data-value" in x]


def test_file_names_and_notes_are_escaped(pair, scores_json, tmp_path):
    ref, dist = pair
    evil = tmp_path / EVIL
    shutil.copy(dist, evil)
    out = tmp_path / "evil.html"
    assert _report(ref, evil, "-o", out, "--scores", scores_json, "--worst", "1",
                   "--title", "<script>alert(2)</script>") == 0
    text = out.read_text()
    page = Page(text)
    assert not any("onerror" in a for _, a in page.elements)
    assert len(page.all("script")) == 1                      # the page's own zoom script only
    assert EVIL in page.text and "<script>alert(2)</script>" in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;.mp4" in text


def test_bookmarks_section(pair, scores_json, tmp_path):
    from vqinspect.app.scoring.imports import load_scores

    result = load_scores(scores_json).result
    png = cv2.imencode(".png", np.zeros((30, 40, 3), np.uint8))[1].tobytes()
    marks = [Bookmark(2, "ringing on the edge <b>\nsecond line", {"mode": "diff"}, "Difference", image=png),
             Bookmark(5, "no picture", view_name="Wipe")]
    text = render_html(build_report(result, worst=0, bookmarks=marks))
    page = Page(text)
    assert page.sections[-1] == "bookmarks" and "worst" not in page.sections
    assert [int(a["data-frame"]) for a in page.all("article", **{"class": "bookmark"})] == [2, 5]
    assert "ringing on the edge <b>" in page.text
    assert '<p class="note">ringing on the edge &lt;b&gt;<br>second line</p>' in text
    assert len(page.pngs()) == 1 and "00:00:00:02" in page.text and "Difference" in page.text


def test_report_from_a_libvmaf_log(pair, tmp_path):
    ref, dist = pair
    log = tmp_path / "vmaf.xml"
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(dist), "-i",
                    str(ref), "-lavfi", f"[0:v][1:v]libvmaf=log_path={log}:log_fmt=xml:n_threads=1",
                    "-f", "null", "-"], check=True, capture_output=True)
    out = tmp_path / "v.html"
    assert _report(ref, dist, "-o", out, "--scores", log, "--worst", "2", "--map", "none") == 0
    page = Page(out.read_text())
    assert [a["aria-label"] for a in page.all("svg")] == ["vmaf"]      # VMAF's features: table only
    assert "libvmaf" in page.text and "vmaf.xml" in page.text
    rows = page.all("article", **{"class": "worst-frame"})
    assert len(page.all("figure", **{"class": "panel"})) == len(rows) * 4   # no heatmap asked for
    assert page.all("tr", **{"class": "by"})                            # ranked by vmaf


def test_paged_variant_has_svg_pictures_and_no_script(scores_json):
    from vqinspect.app.scoring.imports import load_scores

    report = build_report(load_scores(scores_json).result, worst=2)
    page = Page(render_html(report, paged=True))
    assert not page.all("svg") and not page.all("script")
    svg_imgs = [a for a in page.all("img") if a.get("src", "").startswith("data:image/svg+xml;base64,")]
    assert len(svg_imgs) == 2
    assert base64.b64decode(svg_imgs[0]["src"].split(",", 1)[1]).startswith(b"<svg")


@pytest.mark.parametrize("args, expected", [
    (["-o", "r.txt"], "must end in .html or .pdf"),
    (["-o", "r.html", "--by", "bogus"], "--by bogus: no such score"),
    (["-o", "r.html", "--map", "ssim:nope"], "--map ssim:nope: no such map"),
    (["-o", "r.html", "--crop", "big"], "--crop wants WxH"),
    (["-o", "r.html", "--metrics", "nope"], "unknown metric"),
    (["-o", "r.html", "--scores", "missing.json"], "missing.json: no such file"),
])
def test_bad_input_exits_2_with_one_line(pair, tmp_path, monkeypatch, capsys, args, expected):
    ref, dist = pair
    monkeypatch.chdir(tmp_path)
    assert _report(ref, dist, *args) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err and "\n" not in err and err.startswith("vqinspect: ")


def test_pdf_without_the_qt_writer_is_a_clear_error(pair, scores_json, tmp_path, monkeypatch, capsys):
    ref, dist = pair
    monkeypatch.setitem(sys.modules, "vqinspect.widgets.pdf", None)
    assert _report(ref, dist, "-o", tmp_path / "r.pdf", "--scores", scores_json, "--worst", "1") == 2
    assert "PDF output needs the Qt PDF writer" in capsys.readouterr().err


def test_worst_frame_pictures(pair):
    ref, dist = pair
    p = make_pair(open_media(ref), open_media(dist))
    ssim = get_metric("ssim")
    with ReportImageRenderer(p, ssim, "ssim", crop_size=(160, 90)) as renderer:
        panels = renderer.render(3)
        reference = renderer._readers[0].frame(3)
    assert [x.title for x in panels.panels] == ["Reference", "Distorted", "|Difference|", "Heatmap: ssim", "Detail ×2"]
    c = panels.crop
    assert (c.width, c.height) == (160, 90) and panels.frame_size == SMALL and panels.locator
    decoded = cv2.cvtColor(cv2.imdecode(np.frombuffer(panels.panels[0].png, np.uint8), 1), cv2.COLOR_BGR2RGB)
    expected = to_rgb(reference, pair_color_specs(p)[0])[c.y:c.y + c.height, c.x:c.x + c.width]
    assert np.array_equal(decoded, expected)                 # the crop is the frame as the inspector shows it
    bar = panels.panels[3].colorbar
    assert bar.colormap == "inferno" and not bar.higher_is_worse
    assert bar.best_worst[0] > bar.best_worst[1]             # SSIM: best at the high end
    with ReportImageRenderer(p, crop_size=(640, 360)) as renderer:
        whole = renderer.render(0)
    assert len(whole.panels) == 4 and whole.crop == Crop(0, 0, 320, 180) and whole.locator == b""
    detail = cv2.cvtColor(cv2.imdecode(np.frombuffer(whole.panels[3].png, np.uint8), 1), cv2.COLOR_BGR2RGB)
    first = to_rgb(renderer_frame(p, 0), pair_color_specs(p)[0])
    m = re.search(r"(\d+)×(\d+) at \((\d+), (\d+)\)", whole.panels[3].caption)
    w, h, x0, y0 = (int(v) for v in m.groups())
    assert whole.panels[3].title == "Detail ×2" and detail.shape == (2 * h, 2 * (2 * w) + 4, 3)
    # the left half is the reference's worst area with every pixel doubled
    assert np.array_equal(detail[:, :2 * w], np.kron(first[y0:y0 + h, x0:x0 + w], np.ones((2, 2, 1), np.uint8)))


def renderer_frame(pair, frame):
    with ReportImageRenderer(pair) as renderer:
        return renderer._readers[0].frame(frame)


def test_crop_goes_to_the_worst_area():
    badness = np.zeros((180, 320), np.float32)
    badness[150:170, 280:300] = 1.0
    crop = choose_crop((320, 180), (100, 60), badness)
    assert crop.x <= 280 and crop.x + crop.width >= 300 and crop.y + crop.height >= 170
    assert crop.x + crop.width <= 320 and crop.y + crop.height <= 180


def test_downscaled_map_lands_on_its_pixels():
    values = np.arange(4, dtype=np.float32).reshape(2, 2)      # a 2x2 map of a 4x4 frame
    on_frame = map_on_frame(values, (4, 4), Crop(0, 0, 4, 4))
    assert on_frame.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]
    assert map_on_frame(values, (4, 4), Crop(2, 1, 2, 2)).tolist() == [[1, 1], [3, 3]]


def test_svg_plot_gaps_marks_and_escaping():
    frames = np.arange(10)
    values = np.array([1, 2, 3, np.nan, np.nan, 4, 5, 6, 7, 8], dtype=float)
    svg = series_svg(frames, {"<k>": values}, title="t", marks=[(1, 0), (2, 1)], mark_key="<k>")
    page = Page(svg)
    assert len(page.all("polyline")) == 2                    # the gap breaks the line
    assert [a["data-frame"] for a in page.all("g", **{"class": "worst"})] == ["0", "1"]
    assert "&lt;k&gt;" in svg and "<k>" not in svg.replace("&lt;k&gt;", "")
    long = series_svg(np.arange(100_000), {"x": np.random.default_rng(0).random(100_000)})
    assert len(long) < 200_000                               # long clips are reduced per pixel column


def test_plot_groups():
    keys = ["psnr_y", "psnr_u", "psnr_v", "psnr_avg", "ssim", "ms_ssim", "vmaf", "vif_scale0", "adm2", "motion2"]
    assert plot_groups(keys) == [("psnr", ("psnr_y", "psnr_u", "psnr_v", "psnr_avg")), ("ssim", ("ssim",)),
                                 ("ms_ssim", ("ms_ssim",)), ("vmaf", ("vmaf",))]
    assert plot_groups(["vif_scale0", "vif_scale1", "adm2"]) == [("vif", ("vif_scale0", "vif_scale1")),
                                                                 ("adm", ("adm2",))]
