"""The window's automatic alignment: detected in the background for each pair of clips opened,
shown in the file panel's alignment box and on the strip under the plots, suggested by a
banner when the pair as opened looks misaligned, and applied (or undone) in one click, which
reopens the pair with the frame pairs and crop found and scores it again.

A new offset typed in the file panel keeps the detection (same clips) and drops an applied
alignment; new clips detect again.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from vqinspect.app.inspector.alignment_hint import misalignment_hint
from vqinspect.app.shared.errors import InputError
from vqinspect.widgets.alignment_worker import AlignmentWorker


class AlignmentControl(QObject):
    """``found(alignment)`` when the alignment of the open clips is known; ``detected`` holds
    it (None while looking, or without a pair)."""

    found = Signal(object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.banner, self.strip, self.box = window.alignment_banner, window.alignment_strip, window.file_panel.alignment
        self.worker: AlignmentWorker | None = None
        self.detected = None
        self._sources: tuple | None = None      # the clips ``detected`` (or the worker) is for
        self._retired: list[AlignmentWorker] = []
        self._dismissed = False
        s = window.session
        s.pair_changed.connect(self._on_pair_changed)
        s.frame_changed.connect(self.strip.set_playhead)
        self.strip.seek_requested.connect(s.seek)
        self.banner.apply_requested.connect(self.apply)
        self.banner.dismissed.connect(self._on_dismissed)
        self.box.apply_requested.connect(self.apply)
        self.box.revert_requested.connect(self.revert)

    # ---------------------------------------------------------------- actions

    def apply(self) -> None:
        """Pair the frames (and crop the pictures) as detected, and score again."""
        found = self.detected
        if found is None:
            return
        crop = found.spatial.crop if found.spatial is not None else None
        try:
            self.window.session.apply_alignment(found, crop)
        except InputError as exc:
            self.window.show_message(f"Alignment not applied: {exc}", error=True)

    def revert(self) -> None:
        """Back to the plain offset (the alignment's starting one)."""
        try:
            self.window.session.apply_alignment(None, None)
        except InputError as exc:
            self.window.show_message(f"Offset pairing not restored: {exc}", error=True)

    # ---------------------------------------------------------------- events

    def _on_pair_changed(self, pair) -> None:
        s = self.window.session
        if pair is None:
            self._stop()
            self.detected, self._sources = None, None
            self.strip.set_alignment(None, 0, 1)
            self.box.clear()
            self.banner.hide()
            return
        if (s.reference, s.distorted) != self._sources:
            self._detect(s.reference, s.distorted)
        self._show(pair)

    def _detect(self, reference, distorted) -> None:
        self._stop()
        self.detected, self._sources, self._dismissed = None, (reference, distorted), False
        self.banner.hide()
        self.box.clear("Looking for the offset, dropped and repeated frames…")
        worker = AlignmentWorker(reference, distorted, parent=self)
        worker.progress.connect(lambda done, total: self._on_progress(worker, done, total))
        worker.finished.connect(lambda alignment: self._on_found(worker, alignment))
        worker.failed.connect(lambda message: self._on_failed(worker, message))
        self.worker = worker.start()

    def _show(self, pair) -> None:
        """The box, strip and banner for ``pair`` and what is known of its alignment."""
        shown = pair.matched if pair.matched is not None else self.detected
        self.strip.set_alignment(shown, pair.start, pair.stop)
        if pair.matched is not None:
            self.box.show_alignment(pair.matched.summary(), applied=True, can_apply=False)
            self.banner.hide()
            return
        if self.detected is None:
            return
        hint = misalignment_hint(self.detected, pair)
        self.box.show_alignment(self.detected.summary(), applied=False, can_apply=hint is not None)
        if hint is not None and not self._dismissed:
            self.banner.show_suggestion(hint)
        else:
            self.banner.hide()

    def _on_progress(self, worker: AlignmentWorker, done: int, total: int) -> None:
        if worker is self.worker and self.detected is None:
            self.box.show_progress(done, total)

    def _on_found(self, worker: AlignmentWorker, alignment) -> None:
        if worker is not self.worker or self.window.closed:
            return
        self.worker = None
        self.detected = alignment
        if self.window.session.pair is not None:
            self._show(self.window.session.pair)
        self.found.emit(alignment)

    def _on_failed(self, worker: AlignmentWorker, message: str) -> None:
        if worker is self.worker:
            self.worker = None
            self.box.clear(f"No alignment found: {message}")

    def _on_dismissed(self) -> None:
        self._dismissed = True

    # ---------------------------------------------------------------- threads

    def _stop(self) -> None:
        """Cancel the detection in progress without waiting; joined on ``shutdown``."""
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.cancel()
            self._retired.append(worker)
        self._retired = [w for w in self._retired if w.running]

    def shutdown(self, timeout: float) -> None:
        self._stop()
        for worker in self._retired:
            worker.stop(timeout)
        self._retired.clear()
