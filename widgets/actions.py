"""Menus and keys of the inspector window, as QActions (so menus show the shortcuts).

Keys are what video-compare and players taught users: space play/pause, arrows step
(shift: 10), Home/End, Ctrl+G go to frame, N/P failing ranges then worst frames, T flips A/B, 1-5 modes,
Ctrl+B bookmarks the frame. Questions to the user go through ``window.ask``.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog

from vqinspect.app.shared.errors import InputError
from vqinspect.widgets import dialogs, export, lab_menu, ladder_navigation, model_lab, settings_store
from vqinspect.widgets.bookmarks import add_bookmark
from vqinspect.widgets.import_scores import import_scores
from vqinspect.widgets.verdict import choose_profile
from vqinspect.widgets.workspace_io import open_workspace, save_workspace, suggested_name

VIDEO_FILTER = ("Video (*.mp4 *.mkv *.mov *.webm *.ivf *.y4m *.ts *.m2ts *.mxf *.avi *.yuv *.264 *.265 "
                "*.hevc *.h264);;All files (*)")


def install(window) -> None:
    """Create the menus and window-wide shortcuts; ``window.commands`` names them all (``actions`` is QWidget.actions())."""
    window.commands = {}
    s, vp = window.session, window.viewport

    def add(menu, name, text, slot, shortcut=None):
        action = QAction(text, window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        window.addAction(action)
        window.commands[name] = action
        return action

    bar = window.menuBar()
    files = bar.addMenu("&File")
    add(files, "open_reference", "Open &Reference…", lambda: _open(window, "reference"), "Ctrl+O")
    add(files, "open_distorted", "Open &Distorted…", lambda: _open(window, "distorted"), "Ctrl+Shift+O")
    add(files, "open_last", "Open &Last Pair", lambda: _open_last(window), "Ctrl+Shift+L")
    add(files, "open_masks", "Open &Masks…", lambda: _open_masks(window), "Ctrl+M")
    lab_menu.install(window, files, add)      # Run Subjective Test…, Open Subjective Analysis…
    ladder_navigation.install_menu(window, files, add)    # Open Ladder…
    model_lab.install(window, files, add)     # Open Model Lab…
    files.addSeparator()
    add(files, "open_workspace", "Open &Workspace…", lambda: _open_workspace(window), "Ctrl+Alt+O")
    add(files, "save_workspace", "&Save Workspace…", lambda: _save_workspace(window), "Ctrl+S")
    add(files, "import_scores", "&Import Scores…", lambda: _import_scores(window), "Ctrl+I")
    files.addSeparator()
    add(files, "export", "&Export View as PNG…", lambda: _export(window), "Ctrl+E")
    add(files, "copy", "&Copy View", lambda: _copy(window), "Ctrl+Shift+C")
    add(files, "export_report", "Export Re&port…", lambda: _export_report(window), "Ctrl+R")
    files.addSeparator()
    add(files, "quit", "&Quit", window.close, "Ctrl+Q")

    view = bar.addMenu("&View")
    for action in window.toolbar.mode_actions.values():
        view.addAction(action)
        window.addAction(action)
    view.addSeparator()
    add(view, "toggle_ab", "Flip A/B (reference ↔ distorted)", lambda: _flip(window), "T")
    add(view, "zoom_in", "Zoom In", lambda: vp.zoom_at(1.25, *_centre(vp)), "+")
    add(view, "zoom_out", "Zoom Out", lambda: vp.zoom_at(0.8, *_centre(vp)), "-")
    view.addAction(window.toolbar.fit_action)
    view.addAction(window.toolbar.actual_action)
    screen = add(view, "screen_preview", "Convert HDR and BT.2020 for This Screen",
                 lambda: _set_screen_preview(window, screen.isChecked()), "Ctrl+H")
    screen.setCheckable(True)
    screen.setChecked(window.view_settings.screen_preview)
    view.addSeparator()
    for dock in (window.pixel_dock, window.scores_dock, window.files_dock, window.bookmarks_dock):
        view.addAction(dock.toggleViewAction())
    scopes = window.scopes_dock.toggleViewAction()
    scopes.setShortcut(QKeySequence("Ctrl+Shift+S"))
    view.addAction(scopes)
    window.commands["scopes"] = scopes

    go = bar.addMenu("&Go")
    add(go, "play", "Play / Pause", window.player.toggle, "Space")
    add(go, "next", "Next Frame", lambda: s.step(1), "Right")
    add(go, "previous", "Previous Frame", lambda: s.step(-1), "Left")
    add(go, "next10", "Forward 10 Frames", lambda: s.step(10), "Shift+Right")
    add(go, "previous10", "Back 10 Frames", lambda: s.step(-10), "Shift+Left")
    add(go, "first", "First Frame", s.home, "Home")
    add(go, "last", "Last Frame", s.end, "End")
    add(go, "goto", "Go to Frame…", window.transport.focus_frame_box, "Ctrl+G")
    go.addSeparator()
    add(go, "next_worst", "Next Failing Range or Worst Frame", lambda: window.verdict.step(1), "N")
    add(go, "previous_worst", "Previous Failing Range or Worst Frame", lambda: window.verdict.step(-1), "P")
    go.addSeparator()
    add(go, "bookmark", "&Bookmark This Frame…", lambda: _bookmark(window), "Ctrl+B")
    go.addSeparator()
    ladder_navigation.install_keys(window, go, add)    # [ and ]: previous / next encode

    scoring = bar.addMenu("&Scoring")
    add(scoring, "cancel", "Cancel Scoring", window.cancel_scoring, "Ctrl+.")
    add(scoring, "qc_profile", "QC &Profile…", lambda: choose_profile(window))
    scoring.addSeparator()
    deinterlace = add(scoring, "deinterlace", "&Deinterlace Both Clips (bwdif)",
                      lambda: window.set_deinterlace(deinterlace.isChecked()))
    deinterlace.setCheckable(True)


def _set_screen_preview(window, on: bool) -> None:
    window.view_settings.set_screen_preview(on)
    window.show_message("HDR10 pictures tone-mapped, BT.2020 and HLG ones converted to BT.709, for this screen."
                        if on else "HDR and BT.2020 pictures shown as coded.")


def _centre(viewport) -> tuple[float, float]:
    w, h = viewport.view_size
    return w / 2.0, h / 2.0


def _flip(window) -> None:
    """T: in A/B mode flip the clip shown; from another mode, enter A/B."""
    v = window.view_settings
    if v.mode != "ab":
        v.set_mode("ab")
    else:
        v.toggle_ab()


def _open(window, role: str) -> None:
    path, _ = QFileDialog.getOpenFileName(window, f"Open {role} clip", "", VIDEO_FILTER)
    if path:
        offset = window.session.offset
        window.open_paths(path if role == "reference" else None,
                          path if role == "distorted" else None, offset)


def _open_last(window) -> None:
    reference, distorted = settings_store.last_files(window.store)
    if reference is None or distorted is None:
        window.show_message("No previous pair to reopen (or its files have moved).", error=True)
        return
    window.open_paths(reference, distorted)


def _export(window) -> None:
    if window.session.pair is None:
        window.show_message("Nothing to export: open a pair first.", error=True)
        return
    suggested = f"vqinspect_frame{window.session.frame}_{window.view_settings.mode}.png"
    path, _ = QFileDialog.getSaveFileName(window, "Export view as PNG", suggested, "PNG image (*.png)")
    if not path:
        return
    try:
        export.save_png(export.export_image(window), path)
    except InputError as exc:
        window.show_message(str(exc), error=True)
        return
    window.show_message(f"Saved {path}")


def _copy(window) -> None:
    export.copy_to_clipboard(export.export_image(window))
    window.show_message("View copied to the clipboard (with its caption).")


def _bookmark(window) -> None:
    window.player.pause()                   # the picture must not move on while the note is typed
    if window.view_area.images is None:
        add_bookmark(window, "")            # says why there is nothing to bookmark
        return
    note = window.ask.note(window.view_area.images.request.frame)
    if note is not None:
        add_bookmark(window, note)


def _import_scores(window) -> None:
    path = window.ask.open_path("Import scores", dialogs.SCORES_FILTER)
    if path:
        import_scores(window, path)


def _export_report(window) -> None:
    s = window.session
    if s.pair is None:
        window.show_message("Nothing to report: open a pair first.", error=True)
        return
    suggested = f"{Path(s.distorted.info.path).stem}_report.html"
    path = window.ask.save_path("Export report (HTML or PDF)", suggested, dialogs.REPORT_FILTER)
    if path:
        window.reports.start(path)


def _save_workspace(window) -> None:
    if window.session.pair is None:
        window.show_message("Nothing to save: open a pair first.", error=True)
        return
    path = window.ask.save_path("Save workspace", suggested_name(window), dialogs.WORKSPACE_FILTER)
    if path:
        save_workspace(window, path)


def _open_workspace(window) -> None:
    path = window.ask.open_path("Open workspace", dialogs.WORKSPACE_FILTER)
    if path:
        open_workspace(window, path)


def _open_masks(window) -> None:
    """The mask mode in its own window, kept (and shut down) by the inspector. The inputs
    are opened in the background: probing and indexing read the files."""
    from vqinspect.app.masks.scorer import MaskOptions, open_mask_inputs

    paths = window.ask.mask_paths()
    if paths is None:
        return
    options = MaskOptions()
    name = Path(paths[0]).name
    window.show_message(f"Opening the masks {name}…")
    window.background(lambda: open_mask_inputs(*paths, options),
                      lambda inputs: _show_masks(window, inputs, options, name),
                      lambda message: window.show_message(message, error=True))


def _show_masks(window, inputs, options, name: str) -> None:
    from vqinspect.widgets.mask_window import show_mask_window

    if window.closed:
        return
    window.mask_windows.append(show_mask_window(inputs, options, parent=window))
    window.show_message(f"Scoring the masks {name} in their own window.")
