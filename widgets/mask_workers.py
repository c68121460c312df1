"""Qt adapters of the mask mode: the scoring run and the on-demand frame maps in ``vq-*``
threads, their results delivered as signals (queued onto the UI thread)."""
from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QObject, Signal

from vqinspect.app.display.screen import color_spec, to_rgb
from vqinspect.app.shared.errors import InputError
from vqinspect.app.masks.run import MaskProgress, score_masks
from vqinspect.app.masks.maps import FrameMapper
from vqinspect.app.masks.scorer import MaskInputs, MaskOptions

UPDATE_INTERVAL = 0.15   # seconds between "new rows" signals while scoring


class MaskScoringRunner(QObject):
    """Runs ``score_masks`` in a ``vq-mask-scoring`` thread; ``updated`` is rate-limited."""

    updated = Signal()
    finished = Signal(object)      # MaskResult
    failed = Signal(str)

    def __init__(self, inputs: MaskInputs, options: MaskOptions, parent: QObject | None = None):
        super().__init__(parent)
        self.inputs, self.options = inputs, options
        self.table = None
        self.progress: MaskProgress | None = None
        self._cancel = threading.Event()
        self._last_emit = 0.0
        self._thread = threading.Thread(target=self._run, name="vq-mask-scoring", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Cancel and wait for the thread; True when it has ended."""
        self._cancel.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            result = score_masks(self.inputs, self.options, self._on_progress, self._cancel)
        except InputError as exc:
            self.failed.emit(str(exc))
            return
        self.finished.emit(result)

    def _on_progress(self, p: MaskProgress) -> None:
        self.table, self.progress = p.table, p
        now = time.monotonic()
        if now - self._last_emit >= UPDATE_INTERVAL or p.done == p.total:
            self._last_emit = now
            self.updated.emit()


class MaskFrameWorker(QObject):
    """Computes the maps and the source picture of the latest requested frame in a
    ``vq-mask-frames`` thread; requests superseded before they start are dropped."""

    ready = Signal(object, object, object)     # FrameMaps, source RGB or None, request id
    failed = Signal(str)

    def __init__(self, inputs: MaskInputs, options: MaskOptions, parent: QObject | None = None):
        super().__init__(parent)
        self.inputs, self.options = inputs, options
        self._wake = threading.Condition()
        self._pending: tuple[int, int] | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="vq-mask-frames", daemon=True)
        self._thread.start()

    def request(self, frame: int, request_id: int) -> None:
        with self._wake:
            self._pending = (frame, request_id)
            self._wake.notify()

    def stop(self, timeout: float = 10.0) -> bool:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        source = self.inputs.source
        spec = color_spec(source.info, source.layout) if source is not None else None
        try:
            mapper = FrameMapper(self.inputs, self.options)
            reader = source.reader() if source is not None else None
        except InputError as exc:
            self.failed.emit(str(exc))
            return
        try:
            while True:
                with self._wake:
                    while self._pending is None and not self._stopping:
                        self._wake.wait()
                    if self._stopping:
                        return
                    frame, request_id = self._pending
                    self._pending = None
                try:
                    maps = mapper.maps(frame)
                    rgb = to_rgb(reader.frame(frame), spec) if reader is not None else None
                except InputError as exc:
                    self.failed.emit(str(exc))
                    continue
                self.ready.emit(maps, np.ascontiguousarray(rgb) if rgb is not None else None, request_id)
        finally:
            mapper.close()
            if reader is not None:
                reader.close()
