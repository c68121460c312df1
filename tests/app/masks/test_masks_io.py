"""Reading masks: which plane holds the mask and what its values mean, for every way masks
are saved (gray 8/16-bit, 0/1, RGBA and gray+alpha, RGB gray, palette ids, videos in full
and limited range), and the refusal of clips that are not masks."""
from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from vqinspect.app.shared.errors import InputError
from vqinspect.app.masks.reader import NotAMask, open_mask
from tests.mask_clips import FRAMES, mask_clip

H, W = 48, 64


def _masks(n: int = 4) -> list[np.ndarray]:
    out = []
    for t in range(n):
        m = np.zeros((H, W), np.uint8)
        cv2.circle(m, (20 + 5 * t, 24), 12, 1, -1)
        out.append(m)
    return out


def _write_seq(folder, images, writer=cv2.imwrite):
    folder.mkdir()
    for t, img in enumerate(images):
        writer(str(folder / f"m_{t:03d}.png"), img)
    return str(folder / "m_%03d.png")


def _write_png_av(path: str, array: np.ndarray, fmt: str) -> None:
    """One PNG of a packed format PyAV cannot build from numpy (e.g. ya8): bytes row by row."""
    frame = av.VideoFrame(array.shape[1], array.shape[0], fmt)
    flat = array.reshape(array.shape[0], -1)
    pad = frame.planes[0].line_size - flat.shape[1]
    frame.planes[0].update(np.pad(flat, ((0, 0), (0, pad))).tobytes())
    with av.open(path, "w", format="image2") as out:
        s = out.add_stream("png", rate=25)
        s.width, s.height, s.pix_fmt = array.shape[1], array.shape[0], fmt
        for p in s.encode(frame):
            out.mux(p)
        for p in s.encode():
            out.mux(p)


def _write_video(path, images, in_fmt, pix_fmt, codec="ffv1", options=None):
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=25)
        s.width, s.height, s.pix_fmt = images[0].shape[1], images[0].shape[0], pix_fmt
        s.options = options or {}
        for i, img in enumerate(images):
            f = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format=in_fmt).reformat(format=pix_fmt)
            f.pts, f.time_base = i, Fraction(1, 25)
            for p in s.encode(f):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return str(path)


def _read_all(source) -> list[np.ndarray]:
    with source.reader() as r:
        return [plane for _, plane in r.frames(0, source.info.frame_count)]


def test_gray_png_masks_are_binary_at_half_range(tmp_path):
    masks = _masks()
    src = open_mask(_write_seq(tmp_path / "g", [m * 255 for m in masks]))
    f = src.format
    assert (f.channel, f.kind, f.black, f.white, f.threshold) == ("gray", "binary", 0, 255, 128)
    for m, plane in zip(masks, _read_all(src)):
        assert np.array_equal(f.to_labels(plane), m)
    values = np.array([[0, 127, 128, 255]], np.uint8)
    assert f.to_labels(values).tolist() == [[0, 0, 1, 1]]


def test_zero_one_pngs_are_binary_with_white_at_one(tmp_path):
    masks = _masks()
    src = open_mask(_write_seq(tmp_path / "z", masks))
    assert (src.format.kind, src.format.white, src.format.threshold) == ("binary", 1, 1)
    assert np.array_equal(src.format.to_labels(_read_all(src)[2]), masks[2])


def test_sixteen_bit_alpha_and_rgba_alpha_are_mattes():
    c = mask_clip()
    gt = open_mask(c["gt_alpha"])
    assert (gt.format.channel, gt.format.kind, gt.format.bit_depth, gt.format.white) == ("gray", "alpha", 16, 65535)
    alpha = gt.format.to_alpha(_read_all(gt)[5])
    assert np.abs(alpha - c.gt_alpha[5]).max() <= 0.5 / 65535 + 1e-7
    pred = open_mask(c["pred_alpha"])
    assert (pred.format.channel, pred.format.kind, pred.format.white) == ("alpha", "alpha", 255)
    with pred.reader() as r:
        assert np.array_equal(r.frame(11), np.round(c.pred_alpha[11] * 255).astype(np.uint8))


def test_gray_plus_alpha_png_reads_the_alpha(tmp_path):
    folder = tmp_path / "ya"
    folder.mkdir()
    for t, m in enumerate(_masks()):
        ya = np.stack([np.full((H, W), 90, np.uint8), m * 255], -1)
        _write_png_av(str(folder / f"m_{t:03d}.png"), ya, "ya8")
    src = open_mask(str(folder / "m_%03d.png"))
    assert (src.info.pix_fmt, src.format.channel, src.format.kind) == ("ya8", "alpha", "binary")
    assert np.array_equal(src.format.to_labels(_read_all(src)[1]), _masks()[1])


def test_rgb_png_that_is_gray_reads_one_channel(tmp_path):
    masks = _masks()
    src = open_mask(_write_seq(tmp_path / "rgb", [np.dstack([m * 255] * 3) for m in masks]))
    assert (src.format.channel, src.format.kind) == ("rgb", "binary")
    assert np.array_equal(src.format.to_labels(_read_all(src)[3]), masks[3])


def test_palette_pngs_are_label_maps():
    c = mask_clip()
    src = open_mask(c["gt_labels"])
    assert (src.format.channel, src.format.kind) == ("palette", "labels")
    frames = _read_all(src)
    assert len(frames) == FRAMES and all(np.array_equal(f, g) for f, g in zip(frames, c.gt_labels))


def test_small_gray_ids_are_label_maps(tmp_path):
    masks = [m * (1 + t % 3) for t, m in enumerate(_masks(4))]
    masks[0][:5, :5] = 3
    src = open_mask(_write_seq(tmp_path / "ids", masks))
    assert src.format.kind == "labels"
    assert np.array_equal(src.format.to_labels(_read_all(src)[0]), masks[0])


def test_the_void_label_reads_as_background(tmp_path):
    """DAVIS-style void (255) in a palette label map and in a gray one: never an object id."""
    from vqinspect.app.masks.reader import VOID_LABEL
    from tests.mask_clips import write_palette_png

    c = mask_clip()
    with_void = [lab.copy() for lab in c.gt_labels[:3]]
    for lab in with_void:
        lab[:, :4] = VOID_LABEL                                   # a void band down the left edge
    (tmp_path / "pal").mkdir()
    for t, lab in enumerate(with_void):
        write_palette_png(tmp_path / "pal" / f"{t:04d}.png", lab)
    gray = open_mask(_write_seq(tmp_path / "gray", with_void))
    palette = open_mask(str(tmp_path / "pal" / "%04d.png"))
    for src in (palette, gray):
        assert src.format.kind == "labels"
        for plane, lab in zip(_read_all(src), with_void):
            assert np.array_equal(src.format.to_labels(plane), np.where(lab == VOID_LABEL, 0, lab))


def test_mask_videos_full_and_limited_range(tmp_path):
    c = mask_clip()
    video = open_mask(c["pred_video"])
    assert (video.format.channel, video.format.kind) == ("gray", "binary")
    assert all(np.array_equal(video.format.to_labels(p), m) for p, m in zip(_read_all(video), c.pred))
    masks = _masks()
    path = _write_video(tmp_path / "limited.mkv", [m * 255 for m in masks], "gray", "yuv420p")
    limited = open_mask(path)
    f = limited.format
    assert (f.channel, f.kind, f.black, f.white, f.threshold) == ("luma", "binary", 16, 235, 126)
    assert np.array_equal(f.to_labels(_read_all(limited)[2]), masks[2])


def test_kind_can_be_forced(tmp_path):
    masks = _masks()
    path = _write_seq(tmp_path / "g", [m * 255 for m in masks])
    assert open_mask(path, "alpha").format.kind == "alpha"
    assert open_mask(path, "labels").format.kind == "labels"
    with pytest.raises(NotAMask, match="palette"):
        open_mask(mask_clip()["gt_labels"], "binary")
    with pytest.raises(InputError, match="unknown mask kind"):
        open_mask(path, "soft")


def test_clips_that_are_not_masks_are_refused(tmp_path):
    c = mask_clip()
    with pytest.raises(NotAMask, match="colour video") as exc:
        open_mask(c.source)
    assert str(c.source) in str(exc.value)
    with av.open(str(c.source)) as v:
        frames = [f.to_ndarray(format="rgb24") for f, _ in zip(v.decode(video=0), range(3))]
    with pytest.raises(NotAMask, match="colour picture"):
        open_mask(_write_seq(tmp_path / "colour", frames))
    gray = _write_video(tmp_path / "gray.mkv", [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames], "gray", "gray")
    with pytest.raises(NotAMask, match="looks like a picture"):
        open_mask(gray)
    assert open_mask(gray, "alpha").format.kind == "alpha"
