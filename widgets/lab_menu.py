"""The subjective lab in the inspector's File menu: Run Subjective Test… (a plan and a subject,
then the runner window) and Open Subjective Analysis… (results files or a SUREAL dataset, then
the live analysis view, whose double-clicks open pairs in this inspector).

The windows opened here are kept in ``window.lab_windows`` and closed (workers joined) when the
inspector closes. The questions are module functions (``ask_test``, ``ask_analysis_inputs``) so
that a test or a script can answer them without a modal dialog.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QLineEdit, QPushButton, QWidget)

PLAN_FILTER = "Test plans (*.toml *.json);;All files (*)"
ANALYSIS_FILTER = "Results files and SUREAL datasets (*.json *.py);;All files (*)"


def install(window, menu, add) -> None:
    """Add the two commands to ``menu`` with the window's ``add(menu, name, text, slot)``."""
    window.lab_windows = []
    window.installEventFilter(_CloseLabWindows(window))
    add(menu, "run_lab", "Run Subjective &Test…", lambda: run_subjective_test(window))
    add(menu, "open_lab_analysis", "Open Subjective &Analysis…", lambda: open_subjective_analysis(window))


# --- the questions ----------------------------------------------------------------------------

def ask_test(window) -> tuple[str, str, bool, bool] | None:
    """(plan, subject, resume, windowed), or None when cancelled."""
    dialog = RunTestDialog(window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.answer()


def ask_analysis_inputs(window) -> list[str] | None:
    paths, _ = QFileDialog.getOpenFileNames(window, "Open subjective analysis: results files or a SUREAL dataset",
                                            "", ANALYSIS_FILTER)
    return paths or None


class RunTestDialog(QDialog):
    """The plan file, the subject's id, resume, and full screen or a window."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Run subjective test")
        self.plan = QLineEdit()
        self.subject = QLineEdit()
        self.subject.setPlaceholderText("e.g. S01")
        self.resume = QCheckBox("Continue this subject's unfinished session")
        self.windowed = QCheckBox("In a window (to try the plan), not full screen")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse)
        row = QHBoxLayout()
        row.addWidget(self.plan, 1)
        row.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Plan", row)
        form.addRow("Subject", self.subject)
        form.addRow("", self.resume)
        form.addRow("", self.windowed)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for field in (self.plan, self.subject):
            field.textChanged.connect(self._on_changed)
        self._on_changed()
        self.resize(600, self.sizeHint().height())

    def answer(self) -> tuple[str, str, bool, bool]:
        return self.plan.text().strip(), self.subject.text().strip(), self.resume.isChecked(), self.windowed.isChecked()

    def _on_changed(self) -> None:
        ok = bool(self.plan.text().strip() and self.subject.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a test plan", "", PLAN_FILTER)
        if path:
            self.plan.setText(path)


# --- the commands ------------------------------------------------------------------------------

def run_subjective_test(window) -> None:
    """Open the subject's session in the background (hashing the clips reads them all), then
    the runner, full screen on the inspector's display."""
    answer = ask_test(window)
    if answer is None:
        return
    plan_path, subject, resume, windowed = answer

    def start():
        from vqinspect.app.lab.plan import read_plan
        from vqinspect.app.lab.session import Session

        return Session.start(read_plan(plan_path), subject, resume=resume)

    window.show_message(f"Preparing the test {Path(plan_path).name} for {subject}…")
    window.background(start, lambda session: show_runner(window, session, windowed),
                      lambda message: window.show_message(message, error=True))


def show_runner(window, session, windowed: bool = False):
    from vqinspect.widgets.lab_runner import LabRunner

    if window.closed:
        return None
    runner = LabRunner(session)
    runner.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    screen = window.screen() or QGuiApplication.primaryScreen()
    runner.setGeometry(screen.geometry())
    _keep(window, runner)
    runner.finished.connect(lambda: window.show_message(f"Test finished: {session.path}"))
    if windowed:
        runner.resize(1280, 720)
        runner.show()
    else:
        runner.setWindowFlag(Qt.WindowType.FramelessWindowHint)
        runner.showFullScreen()
    runner.start()
    window.show_message(f"Running {session.plan.name} for {session.subject}; results go to {session.path}.")
    return runner


def open_subjective_analysis(window) -> None:
    paths = ask_analysis_inputs(window)
    if paths:
        show_analysis(window, follow_tests(paths))


def follow_tests(paths: list[str]) -> list[str]:
    """Results files become their tests' patterns, so subjects who start later join the
    analysis live; a dataset stays as it is."""
    from vqinspect.app.lab.analysis import follow_pattern, is_results

    out = []
    for path in paths:
        item = follow_pattern(path) if Path(path).is_file() and is_results(Path(path)) else path
        if item not in out:
            out.append(item)
    return out


def show_analysis(window, inputs: list[str]):
    """The live analysis view of ``inputs``; its double-clicks open pairs in ``window``."""
    from vqinspect.widgets.lab_analysis import LabAnalysisWindow

    view = LabAnalysisWindow([str(p) for p in inputs], open_pair=lambda ref, dis: _open_pair(window, ref, dis),
                             parent=window)
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    _keep(window, view)
    view.show()
    return view


def _open_pair(window, reference: str, distorted: str) -> None:
    window.open_paths(reference, distorted)
    window.raise_()
    window.activateWindow()


def _keep(window, widget: QWidget) -> None:
    window.lab_windows.append(widget)
    widget.destroyed.connect(lambda *_: window.lab_windows.remove(widget) if widget in window.lab_windows else None)


class _CloseLabWindows(QObject):
    """Closes the lab windows (stopping their workers) when the inspector closes."""

    def __init__(self, window):
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched, event) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Close:
            for widget in list(self._window.lab_windows):
                widget.close()
        return False
