"""VMAF: elementary features (VIF, ADM, motion) as numba kernels and the libvmaf model."""
