"""Bootstrap VMAF (vmaf_b_v0.6.3, vmaf_rb_v0.6.3): bagging, standard deviation, 95 % interval.

ffmpeg's libvmaf filter cannot load a model collection, so each member is written as a
standalone model (without its clip: the statistics use unclipped scores) and libvmaf scores
them all in one run; the statistics are then computed over members 1.. as libvmaf's
predict.c does (notes/model.md sec. 5) and compared with vqinspect's keys.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from vqinspect.metrics.vmaf import load_model
from vqinspect.metrics.vmaf.bootstrap import STAT_KEYS
from vqinspect.metrics.vmaf.model import model_path
from tests.clips import clip, lossless
from tests.metrics.vmaf.test_vmaf1_oracle import score_clip
from tests.oracle import libvmaf_frames

FRAMES = 5


def oracle_stats(name: str, ref, dist, tmp_path) -> tuple[list[dict], list[dict]]:
    """Per frame: libvmaf's model-0 vmaf, and the statistics over its scores of members 1.."""
    data = json.loads(model_path(name).read_text())
    specs = []
    for k, member in data.items():
        md = dict(member["model_dict"], model_type="LIBSVMNUSVR")
        if k != "0":
            md.pop("score_clip", None)
        path = tmp_path / f"{name}_{k}.json"
        path.write_text(json.dumps({"model_dict": md}))
        specs.append(f"path={path}\\:name=m{k}")
    frames = libvmaf_frames(ref, dist, features=(), model="'" + "|".join(specs) + "'")
    main = load_model(name).members[0]
    stats = []
    for f in frames:
        s = np.sort([f[f"m{k}"] for k in range(1, len(data))])
        mean = s.mean()
        std = np.sqrt(((s - mean) ** 2).mean())
        p_lo, p_hi = 2.5 * (len(s) - 1) / 100, 97.5 * (len(s) - 1) / 100

        def perc(p):
            lo, hi = int(np.floor(p)), int(np.ceil(p))
            return s[lo] if lo == hi else s[lo] * (hi - p) + s[hi] * (p - lo)

        g = lambda y: float(main.finish(np.array([y]))[0])  # noqa: E731
        stats.append({"vmaf": f["m0"], "vmaf_bagging": g(mean),
                      "vmaf_stddev": std * (g(mean + 0.01) - g(mean - 0.01)) / 0.02,
                      "vmaf_ci_p95_lo": g(perc(p_lo)), "vmaf_ci_p95_hi": g(perc(p_hi))})
    return frames, stats


@pytest.mark.parametrize("name", ["vmaf_b_v0.6.3", "vmaf_rb_v0.6.3"])
def test_bootstrap_statistics_match_libvmafs_members(name, tmp_path):
    ref = lossless(frames=FRAMES, size=(640, 360))
    dist = clip(codec="libx264", crf=35, frames=FRAMES, size=(640, 360))
    ours = score_clip(name, ref, dist)
    _, theirs = oracle_stats(name, ref, dist, tmp_path)
    assert len(ours) == len(theirs) == FRAMES
    for mine, expected in zip(ours, theirs):
        assert mine["vmaf_ci_p95_lo"] <= mine["vmaf_bagging"] <= mine["vmaf_ci_p95_hi"]
        assert mine["vmaf_stddev"] > 0
        for key in ("vmaf",) + STAT_KEYS:
            assert abs(mine[key] - expected[key]) <= 0.05, key


def test_collection_loads_with_its_members():
    model = load_model("vmaf_b_v0.6.3")
    assert len(model.members) == 21 and model.name == "vmaf_b_v0.6.3"
    assert model.features == ("adm2", "motion2", "vif_scale0", "vif_scale1", "vif_scale2", "vif_scale3")
    values = np.array([[0.95, 3.0, 0.6, 0.9, 0.95, 0.97]])
    stats = model.stats(values)
    raw = np.sort([m.raw(values)[0] for m in model.members[1:]])
    assert stats["vmaf_bagging"][0] == pytest.approx(np.clip(raw.mean(), 0, 100), abs=1e-12)
    assert stats["vmaf_ci_p95_lo"][0] == pytest.approx(raw[0] * 0.525 + raw[1] * 0.475, abs=1e-12)
