"""The fidelity oracle: libvmaf inside imageio-ffmpeg's ffmpeg, run on real files."""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import imageio_ffmpeg


def ffmpeg_exe() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def libvmaf_frames(ref: Path, dist: Path, features=("psnr", "float_ssim", "float_ms_ssim"),
                   model: str | None = "version=vmaf_v0.6.1", n_threads: int = 2,
                   extra_filter: str = "") -> list[dict]:
    """Per-frame metrics dicts from libvmaf's JSON log (index = frame number).

    ``features`` are libvmaf feature names (``psnr``, ``float_ssim``, ...);
    ``extra_filter`` is prepended to the distorted input (e.g. a scale filter).
    """
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "vmaf.json"
        opts = [f"log_path={log}", "log_fmt=json", f"n_threads={n_threads}"]
        if features:
            opts.append("feature=" + "|".join(f"name={f}" for f in features))
        if model:
            opts.append(f"model={model}")
        dist_chain = f"[0:v]{extra_filter + ',' if extra_filter else ''}null[d]"
        graph = f"{dist_chain};[d][1:v]libvmaf=" + ":".join(opts)
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-loglevel", "error",
               "-i", str(dist), "-i", str(ref), "-lavfi", graph, "-f", "null", "-"]
        subprocess.run(cmd, check=True, capture_output=True)
        data = json.loads(log.read_text())
    return [f["metrics"] for f in sorted(data["frames"], key=lambda f: f["frameNum"])]
