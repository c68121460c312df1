"""Paired-comparison scaling as SUREAL 0.9.0 does it: Bradley-Terry (``BT_MLE``, a fixed-point
MLE; scores are log p) and Thurstone Case V (``THURSTONE_MLE``, SLSQP on the negative
log-likelihood). Standard errors come from the constrained Fisher information, as in SUREAL
(including its ``n / pp * 2`` off-diagonal term for Bradley-Terry)."""
from __future__ import annotations

import numpy as np

from vqinspect.app.lab.dataset import Dataset, pair_scores
from vqinspect.app.lab.mos import Z95
from vqinspect.app.shared.errors import InputError


def win_matrix(dataset: Dataset) -> np.ndarray:
    """alpha[i, j]: how many times stimulus i was preferred to j (ties count 0.5 each way)."""
    return np.nansum(pair_scores(dataset), axis=2)


def run_pair_model(dataset: Dataset, estimator: str, **options) -> dict:
    alpha = win_matrix(dataset)
    if estimator == "bt_mle":
        return bradley_terry(alpha)
    scores, std = thurstone(alpha)
    if options.get("zscore_output"):
        mean, spread = np.mean(scores), np.std(scores)
        scores, std = (scores - mean) / spread, std / spread
    return {"quality_scores": scores, "quality_scores_std": std, "quality_scores_ci95": [Z95 * std, Z95 * std]}


def bradley_terry(alpha: np.ndarray) -> dict:
    """p_i = sum_j alpha_ij / sum_j n_ij / (p_i + p_j), renormalised, until ||dp|| <= 1e-8."""
    m = alpha.shape[0]
    if np.any(alpha.sum(axis=1) == 0):
        never = int(np.flatnonzero(alpha.sum(axis=1) == 0)[0])
        raise InputError(None, f"stimulus {never} was never preferred: Bradley-Terry needs every stimulus "
                               "to win at least once (THURSTONE_MLE copes)")
    n = alpha + alpha.T
    p = np.ones(m) / m
    change = np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        while change > 1e-8:
            p_prev = p
            pp = p[:, None] + p[None, :]
            p = np.sum(alpha, axis=1) / np.sum(n / pp, axis=1)
            p = p / np.sum(p)
            change = np.linalg.norm(p - p_prev)
        pp = p[:, None] + p[None, :]
        lbda_ii = np.sum(-alpha / (p ** 2)[:, None] + n / pp ** 2, axis=1)
        lbda = n / pp * 2 + np.diag(lbda_ii)
        cov_p = _constrained_covariance(lbda)
        std_p = np.sqrt(np.diagonal(cov_p))
        v = np.log(p)
        std_v = std_p / p
    return {"quality_scores": v, "quality_scores_std": std_v, "quality_scores_ci95": [Z95 * std_v, Z95 * std_v],
            "quality_scores_p": p, "quality_scores_p_std": std_p}


def thurstone(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Case V scale values (minimised from v = 0 by SLSQP, ftol 1e-8) and their std."""
    from scipy.optimize import minimize
    from scipy.stats import norm

    m = alpha.shape[0]
    ret = minimize(_thurstone_nll, np.zeros(m), args=(alpha,), method="SLSQP", jac="2-point",
                   options={"ftol": 1e-8, "disp": False, "maxiter": 1000})
    if not ret.success:
        raise InputError(None, f"Thurstone scaling did not converge: {ret.message}")
    v = ret.x
    d = v[:, None] - v[None, :]
    phi, f = norm.cdf(d), norm.pdf(d)
    term = (alpha + alpha.T) * (-d * phi * f - f ** 2) / phi ** 2
    lbda = -term + np.diag(np.sum(term, axis=1))
    cov = _constrained_covariance(lbda)
    return v, np.sqrt(np.diagonal(cov))


def _thurstone_nll(v: np.ndarray, alpha: np.ndarray) -> float:
    """SUREAL's objective, term for term (its 1e-8/M keeps log away from 0)."""
    from scipy.stats import norm

    m = alpha.shape[0]
    eps = 1e-8 / m
    d = np.tile(v, (m, 1)).T - np.tile(v, (m, 1))
    return -np.sum(alpha * np.log(norm.cdf(d) + eps) + alpha.T * np.log(norm.cdf(-d) + eps))


def _constrained_covariance(lbda: np.ndarray) -> np.ndarray:
    """[[-L, 1], [1', 0]]^+ without its last row and column (the sum-to-constant constraint)."""
    m = lbda.shape[0]
    bordered = np.vstack([np.hstack([-lbda, np.ones((m, 1))]), np.hstack([np.ones((1, m)), np.zeros((1, 1))])])
    return np.linalg.pinv(bordered)[:-1, :-1]
