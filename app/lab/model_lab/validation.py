"""How well a model's clip scores predict the subjective scores, the way Netflix reports it
(vmaf ``RegressorMixin.get_stats``, notes/model.md sec. 7), with intervals.

- The logistic mapping is vmaf's ``AggrScorePerfMetric.sigmoid_adjust``: labels rescaled to
  (0, 1) over [min-0.1, max+0.1], z = -ln(1/y - 1), least squares x ≈ a + b·z, then
  x' = 1/(1 + exp(-(x - a)/b)) rescaled back. PLCC and RMSE are computed after it; SRCC and
  KRCC (scipy's tau-b) are computed after it too, as vmaf does, which changes nothing when b > 0.
- Each statistic's 95 % interval is a percentile bootstrap over stimuli: ``resamples`` draws of
  the stimuli with replacement (numpy RandomState(seed)), the mapping refitted on each draw.
- Outlier ratio, ITU-T P.1401 §7.5.2.2 definition: a stimulus is an outlier when
  |MOS - mapped prediction| > the 95 % confidence half-width of its MOS (t(0.975, N-1)·σ/√N
  for votes; the dataset's interval otherwise); OR = outliers / stimuli with a known interval.
  (The older VQEG FR-TV variant, 2σ of the votes, is not used.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STATS = ("PLCC", "SRCC", "KRCC", "RMSE", "PLCC_raw", "RMSE_raw")
"""After the mapping, then PLCC and RMSE of the unmapped scores (for reference: vmaf's linearised
fit can map worse than no mapping when labels reach the ends of their range)."""


@dataclass(frozen=True)
class Logistic:
    """vmaf's fitted mapping from predictions to the label scale."""

    a: float
    b: float
    lo: float
    hi: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        with np.errstate(over="ignore"):
            y = 1.0 / (1.0 + np.exp(-(x - self.a) / self.b))
        return y * (self.hi - self.lo) + self.lo


def fit_logistic(predictions: np.ndarray, labels: np.ndarray) -> Logistic:
    """``sigmoid_adjust``'s fit (predictions = xs, labels = ys)."""
    a, b, lo, hi = _logistic_params(np.asarray(predictions, dtype=np.float64)[None, :],
                                    np.asarray(labels, dtype=np.float64)[None, :])
    return Logistic(float(a[0]), float(b[0]), float(lo[0]), float(hi[0]))


def _logistic_params(xs: np.ndarray, ys: np.ndarray):
    """Row-wise least squares x ≈ a + b·z (the closed form of ``lstsq`` with [1, z])."""
    hi, lo = ys.max(axis=1) + 0.1, ys.min(axis=1) - 0.1
    yn = (ys - lo[:, None]) / (hi - lo)[:, None]
    zs = -np.log(1.0 / yn - 1.0)
    zc = zs - zs.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = (zc * (xs - xs.mean(axis=1, keepdims=True))).sum(axis=1) / (zc * zc).sum(axis=1)
    a = xs.mean(axis=1) - b * zs.mean(axis=1)
    return a, b, lo, hi


def _mapped(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    a, b, lo, hi = _logistic_params(xs, ys)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        y = 1.0 / (1.0 + np.exp(-(xs - a[:, None]) / b[:, None]))
    return y * (hi - lo)[:, None] + lo[:, None]


def _pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xc * yc).sum(axis=1) / np.sqrt((xc * xc).sum(axis=1) * (yc * yc).sum(axis=1))


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties share their mean rank) of each row."""
    less = (x[:, None, :] < x[:, :, None]).sum(axis=2)
    equal = (x[:, None, :] == x[:, :, None]).sum(axis=2)
    return less + (equal + 1) / 2.0


def _kendall_tau_b(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """tau-b = Σ sign(dx)·sign(dy) / √(Σ|sign dx| · Σ|sign dy|) over pairs (scipy's default)."""
    sx = np.sign(x[:, None, :] - x[:, :, None])
    sy = np.sign(y[:, None, :] - y[:, :, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sx * sy).sum(axis=(1, 2)) / np.sqrt(np.abs(sx).sum(axis=(1, 2)) * np.abs(sy).sum(axis=(1, 2)))


def _stats_rows(xs: np.ndarray, ys: np.ndarray) -> dict[str, np.ndarray]:
    """``STATS`` for each row of predictions and labels."""
    mapped = _mapped(xs, ys)
    return {"PLCC": _pearson(ys, mapped), "SRCC": _pearson(_ranks(ys), _ranks(mapped)),
            "KRCC": _kendall_tau_b(ys, mapped), "RMSE": np.sqrt(np.mean((ys - mapped) ** 2, axis=1)),
            "PLCC_raw": _pearson(ys, xs), "RMSE_raw": np.sqrt(np.mean((ys - xs) ** 2, axis=1))}


def point_stats(labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """``STATS`` of one set of predictions."""
    rows = _stats_rows(np.asarray(predictions, dtype=np.float64)[None, :], np.asarray(labels, dtype=np.float64)[None, :])
    return {k: float(v[0]) for k, v in rows.items()}


def outlier_ratio(labels: np.ndarray, mapped: np.ndarray, ci: np.ndarray) -> tuple[float, np.ndarray]:
    """(P.1401 outlier ratio, which stimuli are outliers); NaN when no interval is known."""
    ci = np.asarray(ci, dtype=np.float64)
    known = np.isfinite(ci)
    outliers = known & (np.abs(np.asarray(labels) - mapped) > ci)
    return (float(outliers.sum() / known.sum()) if known.any() else math.nan), outliers


def bootstrap_intervals(labels: np.ndarray, predictions: np.ndarray, resamples: int, seed: int,
                        chunk: int = 50) -> dict[str, tuple[float, float]]:
    """2.5th and 97.5th percentiles of each statistic over ``resamples`` draws of the stimuli
    (RandomState(seed)); draws where a statistic is undefined (constant labels) are left out."""
    rng = np.random.RandomState(seed)
    n = len(labels)
    idx = rng.randint(0, n, (resamples, n))
    draws: dict[str, list] = {k: [] for k in STATS}
    for start in range(0, resamples, chunk):
        rows = idx[start:start + chunk]
        for k, v in _stats_rows(predictions[rows], labels[rows]).items():
            draws[k].append(v)
    out = {}
    for k in STATS:
        v = np.concatenate(draws[k]) if draws[k] else np.array([])
        v = v[np.isfinite(v)]
        out[k] = (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) if v.size else (math.nan, math.nan)
    return out


def evaluate(labels: np.ndarray, predictions: np.ndarray, ci: np.ndarray, resamples: int = 1000,
             seed: int = 0) -> dict:
    """Point statistics, their bootstrap intervals, the outlier ratio and the fitted mapping."""
    labels = np.asarray(labels, dtype=np.float64)
    predictions = np.asarray(predictions, dtype=np.float64)
    logistic = fit_logistic(predictions, labels)
    mapped = logistic(predictions)
    ratio, outliers = outlier_ratio(labels, mapped, ci)
    return {"n": len(labels), "stats": point_stats(labels, predictions),
            "ci95": bootstrap_intervals(labels, predictions, resamples, seed), "outlier_ratio": ratio,
            "outliers": outliers, "logistic": logistic, "mapped": mapped, "resamples": resamples}
