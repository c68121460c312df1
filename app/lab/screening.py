"""ITU-R BT.500 observer screening (the beta-2 kurtosis test) exactly as SUREAL implements it.

Conventions (SUREAL's, which differ from some other implementations): sigma is the population
std (ddof=0); beta2 is the non-excess kurtosis with population moments; a repetition counts
against its subject; the denominator is E*R even for subjects who skipped stimuli; P+Q = 0
makes the second statistic NaN (not rejected); if every subject would go, nobody goes.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vqinspect.app.lab.mos import by_stimulus

NORMAL_KURTOSIS = (2.0, 4.0)     # beta2 in this range: the votes are treated as normal
OUTLIER_SHARE = 0.05             # (P+Q)/(E*R) above this ...
SYMMETRY = 0.3                   # ... and |P-Q|/(P+Q) below this: rejected


@dataclass
class Screening:
    rejected: list[bool]
    first_stats: list[float]     # (P+Q)/(E*R)
    second_stats: list[float]    # |P-Q|/(P+Q)

    @property
    def kept(self) -> list[int]:
        return [s for s, r in enumerate(self.rejected) if not r]

    @property
    def rejected_indices(self) -> list[int]:
        return [s for s, r in enumerate(self.rejected) if r]

    def reason(self, s: int) -> str:
        """Why subject ``s`` was (or was not) screened out, in words."""
        share, sym = self.first_stats[s], self.second_stats[s]
        verdict = "rejected" if self.rejected[s] else "kept"
        return (f"{verdict}: {share:.1%} of votes outside the BT.500 range (limit {OUTLIER_SHARE:.0%}), "
                f"asymmetry {sym:.2f} (rejected below {SYMMETRY})")


def bt500_screening(scores: np.ndarray) -> Screening:
    """Screen the observers of x[e, s, r] (NaN = missing vote)."""
    num_e, num_s, num_r = scores.shape
    p = np.zeros(num_s)
    q = np.zeros(num_s)
    subject = np.tile(np.arange(num_s), num_r)            # column r*S + s belongs to subject s
    for votes in by_stimulus(scores):
        valid = ~np.isnan(votes)
        values = votes[valid]
        if not values.size:
            continue
        mu = np.mean(values)
        sigma = np.std(values)
        k = 2.0 if NORMAL_KURTOSIS[0] <= _kurtosis(values) <= NORMAL_KURTOSIS[1] else np.sqrt(20)
        with np.errstate(invalid="ignore"):
            p += np.bincount(subject, valid & (votes >= mu + k * sigma), num_s)
            q += np.bincount(subject, valid & (votes <= mu - k * sigma), num_s)
    first = (p + q) / (num_e * num_r)
    with np.errstate(invalid="ignore", divide="ignore"):
        second = np.abs((p - q) / (p + q))
    rejected = [bool(a > OUTLIER_SHARE and b < SYMMETRY) for a, b in zip(first, second)]
    if all(rejected):
        rejected = [False] * num_s
    return Screening(rejected, [float(v) for v in first], [float(v) for v in second])


def _kurtosis(values: np.ndarray) -> float:
    """beta2 = m4 / m2**2 with population moments, NaN for (numerically) constant votes, as
    scipy.stats.kurtosis(fisher=False) gives it: then the wide sqrt(20) threshold applies."""
    mean = values.mean()
    d = values - mean
    m2 = np.mean(d ** 2)
    m4 = np.mean(d ** 4)
    if m2 <= (np.finfo(float).eps * mean) ** 2:
        return float("nan")
    return float(m4 / m2 ** 2)
