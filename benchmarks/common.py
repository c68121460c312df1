"""Shared pieces of the benchmarks: test media, timed subprocesses, ratio printing."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from vqinspect.app.media.encode import encode_frames
from vqinspect.app.media.footage import footage_path

ROOT = Path(__file__).resolve().parent.parent
MEDIA = Path(os.environ.get("VQINSPECT_BENCH_MEDIA", ROOT / "benchmarks" / "_media"))
VQINSPECT = [sys.executable, "-m", "vqinspect"]


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def hd_pair(frames: int = 264) -> tuple[Path, Path]:
    """A 1080p pair from Big Buck Bunny: x264 CRF 16 reference, x264 CRF 30 distorted.

    The 132-frame footage is played forwards then backwards to reach ``frames``.
    """
    ref = MEDIA / f"bbb1080_ref_{frames}.mp4"
    dist = MEDIA / f"bbb1080_dist_{frames}.mp4"
    if not (ref.exists() and dist.exists()):
        MEDIA.mkdir(parents=True, exist_ok=True)
        with av.open(str(footage_path())) as src:
            base = [f.reformat(width=1920, height=1080, format="yuv420p", interpolation="BICUBIC")
                    for f in src.decode(video=0)]
        loop = base + base[::-1]
        seq = [loop[i % len(loop)] for i in range(frames)]
        _encode(seq, ref, 16)
        _encode(seq, dist, 30)
    return ref, dist


def hdr_pair(frames: int = 100) -> tuple[Path, Path]:
    """A 1080p HDR10 pair: the footage graded to PQ / BT.2020 (``tests.hdr_clips``), x265
    ultrafast at CRF 16 (reference) and 30, tagged so that the PQ preview is on."""
    from tests.hdr_clips import HDR10_VUI, grade_to_pq, pq_frame

    ref, dist = MEDIA / f"hdr10_1080_ref_{frames}.mkv", MEDIA / f"hdr10_1080_dist_{frames}.mkv"
    if not (ref.exists() and dist.exists()):
        MEDIA.mkdir(parents=True, exist_ok=True)
        with av.open(str(footage_path())) as src:
            base = [grade_to_pq(f.to_ndarray(format="rgb24", width=1920, height=1080))
                    for _, f in zip(range(frames), src.decode(video=0))]
        seq = [pq_frame(base[i % len(base)]) for i in range(frames)]
        for path, crf in ((ref, 16), (dist, 30)):
            encode_frames(seq, path, "libx265", "yuv420p10le",
                          options={"x265-params": f"log-level=error:{HDR10_VUI}", "crf": str(crf),
                                   "preset": "ultrafast"})
    return ref, dist


def synthetic_clip(frames: int, size=(320, 180)) -> Path:
    """A long moving-noise clip (x264 ultrafast) for the memory check."""
    path = MEDIA / f"synthetic_{frames}_{size[0]}x{size[1]}.mp4"
    if path.exists():
        return path
    MEDIA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (size[1] * 2, size[0] * 2, 3), dtype=np.uint8)
    seq = []
    for i in range(frames):
        y, x = (i * 3) % size[1], (i * 5) % size[0]
        seq.append(av.VideoFrame.from_ndarray(np.ascontiguousarray(texture[y:y + size[1], x:x + size[0]]),
                                              format="rgb24").reformat(format="yuv420p"))
    _encode(seq, path, 23, preset="ultrafast")
    return path


def _encode(frames, path: Path, crf: int, preset: str = "medium") -> None:
    encode_frames(frames, path, "libx264", options={"crf": str(crf), "preset": preset})


@dataclass(frozen=True)
class Timed:
    wall: float      # seconds
    cpu: float       # user + system seconds of all its threads
    rss_kib: int     # peak resident memory


def run_timed(cmd: list[str], env: dict | None = None) -> Timed:
    """Wall and CPU seconds and peak RSS of one subprocess; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}): {err[-2000:]}")
    return Timed(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)



def report(label: str, ours_fps: float, anchor_fps: float, anchor: str) -> None:
    ratio = ours_fps / anchor_fps
    print(f"{label:<44} ours {ours_fps:7.1f} fps | {anchor} {anchor_fps:7.1f} fps | ratio {ratio:5.2f}x")
