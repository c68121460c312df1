"""A minimal observer for the Qt-free models: views connect callbacks, models emit."""
from __future__ import annotations

from typing import Callable


class Event:
    """A list of callbacks called in order with the emitted arguments (same thread)."""

    def __init__(self):
        self._callbacks: list[Callable] = []

    def connect(self, callback: Callable) -> None:
        self._callbacks.append(callback)

    def emit(self, *args) -> None:
        for callback in list(self._callbacks):
            callback(*args)
