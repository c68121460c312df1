"""Problem moments on real footage: shots found where the reference cuts, one moment per shot."""
import numpy as np
import pytest

from vqinspect.app.media.source import open_media
from vqinspect.app.qc.moments import problem_moments, shot_cuts
from vqinspect.app.scoring.signatures import clip_signatures
from tests.qc_clips import cut_clip, spliced


@pytest.fixture(scope="module")
def two_shots():
    return cut_clip(frames_each=20)


def test_the_cut_between_two_shots_is_found_and_nothing_else(two_shots):
    ref, _, cut = two_shots
    assert shot_cuts(clip_signatures(open_media(ref))) == [cut]


def test_one_continuous_shot_has_no_cut():
    ref, _ = spliced("moments_plain", [], frames=40)
    assert shot_cuts(clip_signatures(open_media(ref))) == []


def test_moments_are_grouped_across_the_shot_cut(two_shots, tmp_path):
    """A report on the two-shot clip: its two moments lie in different shots, each at its
    shot's worst frame, and each moment's frames stay within its shot."""
    import json

    from vqinspect.__main__ import main as vq_main
    from tests.app.report.test_report import Page

    ref, dist, cut = two_shots
    scores = tmp_path / "s.json"
    assert vq_main(["score", str(ref), str(dist), "--metrics", "psnr", "--json", str(scores), "--quiet"]) == 0
    out = tmp_path / "r.html"
    assert vq_main(["report", str(ref), str(dist), "--scores", str(scores), "-o", str(out), "--worst", "4",
                    "--map", "none", "--quiet"]) == 0
    frames = json.loads(scores.read_text())["frames"]
    psnr = np.array([f["psnr_y"] for f in frames])
    rows = Page(out.read_text()).all("article", **{"class": "worst-frame"})
    shots = [(0, cut), (cut, len(psnr))]
    firsts = [int(r["data-frame"]) for r in rows[:2]]
    assert sorted(firsts) == sorted(a + int(np.argmin(psnr[a:b])) for a, b in shots)   # each shot's worst
    for r in rows:
        a, b = int(r["data-moment-start"]), int(r["data-moment-stop"])
        assert (a < cut) == (b <= cut)                                           # never across the cut
    assert "1 cut found in the reference" in out.read_text()


def test_a_single_shot_gives_distinct_moments_a_second_apart():
    rng = np.random.default_rng(1)
    values = 90 + rng.normal(0, 1, 200)
    values[[20, 21, 22, 30, 120]] = [60, 58, 61, 59, 65]
    moments = problem_moments(values, 0, higher_is_worse=False, cuts=[], count=3, min_gap=25)
    assert [m.worst for m in moments][:2] == [21, 120]
    assert moments[0].start <= 20 and moments[0].stop >= 23
    assert all(abs(a.worst - b.worst) >= 25 for i, a in enumerate(moments) for b in moments[i + 1:])


def test_unscored_frames_are_never_a_moment():
    values = np.array([np.nan, 50.0, np.nan, 80.0])
    moments = problem_moments(values, 10, higher_is_worse=False, cuts=[], count=5, min_gap=1)
    assert [m.worst for m in moments] == [11, 13]
