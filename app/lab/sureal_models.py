"""SUREAL 0.9.0's subjective models, re-implemented step for step so that every number agrees
with SUREAL to 1e-6 (in practice ~1e-12): preprocessing (differential scores, z-scores, P.913
bias removal, BT.500 rejection), MOS-family models, the alternating projection of P.910
(``P910``) and the maximum-likelihood models (``MLE``, ``MLE_CO``, ``MLE_SO``, ...).

A result is a dict with SUREAL's own keys (``quality_scores``, ``observer_bias``, ...), so the
output writer lays it out as SUREAL's ``output.json``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vqinspect.app.lab.dataset import Dataset, opinion_scores
from vqinspect.app.lab.mos import Z95, _quiet, by_stimulus, by_subject, gaussian_loglikelihood, mos_stats
from vqinspect.app.lab.screening import bt500_screening
from vqinspect.app.shared.errors import InputError


@dataclass(frozen=True)
class ModelSpec:
    """One SUREAL model TYPE: an estimator and the preprocessing it forces on."""

    estimator: str               # mos | bias_removed_mos | ap | ap_subject_std | mle | bt_mle | thurstone_mle
    summary: str
    dscore: bool = False
    zscore: bool = False
    bias_offset: bool = False
    rejection: bool = False
    mle_mode: str = "DEFAULT"    # DEFAULT | CONTENT_OBLIVIOUS | SUBJECT_OBLIVIOUS

    @property
    def pair_comparison(self) -> bool:
        return self.estimator in ("bt_mle", "thurstone_mle")


MODELS: dict[str, ModelSpec] = {
    "MOS": ModelSpec("mos", "mean opinion score"),
    "DMOS": ModelSpec("mos", "differential MOS: MOS - MOS(reference) + ref_score", dscore=True),
    "BT500": ModelSpec("mos", "MOS after ITU-R BT.500 observer screening", rejection=True),
    "SR_MOS": ModelSpec("mos", "= BT500", rejection=True),
    "SR_DMOS": ModelSpec("mos", "DMOS after BT.500 screening", dscore=True, rejection=True),
    "ZS_MOS": ModelSpec("mos", "MOS of per-subject z-scores", zscore=True),
    "ZS_SR_MOS": ModelSpec("mos", "z-scored, screened MOS", zscore=True, rejection=True),
    "ZS_SR_DMOS": ModelSpec("mos", "z-scored, screened DMOS", dscore=True, zscore=True, rejection=True),
    "BR_MOS": ModelSpec("bias_removed_mos", "MOS after P.913 bias removal", bias_offset=True),
    "P913": ModelSpec("bias_removed_mos", "ITU-T P.913 12.4: bias removal, then BT.500 screening",
                      bias_offset=True, rejection=True),
    "BR_SR_MOS": ModelSpec("bias_removed_mos", "= P913", bias_offset=True, rejection=True),
    "P910": ModelSpec("ap", "ITU-T P.910 alternating projection (subject bias and inconsistency)"),
    "MLE_CO_AP2": ModelSpec("ap", "= P910"),
    "Subject_MLE_Projection2": ModelSpec("ap", "= P910"),
    "MLE_CO_AP": ModelSpec("ap_subject_std", "alternating projection, score std from subject inconsistency"),
    "Subject_MLE_Projection": ModelSpec("ap_subject_std", "= MLE_CO_AP"),
    "MLE": ModelSpec("mle", "maximum likelihood: subject bias, inconsistency and content ambiguity"),
    "MLE_CO": ModelSpec("mle", "maximum likelihood without content ambiguity", mle_mode="CONTENT_OBLIVIOUS"),
    "MLE_SO": ModelSpec("mle", "maximum likelihood without subject terms", mle_mode="SUBJECT_OBLIVIOUS"),
    "DMOS_MLE": ModelSpec("mle", "MLE on differential scores", dscore=True),
    "DMOS_MLE_CO": ModelSpec("mle", "MLE_CO on differential scores", dscore=True, mle_mode="CONTENT_OBLIVIOUS"),
    "BT_MLE": ModelSpec("bt_mle", "Bradley-Terry maximum likelihood (paired comparison)"),
    "THURSTONE_MLE": ModelSpec("thurstone_mle", "Thurstone Case V maximum likelihood (paired comparison)"),
}

DEFAULT_MODELS = ("MOS", "BT500", "P913", "P910")
DEFAULT_PC_MODELS = ("BT_MLE", "THURSTONE_MLE")
SCREENING_MODELS = ("BT500", "SR_MOS", "SR_DMOS", "ZS_SR_MOS", "ZS_SR_DMOS", "P913", "BR_SR_MOS")
PREPROCESSING_OPTIONS = ("dscore_mode", "zscore_mode", "bias_offset", "subject_rejection")


def model_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise InputError(None, f"unknown model {name!r} (known: {', '.join(MODELS)})") from None


def run_model(dataset: Dataset, name: str, **options) -> dict:
    """Model ``name`` on ``dataset`` with SUREAL's keyword options (``force_subjbias_zeromean``,
    ``dscore_mode``, ``zscore_mode``, ``bias_offset``, ``subject_rejection``,
    ``normalize_final``, ``transform_final``, ``zscore_output``, ``delta_thr``)."""
    spec = model_spec(name)
    if spec.pair_comparison != dataset.is_pair_comparison:
        kind = "paired-comparison" if dataset.is_pair_comparison else "rating"
        raise InputError(dataset.path, f"model {name} does not apply to a {kind} dataset")
    if spec.pair_comparison:
        from vqinspect.app.lab.pair_comparison import run_pair_model

        result = run_pair_model(dataset, spec.estimator, **options)
    else:
        result = _run_rating_model(dataset, spec, options)
    _postprocess(result, options)
    result["model"] = name
    return result


def _run_rating_model(dataset: Dataset, spec: ModelSpec, options: dict) -> dict:
    if spec.estimator.startswith("mle") and options.get("subject_rejection"):
        raise InputError(None, "the MLE models must not apply subject rejection")
    flags = {"dscore_mode": spec.dscore, "zscore_mode": spec.zscore,
             "bias_offset": spec.bias_offset, "subject_rejection": spec.rejection}
    for key in PREPROCESSING_OPTIONS:
        flags[key] = bool(flags[key] or options.get(key, False))
    raw = opinion_scores(dataset)
    prep = preprocess(raw, dataset, **flags)
    zero_mean = options.get("force_subjbias_zeromean")
    zero_mean = True if zero_mean is None else bool(zero_mean)
    if spec.estimator in ("mos", "bias_removed_mos"):
        result = mos_model(prep["scores"], raw, bias_removed=spec.estimator == "bias_removed_mos")
        if spec.estimator == "bias_removed_mos":
            result["observer_bias"] = list(prep["bias_offset_estimate"])
        if "screening" in prep:
            sc = prep["screening"]
            result.update(observer_rejected=sc.rejected, observer_rejected_1st_stats=sc.first_stats,
                          observer_rejected_2nd_stats=sc.second_stats, screening=sc)
    elif spec.estimator in ("ap", "ap_subject_std"):
        result = alternating_projection(prep["scores"], raw, stimulus_std=spec.estimator == "ap",
                                        zero_mean=zero_mean)
    else:
        result = maximum_likelihood(prep["scores"], raw, dataset.content_ids, dataset.num_contents,
                                    mode=spec.mle_mode, zero_mean=zero_mean,
                                    delta_thr=float(options.get("delta_thr", 1e-8)))
    return result


def preprocess(scores: np.ndarray, dataset: Dataset, dscore_mode=False, zscore_mode=False,
               bias_offset=False, subject_rejection=False) -> dict:
    """SUREAL's ``_get_opinion_score_3darray_with_preprocessing``, in its order."""
    if zscore_mode and bias_offset:
        raise InputError(None, "z-scoring and bias removal cannot be combined")
    x = scores.copy()
    out: dict = {}
    num_e, num_s, num_r = x.shape
    with _quiet():
        if dscore_mode:
            if dataset.ref_score is None:
                raise InputError(dataset.path, "differential scores need the dataset's ref_score")
            mos = np.nanmean(by_stimulus(x), axis=1)
            x = x + dataset.ref_score - reference_values(dataset, mos)[:, None, None]
        if zscore_mode:
            mu = np.nanmean(by_subject(x), axis=0)
            sigma = np.nanstd(by_subject(x), axis=0, ddof=1)
            x = (x - mu[None, :, None]) / sigma[None, :, None]
        if bias_offset:
            mos = np.nanmean(by_stimulus(x), axis=1)
            delta = np.nanmean(by_subject(x - mos[:, None, None]), axis=0)
            x = x - delta[None, :, None]
            out["bias_offset_estimate"] = delta
    if subject_rejection:
        screening = bt500_screening(x)
        x = x[:, screening.kept, :]
        out["screening"] = screening
    out["scores"] = x
    return out


def reference_values(dataset: Dataset, values: np.ndarray) -> np.ndarray:
    """For each dis_video, ``values`` at its content's hidden reference (exactly one)."""
    is_ref = dataset.is_reference
    index = {}
    for e, (cid, ref) in enumerate(zip(dataset.content_ids, is_ref)):
        if ref:
            index.setdefault(cid, []).append(e)
    out = []
    for cid in dataset.content_ids:
        found = index.get(cid, [])
        if len(found) != 1:
            raise InputError(dataset.path, f"content {cid} needs exactly one hidden reference among the "
                                           f"stimuli for differential scores, found {len(found)}")
        out.append(values[found[0]])
    return np.array(out)


def mos_model(scores: np.ndarray, original: np.ndarray, bias_removed: bool = False) -> dict:
    """``MosModel._get_mos_and_stats`` with its dof, log-likelihood, AIC and BIC."""
    result = mos_stats(scores)
    mos, std = result["quality_scores"], result["quality_ambiguity"]
    num_os = np.sum(~np.isnan(scores))
    e0, s0, r0 = original.shape
    original_num_os = np.sum(~np.isnan(original))
    dof = (e0 * 2 + (s0 * r0 if bias_removed else 0)) / original_num_os
    ll = np.nansum(gaussian_loglikelihood(scores, mos[:, None, None], std[:, None, None])) / num_os
    result.update(_information(dof, ll, original_num_os))
    return result


def alternating_projection(scores: np.ndarray, original: np.ndarray, stimulus_std: bool = True,
                           zero_mean: bool = True) -> dict:
    """``SubjectMLEModelProjectionSolver`` (``stimulus_std=False``) and ``...Solver2`` (P910)."""
    x = scores
    num_j, num_i, num_r = x.shape
    valid = ~np.isnan(x)
    ones = np.where(valid, 1.0, np.nan)
    cnt_i = valid.sum(axis=(0, 2))
    x_e = by_stimulus(x)
    max_itr, delta_thr, epsilon = 1000, 1e-8, 1e-8
    with _quiet():
        s_j = np.nanmean(x_e, axis=1)
        b_i = np.nanmean(by_subject(x - s_j[:, None, None]), axis=0)
        itr = 0
        while True:
            s_prev = s_j
            r = x - s_j[:, None, None] - b_i[None, :, None]
            v_i = np.nanstd(by_subject(r), axis=0)
            v_j = np.nanstd(by_stimulus(r), axis=1)
            w = np.tile(1.0 / (v_i ** 2 + epsilon), (num_j, num_r))      # SUREAL's weighed_nanmean_2d
            s_j = (np.nansum(by_stimulus(x - b_i[None, :, None]) * w, axis=1)
                   / np.nansum(~np.isnan(x_e) * w, axis=1))
            b_i = np.nanmean(by_subject(x - s_j[:, None, None]), axis=0)
            itr += 1
            if np.linalg.norm(s_prev - s_j) < delta_thr or itr >= max_itr:
                break
        per_vote = (v_j[:, None, None] if stimulus_std else v_i[None, :, None]) ** 2
        s_j_std = 1.0 / np.sqrt(np.maximum(0.0, np.nansum(by_stimulus(ones / per_vote), axis=1)))
        b_i_std = 1.0 / np.sqrt(np.maximum(0.0, np.nansum(by_subject(ones / (v_i ** 2)[None, :, None]), axis=0)))
        r = x - s_j[:, None, None] - b_i[None, :, None]
        v2 = (v_i ** 2)[None, :, None]
        lpp = np.nansum(by_subject(1.0 / v2 + r ** 2 * (-3 * v_i[None, :, None] ** 4) / v2 ** 4), axis=0)
        v_i_std = 1.0 / np.sqrt(np.maximum(0.0, -lpp))
        if zero_mean:
            mean_b = np.mean(b_i)
            b_i = b_i - mean_b
            s_j = s_j + mean_b
        observer_mean = np.nanmean(by_subject(x), axis=0)
        observer_std = np.nanstd(by_subject(x), axis=0)
    result = {
        "quality_scores": s_j, "quality_scores_std": s_j_std,
        "quality_scores_ci95": [Z95 * s_j_std, Z95 * s_j_std],
        "observer_bias": b_i, "observer_bias_std": b_i_std,
        "observer_bias_ci95": [Z95 * b_i_std, Z95 * b_i_std],
        "observer_inconsistency": v_i, "observer_inconsistency_std": v_i_std,
        "observer_inconsistency_ci95": inconsistency_ci95(v_i, cnt_i),
        "observer_scores_mean": observer_mean, "observer_scores_std": observer_std,
        "num_iter": itr,
    }
    original_num_os = np.sum(~np.isnan(original))
    j0, i0, r0 = original.shape
    dof = (j0 + i0 * r0 * 2) / original_num_os
    mu = s_j[:, None, None] + b_i[None, :, None]
    ll = np.sum(gaussian_loglikelihood(x, mu, np.broadcast_to(v_i[None, :, None], x.shape))[valid])
    result.update(_information(dof, ll / valid.sum(), original_num_os))
    return result


def inconsistency_ci95(v: np.ndarray, counts: np.ndarray) -> list:
    """SUREAL's chi-square interval half-widths for an inconsistency (a std) from N votes."""
    from scipy.stats import chi2

    return [(1 - np.sqrt(counts / chi2.ppf(1 - 0.025, df=counts))) * v,
            (np.sqrt(counts / chi2.ppf(0.025, df=counts)) - 1) * v]


def maximum_likelihood(scores: np.ndarray, original: np.ndarray, content_ids: list[int], num_contents: int,
                       mode: str = "DEFAULT", zero_mean: bool = True, delta_thr: float = 1e-8) -> dict:
    """``MaximumLikelihoodEstimationModel`` with its defaults (simplified gradients, Gaussian
    pdf): damped Newton / weighted-mean updates of b_s, v_s, a_c, then x_e, until x_e moves less
    than ``delta_thr``."""
    x = scores
    num_e, num_s, num_r = x.shape
    cids = np.asarray(content_ids)
    ones = np.where(np.isnan(x), np.nan, 1.0)
    refresh, max_itr = 0.1, 10000
    with _quiet(), np.errstate(divide="ignore", invalid="ignore"):
        mos = np.nanmean(by_stimulus(original), axis=1)   # SUREAL starts from the raw data's MOS
        resid = x - mos[:, None, None]
        v_s = np.nanstd(by_subject(resid), axis=0)
        a_c = np.array([np.nanstd(resid[cids == c].ravel()) for c in range(num_contents)])
        x_e, b_s = mos, np.zeros(num_s)
        if mode == "SUBJECT_OBLIVIOUS":
            v_s = np.zeros(num_s)
        if mode == "CONTENT_OBLIVIOUS":
            a_c = np.zeros(num_contents)
        itr = 0
        while True:
            x_prev = x_e
            # b_s: a weighted mean of the residuals
            var = v_s[None, :, None] ** 2 + a_c[cids][:, None, None] ** 2
            den = _sum_s(ones / var)
            b_new = _sum_s((x - x_e[:, None, None]) / var) / den
            b_s = b_s * (1 - refresh) + b_new * refresh
            b_std = 1.0 / np.sqrt(np.maximum(0.0, den))
            if mode == "SUBJECT_OBLIVIOUS":
                b_s, b_std = np.zeros(num_s), np.zeros(num_s)
            # v_s: one damped Newton step
            v, a = v_s[None, :, None], a_c[cids][:, None, None]
            res = x - x_e[:, None, None] - b_s[None, :, None]
            add, minus = v ** 2 + a ** 2, v ** 2 - a ** 2
            num = _sum_s(-v / add + v * res ** 2 / add ** 2)
            poly = a ** 4 - 3 * v ** 4 - 2 * v ** 2 * a ** 2
            lpp = _sum_s(minus / add ** 2 + res ** 2 * poly / add ** 4)
            v_s = v_s * (1 - refresh) + (v_s - num / lpp) * refresh
            v_std = 1.0 / np.sqrt(np.maximum(0.0, -lpp))
            v_s = np.maximum(v_s, 0.0)
            if mode == "SUBJECT_OBLIVIOUS":
                v_s, v_std = np.zeros(num_s), np.zeros(num_s)
            # a_c: one damped Newton step, summed over each content's stimuli
            v, a = v_s[None, :, None], a_c[cids][:, None, None]
            add, minus = v ** 2 + a ** 2, v ** 2 - a ** 2
            num = _sum_by_content(_sum_e(-a / add + a * res ** 2 / add ** 2), cids, num_contents)
            poly = v ** 4 - 3 * a ** 4 - 2 * v ** 2 * a ** 2
            lpp = _sum_by_content(_sum_e(-minus / add ** 2 + res ** 2 * poly / add ** 4), cids, num_contents)
            a_c = a_c * (1 - refresh) + (a_c - num / lpp) * refresh
            a_std = 1.0 / np.sqrt(np.maximum(0.0, -lpp))
            a_c = np.maximum(a_c, 0.0)
            if mode == "CONTENT_OBLIVIOUS":
                a_c, a_std = np.zeros(num_contents), np.zeros(num_contents)
            # x_e: a weighted mean over subjects
            var = v_s[None, :, None] ** 2 + a_c[cids][:, None, None] ** 2
            den = _sum_e(ones / var)
            x_new = _sum_e((x - b_s[None, :, None]) / var) / den
            x_e = x_e * (1 - refresh) + x_new * refresh
            x_std = 1.0 / np.sqrt(np.maximum(0.0, den))
            itr += 1
            if np.linalg.norm(x_prev - x_e) < delta_thr or itr >= max_itr:
                break
        if zero_mean:
            mean_b = np.mean(b_s)
            b_s = b_s - mean_b
            x_e = x_e + mean_b
        result = {"quality_scores": x_e, "quality_scores_std": x_std,
                  "quality_scores_ci95": [Z95 * x_std, Z95 * x_std], "num_iter": itr}
        if mode != "SUBJECT_OBLIVIOUS":
            counts = np.sum(~np.isnan(x), axis=(0, 2))
            result.update(observer_bias=b_s, observer_bias_std=b_std, observer_bias_ci95=[Z95 * b_std, Z95 * b_std],
                          observer_inconsistency=v_s, observer_inconsistency_std=v_std,
                          observer_inconsistency_ci95=inconsistency_ci95(v_s, counts))
        if mode != "CONTENT_OBLIVIOUS":
            result.update(content_ambiguity=a_c, content_ambiguity_std=a_std,
                          content_ambiguity_ci95=[Z95 * a_std, Z95 * a_std])
        e0, s0, r0 = original.shape
        original_num_os = np.sum(~np.isnan(original))
        dof = {"DEFAULT": e0 + s0 * r0 * 2 + num_contents, "CONTENT_OBLIVIOUS": e0 + s0 * r0 * 2,
               "SUBJECT_OBLIVIOUS": e0 + num_contents}[mode] / original_num_os
        sd = np.sqrt(v_s[None, :, None] ** 2 + a_c[cids][:, None, None] ** 2)
        ll = np.nansum(gaussian_loglikelihood(x, x_e[:, None, None] + b_s[None, :, None], sd))
        result.update(_information(dof, ll / np.sum(~np.isnan(x)), original_num_os))
    return result


def _sum_e(x: np.ndarray) -> np.ndarray:
    return np.nansum(by_stimulus(x), axis=1)


def _sum_s(x: np.ndarray) -> np.ndarray:
    return np.nansum(by_subject(x), axis=0)


def _sum_by_content(values: np.ndarray, cids: np.ndarray, num_contents: int) -> np.ndarray:
    sums = np.zeros(num_contents)
    for value, cid in zip(values, cids):
        sums[cid] += value
    return sums


def _information(dof: float, loglikelihood: float, original_num_os: int) -> dict:
    """Per-observation dof, log-likelihood, AIC and BIC, as SUREAL reports them."""
    return {"dof": dof, "loglikelihood": loglikelihood, "aic": 2 * dof - 2 * loglikelihood,
            "bic": np.log(original_num_os) * dof - 2 * loglikelihood}


def _postprocess(result: dict, options: dict) -> None:
    """SUREAL's ``normalize_final`` (z-score the scores) and ``transform_final`` (p0 + p1 q + p2 q^2)."""
    q = np.asarray(result["quality_scores"], dtype=float)
    if options.get("normalize_final"):
        q = (q - np.mean(q)) / np.std(q)
    transform = options.get("transform_final")
    if transform:
        q = (transform.get("p2", 0.0) * q * q + transform.get("p1", 0.0) * q + transform.get("p0", 0.0))
    result["quality_scores"] = q
