"""Test plans: reading and writing, and the randomisation constraints over many seeds."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from vqinspect.app.lab.plan import (Plan, Stimulus, default_scale, plan_from_dict, plan_text, presentation_order,
                                    read_plan)
from vqinspect.app.shared.errors import InputError

SEEDS = range(300)


def make_plan(method="ACR", contents=("a", "b", "c"), per_content=3, repetitions=1, refs=True) -> Plan:
    stimuli = [Stimulus(f"{c}{k}", f"{c}{k}.mp4", c, f"{c}.mp4" if refs else None)
               for c in contents for k in range(per_content)]
    return Plan("t", method, stimuli, default_scale(method), repetitions=repetitions)


@pytest.mark.parametrize("method,repetitions", [("ACR", 1), ("ACR", 3), ("DCR", 2), ("CCR", 3), ("PC", 2), ("PC", 3)])
def test_same_content_never_twice_in_a_row(method, repetitions):
    plan = make_plan(method, contents=("a", "b", "c", "d"), repetitions=repetitions)
    orders = set()
    for seed in SEEDS:
        trials = presentation_order(plan, seed)
        contents = [plan.stimulus(t.rated).content for t in trials]
        assert all(x != y for x, y in zip(contents, contents[1:])), seed
        orders.add(tuple(tuple(t.shown) for t in trials))
    assert len(orders) > 250  # the seed does change the order


def test_every_trial_once_per_repetition_and_order_repeatable():
    plan = make_plan("ACR", repetitions=2)
    for seed in SEEDS:
        trials = presentation_order(plan, seed)
        assert Counter(t.rated for t in trials) == {s.id: 2 for s in plan.stimuli}
    assert presentation_order(plan, 7) == presentation_order(plan, 7)


def test_the_tightest_arrangeable_plan_is_always_arranged():
    """Content a has exactly half (rounded up) of the trials: only a-x-a-x-...-a works."""
    stimuli = [Stimulus(f"a{k}", "a.mp4", "a") for k in range(4)] + [Stimulus(f"b{k}", "b.mp4", "b") for k in range(2)] \
        + [Stimulus("c0", "c.mp4", "c")]
    plan = Plan("t", "ACR", stimuli, default_scale("ACR"))
    for seed in SEEDS:
        contents = [plan.stimulus(t.rated).content for t in presentation_order(plan, seed)]
        assert contents[::2] == ["a"] * 4


def test_unarrangeable_plan_is_refused():
    stimuli = [Stimulus(f"a{k}", "a.mp4", "a") for k in range(3)] + [Stimulus("b0", "b.mp4", "b")]
    with pytest.raises(InputError, match="twice in a row"):
        presentation_order(Plan("t", "ACR", stimuli, default_scale("ACR")))


@pytest.mark.parametrize("repetitions", [1, 2, 3])
def test_pair_orders_are_balanced(repetitions):
    plan = make_plan("PC", contents=("a", "b", "c"), per_content=3, repetitions=repetitions)
    for seed in SEEDS:
        trials = presentation_order(plan, seed)
        per_pair = Counter()
        for t in trials:
            a, b = t.shown
            per_pair[(min(a, b), max(a, b))] += 1 if a < b else -1
        assert len(per_pair) == 9
        assert all(abs(v) <= 1 for v in per_pair.values())       # each pair within one of balanced
        assert abs(sum(per_pair.values())) <= 1                   # A-B and B-A over the whole test


def test_ccr_reference_first_and_second_are_balanced():
    plan = make_plan("CCR", per_content=3)
    for seed in SEEDS:
        firsts = [t.shown[0].startswith("ref:") for t in presentation_order(plan, seed)]
        assert abs(2 * sum(firsts) - len(firsts)) <= 1


def test_double_stimulus_methods_show_the_reference_first():
    plan = make_plan("DCR")
    for t in presentation_order(plan, 3):
        assert t.shown[0] == f"ref:{plan.stimulus(t.rated).content}" and t.shown[1] == t.rated
        assert plan.stimulus(t.shown[0]).path == f"{plan.stimulus(t.rated).content}.mp4"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_plan_round_trips(tmp_path, suffix):
    plan = make_plan("ACR-HR")
    plan.stimuli.append(Stimulus("ref:a", "a.mp4", "a", "a.mp4", hidden_reference=True))
    plan.stimuli[0].frames = [0, 48]
    plan.training = [Stimulus("training1", "t.mp4", "t")]
    plan.vote_seconds, plan.pause_every, plan.display = 8.0, 10, "fit"
    path = tmp_path / f"plan{suffix}"
    path.write_text(plan_text(plan, suffix))
    back = read_plan(path)
    assert back.stimuli == plan.stimuli and back.training == plan.training
    assert (back.method, back.scale, back.vote_seconds, back.pause_every, back.display) == \
           ("ACR-HR", plan.scale, 8.0, 10, "fit")
    assert presentation_order(back) == presentation_order(plan)


def test_complete_example_plan_from_the_readme_reads(tmp_path):
    text = """
[test]
name = "codec shoot-out"
method = "ACR"
seed = 42
repetitions = 1
display = "1:1"

[scale]
kind = "5-point"
labels = { 5 = "Excellent", 4 = "Good", 3 = "Fair", 2 = "Poor", 1 = "Bad" }

[timing]
grey_seconds = 2.0
vote_seconds = 0
pause_every = 20

[[stimuli]]
id = "bbb_crf23"
path = "clips/bbb_crf23.mp4"
content = "bbb"
reference = "clips/bbb.mp4"
frames = [0, 240]

[[stimuli]]
id = "bbb_crf35"
path = "clips/bbb_crf35.mp4"
content = "bbb"
reference = "clips/bbb.mp4"

[[training]]
path = "clips/training.mp4"
"""
    path = tmp_path / "plan.toml"
    path.write_text(text)
    plan = read_plan(path)
    assert plan.seed == 42 and plan.pause_every == 20 and plan.vote_seconds is None
    assert plan.stimuli[0].frames == [0, 240] and plan.training[0].id == "training"
    assert plan.scale.labels[5] == "Excellent"


def test_bad_plans_are_one_line_errors(tmp_path):
    with pytest.raises(InputError, match="unknown method"):
        plan_from_dict({"test": {"method": "XYZ"}, "stimuli": [{"path": "a"}]})
    with pytest.raises(InputError, match="no stimuli"):
        plan_from_dict({"test": {"method": "ACR"}})
    with pytest.raises(InputError, match="needs a reference"):
        plan_from_dict({"test": {"method": "DCR"}, "stimuli": [{"path": "a"}]})
    bad = tmp_path / "p.json"
    bad.write_text("{")
    with pytest.raises(InputError, match="not a valid plan"):
        read_plan(bad)


def test_lab_plan_command_writes_a_plan_from_folders(tmp_path, capsys):
    from vqinspect.__main__ import main

    refs, dis = tmp_path / "refs", tmp_path / "dis"
    refs.mkdir()
    dis.mkdir()
    for name in ("bbb", "park"):
        (refs / f"{name}.mp4").write_bytes(name.encode())
        for q in (23, 35):
            (dis / f"{name}_crf{q}.mp4").write_bytes(f"{name}{q}".encode())
    out = tmp_path / "plan.toml"
    assert main(["lab", "plan", str(dis), "--reference", str(refs), "--method", "acr-hr", "-o", str(out),
                 "--seed", "5"]) == 0
    plan = read_plan(out)
    assert plan.method == "ACR-HR" and len(plan.stimuli) == 6
    assert {s.content for s in plan.stimuli} == {"bbb", "park"}
    assert sum(s.hidden_reference for s in plan.stimuli) == 2
    assert all(s.sha256 and s.size for s in plan.stimuli)
    assert plan.clip_path("bbb_crf23").read_bytes() == b"bbb23"
    json_out = tmp_path / "plan.json"
    assert main(["lab", "plan", str(dis), "--reference", str(refs), "--method", "PC", "-o", str(json_out)]) == 0
    assert json.loads(json_out.read_text())["test"]["method"] == "PC"
