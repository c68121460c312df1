"""VMAF: elementary features (VIF, ADM, motion) as numba kernels and the libvmaf model.

Importing this package registers the ``vmaf`` metric.
"""
from metrics.vmaf.metric import KEYS, VmafScorer, vmaf_metric
from metrics.vmaf.maps import MAPS
from metrics.vmaf.model import BUILTIN_MODELS, VmafModel, VmafModelError, load_model
from metrics.vmaf.warmup import warm_up

__all__ = ["BUILTIN_MODELS", "KEYS", "MAPS", "VmafModel", "VmafModelError", "VmafScorer",
           "load_model", "vmaf_metric", "warm_up"]
