"""The window's verdict model without Qt: rows for met and failed rules, N / P stops, shading."""
import numpy as np

from vqinspect.app.inspector import verdict_state
from vqinspect.app.inspector.verdict_state import (StopWalker, VerdictState, problem_stops, rule_rows, rule_text,
                                                   shaded_ranges)
from vqinspect.app.qc.profile import Profile, parse_rule
from vqinspect.app.qc.verdict import judge
from vqinspect.app.scoring.results import ScoreTable


def _table(values, start=100):
    table = ScoreTable(start, start + len(values), ["psnr_y"])
    for i, v in enumerate(values):
        if np.isfinite(v):
            table.set_row(start + i, {"psnr_y": float(v)})
    return table


def _profile(*rules):
    return Profile("t", "T", "", tuple(parse_rule(r) for r in rules))


# frames 100..119: 50 dB except 30 dB on 103..105 and 110, unscored 115
VALUES = np.full(20, 50.0)
VALUES[3:6] = 30.0
VALUES[10] = 30.0
VALUES[15] = np.nan


def test_rows_say_met_or_failed_with_values_in_profile_order():
    table = _table(VALUES)
    profile = _profile({"check": "psnr_y >= 40", "max_run": 2}, "psnr_y.min >= 20", "psnr_y.mean >= 49",
                       {"check": "psnr_y >= 40", "max_run": 3})
    verdict = judge(profile, table)
    rows = rule_rows(verdict, table)
    assert [r.met for r in rows] == [False, True, False, True]
    assert rows[0].value == "3-frame run" and rows[0].ranges == ((103, 106),)
    assert rows[1].value == "30.000"                                  # the minimum, as judged
    mean = np.nanmean(VALUES)                                         # (16 * 50 + 4 * 30) / 19
    assert rows[2].value == f"{mean:.3f}" and rows[2].ranges == ((103, 106), (110, 111))
    assert rows[3].value == "longest run 3"
    assert rule_text(profile.rules[0]) == "psnr_y ≥ 40 except runs ≤ 2 frames"
    assert rule_text(parse_rule("psnr_y >= 40")) == "psnr_y ≥ 40 on every frame"


def test_stops_are_failing_ranges_in_frame_order_then_worst_frames_by_rank():
    table = _table(VALUES)
    verdict = judge(_profile("psnr_y >= 40"), table)
    worst = [(110, 30.0), (103, 30.0), (104, 30.0), (105, 30.0), (100, 50.0)]
    stops = problem_stops(verdict, worst, "psnr_y")
    assert [(s.frame, s.kind) for s in stops] == [(103, "range"), (110, "range"), (104, "worst"), (105, "worst"),
                                                  (100, "worst")]
    assert [s.rank for s in stops] == [1, 2, 3, 4, 5] and stops[2].of == 5     # ranks as listed
    assert stops[0].describe() == "failing range 1 of 2: frames 103–105, psnr_y ≥ 40"
    both = judge(_profile("psnr_y.mean >= 49", "psnr_y >= 40"), table)   # the per-frame rule is named
    assert problem_stops(both, [], "psnr_y")[0].detail == "frames 103–105, psnr_y ≥ 40 and 1 more rule"

    walker, frame = StopWalker(), 119
    visited = []
    for _ in range(6):
        frame = walker.step(stops, frame, 1).frame
        visited.append(frame)
    assert visited == [103, 110, 104, 105, 100, 103]                  # round the list
    assert walker.step(stops, frame, -1).frame == 100
    assert walker.step(stops, 107, -1).frame == 100                   # moved away: P starts from the end
    assert walker.step(stops, 107, 1).frame == 103


def test_shading_merges_rules_on_a_key_and_keeps_few_ranges(monkeypatch):
    table = _table(VALUES)
    verdict = judge(_profile("psnr_y >= 40", "psnr_y.mean >= 49"), table)
    assert shaded_ranges(verdict) == {"psnr_y": [(103, 106), (110, 111)]}
    monkeypatch.setattr(verdict_state, "MAX_SHADED", 1)
    assert shaded_ranges(verdict) == {"psnr_y": [(103, 111)]}
    assert shaded_ranges(None) == {}


def test_state_is_pending_judged_or_not_judged():
    seen = []
    state = VerdictState()
    state.changed.connect(lambda: seen.append(state.status))
    state.set_profile(_profile("psnr_y >= 40"), "p.toml")
    state.judge(_table(VALUES), complete=False, why="scoring was cancelled")
    assert state.verdict is None and state.note == "scoring was cancelled"
    state.judge(_table(VALUES), complete=True)
    assert not state.verdict.passed and len(state.rows) == 1
    state.wait()
    state.set_profile(None)
    assert seen == ["pending", "unjudged", "judged", "pending", "none"] and state.spec == ""
