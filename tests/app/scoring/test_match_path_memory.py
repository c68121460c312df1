"""The alignment DP keeps no frames x band arrays: its memory beyond the signatures stays flat
with the clip's length, and its exact integer distances are the float32 ones bit for bit."""
from __future__ import annotations

import tracemalloc

import numpy as np

from vqinspect.app.scoring import match_path as mp
from vqinspect.app.scoring.signatures import SCALE, capped_distance


def _signatures(rng, frames: int) -> np.ndarray:
    walk = np.cumsum(rng.normal(0, 300, (frames, 16, 24)), axis=0) + 20000
    return np.clip(walk, 0, 65535).astype(np.uint16)


def test_band_distances_are_the_float_capped_distances_bit_for_bit():
    rng = np.random.default_rng(3)
    ref, dist = _signatures(rng, 40), _signatures(rng, 37)
    dist[5] = ref[9]                                   # equal frames: distance exactly 0
    band = mp.Band(ref, dist, 6)
    rows = band.rows(0, len(dist))
    levels_ref = ref.reshape(len(ref), -1).astype(np.float32) / SCALE
    levels_dist = dist.reshape(len(dist), -1).astype(np.float32) / SCALE
    for d in range(len(dist)):
        for j in range(band.width):
            r = d - 6 + j
            if 0 <= r < len(ref):
                expected = capped_distance(levels_ref[r:r + 1], levels_dist[d:d + 1])[0]
                assert rows[d, j] == expected and rows[d, j].dtype == np.float32
            else:
                assert rows[d, j] == np.inf
    assert rows[5, 9 - 5 + 6] == 0.0


def _peak(ref, dist, max_offset) -> int:
    tracemalloc.start()
    try:
        mp.match_path(ref, dist, max_offset)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_beyond_the_signatures_does_not_grow_with_the_clip(monkeypatch):
    monkeypatch.setattr(mp, "BLOCK", 16)              # many checkpoints in a short clip
    rng = np.random.default_rng(4)
    short, long = _signatures(rng, 120), _signatures(rng, 600)
    mp.match_path(short[:20], short[:20], 3)           # compiled and warmed before measuring
    growth = (_peak(long, long, 3) - _peak(short, short, 3)) / (600 - 120)
    assert growth < 128                                # bytes per frame (a frames x band DP: ~500)
