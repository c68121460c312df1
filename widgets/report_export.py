"""File > Export Report…: the QC report of the open pair, as HTML or PDF (by extension).

What the report needs is captured on the UI thread (pair, score table, bookmarks, the
heatmap and ranking key the user chose); decoding the worst frames, drawing their maps
and laying out the page happen in a ``vq-report`` thread, with progress in the status
bar. Closing the window cancels it: the thread stops before the next frame and writes
nothing.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QProgressBar

from vqinspect.app.shared.errors import InputError
from vqinspect.app.report.model import DEFAULT_WORST, build_report
from vqinspect.app.report.html import render_html, write_html
from vqinspect.app.report.images import ReportImageRenderer
from vqinspect.app.scoring.results import ScoreResult, ScoreTable

KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


class ReportCancelled(Exception):
    """The window closed while the report was being made."""


@dataclass(frozen=True)
class ReportRequest:
    """Everything the worker needs, taken on the UI thread."""

    path: Path
    kind: str
    pair: object
    table: ScoreTable
    live: bool                      # the table is still being filled: copy it first
    metrics: list[str]
    status: str
    problems: list[str]
    source: str
    by: str | None
    bookmarks: tuple
    map_metric: object
    map_name: str | None
    colormap: str


def report_kind(path: str | os.PathLike) -> str:
    """``html`` or ``pdf`` from the file name; InputError for anything else."""
    kind = KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise InputError(path, "a report is written as .html or .pdf; choose one of those names")
    return kind


def snapshot(table: ScoreTable) -> ScoreTable:
    """A copy of the rows scored so far (the original may still be filling)."""
    copy = ScoreTable(table.start, table.stop, list(table.keys))
    for frame in table.scored_frames():
        copy.set_row(int(frame), table.row(int(frame)))
    return copy


class ReportExport(QObject):
    """One report at a time: ``start(path)`` returns at once; ``done(path)`` or
    ``failed(message)`` follows."""

    progressed = Signal(int, int)
    done = Signal(str)
    failed = Signal(str)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self.progress = QProgressBar()
        self.progress.setObjectName("report_progress")
        self.progress.setMaximumWidth(200)
        self.progress.setFormat("report %v / %m")
        self.progress.hide()
        window.statusBar().addPermanentWidget(self.progress)
        self.progressed.connect(self._on_progressed)
        self.done.connect(self._on_done)
        self.failed.connect(self._on_failed)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, path: str) -> bool:
        """Make the report of what the window shows in the background; False if it cannot start."""
        w = self.window
        try:
            request = self._request(Path(path))
        except InputError as exc:
            w.show_message(str(exc), error=True)
            return False
        self._cancel.clear()
        self._thread = threading.Thread(target=self._run, args=(request,), name="vq-report", daemon=True)
        self.progress.setRange(0, DEFAULT_WORST + 1)
        self.progress.setValue(0)
        self.progress.show()
        w.show_message(f"Writing the report {request.path.name}…")
        self._thread.start()
        return True

    def _request(self, path: Path) -> ReportRequest:
        w = self.window
        s, scoring = w.session, w.scoring
        if self.running:
            raise InputError(None, "a report is already being written; wait for it to finish")
        if s.pair is None or s.table is None:
            raise InputError(None, "nothing to report: open a pair first")
        kind = report_kind(path)
        if not path.parent.is_dir():
            raise InputError(path, f"folder {path.parent} does not exist")
        final = scoring.result is not None and scoring.result.table is s.table
        status = scoring.result.status if final else ("in progress" if scoring.runner is not None
                                                      and scoring.runner.running else "incomplete")
        key = w.view_settings.map_key or next(iter(w.metrics.map_keys), None)
        map_metric = w.metrics.map_metrics.get(key[0]) if key else None
        by = w.summary.chosen_key if w.summary.chosen_key in s.table.keys else None
        return ReportRequest(path, kind, s.pair, s.table, not final, [m.name for m in scoring.choice.scored],
                             status, list(scoring.result.problems) if final else [], scoring.source, by,
                             tuple(s.bookmarks), map_metric, key[1] if map_metric else None,
                             w.view_settings.colormap)

    def cancel(self) -> None:
        self._cancel.set()

    def shutdown(self, timeout: float) -> None:
        """Cancel and wait for the thread."""
        self.cancel()
        if self._thread is not None:
            self._thread.join(timeout)

    # ---------------------------------------------------------------- worker thread

    def _run(self, request: ReportRequest) -> None:
        try:
            self._make(request)
        except ReportCancelled:
            return
        except InputError as exc:
            self.failed.emit(str(exc))
        except OSError as exc:
            self.failed.emit(f"{request.path}: cannot write the report ({exc.strerror or exc})")
        except Exception as exc:  # a bug must reach the user as a message, not a dead thread
            self.failed.emit(f"report not written: {type(exc).__name__}: {exc}")
        else:
            self.done.emit(str(request.path))

    def _make(self, request: ReportRequest) -> None:
        pair = request.pair
        table = snapshot(request.table) if request.live else request.table
        result = ScoreResult(table, request.metrics, pair.reference.info.as_dict(), pair.distorted.info.as_dict(),
                             pair.alignment(), request.status, request.problems)
        rendered = [0]

        def render(frame: int):
            self._check()
            panels = renderer.render(frame)
            rendered[0] += 1
            self.progressed.emit(rendered[0], DEFAULT_WORST + 1)
            return panels

        with ReportImageRenderer(pair, request.map_metric, request.map_name,
                                 colormap=request.colormap) as renderer:
            report = build_report(result, by=request.by, render_frame=render, bookmarks=request.bookmarks,
                                  source=request.source,
                                  display=tuple(s.description for s in renderer.specs))
        self._check()
        if request.kind == "html":
            write_html(report, request.path)
            return
        from vqinspect.widgets.pdf import html_to_pdf

        part = request.path.with_name(f".{request.path.name}.report")
        html_to_pdf(render_html(report, paged=True), part)
        if self._cancel.is_set():
            part.unlink(missing_ok=True)
            raise ReportCancelled
        os.replace(part, request.path)

    def _check(self) -> None:
        if self._cancel.is_set():
            raise ReportCancelled

    # ---------------------------------------------------------------- results (UI thread)

    def _on_progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.window.show_message(f"Writing the report: pictures of frame {done} of up to {total - 1}…")

    def _on_done(self, path: str) -> None:
        self.progress.hide()
        self.window.show_message(f"Report written to {path}")

    def _on_failed(self, message: str) -> None:
        self.progress.hide()
        self.window.show_message(message, error=True)
