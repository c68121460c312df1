"""Problem moments instead of worst frames: adjacent bad frames grouped, one moment per shot.

Shots are cut where the reference's picture changes at once: the mean absolute difference of two
consecutive frames' signatures (16x24 block means of luma, ``app.scoring.signatures``) jumps
above both ``CUT_LEVELS`` 8-bit levels and ``CUT_RATIO`` times its median over the neighbouring
frames. A fade or a pan changes the signature a little on every frame and cuts nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CUT_LEVELS = 12.0
CUT_RATIO = 4.0
CUT_WINDOW = 6            # frames on each side for the local median
BAD_PERCENTILE = 90       # frames worse than 90 % of the clip belong to a moment around its worst frame
SIGNATURE_SCALE = 64      # signatures hold block means in 1/64 of an 8-bit level


@dataclass(frozen=True)
class Moment:
    """A problem moment: its frames [start, stop), its worst frame and value, and its shot."""

    start: int
    stop: int
    worst: int
    value: float
    shot: tuple[int, int]


def shot_cuts(signatures: np.ndarray, first_frame: int = 0) -> list[int]:
    """The frames that begin a new shot, from per-frame signatures (frames x rows x cols)."""
    if len(signatures) < 2:
        return []
    s = signatures.reshape(len(signatures), -1).astype(np.float32) / SIGNATURE_SCALE
    change = np.abs(np.diff(s, axis=0)).mean(axis=1)          # change[i]: frame i -> i+1
    cuts = []
    for i, c in enumerate(change):
        lo, hi = max(0, i - CUT_WINDOW), min(len(change), i + CUT_WINDOW + 1)
        around = np.delete(change[lo:hi], i - lo)
        local = float(np.median(around)) if around.size else 0.0
        if c > CUT_LEVELS and c > CUT_RATIO * local:
            cuts.append(first_frame + i + 1)
    return cuts


def problem_moments(values: np.ndarray, start: int, higher_is_worse: bool, cuts: list[int], count: int,
                    min_gap: int) -> list[Moment]:
    """Up to ``count`` distinct moments, worst first.

    ``values`` holds one key's scores of frames ``start..``; NaN is unscored. Each moment is the
    run of bad frames (worse than the clip's 90th percentile of badness) around a worst frame,
    within its shot. Every shot gives at most one moment until each shot with scored frames has
    one; then further moments come from the worst frames at least ``min_gap`` frames from those
    already taken in their shot."""
    bad = np.where(np.isfinite(values), values if higher_is_worse else -values, -np.inf)
    scored = np.isfinite(values)
    if count <= 0 or not scored.any():
        return []
    threshold = np.percentile(bad[scored], BAD_PERCENTILE)
    stop = start + len(values)
    bounds = [start] + [c for c in sorted(cuts) if start < c < stop] + [stop]
    shots = list(zip(bounds[:-1], bounds[1:]))
    order = np.argsort(-bad, kind="stable")
    moments: list[Moment] = []
    used_shots: set[tuple[int, int]] = set()
    for second_round in (False, True):
        for idx in order:
            if len(moments) == count or not scored[idx]:
                break
            frame = start + int(idx)
            shot = next(s for s in shots if s[0] <= frame < s[1])
            if not second_round and shot in used_shots:
                continue
            if any(m.start - min_gap <= frame < m.stop + min_gap for m in moments if m.shot == shot):
                continue
            a, b = _bad_run(bad, int(idx), threshold, shot[0] - start, shot[1] - start)
            moments.append(Moment(start + a, start + b, frame, float(values[idx]), shot))
            used_shots.add(shot)
    return moments


def _bad_run(bad: np.ndarray, i: int, threshold: float, lo: int, hi: int) -> tuple[int, int]:
    a, b = i, i + 1
    while a > lo and bad[a - 1] >= threshold:
        a -= 1
    while b < hi and bad[b] >= threshold:
        b += 1
    return a, b
