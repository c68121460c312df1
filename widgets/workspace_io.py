"""File > Save Workspace… / Open Workspace…: an inspection saved and reopened as it was.

Saving records both files (with their identity), the offset, frame, view, bookmarks
(with their pictures), imported score files and the finished scores. Opening finds
files that moved with the workspace; for one that is still missing it asks the user
(``window.ask.locate``) instead of failing, and reuses the scores while both files are
the same bytes, so nothing is scored again.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from vqinspect.app.shared.errors import InputError
from vqinspect.app.scoring.imports import load_scores
from vqinspect.app.scoring.metric_choice import MetricChoice
from vqinspect.app.inspector.workspace import ROLES, FileRef, Workspace, apply_view, view_to_dict
from vqinspect.app.media.open_options import options_from_plain, plain_options
from vqinspect.widgets.workers import BackgroundCall

SUFFIX = ".vqws"


def suggested_name(window) -> str:
    if window.workspace_path is not None:
        return str(window.workspace_path)
    s = window.session
    return f"{Path(s.distorted.info.path).stem}{SUFFIX}" if s.distorted is not None else f"inspection{SUFFIX}"


def workspace_builder(window) -> Callable[[], Workspace]:
    """The window's inspection, taken now; the returned function makes the Workspace
    (reading the files' identities, so it belongs in a worker thread)."""
    s, scoring = window.session, window.scoring
    pair = s.pair
    final = scoring.result is not None and scoring.result.table is s.table
    paths = (pair.reference.info.path, pair.distorted.info.path)
    imports = [i.path for i in s.imports]
    fields = dict(offset=pair.offset, frame=s.frame, scaler=pair.scaler,
                  open_options=plain_options(window.open_options),
                  metrics=[m.name for m in window.metrics.scored],
                  view=view_to_dict(window.view_settings, window.viewport), bookmarks=list(s.bookmarks),
                  scores=scoring.result if final else None, profile=window.verdict.state.spec,
                  deinterlace=s.deinterlace)
    return lambda: Workspace.new(*paths, imports=[FileRef.of("scores", p) for p in imports], **fields)


def save_workspace(window, path: str) -> BackgroundCall:
    """Save the open pair's inspection atomically, in the background (identities hash the
    files; scores can be large). The menu command checks that a pair is open before it
    asks for a path."""
    scored = window.scoring.result is not None
    path = Path(path)
    if not path.suffix:
        path = path.with_suffix(SUFFIX)
    build = workspace_builder(window)

    def done(saved):
        window.workspace_path = saved
        note = "" if scored else " (without scores: scoring had not finished)"
        window.show_message(f"Workspace saved to {saved}{note}.")

    window.show_message(f"Saving the workspace {path.name}…")
    return window.background(lambda: build().save(path, include_images=True), done,
                             lambda message: window.show_message(f"Workspace not saved: {message}", error=True))


def open_workspace(window, path: str) -> None:
    """Open a workspace in steps that keep the UI thread free: read it and look for its
    files in the background (identities hash the files, and a sequence has many), ask here
    for files that moved, check them and read the imported scores in the background, then
    open the pair and restore the rest once it is open. Opening anything else meanwhile
    abandons it."""
    generation = window.open_generation

    def current() -> bool:
        return window.open_generation == generation

    def failed(message: str) -> None:
        if current():
            window.show_message(message, error=True)

    def found(loaded: tuple[Workspace, list[FileRef]]) -> None:
        if not current():
            return
        ws, missing = loaded
        answers = _ask_for_missing(window, missing)
        if answers is not None:
            window.background(lambda: _checked(ws, answers), lambda checked: checked_in(ws, *checked), failed)

    def checked_in(ws: Workspace, notes: list[str], scores_valid: bool, imports: list) -> None:
        if not current():
            return
        try:
            metrics = MetricChoice.from_names(ws.metrics) if ws.metrics else window.metrics
            options = options_from_plain(ws.open_options)
        except InputError as exc:
            window.show_message(f"{ws.path}: {exc}", error=True)
            return
        window.metrics, window.open_options = metrics, options
        notes += use_profile(window, ws.profile)
        scores = (ws.scores, f"from the workspace {ws.path.name}") if scores_valid else None
        window.open_paths(ws.reference.path, ws.distorted.path, ws.offset, scores=scores,
                          then=lambda: _restore(window, ws, notes, imports), deinterlace=ws.deinterlace)

    window.show_message(f"Opening the workspace {Path(path).name}…")
    window.background(lambda: _loaded(path), found, failed)


def use_profile(window, spec: str) -> list[str]:
    """The workspace's QC profile (none in older workspaces), before its pair opens; a note
    if it cannot be used."""
    from vqinspect.app.qc.profile import load_profile
    from vqinspect.metrics.registry import MetricError

    try:
        window.verdict.use(load_profile(spec) if spec else None, spec, rescore=False)
    except (InputError, MetricError) as exc:
        window.verdict.use(None, rescore=False)
        return [f"QC profile not used ({exc})"]
    return []


def _loaded(path: str) -> tuple[Workspace, list[FileRef]]:
    """The workspace, and the files found neither where they were nor beside it."""
    ws = Workspace.load(path)
    return ws, ws.missing_files()


def _ask_for_missing(window, missing: list[FileRef]) -> list[tuple[FileRef, str | None]] | None:
    """The user's answer for each missing file (None: left out); None (with the message
    shown) if a video stays missing."""
    answers = []
    for ref in missing:
        answer = window.ask.locate(ref.role, ref.path)
        if answer is None and ref.role in ROLES:
            window.show_message(f"Workspace not opened: the {ref.role} {Path(ref.path).name} was not found.",
                                error=True)
            return None
        answers.append((ref, answer))
    return answers


def _checked(ws: Workspace, answers: list[tuple[FileRef, str | None]]) -> tuple[list[str], bool, list]:
    """Take the user's answers, check whether the saved scores still fit the files, and read
    the imported scores: (notes for the user, scores valid, imported scores)."""
    notes: list[str] = []
    for ref, answer in answers:
        name = Path(ref.path).name
        if answer is None:
            ws.imports.remove(ref)
            notes.append(f"imported scores {name} left out (not found)")
        elif not ws.relocate(ref.role, answer):
            notes.append(f"{Path(answer).name} is not the file {name} that was saved"
                         + (": its scores are computed again" if ref.role in ROLES else ""))
    imports = []
    for ref in ws.imports:
        try:
            imports.append(load_scores(ref.path))
        except InputError as exc:
            notes.append(str(exc))
    return notes, ws.scores_valid(), imports


def _restore(window, ws: Workspace, notes: list[str], imports: list) -> None:
    """Frame, view, bookmarks and imported scores, once the pair is open."""
    s = window.session
    info = s.pair.reference.info
    window.viewport.set_image_size(info.width, info.height)    # the first picture must not refit
    apply_view(ws.view, window.view_settings, window.viewport)
    s.seek(ws.frame)
    s.set_bookmarks(ws.bookmarks)
    s.set_imports(imports)
    window.workspace_path = ws.path
    scores = "scores reused, not scored again" if window.runner is None else "scoring"
    marks = f"{len(ws.bookmarks)} bookmark{'s' if len(ws.bookmarks) != 1 else ''}"
    text = f"Opened workspace {ws.path.name}: frame {s.frame}, {marks}, {scores}"
    window.show_message(text + "".join(f"; {n}" for n in notes) + ".", error=bool(notes))
