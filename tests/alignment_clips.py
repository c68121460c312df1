"""Misaligned pairs with a known truth: a lossless reference and an x264 encode at a low
bitrate with frames dropped, repeated, frozen or inserted, or with borders, a shift or a crop.

Clips are cached in ``tests/_clips`` like ``tests.clips``; each maker returns the paths and
the truth (pairs and events) the aligner must find.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import av
import numpy as np

from tests.clips import CLIP_DIR
from vqinspect.app.media.encode import encode_frames
from vqinspect.app.media.footage import footage_path

LOW_BITRATE = 150_000   # bits/s at 320 px wide and 25 fps: visibly blocky


@dataclass(frozen=True)
class Truth:
    pairs: list[tuple[int, int]]         # (reference frame, distorted frame)
    events: list[dict]                   # type, ref_frame, dist_frame, count (+ offset fields)


def footage_frames(name: str, first: int, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    """``count`` frames of the footage from ``first``, as yuv420p arrays (H*3/2, W)."""
    with av.open(str(footage_path(name))) as src:
        frames = islice(src.decode(video=0), first, first + count)
        return [f.reformat(width=size[0], height=size[1], format="yuv420p", interpolation="BICUBIC")
                .to_ndarray() for f in frames]


def write_pair(name: str, ref: list[np.ndarray], dist: list[np.ndarray],
               dist_options: dict | None = None) -> tuple[Path, Path]:
    """The reference losslessly (FFV1), the distorted with x264 at LOW_BITRATE (once)."""
    ref_path, dist_path = CLIP_DIR / f"align_{name}_ref.mkv", CLIP_DIR / f"align_{name}_dist.mp4"
    if not ref_path.exists():
        encode_frames(_video_frames(ref), ref_path, "ffv1")
    if not dist_path.exists():
        encode_frames(_video_frames(dist), dist_path, "libx264", bit_rate=LOW_BITRATE,
                      options={"preset": "fast", **(dist_options or {})})
    return ref_path, dist_path


def _video_frames(arrays):
    return (av.VideoFrame.from_ndarray(a, format="yuv420p") for a in arrays)


def edited_pair() -> tuple[Path, Path, Truth]:
    """60 frames of moving footage (bikes, 320x136). The distorted starts 7 frames late
    (7 frames of other footage first), drops reference frames 18-19, repeats frame 36
    once, and freezes on frame 46 for 5 frames (47-50 replaced)."""
    ref = footage_frames("bikes.mp4", 0, 60, (320, 136))
    leader = footage_frames("bigbuckbunny.mp4", 30, 7, (320, 136))
    order = list(range(0, 18)) + list(range(20, 37)) + [36] + list(range(37, 47)) + [46] * 4 + list(range(51, 60))
    dist = leader + [ref[r] for r in order]
    truth_pairs, seen = [], set()
    for d, r in enumerate(order):
        if r not in seen:
            truth_pairs.append((r, d + 7))
            seen.add(r)
    events = [
        {"type": "dropped", "ref_frame": 18, "dist_frame": 7 + 18, "count": 2},
        {"type": "offset_change", "ref_frame": 20, "dist_frame": 25, "count": 1, "offset": 5, "previous_offset": 7},
        {"type": "repeated", "ref_frame": 36, "dist_frame": 7 + 35, "count": 1},
        {"type": "offset_change", "ref_frame": 37, "dist_frame": 7 + 36, "count": 1, "offset": 6, "previous_offset": 5},
        {"type": "repeated", "ref_frame": 46, "dist_frame": 7 + 46, "count": 4},
        {"type": "dropped", "ref_frame": 47, "dist_frame": 7 + 50, "count": 4, "frozen": True},
    ]
    ref_path, dist_path = write_pair("edited", ref, dist)
    return ref_path, dist_path, Truth(truth_pairs, events)


def late_start_pair() -> tuple[Path, Path, Truth]:
    """The distorted begins at reference frame 5 (its first frames are missing): offset -5."""
    ref = footage_frames("bikes.mp4", 100, 30, (192, 80))
    ref_path, dist_path = write_pair("late", ref, ref[5:])
    return ref_path, dist_path, Truth([(r, r - 5) for r in range(5, 30)], [])


def static_pair() -> tuple[Path, Path, Truth]:
    """A nearly still stretch of Big Buck Bunny (frames 70-101, under 0.3 levels of change
    per frame) with reference frames 16-17 dropped: where exactly is not in the pictures."""
    ref = footage_frames("bigbuckbunny.mp4", 70, 32, (320, 180))
    order = list(range(0, 16)) + list(range(18, 32))
    ref_path, dist_path = write_pair("static", ref, [ref[r] for r in order])
    pairs = [(r, d) for d, r in enumerate(order)]
    return ref_path, dist_path, Truth(pairs, [{"type": "dropped", "ref_frame": 16, "dist_frame": 16, "count": 2}])


def bars_pair() -> tuple[Path, Path]:
    """The distorted has 8-row black bars over the top and bottom of the picture."""
    ref = footage_frames("bikes.mp4", 0, 12, (320, 180))
    dist = [_with_bars(a, 180, 8) for a in ref]
    return write_pair("bars", ref, dist)


def shifted_pair(dx: int = 2, dy: int = 0) -> tuple[Path, Path]:
    """The distorted picture moved ``dx`` px right and ``dy`` down: distorted (x+dx, y+dy)
    shows reference (x, y). Both are cut from one larger frame, so no pixel is invented."""
    big = footage_frames("bikes.mp4", 0, 12, (328, 188))
    m = 4
    ref = [_cut(a, 188, m, m, 320, 180) for a in big]
    dist = [_cut(a, 188, m - dx, m - dy, 320, 180) for a in big]
    return write_pair(f"shift{dx}_{dy}", ref, dist)


def cropped_pair() -> tuple[Path, Path]:
    """The distorted is the reference's 256x144 window at (32, 18) scaled back to 320x180."""
    ref = footage_frames("bikes.mp4", 0, 12, (320, 180))
    dist = []
    for a in ref:
        frame = av.VideoFrame.from_ndarray(_cut(a, 180, 32, 18, 256, 144), format="yuv420p")
        dist.append(frame.reformat(width=320, height=180, interpolation="BICUBIC").to_ndarray())
    return write_pair("crop", ref, dist)


def _planes(a: np.ndarray, height: int):
    w = a.shape[1]
    y = a[:height]
    u = a[height:height + height // 4].reshape(height // 2, w // 2)
    v = a[height + height // 4:].reshape(height // 2, w // 2)
    return y, u, v


def _join(y, u, v) -> np.ndarray:
    h, w = y.shape
    return np.concatenate([y, u.reshape(h // 4, w), v.reshape(h // 4, w)])


def _with_bars(a: np.ndarray, height: int, bar: int) -> np.ndarray:
    y, u, v = (p.copy() for p in _planes(a, height))
    y[:bar], y[height - bar:] = 16, 16
    for c in (u, v):
        c[:bar // 2], c[(height - bar) // 2:] = 128, 128
    return _join(y, u, v)


def _cut(a: np.ndarray, height: int, x: int, y0: int, w: int, h: int) -> np.ndarray:
    """The window (x, y0, w, h) of a yuv420p array (x, y0, w, h even)."""
    y, u, v = _planes(a, height)
    return _join(np.ascontiguousarray(y[y0:y0 + h, x:x + w]),
                 np.ascontiguousarray(u[y0 // 2:(y0 + h) // 2, x // 2:(x + w) // 2]),
                 np.ascontiguousarray(v[y0 // 2:(y0 + h) // 2, x // 2:(x + w) // 2]))
