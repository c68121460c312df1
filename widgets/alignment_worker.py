"""``align_clips`` in a ``vq-aligning`` thread, its progress and result delivered as signals.

The window detects the alignment of every pair it opens this way, beside the scoring pass
and at the same lowered priority, so that the UI thread never decodes.
"""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal

from vqinspect.app.scoring.alignment import DEFAULT_MAX_OFFSET, align_clips
from vqinspect.app.shared.errors import InputError
from vqinspect.widgets.workers import UPDATE_INTERVAL, ThreadWorker, lower_thread_priority


class AlignmentWorker(ThreadWorker):
    """Aligns ``reference`` and ``distorted`` (opened MediaSources) once, when started.

    ``progress(done, total)`` counts decoded frames of both clips (rate-limited);
    ``finished(alignment)`` or ``failed(message)`` ends it (nothing after ``cancel``).
    """

    progress = Signal(int, int)
    finished = Signal(object)      # alignment.Alignment
    failed = Signal(str)

    def __init__(self, reference, distorted, max_offset: int = DEFAULT_MAX_OFFSET, parent: QObject | None = None):
        super().__init__("vq-aligning", parent)
        self.reference, self.distorted = reference, distorted
        self.max_offset = max_offset
        self._cancel = threading.Event()
        self._last_emit = 0.0

    def cancel(self) -> None:
        self._cancel.set()

    def _run(self) -> None:
        lower_thread_priority()
        try:
            alignment = align_clips(self.reference, self.distorted, self.max_offset, cancel=self._cancel,
                                    on_progress=self._on_progress)
        except InterruptedError:
            return
        except InputError as exc:
            message = str(exc)
        except Exception as exc:  # shown in the file panel rather than lost in a thread
            message = f"{type(exc).__name__}: {exc}"
        else:
            if not self._cancel.is_set():
                self.finished.emit(alignment)
            return
        if not self._cancel.is_set():
            self.failed.emit(message)

    def _on_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - self._last_emit >= UPDATE_INTERVAL:
            self._last_emit = now
            self.progress.emit(done, total)
