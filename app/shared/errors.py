"""Errors the user can act on: the CLI prints them as one line and exits with status 2."""
from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with what the user gave us, phrased for them: ``PATH: problem``."""

    def __init__(self, path: str | Path | None, problem: str):
        self.path = str(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class MediaError(InputError):
    """A file that cannot be opened, probed or decoded."""


class UnsupportedFormat(MediaError):
    """A pixel format (or stream kind) that vqinspect cannot score."""


class PairingError(InputError):
    """Two clips that cannot be compared as given (rates, overlap, sizes)."""


class StreamBroken(MediaError):
    """Decoding stopped part-way; frames before ``index`` are fine."""

    def __init__(self, path: str | Path, index: int, reason: str):
        self.index = index
        self.reason = reason
        super().__init__(path, f"decoding stopped at frame {index}: {reason}")
