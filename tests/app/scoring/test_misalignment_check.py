"""The misalignment warning of `score`: bounded memory however the two decoders interleave,
and the same verdict as a naive table of every frame against its 21 neighbours."""
from __future__ import annotations

import av
import numpy as np
import pytest

from tests.alignment_clips import footage_frames, write_pair
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.alignment import MisalignmentCheck
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.app.scoring.signatures import SCALE, Thumbnailer, capped_distance

LATE = 5  # the distorted clip starts at reference frame 5


@pytest.fixture(scope="module")
def late_pair():
    ref = footage_frames("bikes.mp4", 0, 120, (192, 80))
    ref_path, dist_path = write_pair("late120", ref, ref[LATE:])
    pair = make_pair(open_media(str(ref_path)), open_media(str(dist_path)))   # scored at offset 0: wrong
    lumas = []
    for path in (ref_path, dist_path):
        with av.open(str(path)) as container:
            lumas.append([f.to_ndarray(format="gray") for f in container.decode(video=0)])
    return pair, lumas[0], lumas[1]


def naive_warning(pair, ref, dist):
    """The warning from the whole table of every reference frame against its 21 neighbours."""
    thumb = Thumbnailer(ref[0].shape[1], ref[0].shape[0], 8)
    sig = lambda a: thumb(a).reshape(-1).astype(np.float32) / SCALE  # noqa: E731
    frames = [i for i in range(pair.start, pair.stop) if 0 <= i + pair.offset < len(dist)]
    table = np.full((len(frames), 21), np.inf)
    for n, i in enumerate(frames):
        for k, s in enumerate(range(-10, 11)):
            if 0 <= i + pair.offset + s < len(dist):
                table[n, k] = capped_distance(sig(ref[i])[None], sig(dist[i + pair.offset + s])[None])[0]
    others = table.copy()
    others[:, 10] = np.inf
    best = others.argmin(axis=1)
    sigma = max(float(np.median(table.min(axis=1))), 0.05)
    bad = (others.min(axis=1) * 3.0 < table[:, 10]) & (table[:, 10] > 4 * sigma)
    k = int(np.bincount(best[bad], minlength=21).argmax())
    hits = [frames[n] for n in np.flatnonzero(bad & (best == k))]
    likely = pair.offset + k - 10
    return (f"{len(hits)} of {len(frames)} reference frames ({hits[0]}-{hits[-1]}) match the distorted clip "
            f"far better at offset {likely:+d} than at {pair.offset:+d}: the pair looks misaligned "
            f"(try --offset {likely} or --align auto)")


@pytest.mark.parametrize("lead", [0, 8, -8])   # the reference decoder ahead, in step, or behind
def test_the_verdict_is_the_naive_tables_and_few_signatures_are_held(late_pair, lead):
    pair, ref, dist = late_pair
    check = MisalignmentCheck(pair)
    held = 0
    r = d = 0
    while r < len(ref) or d < len(dist):
        if r < len(ref) and (d >= len(dist) or r - d < lead or (r - d == lead and lead >= 0)):
            check.ref(r, (ref[r],))
            r += 1
        else:
            check.dist(d, (dist[d],))
            d += 1
        held = max(held, len(check._ref) + len(check._dist))
    # frames waiting for their 10 following neighbours, and the 21 they can reach: a constant,
    # not the clip's 235 frames
    assert held <= 3 * MisalignmentCheck.NEARBY + abs(lead) + 3
    expected = naive_warning(pair, ref, dist)
    assert f"offset -{LATE}" in expected
    assert check.warning() == expected
