"""VMAF: elementary features (VIF, ADM, motion) as numba kernels and the libvmaf model.

The registry builds the ``vmaf`` metric from ``metric.vmaf_metric``.
"""
from vqinspect.metrics.vmaf.metric import KEYS, VmafScorer, vmaf_metric
from vqinspect.metrics.vmaf.maps import MAPS
from vqinspect.metrics.vmaf.model import BUILTIN_MODELS, VmafModel, VmafModelError, load_model
from vqinspect.metrics.vmaf.warmup import warm_up

__all__ = ["BUILTIN_MODELS", "KEYS", "MAPS", "VmafModel", "VmafModelError", "VmafScorer",
           "load_model", "vmaf_metric", "warm_up"]
