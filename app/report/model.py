"""What a QC report says: the scores, the worst frames with their pictures, the bookmarks.

Qt-free: pictures come in as PNG bytes, from ``vqinspect.app.report.images`` or from any callable
``render_frame(frame) -> FramePanels`` (the GUI can pass its own), and bookmarks carry the
PNG of the view the user saw. ``vqinspect.app.report.html`` turns a ``Report`` into the page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from vqinspect.app import __version__
from vqinspect.app.display.screen import timecode
from vqinspect.app.shared.errors import InputError
from vqinspect.app.shared.text import clip_fps
from vqinspect.app.qc.moments import problem_moments
from vqinspect.app.qc.verdict import Verdict
from vqinspect.app.report.images import FramePanels
from vqinspect.app.scoring.results import ScoreResult, ScoreTable
from vqinspect.metrics.registry import higher_is_worse, plot_groups, ranking_key

DEFAULT_WORST = 6

FrameRenderer = Callable[[int], FramePanels]


@dataclass
class WorstFrame:
    rank: int
    frame: int                        # reference frame
    dist_frame: int
    timecode: str
    scores: dict[str, float]
    images: FramePanels | None = None
    error: str = ""                   # why there are no pictures, if so
    moment: tuple[int, int] | None = None   # the problem moment's frames [start, stop) around ``frame``


@dataclass
class ReportBookmark:
    frame: int
    timecode: str
    view_name: str
    note: str
    png: bytes | None
    scores: dict[str, float]


@dataclass
class Report:
    """Everything the page shows; build it with ``build_report``."""

    result: ScoreResult
    by: str
    worst: list[WorstFrame]
    bookmarks: list[ReportBookmark] = field(default_factory=list)
    source: str = ""                  # where the scores come from
    title: str = ""
    generated: str = ""
    notes: list[str] = field(default_factory=list)
    display: tuple[str, str] = ("", "")   # how each clip's pictures were converted to RGB
    verdict: Verdict | None = None
    cuts: list[int] | None = None     # shot cuts the moments were grouped by (None: not detected)


# ---------------------------------------------------------------- building

def default_key(result: ScoreResult) -> str:
    """The key that ranks frames: the registry's choice among the scored metrics (VMAF first)."""
    return ranking_key(result.metrics, result.table.keys)


def worst_frames(result: ScoreResult, key: str, count: int) -> list[tuple[int, float]]:
    """The ``count`` worst scored frames by ``key``, worst first (ties: earlier first)."""
    return worst_in_table(result.table, key, count, higher_is_worse(key))


def worst_in_table(t: ScoreTable, key: str, count: int, higher_worse: bool) -> list[tuple[int, float]]:
    """(frame, value) of the ``count`` worst frames of ``t`` by ``key``, worst first (ties:
    earlier first); ``higher_worse`` says which way is worse."""
    column = t.column(key)
    scored = np.flatnonzero(np.isfinite(column))
    values = column[scored]
    order = np.argsort(-values if higher_worse else values, kind="stable")[:max(0, count)]
    return [(int(t.start + scored[i]), float(values[i])) for i in order]


def picture_row(rank: int, frame: int, offset: int, fps, table, render_frame) -> "WorstFrame":
    """One ranked frame with its scores and, when a renderer is given, its pictures; a frame
    whose pictures fail keeps its row, with the reason."""
    row = WorstFrame(rank, frame, frame + offset, timecode(frame, fps), frame_scores(table, frame))
    if render_frame is not None:
        try:
            row.images = render_frame(frame)
        except (InputError, IndexError, ValueError) as exc:
            row.error = f"pictures unavailable: {exc}"
    return row


def build_report(result: ScoreResult, *, worst: int = DEFAULT_WORST, by: str | None = None,
                 render_frame: FrameRenderer | None = None, bookmarks: Iterable = (),
                 source: str = "", title: str | None = None, notes: Iterable[str] = (),
                 display: tuple[str, str] = ("", ""), cuts: list[int] | None = None,
                 verdict: Verdict | None = None,
                 prepare_pictures: Callable[[list[int]], None] | None = None) -> Report:
    """Find the ``worst`` distinct problem moments (one per shot, ``cuts`` starting shots),
    render their worst frames' pictures, attach the bookmarks and the verdict.

    ``prepare_pictures(frames)`` is told every frame before any is rendered (the renderer takes
    one colour scale per map over all of them). ``bookmarks`` are objects with ``frame``,
    ``note``, ``view_name`` and ``image`` (PNG bytes or None), such as
    ``vqinspect.app.inspector.workspace.Bookmark``. A frame whose pictures cannot be made keeps
    its row, with the reason instead of the pictures.
    """
    keys = result.table.keys
    if not keys or result.table.count == 0:
        raise InputError(None, "there are no scored frames to report on")
    by = by or default_key(result)
    if by not in keys:
        raise InputError(None, f"--by {by}: no such score (available: {', '.join(keys)})")
    fps = clip_fps(result.reference)
    offset = int(result.alignment.get("offset", 0))
    t = result.table
    moments = problem_moments(t.column(by), t.start, higher_is_worse(by), cuts or [], worst,
                              min_gap=max(1, round(float(fps))))
    if prepare_pictures is not None and render_frame is not None:
        prepare_pictures([m.worst for m in moments])
    rows = []
    for rank, m in enumerate(moments, start=1):
        row = picture_row(rank, m.worst, offset, fps, t, render_frame)
        row.moment = (m.start, m.stop)
        rows.append(row)
    marks = [ReportBookmark(int(b.frame), timecode(int(b.frame), fps), str(b.view_name or ""),
                            str(b.note or ""), b.image, frame_scores(result.table, int(b.frame)))
             for b in bookmarks]
    ref, dist = (Path(str(d.get("path", "?"))).name for d in (result.reference, result.distorted))
    return Report(result, by, rows, marks, source or f"computed by vqinspect {__version__}",
                  title or f"Quality report: {dist} vs {ref}",
                  datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z"), list(notes),
                  tuple(display), verdict, cuts)


def frame_scores(t: ScoreTable, frame: int) -> dict[str, float]:
    """The finite values of ``frame`` (none outside the table's range)."""
    if not t.start <= frame < t.stop:
        return {}
    return {k: v for k, v in t.row(frame).items() if math.isfinite(v)}


def ordered_keys(keys: list[str]) -> list[str]:
    """The plotted keys first (in plot order), then the others (VMAF's features...)."""
    plotted = [k for _, group in plot_groups(keys) for k in group]
    return plotted + [k for k in keys if k not in plotted]
