"""vqinspect's application core: media, pairing, engine, results, CLI (no Qt)."""
import os

# numpy's OpenBLAS starts a thread per core at import, which spins for a while: 0.09 s of CPU
# taken from the decoders at every start. vqinspect's matrices are tiny (3x3 colour, VMAF's
# SVM), so one BLAS thread is all it needs. Only a default: the user's setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
