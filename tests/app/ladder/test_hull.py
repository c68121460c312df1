"""The convex hull as Netflix's calculate_convex_hull builds it."""
import numpy as np

from vqinspect.app.ladder.hull import RdPoint, convex_hull, on_hull


def test_the_notes_example():
    """Computed with Netflix's repository code (/work/shared/notes/ladder.md, sec. 5)."""
    points = [(1, 10), (2, 15), (3, 22), (4, 23), (5, 22.5), (2.5, 21), (6, 23.5)]
    assert convex_hull(points) == [(6, 23.5), (4, 23), (3, 22), (2.5, 21), (1, 10)]


def test_trivial_inputs():
    assert convex_hull([]) == []
    assert convex_hull([(3, 1), (3, 1)]) == [RdPoint(3, 1)]
    assert convex_hull([(1, 5), (2, 4)]) == [RdPoint(1, 5)]           # higher rate, lower quality


def test_collinear_points_are_not_on_the_hull():
    assert convex_hull([(1, 1), (2, 2), (3, 3)]) == [(3, 3), (1, 1)]


def _brute_force(points):
    """Upper concave envelope by definition: after dropping every point some lower-rate point
    beats or equals, a point is a vertex unless it lies on or under a chord of two others."""
    kept = [p for p in points if all(q[1] <= p[1] for q in points if q[0] < p[0])]
    vertices = []
    for p in kept:
        under = any(a[0] < p[0] < b[0] and
                    p[1] <= a[1] + (b[1] - a[1]) * (p[0] - a[0]) / (b[0] - a[0])
                    for a in kept for b in kept)
        if not under:
            vertices.append(p)
    return sorted(vertices, reverse=True)


def test_random_sets_against_the_definition():
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(2, 12))
        rates = rng.choice(np.arange(100, 5000, 37), size=n, replace=False).astype(float)
        quality = np.round(100 * (1 - np.exp(-rates / 1500)) + rng.normal(0, 6, n), 1)
        points = list(zip(rates.tolist(), quality.tolist()))
        assert [tuple(p) for p in convex_hull(points)] == _brute_force(points)


def test_on_hull_marks_items():
    items = {"a": (1, 10), "b": (2, 15), "c": (3, 22), "d": (5, 22.5), "e": (4, 23), "f": (6, float("nan"))}
    assert on_hull(items) == {"a": True, "b": False, "c": True, "d": False, "e": True, "f": False}
