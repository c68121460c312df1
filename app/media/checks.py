"""Checks on what a file claims before trusting it: a frame size its packets cannot hold (a
forged or corrupt parameter set would make the decoder allocate gigabytes for concealed
garbage), timestamps with gaps or repeats, damaged headers."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from vqinspect.app.shared.errors import MediaError

FRAME_BYTES_LIMIT = 256 * 2**20
"""No decoded frame may be larger than this (half the default frame cache's budget): 8K 4:4:4
at 16 bits is 199 MB, a forged 16000x16000 is 384 MB and the decoder would hold several."""
LARGE_FRAME_BYTES = 16 * 2**20
"""Frames above this (4K 4:2:0 is 12 MB, 8K 50 MB) are checked before they are decoded."""
MIN_BITS_PER_MACROBLOCK = 0.2
"""Less than a real H.264/MPEG intra picture spends per 16x16 macroblock: its type, prediction
modes, coded pattern, QP delta and end-of-slice decisions are about ten CABAC decisions, each at
least 0.027 bits (the most skewed state), so 0.27 bits. An 8K all-black x264 keyframe spends
0.4 bits a macroblock; an SPS forged to claim 8192x8192 over a 176x144 picture 0.1, to claim
16000x16000 0.03."""
MACROBLOCK_CODECS = ("h264", "mpeg2video", "mpeg1video", "mpeg4", "h263")
PACKETS_CHECKED = 8
GAP_FACTOR = 1.5       # a step this many nominal frame durations long is a gap


def frame_bytes(width: int, height: int, samples_per_pixel: float = 1.5, bytes_per_sample: int = 1) -> int:
    return int(width * height * samples_per_pixel * bytes_per_sample)


def check_claimed_size(path: Path, container, stream) -> None:
    """MediaError when the stream claims a frame size that it cannot be, found before the
    picture is decoded at that size, so a 10 kB file never allocates gigabytes: a frame over
    FRAME_BYTES_LIMIT, packets far too small for the macroblocks claimed, or a first picture
    that FFmpeg finds corrupt when told to stop at the first error (a real large clip decodes
    cleanly; concealment would hide the lie). ``container`` is opened with nothing decoded."""
    cc = stream.codec_context
    width, height = int(cc.width or 0), int(cc.height or 0)
    if width <= 0 or height <= 0 or cc.name in ("rawvideo", "v210", "v410", "yuv4"):
        return
    depth = 2 if cc.format is not None and any(c.bits > 8 for c in cc.format.components) else 1
    size = frame_bytes(width, height, 1.5, depth)
    if size > FRAME_BYTES_LIMIT:
        raise MediaError(path, f"claims a {width}x{height} picture, {size / 2**20:.0f} MB a frame: more than "
                               f"vqinspect holds ({FRAME_BYTES_LIMIT // 2**20} MB); the header is corrupt or the "
                               "clip must be cropped first")
    if size < LARGE_FRAME_BYTES:
        return
    largest = 0
    try:
        for i, packet in enumerate(container.demux(stream)):
            largest = max(largest, packet.size)
            if i + 1 >= PACKETS_CHECKED:
                break
    except Exception:  # a broken packet is the decoder's business; only sizes are checked here
        pass
    blocks = (width / 16) * (height / 16)
    forged = (f"claims a {width}x{height} picture but its largest packet is {largest} bytes "
              f"({largest * 8 / blocks:.3f} bits per 16x16 block)")
    if cc.name in MACROBLOCK_CODECS and largest * 8 < MIN_BITS_PER_MACROBLOCK * blocks:
        raise MediaError(path, f"{forged}, far too little for that size: the stream's header (parameter set) "
                               "is corrupt or forged")
    problem = _first_picture_problem(path)
    if problem:
        raise MediaError(path, f"{forged}, and {problem}: the stream's header (parameter set) is corrupt or forged")


def _first_picture_problem(path: Path) -> str | None:
    """Why the first picture does not decode cleanly (one thread, stopping at the first
    bitstream error), or None."""
    import av

    try:
        with av.open(str(path), options={"skip_frame": "all"}) as container:
            stream = container.streams.video[0]
            stream.codec_context.options = {"err_detect": "explode"}
            stream.thread_count = 1
            for frame in container.decode(stream):
                return "its first picture is corrupt" if frame.is_corrupt else None
    except (av.error.FFmpegError, OSError) as exc:
        return f"its first picture does not decode at that size ({getattr(exc, 'strerror', None) or exc})"
    return None


def timestamp_report(pts: np.ndarray, time_base, duplicates: np.ndarray | None = None):
    """(gaps, duplicates, nominal step) of display-order timestamps: a gap is a step longer
    than GAP_FACTOR nominal frame durations, reported as (frame after it, frames missing,
    seconds); the nominal step is the median (None for fewer than three frames)."""
    dup = tuple(int(i) for i in duplicates) if duplicates is not None else ()
    if len(pts) < 3:
        return (), dup, None
    steps = np.diff(pts.astype(np.int64))
    nominal = float(np.median(steps))
    if nominal <= 0:
        return (), dup, None
    irregular = np.abs(steps - nominal) > 0.2 * nominal
    if irregular.mean() > 0.1:  # variable frame rate: no single frame duration to measure gaps by
        return (), dup, nominal
    gaps = tuple((int(i) + 1, int(round(steps[i] / nominal)) - 1, round(float(steps[i] * time_base), 4))
                 for i in np.flatnonzero(steps > GAP_FACTOR * nominal))
    return gaps, dup, nominal


def y4m_size_problem(path: Path) -> str | None:
    """What is wrong with a YUV4MPEG2 header's frame size, or None (not y4m, or fine)."""
    try:
        with open(path, "rb") as f:
            head = f.read(256)
    except OSError:
        return None
    if not head.startswith(b"YUV4MPEG2"):
        return None
    fields = {t[:1]: t[1:] for t in head.split(b"\n", 1)[0].split(b" ")[1:] if t}
    try:
        width, height = int(fields.get(b"W", b"0")), int(fields.get(b"H", b"0"))
    except ValueError:
        return "its YUV4MPEG2 header has an unreadable frame size"
    if width <= 0 or height <= 0:
        return f"its YUV4MPEG2 header gives an invalid frame size (W{width} H{height})"
    return None


def y4m_partial_frame(path: Path, frames: int, packet_bytes: int) -> str:
    """A note when a y4m file ends inside a frame (cut mid-frame), else ''."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            header = len(f.read(4096).split(b"\n", 1)[0]) + 1
    except OSError:
        return ""
    whole = header + frames * (len(b"FRAME\n") + packet_bytes)
    if size > whole:
        return (f"the file ends inside frame {frames} ({size - whole} bytes of it, not a whole frame): "
                "cut mid-frame")
    return ""


def mp4_header_problem(path: Path) -> str | None:
    """What is wrong with an ISO BMFF file's top-level boxes (a moov cut short, none at all),
    or None when they look whole or the file is not ISO BMFF."""
    try:
        data_size = path.stat().st_size
        with open(path, "rb") as f:
            pos, seen = 0, []
            while pos + 8 <= data_size:
                f.seek(pos)
                size, kind = struct.unpack(">I4s", f.read(8))
                if size == 1:
                    size = struct.unpack(">Q", f.read(8))[0]
                elif size == 0:
                    size = data_size - pos
                if not kind.isalnum() and kind not in (b"free", b"skip") or size < 8:
                    break
                seen.append(kind)
                if pos + size > data_size:
                    if kind == b"moov":
                        return (f"its moov box (the index of the samples) is cut: it needs {size} bytes but the "
                                f"file ends after {data_size - pos} (truncated before the header was written)")
                    break
                pos += size
    except OSError:
        return None
    if b"ftyp" in seen[:1] and b"moov" not in seen:
        return "has no moov box (the index of the samples): it was cut before its header was written"
    return None


def pair_warnings(ref, dist, offset: int, aligned: bool = False, deinterlaced: bool = False) -> list[str]:
    """One line per thing about two clips (ClipInfo) that makes frame-by-frame pairing
    doubtful: rotation applied, aspect ratios that differ, interlacing (unless both clips are
    ``deinterlaced``), timestamp gaps or repeats, frame counts the offset does not explain
    (these last three not when the pairs come from an automatic alignment, ``aligned``)."""
    from vqinspect.app.media.transform import is_interlaced

    lines = []
    for role, info in (("reference", ref), ("distorted", dist)):
        if info.rotation:
            lines.append(f"{role} {Path(info.path).name} is rotated {info.rotation}° for display (stored "
                         f"{info.stored_size or f'{info.width}x{info.height}'}): its frames are turned upright "
                         f"({info.width}x{info.height}) before pairing")
    aspects = [_shown_aspect(info) for info in (ref, dist)]
    if abs(aspects[0] - aspects[1]) > 0.01 * aspects[0]:
        lines.append(f"aspect ratios differ: reference {aspects[0]:.3f}:1 ({ref.width}x{ref.height}, SAR "
                     f"{ref.sample_aspect_ratio}), distorted {aspects[1]:.3f}:1 ({dist.width}x{dist.height}, SAR "
                     f"{dist.sample_aspect_ratio}): the distorted picture is stretched to the reference's shape")
    for role, info in (("reference", ref), ("distorted", dist)):
        if is_interlaced(info.field_order) and not deinterlaced:
            lines.append(f"{role} {Path(info.path).name} is interlaced ({info.field_order}): scored as progressive "
                         "frames unless deinterlaced (--deinterlace; in the window: Scoring > Deinterlace Both "
                         "Clips)")
    if aligned:
        return lines
    for role, info in (("reference", ref), ("distorted", dist)):
        gaps, dups = info.timestamp_gaps, info.duplicate_timestamps
        if gaps:
            frame, missing, seconds = gaps[0]
            more = f" (and {len(gaps) - 1} more gaps)" if len(gaps) > 1 else ""
            lines.append(f"{role} {Path(info.path).name}: timestamps jump by {seconds * 1000:.0f} ms before frame "
                         f"{frame} (about {missing} frame{'s' if missing != 1 else ''} missing){more}: frames from "
                         f"{frame} on pair with the wrong frames of the other clip; try --align auto")
        if dups:
            lines.append(f"{role} {Path(info.path).name}: {len(dups)} repeated timestamp(s), first after frame "
                         f"{dups[0]} (the repeats are not shown or scored); try --align auto")
    expected = ref.frame_count + offset
    if not ref.timestamp_gaps and not dist.timestamp_gaps and dist.frame_count != expected:
        diff = dist.frame_count - expected
        lines.append(f"frame counts differ by more than the offset explains: reference {ref.frame_count}, distorted "
                     f"{dist.frame_count}, offset {offset} ({abs(diff)} frame{'s' if abs(diff) != 1 else ''} "
                     f"{'extra' if diff > 0 else 'missing'} somewhere in the distorted); frames after a dropped or "
                     "repeated one pair wrongly: try --align auto")
    return lines


def _shown_aspect(info) -> float:
    """Width over height as a viewer sees the clip: the sample aspect ratio stretches the
    stored picture, so after a quarter turn it divides instead of multiplying."""
    from vqinspect.app.media.transform import display_aspect

    if info.rotation in (90, 270):  # stored as height x width
        return 1.0 / display_aspect(info.height, info.width, info.sample_aspect_ratio)
    return display_aspect(info.width, info.height, info.sample_aspect_ratio)
