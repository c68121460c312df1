"""MOS with its 95 % confidence intervals: SUREAL's normal approximation (z = 1.95996, the
``quality_scores_ci95`` every SUREAL script reads) and Student t (t(0.975, N-1), the usual
choice for small panels). Every vote counts as a sample, repetitions included."""
from __future__ import annotations

import numpy as np

Z95 = 1.95996  # SUREAL's constant, not norm.ppf(0.975) = 1.959963985


def by_stimulus(x: np.ndarray) -> np.ndarray:
    """x[e, s, r] as SUREAL's (E, R*S) matrix (repetition blocks side by side). Reducing this
    exact layout keeps numpy's summation order, and so the last bits, equal to SUREAL's."""
    num_e, num_s, num_r = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1)).reshape(num_e, num_r * num_s)


def by_subject(x: np.ndarray) -> np.ndarray:
    """x[e, s, r] as SUREAL's (R*E, S) matrix (repetition blocks stacked)."""
    num_e, num_s, num_r = x.shape
    return np.ascontiguousarray(x.transpose(2, 0, 1)).reshape(num_r * num_e, num_s)


def student_t95(counts: np.ndarray) -> np.ndarray:
    """t(0.975, N-1) per stimulus; NaN where N < 2."""
    from scipy.stats import t

    counts = np.asarray(counts, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(counts >= 2, t.ppf(0.975, np.maximum(counts - 1, 1)), np.nan)


def mos_stats(scores: np.ndarray) -> dict:
    """MOS per stimulus of x[e, s, r] with SUREAL's keys (``quality_scores``, ``_std``,
    ``_ci95``, ``quality_ambiguity``) plus ``quality_scores_ci95_student_t``."""
    flat = by_stimulus(scores)
    counts = np.sum(~np.isnan(flat), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), _quiet():
        mos = np.nanmean(flat, axis=1)
        std = np.nanstd(flat, axis=1, ddof=1)
        std_err = std / np.sqrt(counts)
    half_t = student_t95(counts) * std_err
    return {
        "quality_scores": mos,
        "quality_scores_std": std_err,
        "quality_scores_ci95": [Z95 * std_err, Z95 * std_err],
        "quality_scores_ci95_student_t": [half_t, half_t],
        "quality_ambiguity": std,
        "num_votes": counts,
    }


def gaussian_loglikelihood(scores: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """log N(x; mean, std) elementwise, written as SUREAL writes it (NaN where std is 0)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.log(1.0 / np.sqrt(2 * np.pi) / std * np.exp(-(scores - mean) ** 2 / (2 * std ** 2)))


class _quiet:
    """Silence numpy's 'mean of empty slice' and 'degrees of freedom <= 0' warnings: a stimulus
    with no or one vote gets NaN, which is the answer."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
