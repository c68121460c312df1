"""The kernels' vector width: 512 bits on AVX-512 hosts, set before numba builds its target,
never overriding the user's choice, and the same integers at either width."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import llvmlite.binding as llvm
import numpy as np

from vqinspect.metrics.vector_width import USER_TARGET_VARIABLES, prefer_wide_vectors, wide_vector_features

HOST_HAS_AVX512 = all(llvm.get_host_cpu_features().get(f) for f in ("avx512f", "avx512bw", "avx512vl"))

TARGET_FEATURES = ("from numba.core.registry import cpu_target; "
                   "print(cpu_target.target_context.codegen()._tm_features)")


def _clean_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in USER_TARGET_VARIABLES}
    return {**env, **extra}


def _run(code: str, env: dict) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip().splitlines()[-1]


def test_the_wide_target_reaches_numba_whatever_was_imported_first():
    for first in ("import vqinspect.metrics", "import numba; import vqinspect.metrics"):
        features = _run(f"{first}; {TARGET_FEATURES}", _clean_env())
        assert features.endswith(",-prefer-256-bit") == HOST_HAS_AVX512, first


def test_wide_vectors_are_asked_for_only_with_avx512():
    wide = wide_vector_features()
    if HOST_HAS_AVX512:
        assert wide == llvm.get_host_cpu_features().flatten() + ",-prefer-256-bit"
    else:
        assert wide is None


def test_a_target_the_user_chose_is_kept(monkeypatch):
    monkeypatch.setenv("NUMBA_CPU_FEATURES", "+sse2")
    prefer_wide_vectors()
    assert os.environ["NUMBA_CPU_FEATURES"] == "+sse2"
    features = _run(f"import vqinspect.metrics; {TARGET_FEATURES}", _clean_env(NUMBA_CPU_FEATURES="+sse2,+avx2"))
    assert features == "+sse2,+avx2"


def test_vif_gives_the_same_integers_at_256_and_512_bits():
    """VIF's exact kernels (the 8-bit scale-0 one and the general one) at numba's default
    width and at ours; on a host without AVX-512 both runs are the default."""
    code = ("import json, numpy as np; from vqinspect.metrics.vmaf import vif; "
            "rng = np.random.default_rng(7); x = rng.integers(0, 256, (96, 130), dtype=np.uint8); "
            "y = np.clip(x.astype(int) + rng.integers(-40, 41, x.shape), 0, 255).astype(np.uint8); "
            "q = [np.empty(s, np.uint16) for s in vif.scale_shapes(*x.shape) for _ in range(2)]; "
            "imgs = vif.scale_images(x, y, 8, q); "
            "print(json.dumps([[int(v) for v in vif.scale_sums(a, b, s, 8, 100.0)] "
            "for s, (a, b) in enumerate(imgs)]))")
    default = json.loads(_run(code, _clean_env(NUMBA_CPU_FEATURES=llvm.get_host_cpu_features().flatten())))
    ours = json.loads(_run(code, _clean_env()))
    assert ours == default
    assert np.all(np.array(ours)[:, 1] != 0)  # the sums are real work, not empty
