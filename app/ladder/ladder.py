"""A bitrate ladder: encodes of one title with their measured bitrates, pooled scores and hull
membership per metric key, and the BD-rate / BD-quality between encode groups or two ladders.

The JSON layout is fixed (scripts read it)::

    {"reference": {probe}, "metrics": [...], "encodes": [{"path", "label", "group", "codec",
     "width", "height", "bitrate_kbps", "pooled": {key: {"mean", ...}}, "on_hull": {key: bool}},
     ...], "bd": [{"anchor", "test", "key", "method", "bd_rate_percent", "bd_quality", "note"}]}

plus ``tool``, ``keys``, ``measurement`` and, per encode, ``container_bitrate_kbps`` (when the
header says otherwise), ``scores`` (its score JSON) and ``error`` (when it could not be scored).
Qt-free: the window's Open Ladder reads ``Ladder.load``.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from vqinspect.app.ladder.bd_rate import DEFAULT_METHOD, METHODS, Curve, bd_quality, bd_rate, monotone_curve
from vqinspect.app.ladder.hull import convex_hull, on_hull
from vqinspect.app.scoring.results import tool_info, write_atomic
from vqinspect.app.shared.errors import InputError
from vqinspect.metrics.registry import key_info

MEASUREMENT = ("Every encode is scored against the reference at the reference's size: lower resolutions are "
               "upscaled first (as libvmaf and per-title ladders measure). Bitrates are measured from the "
               "video stream's packets (bits over duration). The convex hull per key is Netflix's "
               "calculate_convex_hull over (bitrate in kbit/s, pooled mean), in linear rate. BD curves are "
               "each ladder's or group's hull, pruned to strictly increasing rate and quality.")


@dataclass
class Encode:
    path: str
    label: str
    group: str = ""
    codec: str = ""
    width: int = 0
    height: int = 0
    bitrate_kbps: float | None = None
    pooled: dict = field(default_factory=dict)
    on_hull: dict = field(default_factory=dict)
    container_bitrate_kbps: float | None = None
    scores: str = ""                  # the encode's score JSON (a batch result)
    error: str = ""

    @property
    def scored(self) -> bool:
        return not self.error and self.bitrate_kbps is not None and bool(self.pooled)

    @property
    def resolution(self) -> str:
        return f"{self.width}x{self.height}"

    def quality(self, key: str) -> float:
        value = (self.pooled.get(key) or {}).get("mean")
        return float(value) if value is not None else math.nan

    def to_json(self) -> dict:
        out = {"path": self.path, "label": self.label, "group": self.group, "codec": self.codec,
               "width": self.width, "height": self.height, "bitrate_kbps": _number(self.bitrate_kbps),
               "pooled": self.pooled, "on_hull": self.on_hull}
        if self.container_bitrate_kbps is not None:
            out["container_bitrate_kbps"] = _number(self.container_bitrate_kbps)
        if self.scores:
            out["scores"] = self.scores
        if self.error:
            out["error"] = self.error
        return out

    @classmethod
    def from_json(cls, d: dict) -> "Encode":
        return cls(str(d["path"]), str(d.get("label", "")), str(d.get("group", "")), str(d.get("codec", "")),
                   int(d.get("width") or 0), int(d.get("height") or 0), _float(d.get("bitrate_kbps")),
                   dict(d.get("pooled") or {}), {k: bool(v) for k, v in (d.get("on_hull") or {}).items()},
                   _float(d.get("container_bitrate_kbps")), str(d.get("scores", "")), str(d.get("error", "")))


@dataclass(frozen=True)
class BdEntry:
    anchor: str
    test: str
    key: str
    method: str
    bd_rate_percent: float
    bd_quality: float
    note: str = ""

    def to_json(self) -> dict:
        return {"anchor": self.anchor, "test": self.test, "key": self.key, "method": self.method,
                "bd_rate_percent": _number(self.bd_rate_percent), "bd_quality": _number(self.bd_quality),
                "note": self.note}

    @classmethod
    def from_json(cls, d: dict) -> "BdEntry":
        return cls(str(d["anchor"]), str(d["test"]), str(d["key"]), str(d["method"]),
                   _nan(d.get("bd_rate_percent")), _nan(d.get("bd_quality")), str(d.get("note", "")))


@dataclass
class Ladder:
    reference: dict
    metrics: list[str]
    encodes: list[Encode]
    keys: list[str] = field(default_factory=list)         # the keys hulls and BD are computed for
    bd: list[BdEntry] = field(default_factory=list)
    name: str = "ladder"

    def to_json(self) -> dict:
        return {"tool": tool_info(), "reference": self.reference, "metrics": self.metrics,
                "encodes": [e.to_json() for e in self.encodes], "bd": [b.to_json() for b in self.bd],
                "keys": self.keys, "measurement": MEASUREMENT}

    def save(self, path: str | Path) -> None:
        write_atomic(path, json.dumps(self.to_json(), indent=1, allow_nan=False))

    @classmethod
    def load(cls, path: str | Path) -> "Ladder":
        """A ladder JSON written by ``vqinspect ladder``; InputError if it is not one."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            encodes = [Encode.from_json(e) for e in data["encodes"]]
            bd = [BdEntry.from_json(b) for b in data.get("bd", [])]
            return cls(dict(data["reference"]), list(data["metrics"]), encodes,
                       list(data.get("keys") or ladder_keys(encodes)), bd, path.stem)
        except FileNotFoundError:
            raise InputError(path, "no such ladder file") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(path, f"is not a vqinspect ladder JSON ({exc})") from None

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(e.group for e in self.encodes))

    def scored(self, group: str | None = None) -> list[Encode]:
        return [e for e in self.encodes if e.scored and (group is None or e.group == group)]

    def to_csv(self) -> str:
        """One row per encode: its facts, then each key's mean and whether it is on the hull."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["path", "label", "group", "codec", "width", "height", "bitrate_kbps",
                    "container_bitrate_kbps", *(c for k in self.keys for c in (f"{k}_mean", f"{k}_on_hull")), "error"])
        for e in self.encodes:
            w.writerow([e.path, e.label, e.group, e.codec, e.width, e.height, _cell(e.bitrate_kbps),
                        _cell(e.container_bitrate_kbps),
                        *(c for k in self.keys for c in (_cell(e.quality(k)), str(e.on_hull.get(k, False)).lower())),
                        e.error])
        return buf.getvalue()


def _number(v):
    return None if v is None or not math.isfinite(v) else round(float(v), 10)


def _float(v):
    return None if v is None else float(v)


def _nan(v) -> float:
    return math.nan if v is None else float(v)


def _cell(v) -> str:
    return "" if v is None or not math.isfinite(v) else f"{v:.6f}"


def ladder_keys(encodes: list[Encode], features: bool = False) -> list[str]:
    """The higher-is-better keys every scored encode has (the registry says which way is better),
    elementary features (VMAF's VIF, ADM...) only when ``features``."""
    scored = [e for e in encodes if e.scored]
    if not scored:
        return []
    keys = [k for k in scored[0].pooled if all(k in e.pooled for e in scored)]
    return [k for k in keys if key_info(k).higher_is_better and (features or not key_info(k).feature)]


def mark_hulls(encodes: list[Encode], keys: list[str]) -> None:
    """Set each encode's ``on_hull`` per key: the hull of all scored encodes of every group."""
    scored = [e for e in encodes if e.scored]
    for key in keys:
        marks = on_hull({i: (e.bitrate_kbps, e.quality(key)) for i, e in enumerate(scored)})
        for i, e in enumerate(scored):
            e.on_hull[key] = marks[i]


def hull_curve(encodes: list[Encode], key: str) -> Curve:
    """The BD curve of ``encodes`` for ``key``: their convex hull, kept strictly increasing."""
    points = [(e.bitrate_kbps, e.quality(key)) for e in encodes if e.scored and math.isfinite(e.quality(key))]
    hull = convex_hull(points)
    return monotone_curve([p.rate for p in hull], [p.metric for p in hull])


def compare(anchor_name: str, anchor: list[Encode], test_name: str, test: list[Encode], keys: list[str],
            methods=(DEFAULT_METHOD,)) -> list[BdEntry]:
    """BD-rate and BD-quality of ``test`` against ``anchor`` for every key and method."""
    entries = []
    for key in keys:
        a, t = hull_curve(anchor, key), hull_curve(test, key)
        pruned = [f"{name}: {_pruned_text(c)}" for name, c in ((anchor_name, a), (test_name, t)) if c.pruned]
        for method in methods:
            if method not in METHODS:
                raise InputError(None, f"unknown BD method {method!r} (choose from {', '.join(METHODS)})")
            rate, quality = bd_rate(a, t, method), bd_quality(a, t, method)
            notes = [f"curves of {len(a)} and {len(t)} hull points", *pruned]
            notes += [f"BD-rate: {rate.note}"] if rate.note else []
            notes += [f"BD-quality: {quality.note}"] if quality.note else []
            entries.append(BdEntry(anchor_name, test_name, key, method, rate.value, quality.value, "; ".join(notes)))
    return entries


def _pruned_text(c: Curve) -> str:
    points = ", ".join(f"{r:.0f} kbit/s at {q:.4g}" for r, q in c.pruned)
    return f"{len(c.pruned)} hull point{'s' if len(c.pruned) > 1 else ''} pruned, quality not strictly rising ({points})"


def group_comparisons(ladder: Ladder, methods=(DEFAULT_METHOD,)) -> list[BdEntry]:
    """Each group against the first one (the manifest's order), when there are several."""
    groups = ladder.groups
    anchor = groups[0] if groups else ""
    return [entry for g in groups[1:]
            for entry in compare(anchor or "(no group)", ladder.scored(anchor), g or "(no group)",
                                 ladder.scored(g), ladder.keys, methods)]
