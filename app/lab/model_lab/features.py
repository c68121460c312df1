"""The feature table of a dataset: every key of the chosen metrics for every stimulus, per frame
and pooled per stimulus (mean by default, as VMAF trains; other poolings as ``KEY_POOL``
columns). The scores come from the batch runner (``vqinspect batch``'s task and its per-pair
score JSON, kept in ``FEATURES.scores/``: a pair already scored with the same files and settings
is not scored again, so an interrupted run resumes).

Files: ``FEATURES.csv`` (a row per stimulus) and ``FEATURES.frames.csv`` (a row per frame), or
both as ``.parquet`` (needs pyarrow). The first line of a CSV is ``# vqinspect lab features
{json}`` with the dataset, metrics and poolings it was made with.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vqinspect.app.lab.model_lab.stimuli import LabDataset
from vqinspect.app.shared.errors import InputError

ID_COLUMNS = ("stimulus", "content", "reference", "distorted", "frames", "mos", "mos_ci", "frames_scored",
              "score_json")
MAGIC = "# vqinspect lab features "
POOLINGS = ("mean", "harmonic_mean", "min", "max", "p1", "p5")


@dataclass
class FeatureTable:
    """Pooled rows (one per stimulus, ``ID_COLUMNS`` then features) and per-frame arrays."""

    rows: list[dict]
    frames: dict[str, dict[str, np.ndarray]]      # stimulus -> {"frame": ..., key: ...}
    meta: dict = field(default_factory=dict)
    path: str = ""

    @property
    def keys(self) -> list[str]:
        """The per-frame keys (features and scores) the table has."""
        keys: dict[str, None] = {}
        for values in self.frames.values():
            keys.update(dict.fromkeys(k for k in values if k != "frame"))
        return list(keys)

    @property
    def names(self) -> list[str]:
        return [r["stimulus"] for r in self.rows]

    @property
    def contents(self) -> list[str]:
        return [str(r["content"]) for r in self.rows]

    def column(self, name: str) -> np.ndarray:
        if not self.rows or name not in self.rows[0]:
            raise InputError(self.path or None, f"the feature table has no column {name!r}")
        return np.array([_float(r[name]) for r in self.rows])

    def pooled(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The per-stimulus (mean-pooled) value of each key."""
        missing = [k for k in keys if not self.rows or k not in self.rows[0]]
        if missing:
            raise InputError(self.path or None, f"the feature table has no feature {missing[0]!r} "
                                                f"(it has {', '.join(self.keys)})")
        return {k: self.column(k) for k in keys}

    def frame_values(self, stimulus: str, keys: list[str]) -> np.ndarray:
        """(frames, len(keys)) per-frame values of one stimulus, in ``keys`` order."""
        values = self.frames[stimulus]
        return np.column_stack([values[k] for k in keys])

    def row(self, stimulus: str) -> dict:
        return next(r for r in self.rows if r["stimulus"] == stimulus)


def _float(value) -> float:
    if value is None or value == "":
        return math.nan
    return float(value)


def stimulus_specs(dataset: LabDataset) -> list:
    """The batch runner's pair for each stimulus (its label is the stimulus name)."""
    from vqinspect.app.batch.manifest import PairSpec

    return [PairSpec(reference=s.reference, distorted=s.distorted, frames=s.frames, label=s.name,
                     group=s.content, size=s.size, pix_fmt=s.pix_fmt) for s in dataset.stimuli]


def scores_folder(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".scores")


def frames_path(out: str | Path) -> Path:
    out = Path(out)
    return out.with_name(out.stem + ".frames" + out.suffix)


def build_table(dataset: LabDataset, json_paths: list[Path], pools: tuple[str, ...] = ("mean",),
                meta: dict | None = None) -> FeatureTable:
    """The table from each stimulus's score JSON (``json_paths`` in the dataset's order)."""
    from vqinspect.app.scoring.results import pool

    rows, frames = [], {}
    for stimulus, path in zip(dataset.stimuli, json_paths):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        per_frame = data["frames"]
        keys = [k for k in per_frame[0] if k != "frame"] if per_frame else []
        values = {"frame": np.array([f["frame"] for f in per_frame], dtype=np.int64)}
        for k in keys:
            values[k] = np.array([_float(f.get(k)) for f in per_frame])
        frames[stimulus.name] = values
        row = {"stimulus": stimulus.name, "content": stimulus.content, "reference": stimulus.reference,
               "distorted": stimulus.distorted, "frames": stimulus.frames or "", "mos": stimulus.mos,
               "mos_ci": stimulus.mos_ci, "frames_scored": len(per_frame), "score_json": str(path)}
        for k in keys:
            pooled = pool(values[k])
            for p in pools:
                row[k if p == "mean" else f"{k}_{p}"] = pooled[p]
        rows.append(row)
    return FeatureTable(rows, frames, dict(meta or {}, pools=list(pools)))


def write_table(table: FeatureTable, out: str | Path) -> None:
    """The pooled table at ``out`` and the per-frame table beside it (CSV or Parquet)."""
    from vqinspect.app.scoring.results import write_atomic

    out = Path(out)
    columns = list(dict.fromkeys(c for r in table.rows for c in r))
    frame_keys = table.keys
    frame_rows = [{"stimulus": name, "frame": int(v["frame"][i]),
                   **{k: float(v[k][i]) if k in v else math.nan for k in frame_keys}}
                  for name, v in table.frames.items() for i in range(len(v["frame"]))]
    if out.suffix.lower() == ".parquet":
        pd = _pandas_with_parquet()
        for rows, path in ((table.rows, out), (frame_rows, frames_path(out))):
            frame = pd.DataFrame(rows)
            frame.attrs["vqinspect"] = json.dumps(table.meta)
            tmp = path.with_name(f".{path.name}.tmp")
            frame.to_parquet(tmp, index=False)
            tmp.replace(path)
        return
    if out.suffix.lower() != ".csv":
        raise InputError(str(out), "the feature table is a .csv or .parquet file")
    write_atomic(out, _csv_text(table.meta, columns, table.rows))
    write_atomic(frames_path(out), _csv_text(table.meta, ["stimulus", "frame", *frame_keys], frame_rows))


def _csv_text(meta: dict, columns: list[str], rows: list[dict]) -> str:
    buf = io.StringIO()
    buf.write(MAGIC + json.dumps(meta) + "\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow([_cell(r.get(c)) for c in columns])
    return buf.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def read_table(path: str | Path) -> FeatureTable:
    """A feature table written by ``write_table``."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        pd = _pandas_with_parquet()
        try:
            pooled = pd.read_parquet(path)
            per_frame = pd.read_parquet(frames_path(path))
        except (OSError, ValueError) as exc:
            raise InputError(str(path), f"cannot be read ({exc})") from None
        rows = pooled.to_dict("records")
        frame_rows = per_frame.to_dict("records")
        meta = json.loads(pooled.attrs.get("vqinspect", "{}")) if pooled.attrs else {}
    else:
        meta, rows = _read_csv(path)
        _, frame_rows = _read_csv(frames_path(path))
    rows = [_typed(r) for r in rows]
    frames: dict[str, dict[str, list]] = {}
    for r in frame_rows:
        entry = frames.setdefault(str(r["stimulus"]), {})
        for k, v in r.items():
            if k != "stimulus":
                entry.setdefault(k, []).append(_float(v))
    arrays = {name: {k: np.array(v, dtype=np.int64 if k == "frame" else np.float64) for k, v in entry.items()}
              for name, entry in frames.items()}
    missing = [r["stimulus"] for r in rows if r["stimulus"] not in arrays]
    if missing:
        raise InputError(str(path), f"stimulus {missing[0]!r} has no rows in {frames_path(path).name}")
    return FeatureTable(rows, arrays, meta, str(path))


def _read_csv(path: Path) -> tuple[dict, list[dict]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    lines = text.splitlines()
    if not lines or not lines[0].startswith(MAGIC):
        raise InputError(str(path), "is not a feature table of `vqinspect lab features`")
    meta = json.loads(lines[0][len(MAGIC):])
    return meta, list(csv.DictReader(lines[1:]))


def _typed(row: dict) -> dict:
    out = {}
    for k, v in row.items():
        if k in ("stimulus", "content", "reference", "distorted", "frames", "score_json"):
            out[k] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
        elif k == "frames_scored":
            out[k] = int(float(v))
        else:
            out[k] = _float(v)
    return out


def _pandas_with_parquet():
    try:
        import pandas as pd
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError(None, "Parquet needs pandas and pyarrow (pip install pyarrow); write .csv instead") from None
    return pd
