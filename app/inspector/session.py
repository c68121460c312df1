"""The inspector's document: the two clips, their pairing, the current frame and the scores.

Qt-free. Views listen to the events and call the methods; nothing here blocks on
decoding (opening files happens in a worker, which hands the opened sources to
``set_sources``).
"""
from __future__ import annotations

import math

import numpy as np

from vqinspect.metrics.registry import higher_is_worse

from vqinspect.app.display.screen import timecode
from vqinspect.app.shared.events import Event
from vqinspect.app.scoring.pairing import ClipPair, make_pair
from vqinspect.app.scoring.results import ScoreTable, pool

WORST_COUNT = 20


class InspectorSession:
    """Sources, pair, frame position and the running score table.

    Events: ``sources_changed()``, ``pair_changed(pair)`` (new files or offset),
    ``frame_changed(frame)``, ``table_changed(table)`` (a new scoring run started),
    ``bookmarks_changed()`` and ``imports_changed()``.

    Bookmarks (``vqinspect.app.inspector.workspace.Bookmark``) and imported scores (``vqinspect.app.scoring.imports.ImportedScores``)
    belong to the inspection: they stay when a clip or the offset changes, and are replaced
    as a whole when a workspace is opened.
    """

    def __init__(self):
        self.sources_changed = Event()
        self.pair_changed = Event()
        self.frame_changed = Event()
        self.table_changed = Event()
        self.bookmarks_changed = Event()
        self.imports_changed = Event()
        self.reference = None
        self.distorted = None
        self.pair: ClipPair | None = None
        self.frame = 0
        self.table: ScoreTable | None = None
        self.force_rate = True
        self.deinterlace = False           # both clips through FFmpeg's bwdif before pairing
        self.matched = None                # an automatic alignment pairing the frames instead of the offset
        self.crop = None                   # spatial.PairCrop: the window of each clip to compare
        self.bookmarks: list = []
        self.imports: list = []
        self._worst_cursor: tuple[str, int] | None = None

    # ---------------------------------------------------------------- clips and pairing

    def set_sources(self, reference, distorted, offset: int = 0) -> None:
        """Use these clips (either may be None); pairs them when both are there.

        Raises InputError (e.g. no overlap) after keeping the clips, so the file panel
        can still show what was opened.
        """
        self.reference, self.distorted = reference, distorted
        self.matched = self.crop = None
        self.sources_changed.emit()
        self.pair = None
        self.table = None
        if reference is not None and distorted is not None:
            self._pair(offset)
        else:
            self.pair_changed.emit(None)

    def set_offset(self, offset: int) -> None:
        """Re-align with a new offset; InputError (pairing unchanged) if it leaves no overlap."""
        if self.reference is None or self.distorted is None:
            return
        if self.pair is not None and offset == self.pair.offset and self.matched is None:
            return
        matched, self.matched = self.matched, None
        try:
            self._pair(offset)
        except Exception:
            self.matched = matched
            raise

    def set_deinterlace(self, on: bool) -> None:
        """Deinterlace both clips (FFmpeg bwdif, one frame per frame), or stop; re-pairs the
        open clips, InputError (nothing changed) if they no longer pair."""
        if on == self.deinterlace:
            return
        self.deinterlace = on
        if self.reference is None or self.distorted is None:
            return
        try:
            self._pair(self.matched.offset if self.matched is not None else self.offset)
        except Exception:
            self.deinterlace = not on
            raise

    def apply_alignment(self, matched, crop=None) -> None:
        """Pair the frames as the automatic alignment ``matched`` does (None: by the offset) and
        compare the windows of ``crop``; InputError (pairing unchanged) if they do not fit."""
        if self.reference is None or self.distorted is None:
            return
        before = self.matched, self.crop
        self.matched, self.crop = matched, crop
        try:
            self._pair(matched.offset if matched is not None else self.offset)
        except Exception:
            self.matched, self.crop = before
            raise

    def _pair(self, offset: int) -> None:
        pair = make_pair(self.reference, self.distorted, offset, force_rate=self.force_rate,
                         crop=self.crop, matched=self.matched, deinterlace=self.deinterlace)
        self.pair = pair
        self.table = None
        self.frame = max(pair.start, min(self.frame, pair.stop - 1))   # in range for the listeners
        self.pair_changed.emit(pair)
        self.frame_changed.emit(self.frame)  # the new pair always gets one

    @property
    def offset(self) -> int:
        return self.pair.offset if self.pair is not None else 0

    def set_table(self, table: ScoreTable | None) -> None:
        self.table = table
        self.table_changed.emit(table)

    # ---------------------------------------------------------------- bookmarks and imports

    def add_bookmark(self, bookmark) -> None:
        """Keep ``bookmark``; the list stays in frame order (equal frames: oldest first)."""
        self.bookmarks.append(bookmark)
        self.bookmarks.sort(key=lambda b: b.frame)
        self.bookmarks_changed.emit()

    def remove_bookmark(self, bookmark) -> None:
        self.bookmarks = [b for b in self.bookmarks if b is not bookmark]
        self.bookmarks_changed.emit()

    def set_bookmarks(self, bookmarks) -> None:
        self.bookmarks = sorted(bookmarks, key=lambda b: b.frame)
        self.bookmarks_changed.emit()

    def add_import(self, imported) -> None:
        """Plot ``imported`` too; importing the same file again replaces its series."""
        self.imports = [i for i in self.imports if i.path != imported.path] + [imported]
        self.imports_changed.emit()

    def set_imports(self, imports) -> None:
        self.imports = list(imports)
        self.imports_changed.emit()

    # ---------------------------------------------------------------- navigation

    @property
    def first_frame(self) -> int:
        return self.pair.start if self.pair is not None else 0

    @property
    def last_frame(self) -> int:
        return self.pair.stop - 1 if self.pair is not None else 0

    def seek(self, frame: int) -> None:
        """Go to reference frame ``frame``, clamped to the paired range."""
        if self.pair is None:
            return
        frame = int(min(max(int(frame), self.first_frame), self.last_frame))
        if frame != self.frame:
            self.frame = frame
            self.frame_changed.emit(frame)

    def step(self, count: int) -> None:
        self.seek(self.frame + count)

    def home(self) -> None:
        self.seek(self.first_frame)

    def end(self) -> None:
        self.seek(self.last_frame)

    def timecode(self, frame: int | None = None) -> str:
        if self.reference is None:
            return "--:--:--:--"
        return timecode(self.frame if frame is None else frame, self.reference.info.fps)

    @property
    def fps(self) -> float:
        return float(self.reference.info.fps) if self.reference is not None else 25.0

    # ---------------------------------------------------------------- scores

    def frame_scores(self, frame: int | None = None) -> dict[str, float]:
        """Scored values of ``frame`` (empty while it is not scored)."""
        t = self.table
        frame = self.frame if frame is None else frame
        if t is None or not t.start <= frame < t.stop:
            return {}
        row = t.row(frame)
        return {k: v for k, v in row.items() if math.isfinite(v)}

    def summary(self) -> dict[str, dict[str, float]]:
        """Per key: the pooled statistics plus ``worst_frame``."""
        out = {}
        if self.table is None:
            return out
        for key in self.table.keys:
            column = self.table.column(key)
            stats = pool(column)
            worst = self.worst_frames(key, 1)
            stats["worst_frame"] = worst[0][0] if worst else math.nan
            out[key] = stats
        return out

    def worst_frames(self, key: str, count: int = WORST_COUNT) -> list[tuple[int, float]]:
        """The ``count`` worst scored frames for ``key``, worst first."""
        if self.table is None or key not in self.table.keys:
            return []
        column = self.table.column(key)
        scored = np.flatnonzero(np.isfinite(column))
        if scored.size == 0:
            return []
        values = column[scored]
        order = np.argsort(-values if higher_is_worse(key) else values, kind="stable")[:count]
        return [(int(self.table.start + scored[i]), float(values[i])) for i in order]

    def next_worst(self, key: str, direction: int = 1) -> None:
        """Step through the worst-frames list (N / P): the first press goes to the worst
        frame (P: the last listed), the next ones move down (up) the list from there."""
        frames = [f for f, _ in self.worst_frames(key)]
        if not frames:
            return
        cursor = self._worst_cursor
        if cursor is not None and cursor[0] == key and cursor[1] < len(frames) \
                and frames[cursor[1]] == self.frame:
            rank = (cursor[1] + direction) % len(frames)
        else:
            rank = 0 if direction > 0 else len(frames) - 1
        self._worst_cursor = (key, rank)
        self.seek(frames[rank])

