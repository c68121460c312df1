"""Temporal measures: the occlusion kernel against a numpy transcription of Lai et al.'s check,
warping against exact integer shifts, VC against VSPW's window code, and the flicker measures
on the test clip: they rise exactly on the corrupted frames and the maps light up there."""
from __future__ import annotations

import av
import numpy as np
import pytest

from vqinspect.metrics import masks as mm
from vqinspect.metrics import temporal as tm
from tests.mask_clips import CORRUPTED, DROPOUT, FRAMES, mask_clip

AFFECTED = sorted({t for k in CORRUPTED for t in (k, k + 1) if t < FRAMES})   # pairs touching a corruption


# ----------------------------------------------------------------------------- naive references

def naive_bilinear(img: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    h, w = img.shape
    x0 = np.clip(np.floor(x).astype(int), 0, max(w - 2, 0))
    y0 = np.clip(np.floor(y).astype(int), 0, max(h - 2, 0))
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    ax, ay = x - x0, y - y0
    return ((1 - ay) * ((1 - ax) * img[y0, x0] + ax * img[y0, x1])
            + ay * ((1 - ax) * img[y1, x0] + ax * img[y1, x1]))


def naive_occlusion(b: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Lai et al. (fast_blind_video_consistency, detect_occlusion) on frame t's grid, plus
    pixels whose flow leaves the frame."""
    h, w = b.shape[:2]
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float64)
    sx, sy = gx + b[..., 0], gy + b[..., 1]
    outside = (sx < 0) | (sx > w - 1) | (sy < 0) | (sy > h - 1)
    cx, cy = np.clip(sx, 0, w - 1), np.clip(sy, 0, h - 1)
    fw = np.stack([naive_bilinear(f[..., 0].astype(np.float64), cx, cy),
                   naive_bilinear(f[..., 1].astype(np.float64), cx, cy)], -1)
    mag = lambda v: v[..., 0] ** 2 + v[..., 1] ** 2   # noqa: E731
    mask1 = mag(fw + b) > 0.01 * (mag(fw) + mag(b)) + 0.5
    du = np.zeros((h, w, 2))
    dv = np.zeros((h, w, 2))
    du[:, :-1] = b[:, :-1] - b[:, 1:]
    dv[:-1, :] = b[:-1, :] - b[1:, :]
    mask2 = (du[..., 0] ** 2 + dv[..., 0] ** 2 + du[..., 1] ** 2 + dv[..., 1] ** 2) > 0.01 * mag(b) + 0.002
    return outside | mask1 | mask2


def naive_vc(gts: list[np.ndarray], preds: list[np.ndarray], n: int, start: int) -> float:
    """VSPW VC_perclip.get_common for the window start .. start+n-1."""
    gt_common = np.ones(gts[0].shape, bool)
    pred_common = np.ones(gts[0].shape, bool)
    for j in range(1, n):
        gt_common &= gts[start] == gts[start + j]
        pred_common &= preds[start] == preds[start + j]
    return (pred_common & gt_common).sum() / gt_common.sum()


# ----------------------------------------------------------------------------- kernels

@pytest.mark.parametrize("seed", [0, 1, 2])
def test_occlusion_matches_lai_et_al(seed):
    rng = np.random.default_rng(seed)
    h, w = 41, 57
    base = rng.normal(0, 3, (h // 8 + 2, w // 8 + 2, 2)).astype(np.float32)
    import cv2
    b = cv2.resize(base, (w, h), interpolation=cv2.INTER_CUBIC)
    f = -b + rng.normal(0, 0.4 * seed, b.shape).astype(np.float32)
    f[10:20, 10:30] += 4.0                               # an inconsistent patch
    got = tm.occlusion(b, f)
    want = naive_occlusion(b.astype(np.float64), f.astype(np.float64))
    assert got.dtype == bool and got.shape == (h, w)
    assert np.mean(got != want) < 1e-3                   # float32 vs float64 at the thresholds
    assert got.any() and not got.all()


def test_consistent_translation_is_occluded_only_where_it_leaves_the_frame():
    h, w = 30, 40
    b = np.zeros((h, w, 2), np.float32)
    b[..., 0] = -3.0                                     # frame t's pixels came from 3 px to the left
    f = -b
    occluded = tm.occlusion(b, f)
    assert occluded[:, :3].all() and not occluded[:, 3:].any()


def test_warp_with_an_integer_flow_is_an_exact_shift():
    c = mask_clip()
    prev, cur = c.gt[0].astype(np.uint8), np.roll(c.gt[0], 5, axis=1).astype(np.uint8)
    b = np.zeros(prev.shape + (2,), np.float32)
    b[..., 0] = -5.0
    warped = tm.warp(prev, b, nearest=True)
    assert np.array_equal(warped[:, 5:], cur[:, 5:])
    valid = ~tm.occlusion(b, -b)
    counts = mm.label_counts(cur, warped, valid, 2)
    assert mm.iou_from_counts(*counts, 1) == 1.0
    assert tm.label_disagreement(cur, warped, valid) == 0.0
    alpha = tm.warp(c.gt_alpha[0], b, nearest=False)
    assert np.allclose(alpha[:, 5:], np.roll(c.gt_alpha[0], 5, axis=1)[:, 5:], atol=1e-6)
    assert tm.warping_error(np.roll(c.gt_alpha[0], 5, axis=1), alpha, valid) < 1e-10


def test_masked_errors_match_numpy():
    rng = np.random.default_rng(7)
    a, b = rng.random((20, 30)).astype(np.float32), rng.random((20, 30)).astype(np.float32)
    valid = rng.random((20, 30)) < 0.5
    d = a.astype(np.float64) - b
    assert tm.warping_error(a, b, valid) == pytest.approx(np.mean(d[valid] ** 2), rel=1e-12)
    la, lb = (a > 0.5).astype(np.uint8), (b > 0.5).astype(np.uint8)
    assert tm.label_disagreement(la, lb, valid) == pytest.approx(np.mean((la != lb)[valid]))
    assert np.isnan(tm.warping_error(a, b, np.zeros_like(valid)))
    residual = tm.warped_residual(a, b, ~valid)
    assert np.isnan(residual[~valid]).all() and np.allclose(residual[valid], np.abs(a - b)[valid])


@pytest.mark.parametrize("n", [2, 4, 8])
def test_vc_matches_vspw_windows(n):
    rng = np.random.default_rng(n)
    gts = [rng.integers(0, 3, (12, 17)).astype(np.uint8) for _ in range(3)]
    gts = [gts[min(i // 4, 2)] for i in range(12)]       # runs of identical frames
    preds = [np.where(rng.random(g.shape) < 0.05, 1 - (g > 0), g).astype(np.uint8) for g in gts]
    pr, gr = tm.RunLengths(preds[0]), tm.RunLengths(gts[0])
    for t in range(1, len(gts)):
        assert pr.push(preds[t]) == np.count_nonzero(preds[t] != preds[t - 1])
        gr.push(gts[t])
        vc = tm.video_consistency(pr, gr, n)
        if t + 1 < n:
            assert np.isnan(vc)
        else:
            assert vc == pytest.approx(naive_vc(gts, preds, n, t - n + 1), abs=1e-12)


# ----------------------------------------------------------------------------- on the clip

def _source_luma() -> list[np.ndarray]:
    with av.open(str(mask_clip().source)) as c:
        return [f.to_ndarray(format="gray") for f in c.decode(video=0)]


def test_flicker_without_flow_rises_exactly_on_the_corrupted_frames():
    c = mask_clip()
    for t in range(1, FRAMES):
        pred_iou = mm.jaccard(c.pred[t], c.pred[t - 1])
        gt_iou = mm.jaccard(c.gt[t], c.gt[t - 1])
        pred_flips = np.count_nonzero(tm.flips(c.pred[t - 1], c.pred[t]))
        gt_flips = np.count_nonzero(tm.flips(c.gt[t - 1], c.gt[t]))
        if t in AFFECTED:
            assert pred_iou < gt_iou - 0.05 and pred_flips > 1.1 * gt_flips
        else:
            assert pred_iou == gt_iou and pred_flips == gt_flips


def test_flow_measures_rise_exactly_on_the_corrupted_frames_and_the_residual_lights_up_there():
    c = mask_clip()
    luma = _source_luma()
    flow_of = tm.FlowEstimator("medium")
    gt_tious = []
    for t in range(1, FRAMES):
        pair = tm.pair_flow(luma[t - 1], luma[t], flow_of)
        values = {}
        for name, masks in (("pred", c.pred), ("gt", c.gt)):
            cur, prev = masks[t].view(np.uint8), masks[t - 1].view(np.uint8)
            warped = tm.warp(prev, pair.backward, nearest=True)
            values[name] = (mm.iou_from_counts(*mm.label_counts(cur, warped, pair.valid, 2), 1),
                            tm.label_disagreement(cur, warped, pair.valid))
            if name == "pred" and t == DROPOUT:
                residual = tm.warped_residual(cur, warped, pair.occluded)
        gt_tious.append(values["gt"][0])
        if t in AFFECTED:
            assert values["pred"][0] < values["gt"][0] - 0.1
            assert values["pred"][1] > values["gt"][1] + 0.005
        else:
            assert values["pred"] == values["gt"]
    assert min(gt_tious) > 0.9                           # the flow itself is good on this clip
    y0, y1, x0, x1 = c.dropout_box
    hole = residual[y0:y1, x0:x1]
    assert np.nanmean(hole) > 0.95                       # the dropped region lights up ...
    outside = residual.copy()
    outside[y0 - 3:y1 + 3, x0 - 3:x1 + 3] = np.nan
    assert np.nanmean(outside) < 0.01                    # ... and little else
