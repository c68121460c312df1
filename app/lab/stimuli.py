"""Stimuli decoded into memory before they are shown, so that playback never waits on a decoder,
and the presentation record that proves it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from vqinspect.app.display.screen import color_spec, to_rgb
from vqinspect.app.lab.session import PresentationTiming
from vqinspect.app.media.source import open_media
from vqinspect.app.shared.errors import InputError


class DecodeCancelled(Exception):
    """The stimulus is no longer wanted (the runner moved on or closed)."""


@dataclass
class DecodedClip:
    """Every frame of a stimulus, in showing order, and its frame rate. A frame is display RGB
    (H x W x 3 uint8) unless the decoder was given ``convert`` (the runner keeps screen images)."""

    frames: list
    fps: float


def decode_stimulus(path: str | Path, frames: list[int] | None = None,
                    convert: Callable[[np.ndarray], object] | None = None,
                    cancelled: Callable[[], bool] | None = None) -> DecodedClip:
    """Decode ``frames`` = [start, end) of ``path`` (all frames by default) into memory.

    Each frame goes through ``convert`` as soon as it is decoded, so that only one RGB frame at a
    time exists beside the converted ones; ``cancelled()`` is asked before every frame and a True
    raises DecodeCancelled."""
    source = open_media(path)
    spec = color_spec(source.info, source.layout)
    start, stop = (frames[0], min(frames[1], source.info.frame_count)) if frames else (0, source.info.frame_count)
    reader = source.reader()
    kept = []
    try:
        for _, planes in reader.frames(start, stop):
            if cancelled is not None and cancelled():
                raise DecodeCancelled(str(path))
            rgb = to_rgb(planes, spec)
            kept.append(convert(rgb) if convert is not None else rgb)
    finally:
        reader.close()
    if not kept:
        raise InputError(str(path), f"no frames to show in the range {start}..{stop}")
    return DecodedClip(kept, float(source.info.fps))


@dataclass
class ShownTiming(PresentationTiming):
    """A presentation's frame timing with how it was prepared: every frame was in memory
    (``frames_in_memory`` of them, ``decoded_lead_ms`` before frame 0 was shown), and the grey
    screen before it lasted ``grey_ms``, of which ``decode_wait_ms`` past the plan's grey time
    was spent waiting for the decoder."""

    frames_in_memory: int = 0
    decoded_lead_ms: float = 0.0
    grey_ms: float = 0.0
    decode_wait_ms: float = 0.0
