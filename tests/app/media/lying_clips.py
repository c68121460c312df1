"""Real files that lie or are damaged, made with the ffmpeg binary imageio-ffmpeg carries: rotated,
interlaced, dropped frames, other aspect ratios, forged headers, cut files."""
from __future__ import annotations

import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np

SIZE = (176, 144)
SOURCE = ["-f", "lavfi", "-i", f"testsrc2=size={SIZE[0]}x{SIZE[1]}:rate=25"]


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *args], check=True,
                   stdin=subprocess.DEVNULL)


def frames_of(path: Path, width: int, height: int, *filters: str, pix_fmt: str = "yuv420p") -> np.ndarray:
    """Every frame as ffmpeg decodes it (autorotation on, ``filters`` after), luma only:
    (frames, height, width)."""
    vf = ["-vf", ",".join(filters)] if filters else []
    out = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), *vf, "-f", "rawvideo",
                          "-pix_fmt", pix_fmt, "-"], check=True, capture_output=True, stdin=subprocess.DEVNULL).stdout
    frame = width * height * 3 // 2
    data = np.frombuffer(out, np.uint8)
    return np.stack([data[k:k + width * height].reshape(height, width) for k in range(0, len(data), frame)])


def interlaced_h264(path: Path, frames: int = 8) -> Path:
    """A top-field-first interlaced H.264 clip (x264's interlaced mode, field order tagged)."""
    ffmpeg(*SOURCE, "-frames:v", str(frames), "-vf", "setfield=tff", "-c:v", "libx264",
           "-flags", "+ildct+ilme", "-x264opts", "tff=1", "-pix_fmt", "yuv420p", str(path))
    return path


def h264(path: Path, frames: int = 10, *extra: str, size: tuple[int, int] = SIZE) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size[0]}x{size[1]}:rate=25", "-frames:v", str(frames),
           "-c:v", "libx264", "-crf", "18", "-pix_fmt", "yuv420p", *extra, str(path))
    return path
