"""The current pair's scores: a background scoring pass, or a finished run reused instead.

A pair opened with a finished run behind it (the score cache: same files, same settings;
or a workspace whose files are unchanged) shows those scores at once and is not scored
again. A completed pass is stored in the cache, in the background. Progress and the
cancel button sit in the window's status bar.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QProgressBar, QPushButton

from vqinspect.app import __version__
from vqinspect.app.shared.errors import InputError
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.app.scoring.results import ScoreResult, ScoreTable
from vqinspect.app.scoring.score_cache import ScoreCache
from vqinspect.widgets.workers import ScoringRunner

SUMMARY_EVERY = 10      # refresh pooled stats every N score updates (about once a second)
COMPILE_NOTICE_MS = 1500  # no frame scored by then: say that the kernels are compiling


def reusable(result: ScoreResult | None, pair, metrics) -> bool:
    """Whether ``result`` is a complete run of ``metrics`` over exactly ``pair``'s frames."""
    if result is None or result.status != "complete" or pair is None:
        return False
    a = result.alignment
    same_frames = (int(a.get("offset", 0)), a.get("start"), a.get("stop")) == (pair.offset, pair.start, pair.stop)
    keys = {k for m in metrics for k in m.keys}
    return same_frames and keys <= set(result.table.keys) and result.table.count == pair.frames


class ScoringControl(QObject):
    """Scores of the window's pair. ``result`` is the finished (or reused) run and
    ``source`` says where it came from; ``runner`` is the pass in progress, if any."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.cache = ScoreCache()               # the user cache directory (VQINSPECT_CACHE overrides it)
        self.runner: ScoringRunner | None = None
        self.result: ScoreResult | None = None
        self.source = ""
        self.choice = window.metrics            # the window's metrics that fit the pair's frame size
        self.left_out: list[str] = []           # why the others are not scored
        self._offered: list[tuple[ScoreResult, str]] = []
        self._retired: list[ScoringRunner] = []
        self._updates = 0
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(240)
        self.progress.setMaximumWidth(300)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel scoring")
        self.cancel_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.cancel_button.clicked.connect(self.cancel)
        window.statusBar().addPermanentWidget(self.progress)
        window.statusBar().addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()

    # ---------------------------------------------------------------- reuse

    def lookup(self, reference, distorted, offset: int, deinterlace: bool = False) -> tuple[ScoreResult, str] | None:
        """The cached run for the pair these clips will make (any thread; reads files)."""
        if reference is None or distorted is None:
            return None
        try:
            pair = make_pair(reference, distorted, offset, force_rate=self.window.session.force_rate,
                             deinterlace=deinterlace)
        except InputError:
            return None
        choice, _ = self.window.metrics.for_size(*pair.size)
        result = self.cache.load(pair, choice.scored, self.window.open_options)
        return (result, f"computed by vqinspect {__version__} (cached)") if result is not None else None

    def offer(self, candidates: list[tuple[ScoreResult, str] | None]) -> None:
        """For the next pair, use the first of these (run, source) that fits it instead of
        scoring (None entries are skipped)."""
        self._offered = [c for c in candidates if c is not None]

    # ---------------------------------------------------------------- scoring

    def start(self, pair) -> None:
        """Show the offered run if it fits ``pair``, else score it in the background."""
        self.stop()
        self.choice, self.left_out = self.window.metrics.for_size(*pair.size)
        offered, self._offered = self._offered, []
        fitting = [c for c in offered if reusable(c[0], pair, self.choice.scored)]
        if fitting:
            self._reuse(pair, *fitting[0])
        else:
            self._run(pair)

    def _prepare_views(self, pair, table) -> None:
        w = self.window
        w.session.set_table(table)
        w.plots.set_metrics(self.choice.groups, pair.start, pair.stop)
        w.plots.update_table(table)
        w.summary.set_keys(list(table.keys), self.choice.preferred_key)

    def _reuse(self, pair, result: ScoreResult, source: str) -> None:
        self.result, self.source = result, source
        self._prepare_views(pair, result.table)
        self.window.scoring_finished.emit(result)

    def _run(self, pair) -> None:
        w = self.window
        self.result, self.source = None, f"computed by vqinspect {__version__}"
        if not self.choice.scored:     # the window says why (``left_out``)
            self._prepare_views(pair, ScoreTable(pair.start, pair.stop, []))
            return
        runner = ScoringRunner(pair, self.choice.scored, w.gate, w.threads, self)
        runner.updated.connect(self._on_updated)
        runner.finished.connect(self._on_finished)
        runner.failed.connect(self._on_failed)
        self.runner = runner
        self._prepare_views(pair, runner.table)
        self.progress.setRange(0, pair.frames)
        self.progress.setValue(0)
        self.progress.setFormat("scored %v / %m")
        self.progress.show()
        self.cancel_button.show()
        self._updates = 0
        runner.start()
        QTimer.singleShot(COMPILE_NOTICE_MS, lambda: self._notice_compiling(runner))

    def _notice_compiling(self, runner: ScoringRunner) -> None:
        """No frame scored yet after a while: the kernels are being compiled (first use)."""
        if runner is self.runner and runner.running and runner.progress is None:
            w = self.window
            w.show_message(w.message.text() + " Compiling the metric kernels on first use "
                           "(once; cached afterwards)…")

    def stop(self) -> None:
        """Cancel the running pass without waiting; it is joined on ``shutdown``."""
        runner, self.runner = self.runner, None
        if runner is not None:
            for signal in (runner.updated, runner.finished, runner.failed):
                signal.disconnect()
            runner.cancel()
            self._retired.append(runner)
        self._retired = [r for r in self._retired if r.running]
        self.result = None
        self.progress.hide()
        self.cancel_button.hide()

    def show_playing(self, playing: bool) -> None:
        """Say on the progress bar that the pass waits while the clip plays."""
        self.progress.setFormat("%v / %m · paused: playing" if playing else "scored %v / %m")

    def cancel(self) -> None:
        if self.runner is not None:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)

    def shutdown(self, timeout: float) -> None:
        self.stop()
        for runner in self._retired:
            runner.stop(timeout)
        self._retired.clear()

    def _on_updated(self) -> None:
        runner = self.runner
        if runner is None:
            return
        w = self.window
        w.plots.update_table(runner.table)
        progress = runner.progress
        if progress is not None:
            self.progress.setValue(progress.done)
            eta = f", {progress.eta:.0f} s left" if progress.eta is not None else ""
            self.progress.setToolTip(f"{progress.fps:.1f} frames/s{eta}")
        self._updates += 1
        if self._updates % SUMMARY_EVERY == 1:
            w.summary.refresh()

    def _on_finished(self, result: ScoreResult) -> None:
        if self.runner is None:             # retired while the signal was queued
            return
        w = self.window
        self.progress.hide()
        self.cancel_button.hide()
        self.cancel_button.setEnabled(True)
        self.result = result
        w.plots.update_table(result.table)
        w.summary.refresh()
        scored = result.table.count
        if result.status == "cancelled":
            w.show_message(f"Scoring cancelled after {scored} of {len(result.table)} frames.")
        elif result.status == "broken":
            w.show_message(f"Scored {scored} frames, then: {'; '.join(result.problems)}", error=True)
        else:
            w.show_message(f"Scored {scored} frames with {', '.join(result.metrics)}."
                           + "".join(f" Not scored: {why}." for why in self.left_out), error=bool(self.left_out))
            self._store(result, self.runner.pair)
        w.scoring_finished.emit(result)

    def _on_failed(self, message: str) -> None:
        if self.runner is None:
            return
        self.progress.hide()
        self.cancel_button.hide()
        self.window.show_message(message, error=True)

    def _store(self, result: ScoreResult, pair) -> None:
        """Keep a complete run in the cache, writing in the background."""
        metrics, options = self.choice.scored, self.window.open_options
        self.window.background(lambda: self.cache.store(result, pair, metrics, options), lambda path: None,
                               lambda message: self.window.show_message(
                                   f"Scores not cached ({message}); they are still shown.", error=True))
