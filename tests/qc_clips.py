"""Clips with known problem stretches: a lossless reference, and a distorted clip that is the
reference except where a real low-bitrate x264 encode of the same frames is spliced in."""
from __future__ import annotations

from pathlib import Path

from tests.clips import CLIP_DIR, clip, lossless

SIZE = (320, 180)


def spliced(name: str, bad: list[tuple[int, int]], frames: int = 40, source: str = "bigbuckbunny.mp4",
            start_frame: int = 0) -> tuple[Path, Path]:
    """(reference, distorted): frames in the ``bad`` ranges [a, b) come from an x264 CRF 45
    encode, every other frame is the lossless reference's (FFV1, so identical)."""
    import av

    from vqinspect.app.media.encode import encode_frames

    ref = lossless(source, frames=frames, size=SIZE, start_frame=start_frame)
    out = CLIP_DIR / f"spliced_{name}.mkv"
    if out.exists():
        return ref, out
    poor = clip(source, crf=45, frames=frames, size=SIZE, start_frame=start_frame)
    with av.open(str(ref)) as good, av.open(str(poor)) as worse:
        pairs = zip(good.decode(video=0), worse.decode(video=0))
        chosen = [(w if any(a <= i < b for a, b in bad) else g).reformat(format="yuv420p")
                  for i, (g, w) in enumerate(pairs)]
    encode_frames(chosen, out, "ffv1", "yuv420p")
    return ref, out


def cut_clip(frames_each: int = 20) -> tuple[Path, Path, int]:
    """(reference, distorted, cut): two shots of real footage back to back (Big Buck Bunny, then
    the bikes), the distorted one a CRF 45 encode; the second shot starts at frame ``cut``."""
    import av

    from vqinspect.app.media.encode import encode_frames

    ref = CLIP_DIR / f"two_shots_{frames_each}.mkv"
    if not ref.exists():
        shots = [lossless("bigbuckbunny.mp4", frames=frames_each, size=SIZE),
                 lossless("bikes.mp4", frames=frames_each, size=SIZE)]
        chosen = []
        for path in shots:
            with av.open(str(path)) as src:
                chosen += [f.reformat(format="yuv420p") for f in src.decode(video=0)]
        encode_frames(chosen, ref, "ffv1", "yuv420p")
    dist = CLIP_DIR / f"two_shots_{frames_each}_crf45.mp4"
    if not dist.exists():
        from vqinspect.app.media.encode import encode_video

        encode_video(ref, dist, "libx264", "yuv420p", crf=45)
    return ref, dist, frames_each
