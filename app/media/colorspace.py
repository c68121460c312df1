"""Names for FFmpeg's colour metadata codes (AVColorSpace, AVColorPrimaries, ...), and the
HDR10 light level a frame's side data carries."""
from __future__ import annotations

import struct

MATRIX = {0: "rgb", 1: "bt709", 2: "unknown", 4: "fcc", 5: "bt470bg", 6: "smpte170m",
          7: "smpte240m", 8: "ycgco", 9: "bt2020nc", 10: "bt2020c", 11: "smpte2085",
          12: "chroma-derived-nc", 13: "chroma-derived-c", 14: "ictcp"}
PRIMARIES = {1: "bt709", 2: "unknown", 4: "bt470m", 5: "bt470bg", 6: "smpte170m",
             7: "smpte240m", 8: "film", 9: "bt2020", 10: "smpte428", 11: "smpte431",
             12: "smpte432", 22: "ebu3213"}
TRANSFER = {1: "bt709", 2: "unknown", 4: "gamma22", 5: "gamma28", 6: "smpte170m",
            7: "smpte240m", 8: "linear", 9: "log100", 10: "log316", 11: "iec61966-2-4",
            12: "bt1361e", 13: "iec61966-2-1", 14: "bt2020-10", 15: "bt2020-12",
            16: "smpte2084", 17: "smpte428", 18: "arib-std-b67"}
RANGE = {0: "unknown", 1: "tv", 2: "pc"}


def name(table: dict[int, str], code: int | None) -> str:
    """The FFmpeg name of ``code`` in ``table`` ('unknown' when unset or new)."""
    if code is None:
        return "unknown"
    return table.get(int(code), "unknown")


def peak_luminance(frame) -> float | None:
    """The HDR10 peak in nits of a decoded frame's side data, as ffmpeg's tonemap filter
    reads it: MaxCLL, else the mastering display's maximum luminance; None without either.

    AVContentLightMetadata is two unsigned ints (MaxCLL, MaxFALL); AVMasteringDisplayMetadata
    is ten AVRationals (primaries, white point, min and max luminance), then has_primaries
    and has_luminance.
    """
    try:
        found = {sd.type.name: bytes(sd) for sd in frame.side_data}
    except ValueError:  # a side data type this PyAV has no name for (a damaged stream)
        return None
    light = found.get("CONTENT_LIGHT_LEVEL", b"")
    if len(light) >= 8 and struct.unpack_from("<I", light)[0] > 0:
        return float(struct.unpack_from("<I", light)[0])
    mastering = found.get("MASTERING_DISPLAY_METADATA", b"")
    if len(mastering) >= 88:
        num, den = struct.unpack_from("<ii", mastering, 72)
        has_luminance = struct.unpack_from("<i", mastering, 84)[0]
        if has_luminance and num > 0 and den > 0:
            return num / den
    return None
