"""Analysis outputs: SUREAL's ``output.json`` layout (scripts written for SUREAL read it
unchanged), a SUREAL dataset JSON carrying the recovered scores as ``groundtruth``, and the
per-stimulus table as CSV.

Additions to SUREAL's layout are extra keys only: ``quality_score_ci95_student_t`` next to
SUREAL's normal-approximation ``quality_score_ci95`` (both are half-widths), and the BT.500
screening per observer (``observer_rejected`` and its two statistics)."""
from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from vqinspect.app.lab.dataset import Dataset, observer_names

_OBSERVER_KEYS = ("observer_bias", "observer_bias_std", "observer_bias_ci95", "observer_inconsistency",
                  "observer_inconsistency_std", "observer_inconsistency_ci95", "observer_scores_mean",
                  "observer_scores_std", "observer_rejected", "observer_rejected_1st_stats",
                  "observer_rejected_2nd_stats")
_CONTENT_KEYS = ("content_ambiguity", "content_ambiguity_std", "content_ambiguity_ci95")


def sureal_output(dataset: Dataset, results: dict[str, dict]) -> dict:
    """``routine.format_output_of_run_subjective_models`` for ``{model name: result}``."""
    names = dataset.dis_video_names
    videos = [{"dis_video_name": n, "models": {}} for n in names]
    observers: list[dict] = []
    contents: list[dict] = []
    stats: dict = {}
    for model, result in results.items():
        for k, video in enumerate(videos):
            entry = {"quality_score": _plain(result["quality_scores"][k])}
            if result.get("quality_scores_std") is not None:
                entry["quality_score_std"] = _plain(result["quality_scores_std"][k])
            if "quality_scores_ci95" in result:
                entry["quality_score_ci95"] = [_plain(result["quality_scores_ci95"][0][k]),
                                               _plain(result["quality_scores_ci95"][1][k])]
            if "quality_scores_ci95_student_t" in result:
                ci = result["quality_scores_ci95_student_t"]
                entry["quality_score_ci95_student_t"] = [_plain(ci[0][k]), _plain(ci[1][k])]
            video["models"][model] = entry
        per_observer = [key for key in _OBSERVER_KEYS if key in result]
        if per_observer:
            for k, name in enumerate(observer_names(dataset, len(result[per_observer[0]]))):
                if k == len(observers):
                    observers.append({"observer": name, "models": {}})
                observers[k]["models"][model] = {key: _pick(result[key], k) for key in per_observer}
        if "content_ambiguity" in result:
            for k, name in enumerate(dataset.content_names):
                if k == len(contents):
                    contents.append({"content": name, "models": {}})
                contents[k]["models"][model] = {key: _pick(result[key], k) for key in _CONTENT_KEYS if key in result}
        if "aic" in result:
            stats.setdefault("models", {})[model] = {"aic": _plain(result["aic"]), "bic": _plain(result["bic"])}
    output: dict = {"dis_videos": videos}
    if observers:
        output["observers"] = observers
    if contents:
        output["contents"] = contents
    if stats:
        output["stats"] = stats
    return output


def dump_output(output: dict) -> str:
    """JSON as SUREAL writes it (indent 4; NaN where a statistic is undefined, as SUREAL does)."""
    return json.dumps(output, indent=4)


def aggregated_dataset(dataset: Dataset, result: dict, model: str) -> dict:
    """SUREAL's ``to_aggregated_dataset`` as JSON: the dataset without votes, each dis_video
    with ``groundtruth`` (and ``groundtruth_std``) from ``model``."""
    out = {k: _jsonable(v) for k, v in dataset.fields.items()}
    out["groundtruth_model"] = model
    out["ref_videos"] = [_jsonable(r) for r in dataset.ref_videos]
    videos = []
    stds = result.get("quality_scores_std")
    for k, video in enumerate(dataset.dis_videos):
        entry = {key: _jsonable(value) for key, value in video.items() if key != "os"}
        entry["groundtruth"] = _plain(result["quality_scores"][k])
        if stds is not None:
            entry["groundtruth_std"] = _plain(stds[k])
        videos.append(entry)
    out["dis_videos"] = videos
    return out


def stimulus_table(dataset: Dataset, results: dict[str, dict]) -> str:
    """One CSV row per stimulus: identity, vote count, then score / std / CI half-widths per model."""
    header = ["index", "dis_video_name", "asset_id", "content_id", "content_name", "reference"]
    for model, result in results.items():
        header += [f"{model}_score", f"{model}_std", f"{model}_ci95_lo", f"{model}_ci95_hi"]
        if "quality_scores_ci95_student_t" in result:
            header += [f"{model}_ci95_student_t"]
    names = dict(enumerate(dataset.content_names))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for k, video in enumerate(dataset.dis_videos):
        row = [k, dataset.dis_video_names[k], video.get("asset_id", ""), video["content_id"],
               names.get(int(video["content_id"]), ""), int(dataset.is_reference[k])]
        for result in results.values():
            std = result.get("quality_scores_std")
            ci = result.get("quality_scores_ci95")
            row += [_cell(result["quality_scores"][k]), _cell(std[k] if std is not None else None),
                    _cell(ci[0][k] if ci else None), _cell(ci[1][k] if ci else None)]
            if "quality_scores_ci95_student_t" in result:
                row += [_cell(result["quality_scores_ci95_student_t"][0][k])]
        writer.writerow(row)
    return buf.getvalue()


def _pick(values, k):
    """Element k of a per-observer list, or of both halves of a ci95 pair."""
    if isinstance(values, (list, tuple)) and len(values) == 2 and isinstance(values[0], (list, tuple, np.ndarray)):
        return [_plain(values[0][k]), _plain(values[1][k])]
    return _plain(values[k])


def _plain(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    return float(value)


def _cell(value) -> str:
    if value is None:
        return ""
    value = float(value)
    return "" if math.isnan(value) else repr(value)


def _jsonable(value):
    """Dataset values as JSON: tuples become lists, tuple keys (paired comparisons) strings."""
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else json.dumps(_jsonable(k))): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.generic,)):
        return value.item()
    return value
