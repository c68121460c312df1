"""Text people type and read: frame rates and sizes on the command line, aligned terminal tables.

Numbers are formatted by the registry (``format_value``, ``key_info(key).format``)."""
from __future__ import annotations

from fractions import Fraction

from vqinspect.app.shared.errors import InputError

def parse_fps(text: str | None, flag: str = "--fps") -> Fraction | None:
    """``25``, ``29.97`` or ``30000/1001`` as a positive Fraction (None for no text)."""
    if text is None or str(text).strip() == "":
        return None
    try:
        fps = Fraction(str(text).strip()).limit_denominator(100000)
    except (ValueError, ZeroDivisionError):
        raise InputError(None, f"{flag} wants a number like 25 or 30000/1001, got {text!r}") from None
    if fps <= 0:
        raise InputError(None, f"{flag} must be positive")
    return fps


def parse_size(text: str, flag: str = "--size") -> tuple[int, int]:
    """``WxH`` as two positive integers."""
    try:
        w, h = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise InputError(None, f"{flag} wants WxH like 1920x1080, got {text!r}") from None
    if w <= 0 or h <= 0:
        raise InputError(None, f"{flag} must be positive, got {text!r}")
    return w, h


def aligned_columns(rows: list[list[str]]) -> list[str]:
    """Rows of cells as terminal lines: the first column left-aligned, the others right."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
            for r in rows]


def clip_fps(info: dict) -> Fraction:
    """A clip's frame rate from its probe dict (the JSON's ``reference``), 25 when unknown."""
    text = info.get("fps_rational")
    try:
        return Fraction(text) if text else Fraction(info.get("fps") or 25).limit_denominator(100000)
    except (ValueError, ZeroDivisionError, TypeError):
        return Fraction(25)
