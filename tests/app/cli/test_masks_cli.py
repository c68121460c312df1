"""`vqinspect masks` and the mask pipeline on the test clip: the JSON/CSV layout, the keys of
each mode, measures that rise exactly on the corrupted frames, the maps, and one-line errors."""
from __future__ import annotations

import csv
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from vqinspect.app.masks.run import least_stable, score_masks
from vqinspect.app.masks.maps import FrameMapper
from vqinspect.app.masks.scorer import MaskOptions, open_mask_inputs
from vqinspect.__main__ import main as vq_main
from vqinspect.metrics import masks as mm
from tests.mask_clips import CORRUPTED, DROPOUT, FRAMES, SECOND_ID_SHIFT, mask_clip

AFFECTED = sorted({t for k in CORRUPTED for t in (k, k + 1) if t < FRAMES})
CLEAN_PAIRS = [t for t in range(1, FRAMES) if t not in AFFECTED]


@pytest.fixture(scope="module")
def clip():
    return mask_clip()


@pytest.fixture(scope="module")
def binary_run(clip, tmp_path_factory):
    out = tmp_path_factory.mktemp("masks")
    args = ["--pred", str(clip["pred"]), "--gt", str(clip["gt"]), "--source", str(clip["source"]),
            "--json", str(out / "m.json"), "--csv", str(out / "m.csv"), "--maps", str(out / "maps"), "--quiet"]
    assert vq_main(["masks"] + args) == 0
    return json.loads((out / "m.json").read_text()), out


def _column(data: dict, key: str) -> np.ndarray:
    return np.array([np.nan if f.get(key) is None else f[key] for f in data["frames"]])


def test_json_has_the_score_layout_and_every_key(binary_run):
    data, out = binary_run
    assert list(data)[:6] == ["tool", "reference", "distorted", "source", "alignment", "metrics"]
    assert data["status"] == "complete" and data["tool"]["name"] == "vqinspect"
    assert data["alignment"] == {"offset": 0, "scaled": False, "frames": FRAMES, "start": 0, "stop": FRAMES,
                                 "frames_scored": FRAMES}
    assert data["metrics"] == ["j", "f", "jf", "iou_prev", "gt_iou_prev", "flip_rate", "gt_flip_rate", "vc8",
                               "tiou", "gt_tiou", "warp_error", "gt_warp_error", "occluded"]
    assert data["distorted"]["mask"]["kind"] == "binary" and data["reference"]["width"] == 320
    assert data["masks"] == {"kind": "binary", "gt_kind": "binary", "ids": [], "flow": "OpenCV DIS medium",
                             "vc_window": 8, "bound_pix": 3}
    assert all(set(f) == {"frame", *data["metrics"]} for f in data["frames"])
    assert {k for k, v in data["frames"][0].items() if v is not None} == {"frame", "j", "f", "jf"}
    assert {k for k, v in data["frames"][5].items() if v is not None} == {"frame", *data["metrics"]} - {"vc8"}
    for key, stats in data["pooled"].items():
        values = _column(data, key)
        assert stats["mean"] == pytest.approx(np.nanmean(values), abs=1e-6)
        assert stats["min"] == pytest.approx(np.nanmin(values), abs=1e-6)
    j = _column(data, "j")
    assert data["clip"]["j"] == pytest.approx(mm.clip_statistics(j), abs=1e-6)
    assert data["clip"]["vc8"] == pytest.approx(np.nanmean(_column(data, "vc8")), abs=1e-6)
    rows = list(csv.DictReader((out / "m.csv").open()))
    assert len(rows) == FRAMES and rows[0]["tiou"] == "" and float(rows[7]["tiou"]) == pytest.approx(
        data["frames"][7]["tiou"], abs=1e-6)


def test_measures_rise_exactly_on_the_corrupted_frames(clip, binary_run):
    data, _ = binary_run
    j, f = _column(data, "j"), _column(data, "f")
    assert [t for t in range(FRAMES) if j[t] < 1] == list(CORRUPTED)
    assert [t for t in range(FRAMES) if f[t] < 1] == list(CORRUPTED)
    assert j[20] == 0.0 and f[20] == 0.0                           # the empty prediction
    for pred_key, gt_key in (("iou_prev", "gt_iou_prev"), ("tiou", "gt_tiou")):
        pred, gt = _column(data, pred_key), _column(data, gt_key)
        assert np.isnan(pred[0]) and np.array_equal(pred[CLEAN_PAIRS], gt[CLEAN_PAIRS])
        assert np.all(pred[AFFECTED] < gt[AFFECTED] - 0.05)
    for pred_key, gt_key in (("warp_error", "gt_warp_error"), ("flip_rate", "gt_flip_rate")):
        pred, gt = _column(data, pred_key), _column(data, gt_key)
        assert np.array_equal(pred[CLEAN_PAIRS], gt[CLEAN_PAIRS]) and np.all(pred[AFFECTED] > gt[AFFECTED])
    vc, wrong = _column(data, "vc8"), clip.pred ^ clip.gt
    for t in range(7, FRAMES):                  # VC counts only pixels whose ground truth is stable
        stable = np.all(clip.gt[t - 7:t + 1] == clip.gt[t - 7], axis=0)
        touched = any(t - 7 <= k <= t and (wrong[k] & stable).any() for k in CORRUPTED)
        assert (vc[t] < 1) == touched
    assert np.sum(vc[7:] < 1) == FRAMES - 8     # every window but the one of frames 8..15


def test_maps_light_up_the_corrupted_regions(clip, binary_run):
    inputs = open_mask_inputs(str(clip["pred"]), str(clip["gt"]), str(clip["source"]))
    result = score_masks(inputs, MaskOptions(flow=None))
    wrong = clip.pred ^ clip.gt
    assert np.allclose(result.maps["error_rate"], wrong.mean(axis=0), atol=1e-6)
    flipped = result.maps["flips"] > 0
    assert not (flipped & ~wrong.any(axis=0)).any()               # nothing outside the corruptions
    assert flipped[wrong[DROPOUT]].mean() > 0.9
    worst = least_stable(result.table, 4)
    assert worst[:2] == [20, 21] and set(worst[2:]) == {11, 12}    # the empty frame, then the erosion
    _, out = binary_run
    for name in ("error_rate", "flips"):
        image = cv2.imread(str(out / "maps" / f"{name}.png"))
        assert image.shape == (180, 320, 3) and image[wrong.any(axis=0)].max() > image[~wrong.any(axis=0)].max()
    with FrameMapper(inputs) as mapper:
        maps = mapper.maps(DROPOUT)
        first = mapper.maps(0)
        after = mapper.maps(DROPOUT + 1)
    y0, y1, x0, x1 = clip.dropout_box
    assert np.nanmean(maps.residual[y0:y1, x0:x1]) > 0.95 and np.nanmean(maps.gt_residual[y0:y1, x0:x1]) < 0.05
    assert np.isnan(maps.residual[maps.occluded]).all()
    assert np.array_equal(maps.error > 0, wrong[DROPOUT]) and maps.flips[y0:y1, x0:x1].mean() > 0.9
    assert first.residual is None and first.flips is None and np.array_equal(first.error > 0, wrong[0])
    assert np.median(after.window_flips[y0:y1, x0:x1]) == 0.25     # out and back in: 2 of the 8 pairs
    assert not after.window_flips[~wrong[DROPOUT - 7:DROPOUT + 2].any(axis=0)].any()


def test_video_prediction_scores_like_the_png_sequence(clip):
    png = score_masks(open_mask_inputs(str(clip["pred"]), str(clip["gt"])), MaskOptions(flow=None))
    video = score_masks(open_mask_inputs(str(clip["pred_video"]), str(clip["gt"])), MaskOptions(flow=None))
    for key in png.table.keys:
        assert np.array_equal(png.table.column(key), video.table.column(key), equal_nan=True)


def test_without_ground_truth_or_flow_only_the_flicker_keys(clip, tmp_path):
    out = tmp_path / "p.json"
    assert vq_main(["masks", "--pred", str(clip["pred"]), "--json", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text())
    assert data["metrics"] == ["iou_prev", "flip_rate"] and data["reference"] is None and data["clip"] == {}
    assert vq_main(["masks", "--pred", str(clip["pred"]), "--source", str(clip["source"]), "--flow", "none",
                       "--json", str(out), "--quiet"]) == 0
    assert json.loads(out.read_text())["metrics"] == ["iou_prev", "flip_rate"]
    assert vq_main(["masks", "--pred", str(clip["pred"]), "--source", str(clip["source"]), "--flow", "ultrafast",
                       "--json", str(out), "--quiet"]) == 0
    data = json.loads(out.read_text())
    assert data["metrics"] == ["iou_prev", "flip_rate", "tiou", "warp_error", "occluded"]
    assert _column(data, "tiou")[20] == 0.0


def test_label_maps_are_scored_per_id_and_overall(clip):
    inputs = open_mask_inputs(str(clip["pred_labels"]), str(clip["gt_labels"]), str(clip["source"]))
    result = score_masks(inputs)
    t = result.table
    assert result.ids == [1, 2] and t.keys[:3] == ["j", "f", "jf"]
    assert {"j_id1", "f_id2", "jf_id2", "iou_prev_id1", "tiou_id2", "gt_tiou_id2"} <= set(t.keys)
    assert np.all(t.column("j_id1") == 1.0)
    assert [i for i in range(FRAMES) if t.column("j_id2")[i] < 1] == [SECOND_ID_SHIFT]
    assert np.allclose(t.column("j"), (t.column("j_id1") + t.column("j_id2")) / 2)
    tiou2, gt2 = t.column("tiou_id2"), t.column("gt_tiou_id2")
    assert all(tiou2[i] < gt2[i] - 0.05 for i in (SECOND_ID_SHIFT, SECOND_ID_SHIFT + 1))
    assert np.array_equal(t.column("tiou_id1"), t.column("gt_tiou_id1"), equal_nan=True)
    assert result.clip["j_id1"]["mean"] == 1.0
    assert result.clip["j"]["mean"] == pytest.approx((1.0 + result.clip["j_id2"]["mean"]) / 2)


def test_void_in_the_ground_truth_is_background_as_in_the_davis_toolkit(clip, tmp_path):
    """A void band (255) in the ground truth: no id 255, and J is the IoU with void counted
    as background (davis2017-evaluation sets void to 0 before it separates the objects)."""
    from vqinspect.app.masks.reader import VOID_LABEL
    from tests.mask_clips import write_palette_png

    (tmp_path / "gt").mkdir()
    gt = clip.gt_labels.copy()
    columns = np.nonzero((gt > 0).any(axis=(0, 1)))[0]
    middle = int(columns.mean())
    gt[:, :, middle - 6:middle + 6] = VOID_LABEL      # a band across the objects' paths
    for t, lab in enumerate(gt):
        write_palette_png(tmp_path / "gt" / f"{t:04d}.png", lab)
    result = score_masks(open_mask_inputs(str(clip["pred_labels"]), str(tmp_path / "gt" / "%04d.png")),
                         MaskOptions(flow=None))
    assert result.ids == [1, 2]
    truth = np.where(gt == VOID_LABEL, 0, gt)
    for k in (1, 2):
        naive = []
        for p, g in zip(clip.pred_labels == k, truth == k):
            union = np.logical_or(p, g).sum()
            naive.append(np.logical_and(p, g).sum() / union if union else 1.0)
        assert np.allclose(result.table.column(f"j_id{k}"), naive)
    assert result.table.column("j").min() < 0.95             # the band cut the ground truth's objects


def test_mattes_get_the_matting_measures(clip):
    inputs = open_mask_inputs(str(clip["pred_alpha"]), str(clip["gt_alpha"]), str(clip["source"]))
    assert inputs.matting and inputs.pred.format.kind == "alpha"
    t = score_masks(inputs).table
    assert t.keys[:7] == ["j", "f", "jf", "mad", "mse", "grad", "dtssd"]
    mad, dtssd = t.column("mad"), t.column("dtssd")
    clean = [i for i in range(FRAMES) if i not in CORRUPTED]
    assert mad[clean].max() < 2.5 and mad[list(CORRUPTED)].min() > 10     # 8-bit vs 16-bit rounding only
    assert dtssd[0] == 0.0 and dtssd[CLEAN_PAIRS].max() < 0.5 and dtssd[AFFECTED].min() > 5
    assert mad[11] == pytest.approx(np.abs(np.round(clip.pred_alpha[11] * 255) / 255 - clip.gt_alpha[11]).mean()
                                    * 1e3, rel=1e-3)
    warp, gt_warp = t.column("warp_error"), t.column("gt_warp_error")
    assert np.all(warp[AFFECTED] > gt_warp[AFFECTED])


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file"),
    ("size", "is 160x90 but --pred is 320x180"),
    ("count", "has 10 frames but --pred has 24"),
    ("not_a_mask", "not a mask"),
    ("kinds", "holds object ids (labels)"),
    ("window", "--window must be at least 2"),
    ("option", "unrecognized arguments"),
    ("no_pred", "--pred"),
])
def test_bad_input_is_one_line_and_status_2(clip, tmp_path, capsys, case, message):
    pred, gt = str(clip["pred"]), str(clip["gt"])
    args = {
        "missing": ["--pred", str(tmp_path / "nope.mkv")],
        "size": ["--pred", pred, "--gt", _resized(clip, tmp_path)],
        "count": ["--pred", pred, "--gt", _shortened(clip, tmp_path)],
        "not_a_mask": ["--pred", str(clip["source"])],
        "kinds": ["--pred", str(clip["pred_labels"]), "--gt", gt],
        "window": ["--pred", pred, "--window", "1"],
        "option": ["--pred", pred, "--bogus"],
        "no_pred": ["--gt", gt],
    }[case]
    assert vq_main(["masks"] + args + ["--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("vqinspect: ") and message in err[0]


def test_a_stream_that_breaks_part_way_is_scored_up_to_the_break(clip, tmp_path, capsys):
    folder = tmp_path / "broken"
    folder.mkdir()
    for t in range(FRAMES):
        cv2.imwrite(str(folder / f"{t:04d}.png"), clip.pred[t].astype(np.uint8) * 255)
    (folder / "0005.png").write_bytes(b"not a png")
    out = tmp_path / "b.json"
    assert vq_main(["masks", "--pred", str(folder / "%04d.png"), "--gt", str(clip["gt"]), "--json", str(out),
                       "--quiet"]) == 2
    data = json.loads(out.read_text())
    assert data["status"] == "broken" and [f["frame"] for f in data["frames"]] == [0, 1, 2, 3, 4]
    assert "decoding stopped at frame 5" in capsys.readouterr().err


def test_a_run_can_be_cancelled_between_frames(clip):
    import threading

    cancel = threading.Event()
    inputs = open_mask_inputs(str(clip["pred"]), str(clip["gt"]), str(clip["source"]))
    result = score_masks(inputs, MaskOptions(flow="ultrafast"), lambda p: p.done == 3 and cancel.set(), cancel)
    assert result.status == "cancelled" and result.table.count == 3
    result = score_masks(inputs, MaskOptions(flow="ultrafast"), None, cancel)      # cancelled before frame 0
    assert result.status == "cancelled" and result.table.count == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("vq-mask") and t.is_alive()]


def test_bad_input_from_a_fresh_process_has_no_traceback(tmp_path):
    code = "import sys; from vqinspect.__main__ import main; sys.exit(main([\"masks\", *sys.argv[1:]]))"
    proc = subprocess.run([sys.executable, "-c", code, "--pred", str(tmp_path / "missing.png")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "no such file" in proc.stderr


def _resized(clip, tmp_path) -> str:
    folder = tmp_path / "small"
    folder.mkdir()
    for t in range(FRAMES):
        cv2.imwrite(str(folder / f"{t:04d}.png"), cv2.resize(clip.gt[t].astype(np.uint8) * 255, (160, 90)))
    return str(folder / "%04d.png")


def _shortened(clip, tmp_path) -> str:
    folder = tmp_path / "short"
    folder.mkdir()
    for t in range(10):
        cv2.imwrite(str(folder / f"{t:04d}.png"), clip.gt[t].astype(np.uint8) * 255)
    return str(folder / "%04d.png")
