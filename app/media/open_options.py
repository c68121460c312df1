"""How to open inputs that carry no header: raw video size and pixel format, and the frame rate
of raw video and image sequences. One normal form serves the command line, the window, the
score cache key and workspaces."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from vqinspect.app.media.source import RAW_EXTENSIONS, RawSpec
from vqinspect.app.shared.errors import InputError
from vqinspect.app.shared.text import parse_fps, parse_size


def open_options(paths, size: str | None, pix_fmt: str | None, fps: str | None) -> dict:
    """``open_media`` keyword arguments (``raw``, ``fps``) from the text of the input options.

    ``raw`` is built only when one of ``paths`` is headerless raw video, which then needs both
    ``size`` and ``pix_fmt``."""
    rate = parse_fps(fps)
    raw_paths = [str(p) for p in paths if p and Path(p).suffix.lower() in RAW_EXTENSIONS]
    if not raw_paths:
        return {"raw": None, "fps": rate}
    if not size or not pix_fmt:
        raise InputError(raw_paths[0], "raw YUV has no header: give --size WxH and --pix-fmt FMT (and --fps F)")
    width, height = parse_size(size)
    return {"raw": RawSpec(width, height, pix_fmt, rate or Fraction(25)), "fps": rate}


def plain_options(options: dict) -> dict:
    """``open_options`` as plain JSON, the same whatever way the rate was typed:
    ``{"size": "WxH", "pix_fmt": ..., "fps": "2997/100"}``, None where not given. The score
    cache keys and workspaces use this form."""
    raw, fps = options.get("raw"), options.get("fps")
    return {"size": f"{raw.width}x{raw.height}" if raw else None, "pix_fmt": raw.pix_fmt if raw else None,
            "fps": str(Fraction(fps)) if fps else None}


def options_from_plain(plain: dict) -> dict:
    """``plain_options`` back into ``open_media`` keyword arguments; InputError if damaged."""
    size, pix_fmt = plain.get("size"), plain.get("pix_fmt")
    try:
        fps = parse_fps(plain.get("fps"))
        raw = None
        if size and pix_fmt:
            width, height = parse_size(size)
            raw = RawSpec(width, height, str(pix_fmt), fps or Fraction(25))
    except InputError:
        raise InputError(None, f"unreadable raw video settings {plain!r}") from None
    return {"raw": raw, "fps": fps}
