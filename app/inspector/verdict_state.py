"""The window's QC verdict, Qt-free: the chosen profile, its verdict on the finished scores, the
rows the summary shows, the ranges shaded on the plots and the stops N / P walk through.

The verdict is judged on a complete scoring run only: while scoring runs it is pending, and a
cancelled or broken run is not judged (a verdict on part of a clip would mislead).

N / P walk one list (``problem_stops``): the first frame of every failing range, in frame
order, then the worst frames of the chosen key, worst first, leaving out frames already
listed. Without failing ranges that is the worst-frames list, walked as before.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vqinspect.app.qc.profile import Profile, Rule
from vqinspect.app.qc.verdict import RuleFailure, Verdict, _statistic, failing_ranges, judge
from vqinspect.app.scoring.results import ScoreTable
from vqinspect.app.shared.events import Event
from vqinspect.metrics.registry import key_info

MAX_SHADED = 200        # ranges drawn per plot; more are merged across their smallest gaps


@dataclass(frozen=True)
class RuleRow:
    """One rule as the summary shows it: met or not, the value behind it, where it fails."""

    rule: Rule
    met: bool
    value: str                                  # "86.21", "15 consecutive frames fail"
    ranges: tuple[tuple[int, int], ...] = ()    # failing frames [start, stop)


@dataclass(frozen=True)
class Stop:
    """A frame N / P stop at: the start of a failing range, or one of the worst frames."""

    frame: int
    kind: str               # "range" or "worst"
    rank: int               # 1-based, within its kind
    of: int                 # how many of its kind
    detail: str             # "frames 12–26, psnr_y >= 40" or "psnr_y 24.80"

    def describe(self) -> str:
        what = "failing range" if self.kind == "range" else "worst frame"
        return f"{what} {self.rank} of {self.of}: {self.detail}"


def frames_text(a: int, b: int) -> str:
    return f"frame {a}" if b - a == 1 else f"frames {a}–{b - 1}"


def rule_rows(verdict: Verdict, table: ScoreTable) -> list[RuleRow]:
    """Every rule of the verdict's profile, in profile order, with its value."""
    failed = {f.rule: f for f in verdict.failures}
    return [_failed_row(failed[r]) if r in failed else _met_row(r, table) for r in verdict.profile.rules]


def _failed_row(failure: RuleFailure) -> RuleRow:
    rule = failure.rule
    if not rule.per_frame:
        value = key_info(rule.key).format(failure.value) if math.isfinite(failure.value) else failure.reason
    elif not failure.ranges:                                 # not scored
        value = failure.reason
    elif failure.value > rule.max_run:
        value = f"{int(failure.value)}-frame run" if failure.value > 1 else "1 frame"
    else:
        value = f"{sum(b - a for a, b in failure.ranges)} frames"
    return RuleRow(rule, False, value, failure.ranges)


def _met_row(rule: Rule, table: ScoreTable) -> RuleRow:
    values = table.column(rule.key)
    scored = np.isfinite(values)
    if not rule.per_frame:
        return RuleRow(rule, True, key_info(rule.key).format(_statistic(values[scored], rule.stat)))
    failing = scored & ~rule.holds(np.where(scored, values, rule.limit))
    runs = failing_ranges(failing, table.start)
    if not runs:
        return RuleRow(rule, True, "no frame fails")
    return RuleRow(rule, True, f"longest run {max(b - a for a, b in runs)}")


def rule_text(rule: Rule) -> str:
    """A rule in a few words: ``psnr_y ≥ 40 except runs ≤ 10 frames``."""
    text = rule.text.replace(">=", "≥").replace("<=", "≤")
    if not rule.per_frame:
        return text
    parts = [f"runs ≤ {rule.max_run} frames"] if rule.max_run else []
    if rule.max_frames is not None:
        parts.append(f"≤ {rule.max_frames} frames in all")
    return f"{text} except {', '.join(parts)}" if parts else f"{text} on every frame"


def shaded_ranges(verdict: Verdict | None) -> dict[str, list[tuple[int, int]]]:
    """Per score key, the failing ranges of its rules, merged, at most MAX_SHADED."""
    out: dict[str, list[tuple[int, int]]] = {}
    for failure in verdict.failures if verdict is not None else ():
        out.setdefault(failure.rule.key, []).extend(failure.ranges)
    return {key: _few(_union(ranges)) for key, ranges in out.items() if ranges}


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[list[int]] = []
    for a, b in sorted(ranges):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]


def _few(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge neighbours across the smallest gaps until at most MAX_SHADED ranges remain."""
    while len(ranges) > MAX_SHADED:
        gaps = sorted(ranges[i + 1][0] - ranges[i][1] for i in range(len(ranges) - 1))
        bridge = gaps[len(ranges) - MAX_SHADED - 1]
        out = [ranges[0]]
        for a, b in ranges[1:]:
            if a - out[-1][1] <= bridge:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        ranges = out
    return ranges


def problem_stops(verdict: Verdict | None, worst: list[tuple[int, float]], key: str) -> list[Stop]:
    """Failing ranges' first frames (frame order), then the worst frames of ``key`` not listed yet
    (each keeps its rank in the worst-frames list)."""
    starts: dict[int, list] = {}                 # first frame -> (stop, rule) of each failing range there
    failures = verdict.failures if verdict is not None else []
    for failure in sorted(failures, key=lambda f: not f.rule.per_frame):     # per-frame rules named first
        for a, b in failure.ranges:
            starts.setdefault(a, []).append((b, failure.rule))
    stops = [Stop(frame, "range", i, len(starts), _range_detail(frame, found))
             for i, (frame, found) in enumerate(sorted(starts.items()), start=1)]
    stops += [Stop(frame, "worst", rank, len(worst), f"{key} {key_info(key).format(value)}")
              for rank, (frame, value) in enumerate(worst, start=1) if frame not in starts]
    return stops


def _range_detail(a: int, found: list) -> str:
    b, rule = found[0]
    more = len({r for _, r in found}) - 1
    text = rule.text.replace(">=", "≥").replace("<=", "≤")
    return f"{frames_text(a, b)}, {text}" + (f" and {more} more rule{'s' if more > 1 else ''}" if more else "")


class StopWalker:
    """N / P through a list of stops, as through the worst frames before: the first press goes
    to the first stop (P: the last); while the window stays on the stop last gone to, the next
    presses move along the list from it."""

    def __init__(self):
        self._cursor: tuple[list[Stop], int] | None = None

    def step(self, stops: list[Stop], frame: int, direction: int) -> Stop | None:
        if not stops:
            return None
        cursor = self._cursor
        if cursor is not None and cursor[0] == stops and stops[cursor[1]].frame == frame:
            index = (cursor[1] + direction) % len(stops)
        else:
            index = 0 if direction > 0 else len(stops) - 1
        self._cursor = (stops, index)
        return stops[index]

    def at(self, stops: list[Stop], frame: int) -> Stop | None:
        """The stop the window is on: the one last stepped to if the frame is still its frame
        (a frame can be both a range's start and a worst frame), else the first at ``frame``."""
        if self._cursor is not None:
            listed, index = self._cursor
            if listed == stops and stops[index].frame == frame:
                return stops[index]
        return next((s for s in stops if s.frame == frame), None)


class VerdictState:
    """The chosen profile and its verdict. ``changed()`` after every change.

    ``status``: "none" (no profile), "pending" (scoring runs), "judged", or "unjudged" (the
    scores are not a complete run: ``note`` says why)."""

    def __init__(self):
        self.changed = Event()
        self.profile: Profile | None = None
        self.spec = ""                        # what the user chose: a shipped name or a file's path
        self.verdict: Verdict | None = None
        self.rows: list[RuleRow] = []
        self.status = "none"
        self.note = ""

    def set_profile(self, profile: Profile | None, spec: str = "") -> None:
        self.profile, self.spec = profile, spec if profile is not None else ""
        self._set(None, [], "none" if profile is None else "pending", "")

    def wait(self) -> None:
        """Scores are being computed: judged when they are complete."""
        self._set(None, [], "none" if self.profile is None else "pending", "")

    def judge(self, table: ScoreTable | None, complete: bool, why: str = "") -> None:
        """Judge ``table`` if it is a complete run; otherwise say ``why`` it is not judged."""
        if self.profile is None:
            return self._set(None, [], "none", "")
        if table is None or not complete:
            return self._set(None, [], "unjudged", why)
        verdict = judge(self.profile, table)
        self._set(verdict, rule_rows(verdict, table), "judged", "")

    def _set(self, verdict, rows, status: str, note: str) -> None:
        self.verdict, self.rows, self.status, self.note = verdict, rows, status, note
        self.changed.emit()
