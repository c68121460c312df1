"""QC verdicts on real encodes: the frames a real low-bitrate encode spoiled are known, so the
rules that must pass, fail and the failing ranges are known too."""
import json

import numpy as np
import pytest

from vqinspect.__main__ import main as vq_main
from vqinspect.app.qc.profile import load_profile, parse_rule, shipped_profiles
from vqinspect.app.qc.verdict import failing_ranges, judge
from vqinspect.app.scoring.results import ScoreTable
from vqinspect.app.shared.errors import InputError
from tests.qc_clips import spliced

BAD = [(12, 27)]          # 15 frames of CRF 45 in a lossless copy


@pytest.fixture(scope="module")
def pair():
    return spliced("verdict", BAD, frames=40)


def _profile(tmp_path, text: str) -> str:
    path = tmp_path / "p.toml"
    path.write_text(text)
    return str(path)


def _score(pair, tmp_path, profile, metrics="psnr"):
    out = tmp_path / "s.json"
    status = vq_main(["score", *map(str, pair), "--metrics", metrics, "--profile", profile, "--json", str(out),
                      "--quiet", "--threads", "1"])
    return status, json.loads(out.read_text())


def test_a_run_longer_than_allowed_fails_with_its_range(pair, tmp_path, capsys):
    profile = _profile(tmp_path, '[[rules]]\ncheck = "psnr_y >= 40"\nmax_run = 10\n')
    status, data = _score(pair, tmp_path, profile)
    assert status == 4
    verdict = data["verdict"]
    assert verdict["passed"] is False and len(verdict["failures"]) == 1
    failure = verdict["failures"][0]
    assert failure["ranges"] == [[12, 27]] and failure["value"] == 15
    out = capsys.readouterr().out
    assert "FAIL: QC profile p (0 of 1 rules met)" in out and "frames 12-26" in out


def test_the_same_run_within_the_allowance_passes(pair, tmp_path, capsys):
    profile = _profile(tmp_path, '[[rules]]\ncheck = "psnr_y >= 40"\nmax_run = 15\n\n'
                                 '[[rules]]\ncheck = "psnr_y.max >= 60"\n')
    status, data = _score(pair, tmp_path, profile)
    assert status == 0 and data["verdict"]["passed"] is True and data["verdict"]["failures"] == []
    assert "PASS: QC profile p (2 of 2 rules met)" in capsys.readouterr().out


def test_pooled_rules_give_value_limit_and_the_frames_below(pair, tmp_path):
    profile = _profile(tmp_path, '[[rules]]\ncheck = "psnr_y.p5 >= 40"\n\n[[rules]]\ncheck = "psnr_y.mean >= 40"\n')
    status, data = _score(pair, tmp_path, profile)
    psnr = np.array([f["psnr_y"] if f["psnr_y"] is not None else np.inf for f in data["frames"]])
    failures = {f["rule"]: f for f in data["verdict"]["failures"]}
    assert status == 4 and list(failures) == ["psnr_y.p5 >= 40"]          # the mean is pulled up by lossless frames
    assert failures["psnr_y.p5 >= 40"]["value"] == pytest.approx(np.percentile(psnr[np.isfinite(psnr)], 5), abs=1e-6) \
        or np.isinf(psnr).any()
    assert failures["psnr_y.p5 >= 40"]["ranges"] == [[12, 27]]


def test_a_profile_adds_the_metrics_it_needs(pair, tmp_path):
    profile = _profile(tmp_path, '[[rules]]\ncheck = "ssim.min >= 0.5"\n')
    status, data = _score(pair, tmp_path, profile, metrics="psnr")
    assert status == 0 and data["metrics"] == ["psnr", "ssim"]


@pytest.mark.parametrize("text, message", [
    ('[[rules]]\ncheck = "nope.mean >= 3"\n', "unknown score key 'nope'"),
    ('[[rules]]\ncheck = "vmaf <= 80"\n', "higher vmaf is better"),
    ('[[rules]]\ncheck = "vmaf.median >= 80"\n', "unknown statistic 'median'"),
    ('[[rules]]\ncheck = "vmaf is good"\n', "write it as KEY.STAT OP LIMIT"),
    ('rules = 3\n', "has no [[rules]]"),
    ('[[rules]\n', "is not a valid TOML profile"),
    ('[[rules]]\ncheck = "vmaf.mean >= 80"\nmax_run = 3\n', "go with per-frame rules"),
])
def test_a_bad_profile_is_one_line_and_status_2(pair, tmp_path, capsys, text, message):
    status = vq_main(["score", *map(str, pair), "--metrics", "psnr", "--profile", _profile(tmp_path, text), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and message in err[-1] and "Traceback" not in "\n".join(err)


def test_shipped_profiles_load_and_name_their_metrics():
    assert {"streaming-top-rung", "mezzanine"} <= set(shipped_profiles())
    assert "vmaf" in load_profile("streaming-top-rung").metrics()
    with pytest.raises(InputError, match="no QC profile 'nope'"):
        load_profile("nope")


def test_run_lengths_against_a_naive_count():
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 100, 500)
    values[rng.integers(0, 500, 60)] = np.nan                        # unscored frames break no run
    table = ScoreTable(100, 600, ["vmaf"])
    for i, v in enumerate(values):
        if np.isfinite(v):
            table.set_row(100 + i, {"vmaf": v})
    for max_run in (0, 1, 2, 3):
        verdict = judge(load_profile_from_rule(f"vmaf >= 40", max_run), table)
        runs, run = [], None
        for i, v in enumerate(values):                                 # naive: walk the frames
            failing = np.isfinite(v) and v < 40
            if failing and run is None:
                run = [100 + i, 100 + i + 1]
            elif failing:
                run[1] += 1
            if not failing and run is not None:
                runs.append(tuple(run))
                run = None
        if run is not None:
            runs.append(tuple(run))
        too_long = [r for r in runs if r[1] - r[0] > max_run]
        got = verdict.failures[0].ranges if verdict.failures else ()
        assert list(got) == too_long


def load_profile_from_rule(text, max_run):
    from vqinspect.app.qc.profile import Profile

    return Profile("t", "t", "", (parse_rule({"check": text, "max_run": max_run}),))


def test_failing_ranges():
    mask = np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)
    assert failing_ranges(mask, 10) == [(11, 13), (14, 15), (17, 18)]
    assert failing_ranges(mask, 10, longer_than=1) == [(11, 13)]
