"""Transport: play/pause, steps, a scrub slider, the frame number and the timecode.

Playback runs on a timer at the clip's rate but follows the wall clock (PlaybackClock):
when frames cannot be drawn in time they are skipped and the count is shown.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QSpinBox, QStyle, QToolButton, QWidget

from vqinspect.app.inspector.frame_service import PriorityGate
from vqinspect.app.inspector.playback import PlaybackClock
from vqinspect.app.inspector.session import InspectorSession

STALL_SECONDS = 1.0   # ask for the next frame anyway if one never arrives (decode error)


class Player(QObject):
    """Drives ``session.seek`` in real time; ``state_changed(text)`` for the transport.

    While playing, background scoring waits (``gate``): on two cores both cannot run at
    full speed, and dropped frames are what the user would notice.
    """

    state_changed = Signal(str)

    def __init__(self, session: InspectorSession, gate: PriorityGate | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.session = session
        self.gate = gate
        self.clock = PlaybackClock(session.fps)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._on_tick)
        self._frame_shown = True
        self._asked_at = 0.0

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self) -> None:
        s = self.session
        if s.pair is None:
            return
        if s.frame >= s.last_frame:
            s.home()
        self.clock = PlaybackClock(s.fps)
        self.clock.start(s.frame, time.perf_counter())
        self._frame_shown = True
        self.timer.start(max(1, int(500 / s.fps)))     # tick at twice the frame rate
        if self.gate is not None:
            self.gate.pause_background(True)
        self.state_changed.emit(f"playing at {s.fps:.3f} fps")

    def pause(self) -> None:
        if not self.playing:
            return
        self.timer.stop()
        if self.gate is not None:
            self.gate.pause_background(False)
        dropped = self.clock.dropped
        text = f"paused; played at {self.clock.rate():.1f} fps"
        if dropped:
            text += f", {dropped} frame{'s' if dropped != 1 else ''} dropped to keep time"
        self.state_changed.emit(text)

    def frame_shown(self) -> None:
        """The view drew the requested frame; the next one may be asked for."""
        self._frame_shown = True

    def _on_tick(self) -> None:
        now = time.perf_counter()
        if not self._frame_shown and now - self._asked_at < STALL_SECONDS:
            return      # still drawing: the clock keeps running, frames due meanwhile drop
        frame = self.clock.advance(now)
        if frame is None:
            return
        if frame > self.session.last_frame:
            self.session.end()
            self.pause()
            return
        self._frame_shown, self._asked_at = False, now
        self.session.seek(frame)
        if self.clock.dropped:
            self.state_changed.emit(f"playing: {self.clock.rate():.1f} of {self.clock.fps:.2f} fps, "
                                    f"{self.clock.dropped} dropped to keep time")


class TransportBar(QWidget):
    """Buttons and readouts bound to the session and the player."""

    def __init__(self, session: InspectorSession, player: Player, parent: QWidget | None = None):
        super().__init__(parent)
        self.session, self.player = session, player
        self.buttons = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        icons = QStyle.StandardPixmap
        for name, icon, tip, slot in (
                ("home", icons.SP_MediaSkipBackward, "First frame (Home)", session.home),
                ("back", icons.SP_MediaSeekBackward, "Previous frame (Left; Shift+Left: 10)",
                 lambda: session.step(-1)),
                ("play", icons.SP_MediaPlay, "Play / pause (Space)", player.toggle),
                ("forward", icons.SP_MediaSeekForward, "Next frame (Right; Shift+Right: 10)",
                 lambda: session.step(1)),
                ("end", icons.SP_MediaSkipForward, "Last frame (End)", session.end)):
            button = QToolButton()
            button.setIcon(self.style().standardIcon(icon))
            button.setToolTip(tip)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(slot)
            self.buttons[name] = button
            layout.addWidget(button)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.slider.valueChanged.connect(self._on_slider)
        self.frame = QSpinBox()
        self.frame.setKeyboardTracking(False)
        self.frame.setToolTip("Go to frame (Ctrl+G)")
        self.frame.valueChanged.connect(self._on_frame_box)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSize(max(11, mono.pointSize() + 1))
        self.total = QLabel("/ 0")
        self.timecode = QLabel("--:--:--:--")
        self.timecode.setFont(mono)
        self.timecode.setObjectName("timecode")
        self.state = QLabel("")
        self.state.setObjectName("hint")
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.frame)
        layout.addWidget(self.total)
        layout.addWidget(self.timecode)
        layout.addWidget(self.state)
        player.state_changed.connect(self._on_player_state)
        self._syncing = False
        self.set_range()

    def set_range(self) -> None:
        s = self.session
        self._syncing = True
        try:
            enabled = s.pair is not None
            first, last = (s.first_frame, s.last_frame) if enabled else (0, 0)
            self.slider.setRange(first, last)
            self.frame.setRange(first, last)
            self.total.setText(f"/ {last}" if enabled else "/ –")
            for widget in (self.slider, self.frame, *self.buttons.values()):
                widget.setEnabled(enabled)
        finally:
            self._syncing = False
        self.show_frame(s.frame)

    def show_frame(self, frame: int) -> None:
        self._syncing = True
        try:
            self.slider.setValue(frame)
            self.frame.setValue(frame)
        finally:
            self._syncing = False
        s = self.session
        if s.pair is None:
            self.timecode.setText("--:--:--:--")
            return
        seconds = s.reference.frame_time(frame)
        self.timecode.setText(f"{s.timecode(frame)}  ({seconds:.3f} s)")
        self._sync_play_button()

    def focus_frame_box(self) -> None:
        self.frame.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.frame.selectAll()

    def _on_player_state(self, text: str) -> None:
        self.state.setText(text)
        self._sync_play_button()

    def _sync_play_button(self) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if self.player.playing else QStyle.StandardPixmap.SP_MediaPlay
        self.buttons["play"].setIcon(self.style().standardIcon(icon))

    def _on_slider(self, value: int) -> None:
        if not self._syncing:
            self.session.seek(value)

    def _on_frame_box(self, value: int) -> None:
        if not self._syncing:
            self.session.seek(value)
