"""What an analysis of opinions starts from and what its views show, without Qt: the inputs
(results files, folders of them, or one SUREAL dataset) read into one dataset, the default
models run on it, and each stimulus's clips resolved so that it can be opened against its
reference. ``vqinspect mos`` and the window's live analysis view both use it; the view calls
``analyse`` in a worker thread whenever ``input_signature`` changes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vqinspect.app.lab.dataset import Dataset, observer_names, opinion_scores, read_dataset
from vqinspect.app.lab.results import dataset_from_results
from vqinspect.app.lab.session import read_results
from vqinspect.app.shared.errors import InputError

RESULTS_MARK = '"vqinspect-lab-results"'   # in the first lines of every results file


# --- inputs ---------------------------------------------------------------------------------

def expand_inputs(inputs: list[str | Path]) -> list[Path]:
    """Files as given; a folder stands for the results files in it, a name with ``*`` for the
    results files it matches (``results/mytest_*_s*.json``: every subject of one test), in
    name order. Folders and patterns are listed afresh at every call, so new sessions join."""
    paths: list[Path] = []
    for item in inputs:
        listed = _listed(Path(item))
        paths += [p for p in listed if is_results(p)] if listed is not None else [Path(item)]
    return paths


def _listed(path: Path) -> list[Path] | None:
    """The JSON files a folder or a pattern stands for; None for a plain file."""
    if path.is_dir():
        return sorted(path.glob("*.json"))
    if any(c in path.name for c in "*?["):
        return sorted(path.parent.glob(path.name))
    return None


def follow_pattern(results_file: str | Path) -> str:
    """The pattern matching every subject's and session's results file of ``results_file``'s
    test in its folder (``<test>_<subject>_s<N>.json``, as the session model names them)."""
    path = Path(results_file)
    subject = read_results(path).get("subject", "")
    marker = f"_{subject}_s"
    stem = path.name[:path.name.rfind(marker)] if subject and marker in path.name else path.stem
    return str(path.parent / f"{stem}_*_s*.json")


def is_results(path: Path) -> bool:
    """Whether ``path`` is one of the runner's results files (by its first 4 KiB)."""
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096)
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        return False
    return RESULTS_MARK in head


def load_inputs(inputs: list[str | Path]) -> Dataset:
    """One SUREAL dataset, or the results files (folders expanded) merged into one."""
    paths = expand_inputs(inputs)
    if not paths:
        raise InputError(None, "no results files found in " + ", ".join(str(p) for p in inputs))
    if len(paths) == 1 and (paths[0].suffix.lower() == ".py" or not is_results(paths[0])):
        return read_dataset(paths[0])
    if any(p.suffix.lower() == ".py" for p in paths):
        raise InputError(None, "give one SUREAL dataset, or results files, not both")
    return dataset_from_results(paths)


def input_signature(inputs: list[str | Path]) -> tuple:
    """(name, size, mtime) of every input file: it changes when a vote is written or a
    session starts. A folder is listed afresh each time."""
    out = []
    for item in inputs:
        files = _listed(Path(item))
        for f in files if files is not None else [Path(item)]:
            try:
                st = f.stat()
            except OSError:
                out.append((str(f), -1, -1))
                continue
            out.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(out)


# --- models -----------------------------------------------------------------------------------

def model_names(requested: list[str] | None, dataset: Dataset) -> list[str]:
    """The requested models (checked), or the defaults for this kind of dataset: MOS, BT500,
    P913, P910, and DMOS when every content has its hidden reference; BT_MLE and
    THURSTONE_MLE for paired comparisons."""
    from vqinspect.app.lab.sureal_models import DEFAULT_MODELS, DEFAULT_PC_MODELS, model_spec

    if requested:
        names = [n.strip() for item in requested for n in item.split(",") if n.strip()]
        for n in names:
            model_spec(n)
        return list(dict.fromkeys(names))
    if dataset.is_pair_comparison:
        return list(DEFAULT_PC_MODELS)
    names = list(DEFAULT_MODELS)
    if dataset.ref_score is not None and has_hidden_references(dataset):
        names.insert(1, "DMOS")
    return names


def has_hidden_references(dataset: Dataset) -> bool:
    refs = {cid for cid, is_ref in zip(dataset.content_ids, dataset.is_reference) if is_ref}
    return refs == set(dataset.content_ids)


def run_models(dataset: Dataset, names: list[str], options: dict) -> dict[str, dict]:
    from vqinspect.app.lab.sureal_models import run_model

    return {name: run_model(dataset, name, **options) for name in names}


# --- the live view's snapshot ------------------------------------------------------------------

@dataclass
class StimulusClips:
    """A stimulus's files as the inspector opens them (absolute where they could be found)."""

    name: str
    content: str
    distorted: str
    reference: str | None


@dataclass
class Analysis:
    """One snapshot of the analysis: the dataset, each model's result, the raw votes
    x[e, s, r] (None for paired comparisons), and per-stimulus clips and plot order."""

    dataset: Dataset
    results: dict[str, dict]
    scores: np.ndarray | None
    observers: list[str]
    clips: list[StimulusClips]
    files: list[str]
    signature: tuple = ()
    skipped: dict[str, str] = field(default_factory=dict)   # model -> why it could not run yet

    @property
    def votes(self) -> int:
        if self.scores is not None:
            return int(np.sum(np.isfinite(self.scores)))
        return int(sum(len(v["os"]) for v in self.dataset.dis_videos))

    @property
    def main_model(self) -> str:
        return next(iter(self.results))

    def order(self) -> list[list[int]]:
        """Stimulus indices grouped by content (content-id order), each group sorted by the
        first model's score (unscored last), as the HTML report lays them out."""
        groups: dict[int, list[int]] = {}
        for k, cid in enumerate(self.dataset.content_ids):
            groups.setdefault(cid, []).append(k)
        q = np.asarray(self.results[self.main_model]["quality_scores"], dtype=float) if self.results else None

        def key(k: int) -> tuple:
            value = float(q[k]) if q is not None else math.nan
            return (math.isnan(value), value if not math.isnan(value) else 0.0, k)

        return [sorted(members, key=key) for _, members in sorted(groups.items())]

    def observer_model(self) -> str | None:
        """The model whose per-subject bias and inconsistency are shown: P910 when run, else
        the first with both."""
        candidates = [m for m, r in self.results.items() if "observer_bias" in r and "observer_inconsistency" in r]
        return "P910" if "P910" in candidates else (candidates[0] if candidates else None)

    def screening(self):
        """The BT.500 screening of the first model that applied it, as (model, Screening)."""
        for model, result in self.results.items():
            if result.get("screening") is not None:
                return model, result["screening"]
        return None


def analyse(inputs: list[str | Path], names: list[str] | None = None) -> Analysis:
    """Read ``inputs`` and run the models (``names``, or the defaults). A model that cannot
    run on the votes so far (say, one subject) is listed in ``skipped`` rather than failing
    the snapshot."""
    from vqinspect.app.lab.sureal_models import run_model

    signature = input_signature(inputs)
    files = [str(p) for p in expand_inputs(inputs)]
    dataset = load_inputs(inputs)
    results: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for name in model_names(names, dataset):
        try:
            with np.errstate(all="ignore"):
                results[name] = run_model(dataset, name)
        except (InputError, ValueError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
            skipped[name] = str(exc)
    scores = None if dataset.is_pair_comparison else opinion_scores(dataset)
    count = scores.shape[1] if scores is not None else 0
    observers = observer_names(dataset, count)
    return Analysis(dataset, results, scores, observers, stimulus_clips(dataset, files), files, signature, skipped)


def stimulus_clips(dataset: Dataset, files: list[str]) -> list[StimulusClips]:
    """Each dis_video's clip and its content's reference. Results files give paths relative to
    the plan's folder; SUREAL datasets relative to the dataset's own folder."""
    refs = {int(r["content_id"]): r.get("path") for r in dataset.ref_videos}
    names = dict(enumerate(dataset.content_names))
    from_results = _results_clips(files) if files and all(is_results(Path(f)) for f in files) else {}
    base = Path(dataset.path).parent if dataset.path else Path(".")
    out = []
    for k, video in enumerate(dataset.dis_videos):
        name = dataset.dis_video_names[k]
        cid = int(video["content_id"])
        if video.get("stimulus") in from_results:
            distorted, reference = from_results[video["stimulus"]]
        else:
            distorted = _resolve(str(video.get("path", name)), [base])
            reference = _resolve(str(refs[cid]), [base]) if refs.get(cid) else None
        out.append(StimulusClips(Path(name).name, names.get(cid, str(cid)), distorted, reference))
    return out


def _results_clips(files: list[str]) -> dict[str, tuple[str, str | None]]:
    """stimulus id -> (clip, reference) from the results files' stimulus lists."""
    out: dict[str, tuple[str, str | None]] = {}
    for f in files:
        record = read_results(f)
        bases = _plan_folders(record, Path(f))
        for s in record["stimuli"]:
            if s["id"] in out:
                continue
            reference = s.get("reference")
            out[s["id"]] = (_resolve(s["path"], bases), _resolve(reference, bases) if reference else None)
    return out


def _plan_folders(record: dict, results_file: Path) -> list[Path]:
    """Where relative clip paths may start: the plan's folder (as recorded, then as seen from
    the results file, whose default place is ``<plan folder>/results``), the results folder."""
    folders = []
    plan = record.get("plan", {}).get("path")
    if plan:
        folders.append(Path(plan).parent)
    folders += [results_file.parent.parent, results_file.parent]
    return folders


def _resolve(path: str, bases: list[Path]) -> str:
    """``path`` made absolute against the first base where it exists (else the first base)."""
    p = Path(path)
    if p.is_absolute():
        return str(p)
    for base in bases:
        if (base / p).exists():
            return str((base / p).resolve())
    return str((bases[0] / p).absolute()) if bases else str(p)
