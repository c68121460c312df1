"""The batch manifest: a CSV (with a header row) or a JSON list of pairs to score.

Each pair has ``reference`` and ``distorted``, and optionally ``offset``, ``frames``
(``START:END``), ``label``, ``group`` (a ladder's encode group), and the per-pair input options
of ``vqinspect score``: ``scaler``, ``force_rate``, ``size``, ``pix_fmt``, ``fps``, and its
alignment options: ``align`` (``auto``), ``max_offset``, ``crop`` (``W:H:X:Y``, ``ref=...``) and
``shift`` (``DX:DY``). Relative paths are relative to the manifest's folder.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from vqinspect.app.shared.errors import InputError

TRUE_WORDS = ("1", "true", "yes", "y")
FALSE_WORDS = ("", "0", "false", "no", "n")


@dataclass(frozen=True)
class PairSpec:
    """One pair of a batch, as the manifest gives it (values are checked when it is scored)."""

    reference: str
    distorted: str
    offset: int | None = None
    frames: str | None = None
    label: str = ""
    group: str = ""
    scaler: str | None = None
    force_rate: bool = False
    size: str | None = None
    pix_fmt: str | None = None
    fps: str | None = None
    align: str | None = None
    max_offset: int | None = None
    crop: str | None = None
    shift: str | None = None

    @property
    def name(self) -> str:
        """The stable file name (without ``.json``) of this pair's result: readable, and unique
        for each (reference, distorted, offset, frames), whatever the manifest's order."""
        identity = json.dumps([str(Path(self.reference).resolve()), str(Path(self.distorted).resolve()),
                               self.offset, self.frames, self.scaler, self.size, self.pix_fmt, self.fps,
                               self.force_rate] + ([self.align, self.max_offset, self.crop, self.shift]
                                                   if self.has_alignment_options else []))
        digest = hashlib.sha1(identity.encode()).hexdigest()[:8]
        stem = self.label or f"{_stem(self.distorted)}_vs_{_stem(self.reference)}"
        return f"{_slug(stem)}-{digest}"

    @property
    def has_alignment_options(self) -> bool:
        """Whether an alignment option is set (names of other pairs stay as they were)."""
        return any(v not in (None, "") for v in (self.align, self.max_offset, self.crop, self.shift))

    def score_arguments(self) -> list[str]:
        """The pair's part of a ``vqinspect score`` command line."""
        argv = [self.reference, self.distorted]
        for flag, value in (("--offset", self.offset), ("--frames", self.frames), ("--scaler", self.scaler),
                            ("--size", self.size), ("--pix-fmt", self.pix_fmt), ("--fps", self.fps),
                            ("--align", self.align), ("--max-offset", self.max_offset), ("--crop", self.crop),
                            ("--shift", self.shift)):
            if value is not None and value != "":
                argv += [flag, str(value)]
        return argv + (["--force-rate"] if self.force_rate else [])

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, "", False)}


FIELDS = tuple(f.name for f in fields(PairSpec))


def _stem(path: str) -> str:
    return Path(path).stem or Path(path).name or "pair"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("._")[:80] or "pair"


def load_manifest(path: str | Path, reference: str | None = None) -> list[PairSpec]:
    """The pairs of a ``.csv`` or ``.json`` manifest; InputError naming the row for a bad one.
    ``reference``: the reference of rows without one (a ladder's manifest lists only encodes)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "no such manifest") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read ({exc})") from None
    rows = _json_rows(path, text) if path.suffix.lower() == ".json" else _csv_rows(path, text)
    if not rows:
        raise InputError(path, "lists no pairs")
    specs = [pair_spec(row, path.parent, f"{path.name}, pair {i}", reference)
             for i, row in enumerate(rows, start=1)]
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(path, f"lists the same pair twice ({twice[0]})")
    return specs


def _json_rows(path: Path, text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InputError(path, f"is not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("pairs"), list):
        data = data["pairs"]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise InputError(path, "must be a JSON list of {\"reference\": ..., \"distorted\": ...} objects")
    return data


def _csv_rows(path: Path, text: str) -> list[dict]:
    reader = csv.DictReader(line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    if not reader.fieldnames or "distorted" not in {f.strip() for f in reader.fieldnames}:
        raise InputError(path, "needs a header row with at least 'reference' and 'distorted' columns")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def pair_spec(row: dict, base: Path, where: str, reference: str | None = None) -> PairSpec:
    """A PairSpec from a manifest row (relative paths from ``base``; ``reference`` when it has none)."""
    unknown = sorted(set(row) - set(FIELDS))
    if unknown:
        raise InputError(None, f"{where}: unknown column {unknown[0]!r} (known: {', '.join(FIELDS)})")
    values = {}
    row = {**row, "reference": row.get("reference") or reference or ""}
    for key in ("reference", "distorted"):
        text = str(row.get(key) or "").strip()
        if not text:
            raise InputError(None, f"{where}: no {key}")
        values[key] = text if Path(text).is_absolute() else str(base / text)
    for key in ("offset", "max_offset"):
        number = row.get(key)
        if number not in (None, ""):
            try:
                values[key] = int(number)
            except (TypeError, ValueError):
                raise InputError(None, f"{where}: {key} must be a whole number, got {number!r}") from None
    align = str(row.get("align") or "").strip().lower()
    if align not in ("", "auto", "none"):
        raise InputError(None, f"{where}: align must be auto (or empty), got {row.get('align')!r}")
    if align == "auto":
        values["align"] = "auto"
    force = row.get("force_rate", False)
    if isinstance(force, str):
        if force.strip().lower() not in TRUE_WORDS + FALSE_WORDS:
            raise InputError(None, f"{where}: force_rate must be true or false, got {force!r}")
        force = force.strip().lower() in TRUE_WORDS
    values["force_rate"] = bool(force)
    for key in ("frames", "scaler", "size", "pix_fmt", "fps", "crop", "shift"):
        if row.get(key) not in (None, ""):
            values[key] = str(row[key])
    for key in ("label", "group"):
        values[key] = str(row.get(key) or "")
    return PairSpec(**values)
