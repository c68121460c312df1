"""Per-frame score tables, pooled statistics and the JSON/CSV forms of a scoring run."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vqinspect.app import __version__

POOLS = ("mean", "harmonic_mean", "min", "max", "p1", "p5")


class ScoreTable:
    """Scores of a frame range: one float64 column per key, NaN where not yet scored.

    Rows are reference frame indices ``start .. stop-1``. Written by one thread (the
    engine's), read by others: a row appears whole because ``set_row`` stores each
    value before it bumps ``count``.
    """

    def __init__(self, start: int, stop: int, keys: list[str]):
        self.start, self.stop = start, stop
        self.keys = list(keys)
        self._columns = {k: np.full(stop - start, np.nan) for k in self.keys}
        self._scored = np.zeros(stop - start, dtype=bool)
        self.count = 0

    def __len__(self) -> int:
        return self.stop - self.start

    def set_row(self, frame: int, values: dict[str, float]) -> None:
        row = frame - self.start
        for key, value in values.items():
            if key not in self._columns:
                self.keys.append(key)
                self._columns[key] = np.full(len(self), np.nan)
            self._columns[key][row] = value
        if not self._scored[row]:
            self._scored[row] = True
            self.count += 1

    def column(self, key: str) -> np.ndarray:
        """Values of ``key`` for every frame of the range (NaN where unscored)."""
        return self._columns[key]

    def frames(self) -> np.ndarray:
        return np.arange(self.start, self.stop)

    def scored_frames(self) -> np.ndarray:
        return self.frames()[self._scored]

    def row(self, frame: int) -> dict[str, float]:
        r = frame - self.start
        return {k: float(self._columns[k][r]) for k in self.keys}

    def pooled(self) -> dict[str, dict[str, float]]:
        return {k: pool(self._columns[k]) for k in self.keys}

    def json_frames(self) -> list[dict]:
        """The ``frames`` list of the JSON layout: one dict per scored frame."""
        return [{"frame": int(f), **{k: json_number(v) for k, v in self.row(int(f)).items()}}
                for f in self.scored_frames()]

    def json_pooled(self) -> dict[str, dict]:
        """The ``pooled`` section of the JSON layout."""
        return {k: {s: json_number(v) for s, v in p.items()} for k, p in self.pooled().items()}

    def to_csv(self) -> str:
        """One row per scored frame: ``frame`` then every key (empty where not a number)."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["frame", *self.keys])
        for f in self.scored_frames():
            row = self.row(int(f))
            writer.writerow([int(f), *("" if not math.isfinite(row[k]) else f"{row[k]:.6f}" for k in self.keys)])
        return buf.getvalue()


def pool(values: np.ndarray) -> dict[str, float]:
    """Mean, harmonic mean, min, max and 1st/5th percentiles of the scored (non-NaN) values.

    The harmonic mean is libvmaf's: 1 / mean(1 / (x + 1)) - 1, defined for x >= 0.
    Percentiles interpolate linearly between frames (numpy's default).
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return {k: math.nan for k in POOLS}
    harmonic = float(1.0 / np.mean(1.0 / (v + 1.0)) - 1.0) if v.min() >= 0 else math.nan
    return {
        "mean": float(v.mean()),
        "harmonic_mean": harmonic,
        "min": float(v.min()),
        "max": float(v.max()),
        "p1": float(np.percentile(v, 1)),
        "p5": float(np.percentile(v, 5)),
    }


def tool_info() -> dict:
    """The ``tool`` block of every JSON file we write."""
    return {"name": "vqinspect", "version": __version__}


@dataclass
class ScoreResult:
    """A finished (or stopped) scoring run."""

    table: ScoreTable
    metrics: list[str]
    reference: dict
    distorted: dict
    alignment: dict
    status: str = "complete"           # complete, cancelled or broken
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    verdict: dict | None = None        # a QC profile's verdict (``app.qc.verdict.Verdict.to_json``)

    def to_json(self) -> dict:
        t = self.table
        frames = t.json_frames()
        alignment = dict(self.alignment)
        alignment["frames_scored"] = len(frames)
        out = {
            "tool": tool_info(),
            "reference": self.reference,
            "distorted": self.distorted,
            "alignment": alignment,
            "metrics": self.metrics,
            "frames": frames,
            "pooled": t.json_pooled(),
            "status": self.status,
        }
        if self.problems:
            out["problems"] = self.problems
        if self.verdict is not None:
            out["verdict"] = self.verdict
        return out

    def to_csv(self) -> str:
        return self.table.to_csv()


def json_number(v: float) -> float | None:
    """A value for JSON: rounded to 6 decimals, None for NaN and infinities."""
    return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else round(float(v), 6)


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, fsync and a rename: a crash at
    any point leaves either the old file or the new one, never a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a report is meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dump_json(result: ScoreResult) -> str:
    return json.dumps(result.to_json(), indent=1, allow_nan=False)
