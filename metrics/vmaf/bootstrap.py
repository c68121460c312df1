"""Bootstrap VMAF model collections (vmaf_b_v0.6.3, vmaf_rb_v0.6.3): score and its spread.

A collection file is {"0": model, "1": model, ...}. Model 0 (trained on all data) gives the
headline ``vmaf``; models 1..N-1 (trained on bootstrap resamples) give, per frame, from their
untransformed and unclipped scores (libvmaf predict.c ``vmaf_bootstrap_predict_score_at_index``):
the mean (``vmaf_bagging``), the population standard deviation (``vmaf_stddev``) and the
2.5th / 97.5th percentiles with linear interpolation (``vmaf_ci_p95_lo`` / ``_hi``). The
mean and the percentiles then go through model 0's transform and clip, and the standard
deviation is scaled by the local slope of that mapping around the mean (+-0.01).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vqinspect.metrics.vmaf.model import VmafModel, VmafModelError

STAT_KEYS = ("vmaf_bagging", "vmaf_stddev", "vmaf_ci_p95_lo", "vmaf_ci_p95_hi")
DELTA = 0.01


def percentile(sorted_scores: np.ndarray, perc: float) -> np.ndarray:
    """libvmaf's percentile of each column of ``sorted_scores`` (members x frames)."""
    p = perc * (sorted_scores.shape[0] - 1) / 100.0
    lo, hi = int(np.floor(p)), int(np.ceil(p))
    if lo == hi:
        return sorted_scores[lo]
    return sorted_scores[lo] * (hi - p) + sorted_scores[hi] * (p - lo)


@dataclass(frozen=True, eq=False)
class BootstrapModel:
    """A libvmaf model collection: model 0 scores, models 1.. give the interval."""

    name: str
    members: tuple[VmafModel, ...]
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        main = self.members[0]
        for k, m in enumerate(self.members[1:], start=1):
            if m.features != main.features or m.options != main.options:
                raise VmafModelError(f"{self.source}: model {k} uses other features or feature "
                                     "options than model 0")

    def __getattr__(self, name):
        # features, options, families, gain limits...: those of model 0
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.members[0], name)

    def predict(self, values: np.ndarray) -> np.ndarray:
        """The headline VMAF: model 0 with its transform and clip."""
        return self.members[0].predict(values)

    def stats(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """Bagging score, standard deviation and 95 % interval of each row of ``values``."""
        main = self.members[0]
        scores = np.sort(np.stack([m.raw(values) for m in self.members[1:]]), axis=0)
        mean = scores.mean(axis=0)
        std = np.sqrt(((scores - mean) ** 2).sum(axis=0) / scores.shape[0])
        slope = (main.finish(mean + DELTA) - main.finish(mean - DELTA)) / (2.0 * DELTA)
        return {"vmaf_bagging": main.finish(mean), "vmaf_stddev": std * slope,
                "vmaf_ci_p95_lo": main.finish(percentile(scores, 2.5)),
                "vmaf_ci_p95_hi": main.finish(percentile(scores, 97.5))}
