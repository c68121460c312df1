"""Pair two clips and score them: pairing, the engine, results, the score cache, imports."""
