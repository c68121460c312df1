"""The per-pair score cache: keyed by file identity and settings, in the user cache directory."""
import json
import os
import shutil

import numpy as np
import pytest

from vqinspect.app.scoring.engine import ScoringJob
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.app.scoring.score_cache import FileIdentity, ScoreCache, cache_root
from vqinspect.metrics.registry import get_metric
from tests.clips import clip, lossless

SMALL = (320, 180)


@pytest.fixture(scope="module")
def files():
    return lossless(frames=6, size=SMALL), clip(frames=6, size=SMALL, crf=38)


@pytest.fixture(scope="module")
def scored(files):
    ref, dist = files
    pair = make_pair(open_media(ref), open_media(dist))
    metrics = [get_metric("psnr")]
    return pair, metrics, ScoringJob(pair, metrics, threads=1).run()


def _big(path, size=3 * 2**20):
    path.write_bytes(np.random.default_rng(0).integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def test_identity_sees_head_and_tail_changes(tmp_path):
    path = _big(tmp_path / "v.mp4")
    a = FileIdentity.of(path)
    assert a == FileIdentity.of(path) and a.size == 3 * 2**20 and a.path == str(path.resolve())
    with open(path, "r+b") as f:
        f.seek(-5, 2)
        f.write(b"XXXXX")
    b = FileIdentity.of(path)
    assert b.digest != a.digest and not a.same_content(b)
    copy = tmp_path / "moved.mp4"
    copy.write_bytes(path.read_bytes())
    assert FileIdentity.of(copy).same_content(b)          # moved/copied: same bytes


def test_identity_of_an_image_sequence(tmp_path):
    for i in range(3):
        (tmp_path / f"img_{i:04d}.png").write_bytes(bytes([i]) * 100)
    a = FileIdentity.of(tmp_path / "img_%04d.png")
    assert a.size == 300
    (tmp_path / "img_0003.png").write_bytes(b"new")
    assert not FileIdentity.of(tmp_path / "img_%04d.png").same_content(a)
    with pytest.raises(FileNotFoundError):
        FileIdentity.of(tmp_path / "none_%04d.png")


def test_store_and_load(scored, tmp_path):
    pair, metrics, result = scored
    cache = ScoreCache(tmp_path / "c")
    assert cache.load(pair, metrics) is None
    path = cache.store(result, pair, metrics)
    assert path.parent == tmp_path / "c" and len(cache.entries()) == 1
    back = cache.load(pair, metrics)
    assert back is not None and back.metrics == ["psnr"] and back.status == "complete"
    assert back.alignment["offset"] == 0
    for key in result.table.keys:
        assert np.array_equal(back.table.column(key), result.table.column(key), equal_nan=True)
    entry = json.loads(path.read_text())
    assert entry["cache"]["settings"]["metrics"][0]["name"] == "psnr"
    assert entry["cache"]["reference"]["size"] == os.path.getsize(pair.reference.info.path)


def test_key_follows_settings_and_files(scored, files, tmp_path):
    pair, metrics, _ = scored
    cache = ScoreCache(tmp_path)
    base = cache.key(pair, metrics)
    ref, dist = pair.reference, pair.distorted
    assert cache.key(make_pair(ref, dist, offset=1), metrics) != base
    assert cache.key(make_pair(ref, dist, frames=(1, 4)), metrics) != base
    assert cache.key(make_pair(ref, dist, scaler="lanczos"), metrics) != base
    assert cache.key(pair, [get_metric("psnr"), get_metric("ssim")]) != base
    assert cache.key(pair, metrics, {"fps": "30"}) != base
    assert cache.key(make_pair(dist, ref), metrics) != base
    assert cache.key(pair, metrics) == base


def test_touched_file_misses(scored, files, tmp_path):
    _, metrics, result = scored
    ref, dist = (shutil.copy(f, tmp_path / f.name) for f in files)
    pair = make_pair(open_media(ref), open_media(dist))
    cache = ScoreCache(tmp_path / "c")
    cache.store(result, pair, metrics)
    assert cache.load(pair, metrics) is not None
    st = os.stat(dist)
    os.utime(dist, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert cache.load(pair, metrics) is None


def test_damaged_entry_is_a_miss_and_removed(scored, tmp_path):
    pair, metrics, result = scored
    cache = ScoreCache(tmp_path)
    path = cache.store(result, pair, metrics)
    path.write_text('{"cache": {"key": "')
    assert cache.load(pair, metrics) is None and not path.exists()


def test_partial_results_are_not_cached(scored, tmp_path):
    pair, metrics, result = scored
    cache = ScoreCache(tmp_path)
    result.status = "cancelled"
    try:
        assert cache.store(result, pair, metrics) is None and cache.entries() == []
    finally:
        result.status = "complete"


def test_prune_drops_least_recently_used(scored, tmp_path):
    pair, metrics, result = scored
    cache = ScoreCache(tmp_path)
    first = cache.store(result, pair, metrics)
    os.utime(first, ns=(1, 1))
    cache.max_bytes = first.stat().st_size + 10
    second = cache.store(result, make_pair(pair.reference, pair.distorted, offset=1), metrics)
    assert cache.entries() == [second]


def test_cache_lives_in_the_user_cache_directory(scored, files, tmp_path, monkeypatch):
    pair, metrics, result = scored
    monkeypatch.setenv("VQINSPECT_CACHE", str(tmp_path / "user-cache"))
    assert cache_root() == tmp_path / "user-cache"
    path = ScoreCache().store(result, pair, metrics)
    assert path.is_relative_to(tmp_path / "user-cache")
    assert not any(p.suffix == ".json" for p in files[0].parent.iterdir())   # nothing beside the videos
