"""The runner window, driven like a subject would: plan -> training -> votes by keyboard and
mouse -> results file; Esc mid-session and resume; stimuli decoded in the background, ahead of
their turn, and shown only once every frame is in memory."""
from __future__ import annotations

import shutil
import threading
import time

import pytest
from PySide6.QtCore import QRect, Qt, QTimer

from tests.clips import clip, lossless
from vqinspect.app.lab.plan import Plan, Stimulus, default_scale, plan_text, read_plan
from vqinspect.app.lab.session import Session, read_results
from vqinspect.app.lab.stimuli import decode_stimulus
from vqinspect.widgets.lab_runner import LabRunner

SIZE = (176, 144)
FRAMES = 4


@pytest.fixture
def plan_file(tmp_path):
    ref = tmp_path / "bbb.mkv"
    shutil.copy(lossless(frames=FRAMES, size=SIZE), ref)
    for crf in (30, 45):
        shutil.copy(clip(crf=crf, frames=FRAMES, size=SIZE), tmp_path / f"bbb_crf{crf}.mp4")
    stimuli = [Stimulus(f"bbb_crf{crf}", f"bbb_crf{crf}.mp4", "bbb", "bbb.mkv") for crf in (30, 45)]
    plan = Plan("runner", "DCR", stimuli, default_scale("DCR"), training=[Stimulus("train", "bbb_crf45.mp4", "bbb",
                "bbb.mkv")], grey_seconds=0.01, separate_contents=False, reshow_dropped=False)
    path = tmp_path / "plan.json"
    path.write_text(plan_text(plan, ".json"))
    return path


def open_runner(qtbot, plan_path, resume=False) -> LabRunner:
    session = Session.start(read_plan(plan_path), "S01", resume=resume)
    runner = LabRunner(session)
    qtbot.addWidget(runner)
    runner.resize(640, 480)
    runner.show()
    runner.start()
    return runner


def wait_for_vote(qtbot, runner):
    qtbot.waitUntil(lambda: runner.state == "vote", timeout=10_000)


def test_training_then_keyboard_and_mouse_votes_reach_the_results_file(qtbot, plan_file):
    runner = open_runner(qtbot, plan_file)
    assert runner.state == "intro"
    qtbot.keyClick(runner, Qt.Key_Space)
    wait_for_vote(qtbot, runner)                         # the training trial (reference, then clip)
    assert runner._training and len(runner.timings) == 2
    qtbot.keyClick(runner, "1")                          # not recorded
    wait_for_vote(qtbot, runner)
    assert not runner._training
    assert read_results(runner.session.path)["votes"] == []
    qtbot.keyClick(runner, "4")                          # number key
    wait_for_vote(qtbot, runner)
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        qtbot.mouseClick(runner.vote_buttons[2], Qt.LeftButton)   # mouse
    assert runner.state == "done"
    record = read_results(runner.session.path)
    assert record["complete"] and [v["value"] for v in record["votes"]] == [4, 2]
    for vote in record["votes"]:
        assert [t["frames"] for t in vote["timing"]] == [FRAMES, FRAMES]   # reference and clip, every frame
        assert all(t["expected_ms"] == pytest.approx(40.0) for t in vote["timing"])
    assert {v["rated"] for v in record["votes"]} == {"bbb_crf30", "bbb_crf45"}
    for vote in record["votes"]:                         # every frame was in memory before frame 0
        assert all(t["frames_in_memory"] == t["frames"] and t["decoded_lead_ms"] >= 0 for t in vote["timing"])


def test_arrow_keys_and_enter_vote_too(qtbot, plan_file):
    runner = open_runner(qtbot, plan_file)
    runner.session.plan.training.clear()
    runner._queue.clear()
    qtbot.keyClick(runner, Qt.Key_Return)
    wait_for_vote(qtbot, runner)
    qtbot.keyClick(runner, Qt.Key_Down)                  # the top value: 5
    qtbot.keyClick(runner, Qt.Key_Down)                  # then 4
    qtbot.keyClick(runner, Qt.Key_Return)
    qtbot.waitUntil(lambda: runner.session.done == 1, timeout=10_000)
    assert read_results(runner.session.path)["votes"][0]["value"] == 4


def test_escape_mid_session_then_resume_continues_the_same_order(qtbot, plan_file):
    runner = open_runner(qtbot, plan_file)
    order = [t.shown for t in runner.session.trials]
    qtbot.keyClick(runner, Qt.Key_Space)
    wait_for_vote(qtbot, runner)
    qtbot.keyClick(runner, "2")                          # training
    wait_for_vote(qtbot, runner)
    qtbot.keyClick(runner, "5")
    wait_for_vote(qtbot, runner)
    qtbot.keyClick(runner, Qt.Key_Escape)                # leaves with one vote cast
    assert not runner.isVisible()
    record = read_results(runner.session.path)
    assert [v["value"] for v in record["votes"]] == [5] and not record["complete"]
    again = open_runner(qtbot, plan_file, resume=True)
    assert again.session.path == runner.session.path and [t.shown for t in again.session.trials] == order
    assert again._queue == []                            # no training on resume
    qtbot.keyClick(again, Qt.Key_Space)
    wait_for_vote(qtbot, again)
    with qtbot.waitSignal(again.finished, timeout=10_000):
        qtbot.keyClick(again, "3")
    assert [v["value"] for v in read_results(again.session.path)["votes"]] == [5, 3]


def test_clip_is_centred_at_one_to_one_or_fitted(qtbot, plan_file):
    runner = open_runner(qtbot, plan_file)
    runner.resize(800, 600)
    assert runner.image_rect(176, 144) == QRect(312, 228, 176, 144)
    runner.plan.display = "fit"
    rect = runner.image_rect(176, 144)
    assert rect.height() == 600 and abs(rect.width() - 733) <= 1 and rect.center().x() in (399, 400)


def test_number_keys_for_each_scale(qtbot, plan_file):
    runner = open_runner(qtbot, plan_file)
    runner.plan.scale = default_scale("CCR")
    assert [runner.key_for(v) for v in (-3, 0, 3)] == ["1", "4", "7"]
    runner.plan.scale = default_scale("ACR", "11-point")
    assert runner.key_for(7) == "7" and runner.key_for(10) == ""


def test_the_next_trial_is_decoded_while_the_subject_votes(qtbot, plan_file):
    runner = open_runner(qtbot, plan_file)
    qtbot.waitUntil(lambda: runner._prepared is not None, timeout=10_000)   # the training trial, behind the intro
    qtbot.keyClick(runner, Qt.Key_Space)
    for key in ("1", "4", "2"):                          # training, then the two rated trials
        wait_for_vote(qtbot, runner)
        assert runner._clips == [] and runner._images == []            # the trial shown is freed ...
        upcoming = runner._upcoming()
        if upcoming is not None:                                        # ... and the next one decodes
            qtbot.waitUntil(lambda: runner._prepared is not None, timeout=10_000)
            assert runner._prepared.key == runner._clip_specs(upcoming)
        qtbot.keyClick(runner, key)
    qtbot.waitUntil(lambda: runner.state == "done", timeout=10_000)
    votes = read_results(runner.session.path)["votes"]
    assert [v["value"] for v in votes] == [4, 2]
    for vote in votes:                                   # decoded ahead: the grey kept to the plan
        assert [t["decode_wait_ms"] for t in vote["timing"]] == [0.0, 0.0]
        assert all(t["frames_in_memory"] == t["frames"] == FRAMES for t in vote["timing"])


BIG, BIG_FRAMES = (1920, 1080), 30


@pytest.fixture
def big_plan(tmp_path):
    shutil.copy(clip(crf=30, frames=BIG_FRAMES, size=BIG), tmp_path / "big.mp4")
    plan = Plan("big", "ACR", [Stimulus("big", "big.mp4", "bbb")], default_scale("ACR"), grey_seconds=0.05,
                reshow_dropped=False)
    path = tmp_path / "plan.json"
    path.write_text(plan_text(plan, ".json"))
    return path


def test_a_long_decode_leaves_the_ui_thread_free_and_the_grey_waits_for_every_frame(qtbot, big_plan):
    go = threading.Event()                    # the decode starts when the test says so
    decoded = []                              # the thread that made each frame, in order

    def gated_decode(path, frames=None, convert=None, cancelled=None):
        assert go.wait(30)

        def keep(rgb):
            image = convert(rgb)
            decoded.append(threading.get_ident())
            return image

        return decode_stimulus(path, frames, convert=keep, cancelled=cancelled)

    session = Session.start(read_plan(big_plan), "S01")
    runner = LabRunner(session, decode=gated_decode)
    qtbot.addWidget(runner)
    runner.resize(640, 480)
    runner.show()
    ticks = []                                # on the UI thread: (time, frames decoded so far, state)
    timer = QTimer(runner)
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append((time.perf_counter(), len(decoded), runner.state)))
    timer.start()
    runner.start()
    qtbot.keyClick(runner, Qt.Key_Space)
    qtbot.waitUntil(lambda: not runner._grey_timer.isActive(), timeout=10_000)
    qtbot.wait(50)
    assert runner.state == "grey" and decoded == []       # the grey time is over; nothing to show yet
    go.set()
    qtbot.waitUntil(lambda: runner.state == "vote", timeout=60_000)
    timer.stop()
    assert len(decoded) == BIG_FRAMES and threading.get_ident() not in set(decoded)
    assert all(n == BIG_FRAMES for _, n, state in ticks if state == "play")   # shown only when all decoded
    during = {n for _, n, _ in ticks if 0 < n < BIG_FRAMES}
    assert len(during) >= 2                               # the UI thread ran while the frames were decoding
    qtbot.keyClick(runner, "5")
    qtbot.waitUntil(lambda: runner.state == "done", timeout=10_000)
    timing, = read_results(session.path)["votes"][0]["timing"]
    assert timing["frames"] == timing["frames_in_memory"] == BIG_FRAMES and timing["decoded_lead_ms"] >= 0
    assert timing["decode_wait_ms"] > 0                   # the grey lasted longer than the plan's, and says so
    assert timing["grey_ms"] >= 50 + timing["decode_wait_ms"] - 1
    runner.close()
    assert not runner._prefetch._thread.is_alive()
