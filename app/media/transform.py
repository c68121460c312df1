"""Display transforms a clip carries or a user asks for: rotation (display matrix), sample aspect
ratio, field order, deinterlacing. The picture filters are FFmpeg's (transpose, bwdif) and run in
the same filter graph as scaling (frames.FrameScaler)."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

BWDIF = ("bwdif", "mode=send_frame:parity=auto:deint=all")
"""One output frame per input frame (fields are not doubled), every frame deinterlaced."""

# AVFieldOrder: 0 unknown, 1 progressive, 2 top coded and shown first, 3 bottom/bottom,
# 4 top coded first shown second, 5 bottom coded first shown second
_FIELD_ORDER = {1: "progressive", 2: "tff", 3: "bff", 4: "bff", 5: "tff"}


@dataclass(frozen=True)
class Transform:
    """What a reader does to each decoded frame before scaling: deinterlace, then rotate."""

    rotation: int = 0          # degrees counter-clockwise, FFmpeg's display-matrix convention
    deinterlace: bool = False

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        """(filter, arguments) in the order they run."""
        out = [BWDIF] if self.deinterlace else []
        out += rotation_filters(self.rotation)
        return tuple(out)


def rotation_filters(rotation: int) -> list[tuple[str, str]]:
    """The FFmpeg filters that turn a picture stored with display rotation ``rotation``
    (counter-clockwise degrees) upright, as ffmpeg's autorotate does."""
    return {0: [], 90: [("transpose", "cclock")], 180: [("hflip", ""), ("vflip", "")],
            270: [("transpose", "clock")]}[rotation]


def normal_rotation(degrees: float | None) -> int:
    """A display-matrix angle as 0, 90, 180 or 270 (counter-clockwise); odd angles snap to the
    nearest quarter turn."""
    if degrees is None or degrees != degrees:
        return 0
    return int(round(degrees / 90.0)) % 4 * 90


def rotated_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if rotation in (90, 270) else (width, height)


def field_order(stream_order: int | None, frame_interlaced: bool) -> str:
    """tff, bff, progressive, or 'interlaced' (the frames say so but the field order is not
    known), from the stream's field order and the first frame's interlaced flag."""
    name = _FIELD_ORDER.get(int(stream_order or 0))
    if name in ("tff", "bff"):
        return name
    if frame_interlaced:
        return "interlaced"
    return "progressive"


def is_interlaced(order: str) -> bool:
    return order in ("tff", "bff", "interlaced")


def aspect_text(sar: Fraction | None) -> str:
    """``N:M`` of a sample aspect ratio, ``1:1`` when unset."""
    if not sar or sar <= 0:
        return "1:1"
    return f"{sar.numerator}:{sar.denominator}"


def display_aspect(width: int, height: int, sar: str) -> float:
    """Width over height of the picture as shown (sample aspect ratio applied)."""
    num, _, den = sar.partition(":")
    try:
        ratio = int(num) / int(den or 1)
    except (ValueError, ZeroDivisionError):
        ratio = 1.0
    return width * (ratio if ratio > 0 else 1.0) / max(height, 1)


def display_notes(info: dict) -> str:
    """What a probe (ClipInfo.as_dict) says about showing the clip, in words; '' for an upright,
    square-pixel, progressive clip with regular timestamps."""
    notes = []
    if info.get("rotation"):
        notes.append(f"rotated {info['rotation']}° for display (stored {info.get('stored_size') or '?'})")
    if info.get("sample_aspect_ratio", "1:1") != "1:1":
        notes.append(f"sample aspect ratio {info['sample_aspect_ratio']}")
    if is_interlaced(info.get("field_order", "progressive")):
        notes.append(f"interlaced ({info['field_order']})")
    gaps = info.get("timestamp_gaps") or []
    if gaps:
        notes.append(f"{len(gaps)} timestamp gap{'s' if len(gaps) > 1 else ''}, first before frame {gaps[0][0]}")
    if info.get("duplicate_timestamps"):
        notes.append(f"{len(info['duplicate_timestamps'])} repeated timestamp(s)")
    return "; ".join(notes)
