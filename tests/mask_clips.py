"""Test material for the mask mode: a textured silhouette moving over real footage.

The source clip pastes a person-like silhouette, textured with Big Buck Bunny, along a
path over the bikes footage, so the pasted region is the exact ground truth. Predictions
are that ground truth corrupted on known frames (a shift, an erosion, a dropout, an empty
frame), so tests can check that the flicker measures rise exactly there. Variants: binary
gray PNGs, a lossless gray video, 16-bit alpha PNGs and RGBA PNGs (the matte in the alpha
channel), and palette PNGs with two object ids. Written once into ``tests/_clips``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np

from vqinspect.app.media.encode import encode_frames
from vqinspect.app.media.footage import footage_path
from tests.clips import CLIP_DIR

SIZE = (320, 180)          # width, height
FRAMES = 24
VERSION = 2                # bump when the material changes
SHIFT, ERODE, DROPOUT, EMPTY = 6, 11, 16, 20
CORRUPTED = (SHIFT, ERODE, DROPOUT, EMPTY)
SHIFT_PX = 8               # downwards, across the mostly horizontal motion
ERODE_PX = 4
SECOND_ID_SHIFT = 9        # label variant: object 2 shifted on this frame only


@dataclass
class MaskClip:
    """Paths of one built clip family and the arrays they were written from."""

    folder: Path
    source: Path                      # lossless video the silhouettes move in
    gt: np.ndarray                    # (frames, h, w) bool, exact ground truth
    pred: np.ndarray                  # (frames, h, w) bool, corrupted on CORRUPTED
    gt_alpha: np.ndarray              # (frames, h, w) float32 in [0, 1]
    pred_alpha: np.ndarray
    gt_labels: np.ndarray             # (frames, h, w) uint8 ids 0, 1, 2
    pred_labels: np.ndarray
    dropout_box: tuple[int, int, int, int] = (0, 0, 0, 0)   # y0, y1, x0, x1 on frame DROPOUT
    paths: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Path:
        return self.paths[name]


def silhouette(h: int, w: int, cx: int, cy: int) -> np.ndarray:
    """A person-like shape (head, body, arms, legs) centred near (cx, cy): bool h x w."""
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (cx, cy - 38), (10, 12), 0, 0, 360, 1, -1)                    # head
    cv2.rectangle(m, (cx - 14, cy - 24), (cx + 14, cy + 14), 1, -1)               # torso
    cv2.line(m, (cx - 14, cy - 20), (cx - 30, cy + 6), 1, 7)                      # arms
    cv2.line(m, (cx + 14, cy - 20), (cx + 28, cy + 4), 1, 7)
    cv2.line(m, (cx - 8, cy + 14), (cx - 14, cy + 46), 1, 9)                      # legs
    cv2.line(m, (cx + 8, cy + 14), (cx + 14, cy + 46), 1, 9)
    return m.astype(bool)


def ball(h: int, w: int, cx: int, cy: int) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    cv2.circle(m, (cx, cy), 16, 1, -1)
    return m.astype(bool)


def path(t: int) -> tuple[int, int]:
    """Silhouette centre on frame t: drifting right, bobbing up and down."""
    return 70 + 5 * t, 92 + round(6 * math.sin(t / 3))


def ball_path(t: int) -> tuple[int, int]:
    """Centre of the second object (label variant): high up, slower, never touching the first."""
    return 40 + 3 * t, 26


@lru_cache(maxsize=1)
def mask_clip() -> MaskClip:
    """Build (or reuse) the clip family; the arrays are rebuilt, the files written once."""
    w, h = SIZE
    background = _frames("bikes.mp4", FRAMES, SIZE)
    texture = _frames("bigbuckbunny.mp4", 1, (w * 2, h * 2), start=40)[0]
    gt = np.stack([silhouette(h, w, *path(t)) for t in range(FRAMES)])
    balls = np.stack([ball(h, w, *ball_path(t)) for t in range(FRAMES)])
    source = []
    for t in range(FRAMES):
        frame = background[t].copy()
        (cx, cy), (bx, by) = path(t), ball_path(t)
        moved = np.roll(texture, (cy - 92, cx - 70), axis=(0, 1))[:h, :w]   # texture rides along
        frame[gt[t]] = moved[gt[t]]
        frame[balls[t]] = np.roll(texture, (by, bx), axis=(0, 1))[:h, :w][balls[t]] // 2 + 60
        source.append(frame)
    pred, box = _corrupt(gt)
    gt_alpha = np.stack([_soften(m) for m in gt])
    pred_alpha = np.stack([_soften(m) for m in pred])
    gt_labels = np.where(balls, 2, np.where(gt, 1, 0)).astype(np.uint8)
    pred_balls = balls.copy()
    pred_balls[SECOND_ID_SHIFT] = np.roll(balls[SECOND_ID_SHIFT], 10, axis=1)
    pred_labels = np.where(pred_balls, 2, np.where(gt, 1, 0)).astype(np.uint8)
    folder = CLIP_DIR / f"masks_v{VERSION}_{w}x{h}_{FRAMES}"
    clip = MaskClip(folder, folder / "source.mkv", gt, pred, gt_alpha, pred_alpha, gt_labels,
                    pred_labels, box)
    clip.paths = _write(clip, source)
    return clip


def _frames(name: str, n: int, size: tuple[int, int], start: int = 0) -> list[np.ndarray]:
    out = []
    with av.open(str(footage_path(name))) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i < start:
                continue
            out.append(f.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray())
            if len(out) == n:
                break
    return out


def _corrupt(gt: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    pred = gt.copy()
    pred[SHIFT] = np.roll(gt[SHIFT], SHIFT_PX, axis=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ERODE_PX + 1, 2 * ERODE_PX + 1))
    pred[ERODE] = cv2.erode(gt[ERODE].astype(np.uint8), kernel).astype(bool)
    cx, cy = path(DROPOUT)
    box = (cy - 20, cy + 6, cx - 12, cx + 12)                 # a hole through the torso
    pred[DROPOUT, box[0]:box[1], box[2]:box[3]] = False
    pred[EMPTY] = False
    return pred, box


def _soften(mask: np.ndarray) -> np.ndarray:
    """A matte: the mask with edges blurred (sigma 1.2), interior exactly 1, far outside 0."""
    return np.clip(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.2), 0, 1)


def _write(clip: MaskClip, source: list[np.ndarray]) -> dict[str, Path]:
    folder = clip.folder
    paths = {
        "source": clip.source,
        "gt": folder / "gt" / "%04d.png",
        "pred": folder / "pred" / "%04d.png",
        "pred_video": folder / "pred.mkv",
        "gt_alpha": folder / "gt_alpha16" / "%04d.png",
        "pred_alpha": folder / "pred_rgba" / "%04d.png",
        "gt_labels": folder / "gt_labels" / "%04d.png",
        "pred_labels": folder / "pred_labels" / "%04d.png",
    }
    done = folder / "complete"
    if done.exists():
        return paths
    for sub in ("gt", "pred", "gt_alpha16", "pred_rgba", "gt_labels", "pred_labels"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _encode(source, clip.source, "rgb24", "yuv444p")
    _encode([m.astype(np.uint8) * 255 for m in clip.pred], paths["pred_video"], "gray", "gray")
    for t in range(FRAMES):
        name = f"{t:04d}.png"
        cv2.imwrite(str(folder / "gt" / name), clip.gt[t].astype(np.uint8) * 255)
        cv2.imwrite(str(folder / "pred" / name), clip.pred[t].astype(np.uint8) * 255)
        cv2.imwrite(str(folder / "gt_alpha16" / name), np.round(clip.gt_alpha[t] * 65535).astype(np.uint16))
        rgba = np.zeros(clip.gt[t].shape + (4,), np.uint8)
        rgba[..., :3] = 200
        rgba[..., 3] = np.round(clip.pred_alpha[t] * 255).astype(np.uint8)
        cv2.imwrite(str(folder / "pred_rgba" / name), rgba)
        write_palette_png(folder / "gt_labels" / name, clip.gt_labels[t])
        write_palette_png(folder / "pred_labels" / name, clip.pred_labels[t])
    done.touch()
    return paths


def write_palette_png(path: Path, labels: np.ndarray) -> None:
    """A DAVIS-style palette PNG: the pixel values are the object ids."""
    palette = np.zeros((256, 4), np.uint8)
    palette[:, 3] = 255
    palette[1, :3], palette[2, :3] = (128, 0, 0), (0, 128, 0)
    frame = av.VideoFrame.from_ndarray((np.ascontiguousarray(labels), palette), format="pal8")
    with av.open(str(path), "w", format="image2") as out:
        s = out.add_stream("png", rate=25)
        s.width, s.height, s.pix_fmt = labels.shape[1], labels.shape[0], "pal8"
        for p in s.encode(frame):
            out.mux(p)
        for p in s.encode():
            out.mux(p)


def _encode(frames: list[np.ndarray], dst: Path, in_fmt: str, pix_fmt: str) -> None:
    """Lossless FFV1 in Matroska."""
    encode_frames((av.VideoFrame.from_ndarray(np.ascontiguousarray(a), format=in_fmt) for a in frames),
                  dst, "ffv1", pix_fmt)
