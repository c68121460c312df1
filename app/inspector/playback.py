"""Playback timing: which frame is due now at the clip's rate, and how many were dropped.

Playback follows the wall clock, so when drawing falls behind, frames are skipped
(and counted) instead of the picture drifting later and later behind real time.
"""
from __future__ import annotations


class PlaybackClock:
    """Frames due at ``fps`` from a start frame and time; counts shown and skipped frames."""

    def __init__(self, fps: float):
        self.fps = float(fps)
        self.start_frame = 0
        self.start_time = 0.0
        self.last = 0
        self.shown = 0
        self.dropped = 0

    def start(self, frame: int, now: float) -> None:
        self.start_frame, self.start_time, self.last = frame, now, frame
        self.shown = self.dropped = 0

    def due(self, now: float) -> int:
        """The frame that should be on screen at ``now``."""
        return self.start_frame + int((now - self.start_time) * self.fps)

    def advance(self, now: float) -> int | None:
        """The next frame to show at ``now`` (None if the last one is still current);
        frames passed over count as dropped."""
        due = self.due(now)
        if due <= self.last:
            return None
        self.dropped += due - self.last - 1
        self.last = due
        self.shown += 1
        return due

    def rate(self) -> float:
        """Frames shown per second of clip time so far: the clip's rate when none dropped."""
        due = self.last - self.start_frame
        return self.fps * self.shown / due if due > 0 else 0.0
