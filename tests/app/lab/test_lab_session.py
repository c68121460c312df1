"""The runner's session model: atomic per-vote writes, resume, re-shows, results -> analysis."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from vqinspect.app.lab.plan import Plan, Stimulus, default_scale, plan_text, read_plan
from vqinspect.app.lab.results import dataset_from_results
from vqinspect.app.lab.session import PresentationTiming, Session, read_results
from vqinspect.app.lab.sureal_models import run_model
from vqinspect.app.shared.errors import InputError


def write_plan(tmp_path: Path, method="ACR", contents=("a", "b", "c"), per_content=2, **extra) -> Plan:
    stimuli = []
    for c in contents:
        (tmp_path / f"{c}.mp4").write_bytes(c.encode() * 10)
        for k in range(per_content):
            (tmp_path / f"{c}{k}.mp4").write_bytes(f"{c}{k}".encode() * 10)
            stimuli.append(Stimulus(f"{c}{k}", f"{c}{k}.mp4", c, f"{c}.mp4"))
    if method == "ACR-HR":
        stimuli += [Stimulus(f"ref:{c}", f"{c}.mp4", c, f"{c}.mp4", hidden_reference=True) for c in contents]
    plan = Plan("lab test", method, stimuli, default_scale(method), **extra)
    path = tmp_path / "plan.toml"
    path.write_text(plan_text(plan, ".toml"))
    return read_plan(path)


def test_every_vote_is_on_disk_and_resume_keeps_the_order(tmp_path):
    plan = write_plan(tmp_path, repetitions=2)
    session = Session.start(plan, "S01")
    order = [t.shown for t in session.trials]
    for value in (5, 4, 3):
        session.vote(session.next_trial(), value)
        on_disk = read_results(session.path)
        assert [v["value"] for v in on_disk["votes"]] == [5, 4, 3][:len(on_disk["votes"])]
    assert len(read_results(session.path)["votes"]) == 3
    resumed = Session.start(plan, "S01", resume=True)
    assert resumed.path == session.path and [t.shown for t in resumed.trials] == order
    assert resumed.next_trial().index == 3
    while (trial := resumed.next_trial()) is not None:
        resumed.vote(trial, 3)
    assert resumed.complete and read_results(resumed.path)["complete"]
    with pytest.raises(InputError, match="no unfinished session"):
        Session.start(plan, "S01", resume=True)
    assert Session.start(plan, "S01").path.name.endswith("_s2.json")


def test_votes_off_the_scale_and_twice_are_refused(tmp_path):
    session = Session.start(write_plan(tmp_path), "S01")
    trial = session.next_trial()
    with pytest.raises(ValueError):
        session.vote(trial, 6)
    session.vote(trial, 1)
    with pytest.raises(ValueError):
        session.vote(trial, 2)


def test_a_changed_plan_or_clip_is_refused(tmp_path):
    plan = write_plan(tmp_path)
    Session.start(plan, "S01")
    changed = read_plan(plan.source)
    changed.seed = 99
    with pytest.raises(InputError, match="plan changed"):
        Session.start(changed, "S01", resume=True)
    recorded = read_plan(plan.source)
    recorded.stimuli[0].sha256 = "0" * 64
    with pytest.raises(InputError, match="changed since the plan"):
        Session.start(recorded, "S03")


def test_dropped_frames_are_flagged_and_reshown_at_the_end(tmp_path):
    plan = write_plan(tmp_path)
    session = Session.start(plan, "S01")
    good = PresentationTiming.from_intervals([0.04] * 9, 25.0)
    bad = PresentationTiming.from_intervals([0.04] * 4 + [0.12] + [0.04] * 4, 25.0)
    assert good.dropped == 0 and bad.dropped == 2
    first = session.next_trial()
    session.vote(first, 1, [bad])
    while (trial := session.next_trial()) is not None and trial.reshow_of is None:
        session.vote(trial, 4, [good])
    assert trial.reshow_of == first.index and trial.shown == first.shown
    session.vote(trial, 5, [good])
    assert session.next_trial() is None and session.complete
    dataset = dataset_from_results([session.path])
    video = next(v for v in dataset.dis_videos if v["stimulus"] == first.rated)
    assert video["os"] == {"S01": 5.0}  # the re-shown vote replaces the flagged one


def test_results_of_several_subjects_give_the_mos_and_dmos(tmp_path):
    plan = write_plan(tmp_path, method="ACR-HR")
    rng = np.random.default_rng(1)
    expected: dict[str, list[float]] = {}
    paths = []
    for subject in ("S01", "S02", "S03", "S04"):
        session = Session.start(plan, subject)
        while (trial := session.next_trial()) is not None:
            value = int(rng.integers(1, 6))
            session.vote(trial, value)
            expected.setdefault(trial.rated, []).append(value)
        paths.append(session.path)
    dataset = dataset_from_results(paths)
    assert dataset.ref_score == 5.0 and sum(dataset.is_reference) == 3
    mos = run_model(dataset, "MOS")
    for k, video in enumerate(dataset.dis_videos):
        assert mos["quality_scores"][k] == pytest.approx(np.mean(expected[video["stimulus"]]), abs=1e-12)
    dmos = run_model(dataset, "DMOS")
    for k, video in enumerate(dataset.dis_videos):
        ref = f"ref:{plan.stimulus(video['stimulus']).content}"
        want = np.mean(expected[video["stimulus"]]) - np.mean(expected[ref]) + 5
        assert dmos["quality_scores"][k] == pytest.approx(want, abs=1e-12)


def test_pair_comparison_results_feed_bradley_terry(tmp_path):
    plan = write_plan(tmp_path, method="PC", contents=("a", "b"), per_content=3, repetitions=2)
    quality = {"a0": 3, "a1": 2, "a2": 1, "b0": 3, "b1": 2, "b2": 1}
    paths = []
    for subject in ("S01", "S02", "S03"):
        session = Session.start(plan, subject)
        while (trial := session.next_trial()) is not None:
            first, second = trial.shown
            better_first = quality[first] > quality[second]
            # one subject in three disagrees throughout, so every stimulus wins sometimes
            session.vote(trial, 1 if better_first != (subject == "S03") else 2)
        paths.append(session.path)
    dataset = dataset_from_results(paths)
    assert dataset.is_pair_comparison
    result = run_model(dataset, "BT_MLE")
    scores = dict(zip((v["stimulus"] for v in dataset.dis_videos), result["quality_scores"]))
    assert scores["a0"] > scores["a1"] > scores["a2"] and scores["b0"] > scores["b1"] > scores["b2"]
    thurstone = dict(zip((v["stimulus"] for v in dataset.dis_videos), run_model(dataset, "THURSTONE_MLE")["quality_scores"]))
    assert thurstone["a0"] > thurstone["a1"] > thurstone["a2"]
    total_votes = sum(len(v["os"]) for v in dataset.dis_videos)
    assert total_votes == 3 * 2 * 6  # 3 subjects x 2 repetitions x 6 pairs: none lost to SUREAL's one-per-pair


def test_a_clip_that_changed_between_sessions_is_refused(tmp_path):
    plan = write_plan(tmp_path)
    one = Session.start(plan, "S01")
    one.vote(one.next_trial(), 3)
    (tmp_path / "a0.mp4").write_bytes(b"re-encoded")
    plan2 = read_plan(plan.source)
    two = Session.start(plan2, "S02")
    two.vote(two.next_trial(), 3)
    with pytest.raises(InputError, match="different file"):
        dataset_from_results([one.path, two.path])


_VOTER = """
import sys, time
from vqinspect.app.lab.plan import read_plan
from vqinspect.app.lab.session import Session
session = Session.start(read_plan(sys.argv[1]), "S09", resume=len(sys.argv) > 2)
print(session.path, flush=True)
while (trial := session.next_trial()) is not None:
    session.vote(trial, 1 + trial.index % 5)
"""


def test_killed_mid_session_the_file_is_always_valid_and_resume_finishes(tmp_path):
    plan = write_plan(tmp_path, contents=("a", "b", "c", "d"), per_content=5, repetitions=8)
    proc = subprocess.Popen([sys.executable, "-c", _VOTER, plan.source], stdout=subprocess.PIPE, text=True)
    path = Path(proc.stdout.readline().strip())
    seen = 0
    while seen < 15:  # read the file while votes are being written: always whole JSON
        record = json.loads(path.read_text())
        seen = len(record["votes"])
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    record = read_results(path)
    assert not record["complete"] and record["votes"] and len(record["votes"]) < len(record["order"])
    assert [v["trial"] for v in record["votes"]] == list(range(len(record["votes"])))
    subprocess.run([sys.executable, "-c", _VOTER, plan.source, "resume"], check=True, capture_output=True)
    final = read_results(path)
    assert final["complete"] and final["order"] == record["order"]
    assert [v["value"] for v in final["votes"]] == [1 + k % 5 for k in range(len(final["order"]))]
    assert not list(path.parent.glob(".*.json.*"))  # no temporary files left behind
