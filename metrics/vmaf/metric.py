"""The ``vmaf`` metric for the registry: per-frame features, motion2/motion3 and the model score.

The model decides the features (VIF/ADM/motion for v0.6.1; CAMBI, SpEED chroma, ADM3 and
motion3 for v1.0.16) and their extractor options; a bootstrap collection adds the bagging
score, its standard deviation and its 95 % interval.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from vqinspect.metrics.registry import FrameInput, Metric
from vqinspect.metrics.vmaf import maps, maps_v1
from vqinspect.metrics.vmaf.features import MIN_SIZE, ModelFeatures, check_planes
from vqinspect.metrics.vmaf.model import VmafModel, load_model
from vqinspect.metrics.vmaf.motion3 import motion_features
from vqinspect.metrics.vmaf.prepare import Workspace

FEATURE_KEYS = ("vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "adm2", "adm_scale0",
                "adm_scale1", "adm_scale2", "adm_scale3", "motion")
KEYS = ("vmaf",) + FEATURE_KEYS + ("motion2",)
"""Keys of the default model (vmaf_v0.6.1)."""


class VmafScorer:
    """Scores frame pairs with one model; safe to call from several threads at once."""

    def __init__(self, model: VmafModel) -> None:
        self.model = model
        self.features = ModelFeatures(model)
        self._workspace = Workspace()
        self.bootstrap = hasattr(model, "stats")
        self.keys = self._keys()
        f = self.features
        self.classic_maps = not (f.integer_adm or f.speed is not None or f.cambi is not None)
        self.maps = maps.MAPS if self.classic_maps else maps_v1.maps_of(f)

    def _keys(self) -> tuple[str, ...]:
        keys = ("vmaf",) + self.features.keys() + ("motion2",)
        if "motion3" in self.model.features:
            keys += ("motion3",)
        if self.bootstrap:
            from vqinspect.metrics.vmaf.bootstrap import STAT_KEYS

            keys += STAT_KEYS
        return keys

    def score(self, frame: FrameInput) -> dict[str, float]:
        """Raw features of one frame (everything but motion2/motion3 and the scores)."""
        prev = self._check(frame)
        return self.features.compute(frame.ref, frame.dist, prev, frame.bit_depth, self._workspace)

    def finalize(self, raw: dict[str, float], *following: dict[str, float] | None,
                 previous: tuple = ()) -> dict[str, float]:
        """All keys of a frame once the next frames' raw values are known (None past the
        end); ``previous``: the raw values of the frames before (the HFR models' motion)."""
        out = dict(raw)
        window = ([None] * (2 - len(previous)) + list(previous) + [raw]
                  + list(following[:2]) + [None] * (2 - len(following[:2])))
        samples = [None if r is None else (r["motion"], r["_has_previous"]) for r in window]
        out.update(motion_features(samples, self.features.motion))
        values = np.array([[out[k] for k in self.model.features]])
        out["vmaf"] = float(self.model.predict(values)[0])
        if self.bootstrap:
            out.update({k: float(v[0]) for k, v in self.model.stats(values).items()})
        return {k: out[k] for k in self.keys}

    def compute_map(self, frame: FrameInput, name: str) -> np.ndarray:
        """One of the model's maps for this frame (see metrics/vmaf/maps.py)."""
        prev = self._check(frame)
        if self.classic_maps:
            return maps.compute(frame.ref[0], frame.dist[0], prev, frame.bit_depth, self.model, name)
        return maps_v1.compute(frame.ref, frame.dist, prev, frame.bit_depth, self.model, name,
                               self.features)

    def _check(self, frame: FrameInput):
        """The reference luma the motion SAD compares with (frame i-1, or i-2 for the HFR
        models; None before the clip start), after validating the planes."""
        if self.features.motion.stride == 2:
            prev = frame.earlier_refs[0][0] if frame.earlier_refs else None
        else:
            prev = frame.prev_ref[0] if frame.prev_ref is not None else None
        check_planes(frame.ref[0], frame.dist[0], frame.bit_depth, prev)
        if self.features.needs_chroma:
            self.features.check_chroma(frame.ref, frame.dist, frame.bit_depth)
        return prev


def vmaf_metric(model: str | Path = "vmaf_v0.6.1") -> Metric:
    """VMAF with ``model``: a name of ``model.BUILTIN_MODELS`` or a libvmaf JSON file (a single
    model or a bootstrap collection).

    Raises VmafModelError (a ValueError) naming what is wrong with an unusable model, and
    MetricError for options vqinspect cannot compute.
    """
    scorer = VmafScorer(load_model(model))
    motion = scorer.features.motion
    return Metric(
        name="vmaf",
        keys=scorer.keys,
        score=scorer.score,
        luma_only=not scorer.features.needs_chroma,
        needs_previous=motion.stride,
        lookahead=motion.lookahead,
        finalize=scorer.finalize,
        history=motion.history,
        maps=scorer.maps,
        compute_map=scorer.compute_map,
        description=f"VMAF ({scorer.model.name}) and its features, as libvmaf computes them",
        options={"model": scorer.model.name},
        min_size=(MIN_SIZE, MIN_SIZE),
    )
