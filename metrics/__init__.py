"""Quality metrics: numpy + numba kernels only (no Qt, no PyAV, no file I/O)."""
