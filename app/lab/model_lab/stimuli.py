"""The stimuli of a training dataset: reference, distorted, content, optional frame range, and
the subjective score (MOS or DMOS) with its 95 % interval if known.

Formats read:
- a SUREAL / vmaf dataset (``.py`` read literally and never run, or ``.json``): the score is
  ``dmos``, ``mos`` or ``groundtruth`` in that order (vmaf's ``read_dataset``), with
  ``groundtruth_std`` as the standard error when present; otherwise the MOS of the raw ``os``
  votes with a Student-t interval t(0.975, N-1)·s/√N;
- the JSON written by ``vqinspect mos --json`` (SUREAL's ``output.json``): it names the distorted
  clips only, so the references come from ``--references`` (a SUREAL dataset or plan of the same
  clips, see ``read_lab_dataset``);
- a CSV ``reference,distorted,content,mos[,mos_ci][,frames]`` (``mos_ci`` a half-width,
  ``frames`` START:END with END exclusive). Relative paths are relative to the file.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vqinspect.app.shared.errors import InputError

Z95 = 1.95996  # SUREAL's normal 97.5 % point, used for a given standard error


@dataclass(frozen=True)
class LabStimulus:
    """One distorted clip with its reference and subjective score."""

    name: str
    reference: str
    distorted: str
    content: str
    mos: float
    mos_ci: float = math.nan          # 95 % half-width; NaN when unknown
    frames: str | None = None         # START:END (END exclusive)
    size: str | None = None           # raw .yuv inputs: WxH, pixel format
    pix_fmt: str | None = None


@dataclass
class LabDataset:
    name: str
    stimuli: list[LabStimulus]
    source: str = ""

    @property
    def contents(self) -> list[str]:
        return sorted({s.content for s in self.stimuli})


def read_lab_dataset(path: str | Path, mos_model: str | None = None) -> LabDataset:
    """The stimuli of a SUREAL dataset, a ``vqinspect mos`` JSON or a CSV (see the module doc).
    ``mos_model``: which model's score to take from a ``vqinspect mos`` JSON (default: the first)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(str(path), f"cannot be read as JSON ({exc})") from None
        if isinstance(data, dict) and _is_mos_output(data):
            return _read_mos_output(path, data, mos_model)
    if suffix not in (".py", ".json"):
        raise InputError(str(path), "a dataset is a SUREAL .py/.json file, a vqinspect mos .json or a .csv")
    return _read_sureal(path)


def _is_mos_output(data: dict) -> bool:
    videos = data.get("dis_videos")
    return isinstance(videos, list) and bool(videos) and isinstance(videos[0], dict) and "models" in videos[0]


def _read_sureal(path: Path) -> LabDataset:
    from vqinspect.app.lab.dataset import opinion_scores, read_dataset
    from vqinspect.app.lab.mos import mos_stats

    ds = read_dataset(path)
    if ds.is_pair_comparison:
        raise InputError(str(path), "a paired-comparison dataset has no per-stimulus scores to train on; "
                                    "run `vqinspect mos` on it first and use its --dataset-out file")
    refs = {int(r["content_id"]): r for r in ds.ref_videos}
    given = [_given_score(v) for v in ds.dis_videos]
    votes = None
    if any(g is None for g in given):
        votes = mos_stats(opinion_scores(ds))
    base = path.parent
    stimuli = []
    for k, video in enumerate(ds.dis_videos):
        ref = refs[int(video["content_id"])]
        if given[k] is not None:
            mos, ci = given[k]
        else:
            mos = float(votes["quality_scores"][k])
            ci = float(votes["quality_scores_ci95_student_t"][0][k])
        if not math.isfinite(mos):
            raise InputError(str(path), f"dis_videos[{k}] has no score and no votes")
        for key in ("path",):
            if not isinstance(video.get(key), str) or not isinstance(ref.get(key), str):
                raise InputError(str(path), f"dis_videos[{k}] or its reference has no 'path'")
        size = _raw_size(ds.fields, video, ref)
        stimuli.append(LabStimulus(
            name=_stimulus_name(video, k), reference=_resolve(ref["path"], base),
            distorted=_resolve(video["path"], base), content=str(ref.get("content_name", ref["content_id"])),
            mos=mos, mos_ci=ci, frames=_sureal_frames(video, path, k),
            size=size, pix_fmt=_raw_pix_fmt(ds.fields, video) if size else None))
    return LabDataset(ds.name, _unique(stimuli, path), str(path))


def _given_score(video: dict) -> tuple[float, float] | None:
    """(score, 95 % half-width) from ``dmos``/``mos``/``groundtruth``, vmaf's order."""
    for key in ("dmos", "mos", "groundtruth"):
        if isinstance(video.get(key), (int, float)) and not isinstance(video.get(key), bool):
            std = video.get(f"{key}_std", video.get("groundtruth_std"))
            ci = Z95 * float(std) if isinstance(std, (int, float)) else math.nan
            return float(video[key]), ci
    return None


def _stimulus_name(video: dict, k: int) -> str:
    if video.get("stimulus"):
        return str(video["stimulus"])
    path = video.get("path")
    return Path(path).stem if isinstance(path, str) else f"asset{video.get('asset_id', k)}"


def _sureal_frames(video: dict, path: Path, k: int) -> str | None:
    """vmaf's ``start_frame``/``end_frame`` (inclusive) as START:END (exclusive)."""
    start, end = video.get("start_frame"), video.get("end_frame")
    if start is None and end is None:
        return None
    if not all(isinstance(v, int) for v in (start, end)) or end < start:
        raise InputError(str(path), f"dis_videos[{k}]: start_frame/end_frame must be whole numbers, start <= end")
    return f"{start}:{end + 1}"


def _raw_size(fields: dict, video: dict, ref: dict) -> str | None:
    """WxH for .yuv clips (vmaf's per-video or dataset-wide ``width``/``height``)."""
    if not str(video.get("path", "")).lower().endswith(".yuv"):
        return None
    width = video.get("width", ref.get("width", fields.get("width")))
    height = video.get("height", ref.get("height", fields.get("height")))
    if isinstance(width, int) and isinstance(height, int):
        return f"{width}x{height}"
    return None


def _raw_pix_fmt(fields: dict, video: dict) -> str:
    return str(video.get("yuv_fmt", fields.get("yuv_fmt", "yuv420p")))


def _resolve(path: str, base: Path) -> str:
    return path if Path(path).is_absolute() else str(base / path)


def _read_mos_output(path: Path, data: dict, mos_model: str | None) -> LabDataset:
    """SUREAL's output.json: per dis_video a score per model; references from the plan's naming
    rule are not in it, so each dis_video_name must be a path listed in a CSV or dataset beside
    it. We take them from ``dataset.json``/``dataset.py``/``plan.*`` in the same folder."""
    videos = data["dis_videos"]
    models = list(videos[0]["models"])
    model = mos_model or models[0]
    if model not in models:
        raise InputError(str(path), f"has no model {model!r} (it has {', '.join(models)})")
    companion = _companion(path)
    by_name = {s.distorted: s for s in companion.stimuli}
    by_name.update({Path(s.distorted).name: s for s in companion.stimuli})
    stimuli = []
    for k, video in enumerate(videos):
        name = str(video["dis_video_name"])
        known = by_name.get(_resolve(name, path.parent)) or by_name.get(Path(name).name)
        if known is None:
            raise InputError(str(path), f"dis_video {name!r} is not in {companion.source}, which gives its reference")
        entry = video["models"][model]
        ci = entry.get("quality_score_ci95_student_t") or entry.get("quality_score_ci95")
        half = float(np.mean(ci)) if ci else math.nan
        stimuli.append(LabStimulus(known.name, known.reference, known.distorted, known.content,
                                   float(entry["quality_score"]), half, known.frames, known.size, known.pix_fmt))
    return LabDataset(companion.name, stimuli, str(path))


COMPANIONS = ("dataset.py", "dataset.json", "dataset.csv")


def _companion(path: Path) -> LabDataset:
    """The dataset beside a ``vqinspect mos`` JSON that names each clip's reference and content."""
    for name in COMPANIONS:
        candidate = path.parent / name
        if candidate.is_file():
            return _read_sureal(candidate) if candidate.suffix != ".csv" else _read_csv(candidate)
    raise InputError(str(path), "a `vqinspect mos` JSON names only the distorted clips: put the dataset it was "
                                f"made from beside it as {' or '.join(COMPANIONS)}, or use `vqinspect mos --dataset-out`")


def _read_csv(path: Path) -> LabDataset:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    reader = csv.DictReader(line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    needed = ("reference", "distorted", "content", "mos")
    fields = [f.strip() for f in reader.fieldnames or []]
    missing = [f for f in needed if f not in fields]
    if missing:
        raise InputError(str(path), f"needs the columns reference,distorted,content,mos[,mos_ci][,frames] "
                                    f"(missing {', '.join(missing)})")
    stimuli = []
    for k, row in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items()}
        try:
            mos = float(row["mos"])
            ci = float(row["mos_ci"]) if row.get("mos_ci") else math.nan
        except ValueError:
            raise InputError(str(path), f"line {k}: mos and mos_ci must be numbers") from None
        if not math.isfinite(mos):
            raise InputError(str(path), f"line {k}: mos must be a finite number")
        if not row["reference"] or not row["distorted"] or not row["content"]:
            raise InputError(str(path), f"line {k}: reference, distorted and content must be given")
        distorted = _resolve(row["distorted"], path.parent)
        stimuli.append(LabStimulus(row.get("name") or Path(distorted).stem, _resolve(row["reference"], path.parent),
                                   distorted, row["content"], mos, ci, row.get("frames") or None))
    if not stimuli:
        raise InputError(str(path), "lists no stimuli")
    return LabDataset(path.stem, _unique(stimuli, path), str(path))


def _unique(stimuli: list[LabStimulus], path: Path) -> list[LabStimulus]:
    names = [s.name for s in stimuli]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(str(path), f"two stimuli are named {twice[0]!r}; add a 'name' column")
    return stimuli
