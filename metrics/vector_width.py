"""512-bit vectors for every kernel on CPUs with AVX-512 (set before numba compiles one).

LLVM tunes its loop vectoriser for Intel's AVX-512 server cores to stop at 256 bits
("prefer-256-bit"), a hedge against the clock drop of older parts. Our kernels are
integer and float64 filters bound by multiply throughput, which 512-bit lanes double on
cores with two 512-bit units: on Emerald Rapids one 1080p frame of VMAF's features takes
about 13 % less time, VIF's scale 0 about 17 % (``benchmarks/bench_score.py`` prints the
whole command). The arithmetic is the same at either width: the kernels that must equal
libvmaf to the last bit do not let LLVM reassociate, and the suite passes at both widths.

numba reads its target from ``NUMBA_CPU_FEATURES`` when it creates its code generator
(the first kernel definition) and on every compilation, so the variable is set here, at
import of ``vqinspect.metrics``. A target the user chose (``NUMBA_CPU_FEATURES``,
``NUMBA_CPU_NAME`` or ``NUMBA_ENABLE_AVX``) is kept, which is also the way to opt out.
The feature string is part of the key of numba's on-disk cache, so kernels compiled for
either width never mix.
"""
from __future__ import annotations

import os
import sys

_NEEDED = ("avx512f", "avx512bw", "avx512vl")
USER_TARGET_VARIABLES = ("NUMBA_CPU_FEATURES", "NUMBA_CPU_NAME", "NUMBA_ENABLE_AVX")
"""numba's settings of its target: when the user set any of them, the target is theirs."""


def wide_vector_features() -> str | None:
    """The host's LLVM feature string plus "-prefer-256-bit", or None without AVX-512."""
    import llvmlite.binding as llvm

    features = llvm.get_host_cpu_features()
    if not all(features.get(name) for name in _NEEDED):
        return None
    return features.flatten() + ",-prefer-256-bit"


def prefer_wide_vectors() -> None:
    """Ask numba for 512-bit vectors on this host unless the user chose its features."""
    if any(name in os.environ for name in USER_TARGET_VARIABLES):
        return
    try:
        features = wide_vector_features()
    except RuntimeError:  # a host LLVM cannot describe: keep numba's default
        return
    if features is None:
        return
    os.environ["NUMBA_CPU_FEATURES"] = features
    if "numba" in sys.modules:  # imported before us: its configuration must see the variable
        sys.modules["numba"].core.config.reload_config()
