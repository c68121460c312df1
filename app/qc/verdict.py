"""The verdict of a scoring run against a QC profile: PASS, or FAIL with each failed rule's
value, limit and the frames where it failed."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from vqinspect.app.display.screen import timecode
from vqinspect.app.qc.profile import Profile, Rule
from vqinspect.app.scoring.results import ScoreTable, json_number
from vqinspect.metrics.registry import format_value


@dataclass(frozen=True)
class RuleFailure:
    rule: Rule
    value: float            # the pooled statistic; for a per-frame rule the longest failing run
    ranges: tuple[tuple[int, int], ...]   # failing frames, [start, stop) in reference frames
    reason: str

    def to_json(self) -> dict:
        return {"rule": self.rule.text, "key": self.rule.key, "stat": self.rule.stat, "op": self.rule.op,
                "limit": self.rule.limit, "value": json_number(self.value), "reason": self.reason,
                "ranges": [list(r) for r in self.ranges]}


@dataclass
class Verdict:
    profile: Profile
    failures: list[RuleFailure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_json(self) -> dict:
        return {"profile": self.profile.name, "title": self.profile.title, "passed": self.passed,
                "rules": [r.describe() for r in self.profile.rules],
                "failures": [f.to_json() for f in self.failures]}

    def lines(self, fps: Fraction | float | None = None) -> list[str]:
        """The terminal's words: the verdict, then one line per failed rule."""
        head = (f"{'PASS' if self.passed else 'FAIL'}: QC profile {self.profile.name} "
                f"({len(self.profile.rules) - len(self.failures)} of {len(self.profile.rules)} rules met)")
        return [head] + [f"  {f.rule.describe()}: {f.reason}{_where(f.ranges, fps)}" for f in self.failures]


def judge(profile: Profile, table: ScoreTable) -> Verdict:
    """Check every rule of ``profile`` on the scored frames of ``table``."""
    verdict = Verdict(profile)
    for rule in profile.rules:
        failure = _check(rule, table)
        if failure is not None:
            verdict.failures.append(failure)
    return verdict


def failing_ranges(mask: np.ndarray, start: int, longer_than: int = 0) -> list[tuple[int, int]]:
    """Runs of True in ``mask`` (frame ``start`` at index 0) longer than ``longer_than`` frames."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return [(start + int(a), start + int(b)) for a, b in zip(edges[::2], edges[1::2]) if b - a > longer_than]


def _check(rule: Rule, table: ScoreTable) -> RuleFailure | None:
    if rule.key not in table.keys or not np.isfinite(table.column(rule.key)).any():
        return RuleFailure(rule, math.nan, (), f"{rule.key} was not scored")
    values = table.column(rule.key)
    scored = np.isfinite(values)
    failing = scored & ~rule.holds(np.where(scored, values, rule.limit))
    if not rule.per_frame:
        value = _statistic(values[scored], rule.stat)
        if rule.holds(value):
            return None
        return RuleFailure(rule, value, tuple(failing_ranges(failing, table.start)),
                           f"{format_value(value)} (limit {rule.limit:g})")
    runs = failing_ranges(failing, table.start)
    longest = max((b - a for a, b in runs), default=0)
    count = int(failing.sum())
    too_long = [r for r in runs if r[1] - r[0] > rule.max_run]
    too_many = rule.max_frames is not None and count > rule.max_frames
    if not too_long and not too_many:
        return None
    if too_long:
        reason = f"{longest} consecutive frames fail" if longest > 1 else "a frame fails"
    else:
        reason = f"{count} frames fail"
    return RuleFailure(rule, float(longest), tuple(too_long or runs), reason)


def _statistic(values: np.ndarray, stat: str) -> float:
    if stat == "mean":
        return float(values.mean())
    if stat == "harmonic_mean":
        return float(1.0 / np.mean(1.0 / (values + 1.0)) - 1.0) if values.min() >= 0 else math.nan
    if stat in ("min", "max"):
        return float(values.min() if stat == "min" else values.max())
    return float(np.percentile(values, int(stat[1:])))


def _where(ranges, fps, most: int = 4) -> str:
    if not ranges:
        return ""
    parts = []
    for a, b in ranges[:most]:
        frames = f"{a}" if b - a == 1 else f"{a}-{b - 1}"
        times = timecode(a, fps) if b - a == 1 else f"{timecode(a, fps)}–{timecode(b - 1, fps)}"
        parts.append(f"{frames} ({times})" if fps else frames)
    more = f" and {len(ranges) - most} more" if len(ranges) > most else ""
    return f"; frames {', '.join(parts)}{more}"
