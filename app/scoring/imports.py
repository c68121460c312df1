"""Per-frame scores computed elsewhere: libvmaf logs (JSON, XML, CSV), ffmpeg-quality-metrics
results (JSON, CSV) and our own ``vqinspect score`` JSON/CSV, read into one shape.

The format is recognised from the content, not the extension. Series are renamed to our
key names where the quantity is the same (libvmaf ``psnr_cb`` -> ``psnr_u``, ``float_ssim``
-> ``ssim``, ``integer_vif_scale0`` -> ``vif_scale0``); anything else keeps the tool's name,
so nothing is silently merged with a different metric (ffmpeg's ``ssim`` filter stays
``ssim_y``...). Frame numbers are 0-based, in the order the tool read the frames.
"""
from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vqinspect.app.shared.errors import InputError
from vqinspect.app.scoring.results import ScoreResult, ScoreTable

_FQM_SECTIONS = ("vmaf", "psnr", "ssim", "vif", "msad")
_LIBVMAF_RENAMES = {"psnr_cb": "psnr_u", "psnr_cr": "psnr_v", "psnr": "psnr_y",
                    "motion_sad": "motion"}
_OLD_FEATURE = re.compile(r"^VMAF_(?:integer_|float_)?feature_(\w+?)_score$")
_KNOWN_FORMATS = ("a libvmaf log (JSON, XML, CSV), an ffmpeg-quality-metrics result (JSON, CSV) "
                  "or a vqinspect score file (JSON, CSV)")


class ScoresFileError(InputError):
    """A score file that cannot be read: ``PATH: problem`` in one line."""


@dataclass
class ImportedScores:
    """Per-frame series read from a file; ``series[key][i]`` belongs to ``frames[i]``.

    ``original_keys`` maps each of our keys to the tool's name for it; ``result`` is the
    whole scoring run when the file is a ``vqinspect score`` JSON.
    """

    path: str
    tool: str                         # libvmaf, ffmpeg-quality-metrics or vqinspect
    format: str                       # e.g. libvmaf-json, fqm-json, vqinspect-csv
    frames: np.ndarray
    series: dict[str, np.ndarray]
    original_keys: dict[str, str] = field(default_factory=dict)
    tool_version: str = ""
    notes: list[str] = field(default_factory=list)
    result: ScoreResult | None = None
    made_from: dict = field(default_factory=dict)   # what the file says of its inputs: width, height,
                                                    # reference, distorted (file names)

    @property
    def keys(self) -> list[str]:
        return list(self.series)

    @property
    def label(self) -> str:
        """What a plot legend says about where the series came from."""
        version = f" {self.tool_version}" if self.tool_version else ""
        return f"{self.tool}{version}: {Path(self.path).name}"

    def to_table(self) -> ScoreTable:
        """The series as a ScoreTable whose rows are the file's frame numbers."""
        start, stop = int(self.frames.min()), int(self.frames.max()) + 1
        table = ScoreTable(start, stop, self.keys)
        for i, frame in enumerate(self.frames):
            table.set_row(int(frame), {k: float(v[i]) for k, v in self.series.items()})
        return table


def load_scores(path) -> ImportedScores:
    """Read any supported score file; ScoresFileError (one line) when it cannot."""
    text = _read_text(Path(path))
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return _from_json(str(path), text)
    if head == "<":
        return _from_xml(str(path), text)
    return _from_csv(str(path), text)


def _read_text(p: Path) -> str:
    if not p.exists():
        raise ScoresFileError(p, "no such file")
    if p.is_dir():
        raise ScoresFileError(p, "is a directory, not a score file")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ScoresFileError(p, f"cannot be read ({exc.strerror or exc})") from None
    if not data.strip():
        raise ScoresFileError(p, "is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScoresFileError(p, f"is not a text file; expected {_KNOWN_FORMATS}") from None


# ---------------------------------------------------------------- key names

def libvmaf_key(name: str) -> str:
    """Our key for a libvmaf feature name (``integer_adm2`` -> ``adm2``, ``psnr_cb`` -> ``psnr_u``)."""
    old = _OLD_FEATURE.match(name)
    if old:
        name = old.group(1)
    for prefix in ("integer_", "float_"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return _LIBVMAF_RENAMES.get(name, name)


def _fqm_key(section: str, name: str) -> str:
    if section == "vmaf":
        return libvmaf_key(name)
    if section == "vif" and name.startswith("scale_"):
        return f"vif_scale{name[6:]}"
    return name if name.startswith(section) or section == "psnr" else f"{section}_{name}"


class _Collector:
    """Rows of {tool key: value} per frame -> aligned float64 series under our names."""

    def __init__(self, path: str):
        self.path = path
        self.rows: dict[int, dict[str, float]] = {}
        self.original: dict[str, str] = {}     # our key -> tool key
        self._ours: dict[tuple, str] = {}      # (section, tool key) -> our key

    def add(self, frame, section: str, name: str, value, rename) -> None:
        key = self._ours.get((section, name))
        if key is None:
            key = rename(name)
            if key in self.original:           # two tool series would share a name
                key = f"{section}_{name}" if section else name
                while key in self.original:
                    key += "_"
            self._ours[(section, name)] = key
            self.original[key] = name
        self.rows.setdefault(self._frame(frame), {})[key] = self._value(value, frame, name)

    def _frame(self, frame) -> int:
        try:
            f = int(frame)
        except (TypeError, ValueError):
            raise ScoresFileError(self.path, f"frame number {frame!r} is not a whole number") from None
        if f < 0:
            raise ScoresFileError(self.path, f"frame number {f} is negative")
        return f

    def _value(self, value, frame, name) -> float:
        if value is None or value == "":
            return math.nan
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ScoresFileError(self.path, f"frame {frame}: {name} = {value!r} is not a number") from None

    def arrays(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if not self.rows:
            raise ScoresFileError(self.path, "holds no per-frame scores")
        frames = np.array(sorted(self.rows), dtype=np.int64)
        series = {k: np.array([self.rows[f].get(k, math.nan) for f in frames], dtype=np.float64)
                  for k in self.original}
        return frames, series


def _imported(c: _Collector, tool: str, fmt: str, version: str = "", notes=(), result=None, made_from=None):
    frames, series = c.arrays()
    return ImportedScores(c.path, tool, fmt, frames, series, dict(c.original), version,
                          list(notes), result, dict(made_from or {}))


def _size(attrs: dict) -> dict:
    """The size libvmaf computed at (``qualityWidth``; older logs ``scaledWidth``), if logged."""
    for w, h in (("qualityWidth", "qualityHeight"), ("scaledWidth", "scaledHeight")):
        try:
            return {"width": int(attrs[w]), "height": int(attrs[h])}
        except (KeyError, TypeError, ValueError):
            continue
    return {}


def pair_mismatches(imported: ImportedScores, pair, offset: int | None = None) -> list[str]:
    """How a score file does not fit the pair it is shown with, one sentence each: other input
    files, another size, another frame count, or an offset that moves only the pictures."""
    out = []
    made = dict(imported.made_from)
    if imported.result is not None:
        for role, saved in (("reference", imported.result.reference), ("distorted", imported.result.distorted)):
            if saved.get("path"):
                made[role] = saved["path"]
        if imported.result.reference.get("width"):
            made.setdefault("width", imported.result.reference["width"])
            made.setdefault("height", imported.result.reference["height"])
    for role, source in (("reference", pair.reference), ("distorted", pair.distorted)):
        name = Path(str(made.get(role, ""))).name
        if name and name != Path(source.info.path).name:
            out.append(f"the scores were computed for {role} {name}, not {Path(source.info.path).name}")
    info = pair.reference.info
    if made.get("width") and (made["width"], made["height"]) != (info.width, info.height):
        out.append(f"the scores were computed at {made['width']}x{made['height']}; the reference is "
                   f"{info.width}x{info.height}")
    first, last = int(imported.frames.min()), int(imported.frames.max())
    if last + 1 - first != pair.frames or first != pair.start:
        out.append(f"the scores cover frames {first}–{last} ({len(imported.frames)} frames); the pair has reference "
                   f"frames {pair.start}–{pair.stop - 1} ({pair.frames})")
    if offset and imported.result is None:
        out.append(f"offset {offset} moves only the distorted pictures: {imported.tool}'s frame numbers are its "
                   f"own, taken as reference frame numbers")
    return out


# ---------------------------------------------------------------- JSON

def _from_json(path: str, text: str) -> ImportedScores:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScoresFileError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                                    f"{exc.msg})") from None
    if isinstance(data, dict):
        frames = data.get("frames")
        first = frames[0] if isinstance(frames, list) and frames and isinstance(frames[0], dict) else {}
        if "frameNum" in first and "metrics" in first:
            return _libvmaf_json(path, data)
        if (data.get("tool") or {}).get("name") == "vqinspect" or "frame" in first:
            return _vqinspect_json(path, data)
        if any(_is_fqm_section(data.get(s)) for s in _FQM_SECTIONS):
            return _fqm_json(path, data)
    raise ScoresFileError(path, f"this JSON is not {_KNOWN_FORMATS}")


def _is_fqm_section(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict) and "n" in value[0]


def _libvmaf_json(path: str, data: dict) -> ImportedScores:
    c = _Collector(path)
    for entry in data["frames"]:
        metrics = entry.get("metrics") if isinstance(entry, dict) else None
        if not isinstance(metrics, dict):
            raise ScoresFileError(path, "a libvmaf frame entry has no metrics")
        for name, value in metrics.items():
            c.add(entry.get("frameNum"), "", name, value, libvmaf_key)
    params = data.get("params") if isinstance(data.get("params"), dict) else {}
    return _imported(c, "libvmaf", "libvmaf-json", str(data.get("version", "")), made_from=_size(params))


def _fqm_json(path: str, data: dict) -> ImportedScores:
    c = _Collector(path)
    for section in _FQM_SECTIONS:
        entries = data.get(section) or []
        for entry in entries:
            for name, value in entry.items():
                if name != "n":
                    c.add(_one_based(entry.get("n"), path), section, name, value,
                          lambda n, s=section: _fqm_key(s, n))
    notes = ["ffmpeg-quality-metrics numbers frames from 1; shown here from 0"]
    made = {role: data[key] for role, key in (("reference", "input_file_ref"), ("distorted", "input_file_dist"))
            if isinstance(data.get(key), str)}
    return _imported(c, "ffmpeg-quality-metrics", "fqm-json", notes=notes, made_from=made)


def _one_based(n, path: str) -> int:
    try:
        return int(n) - 1
    except (TypeError, ValueError):
        raise ScoresFileError(path, f"frame number n={n!r} is not a whole number") from None


def _vqinspect_json(path: str, data: dict) -> ImportedScores:
    result = score_result_from_json(data, path)
    c = _Collector(path)
    for frame in result.table.scored_frames():
        for key, value in result.table.row(int(frame)).items():
            c.add(int(frame), "", key, value, str)
    version = str((data.get("tool") or {}).get("version", ""))
    return _imported(c, "vqinspect", "vqinspect-json", version, result=result)


def score_result_from_json(data: dict, path: str = "") -> ScoreResult:
    """A ScoreResult back from the JSON of ``vqinspect score`` (``ScoreResult.to_json``)."""
    frames = data.get("frames")
    if not isinstance(frames, list) or not all(isinstance(f, dict) and "frame" in f for f in frames):
        raise ScoresFileError(path or None, "has no 'frames' list of {\"frame\": N, ...} rows")
    if not frames:
        raise ScoresFileError(path or None, "holds no scored frames")
    numbers = [int(f["frame"]) for f in frames]
    alignment = dict(data.get("alignment") or {})
    start = int(alignment.get("start", min(numbers)))
    stop = int(alignment.get("stop", max(numbers) + 1))
    start, stop = min(start, min(numbers)), max(stop, max(numbers) + 1)
    keys = [k for k in frames[0] if k != "frame"]
    table = ScoreTable(start, stop, keys)
    for f in frames:
        table.set_row(int(f["frame"]), {k: math.nan if v is None else float(v)
                                        for k, v in f.items() if k != "frame"})
    alignment.pop("frames_scored", None)
    alignment.setdefault("offset", 0)
    return ScoreResult(table, list(data.get("metrics") or []), dict(data.get("reference") or {}),
                       dict(data.get("distorted") or {}), alignment, str(data.get("status", "complete")),
                       list(data.get("problems") or []))


# ---------------------------------------------------------------- XML and CSV

def _from_xml(path: str, text: str) -> ImportedScores:
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ScoresFileError(path, f"is not well-formed XML ({exc})") from None
    if root.tag != "VMAF":
        raise ScoresFileError(path, f"XML root <{root.tag}> is not a libvmaf log (<VMAF>)")
    c = _Collector(path)
    for frame in root.iter("frame"):
        attrs = dict(frame.attrib)
        number = attrs.pop("frameNum", None)
        for name, value in attrs.items():
            c.add(number, "", name, value, libvmaf_key)
    params = root.find("params")
    return _imported(c, "libvmaf", "libvmaf-xml", root.get("version", ""),
                     made_from=_size(dict(params.attrib)) if params is not None else {})


def _from_csv(path: str, text: str) -> ImportedScores:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise ScoresFileError(path, f"is not readable CSV ({exc})") from None
    header = [h.strip() for h in rows[0]] if rows else []
    first = header[0] if header else ""
    if first == "Frame":
        tool, fmt, rename, base = "libvmaf", "libvmaf-csv", libvmaf_key, 0
    elif first == "frame":
        tool, fmt, rename, base = "vqinspect", "vqinspect-csv", str, 0
    elif first == "n":
        tool, fmt, base = "ffmpeg-quality-metrics", "fqm-csv", 1
        rename = _fqm_csv_key
    else:
        raise ScoresFileError(path, f"is not {_KNOWN_FORMATS}")
    skip = {"", "input_file_dist", "input_file_ref"}
    c = _Collector(path)
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len([h for h in header if h]):
            raise ScoresFileError(path, f"line {line} has {len(row)} of {len(header)} columns")
        number = c._frame(row[0].strip()) - base
        for name, value in zip(header[1:], row[1:]):
            if name not in skip:
                c.add(number, "", name, value.strip(), rename)
    notes = ["ffmpeg-quality-metrics numbers frames from 1; shown here from 0"] if base else []
    first_row = dict(zip(header, rows[1])) if len(rows) > 1 else {}
    made = {role: first_row[key].strip() for role, key in (("reference", "input_file_ref"),
                                                           ("distorted", "input_file_dist")) if first_row.get(key)}
    return _imported(c, tool, fmt, notes=notes, made_from=made)


def _fqm_csv_key(name: str) -> str:
    if name.startswith("scale_"):
        return f"vif_scale{name[6:]}"
    return libvmaf_key(name)
