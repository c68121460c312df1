"""Presentation timing of the lab runner: plays the demo pair's stimuli through the runner as in a
test (decoded into memory in the background while the grey screen shows, then played) and reports,
per presentation, dropped frames (target 0) and the spread of frame intervals relative to the clip's
frame period; how long the grey screen waited for the decoder; and the longest the UI thread went
without running a 10 ms timer while the stimuli decoded, in frame periods, against the anchor of
the same decode run on the calling thread (as the runner did before decoding moved to a worker:
the UI thread was blocked that long).

Also prints the analysis' agreement with SUREAL 0.9.0 for every shipped dataset and model.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_lab_timing.py [ROUNDS]
"""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "subjective"


def presentation_timing(frames: int = 50, rounds: int = 3) -> None:
    import shutil

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from vqinspect.app.lab.plan import Plan, Stimulus, default_scale, plan_text, read_plan
    from vqinspect.app.lab.session import Session
    from vqinspect.app.media.demo import demo_pair
    from vqinspect.app.lab.stimuli import decode_stimulus
    from vqinspect.widgets.lab_prefetch import screen_image
    from vqinspect.widgets.lab_runner import LabRunner

    app = QApplication.instance() or QApplication([])
    reference, distorted = demo_pair()
    dropped, spread = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copy(reference, tmp / f"ref{reference.suffix}")
        shutil.copy(distorted, tmp / f"dis{distorted.suffix}")
        stim = [Stimulus("dis", f"dis{distorted.suffix}", "demo", f"ref{reference.suffix}", frames=[0, frames])]
        plan = Plan("bench", "DCR", stim, default_scale("DCR"), grey_seconds=0.2, reshow_dropped=False)
        (tmp / "plan.json").write_text(plan_text(plan, ".json"))
        for round_no in range(rounds):
            session = Session.start(read_plan(tmp / "plan.json"), f"bench{round_no}")
            runner = LabRunner(session)
            runner.resize(1280, 720)
            runner.show()
            ticks = []
            timer = QTimer(runner)
            timer.setInterval(10)
            timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
            timer.start()
            runner.start()            # decoding starts behind the intro screen ...
            runner._advance()         # ... and the subject starts at once: the grey waits for it
            while runner.state == "grey":       # waiting for events, as app.exec() does (no busy loop
                app.processEvents(QEventLoop.WaitForMoreEvents)   # holding the GIL from the decoder)
            timer.stop()
            gap = max((b - a for a, b in zip(ticks, ticks[1:])), default=0.0)
            while runner.state != "vote":
                app.processEvents(QEventLoop.WaitForMoreEvents)
            for name, t in zip(("reference", "distorted"), runner.timings):
                dropped.append(t.dropped)
                spread.append(t.std_ms / t.expected_ms)
                print(f"round {round_no} {name:10s} frames {t.frames:4d}  dropped {t.dropped}"
                      f"  interval mean/period {t.mean_ms / t.expected_ms:.3f}  std/period {t.std_ms / t.expected_ms:.3f}"
                      f"  max/period {t.max_ms / t.expected_ms:.3f}  min/period {t.min_ms / t.expected_ms:.3f}"
                      f"  in memory {t.frames_in_memory}  grey waited for the decoder {t.decode_wait_ms:.0f} ms")
            period_ms = runner.timings[0].expected_ms
            start = time.perf_counter()
            for path in (tmp / f"ref{reference.suffix}", tmp / f"dis{distorted.suffix}"):
                decode_stimulus(path, [0, frames], convert=screen_image)
            blocked = time.perf_counter() - start
            print(f"round {round_no} longest UI-thread gap while decoding: {1000 * gap / period_ms:.2f} frame periods"
                  f" ({len(ticks)} ticks); the same decode on the UI thread: {1000 * blocked / period_ms:.1f} frame periods")
            runner.close()
    print(f"dropped frames: {sum(dropped)} in {len(dropped)} presentations;"
          f" interval std/period median {statistics.median(spread):.3f}, worst {max(spread):.3f}")


def sureal_agreement() -> None:
    import numpy as np
    import sureal
    import sureal.pc_subjective_model  # noqa: F401  (registers the PC models)
    from sureal.dataset_reader import PairedCompDatasetReader, RawDatasetReader
    from sureal.subjective_model import SubjectiveModel
    from sureal.tools.misc import import_python_file

    from vqinspect.app.lab.dataset import read_dataset
    from vqinspect.app.lab.sureal_models import MODELS, run_model

    aliases = {"P910": sureal.P910AnnexEModel, "P913": sureal.P913124Model, "BT500": sureal.BT500Model}
    keys = ("quality_scores", "quality_scores_std", "observer_bias", "observer_bias_std", "observer_inconsistency",
            "observer_inconsistency_std", "content_ambiguity", "content_ambiguity_std", "aic", "bic")
    for path in sorted(DATA.glob("*.py")):
        dataset = read_dataset(path)
        for name, spec in MODELS.items():
            if spec.pair_comparison != dataset.is_pair_comparison:
                continue
            cls = aliases.get(name) or SubjectiveModel.find_subclass(name)
            reader = (PairedCompDatasetReader if spec.pair_comparison else RawDatasetReader)(import_python_file(str(path)))
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref = cls(reader).run_modeling()
            mine = run_model(dataset, name)
            worst = 0.0
            for key in keys:
                if key in ref and ref[key] is not None:
                    a, b = np.asarray(mine[key], float), np.asarray(ref[key], float)
                    same = (a == b) | (np.isnan(a) & np.isnan(b))
                    with np.errstate(invalid="ignore"):
                        worst = max(worst, float(np.max(np.abs(a - b)[~same], initial=0.0)))
            rejected = "" if "observer_rejected" not in ref else \
                f"  rejected {[k for k, r in enumerate(ref['observer_rejected']) if r]}" + \
                (" (same)" if list(ref["observer_rejected"]) == list(mine["observer_rejected"]) else " (DIFFERENT)")
            print(f"{path.name:44s} {name:24s} max |diff| {worst:.1e}{rejected}")


if __name__ == "__main__":
    presentation_timing(rounds=int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    sureal_agreement()
