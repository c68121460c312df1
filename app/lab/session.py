"""One subject's session of a viewing test, without Qt: the order, the votes, the results file.

The results file (one per subject and session) is rewritten atomically after every vote, so
a crash, a power cut or Esc loses at most the vote being cast, and the file is valid JSON at
every moment. ``resume`` reopens the subject's unfinished file and continues in its order.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from vqinspect.app.lab.plan import Plan, Trial, file_identity, presentation_order
from vqinspect.app.scoring.results import write_atomic
from vqinspect.app.shared.errors import InputError

RESULTS_FORMAT = "vqinspect-lab-results"
RESULTS_VERSION = 1
DROP_FACTOR = 1.5   # a frame interval over 1.5 frame periods means a frame was not shown in time


@dataclass
class PresentationTiming:
    """How one presentation went on screen: the intervals between shown frames."""

    frames: int
    expected_ms: float
    mean_ms: float
    std_ms: float
    min_ms: float
    max_ms: float
    dropped: int

    @classmethod
    def from_intervals(cls, intervals_s: list[float], fps: float) -> "PresentationTiming":
        expected = 1000.0 / fps
        ms = [1000.0 * i for i in intervals_s]
        if not ms:
            return cls(len(intervals_s) + 1, expected, expected, 0.0, expected, expected, 0)
        mean = sum(ms) / len(ms)
        std = (sum((v - mean) ** 2 for v in ms) / len(ms)) ** 0.5
        dropped = sum(max(0, round(v / expected) - 1) for v in ms if v > DROP_FACTOR * expected)
        return cls(len(ms) + 1, expected, mean, std, min(ms), max(ms), dropped)


class Session:
    """The runner's model: which trial comes next, and every vote so far, on disk."""

    def __init__(self, plan: Plan, subject: str, path: Path, record: dict):
        self.plan = plan
        self.subject = subject
        self.path = path
        self.record = record
        self.trials = [Trial(**t) for t in record["order"]]
        self.votes = {v["trial"]: v for v in record["votes"]}

    # --- opening ---
    @classmethod
    def start(cls, plan: Plan, subject: str, out_dir: str | Path | None = None, resume: bool = False) -> "Session":
        """A new session (results file ``<plan>_<subject>_s<N>.json``), or with ``resume`` the
        subject's latest unfinished one."""
        if not re.fullmatch(r"[\w.@+-]+", subject):
            raise InputError(None, f"subject id {subject!r}: use letters, digits, '.', '-', '_'")
        out = Path(out_dir) if out_dir else Path(plan.source or ".").parent / "results"
        stem = f"{_slug(plan.name)}_{subject}"
        existing = sorted((p for p in out.glob(f"{stem}_s*.json") if re.fullmatch(rf"{re.escape(stem)}_s\d+\.json", p.name)),
                          key=_session_number)
        if resume:
            for path in reversed(existing):
                record = read_results(path)
                if not record.get("complete"):
                    session = cls(plan, subject, path, record)
                    session._check_plan()
                    for stale in path.parent.glob(f".{path.name}.*"):   # a write the crash interrupted
                        stale.unlink(missing_ok=True)
                    return session
            raise InputError(str(out), f"no unfinished session of subject {subject} to resume")
        number = _session_number(existing[-1]) + 1 if existing else 1
        identities = _identities(plan)
        record = {
            "format": RESULTS_FORMAT, "version": RESULTS_VERSION,
            "plan": {"name": plan.name, "path": plan.source, "sha256": _plan_digest(plan), "method": plan.method,
                     "seed": plan.seed, "repetitions": plan.repetitions, "scale": asdict(plan.scale)},
            "subject": subject, "session": number,
            "started": _now(), "updated": _now(), "complete": False,
            "stimuli": [dict(asdict(s), **identities.get(s.id, {})) for s in plan.stimuli],
            "order": [asdict(t) for t in presentation_order(plan)],
            "votes": [],
        }
        session = cls(plan, subject, out / f"{stem}_s{number}.json", record)
        session.save()
        return session

    def _check_plan(self) -> None:
        if self.record["plan"].get("sha256") != _plan_digest(self.plan):
            raise InputError(str(self.path), "the plan changed since this session started; "
                                             "resume with the plan it was started with")

    # --- progress ---
    def next_trial(self) -> Trial | None:
        for trial in self.trials:
            if trial.index not in self.votes:
                return trial
        if self._queue_reshows():
            return self.next_trial()
        return None

    @property
    def done(self) -> int:
        return len(self.votes)

    @property
    def total(self) -> int:
        return len(self.trials)

    @property
    def complete(self) -> bool:
        return bool(self.record["complete"])

    def pause_due(self) -> bool:
        """True right after every ``pause_every``-th vote (not after the last)."""
        every = self.plan.pause_every
        return bool(every) and self.done % every == 0 and self.next_trial() is not None

    # --- voting ---
    def vote(self, trial: Trial, value: float, timing: list[PresentationTiming] | None = None,
             response_s: float | None = None) -> None:
        """Record the vote on ``trial`` and write the file before returning."""
        if trial.index in self.votes:
            raise ValueError(f"trial {trial.index} already has a vote")
        self._check_value(value)
        timing = timing or []
        entry = {"trial": trial.index, "rated": trial.rated, "value": value, "time": _now(),
                 "response_s": None if response_s is None else round(response_s, 3),
                 "timing": [asdict(t) for t in timing],
                 "dropped_frames": sum(t.dropped for t in timing)}
        self._append(entry)

    def time_out(self, trial: Trial, timing: list[PresentationTiming] | None = None) -> None:
        """The voting time ran out: the trial is recorded without a vote (``value`` null)."""
        if trial.index in self.votes:
            raise ValueError(f"trial {trial.index} already has a vote")
        entry = {"trial": trial.index, "rated": trial.rated, "value": None, "time": _now(), "response_s": None,
                 "timing": [asdict(t) for t in timing or []], "dropped_frames": sum(t.dropped for t in timing or []),
                 "timed_out": True}
        self._append(entry)

    def _append(self, entry: dict) -> None:
        """Add a vote and write the whole file atomically before returning."""
        self.votes[entry["trial"]] = entry
        self.record["votes"].append(entry)
        if self.next_trial() is None:
            self.record["complete"] = True
        self.save()

    def _check_value(self, value: float) -> None:
        scale = self.plan.scale
        if scale.kind == "continuous":
            if not scale.minimum <= value <= scale.maximum:
                raise ValueError(f"vote {value} outside {scale.minimum}..{scale.maximum}")
        elif value not in scale.labels:
            raise ValueError(f"vote {value} is not on the scale {sorted(scale.labels)}")

    def _queue_reshows(self) -> bool:
        """At the end, once: the presentations that dropped frames go again (plan permitting)."""
        if not self.plan.reshow_dropped:
            return False
        shown_again = {t.reshow_of for t in self.trials if t.reshow_of is not None}
        flagged = [t for t in self.trials if t.reshow_of is None and t.index not in shown_again
                   and self.votes.get(t.index, {}).get("dropped_frames", 0) > 0]
        for t in flagged:
            trial = Trial(len(self.trials), t.shown, t.rated, t.repetition, reshow_of=t.index)
            self.trials.append(trial)
            self.record["order"].append(asdict(trial))
        return bool(flagged)

    def save(self) -> None:
        self.record["updated"] = _now()
        write_atomic(self.path, json.dumps(self.record, indent=1, allow_nan=False) + "\n")


def read_results(path: str | Path) -> dict:
    """A results file, checked to be one."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"not valid JSON: {exc}") from None
    if not isinstance(record, dict) or record.get("format") != RESULTS_FORMAT:
        raise InputError(str(path), "not a vqinspect lab results file")
    return record


def _identities(plan: Plan) -> dict[str, dict]:
    """The size and SHA-256 of every clip the plan shows, refusing a clip that changed since
    the plan recorded its identity."""
    out = {}
    for s in plan.stimuli:
        try:
            size, digest = file_identity(plan.clip_path(s.id))
        except OSError as exc:
            raise InputError(s.path, f"cannot read the clip: {exc.strerror or exc}") from None
        if s.sha256 and s.sha256 != digest:
            raise InputError(s.path, "this clip changed since the plan was written (its SHA-256 differs)")
        out[s.id] = {"size": size, "sha256": digest}
    return out


def _plan_digest(plan: Plan) -> str:
    from vqinspect.app.lab.plan import plan_to_dict

    return hashlib.sha256(json.dumps(plan_to_dict(plan), sort_keys=True).encode()).hexdigest()


def _session_number(path: Path) -> int:
    match = re.search(r"_s(\d+)\.json$", path.name)
    return int(match.group(1)) if match else 0


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-") or "test"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
