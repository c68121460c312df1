"""Scores of a pair kept in the user cache directory, so reopening a pair does not re-score.

An entry is keyed by what the numbers depend on: each file's identity (resolved path,
size, modification time and a hash of its first and last MiB) and the settings (offset,
frame range, scaler, metrics with their options and keys, raw/sequence open options,
vqinspect's version). Nothing is ever written beside the user's files. Entries are
JSON in the ``vqinspect score`` layout plus the key material; a damaged entry is a miss.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vqinspect.app import __version__
from vqinspect.app.media.open_options import plain_options
from vqinspect.app.scoring.results import ScoreResult, dump_json, write_atomic

CACHE_FORMAT = 1
HASH_BYTES = 1 << 20                  # first and last MiB of each file
MAX_CACHE_BYTES = 512 * 2**20


def cache_root() -> Path:
    """The user cache directory of vqinspect (``VQINSPECT_CACHE`` overrides it)."""
    import platformdirs

    return Path(os.environ.get("VQINSPECT_CACHE", platformdirs.user_cache_dir("vqinspect")))


@dataclass(frozen=True)
class FileIdentity:
    """Which file, and whether it is still the same bytes: cheap to compute on open."""

    path: str
    size: int
    mtime_ns: int
    digest: str                       # sha256 of the first and last MiB (and the size)

    @classmethod
    def of(cls, path: str | os.PathLike) -> "FileIdentity":
        """Identity of a file, or of an image sequence (a folder or a printf pattern)."""
        p = Path(path)
        if p.is_file():
            st = p.stat()
            return cls(str(p.resolve()), st.st_size, st.st_mtime_ns, _digest([p]))
        files = _sequence_files(str(path))
        if not files:
            raise FileNotFoundError(str(path))
        stats = [f.stat() for f in files]
        h = hashlib.sha256(_digest([files[0], files[-1]]).encode())
        for f, st in zip(files, stats):
            h.update(f"{f.name}:{st.st_size};".encode())
        return cls(str(Path(path).resolve()), sum(s.st_size for s in stats),
                   max(s.st_mtime_ns for s in stats), h.hexdigest())

    def same_content(self, other: "FileIdentity") -> bool:
        """Same bytes as far as the identity can tell (a moved or copied file keeps them)."""
        return self.size == other.size and self.digest == other.digest

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "FileIdentity":
        return cls(str(data["path"]), int(data["size"]), int(data["mtime_ns"]), str(data["digest"]))


def _digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for f in files:
        size = f.stat().st_size
        h.update(str(size).encode())
        with open(f, "rb") as fh:
            h.update(fh.read(HASH_BYTES))
            if size > HASH_BYTES:
                fh.seek(max(HASH_BYTES, size - HASH_BYTES))
                h.update(fh.read(HASH_BYTES))
    return h.hexdigest()


def _sequence_files(path: str) -> list[Path]:
    from vqinspect.app.media.sequence import is_sequence_pattern, list_sequence

    if Path(path).is_dir() or is_sequence_pattern(path):
        return list_sequence(path)
    return []


def pair_settings(pair, metrics, open_options: dict | None = None) -> dict:
    """The settings a pair's scores depend on, as plain JSON. ``open_options`` are ``open_media``'s
    keyword arguments (raw spec, fps), normalised here so that every caller keys alike. A crop
    window and an automatic alignment's frame pairs join the key only when there are some,
    so plain pairs keep their keys."""
    settings = {
        "offset": pair.offset, "start": pair.start, "stop": pair.stop, "scaler": pair.scaler,
        "metrics": [{"name": m.name, "keys": list(m.keys), "options": _plain(dict(m.options))}
                    for m in metrics],
        "open_options": plain_options(open_options or {}),
        "transforms": [repr(getattr(s, "transform", None)) for s in (pair.reference, pair.distorted)],
        "version": __version__,
    }
    crop, matched = getattr(pair, "crop", None), getattr(pair, "matched", None)
    if crop is not None:
        settings["crop"] = crop.as_dict()
    if matched is not None:
        settings["matched_pairs"] = hashlib.sha256(np.ascontiguousarray(matched.pairs, np.int64)).hexdigest()
    return settings


def _plain(value):
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _exact_frames(result: ScoreResult) -> list[dict]:
    t = result.table
    return [{"frame": int(f), **{k: (v if math.isfinite(v) else None) for k, v in t.row(int(f)).items()}}
            for f in t.scored_frames()]


class ScoreCache:
    """Finished scoring runs on disk, one JSON file per (files, settings) key."""

    def __init__(self, directory: str | os.PathLike | None = None, max_bytes: int = MAX_CACHE_BYTES):
        self.directory = Path(directory) if directory is not None else cache_root() / "scores"
        self.max_bytes = max_bytes

    def key_material(self, pair, metrics, open_options: dict | None = None) -> dict:
        return {
            "format": CACHE_FORMAT,
            "reference": FileIdentity.of(pair.reference.info.path).to_json(),
            "distorted": FileIdentity.of(pair.distorted.info.path).to_json(),
            "settings": pair_settings(pair, metrics, open_options),
        }

    def key(self, pair, metrics, open_options: dict | None = None) -> str:
        material = json.dumps(self.key_material(pair, metrics, open_options), sort_keys=True)
        return hashlib.sha256(material.encode()).hexdigest()

    def entry_path(self, key: str) -> Path:
        return self.directory / f"{key[:40]}.json"

    def load(self, pair, metrics, open_options: dict | None = None) -> ScoreResult | None:
        """The cached result for exactly these files and settings, or None."""
        from vqinspect.app.scoring.imports import ScoresFileError, score_result_from_json

        try:
            key = self.key(pair, metrics, open_options)
        except OSError:
            return None
        path = self.entry_path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("cache", {}).get("key") != key:
                return None
            result = score_result_from_json(data, str(path))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ScoresFileError):
            path.unlink(missing_ok=True)          # damaged entry: drop it, score again
            return None
        os.utime(path)                            # recently used: pruned last
        return result

    def store(self, result: ScoreResult, pair, metrics, open_options: dict | None = None) -> Path | None:
        """Keep a complete result (partial ones are not reusable as they stand)."""
        if result.status != "complete":
            return None
        material = self.key_material(pair, metrics, open_options)
        key = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
        data = json.loads(dump_json(result))
        data["frames"] = _exact_frames(result)    # the JSON layout rounds to 6 decimals; keep all
        data["cache"] = {"key": key, **material}
        path = self.entry_path(key)
        write_atomic(path, json.dumps(data, allow_nan=False))
        self.prune()
        return path

    def entries(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.json"))

    def prune(self) -> None:
        """Drop the least recently used entries beyond ``max_bytes``."""
        entries = []
        for p in self.entries():
            try:
                st = p.stat()
            except FileNotFoundError:
                continue
            entries.append((st.st_mtime_ns, st.st_size, p))
        total = sum(size for _, size, _ in entries)
        for _, size, p in sorted(entries):
            if total <= self.max_bytes:
                break
            p.unlink(missing_ok=True)
            total -= size

    def clear(self) -> None:
        for p in self.entries():
            p.unlink(missing_ok=True)
