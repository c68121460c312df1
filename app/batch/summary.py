"""The merged table of a batch: ``summary.json`` (a row per pair: reference, distorted, label,
status, error, json, pooled), ``summary.csv`` (the same with a column per key and statistic)
and ``failures.json`` (the pairs that failed, with the one-line message ``score`` prints)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from vqinspect.app.batch.runner import PairOutcome
from vqinspect.app.scoring.results import POOLS, write_atomic
from vqinspect.app.shared.errors import InputError

SUMMARY_JSON, SUMMARY_CSV, FAILURES_JSON = "summary.json", "summary.csv", "failures.json"


def summary_rows(outcomes: list[PairOutcome], judged: bool = False) -> list[dict]:
    """A row per pair; with ``judged`` (a QC profile) each also has its ``verdict``: PASS, FAIL,
    or "" for a pair that was not scored."""
    rows = [{"reference": o.spec.reference, "distorted": o.spec.distorted, "label": o.spec.label,
             "status": o.status, "error": o.error, "json": o.json_name, "pooled": o.pooled}
            for o in outcomes]
    if judged:
        for row, o in zip(rows, outcomes):
            row["verdict"] = o.verdict if o.status == "scored" else ""
    return rows


def write_summary(out_dir: str | Path, outcomes: list[PairOutcome], judged: bool = False) -> None:
    """``summary.json``, ``summary.csv`` and ``failures.json`` in ``out_dir`` (with a verdict
    column when ``judged``)."""
    out_dir = Path(out_dir)
    rows = summary_rows(outcomes, judged)
    write_atomic(out_dir / SUMMARY_JSON, json.dumps(rows, indent=1, allow_nan=False))
    write_atomic(out_dir / SUMMARY_CSV, summary_csv(rows))
    failures = [{"reference": o.spec.reference, "distorted": o.spec.distorted, "label": o.spec.label,
                 "error": o.error, "attempts": o.attempts} for o in outcomes if o.status == "failed"]
    write_atomic(out_dir / FAILURES_JSON, json.dumps(failures, indent=1))


def summary_csv(rows: list[dict]) -> str:
    """One row per pair; a ``verdict`` column after ``status`` when the rows have one;
    ``KEY_STAT`` columns for every pooled statistic of every key."""
    keys = list(dict.fromkeys(k for row in rows for k in row["pooled"]))
    judged = ["verdict"] if any("verdict" in row for row in rows) else []
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["reference", "distorted", "label", "status", *judged, "error", "json",
                     *(f"{k}_{s}" for k in keys for s in POOLS)])
    for row in rows:
        stats = [row["pooled"].get(k, {}).get(s) for k in keys for s in POOLS]
        writer.writerow([row["reference"], row["distorted"], row["label"], row["status"],
                         *(row.get(c, "") for c in judged), row["error"],
                         row["json"], *("" if v is None else f"{v:.6f}" for v in stats)])
    return buf.getvalue()


def load_summary(out_dir: str | Path) -> list[dict]:
    """The rows of a batch folder's ``summary.json``; InputError if it is not one."""
    path = Path(out_dir) / SUMMARY_JSON
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(out_dir, f"has no {SUMMARY_JSON} (is it a vqinspect batch folder?)") from None
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot be read ({exc})") from None
    if not isinstance(rows, list) or not all(isinstance(r, dict) and "status" in r for r in rows):
        raise InputError(path, "is not a vqinspect batch summary")
    return rows
