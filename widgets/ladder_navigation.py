"""A ladder in the inspector: File > Open Ladder… shows its rate–quality chart in a dock; a
clicked point opens that encode against the reference; ticked encodes have their per-frame
curves of the chart's key overlaid on the plots; ``[`` and ``]`` switch the distorted clip to
the previous / next encode by bitrate (``view_model.walk_order``).

Scores come from the ladder's score files (read in the background, kept once read) or the
score cache; the window scores a pair in the background only when neither fits it. Switching
encodes replaces only the distorted clip, so the frame, the view and the zoom stay.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget

from vqinspect.app.ladder.ladder import Encode, Ladder
from vqinspect.app.ladder.view_model import EncodeScores, neighbour, overlay_scores, same_file, walk_order
from vqinspect.app.scoring.imports import ImportedScores, load_scores
from vqinspect.widgets.ladder_view import LadderView

LADDER_FILTER = "Ladder JSON (*.json);;All files (*)"


def install_menu(window, menu, add) -> None:
    """File > Open Ladder… with the window's ``add(menu, name, text, slot)``."""
    window.ladder = None                     # the LadderControl, once a ladder was opened
    add(menu, "open_ladder", "Open La&dder…", lambda: _ask_ladder(window))


def install_keys(window, menu, add) -> None:
    """Go > Previous / Next Encode of the Ladder: ``[`` and ``]``."""
    add(menu, "previous_encode", "Previous Encode of the Ladder", lambda: step(window, -1), "[")
    add(menu, "next_encode", "Next Encode of the Ladder", lambda: step(window, 1), "]")


def _ask_ladder(window) -> None:
    path = window.ask.open_path("Open ladder (vqinspect ladder --json)", LADDER_FILTER)
    if path:
        open_ladder(window, path)


def open_ladder(window, path: str) -> None:
    """Read the ladder JSON in the background and show its chart."""
    window.show_message(f"Opening the ladder {Path(path).name}…")
    window.background(lambda: Ladder.load(path), lambda ladder: _show(window, ladder),
                      lambda message: window.show_message(message, error=True))


def _show(window, ladder: Ladder) -> None:
    if window.closed:
        return
    if window.ladder is None:
        window.ladder = LadderControl(window)
    window.ladder.show(ladder)


def step(window, direction: int) -> None:
    if window.ladder is None or window.ladder.ladder is None:
        window.show_message("Open a ladder first (File > Open Ladder…): [ and ] step through its encodes.",
                            error=True)
        return
    window.ladder.step(direction)


class LadderControl(QObject):
    """The window's ladder: its chart dock, the encodes' scores once read, the overlays."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.ladder: Ladder | None = None
        self.view: LadderView | None = None
        self.dock: QDockWidget | None = None
        self.pending: Encode | None = None       # being opened, or failed to open: [ and ] go on from it
        self._scores: dict[str, ImportedScores] = {}    # score JSON path -> its contents
        self._overlaid: dict[str, Encode] = {}          # score JSON path -> encode
        self._request = 0
        window.session.sources_changed.connect(self._on_sources_changed)

    # ---------------------------------------------------------------- showing

    def show(self, ladder: Ladder) -> None:
        self._drop_overlays()
        self.ladder, self.pending = ladder, None
        if self.view is None:
            self.view = LadderView(ladder)
            self.view.encode_chosen.connect(self.open_encode)
            self.view.overlay_toggled.connect(self.set_overlay)
            self.view.key_changed.connect(lambda _: self._refresh_overlays())
            self.dock = QDockWidget("Ladder", self.window)
            self.dock.setObjectName("ladder_dock")
            self.dock.setWidget(self.view)
            self.window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
            self.window.resizeDocks([self.dock], [480], Qt.Orientation.Horizontal)
        else:
            self.view.set_ladder(ladder)
        self.dock.setWindowTitle(f"Ladder: {ladder.name}")
        self.dock.show()
        self.dock.raise_()
        self._on_sources_changed()
        scored = len(ladder.scored())
        self.window.show_message(f"Ladder {ladder.name}: {scored} of {len(ladder.encodes)} encodes scored. "
                                 "Click a point to open that encode; [ and ] step through them by bitrate.")

    def _on_sources_changed(self) -> None:
        self.pending = None                      # what is open now is where [ and ] go on from
        if self.view is not None:
            distorted = self.window.session.distorted
            self.view.set_current(distorted.info.path if distorted is not None else None)

    # ---------------------------------------------------------------- opening encodes

    def step(self, direction: int) -> None:
        """Open the encode ``direction`` places from the one open (or being opened)."""
        distorted = self.window.session.distorted
        current = self.pending.path if self.pending is not None else (
            distorted.info.path if distorted is not None else None)
        target = neighbour(walk_order(self.ladder), current, direction)
        if target is None:
            end = "highest" if direction > 0 else "lowest"
            self.window.show_message(f"This is the ladder's {end}-bitrate encode.")
            return
        self.open_encode(target)

    def open_encode(self, encode: Encode) -> None:
        """Open ``encode`` as the distorted clip (and the ladder's reference, if another one
        is open), with the ladder's scores of it when they fit the pair."""
        self._request += 1
        request, self.pending = self._request, encode

        def opened_with(imported: ImportedScores | None) -> None:
            if request == self._request and not self.window.closed:
                self._open(encode, imported)

        self._read_scores(encode, opened_with, lambda message: (self.window.show_message(message, error=True),
                                                                opened_with(None)))

    def _open(self, encode: Encode, imported: ImportedScores | None) -> None:
        w = self.window
        reference = self.ladder.reference.get("path")
        open_reference = w.session.reference is None or not same_file(w.session.reference.info.path, reference)
        scores, offset = None, w.session.offset if not open_reference else 0
        if imported is not None and imported.result is not None:
            scores = (imported.result, f"read from the ladder's scores ({Path(imported.path).name})")
            offset = int(imported.result.alignment.get("offset", 0))
        order = walk_order(self.ladder)
        place = next((i for i, e in enumerate(order) if e is encode), None)
        where = f", {place + 1} of {len(order)} by bitrate" if place is not None else ""

        def then() -> None:
            w.show_message(w.message.text() + f" Ladder encode {encode.label} ({encode.resolution}{where}).")

        w.open_paths(reference if open_reference else None, encode.path, offset, scores=scores, then=then)

    def _read_scores(self, encode: Encode, done, failed) -> None:
        """``done(ImportedScores | None)`` with the encode's score JSON, read in the background
        the first time; None when the ladder has none for it."""
        if not encode.scores:
            done(None)
        elif encode.scores in self._scores:
            done(self._scores[encode.scores])
        else:
            def keep(imported: ImportedScores) -> None:
                self._scores[encode.scores] = imported
                done(imported)

            self.window.background(lambda: load_scores(encode.scores), keep, failed)

    # ---------------------------------------------------------------- overlays

    def set_overlay(self, encode: Encode, on: bool) -> None:
        """Overlay (or remove) ``encode``'s per-frame curves of the chart's key on the plots."""
        if not on:
            self._overlaid.pop(encode.scores, None)
            self._refresh_overlays()
            return
        self._overlaid[encode.scores] = encode

        def failed(message: str) -> None:
            self._overlaid.pop(encode.scores, None)
            if self.view is not None:
                self.view.set_overlaid(encode, False)
            self.window.show_message(message, error=True)

        self._read_scores(encode, lambda _: self._refresh_overlays(), failed)

    def _refresh_overlays(self) -> None:
        """The session's imports: the ones not from a ladder, then each ticked encode's
        series of the chart's key (those whose scores were read)."""
        key = self.view.key
        session = self.window.session
        others = [i for i in session.imports if not isinstance(i, EncodeScores)]
        ours = [overlay_scores(self._scores[path], encode, key) for path, encode in self._overlaid.items()
                if path in self._scores]
        session.set_imports(others + ours)

    def _drop_overlays(self) -> None:
        if self._overlaid:
            self._overlaid.clear()
            self._refresh_overlays()
