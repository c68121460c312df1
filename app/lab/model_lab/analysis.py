"""A model's predictions on a feature table and their statistics: per frame (the model applied to
each frame's features, as libvmaf does), per stimulus (the mean of its frames, libvmaf's pooled
score), and cross-validated with folds that never split a content."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vqinspect.app.lab.model_lab.export import libvmaf_order, loaded
from vqinspect.app.lab.model_lab.features import FeatureTable
from vqinspect.app.lab.model_lab.training import SvrParams, folds_by_content, train
from vqinspect.app.lab.model_lab.validation import evaluate
from vqinspect.app.shared.errors import InputError


@dataclass
class Predictions:
    """One model's scores of every stimulus of a table, and how well they match the labels."""

    model: str
    kind: str                                   # how the scores were made (in-sample, cross-validated...)
    names: list[str]
    contents: list[str]
    labels: np.ndarray
    label_ci: np.ndarray
    scores: np.ndarray                          # per stimulus: mean of the per-frame scores
    lo: np.ndarray                              # bootstrap collections: mean of the per-frame 95 % interval
    hi: np.ndarray
    features: tuple[str, ...]
    frame_numbers: dict[str, np.ndarray] = field(default_factory=dict)
    frame_scores: dict[str, np.ndarray] = field(default_factory=dict)
    result: dict = field(default_factory=dict)

    def worst_frame(self, name: str) -> tuple[int, float]:
        """(frame number, its score) where the per-frame score is furthest from the clip mean."""
        scores = self.frame_scores[name]
        k = int(np.argmax(np.abs(scores - np.mean(scores))))
        return int(self.frame_numbers[name][k]), float(scores[k])

    def worst_predicted(self, count: int = 10) -> list[int]:
        """Stimulus indices by decreasing |label - mapped prediction|."""
        residual = np.abs(self.labels - self.result["mapped"])
        return [int(i) for i in np.argsort(-residual, kind="stable")[:count]]

    def summary(self) -> dict:
        """The statistics as plain JSON."""
        r = self.result
        return {"model": self.model, "kind": self.kind, "stimuli": r["n"],
                "stats": {k: {"value": v, "ci95": list(r["ci95"][k])} for k, v in r["stats"].items()},
                "outlier_ratio": r["outlier_ratio"],
                "outlier_definition": "ITU-T P.1401 7.5.2.2: |MOS - mapped prediction| > 95 % CI of the MOS",
                "logistic": {"a": r["logistic"].a, "b": r["logistic"].b, "lo": r["logistic"].lo,
                             "hi": r["logistic"].hi},
                "bootstrap_resamples": r["resamples"]}


def _score_stimuli(table: FeatureTable, names: list[str], predictor) -> tuple:
    keys = list(predictor.features)
    missing = [k for k in keys if k not in table.keys]
    if missing:
        raise InputError(table.path or None, f"model {predictor.name} needs feature {missing[0]!r}, which the "
                                             "feature table lacks (run `lab features` with the metrics and "
                                             "--vmaf-model that compute it)")
    scores, lo, hi, frames = [], [], [], {}
    for name in names:
        values = table.frame_values(name, keys)
        per_frame = predictor.predict(values)
        frames[name] = per_frame
        scores.append(float(np.mean(per_frame)))
        if hasattr(predictor, "stats"):
            st = predictor.stats(values)
            lo.append(float(np.mean(st["vmaf_ci_p95_lo"])))
            hi.append(float(np.mean(st["vmaf_ci_p95_hi"])))
        else:
            lo.append(math.nan)
            hi.append(math.nan)
    return np.array(scores), np.array(lo), np.array(hi), frames


def predictions(table: FeatureTable, predictor, kind: str, resamples: int = 1000, seed: int = 0) -> Predictions:
    """``predictor`` (a VmafModel or BootstrapModel) on every stimulus of ``table``."""
    names = table.names
    scores, lo, hi, frames = _score_stimuli(table, names, predictor)
    return _finish(table, predictor.name, kind, tuple(predictor.features), scores, lo, hi, frames, resamples, seed)


def _finish(table, model, kind, features, scores, lo, hi, frames, resamples, seed) -> Predictions:
    labels, ci = table.column("mos"), table.column("mos_ci")
    result = evaluate(labels, scores, ci, resamples, seed)
    numbers = {n: table.frames[n]["frame"] for n in table.names}
    return Predictions(model, kind, table.names, table.contents, labels, ci, scores, lo, hi, features,
                       numbers, frames, result)


def cross_validate(table: FeatureTable, keys: list[str], params: SvrParams, folds: int, seed: int = 0,
                   resamples: int = 1000, model: str = "trained") -> Predictions:
    """Out-of-fold scores: for each fold (whole contents), a model trained on the other folds'
    stimuli scores the fold's stimuli frame by frame."""
    order = libvmaf_order(keys)
    names, contents = table.names, table.contents
    labels = table.column("mos")
    pooled = table.pooled(order)
    scores = np.full(len(names), math.nan)
    frames: dict[str, np.ndarray] = {}
    for test in folds_by_content(contents, folds, seed):
        train_rows = np.setdiff1d(np.arange(len(names)), test)
        fitted = train({k: v[train_rows] for k, v in pooled.items()}, labels[train_rows], order, params)
        predictor = loaded(fitted, model)
        s, _, _, f = _score_stimuli(table, [names[i] for i in test], predictor)
        scores[test] = s
        frames.update(f)
    nan = np.full(len(names), math.nan)
    kind = f"cross-validated, {folds} folds by content (seed {seed})"
    return _finish(table, model, kind, tuple(order), scores, nan, nan.copy(), frames, resamples, seed)


def params_of(model_path: str | Path) -> tuple[SvrParams, int, str]:
    """(hyper-parameters, number of models, bootstrap kind) recorded in a model file's param_dict,
    so that a model can be cross-validated as it was trained."""
    data = json.loads(Path(model_path).read_text(encoding="utf-8"))
    first = data["0"] if "0" in data else data
    p = first.get("param_dict", {})
    norm = p.get("norm_type", "clip_0to1")
    try:
        params = SvrParams(float(p["C"]), float(p["nu"]), float(p["gamma"]),
                           norm if norm != "custom_clip_0to1" else "clip_0to1")
    except KeyError:
        raise InputError(str(model_path), "its param_dict lacks C, nu or gamma; cannot cross-validate it") from None
    kind = "residue" if first["model_dict"].get("model_type", "").startswith("RESIDUE") else "rows"
    return params, int(p.get("num_models", 1)), kind
