"""A batch pair's QC verdict, read from its result JSON.

Fresh results are judged on their worker as ``vqinspect score --profile`` judges them. A result
kept from an earlier run (its files and settings unchanged) may carry no verdict, or one made
with another profile: it is judged again from its JSON's frames and the file rewritten.
"""
from __future__ import annotations

import json
from pathlib import Path

from vqinspect.app.qc.profile import Profile
from vqinspect.app.qc.verdict import judge
from vqinspect.app.scoring.imports import score_result_from_json
from vqinspect.app.scoring.results import write_atomic


def made_with(verdict, profile: Profile) -> bool:
    """Whether a JSON ``verdict`` block was made with ``profile`` (same name, same rules)."""
    return (isinstance(verdict, dict) and verdict.get("profile") == profile.name
            and verdict.get("rules") == [r.describe() for r in profile.rules])


def pair_verdict(path: Path, profile: Profile) -> str:
    """PASS or FAIL for the result at ``path``, judging (and rewriting) it if needed."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    verdict = data.get("verdict")
    if not made_with(verdict, profile):
        verdict = judge(profile, score_result_from_json(data, str(path)).table).to_json()
        data["verdict"] = verdict
        write_atomic(path, json.dumps(data, indent=1, allow_nan=False))
    return "PASS" if verdict["passed"] else "FAIL"
