"""`vqinspect masks --report`: the page checked against the JSON of the same run (sections,
numbers, the least stable frames and their pictures), escaping, the PDF, and bad input."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from pypdf import PdfReader

from vqinspect.app.masks.report import MaskPictures
from vqinspect.app.masks.run import least_stable
from vqinspect.app.masks.scorer import MaskOptions, open_mask_inputs
from vqinspect.__main__ import main as vq_main
from vqinspect.app.masks.display import GT_RGB, contour
from vqinspect.app.scoring.results import ScoreTable
from tests.app.report.test_report import EVIL, Page
from tests.mask_clips import CORRUPTED, DROPOUT, SECOND_ID_SHIFT, mask_clip

AFFECTED = sorted({t for k in CORRUPTED for t in (k, k + 1)})      # a corrupted frame and the one after
WORST = len(AFFECTED)
PICTURES = ("Masks", "Warped residual", "Error")


@pytest.fixture(scope="module")
def clip():
    return mask_clip()


def _masks(clip, *extra) -> list[str]:
    return ["--pred", str(clip["pred"]), "--gt", str(clip["gt"]), "--source", str(clip["source"]),
            *map(str, extra), "--quiet"]


@pytest.fixture(scope="module")
def html_run(clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("mask_report")
    assert vq_main(["masks"] + _masks(clip, "--json", out / "m.json", "--report", out / "m.html", "--worst", WORST)) == 0
    return json.loads((out / "m.json").read_text()), Page((out / "m.html").read_text())


def _section(page: Page, name: str) -> Page:
    """The elements of one section of the page (sections do not nest)."""
    part = Page("")
    inside = False
    for tag, a in page.elements:
        if tag == "section":
            inside = a.get("id") == name
        if inside:
            part.elements.append((tag, a))
    return part


def _table(data: dict) -> ScoreTable:
    """The run's table, rebuilt from its JSON."""
    table = ScoreTable(0, data["alignment"]["frames"], data["metrics"])
    for row in data["frames"]:
        table.set_row(row["frame"], {k: np.nan if v is None else v for k, v in row.items() if k != "frame"})
    return table


def _decode(img: dict) -> np.ndarray:
    png = base64.b64decode(img["src"].split(",", 1)[1])
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _rows(page: Page) -> list[dict]:
    return page.all("article", **{"class": "worst-frame"})


def _quoted(page: Page) -> dict[int, dict[str, float]]:
    """Each row's quoted values: frame -> key -> value, from the spans inside its article."""
    rows, frame = {}, None
    for tag, a in page.elements:
        if tag == "article" and a.get("class") == "worst-frame":
            frame = int(a["data-frame"])
            rows[frame] = {}
        elif tag == "span" and frame is not None and "data-key" in a:
            rows[frame][a["data-key"]] = float(a["data-value"])
    return rows


def test_the_least_stable_frames_are_those_of_the_json_and_the_corrupted_ones(html_run):
    data, page = html_run
    assert page.sections == ["summary", "inputs", "clip", "statistics", "plots", "unstable"]
    frames = [int(r["data-frame"]) for r in _rows(page)]
    assert frames == least_stable(_table(data), WORST)
    assert sorted(frames) == AFFECTED and frames[:2] == [21, 20]       # the empty frame hurts most
    by_frame = {f["frame"]: f for f in data["frames"]}
    for row in _rows(page):
        values = by_frame[int(row["data-frame"])]
        assert float(row["data-instability"]) == pytest.approx(values["gt_tiou"] - values["tiou"], abs=1e-6)
    # each row quotes all of its frame's values, as the JSON has them, tiou first and in red
    for frame, quoted in _quoted(page).items():
        expected = {k: v for k, v in by_frame[frame].items() if k != "frame" and v is not None}
        assert quoted == pytest.approx(expected, abs=1e-6) and list(quoted)[:2] == ["tiou", "gt_tiou"]
    by = page.all("span", **{"class": "score by"})
    assert [float(s["data-value"]) for s in by] == pytest.approx([by_frame[f]["tiou"] for f in frames], abs=1e-6)
    # the pictures: a row of three per frame, each a whole 320x180 frame, with colour bars under the maps
    panels = page.all("img", **{"class": "zoomable"})
    assert len(panels) == WORST * len(PICTURES)
    assert [p["alt"] for p in panels] == list(PICTURES) * WORST
    assert all(_decode(p).shape == (180, 320, 3) for p in panels)
    assert len(page.all("img", **{"class": "ramp"})) == WORST * 2
    for rank, frame in enumerate(frames, start=1):
        assert f"#{rank} · frame {frame} · 00:00:00:{frame:02d}" in page.text


def test_statistics_are_the_json_numbers(html_run):
    data, page = html_run
    pooled, clip_stats = _section(page, "statistics"), _section(page, "clip")
    assert len(pooled.all("td", **{"data-stat": "mean"})) == len(data["pooled"])
    for key, stats in data["pooled"].items():
        for stat, value in stats.items():
            cell, = pooled.all("td", **{"data-key": key, "data-stat": stat})
            assert float(cell["data-value"]) == pytest.approx(value, abs=1e-6)
    assert len(clip_stats.all("td")) == 3 * 3
    for key in ("j", "f", "jf"):
        for stat in ("mean", "recall", "decay"):
            cell, = clip_stats.all("td", **{"data-key": key, "data-stat": stat})
            assert float(cell["data-value"]) == pytest.approx(data["clip"][key][stat], abs=1e-6)
    vc, = clip_stats.all("span", **{"data-key": "vc8", "data-stat": "clip"})
    assert float(vc["data-value"]) == pytest.approx(data["clip"]["vc8"], abs=1e-6)
    card, = page.all("td", **{"class": "card", "data-key": "J&F"})
    assert float(card["data-value"]) == pytest.approx(data["clip"]["jf"]["mean"], abs=1e-6)
    assert len(page.all("tr", **{"class": "by"})) == 1                     # tiou ranks the frames
    text = page.text
    assert "OpenCV DIS medium" in text and "binary: foreground from 128" in text
    for name in ("pred/%04d.png", "gt/%04d.png", "source.mkv"):
        assert name in text
    # the plots: J/F, tIoU, IoU prev and flips, the ground truth's line beside the prediction's
    assert [a["aria-label"] for a in page.all("svg")] == ["J / F", "tIoU", "IoU prev", "flips"]
    assert [a["data-key"] for a in page.all("g", **{"class": "series"})] == \
        ["j", "f", "tiou", "gt_tiou", "iou_prev", "gt_iou_prev", "flip_rate", "gt_flip_rate"]
    marks = page.all("g", **{"class": "worst"})
    assert len(marks) == 4 * WORST and {int(m["data-frame"]) for m in marks} == set(AFFECTED)
    # self-contained: nothing fetched from anywhere, only the page's own zoom script
    assert not page.all("link") and len(page.all("script")) == 1
    assert not any(a.get("src", "").startswith(("http", "//", "file")) for _, a in page.elements)


def test_pictures_show_the_dropout(clip, html_run):
    _, page = html_run
    rows = _rows(page)
    rank = [int(r["data-frame"]) for r in rows].index(DROPOUT)
    overlay, residual, error = (_decode(p) for p in page.all("img", **{"class": "zoomable"})[3 * rank:3 * rank + 3])
    wrong = clip.pred[DROPOUT] ^ clip.gt[DROPOUT]
    assert np.array_equal(error.sum(axis=2) > 300, wrong)                  # bright exactly where wrong
    y0, y1, x0, x1 = clip.dropout_box
    assert residual[y0:y1, x0:x1].sum(axis=2).mean() > 500                 # the hole lights up
    assert (overlay[contour(clip.gt[DROPOUT])] == GT_RGB).all()            # ground truth outlined green


def test_wide_frames_are_scaled_down_for_the_page(clip):
    inputs = open_mask_inputs(str(clip["pred"]), str(clip["gt"]), str(clip["source"]))
    with MaskPictures(inputs, MaskOptions(flow="ultrafast"), max_width=160) as pictures:
        panels = pictures.render(DROPOUT)
        first = pictures.render(0)
    assert [p.title for p in panels.panels] == list(PICTURES) and panels.frame_size == (320, 180)
    assert all(cv2.imdecode(np.frombuffer(p.png, np.uint8), 1).shape == (90, 160, 3) for p in panels.panels)
    assert [p.title for p in first.panels] == ["Masks", "Error"]           # no pair on frame 0


def test_file_names_are_escaped(clip, tmp_path):
    evil = tmp_path / EVIL.replace(".mp4", ".mkv")
    shutil.copy(clip["pred_video"], evil)
    out = tmp_path / "evil.html"
    assert vq_main(["masks", "--pred", str(evil), "--gt", str(clip["gt"]), "--report", str(out), "--worst", "1",
                       "--quiet"]) == 0
    text = out.read_text()
    page = Page(text)
    assert not any("onerror" in a for _, a in page.elements) and len(page.all("script")) == 1
    assert evil.name in page.text and "<img src=x" not in text
    assert "<title>Mask stability: &lt;img src=x onerror=alert(1)&gt;.mkv vs gt/%04d.png</title>" in text


def test_without_flow_or_ground_truth(clip, tmp_path):
    out = tmp_path / "p.html"
    assert vq_main(["masks", "--pred", str(clip["pred"]), "--json", str(tmp_path / "p.json"), "--report", str(out),
                       "--worst", "3", "--quiet"]) == 0
    data, page = json.loads((tmp_path / "p.json").read_text()), Page(out.read_text())
    assert [int(r["data-frame"]) for r in _rows(page)] == least_stable(_table(data), 3) == [20, 21, 12]
    assert [p["alt"] for p in page.all("img", **{"class": "zoomable"})] == ["Masks", "Flips"] * 3
    assert "The DAVIS statistics need ground truth" in page.text and "gt_" not in page.text


def test_label_maps_name_the_unstable_object(clip, tmp_path):
    out = tmp_path / "l.html"
    assert vq_main(["masks", "--pred", str(clip["pred_labels"]), "--gt", str(clip["gt_labels"]), "--source",
                       str(clip["source"]), "--report", str(out), "--worst", "2", "--flow", "ultrafast",
                       "--quiet"]) == 0
    page = Page(out.read_text())
    assert sorted(int(r["data-frame"]) for r in _rows(page)) == [SECOND_ID_SHIFT, SECOND_ID_SHIFT + 1]
    quoted = [s["data-key"] for s in page.all("span") if s.get("data-key", "").startswith("tiou_id")]
    assert quoted == ["tiou_id2", "tiou_id2"]                              # the ball, not the person
    assert len(_section(page, "clip").all("td", **{"data-key": "j_id2", "data-stat": "mean"})) == 1


def test_pdf_pages_and_text(clip, tmp_path):
    # a process of its own, as a user runs it: the Qt application the PDF writer makes must
    # not be the one later GUI tests in this process find
    out = tmp_path / "m.pdf"
    done = subprocess.run([sys.executable, "-m", "vqinspect", "masks", *_masks(clip, "--report", out, "--worst", WORST)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    pages = [" ".join(p.extract_text().replace("ﬂ", "fl").replace("ﬁ", "fi").split())
             for p in PdfReader(out).pages]
    text = " ".join(pages)
    assert "Mask stability: pred/%04d.png vs gt/%04d.png" in text and "Pooled statistics" in text
    heads = [[int(f) for f in re.findall(r"#\d+ · frame (\d+)", p)] for p in pages]
    first = next(i for i, h in enumerate(heads) if h)
    assert "least stable frames by tiou" in pages[first] and "Pooled statistics" not in pages[first]
    # rows never split: each page holds whole rows (heading, values, pictures, captions)
    assert [len(h) for h in heads[first:]] == [3, 4, 1] and len(pages) == first + 3
    assert sorted(f for h in heads for f in h) == AFFECTED
    assert all(p.count("Masks on the source") == len(h) for p, h in zip(pages, heads))


@pytest.mark.parametrize("args, message", [
    (["--report", "r.txt"], "r.txt: the report must end in .html or .pdf"),
    (["--report", "r.html", "--worst", "-1"], "--worst must be 0 or more"),
])
def test_bad_report_options_are_one_line_and_status_2(clip, tmp_path, capsys, args, message):
    json_out = tmp_path / "never.json"
    assert vq_main(["masks", "--pred", str(clip["pred"]), "--json", str(json_out), *args, "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("vqinspect: ") and "\n" not in err and message in err
    assert not json_out.exists()                                           # refused before scoring
