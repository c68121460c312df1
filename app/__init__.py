"""vqinspect's application core: media, pairing, engine, results, CLI (no Qt)."""

__version__ = "0.1.0"
