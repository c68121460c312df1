"""Viewing-test plans (TOML or JSON): the method, stimuli, scale, training items, timing,
repetitions and the seed; and the presentation order drawn from the seed under the usual
constraints (the same content never twice in a row; pair orders balanced A-B / B-A)."""
from __future__ import annotations

import hashlib
import json
import random
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vqinspect.app.shared.errors import InputError

METHODS = ("ACR", "ACR-HR", "DCR", "DSIS", "PC", "CCR")
SCALES = ("5-point", "9-point", "11-point", "continuous", "preference", "ccr")
VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".webm", ".avi", ".y4m", ".ts", ".m2ts", ".mxf", ".ivf", ".yuv")

QUALITY_5 = {5: "Excellent", 4: "Good", 3: "Fair", 2: "Poor", 1: "Bad"}
IMPAIRMENT_5 = {5: "Imperceptible", 4: "Perceptible but not annoying", 3: "Slightly annoying",
                2: "Annoying", 1: "Very annoying"}
QUALITY_9 = {9: "Excellent", 8: "", 7: "Good", 6: "", 5: "Fair", 4: "", 3: "Poor", 2: "", 1: "Bad"}
QUALITY_11 = {10: "Excellent", 9: "", 8: "Good", 7: "", 6: "Fair", 5: "", 4: "Poor", 3: "", 2: "Bad", 1: "", 0: "Very bad"}
CCR_7 = {3: "Much better", 2: "Better", 1: "Slightly better", 0: "The same", -1: "Slightly worse",
         -2: "Worse", -3: "Much worse"}
PREFERENCE = {1: "First", 2: "Second"}


@dataclass
class Stimulus:
    """One clip to rate; ``reference`` is its source (None for a reference itself)."""

    id: str
    path: str
    content: str
    reference: str | None = None
    frames: list[int] | None = None          # [start, end) of the clip to show
    size: int | None = None
    sha256: str | None = None
    hidden_reference: bool = False           # ACR-HR: the source itself, shown as a stimulus


@dataclass
class Scale:
    kind: str = "5-point"
    labels: dict[int, str] = field(default_factory=dict)   # vote value -> label
    minimum: float = 0.0                                   # continuous slider range
    maximum: float = 100.0

    @property
    def values(self) -> list[int]:
        return sorted(self.labels, reverse=True)

    @property
    def top(self) -> float:
        return self.maximum if self.kind == "continuous" else float(max(self.labels))


@dataclass
class Plan:
    name: str
    method: str
    stimuli: list[Stimulus]
    scale: Scale
    training: list[Stimulus] = field(default_factory=list)
    seed: int = 1
    repetitions: int = 1
    grey_seconds: float = 1.0
    vote_seconds: float | None = None        # None: no voting time limit
    pause_every: int | None = None           # a pause screen after every N trials
    display: str = "1:1"                     # "1:1" or "fit"
    language: str = "en"
    separate_contents: bool = True           # never the same content twice in a row
    reshow_dropped: bool = True              # re-show presentations that dropped frames at the end
    source: str = ""                         # the plan file, once read

    def stimulus(self, sid: str) -> Stimulus:
        """A stimulus by id; ``ref:<content>`` is that content's reference clip."""
        for s in self.stimuli + self.training:
            if s.id == sid:
                return s
        if sid.startswith("ref:"):
            content = sid[4:]
            for s in self.stimuli + self.training:
                if s.content == content and s.reference:
                    return Stimulus(sid, s.reference, content, s.reference, s.frames)
        raise KeyError(sid)

    def clip_path(self, sid: str) -> Path:
        """The stimulus's file, relative paths taken from the plan's folder."""
        path = Path(self.stimulus(sid).path)
        return path if path.is_absolute() or not self.source else Path(self.source).parent / path


@dataclass
class Trial:
    """One presentation and its vote: the clips in showing order and what the vote is about."""

    index: int
    shown: list[str]                          # stimulus ids in showing order (references by path: "ref:<content>")
    rated: str                                # the stimulus the vote belongs to
    repetition: int = 0
    reshow_of: int | None = None


def default_scale(method: str, kind: str | None = None) -> Scale:
    if method == "PC":
        return Scale("preference", dict(PREFERENCE))
    if method == "CCR":
        return Scale("ccr", dict(CCR_7))
    kind = kind or "5-point"
    if kind == "continuous":
        return Scale("continuous", {100: "Excellent", 0: "Bad"}, 0.0, 100.0)
    table = {"5-point": IMPAIRMENT_5 if method in ("DCR", "DSIS") else QUALITY_5,
             "9-point": QUALITY_9, "11-point": QUALITY_11}
    if kind not in table:
        raise InputError(None, f"unknown scale {kind!r} (known: {', '.join(SCALES)})")
    return Scale(kind, dict(table[kind]))


def reference_id(content: str) -> str:
    return f"ref:{content}"


# --- reading and writing ---------------------------------------------------------------

def read_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), f"cannot read the plan: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(str(path), f"not a valid plan file: {exc}") from None
    plan = plan_from_dict(data, str(path))
    plan.source = str(path)
    return plan


def plan_from_dict(data: dict, source: str = "") -> Plan:
    test = data.get("test", {})
    method = str(test.get("method", "ACR")).upper()
    if method not in METHODS:
        raise InputError(source, f"unknown method {method!r} (known: {', '.join(METHODS)})")
    scale_data = data.get("scale", {})
    scale = default_scale(method, scale_data.get("kind"))
    if "labels" in scale_data:
        try:
            scale.labels = {int(k): str(v) for k, v in scale_data["labels"].items()}
        except (AttributeError, ValueError):
            raise InputError(source, "scale.labels maps vote values to labels, e.g. {5 = \"Excellent\"}") from None
    scale.minimum = float(scale_data.get("min", scale.minimum))
    scale.maximum = float(scale_data.get("max", scale.maximum))
    timing = data.get("timing", {})
    stimuli = [_stimulus(s, source) for s in data.get("stimuli", [])]
    if not stimuli:
        raise InputError(source, "the plan lists no stimuli")
    ids = [s.id for s in stimuli]
    if len(set(ids)) != len(ids):
        raise InputError(source, "stimulus ids must be unique")
    if method in ("DCR", "DSIS", "CCR", "ACR-HR") and any(s.reference is None and not s.hidden_reference for s in stimuli):
        raise InputError(source, f"{method} needs a reference for every stimulus")
    vote = timing.get("vote_seconds", 0)
    plan = Plan(
        name=str(test.get("name", Path(source).stem or "test")), method=method, stimuli=stimuli, scale=scale,
        training=[_stimulus(s, source) for s in data.get("training", [])],
        seed=int(test.get("seed", 1)), repetitions=int(test.get("repetitions", 1)),
        grey_seconds=float(timing.get("grey_seconds", 1.0)), vote_seconds=float(vote) if vote else None,
        pause_every=int(timing["pause_every"]) if timing.get("pause_every") else None,
        display=str(test.get("display", "1:1")), language=str(test.get("language", "en")),
        separate_contents=bool(test.get("separate_contents", True)),
        reshow_dropped=bool(test.get("reshow_dropped", True)), source=source)
    if plan.repetitions < 1:
        raise InputError(source, "repetitions must be at least 1")
    if plan.display not in ("1:1", "fit"):
        raise InputError(source, "test.display is \"1:1\" or \"fit\"")
    return plan


def _stimulus(d: dict, source: str) -> Stimulus:
    if not isinstance(d, dict) or "path" not in d:
        raise InputError(source, "every stimulus needs a path")
    path = str(d["path"])
    frames = d.get("frames")
    if frames is not None and (len(frames) != 2 or int(frames[0]) >= int(frames[1])):
        raise InputError(source, f"{path}: frames is [start, end) with start < end")
    return Stimulus(id=str(d.get("id", Path(path).stem)), path=path, content=str(d.get("content", Path(path).stem)),
                    reference=d.get("reference"), frames=[int(f) for f in frames] if frames else None,
                    size=d.get("size"), sha256=d.get("sha256"), hidden_reference=bool(d.get("hidden_reference", False)))


def plan_to_dict(plan: Plan) -> dict:
    test = {"name": plan.name, "method": plan.method, "seed": plan.seed, "repetitions": plan.repetitions,
            "display": plan.display, "language": plan.language, "separate_contents": plan.separate_contents,
            "reshow_dropped": plan.reshow_dropped}
    scale = {"kind": plan.scale.kind, "labels": {str(k): v for k, v in plan.scale.labels.items()}}
    if plan.scale.kind == "continuous":
        scale.update(min=plan.scale.minimum, max=plan.scale.maximum)
    timing = {"grey_seconds": plan.grey_seconds, "vote_seconds": plan.vote_seconds or 0,
              "pause_every": plan.pause_every or 0}
    return {"test": test, "scale": scale, "timing": timing,
            "stimuli": [_stimulus_dict(s) for s in plan.stimuli],
            "training": [_stimulus_dict(s) for s in plan.training]}


def _stimulus_dict(s: Stimulus) -> dict:
    return {k: v for k, v in asdict(s).items() if v is not None and v is not False}


def plan_text(plan: Plan, suffix: str) -> str:
    data = plan_to_dict(plan)
    return json.dumps(data, indent=1) + "\n" if suffix.lower() == ".json" else toml_text(data)


def toml_text(data: dict) -> str:
    """The plan as TOML (tables, then arrays of tables; values are strings, numbers, bools, lists)."""
    lines = []
    for name, table in data.items():
        if isinstance(table, list):
            for item in table:
                lines += ["", f"[[{name}]]"] + [f"{k} = {_toml_value(v)}" for k, v in item.items()]
            continue
        lines += ["", f"[{name}]"]
        for k, v in table.items():
            if isinstance(v, dict):
                inner = ", ".join(f"{_toml_key(a)} = {_toml_value(b)}" for a, b in v.items())
                lines.append(f"{k} = {{ {inner} }}")
            else:
                lines.append(f"{k} = {_toml_value(v)}")
    return "\n".join(lines).lstrip() + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and not key.startswith("-") else json.dumps(key)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(str(v))  # TOML basic strings share JSON's escapes


# --- making a plan from clips -------------------------------------------------------------

def file_identity(path: str | Path) -> tuple[int, str]:
    """(size, sha256) of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return Path(path).stat().st_size, digest.hexdigest()


def plan_from_clips(clips: list[Path], references: dict[str, Path], method: str = "ACR", name: str = "test",
                    scale_kind: str | None = None, seed: int = 1, repetitions: int = 1,
                    base: Path | None = None) -> Plan:
    """A plan over ``clips``; ``references`` maps a content name to its source clip. A clip's
    content is the reference whose file stem starts its own stem (``foo_crf30`` -> ``foo``)."""
    method = method.upper()
    if method not in METHODS:
        raise InputError(None, f"unknown method {method!r} (known: {', '.join(METHODS)})")
    stimuli = []
    for clip in sorted(clips):
        content = _content_of(clip, references)
        ref = references.get(content)
        stimuli.append(_identified(Stimulus(clip.stem, _rel(clip, base), content,
                                            _rel(ref, base) if ref else None), clip))
    if method == "ACR-HR":
        for content, ref in sorted(references.items()):
            stimuli.append(_identified(Stimulus(reference_id(content), _rel(ref, base), content, _rel(ref, base),
                                                hidden_reference=True), ref))
    if not stimuli:
        raise InputError(None, "no clips to put in the plan")
    if method in ("DCR", "DSIS", "CCR", "ACR-HR"):
        missing = [s.path for s in stimuli if s.reference is None]
        if missing:
            raise InputError(missing[0], f"{method} needs a reference for every clip; none matches this one")
    return Plan(name=name, method=method, stimuli=stimuli, scale=default_scale(method, scale_kind),
                seed=seed, repetitions=repetitions)


def _identified(s: Stimulus, path: Path) -> Stimulus:
    s.size, s.sha256 = file_identity(path)
    return s


def _content_of(clip: Path, references: dict[str, Path]) -> str:
    best = ""
    for content, ref in references.items():
        if clip.stem.startswith(ref.stem) and len(ref.stem) > len(best):
            best = content
    return best or clip.stem.split("_")[0]


def _rel(path: Path | None, base: Path | None) -> str | None:
    if path is None:
        return None
    if base is not None:
        try:
            return str(Path(path).resolve().relative_to(base.resolve()))
        except ValueError:
            pass
    return str(path)


# --- the presentation order ----------------------------------------------------------------

def presentation_order(plan: Plan, seed: int | None = None) -> list[Trial]:
    """Every trial of the plan in the order a subject sees them, drawn from ``seed`` (the
    plan's by default) under the plan's constraints; the same seed gives the same order."""
    rng = random.Random(plan.seed if seed is None else seed)
    items = _trials(plan, rng)
    if plan.separate_contents:
        items = _separate_contents(items, rng, plan)
    else:
        rng.shuffle(items)
    return [Trial(k, shown, rated, rep) for k, (content, shown, rated, rep) in enumerate(items)]


def training_order(plan: Plan) -> list[Trial]:
    """Training items in the plan's order; their votes are not recorded."""
    return [Trial(k, _training_shown(plan, s), s.id) for k, s in enumerate(plan.training)]


def _training_shown(plan: Plan, s: Stimulus) -> list[str]:
    if plan.method in ("DCR", "DSIS", "CCR") and s.reference:
        return [reference_id(s.content), s.id]
    return [s.id]


def _trials(plan: Plan, rng: random.Random) -> list[tuple]:
    """(content, shown, rated, repetition) for every presentation, before ordering."""
    out = []
    if plan.method == "PC":
        by_content: dict[str, list[Stimulus]] = {}
        for s in plan.stimuli:
            by_content.setdefault(s.content, []).append(s)
        pairs = [(a, b) for group in by_content.values() for i, a in enumerate(group) for b in group[i + 1:]]
        if not pairs:
            raise InputError(plan.source, "pair comparison needs at least two stimuli of one content")
        out += [(a.content, shown, a.id, rep) for (a, b), orders in zip(pairs, _balanced(len(pairs), plan.repetitions, rng))
                for rep, first in enumerate(orders) for shown in [[a.id, b.id] if first else [b.id, a.id]]]
        return out
    if plan.method == "CCR":
        orders = _balanced(len(plan.stimuli), plan.repetitions, rng)
        for s, order in zip(plan.stimuli, orders):
            ref = reference_id(s.content)
            out += [(s.content, [ref, s.id] if first else [s.id, ref], s.id, rep) for rep, first in enumerate(order)]
        return out
    for s in plan.stimuli:
        shown = [reference_id(s.content), s.id] if plan.method in ("DCR", "DSIS") else [s.id]
        out += [(s.content, shown, s.id, rep) for rep in range(plan.repetitions)]
    return out


def _balanced(count: int, repetitions: int, rng: random.Random) -> list[list[bool]]:
    """Per pair, ``repetitions`` orientations (True = A first) alternating, so that each pair is
    within one of balanced and, over all pairs, A-B and B-A differ by at most one."""
    odd = [k % 2 == 0 for k in range(count)] if repetitions % 2 else [True] * count
    rng.shuffle(odd)
    out = []
    for k in range(count):
        start = odd[k] if repetitions % 2 else rng.random() < 0.5
        out.append([start if r % 2 == 0 else not start for r in range(repetitions)])
    return out


def _separate_contents(items: list[tuple], rng: random.Random, plan: Plan) -> list[tuple]:
    """A random order with no two consecutive items of one content. Each step draws among the
    items whose choice keeps the rest arrangeable, so it never dead-ends when an order exists."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item[0]] = counts.get(item[0], 0) + 1
    if not _arrangeable(counts, len(items), None):
        raise InputError(plan.source, "cannot keep one content from showing twice in a row: one content "
                                      "has more than half the trials (set test.separate_contents = false)")
    pool = list(items)
    rng.shuffle(pool)
    order, last = [], None
    while pool:
        remaining = len(pool) - 1
        for k, item in enumerate(pool):
            c = item[0]
            if c == last:
                continue
            counts[c] -= 1
            if _arrangeable(counts, remaining, c):
                break
            counts[c] += 1
        else:  # unreachable while _arrangeable held before the step
            raise AssertionError("no arrangeable item")
        order.append(pool.pop(k))
        last = c
    return order


def _arrangeable(counts: dict[str, int], total: int, last: str | None) -> bool:
    """Whether ``total`` items with these content counts can follow ``last`` with no repeats."""
    return all(n <= (total + 1) // 2 if c != last else n <= total // 2 for c, n in counts.items())
