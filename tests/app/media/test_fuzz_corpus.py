"""Replays every input the fuzz campaign (benchmarks/fuzz.py) ever saw fail: each must now be
scored, scored up to a break, or refused with one line (exit 2), in-process and without an
exception escaping the command."""
import json
from pathlib import Path

import pytest

from vqinspect.__main__ import main

CORPUS = Path(__file__).resolve().parents[2] / "fuzz_corpus"
CASES = sorted(CORPUS.glob("*.json")) if CORPUS.is_dir() else []


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_a_corpus_input_has_a_clean_outcome(case, tmp_path, capsys):
    record = json.loads(case.read_text())
    path = str(CORPUS / record["input"])
    out = tmp_path / "scores.json"
    status = main(["score", path, path, "--metrics", "psnr", "--quiet", "--json", str(out), *record.get("extra", [])])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert status in (0, 2)
    assert all(ln.startswith("vqinspect: ") for ln in err)
    if status == 2 and out.exists():
        assert json.loads(out.read_text())["status"] == "broken"
    elif status == 2:
        assert len(err) == 1  # a clean rejection: one line
