"""`vqinspect report -o x.pdf`: Qt lays the report out on A4 pages with real text."""
import json

import pypdf
import pytest

from vqinspect.__main__ import main
from tests.clips import clip, lossless


@pytest.fixture(scope="module")
def pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf")
    ref, dist = lossless(frames=8, size=(320, 180)), clip(frames=8, size=(320, 180), crf=38)
    scores = out / "s.json"
    assert main(["score", str(ref), str(dist), "--metrics", "psnr,ssim", "--json", str(scores), "--quiet"]) == 0
    path = out / "report.pdf"
    assert main(["report", str(ref), str(dist), "--scores", str(scores), "-o", str(path), "--worst", "3"]) == 0
    return path, json.loads(scores.read_text())


def test_pdf_pages_and_text(pdf):
    path, scores = pdf
    reader = pypdf.PdfReader(str(path))
    assert 1 <= len(reader.pages) <= 4
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    for heading in ("Clips", "Alignment", "Pooled statistics", "worst moments"):
        assert heading in text
    mean = scores["pooled"]["psnr_y"]["mean"]
    assert f"{mean:.3f}" in text
    worst = min(scores["frames"], key=lambda f: f["psnr_y"])["frame"]
    assert f"frame {worst}" in text
    images = sum(len(p.images) for p in reader.pages)
    assert images >= 6  # a moment: reference, distorted, difference, heatmap and its scale, detail
