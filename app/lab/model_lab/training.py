"""Training as vmaf's Python package does it (``LibsvmNusvrTrainTestModel``, ``BootstrapMixin``,
``ResidueBootstrapMixin``): nu-SVR with an RBF kernel through libsvm-official on per-clip mean
features, the label normalised with them, feature columns in sorted order of their libvmaf names.

- Normalisation (``_calculate_normalization_params``) over the 2-D array [label | features]:
  ``clip_0to1`` (= ``linear_rescale``, vmaf's default): slope 1/(max-min), intercept
  (0·max - 1·min)/(max-min); ``clip_minus1to1``; ``normalize`` (1/std, ddof 0); ``none``.
- libsvm parameters ``-s 4 -t 2 -c C -g gamma -n nu -m 200``; libsvm's other defaults.
- Bootstrap: model 0 on all rows; model i (1..N-1) on rows ``np.random.choice(n, n)`` drawn after
  ``np.random.seed(seed + i)`` (numpy's legacy global generator; seed 0 is vmaf's); the
  normalisation is computed once, on all rows. The residue bootstrap resamples model 0's
  residuals on the normalised scale instead of rows (model 0's fit computed with exact sums,
  see ``svm_fit``: libsvm's OpenMP prediction is not reproducible to the last bit).
"""
from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np

from vqinspect.app.shared.errors import InputError

NORMS = ("linear_rescale", "clip_0to1", "clip_minus1to1", "normalize", "none")
BOOTSTRAP_KINDS = ("rows", "residue")
RBF = 2  # libsvm kernel_type (svmutil.RBF in libsvm-official <= 3.32, which vmaf pins)


@dataclass(frozen=True)
class SvrParams:
    """vmaf_v0.6.1's hyper-parameters by default."""

    c: float = 4.0
    nu: float = 0.9
    gamma: float = 0.04
    norm: str = "clip_0to1"
    cache_size: int = 200

    def check(self) -> None:
        if not (self.c > 0 and 0 < self.nu <= 1 and self.gamma > 0):
            raise InputError(None, "need C > 0, 0 < nu <= 1 and gamma > 0")
        if self.norm not in NORMS:
            raise InputError(None, f"--norm must be one of {', '.join(NORMS)}")


@dataclass
class TrainedModel:
    """The libsvm text of each member (model 0 first), the normalisation and the features."""

    features: tuple[str, ...]          # our keys, in libvmaf's (sorted full name) order
    slopes: np.ndarray                 # index 0: the label
    intercepts: np.ndarray
    norm_type: str                     # "linear_rescale" or "none", as libvmaf reads it
    params: SvrParams
    svm_texts: list[str]
    bootstrap: str = ""                # "", "rows" or "residue"
    seed: int = 0
    training_rows: int = 0
    info: dict = field(default_factory=dict)

    @property
    def is_collection(self) -> bool:
        return len(self.svm_texts) > 1


def normalization(xys: np.ndarray, norm: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(slopes, intercepts, norm_type) of the columns of [label | features], as vmaf computes them."""
    if norm == "none":
        ones = np.ones(xys.shape[1])
        return ones, np.zeros(xys.shape[1]), "none"
    if norm == "normalize":
        mus, sds = np.mean(xys, axis=0), np.std(xys, axis=0)
        _check_spread(sds == 0)
        return 1.0 / sds, -mus / sds, "linear_rescale"
    lb, ub = (-1.0, 1.0) if norm == "clip_minus1to1" else (0.0, 1.0)
    fmins, fmaxs = np.min(xys, axis=0), np.max(xys, axis=0)
    _check_spread(fmaxs == fmins)
    return (ub - lb) / (fmaxs - fmins), (lb * fmaxs - ub * fmins) / (fmaxs - fmins), "linear_rescale"


def _check_spread(flat: np.ndarray) -> None:
    if flat.any():
        which = "the label" if flat[0] else f"feature column {int(np.argmax(flat[1:]))}"
        raise InputError(None, f"{which} has the same value for every stimulus: it cannot be normalised")


def svm_train(xys_2d: np.ndarray, params: SvrParams):
    """libsvm-official's nu-SVR on normalised [label | features] rows, with vmaf's arguments."""
    from libsvm import svmutil

    param = svmutil.svm_parameter(["-s", 4, "-t", RBF, "-c", params.c, "-g", params.gamma,
                                   "-n", params.nu, "-m", params.cache_size, "-q"])
    rows = [list(item) for item in list(xys_2d[:, 1:])]
    return svmutil.svm_train(svmutil.svm_problem(xys_2d[:, 0], rows), param)


def svm_fit(model, xs_2d: np.ndarray) -> np.ndarray:
    """The model's prediction of normalised rows, Σ coef·exp(-γ‖sv - x‖²) - ρ, with exact sums
    (``math.fsum``). libsvm's own ``svm_predict`` sums with an OpenMP reduction whose order, and
    so whose last bits, vary from run to run; the residue bootstrap trains on these values, so
    they must not vary."""
    svs = model.get_SV()
    coefs = [c[0] for c in model.get_sv_coef()]
    gamma, rho = model.param.gamma, model.rho[0]
    width = xs_2d.shape[1]
    dense = [[sv.get(j + 1, 0.0) for j in range(width)] for sv in svs]
    out = []
    for x in xs_2d.tolist():
        terms = [c * math.exp(-gamma * math.fsum((a - b) ** 2 for a, b in zip(sv, x))) for c, sv in zip(coefs, dense)]
        out.append(math.fsum(terms) - rho)
    return np.array(out)


def svm_text(model) -> str:
    """The model as libsvm's ``svm_save_model`` writes it (%.17g numbers), as vmaf embeds it."""
    from libsvm import svmutil

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.svm")
        svmutil.svm_save_model(path, model)
        with open(path, encoding="ascii") as f:
            return f.read()


def train(features: dict[str, np.ndarray], labels: np.ndarray, order: list[str], params: SvrParams,
          bootstrap: int = 0, kind: str = "rows", seed: int = 0) -> TrainedModel:
    """A model on per-clip ``features`` ({key: values}) and ``labels``; ``order`` is the feature
    order libvmaf expects. ``bootstrap``: number of models in the collection (0 or 1: one model)."""
    params.check()
    labels = np.asarray(labels, dtype=np.float64)
    if len(labels) < 2 or not np.all(np.isfinite(labels)):
        raise InputError(None, "training needs at least two stimuli with finite scores")
    if bootstrap and bootstrap < 3:
        raise InputError(None, "--bootstrap needs at least 3 models (model 0 and two resampled ones)")
    if kind not in BOOTSTRAP_KINDS:
        raise InputError(None, f"the bootstrap kind is one of {', '.join(BOOTSTRAP_KINDS)}")
    xs = np.column_stack([np.asarray(features[k], dtype=np.float64) for k in order])
    if not np.all(np.isfinite(xs)):
        raise InputError(None, "a feature value is missing or not finite; see the feature table")
    xys = np.column_stack([labels, xs])
    slopes, intercepts, norm_type = normalization(xys, params.norm)
    xys_2d = slopes * xys + intercepts if norm_type == "linear_rescale" else xys
    models = [svm_train(xys_2d, params)]
    n = xys_2d.shape[0]
    if bootstrap and kind == "residue":
        fitted = svm_fit(models[0], xys_2d[:, 1:])
        residue = xys_2d[:, 0] - fitted
    for i in range(1, bootstrap or 1):
        np.random.seed(seed + i)
        idx = np.random.choice(range(n), size=n, replace=True)
        if kind == "residue":
            resampled = np.hstack((np.array([residue[idx] + fitted]).T, xys_2d[:, 1:]))
        else:
            resampled = xys_2d[idx, :]
        models.append(svm_train(resampled, params))
    return TrainedModel(tuple(order), slopes, intercepts, norm_type, params, [svm_text(m) for m in models],
                        bootstrap=kind if bootstrap else "", seed=seed, training_rows=n)


def folds_by_content(contents: list[str], k: int, seed: int = 0) -> list[np.ndarray]:
    """Indices of the test stimuli of each of ``k`` folds; a content is never split between
    folds. Contents are shuffled with ``seed`` and dealt out largest first to the fold with the
    fewest stimuli so far, so folds stay balanced."""
    names = sorted(set(contents))
    if k < 2 or k > len(names):
        raise InputError(None, f"--folds must be between 2 and the number of contents ({len(names)})")
    rng = np.random.RandomState(seed)
    order = [names[i] for i in rng.permutation(len(names))]
    sizes = {c: contents.count(c) for c in names}
    order.sort(key=lambda c: -sizes[c])          # stable: ties keep the shuffled order
    members: list[list[str]] = [[] for _ in range(k)]
    counts = [0] * k
    for c in order:
        f = counts.index(min(counts))
        members[f].append(c)
        counts[f] += sizes[c]
    return [np.array([i for i, c in enumerate(contents) if c in set(m)], dtype=int) for m in members]
