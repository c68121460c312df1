"""Quality metrics: numpy + numba kernels only (no Qt, no PyAV, no file I/O)."""
from vqinspect.metrics.vector_width import prefer_wide_vectors

prefer_wide_vectors()
