"""The lab runner's decoder: a trial's clips decoded into screen images in a ``vq-lab-prefetch``
thread, delivered to the UI thread as one signal when every frame is in memory.

One trial at a time: asking for another trial cancels the one in progress (it stops at its next
frame), so that with the runner's own trial at most two trials' frames exist. The thread runs at
a lower priority than the UI thread, and the runner only asks while nothing plays.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from vqinspect.app.lab.stimuli import DecodeCancelled, DecodedClip, decode_stimulus
from vqinspect.app.shared.errors import InputError
from vqinspect.widgets.workers import lower_thread_priority

ClipSpec = tuple[str, tuple[int, int] | None]      # (path, [start, end) frames or None)


@dataclass
class PreparedTrial:
    """A trial's clips in showing order, every frame a QImage; ``decoded`` is the perf_counter
    time the last frame was in memory."""

    key: tuple[ClipSpec, ...]
    clips: list[DecodedClip]
    decoded: float


@dataclass
class _Job:
    key: tuple[ClipSpec, ...]
    cancel: threading.Event = field(default_factory=threading.Event)


class StimulusPrefetcher(QObject):
    """``request(key)`` decodes the clips ``key`` names; ``ready(PreparedTrial)`` or
    ``failed(key, message)`` follow on the UI thread (queued connections)."""

    ready = Signal(object)
    failed = Signal(object, str)

    def __init__(self, decode=decode_stimulus, parent: QObject | None = None):
        super().__init__(parent)
        self._decode = decode
        self._cond = threading.Condition()
        self._pending: _Job | None = None
        self._current: _Job | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="vq-lab-prefetch", daemon=True)
        self._thread.start()

    def request(self, key: tuple[ClipSpec, ...]) -> None:
        """Decode this trial next; whatever else was wanted is dropped."""
        with self._cond:
            for job in (self._current, self._pending):
                if job is not None and job.key == key and not job.cancel.is_set():
                    return
            self._cancel_all()
            self._pending = _Job(key)
            self._cond.notify()

    def close(self, timeout: float | None = 10.0) -> bool:
        """Stop the decoder (at its next frame) and wait for the thread; True when it has ended."""
        with self._cond:
            self._closed = True
            self._cancel_all()
            self._cond.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _cancel_all(self) -> None:
        for job in (self._current, self._pending):
            if job is not None:
                job.cancel.set()
        self._pending = None

    def _run(self) -> None:
        lower_thread_priority()
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job, self._pending = self._pending, None
                self._current = job
            prepared = self._prepare(job)
            with self._cond:
                self._current = None
                wanted = prepared is not None and not job.cancel.is_set()
            if wanted:
                self.ready.emit(prepared)
            prepared = None            # a dropped trial's frames are freed before the next decode

    def _prepare(self, job: _Job) -> PreparedTrial | None:
        try:
            clips = [self._decode(path, list(frames) if frames else None, convert=screen_image,
                                  cancelled=job.cancel.is_set) for path, frames in job.key]
        except DecodeCancelled:
            return None
        except InputError as exc:
            self.failed.emit(job.key, str(exc))
            return None
        except Exception as exc:  # a broken file must reach the subject's screen, not kill the thread
            self.failed.emit(job.key, f"{type(exc).__name__}: {exc}")
            return None
        return PreparedTrial(job.key, clips, time.perf_counter())


def screen_image(rgb) -> QImage:
    """A decoded frame (H x W x 3 display RGB) as a QImage owning its pixels (made in the decoder
    thread: QImage is not a widget). (Kept as 24-bit RGB: frames pre-converted to the backing
    store's 32-bit layout measured worse, with isolated 20-45 ms stalls about once a second, for
    reasons not found.)"""
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, rgb.strides[0], QImage.Format_RGB888).copy()
