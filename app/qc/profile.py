"""QC profiles: small TOML files of rules on pooled statistics and per-frame values.

A rule is one line of text and, for per-frame rules, how many failing frames it tolerates::

    name = "streaming-top-rung"
    title = "Streaming ladder, top rung"
    about = "Where the numbers come from."

    [[rules]]
    check = "vmaf.p5 >= 80"          # pooled: KEY.STAT OP LIMIT

    [[rules]]
    check = "vmaf >= 70"             # per frame: KEY OP LIMIT ...
    max_run = 12                     # ... failing on at most 12 consecutive frames

STAT is mean, harmonic_mean, min, max or a percentile pNN. Keys come from the metric registry:
an unknown key, or a rule that asks a score to be low where higher is better (or the reverse),
is a one-line error.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from vqinspect.app.shared.errors import InputError
from vqinspect.metrics.registry import all_infos, is_declared, key_info

OPERATORS = (">=", "<=", ">", "<")
STATS = ("mean", "harmonic_mean", "min", "max")
_RULE = re.compile(r"^\s*([A-Za-z_][\w]*)(?:\.(\w+))?\s*(>=|<=|>|<)\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Rule:
    """``key[.stat] op limit``; a per-frame rule (no stat) fails on a run of more than
    ``max_run`` consecutive failing frames, or on more than ``max_frames`` failing frames."""

    text: str
    key: str
    stat: str | None
    op: str
    limit: float
    max_run: int = 0
    max_frames: int | None = None

    @property
    def per_frame(self) -> bool:
        return self.stat is None

    def holds(self, value):
        """Whether ``value`` (a number or a numpy array) meets the limit."""
        return {">=": value >= self.limit, "<=": value <= self.limit, ">": value > self.limit,
                "<": value < self.limit}[self.op]

    def describe(self) -> str:
        if not self.per_frame:
            return self.text
        tolerance = f"at most {self.max_run} consecutive failing frames" if self.max_run else "on every frame"
        if self.max_frames is not None:
            tolerance += f", at most {self.max_frames} in all"
        return f"{self.text} ({tolerance})"


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    about: str
    rules: tuple[Rule, ...]
    path: str = ""

    def metrics(self) -> list[str]:
        """The metrics whose keys the rules read, in rule order."""
        names = []
        for rule in self.rules:
            owner = next((i.name for i in all_infos() if i.key(rule.key) is not None), None)
            if owner and owner not in names:
                names.append(owner)
        return names


def shipped_profiles() -> dict[str, Path]:
    folder = resources.files("vqinspect.resources").joinpath("profiles")
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".toml")}


def load_profile(spec: str) -> Profile:
    """A profile from a TOML file or the name of a shipped one; InputError (one line) if unusable."""
    path = Path(spec)
    if not path.exists():
        shipped = shipped_profiles()
        if spec not in shipped:
            raise InputError(None, f"no QC profile {spec!r}: give a TOML file or one of {', '.join(sorted(shipped))}")
        path = shipped[spec]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"is not a valid TOML profile ({exc})") from None
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise InputError(path, "has no [[rules]]")
    return Profile(str(data.get("name") or path.stem), str(data.get("title") or data.get("name") or path.stem),
                   str(data.get("about", "")), tuple(parse_rule(r, path) for r in rules), str(path))


def parse_rule(entry, path=None) -> Rule:
    """One ``[[rules]]`` table (or a bare rule text) as a Rule."""
    if isinstance(entry, str):
        entry = {"check": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("check"), str):
        raise InputError(path, f"a rule needs check = \"KEY[.STAT] OP LIMIT\", got {entry!r}")
    text = entry["check"].strip()
    m = _RULE.match(text)
    if m is None:
        raise InputError(path, f"rule {text!r}: write it as KEY.STAT OP LIMIT (vmaf.p5 >= 80) or KEY OP LIMIT")
    key, stat, op, limit = m.group(1), m.group(2), m.group(3), float(m.group(4))
    if not is_declared(key):
        raise InputError(path, f"rule {text!r}: unknown score key {key!r}")
    if stat is not None and stat not in STATS and not re.fullmatch(r"p\d{1,2}", stat):
        raise InputError(path, f"rule {text!r}: unknown statistic {stat!r} (mean, harmonic_mean, min, max, p1..p99)")
    wants_high = op.startswith(">")
    if wants_high != key_info(key).higher_is_better:
        better = "higher" if key_info(key).higher_is_better else "lower"
        raise InputError(path, f"rule {text!r}: {better} {key} is better, so its limit is a "
                               f"{'minimum (>=)' if better == 'higher' else 'maximum (<=)'}")
    extra = set(entry) - {"check", "max_run", "max_frames"}
    if extra:
        raise InputError(path, f"rule {text!r}: unknown setting {sorted(extra)[0]!r} (max_run, max_frames)")
    if stat is not None and ("max_run" in entry or "max_frames" in entry):
        raise InputError(path, f"rule {text!r}: max_run and max_frames go with per-frame rules (KEY OP LIMIT)")
    max_run, max_frames = entry.get("max_run", 0), entry.get("max_frames")
    if not isinstance(max_run, int) or max_run < 0 or (max_frames is not None and (not isinstance(max_frames, int)
                                                                                   or max_frames < 0)):
        raise InputError(path, f"rule {text!r}: max_run and max_frames are whole numbers of frames")
    return Rule(text, key, stat, op, limit, max_run, max_frames)
