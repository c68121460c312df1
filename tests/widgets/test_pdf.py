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


def test_every_pdf_page_has_content_and_no_page_is_only_a_footer(tmp_path):
    """A QC report with a verdict and two moments, every page rendered to pixels (pdfium):
    each page carries ink over a good part of its height, the verdict box is on page 1, and the
    pictures of a moment are never split from its heading."""
    import numpy as np
    import pypdfium2

    from tests.qc_clips import cut_clip

    ref, dist, _ = cut_clip(frames_each=20)
    path = tmp_path / "qc.pdf"
    status = main(["report", str(ref), str(dist), "--metrics", "psnr,ssim", "-o", str(path), "--worst", "2",
                   "--profile", "mezzanine", "--quiet"])
    assert status == 4                                            # FAIL: the encode is CRF 45
    document = pypdfium2.PdfDocument(str(path))
    texts = ["".join(p.extract_text().split()) for p in pypdf.PdfReader(str(path)).pages]   # kerning splits words
    assert "QCverdict:FAIL" in texts[0] and "Click" not in "".join(texts)
    for number, page in enumerate(document, start=1):
        pixels = page.render(scale=0.5).to_numpy()[..., :3]
        ink_rows = (pixels.min(axis=(1, 2)) < 200)               # rows with anything darker than paper
        assert ink_rows.mean() > 0.2, f"page {number} is almost empty ({ink_rows.mean():.0%} of its rows)"
    for text in texts:
        heads = text.count("·frame")
        assert heads == 0 or text.count("Referenceframe") >= heads   # a moment's pictures are on its page
