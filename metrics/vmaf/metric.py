"""The ``vmaf`` metric for the registry: per-frame features, motion2 and the model score."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from vqinspect.metrics.registry import FrameInput, Metric
from vqinspect.metrics.vmaf import maps
from vqinspect.metrics.vmaf.features import MIN_SIZE, check_planes, frame_features
from vqinspect.metrics.vmaf.model import VmafModel, load_model
from vqinspect.metrics.vmaf.prepare import Workspace

FEATURE_KEYS = ("vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3", "adm2", "adm_scale0",
                "adm_scale1", "adm_scale2", "adm_scale3", "motion")
KEYS = ("vmaf",) + FEATURE_KEYS + ("motion2",)


class VmafScorer:
    """Scores frame pairs with one model; safe to call from several threads at once."""

    def __init__(self, model: VmafModel) -> None:
        self.model = model
        self._workspace = Workspace()

    def score(self, frame: FrameInput) -> dict[str, float]:
        """Raw features of one frame (everything but motion2 and vmaf)."""
        ref, dist, prev = self._luma(frame)
        return frame_features(ref, dist, prev, frame.bit_depth, self.model.vif_gain_limit,
                              self.model.adm_gain_limit, self._workspace)

    def finalize(self, raw: dict[str, float],
                 raw_next: dict[str, float] | None) -> dict[str, float]:
        """All keys of a frame once the next frame's raw values are known (None at the end)."""
        out = dict(raw)
        out["motion2"] = raw["motion"] if raw_next is None else min(raw["motion"],
                                                                     raw_next["motion"])
        values = np.array([[out[k] for k in self.model.features]])
        out["vmaf"] = float(self.model.predict(values)[0])
        return {k: out[k] for k in KEYS}

    def compute_map(self, frame: FrameInput, name: str) -> np.ndarray:
        """One of ``maps.MAPS`` for this frame (see metrics/vmaf/maps.py)."""
        ref, dist, prev = self._luma(frame)
        return maps.compute(ref, dist, prev, frame.bit_depth, self.model, name)

    @staticmethod
    def _luma(frame: FrameInput):
        """(reference, distorted, previous reference or None) luma planes, validated."""
        prev = frame.prev_ref[0] if frame.prev_ref is not None else None
        check_planes(frame.ref[0], frame.dist[0], frame.bit_depth, prev)
        return frame.ref[0], frame.dist[0], prev


def vmaf_metric(model: str | Path = "vmaf_v0.6.1") -> Metric:
    """VMAF with ``model``: vmaf_v0.6.1 (default), vmaf_v0.6.1neg, vmaf_4k_v0.6.1 or a JSON path.

    Raises VmafModelError (a ValueError) naming what is wrong with an unusable model.
    """
    scorer = VmafScorer(load_model(model))
    return Metric(
        name="vmaf",
        keys=KEYS,
        score=scorer.score,
        luma_only=True,
        needs_previous=True,
        lookahead=1,
        finalize=scorer.finalize,
        maps=maps.MAPS,
        compute_map=scorer.compute_map,
        description=f"VMAF ({scorer.model.name}) and its features, as libvmaf computes them",
        options={"model": scorer.model.name},
        min_size=(MIN_SIZE, MIN_SIZE),
    )
