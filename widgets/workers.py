"""Thin Qt adapters: engine and frame-service callbacks (worker threads) become signals.

Signals emitted from a worker thread reach slots on the UI thread through queued
connections; the UI never touches a worker's state except through these objects.
Every worker thread is named ``vq-*`` and joined by ``stop``/``close`` so that a test
(or the window closing) can check that nothing is left running.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from typing import Callable

from PySide6.QtCore import QObject, Signal

from vqinspect.app.scoring.engine import Progress, ScoringJob
from vqinspect.app.shared.errors import InputError
from vqinspect.app.inspector.frame_service import FrameRequest, FrameService, PriorityGate
from vqinspect.app.scoring.pairing import ClipPair
from vqinspect.metrics.registry import Metric, MetricError

UPDATE_INTERVAL = 0.1   # seconds between "new rows" signals while scoring
GATE_PATIENCE = 2.0     # longest a background row waits for on-demand work
BACKGROUND_NICENESS = 10
IN_FLIGHT = 2           # frames in the kernel pool at once: what on-demand work waits behind


def lower_thread_priority() -> None:
    """Let the calling thread, and every thread it starts, yield the CPU to the UI thread.

    On Linux niceness is per thread and inherited by new threads, so lowering it before
    the engine starts covers its decoders, its kernel pool and FFmpeg's frame threads.
    Elsewhere this does nothing.
    """
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
        except OSError:
            pass


class ThreadWorker(QObject):
    """One daemon thread running ``_run`` once; ``cancel`` asks it to stop, ``stop`` also waits.
    Subclasses define both and deliver their results as signals."""

    def __init__(self, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def cancel(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        raise NotImplementedError

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Cancel and wait for the thread; True when it has ended."""
        self.cancel()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


class ScoringRunner(ThreadWorker):
    """Runs a ScoringJob in a ``vq-scoring`` thread; signals are rate-limited.

    ``updated`` says that ``table`` has new rows and ``progress`` is newer. Before each
    row the job yields to the on-demand frame service (``gate``): the scoring thread
    waits in its row callback, which stops new frames entering the kernel pool; during
    playback (the gate paused) it waits until playback stops.
    """

    updated = Signal()
    finished = Signal(object)      # ScoreResult
    failed = Signal(str)

    def __init__(self, pair: ClipPair, metrics: list[Metric], gate: PriorityGate | None = None,
                 threads: int | None = None, parent: QObject | None = None):
        super().__init__("vq-scoring", parent)
        self.pair = pair
        self.gate = gate
        self.job = ScoringJob(pair, metrics, threads, on_row=self._on_row, on_progress=self._on_progress,
                              in_flight=IN_FLIGHT)
        self.progress: Progress | None = None
        self._last_emit = 0.0

    @property
    def table(self):
        return self.job.table

    def cancel(self) -> None:
        self.job.cancel()

    def _run(self) -> None:
        lower_thread_priority()
        try:
            result = self.job.run()
        except (InputError, MetricError) as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # a kernel bug must reach the user as a message, not a dead thread
            self.failed.emit(f"scoring stopped: {type(exc).__name__}: {exc}")
            return
        self.updated.emit()
        self.finished.emit(result)

    def _on_row(self, frame: int, values: dict) -> None:
        if self.gate is not None and self.gate.busy:
            deadline = time.monotonic() + GATE_PATIENCE
            while not self.job.cancelled and (self.gate.paused or time.monotonic() < deadline):
                if self.gate.wait_idle(0.05):
                    break

    def _on_progress(self, progress: Progress) -> None:
        self.progress = progress
        now = time.monotonic()
        if now - self._last_emit >= UPDATE_INTERVAL:
            self._last_emit = now
            self.updated.emit()


class FrameBridge(QObject):
    """The FrameService with its results delivered as signals on the UI thread."""

    frame_ready = Signal(object)   # FrameImages
    map_ready = Signal(object)     # MapImage

    def __init__(self, map_metrics: dict[str, Metric], gate: PriorityGate, parent: QObject | None = None):
        super().__init__(parent)
        self.service = FrameService(map_metrics, self.frame_ready.emit, self.map_ready.emit, gate)

    def submit(self, request: FrameRequest) -> FrameRequest:
        return self.service.submit(request)

    def close(self, timeout: float | None = 10.0) -> bool:
        return self.service.close(timeout)


class BackgroundCall(QObject):
    """``fn()`` in a ``vq-call`` thread; ``done(result)`` or ``failed(message)`` afterwards.

    Used for opening files: probing and indexing read the whole file's packets.
    """

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], object], parent: QObject | None = None):
        super().__init__(parent)
        self._fn = fn
        self._thread = threading.Thread(target=self._run, name="vq-call", daemon=True)

    def start(self) -> "BackgroundCall":
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> bool:
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = self._fn()
        except InputError as exc:
            self.failed.emit(str(exc))
            return
        except Exception as exc:  # shown in the status bar rather than lost in a thread
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.done.emit(result)
