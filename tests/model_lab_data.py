"""A small real training dataset for the model lab, made from the test footage.

Four contents (Big Buck Bunny from frames 0 and 70, bikes from frames 0 and 120), each a
176x144 lossless reference of 6 frames and five H.264 encodes: three at full size
(CRF 20, 32, 44) and two at 88x72 (CRF 26, 38), scored against the reference after upscaling.

THE LABELS ARE NOT HUMAN OPINIONS. They are derived openly: the "true" quality of a stimulus
is libvmaf's vmaf_v0.6.1 pooled mean (ffmpeg's libvmaf, imageio-ffmpeg) plus a per-stimulus
offset drawn from N(0, 4²), and each of 12 simulated observers votes that plus N(0, 8²)
(numpy RandomState(20240), rounded to 0.1, clipped to [0, 100]). The dataset is written in
SUREAL's ``.py`` layout with those votes as ``os``, so the lab computes MOS and its 95 %
interval from them. Everything is cached in ``tests/_clips/model_lab_v1``.
"""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path

import numpy as np

from tests.clips import CLIP_DIR, clip, lossless
from tests.oracle import libvmaf_frames

FOLDER = CLIP_DIR / "model_lab_v1"
SIZE, LOW, FRAMES = (176, 144), (88, 72), 6
CONTENTS = {"bbb": ("bigbuckbunny.mp4", 0), "bbb70": ("bigbuckbunny.mp4", 70), "bikes": ("bikes.mp4", 0),
            "bikes120": ("bikes.mp4", 120)}
ENCODES = {"crf20": (20, None), "crf32": (32, None), "crf44": (44, None), "low_crf26": (26, LOW),
           "low_crf38": (38, LOW)}
OBSERVERS, SEED = 12, 20240
FEATURES = "adm2,motion2,vif_scale0,vif_scale1,vif_scale2,vif_scale3"


def stimuli() -> list[dict]:
    """name, content, reference, distorted and whether it is full size, for every stimulus."""
    out = []
    for content, (source, start) in CONTENTS.items():
        ref = lossless(source, frames=FRAMES, size=SIZE, start_frame=start)
        for encode, (crf, size) in ENCODES.items():
            dist = clip(source, "libx264", crf=crf, frames=FRAMES, size=size or SIZE, start_frame=start)
            out.append({"name": f"{content}_{encode}", "content": content, "reference": str(ref),
                        "distorted": str(dist), "full_size": size is None})
    return out


def _libvmaf_mean(s: dict) -> float:
    scale = f"scale={SIZE[0]}:{SIZE[1]}:flags=bicubic" if not s["full_size"] else ""
    frames = libvmaf_frames(Path(s["reference"]), Path(s["distorted"]), features=(), extra_filter=scale)
    return float(np.mean([f["vmaf"] for f in frames]))


@functools.lru_cache(maxsize=None)
def dataset_path() -> Path:
    """The SUREAL ``.py`` dataset (made once, then read from the cache)."""
    path = FOLDER / "dataset.py"
    if path.exists():
        return path
    FOLDER.mkdir(parents=True, exist_ok=True)
    items = stimuli()
    rng = np.random.RandomState(SEED)
    true = np.array([_libvmaf_mean(s) for s in items]) + rng.normal(0.0, 4.0, len(items))
    votes = np.clip(np.round(true[:, None] + rng.normal(0.0, 8.0, (len(items), OBSERVERS)), 1), 0.0, 100.0)
    names = list(CONTENTS)
    refs = [{"content_id": k, "content_name": c, "path": next(s["reference"] for s in items if s["content"] == c)}
            for k, c in enumerate(names)]
    dis = [{"content_id": names.index(s["content"]), "asset_id": i, "path": s["distorted"],
            "os": [float(v) for v in votes[i]]} for i, s in enumerate(items)]
    text = ("# Model-lab test dataset: labels derived from libvmaf vmaf_v0.6.1 plus seeded noise, NOT human votes.\n"
            f"dataset_name = 'vqinspect_model_lab_synthetic'\nref_videos = {json.dumps(refs)}\n"
            f"dis_videos = {json.dumps(dis)}\n")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


@functools.lru_cache(maxsize=None)
def feature_table() -> Path:
    """The dataset's feature table (vmaf and psnr keys), made with ``vqinspect lab features`` once."""
    out = FOLDER / "features.csv"
    if out.exists() and (FOLDER / "features.frames.csv").exists():
        return out
    from vqinspect.__main__ import main

    status = main(["lab", "features", str(dataset_path()), "--out", str(out), "--metrics", "vmaf,psnr",
                   "--workers", "2", "--quiet"])
    if status != 0:
        raise RuntimeError(f"lab features failed with status {status}")
    return out


if __name__ == "__main__":          # python -m tests.model_lab_data: make and print the material
    os.environ.setdefault("SVT_LOG", "1")
    print(dataset_path())
    print(feature_table())
    sys.exit(0)
