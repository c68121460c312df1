"""The monotone correspondence between two clips' frames, by dynamic programming.

Each distorted frame d is either matched to a reference frame r with ``d - r`` inside a band
of offsets, or unmatched (before the first match, after the last, or inserted). Going from
one distorted frame to the next, the reference frame advances by one (free), stays (the
distorted repeats a frame), or skips ahead (reference frames dropped); every choice costs,
and so does the distance of each matched pair, in units of the typical distance of a true
match (``sigma``). The cheapest path is the alignment.

The confidence of each frame's assignment comes from min-marginals: the same sweep run on
the reversed clips gives, with the forward sweep, the cost of the best path through every
(frame, candidate) state; the candidates' costs above the optimum, taken as negative log
likelihoods, give the probability that the chosen one is right.

Memory stays flat whatever the clip's length: nothing of size frames x band is kept. The
band's distances are computed a block of rows at a time (exactly, in integers), the forward
sweep keeps its state only every ``BLOCK`` frames, and a backward pass over the blocks
recomputes each block's states and back-pointers from its checkpoint while the reverse sweep
runs beside it: the traceback, the min-marginals and the distinctness of each frame come out
of that pass. About 40 bytes per frame are kept beyond the signatures.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vqinspect.app.scoring.signatures import CAP, SCALE

LEADING, INSERTED, TRAILING = -1, -2, -3   # assignment codes of unmatched distorted frames
SIGMA_FLOOR = 0.05                         # 8-bit levels: near-identical clips still compare
BLOCK = 256                                # frames per checkpoint of the forward sweep


@dataclass(frozen=True)
class PathCosts:
    """Costs in units of sigma (the median distance of a distorted frame to its best match)."""

    unmatched: float = 8.0     # per distorted frame that matches no reference frame
    insert_open: float = 4.0   # once per run of inserted frames mid-clip
    repeat: float = 5.0        # per distorted frame that repeats its predecessor's match
    drop_open: float = 5.0     # once per run of dropped reference frames
    drop_step: float = 1.0     # per dropped reference frame


@dataclass(frozen=True)
class MatchPath:
    """The alignment path: ``assigned[d]`` is d's reference frame or a negative code."""

    assigned: np.ndarray       # int64, per distorted frame
    confidence: np.ndarray     # float, per distorted frame: probability the assignment is right
    distinct: np.ndarray       # float, per distorted frame: how unlike its match's neighbours it is
    sigma: float               # 8-bit levels


class Band:
    """The distances (8-bit levels, float32) of distorted frame d to reference frames
    ``d - max_offset + j``, j < 2K+1 (inf outside the reference), a block of rows at a time.

    A distance is the mean over the signature's blocks of their absolute difference capped at
    ``CAP`` (``signatures.capped_distance``). Signature values are whole 64ths of a level, so
    the sum is a whole number below 2^24, exact in any order: summing the integers and dividing
    once gives the float32 mean bit for bit."""

    def __init__(self, ref_signatures: np.ndarray, dist_signatures: np.ndarray, max_offset: int):
        self.ref = np.ascontiguousarray(ref_signatures.reshape(len(ref_signatures), -1))
        self.dist = np.ascontiguousarray(dist_signatures.reshape(len(dist_signatures), -1))
        self.k = max_offset
        self.width = 2 * max_offset + 1
        self.frames = len(self.dist)
        self._divisor = np.float32(SCALE * self.ref.shape[1])
        self._cap = int(CAP * SCALE)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start..stop-1`` (float32, frames x band)."""
        n, k = len(self.ref), self.k
        lo = max(0, start - k)                                # the first reference frame the rows reach
        ref = self.ref[lo:stop + k].astype(np.int32)
        dist = self.dist[start:stop].astype(np.int32)
        out = np.full((stop - start, self.width), np.inf, np.float32)
        diff = np.empty_like(dist)
        for j in range(self.width):
            first = start - k + j                             # reference frame of row ``start``
            a, b = max(0, -first), min(stop - start, n - first)   # rows whose reference exists
            if b <= a:
                continue
            np.subtract(ref[first + a - lo:first + b - lo], dist[a:b], out=diff[a:b])
            np.abs(diff[a:b], out=diff[a:b])
            np.minimum(diff[a:b], self._cap, out=diff[a:b])
            out[a:b, j] = diff[a:b].sum(axis=1, dtype=np.int64).astype(np.float32) / self._divisor
        return out


def match_path(ref_signatures: np.ndarray, dist_signatures: np.ndarray, max_offset: int,
               path_costs: PathCosts = PathCosts()) -> MatchPath:
    """The cheapest path through the band of offsets and the confidence of every assignment."""
    band = Band(ref_signatures, dist_signatures, max_offset)
    m_count = band.frames
    best = np.concatenate([np.min(band.rows(a, min(a + BLOCK, m_count)), axis=1)
                           for a in range(0, m_count, BLOCK)] or [np.empty(0, np.float32)])
    finite = best[np.isfinite(best)]
    if finite.size == 0:
        raise ValueError("no frame pairs within the offset band")
    sigma = max(float(np.median(finite)), SIGMA_FLOOR)
    sweep = _Sweep(band.width, path_costs)
    checkpoints = []
    state = sweep.start()
    for a in range(0, m_count, BLOCK):
        checkpoints.append(state)
        for row in _scaled(band.rows(a, min(a + BLOCK, m_count)), sigma):
            state = sweep.step(state, row)
    return _backward(band, sigma, sweep, checkpoints, state)


def _scaled(costs: np.ndarray, sigma: float) -> np.ndarray:
    return (costs / sigma).astype(np.float64)


@dataclass(frozen=True)
class _State:
    """Best path costs after a distorted frame: ``m[j]`` ending with it matched at band index
    j, ``u[j]`` inserted with the last match at j, ``lead`` before any match, ``trail`` after
    the last."""

    m: np.ndarray
    u: np.ndarray
    lead: float
    trail: float


@dataclass(frozen=True)
class _Pointers:
    """Where the best path into each state of a frame came from."""

    m_src: np.ndarray      # band index of the previous match (-1: the first match)
    m_from_u: np.ndarray   # ... and it was followed by inserted frames
    u_from_u: np.ndarray
    trail_src: int         # -1: trailing before, else 2*j + (from inserted)


class _Sweep:
    """One step of the forward recursion (the reverse sweep runs it on reversed rows)."""

    def __init__(self, width: int, costs: PathCosts):
        self.c = costs
        self.idx = np.arange(width)
        self.width = width

    def start(self) -> _State:
        return _State(np.full(self.width, np.inf), np.full(self.width, np.inf), 0.0, np.inf)

    def step(self, p: _State, e_row: np.ndarray, pointers: bool = False):
        c, idx, inf = self.c, self.idx, np.inf
        pm, pu = p.m, p.u
        last = np.minimum(pm, pu)
        from_u = pu < pm
        best, src = last.copy(), idx.copy()                   # the next reference frame
        shifted = np.empty(self.width)
        shifted[:-1], shifted[-1] = last[1:] + c.repeat, inf   # the same one again
        take = shifted < best
        best[take], src[take] = shifted[take], idx[take] + 1
        base = last - idx * c.drop_step                        # skip ahead: a drop
        low = np.minimum.accumulate(base)
        arg = np.maximum.accumulate(np.where(base <= low, idx, 0))
        shifted[0], shifted[1:] = inf, low[:-1] + c.drop_open + idx[1:] * c.drop_step
        take = shifted < best
        best[take], src[take] = shifted[take], arg[np.maximum(idx - 1, 0)][take]
        take = p.lead < best                                   # the first match
        best[take], src[take] = p.lead, -1
        from_m_ins = np.append(pm[1:] + c.insert_open, inf)
        from_u_ins = np.append(pu[1:], inf)
        j_last = int(np.argmin(last))
        state = _State(best + e_row, np.minimum(from_m_ins, from_u_ins) + c.unmatched, p.lead + c.unmatched,
                       c.unmatched + min(p.trail, last[j_last]))
        if not pointers:
            return state
        return state, _Pointers(src, from_u[np.maximum(src, 0)] & (src >= 0), from_u_ins < from_m_ins,
                                -1 if p.trail <= last[j_last] else 2 * j_last + int(from_u[j_last]))


def _backward(band: Band, sigma: float, sweep: _Sweep, checkpoints: list[_State], final: _State) -> MatchPath:
    """Blocks from the last: recompute the forward states and pointers from the checkpoint,
    then walk the block's frames backwards doing the traceback and the reverse sweep."""
    m_count, width = band.frames, band.width
    end = np.minimum(final.m, final.u)
    j = int(np.argmin(end))
    total = float(min(end[j], final.trail))
    if not np.isfinite(total):
        raise ValueError("no frame pairs within the offset band")
    where = "trail" if final.trail < end[j] else ("u" if final.u[j] < final.m[j] else "m")
    assigned = np.empty(m_count, np.int64)
    confidence = np.empty(m_count)
    distinct = np.full(m_count, np.nan)
    reverse = sweep.start()
    for b in range(len(checkpoints) - 1, -1, -1):
        a = b * BLOCK
        e = _scaled(band.rows(a, min(a + BLOCK, m_count)), sigma)
        states, pointers = [], []
        state = checkpoints[b]
        for row in e:
            state, ptr = sweep.step(state, row, pointers=True)
            states.append(state)
            pointers.append(ptr)
        for i in range(len(e) - 1, -1, -1):
            d = a + i
            assigned[d], where, j = _trace(d, where, j, pointers[i], band.k)
            reverse = sweep.step(reverse, e[i, ::-1])
            matched_j = assigned[d] - d + band.k if assigned[d] >= 0 else None
            confidence[d] = _confidence(e[i], states[i], reverse, matched_j, total, sweep.c)
            if matched_j is not None:
                distinct[d] = _distinctness(e[i], assigned[d] - d + band.k)
    return MatchPath(assigned, confidence, distinct, sigma)


def _trace(d: int, where: str, j: int, p: _Pointers, k: int) -> tuple[int, str, int]:
    """Distorted frame d's assignment on the best path, and the state of frame d - 1."""
    if where == "m":
        src = int(p.m_src[j])
        next_state = ("lead", 0) if src < 0 else ("u" if p.m_from_u[j] else "m", src)
        return d - k + j, *next_state
    if where == "u":
        return INSERTED, ("u" if p.u_from_u[j] else "m"), j + 1
    if where == "trail":
        src = p.trail_src
        return TRAILING, *(("trail", j) if src < 0 else (("u" if src & 1 else "m"), src >> 1))
    return LEADING, "lead", j


def _confidence(e_row, fwd: _State, rev: _State, chosen_j: int | None, total: float, c: PathCosts) -> float:
    """Probability of a distorted frame's assignment among all its candidates (every
    reference frame in the band, or none), from the min-marginal cost of each. ``rev`` is
    the reverse sweep's state at the same frame (band reversed); ``chosen_j`` the band
    index of the assignment (None: unmatched)."""
    rev_m, rev_u = rev.m[::-1], rev.u[::-1]
    with np.errstate(invalid="ignore"):   # inf - inf outside the reference
        matched = fwd.m + rev_m - e_row
    none = np.minimum(np.minimum(fwd.lead + rev.trail, fwd.trail + rev.lead) - c.unmatched,
                      _inserted_marginal(fwd.u, rev_u, c))
    with np.errstate(invalid="ignore", over="ignore"):
        weight_m = np.exp(-np.maximum(matched - total, 0.0))
        weight_none = np.exp(-np.maximum(none - total, 0.0))
    weight_m[~np.isfinite(weight_m)] = 0.0
    chosen = weight_none if chosen_j is None else weight_m[chosen_j]
    return float(chosen / (weight_m.sum() + weight_none))


def _inserted_marginal(before: np.ndarray, after: np.ndarray, c: PathCosts) -> float:
    """Best cost of a path in which a distorted frame is inserted: ``before[i]`` ends with it
    inserted after reference band index i, ``after[j]`` starts with it inserted before band
    index j; joined, the reference goes from i to j (a repeat, the next frame, or a drop),
    and the run's opening cost, counted by both halves, is taken once."""
    width = before.shape[0]
    idx = np.arange(width)
    same = before + after + c.repeat
    nxt = np.full_like(before, np.inf)
    nxt[1:] = before[:-1] + after[1:]
    low = np.minimum.accumulate(before - idx * c.drop_step)
    skip = np.full_like(before, np.inf)
    skip[2:] = low[:-2] + c.drop_open + (idx[2:] - 1) * c.drop_step + after[2:]
    with np.errstate(invalid="ignore"):
        joined = np.minimum(np.minimum(same, nxt), skip).min()
    return joined - c.unmatched - c.insert_open


def _distinctness(e_row: np.ndarray, j: int) -> float:
    """How much worse (in sigma) the nearest other reference frames (up to 2 away) match a
    matched distorted frame than its own match (band index j): near 0 where the picture
    hardly changes."""
    others = [e_row[j + s] for s in (-2, -1, 1, 2) if 0 <= j + s < len(e_row) and np.isfinite(e_row[j + s])]
    return max(0.0, min(others) - e_row[j]) if others else 0.0
