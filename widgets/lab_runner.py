"""The subjective-test runner: a full-screen, mid-grey window with no chrome that shows each
trial's clips (decoded into memory first) at their frame rate, logs every presentation's frame
timing, and collects the vote by keyboard (number keys, arrows + Enter) or mouse.

Decoding never runs on the UI thread, nor during playback: a trial's clips are decoded in the
background (``vq-lab-prefetch``) while the intro, the vote on the trial before or the pause is on
screen, and its grey screen lasts until every frame is in memory (the wait past the plan's grey is
logged with the presentation). Only the trial on screen and the next one are held in memory.

The session model (``vqinspect.app.lab.session``) writes the results file after every vote;
Esc closes the window and loses nothing already voted.

Playback keeps to the clip's rate on a clock, not a timer at a whole number of ms: frame 0 is painted at
once when the grey ends and its paint starts the clock, frame k is due k periods later (a
repeating 2 ms timer checks the clock and a spin of under 2 ms waits for the due time; a
single-shot timer restarted for every frame was measured to fire up to 20 ms late), and a
frame that came late restarts the clock from itself instead of rushing the next one. Every
trial's clips are decoded and made into images in the background, the first frame of each is
drawn once off screen before its grey screen ends (the painter's first use of a format and size
costs 7-17 ms), and Python's garbage collector is paused while a clip plays, so nothing but the
painting runs between two frames."""
from __future__ import annotations

import dataclasses
import gc
import time

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from vqinspect.app.lab.plan import Trial, training_order
from vqinspect.app.lab.session import Session
from vqinspect.app.lab.stimuli import ShownTiming, decode_stimulus
from vqinspect.widgets.lab_prefetch import ClipSpec, PreparedTrial, StimulusPrefetcher

MID_GREY = QColor(128, 128, 128)
TICK_MS = 2            # the playback clock is checked this often ...
SPIN_S = 0.0025        # ... and spun on for the last stretch before a frame is due
TEXT = {"start": "Press Space or click to start.", "training": "Training: these votes are not recorded.",
        "pause": "Pause. Press Space or click to continue.", "done": "Thank you. The test is finished.",
        "vote": "Your vote:", "confirm": "Vote", "error": "This clip cannot be shown. Press Esc.\n"}


class LabRunner(QWidget):
    """One subject's session on screen. ``state`` is intro, grey, play, vote, pause, done or error."""

    finished = Signal()

    def __init__(self, session: Session, decode=decode_stimulus, parent=None):
        super().__init__(parent)
        self.session = session
        self.plan = session.plan
        self.state = "intro"
        self._queue: list[tuple[Trial, bool]] = []      # (trial, is_training)
        if session.done == 0:
            self._queue = [(t, True) for t in training_order(self.plan)]
        self._trial: Trial | None = None
        self._training = False
        self._clips: list = []                          # the trial's DecodedClips, frames as QImages
        self._clip_no = 0
        self._frame_no = 0
        self._images: list[QImage] = []
        self._shown_at: list[float] = []
        self._due = 0.0                                 # perf_counter time the next frame is due
        self._period = 0.04
        self.timings: list[ShownTiming] = []
        self._prefetch = StimulusPrefetcher(decode, self)
        self._prefetch.ready.connect(self._on_prepared)
        self._prefetch.failed.connect(self._on_failed)
        self._asked: tuple[ClipSpec, ...] | None = None   # the trial being decoded for us
        self._prepared: PreparedTrial | None = None       # decoded, not yet on screen
        self._decoded_at = 0.0                            # perf_counter: the trial's last frame in memory
        self._ready_at = 0.0                              # perf_counter: the trial reached the UI thread
        self._grey_started = 0.0
        self._grey_timer = QTimer(self)
        self._grey_timer.setSingleShot(True)
        self._grey_timer.timeout.connect(self._play_when_ready)
        self._shown: dict = {}                            # how the clip on screen was prepared
        self._vote_started = 0.0
        self._selected: int | None = None
        self._play_timer = QTimer(self)
        self._play_timer.setTimerType(Qt.PreciseTimer)
        self._play_timer.setInterval(TICK_MS)
        self._play_timer.timeout.connect(self._next_frame)
        self._vote_timer = QTimer(self)
        self._vote_timer.setSingleShot(True)
        self._vote_timer.timeout.connect(self._time_out)
        self.setWindowTitle(" ")
        self.setAutoFillBackground(False)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setCursor(Qt.BlankCursor)
        self._message = QLabel(TEXT["start"], self)
        self._message.setAlignment(Qt.AlignCenter)
        self._message.setStyleSheet("color: black; font-size: 22px;")
        self._panel = self._vote_panel()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self._message)
        layout.addWidget(self._panel, 0, Qt.AlignHCenter)
        layout.addStretch(1)
        self._panel.hide()

    # --- the voting panel ---
    def _vote_panel(self) -> QWidget:
        panel = QWidget(self)
        box = QVBoxLayout(panel)
        scale = self.plan.scale
        self.vote_buttons: dict[float, QPushButton] = {}
        self.slider: QSlider | None = None
        if scale.kind == "continuous":
            self.slider = QSlider(Qt.Horizontal, panel)
            self.slider.setRange(int(scale.minimum), int(scale.maximum))
            self.slider.setValue(int((scale.minimum + scale.maximum) / 2))
            self.slider.setMinimumWidth(600)
            self.slider.setFocusPolicy(Qt.NoFocus)
            ends = QHBoxLayout()
            for value in (scale.minimum, scale.maximum):
                label = QLabel(scale.labels.get(int(value), f"{value:g}"), panel)
                ends.addWidget(label, 0, Qt.AlignLeft if value == scale.minimum else Qt.AlignRight)
            confirm = QPushButton(TEXT["confirm"], panel)
            confirm.setFocusPolicy(Qt.NoFocus)
            confirm.clicked.connect(lambda: self._cast(float(self.slider.value())))
            box.addWidget(self.slider)
            box.addLayout(ends)
            box.addWidget(confirm, 0, Qt.AlignHCenter)
            return panel
        for value in scale.values:
            key = self.key_for(value)
            text = f"{scale.labels[value]}" if scale.labels[value] else f"{value}"
            button = QPushButton(f"{text}   [{key}]" if key else text, panel)
            button.setFocusPolicy(Qt.NoFocus)
            button.setMinimumWidth(320)
            button.setFont(QFont(button.font().family(), 14))
            button.clicked.connect(lambda _=False, v=value: self._cast(v))
            self.vote_buttons[value] = button
            box.addWidget(button)
        return panel

    def key_for(self, value: int) -> str:
        """The number key for a vote: the value itself on 0..9 scales; else its position 1..N
        from the bottom of the scale when there are at most nine values; otherwise none (arrows)."""
        values = sorted(self.plan.scale.labels)
        if all(0 <= v <= 9 for v in values):
            return str(value)
        if len(values) <= 9:
            return str(values.index(value) + 1)
        return str(value) if 0 <= value <= 9 else ""

    # --- the flow ---
    def start(self) -> None:
        self.state = "intro"
        self._show_message(TEXT["start"])
        self._prefetch_upcoming()

    def _advance(self) -> None:
        if self._queue:
            trial, training = self._queue.pop(0)
        else:
            trial, training = self.session.next_trial(), False
        if trial is None:
            self.state = "done"
            self._prefetch.close()
            self._show_message(TEXT["done"])
            self.finished.emit()
            return
        self._trial, self._training = trial, training
        self._clip_no = 0
        self._clips = []
        self.timings = []
        self._want(self._clip_specs(trial))
        self._grey()
        if self._prepared is not None:     # decoded during the vote before
            self._take(self._prepared)

    # --- decoding ahead ---
    def _clip_specs(self, trial: Trial) -> tuple[ClipSpec, ...]:
        specs = []
        for sid in trial.shown:
            frames = self.plan.stimulus(sid).frames
            specs.append((str(self.plan.clip_path(sid)), tuple(frames) if frames else None))
        return tuple(specs)

    def _upcoming(self) -> Trial | None:
        """The trial after the one on screen (the first at the intro), as far as it is known
        before the vote: re-shows of dropped presentations are only known after the last vote."""
        if self._queue:
            return self._queue[0][0]
        current = self._trial if self._trial is not None and not self._training else None
        for trial in self.session.trials:
            if trial.index not in self.session.votes and (current is None or trial.index != current.index):
                return trial
        return None

    def _prefetch_upcoming(self) -> None:
        trial = self._upcoming()
        if trial is not None:
            self._want(self._clip_specs(trial))

    def _want(self, key: tuple[ClipSpec, ...]) -> None:
        """Have ``key``'s clips decoded, unless they are in memory or on their way; a different
        trial decoded ahead is dropped (the memory budget: the trial on screen and the next)."""
        if self._prepared is not None and self._prepared.key == key or self._asked == key:
            return
        self._prepared = None
        self._asked = key
        self._prefetch.request(key)

    def _on_prepared(self, prepared: PreparedTrial) -> None:
        if prepared.key != self._asked:
            return                         # asked for something else since
        self._asked = None
        self._prepared = prepared
        if self.state == "grey" and self._trial is not None and not self._clips \
                and self._clip_specs(self._trial) == prepared.key:
            self._take(prepared)

    def _on_failed(self, key: tuple, message: str) -> None:
        if key != self._asked:
            return
        self._asked = None
        if self.state == "grey":           # the subject is waiting for it
            self.state = "error"
            self._show_message(TEXT["error"] + message)
        # otherwise it was decoded ahead: the trial asks again, and fails, when its turn comes

    def _take(self, prepared: PreparedTrial) -> None:
        """The trial's clips are all in memory: show them once the grey time is over."""
        self._prepared = None
        self._clips = prepared.clips
        self._decoded_at = prepared.decoded
        self._ready_at = time.perf_counter()
        self._warm_up()
        self._play_when_ready()

    def _blank(self) -> None:
        self.state = "grey"
        self._images = []
        self._message.hide()
        self._panel.hide()
        self.setCursor(Qt.BlankCursor)
        self.repaint()

    def _warm_up(self) -> None:
        """Draw each clip's first frame once off screen, where it will go: the painter's first
        use of a format and size is slower than the rest, and must not fall on frame 0. (One
        frame per clip, as its frames share format and size: the UI thread does not draw the
        whole clip.)"""
        scratch = QImage(self.size(), QImage.Format_ARGB32_Premultiplied)
        painter = QPainter(scratch)
        for clip in self._clips:
            image = clip.frames[0]
            painter.drawImage(self.image_rect(image.width(), image.height()), image)
        painter.end()

    def _grey(self) -> None:
        self._blank()
        self._grey_started = time.perf_counter()
        self._grey_timer.start(int(self.plan.grey_seconds * 1000))

    def _play_when_ready(self) -> None:
        """Play once the grey time is over and every frame is in memory, whichever comes last."""
        if self.state == "grey" and self._clips and not self._grey_timer.isActive():
            self._play()

    def _play(self) -> None:
        self.state = "play"
        clip = self._clips[self._clip_no]
        self._images = clip.frames
        self._period = 1.0 / clip.fps
        self._frame_no = 0
        grey_due = self._grey_started + self.plan.grey_seconds
        gc.disable()                       # a full collection can take longer than a frame
        self.repaint()
        self._due = time.perf_counter()    # frame 0 is on screen: the clock starts
        self._shown_at = [self._due]
        self._shown = {"frames_in_memory": len(clip.frames),
                       "decoded_lead_ms": round(1000.0 * (self._due - self._decoded_at), 3),
                       "grey_ms": round(1000.0 * (self._due - self._grey_started), 3),
                       "decode_wait_ms": round(1000.0 * max(0.0, self._ready_at - grey_due), 3)}
        self._due += self._period
        self._play_timer.start()

    def _next_frame(self) -> None:
        if time.perf_counter() < self._due - SPIN_S:
            return                               # not yet: the next tick is nearer
        while time.perf_counter() < self._due:   # under 2 ms
            pass
        if self._frame_no + 1 >= len(self._images):
            self._play_timer.stop()
            self._end_clip()                     # the last frame has had its period
            return
        self._frame_no += 1
        self.repaint()                           # painted and flushed now, so the log holds
        shown = time.perf_counter()
        self._shown_at.append(shown)
        if shown - self._due > self._period / 2:
            self._due = shown                    # late: go on from here, do not rush the next frame
        self._due += self._period

    def _end_clip(self) -> None:
        gc.enable()
        intervals = [b - a for a, b in zip(self._shown_at, self._shown_at[1:])]
        timing = ShownTiming.from_intervals(intervals, self._clips[self._clip_no].fps)
        self.timings.append(dataclasses.replace(timing, **self._shown))
        self._clip_no += 1
        if self._clip_no < len(self._clips):
            self._grey()
        else:
            self._ask()

    def _ask(self) -> None:
        self.state = "vote"
        self._images = []
        self._clips = []                   # shown: freed before the next trial is decoded
        self._selected = None
        self._show_message(TEXT["training"] + "\n" + TEXT["vote"] if self._training else TEXT["vote"])
        self._panel.show()
        self.setCursor(Qt.ArrowCursor)
        self._vote_started = time.perf_counter()
        if self.plan.vote_seconds and not self._training:
            self._vote_timer.start(int(self.plan.vote_seconds * 1000))
        self._prefetch_upcoming()          # decoded while the subject votes

    def _cast(self, value: float) -> None:
        if self.state != "vote":
            return
        self._vote_timer.stop()
        if not self._training:
            self.session.vote(self._trial, value, self.timings, time.perf_counter() - self._vote_started)
        self._after_vote()

    def _time_out(self) -> None:
        if self.state == "vote":
            self.session.time_out(self._trial, self.timings)
            self._after_vote()

    def _after_vote(self) -> None:
        self._panel.hide()
        if not self._training and self.session.pause_due():
            self.state = "pause"
            self._show_message(TEXT["pause"])
            return
        self._advance()

    def _show_message(self, text: str) -> None:
        self._message.setText(text)
        self._message.show()
        self.update()

    # --- input ---
    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key_Escape:
            self.close()
            return
        if self.state in ("intro", "pause") and key in (Qt.Key_Space, Qt.Key_Return, Qt.Key_Enter):
            self._advance()
            return
        if self.state != "vote":
            return
        if self.slider is not None:
            step = max(1, (self.slider.maximum() - self.slider.minimum()) // 20)
            if key in (Qt.Key_Left, Qt.Key_Down):
                self.slider.setValue(self.slider.value() - step)
            elif key in (Qt.Key_Right, Qt.Key_Up):
                self.slider.setValue(self.slider.value() + step)
            elif key in (Qt.Key_Return, Qt.Key_Enter):
                self._cast(float(self.slider.value()))
            return
        text = event.text()
        for value in self.vote_buttons:
            if text and self.key_for(value) == text:
                self._cast(value)
                return
        values = self.plan.scale.values
        if key in (Qt.Key_Up, Qt.Key_Down):
            k = values.index(self._selected) if self._selected in values else -1
            k = max(0, k - 1) if key == Qt.Key_Up else min(len(values) - 1, k + 1)
            self._select(values[k])
        elif key in (Qt.Key_Return, Qt.Key_Enter) and self._selected is not None:
            self._cast(self._selected)

    def _select(self, value: int) -> None:
        self._selected = value
        for v, button in self.vote_buttons.items():
            button.setStyleSheet("font-weight: bold; border: 3px solid black;" if v == value else "")

    def mousePressEvent(self, event) -> None:
        if self.state in ("intro", "pause"):
            self._advance()

    def closeEvent(self, event) -> None:
        """Esc or the inspector closing: playback stops (and the collector runs again)."""
        self._play_timer.stop()
        self._vote_timer.stop()
        self._grey_timer.stop()
        self._prefetch.close()             # stops at its next frame
        self._prepared = None
        if self.state == "play":
            gc.enable()
        self.state = "closed"
        super().closeEvent(event)

    # --- painting ---
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), MID_GREY)
        if self.state == "play" and self._images:
            image = self._images[self._frame_no]
            painter.drawImage(self.image_rect(image.width(), image.height()), image)
        painter.end()

    def image_rect(self, width: int, height: int) -> QRect:
        """Where a frame goes: centred, at 1:1 or scaled to fit (aspect kept), as the plan says."""
        area = self.rect()
        if self.plan.display == "fit":
            scale = min(area.width() / width, area.height() / height)
            width, height = round(width * scale), round(height * scale)
        return QRect(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2, width, height)


def run_lab(session: Session, screen: int = 0, windowed: bool = False) -> int:
    """Open the runner full screen on display ``screen`` and run until done or Esc."""
    app = QApplication.instance() or QApplication(["vqinspect"])
    runner = LabRunner(session)
    screens = QGuiApplication.screens()
    target = screens[screen] if 0 <= screen < len(screens) else QGuiApplication.primaryScreen()
    runner.setGeometry(target.geometry())
    runner.setWindowFlag(Qt.FramelessWindowHint, not windowed)
    if windowed:
        runner.resize(1280, 720)
        runner.show()
    else:
        runner.showFullScreen()
    runner.start()
    app.exec()
    print(f"{session.path}: {session.done} of {session.total} trials voted"
          + ("" if session.complete else " (resume with --resume)"))
    return 0
