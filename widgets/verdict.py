"""The QC verdict in the window: Scoring > QC Profile…, the verdict at the top of the Scores
panel, the failing ranges shaded on the plots, and N / P through failing ranges and worst frames.

``VerdictControl`` keeps the Qt-free ``VerdictState`` (``vqinspect.app.inspector.verdict_state``)
in step with the window: a new scoring run makes the verdict pending, a finished (or reused) run
is judged at once (numpy over a few columns: no worker needed), and a profile that reads a
metric the window does not score adds it and scores the pair again.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QInputDialog, QLabel, QVBoxLayout, QWidget

from vqinspect.app.inspector.verdict_state import (StopWalker, VerdictState, problem_stops, rule_text,
                                                   shaded_ranges)
from vqinspect.app.qc.profile import Profile, load_profile, shipped_profiles
from vqinspect.app.scoring.metric_choice import MetricChoice
from vqinspect.app.shared.errors import InputError
from vqinspect.metrics.registry import MetricError, get_metric

NO_PROFILE = "None (no verdict)"
FROM_FILE = "A TOML file…"
PROFILE_FILTER = "QC profile (*.toml);;All files (*)"
RANGES_SHOWN = 3          # failing ranges listed per rule; the rest are counted
BADGE = {"pass": ("PASS", "#2e7d32"), "fail": ("FAIL", "#c62828"), "pending": ("…", "#4a4a4a"),
         "unjudged": ("—", "#4a4a4a")}
MET, FAILED = "#81c784", "#ef8a80"


def ask_profile(parent: QWidget, current: str) -> str | None:
    """A shipped profile's name, a TOML file's path, "" for none, or None (cancelled)."""
    shipped = shipped_profiles()
    titles = {}
    for name in sorted(shipped):
        try:
            titles[f"{name} — {load_profile(name).title}"] = name
        except InputError:
            continue
    items = [NO_PROFILE, *titles, FROM_FILE]
    chosen = next((t for t, n in titles.items() if n == current), NO_PROFILE if not current else FROM_FILE)
    item, ok = QInputDialog.getItem(parent, "QC profile", "Judge the scores with:", items, items.index(chosen), False)
    if not ok:
        return None
    if item == FROM_FILE:
        path, _ = QFileDialog.getOpenFileName(parent, "QC profile", str(Path(current).parent) if current else "",
                                              PROFILE_FILTER)
        return path or None
    return "" if item == NO_PROFILE else titles[item]


def choose_profile(window) -> None:
    """Scoring > QC Profile…"""
    spec = window.ask.profile(window.verdict.state.spec)
    if spec is not None:
        window.verdict.choose(spec)


class VerdictPanel(QFrame):
    """PASS / FAIL with the profile's title, each rule met or failed with its value, and which
    stop N / P are on. The failing ranges are links: ``seek_requested(frame)``."""

    seek_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("verdict")
        self.setStyleSheet("QFrame#verdict { border: 1px solid #3c3c3c; border-radius: 3px; background: #242424; }"
                           "QFrame#verdict QLabel { background: transparent; }")
        self.badge = QLabel()
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setMinimumWidth(62)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.rules = QLabel()
        self.rules.setWordWrap(True)
        self.rules.setTextFormat(Qt.TextFormat.RichText)
        self.rules.linkActivated.connect(lambda link: self.seek_requested.emit(int(link.split(":")[1])))
        self.stop = QLabel()
        self.stop.setObjectName("hint")
        self.stop.setWordWrap(True)
        head = QHBoxLayout()
        head.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.title, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.rules)
        layout.addWidget(self.stop)
        self.word = ""

    def show_state(self, state: VerdictState) -> None:
        self.setVisible(state.profile is not None)
        if state.profile is None:
            return
        profile = state.profile
        key = "pass" if state.status == "judged" and state.verdict.passed else \
            "fail" if state.status == "judged" else state.status
        self.word, colour = BADGE[key]
        self.badge.setText(self.word)
        self.badge.setStyleSheet(f"background: {colour}; color: white; font-weight: bold; font-size: 12pt;"
                                 f" border-radius: 3px; padding: 3px 8px;")
        count = len(profile.rules)
        if state.status == "judged":
            met = sum(r.met for r in state.rows)
            line = f"{met} of {count} rules met"
        elif state.status == "pending":
            line = "judged when scoring finishes"
        else:
            line = f"not judged: {state.note}"
        self.title.setText(f"<b>{html.escape(profile.title)}</b><br>"
                           f"<span style='color:#9a9a9a'>{line} · {html.escape(profile.name)}</span>")
        self.title.setToolTip(profile.about)
        self.rules.setText(_rules_html(state) if state.status == "judged" else _plain_rules_html(profile))
        self.rules.setToolTip(profile.about)

    def show_stop(self, text: str) -> None:
        self.stop.setText(text)


def _rules_html(state: VerdictState) -> str:
    rows = []
    for row in state.rows:
        mark, colour = ("✓", MET) if row.met else ("✗", FAILED)
        rows.append(f"<tr><td width='16' style='color:{colour}'><b>{mark}</b></td><td>{html.escape(rule_text(row.rule))}</td>"
                    f"<td align='right' style='color:{colour}'>{html.escape(row.value)}</td></tr>")
        if row.ranges:
            links = ", ".join(f"<a style='color:{FAILED}' href='frame:{a}'>{a if b - a == 1 else f'{a}–{b - 1}'}</a>"
                              for a, b in row.ranges[:RANGES_SHOWN])
            more = f" and {len(row.ranges) - RANGES_SHOWN} more" if len(row.ranges) > RANGES_SHOWN else ""
            word = "frames" if len(row.ranges) > 1 or row.ranges[0][1] - row.ranges[0][0] > 1 else "frame"
            where = "fails on" if row.rule.per_frame else "beyond the limit on"
            rows.append(f"<tr><td></td><td colspan='2' style='color:#b0b0b0'>{where} {word} {links}{more}</td></tr>")
    return f"<table width='100%' cellspacing='0' cellpadding='1'>{''.join(rows)}</table>"


def _plain_rules_html(profile: Profile) -> str:
    rows = "".join(f"<tr><td width='16' style='color:#7a7a7a'>·</td><td style='color:#9a9a9a'>{html.escape(rule_text(r))}</td></tr>"
                   for r in profile.rules)
    return f"<table width='100%' cellspacing='0' cellpadding='1'>{rows}</table>"


class VerdictControl(QObject):
    """The window's profile and verdict (``state``), shown in ``panel`` and on the plots."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.state = VerdictState()
        self.walker = StopWalker()
        self._stops: tuple | None = None        # (verdict, key, stops) of the judged scores
        self.panel = VerdictPanel()
        self.panel.hide()
        window.summary.layout().insertWidget(0, self.panel)
        self.panel.seek_requested.connect(window.session.seek)
        self.state.changed.connect(self._on_state_changed)
        s = window.session
        s.table_changed.connect(lambda table: self.state.wait())
        s.pair_changed.connect(lambda pair: self.state.wait() if pair is None else None)
        s.frame_changed.connect(lambda frame: self._show_stop())
        window.scoring_finished.connect(self._on_scoring_finished)
        window.summary.key.currentTextChanged.connect(lambda key: self._show_stop())

    # ---------------------------------------------------------------- choosing a profile

    def choose(self, spec: str) -> None:
        """Use the profile ``spec`` names ("" for none); a profile that cannot be used is one
        line in the status bar and changes nothing."""
        try:
            profile = load_profile(spec) if spec else None
            self.use(profile, spec)
        except (InputError, MetricError) as exc:
            self.window.show_message(f"QC profile not used: {exc}", error=True)
            return
        if profile is None:
            self.window.show_message("No QC profile: no verdict.")

    def use(self, profile: Profile | None, spec: str = "", rescore: bool = True) -> None:
        """Judge with ``profile`` from now on. The metrics its rules read join the scored ones;
        if that adds any, an open pair is scored again (``rescore``), else its finished scores
        are judged now. MetricError if a metric it needs cannot be made."""
        w = self.window
        names = [m.name for m in w.metrics.scored]
        missing = [name for name in (profile.metrics() if profile else []) if name not in names]
        added = [get_metric(name) for name in missing]
        self.state.set_profile(profile, _kept_spec(spec))
        if added:
            w.metrics = MetricChoice(w.metrics.scored + added, w.metrics.map_metrics)
        if w.session.pair is None or not rescore:
            return
        if added:
            w.show_message(f"The QC profile {profile.name} reads {', '.join(missing)}: scoring the pair again.")
            self._rescore()
        elif w.scoring.result is not None:         # finished (or reused): judged now
            self._judge(w.scoring.result)

    def _rescore(self) -> None:
        w, s = self.window, self.window.session
        pair, reference, distorted = s.pair, s.reference, s.distorted

        def start(found) -> None:
            if s.pair is pair and not w.closed:
                w.scoring.offer([found])
                w.scoring.start(pair)

        w.background(lambda: w.scoring.lookup(reference, distorted, pair.offset), start,
                     lambda message: start(None))

    # ---------------------------------------------------------------- judging

    def _on_scoring_finished(self, result) -> None:
        if result.table is self.window.session.table:
            self._judge(result)

    def _judge(self, result) -> None:
        if result is None or result.table is not self.window.session.table:
            self.state.wait()
            return
        why = f"scoring was {result.status} after {result.table.count} of {len(result.table)} frames"
        self.state.judge(result.table, result.status == "complete", why)

    def _on_state_changed(self) -> None:
        self.panel.show_state(self.state)
        self.window.plots.set_shading(shaded_ranges(self.state.verdict))
        self._stops = None
        self._show_stop()

    # ---------------------------------------------------------------- N / P

    def stops(self) -> list:
        """What N / P walk: failing ranges, then worst frames (empty until judged)."""
        verdict, key = self.state.verdict, self.window.summary.chosen_key
        if verdict is None:
            return []
        if self._stops is None or self._stops[:2] != (verdict, key):
            self._stops = (verdict, key, problem_stops(verdict, self.window.session.worst_frames(key), key))
        return self._stops[2]

    def step(self, direction: int) -> None:
        """N (1) / P (-1): through the stops once judged, through the worst frames otherwise."""
        s = self.window.session
        stops = self.stops()
        if not stops:
            s.next_worst(self.window.summary.chosen_key, direction)
            return
        stop = self.walker.step(stops, s.frame, direction)
        s.seek(stop.frame)
        self._show_stop()

    def _show_stop(self) -> None:
        if self.state.profile is None:
            return
        stops = self.stops()
        here = self.walker.at(stops, self.window.session.frame) if stops else None
        if here is not None:
            text = f"N / P: {here.describe()}"
        elif stops:
            ranges = sum(s.kind == "range" for s in stops)
            text = (f"N / P: {ranges} failing range{'s' if ranges != 1 else ''}, then the worst frames of "
                    f"{self.window.summary.chosen_key}")
        else:
            text = "N / P step through the worst frames."
        self.panel.show_stop(text)


def _kept_spec(spec: str) -> str:
    """How the profile is remembered: a shipped profile by name, a file by its absolute path."""
    if not spec or (spec in shipped_profiles() and not Path(spec).exists()):
        return spec
    return str(Path(spec).absolute())
