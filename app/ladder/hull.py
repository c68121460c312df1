"""The rate-quality convex hull of a set of encodes, as Netflix's ``calculate_convex_hull``
(python/vmaf/tools/convex_hull.py) builds it: the upper-left envelope in *linear* rate.

1. distinct (rate, quality) points sorted by rate, then quality;
2. a point is kept only if its quality is at least the last kept one's (a higher rate for a
   lower quality is never worth it);
3. Andrew's monotone chain over the kept points from the highest rate down, popping while the
   last two hull points and the new one do not turn counter-clockwise (collinear points go).

Encodes of every resolution are pooled: the resolution of each hull point is the one to use
at that rate.
"""
from __future__ import annotations

from typing import Hashable, Iterable, NamedTuple


class RdPoint(NamedTuple):
    rate: float
    metric: float


def cross(o: RdPoint, a: RdPoint, b: RdPoint) -> float:
    """z of (a − o) × (b − o): positive for a counter-clockwise turn o → a → b."""
    return (a.rate - o.rate) * (b.metric - o.metric) - (a.metric - o.metric) * (b.rate - o.rate)


def convex_hull(points: Iterable[tuple[float, float]]) -> list[RdPoint]:
    """The hull's points, highest rate first (Netflix's order)."""
    ordered = sorted({RdPoint(float(r), float(m)) for r, m in points})
    monotonic: list[RdPoint] = []
    for p in ordered:
        if not monotonic or p.metric >= monotonic[-1].metric:
            monotonic.append(p)
    if len(monotonic) <= 1:
        return monotonic
    hull: list[RdPoint] = []
    for p in reversed(monotonic):
        while len(hull) >= 2 and cross(hull[-2], hull[-1], p) <= 0:
            hull.pop()
        hull.append(p)
    return hull


def on_hull(items: dict[Hashable, tuple[float, float]]) -> dict[Hashable, bool]:
    """For each item's (rate, quality): whether it is a hull point (equal points are all on it).
    Items with a non-finite rate or quality are never on the hull."""
    finite = {k: p for k, p in items.items() if all(v == v and abs(v) != float("inf") for v in p)}
    hull = set(convex_hull(finite.values()))
    return {k: k in finite and RdPoint(float(items[k][0]), float(items[k][1])) in hull for k in items}
