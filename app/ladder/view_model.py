"""What the window shows of a ladder, Qt-free: the rate–quality curves (one per resolution, per
group, or per group and resolution), the hull, what hovering a point says, the ticks of the
log-rate axis, and the order the ``[`` / ``]`` keys walk.

That order is the ladder's encodes sorted by measured bitrate (ties: lower resolution first,
then label), across every group and resolution; encodes without a measured bitrate (failed
ones) are left out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

from vqinspect.app.ladder.ladder import Encode, Ladder
from vqinspect.app.scoring.imports import ImportedScores
from vqinspect.metrics.registry import key_info

BY_RESOLUTION, BY_GROUP, BY_BOTH = "resolution", "group", "group and resolution"
CURVE_MODES = (BY_RESOLUTION, BY_GROUP, BY_BOTH)
NO_GROUP = "(no group)"


@dataclass(frozen=True)
class ChartCurve:
    """One line of the chart: its legend name and its encodes, lowest bitrate first."""

    name: str
    encodes: tuple[Encode, ...]

    def points(self, key: str) -> tuple[list[float], list[float]]:
        return [e.bitrate_kbps for e in self.encodes], [e.quality(key) for e in self.encodes]


def default_mode(ladder: Ladder) -> str:
    """Per group when the manifest named several (codecs or settings compared), else per resolution."""
    return BY_GROUP if len(ladder.groups) > 1 else BY_RESOLUTION


def plottable(ladder: Ladder, key: str) -> list[Encode]:
    """The scored encodes with a positive bitrate and a finite quality for ``key``, lowest bitrate first."""
    return sorted((e for e in ladder.scored() if e.bitrate_kbps > 0 and math.isfinite(e.quality(key))),
                  key=_rate_order)


def chart_curves(ladder: Ladder, key: str, mode: str) -> list[ChartCurve]:
    """The curves for ``key``: resolutions largest first, groups in the manifest's order."""
    if mode not in CURVE_MODES:
        raise ValueError(f"unknown curve mode {mode!r}")
    curves: dict[str, list[Encode]] = {}
    encodes = plottable(ladder, key)
    by_size = sorted(encodes, key=lambda e: (-e.width * e.height, -e.height))
    group_rank = {g: i for i, g in enumerate(ladder.groups)}
    for e in sorted(by_size, key=lambda e: group_rank[e.group]) if mode != BY_RESOLUTION else by_size:
        curves.setdefault(_curve_name(e, mode), []).append(e)
    return [ChartCurve(name, tuple(sorted(members, key=_rate_order))) for name, members in curves.items()]


def _curve_name(e: Encode, mode: str) -> str:
    group = e.group or NO_GROUP
    return {BY_RESOLUTION: e.resolution, BY_GROUP: group, BY_BOTH: f"{group} {e.resolution}"}[mode]


def hull_encodes(ladder: Ladder, key: str) -> list[Encode]:
    """The encodes the ladder JSON marks on ``key``'s convex hull, lowest bitrate first."""
    return [e for e in plottable(ladder, key) if e.on_hull.get(key)]


def describe(encode: Encode, keys: list[str], chosen: str) -> str:
    """What hovering a point says: the encode, its facts and each key's pooled mean."""
    facts = [encode.group, encode.resolution, encode.codec]
    rate = f"{encode.bitrate_kbps:.1f} kbit/s" if encode.bitrate_kbps is not None else "bitrate unknown"
    if encode.container_bitrate_kbps is not None:
        rate += f" (container says {encode.container_bitrate_kbps:.1f})"
    lines = [encode.label, " · ".join(f for f in facts if f), rate]
    for key in keys:
        mark = "  on hull" if encode.on_hull.get(key) else ""
        pointer = "▸ " if key == chosen else "  "
        lines.append(f"{pointer}{key} {key_info(key).format(encode.quality(key))}{mark}")
    return "\n".join(lines)


def _rate_order(e: Encode):
    return (e.bitrate_kbps if e.bitrate_kbps is not None else math.inf, e.width * e.height, e.label)


def walk_order(ladder: Ladder) -> list[Encode]:
    """The encodes ``[`` and ``]`` step through (see the module docstring)."""
    return sorted((e for e in ladder.encodes if e.bitrate_kbps is not None and not e.error), key=_rate_order)


def same_file(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


def neighbour(order: list[Encode], current: str | None, step: int) -> Encode | None:
    """The encode ``step`` places from ``current`` (a path) in ``order``; from a clip that is
    not in the ladder, ``]`` starts at the lowest bitrate and ``[`` at the highest. None past
    either end."""
    if not order:
        return None
    index = next((i for i, e in enumerate(order) if same_file(e.path, current)), None)
    if index is None:
        return order[0] if step > 0 else order[-1]
    target = index + step
    return order[target] if 0 <= target < len(order) else None


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[float]]:
    """Major and minor ticks (in kbit/s) of a log-rate axis from ``lo`` to ``hi`` kbit/s:
    1-2-5 steps as majors, the other integers of each decade as minors; every integer of the
    decade is a major when the range is too narrow for three 1-2-5 ticks."""
    if not (lo > 0 and hi > lo and math.isfinite(hi)):
        return [], []
    values = [m * 10.0 ** d for d in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
              for m in range(1, 10)]
    inside = [v for v in values if lo <= v * (1 + 1e-9) and v <= hi * (1 + 1e-9)]
    major = [v for v in inside if _mantissa(v) in (1, 2, 5)]
    if len(major) < 3:
        return inside, []
    return major, [v for v in inside if v not in major]


def _mantissa(v: float) -> int:
    return round(v / 10.0 ** math.floor(math.log10(v) + 1e-9))


def rate_text(kbps: float) -> str:
    """An axis label in kbit/s: whole numbers from 10 up."""
    return f"{kbps:.0f}" if kbps >= 10 else f"{kbps:g}"


@dataclass
class EncodeScores(ImportedScores):
    """An encode's per-frame scores overlaid on the inspector's plots, named after the encode."""

    encode_label: str = ""

    @property
    def label(self) -> str:
        return self.encode_label


def overlay_scores(imported: ImportedScores, encode: Encode, key: str) -> EncodeScores:
    """``imported`` (the encode's score JSON) reduced to ``key``, the chart's chosen key."""
    values = {f.name: getattr(imported, f.name) for f in fields(ImportedScores)}
    values["series"] = {k: v for k, v in imported.series.items() if k == key}
    rate = f" {encode.bitrate_kbps:.0f} kbit/s" if encode.bitrate_kbps is not None else ""
    return EncodeScores(**values, encode_label=encode.label + rate)
