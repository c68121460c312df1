"""Score the temporal consistency of a predicted mask or matte clip, with or without ground
truth and source video: the per-frame keys, the per-clip statistics and the error maps.

Frames are read in order (each input in its own thread) and fed to a ``MaskScorer``, which
keeps the previous frame's masks, the run lengths for VC and the accumulated maps. Pair
measures (``iou_prev``, ``flip_rate``, ``tiou``, ``warp_error``, ``dtssd``) belong to the
later frame of the pair. Label maps (several ids) are scored per id (``j_id3``, ...) and
overall: the mean over the ground truth's ids (the prediction's without ground truth),
an id absent from both masks of a frame counting as a perfect 1, as DAVIS does.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vqinspect.app.shared.errors import InputError
from vqinspect.app.masks.reader import MaskSource, open_mask
from vqinspect.app.media.source import MediaSource, open_media
from vqinspect.metrics import masks as mm
from vqinspect.metrics import temporal as tm

NEUTRAL = 1.0                          # value of an IoU-like measure for an id absent from both masks
PER_ID_KEYS = ("j", "f", "jf", "iou_prev", "gt_iou_prev", "tiou", "gt_tiou")
ACCURACY_KEYS = ("j", "f", "jf")


@dataclass(frozen=True)
class MaskOptions:
    """How to score: the mask kinds, the flow preset (or None for no flow), the VC window."""

    kind: str = "auto"
    gt_kind: str | None = None         # defaults to ``kind``
    flow: str | None = "medium"
    window: int = 8
    bound_th: float = mm.BOUND_TH


@dataclass
class MaskInputs:
    """The opened clips of a mask run, checked against each other."""

    pred: MaskSource
    gt: MaskSource | None = None
    source: MediaSource | None = None

    @property
    def frame_count(self) -> int:
        return self.pred.info.frame_count

    @property
    def shape(self) -> tuple[int, int]:
        return self.pred.info.height, self.pred.info.width

    @property
    def labels(self) -> bool:
        return self.pred.format.kind == "labels"

    @property
    def matting(self) -> bool:
        """Matting measures apply: ground truth exists and one side is an alpha matte."""
        return self.gt is not None and "alpha" in (self.pred.format.kind, self.gt.format.kind)


def open_mask_inputs(pred: str, gt: str | None = None, source: str | None = None,
                     options: MaskOptions = MaskOptions(), fps: Fraction | None = None) -> MaskInputs:
    """Open and check the clips; InputError (one line) when they cannot be scored together."""
    p = open_mask(pred, options.kind, fps)
    g = open_mask(gt, options.gt_kind or options.kind, fps) if gt else None
    s = open_media(source, None, fps) if source else None
    inputs = MaskInputs(p, g, s)
    check_inputs(inputs)
    return inputs


def check_inputs(inputs: MaskInputs) -> None:
    """Same size and frame count everywhere, and kinds that can be compared."""
    p = inputs.pred
    for other in (inputs.gt, inputs.source):
        if other is None:
            continue
        a, b = p.info, other.info
        if (a.width, a.height) != (b.width, b.height):
            raise InputError(b.path, f"is {b.width}x{b.height} but --pred is {a.width}x{a.height}")
        if a.frame_count != b.frame_count:
            raise InputError(b.path, f"has {b.frame_count} frames but --pred has {a.frame_count}")
    if inputs.gt is not None and (p.format.kind == "labels") != (inputs.gt.format.kind == "labels"):
        lab, other = (p, inputs.gt) if p.format.kind == "labels" else (inputs.gt, p)
        raise InputError(lab.info.path, f"holds object ids (labels) but {other.info.path} is "
                                        f"{other.format.kind}; give --kind to read both the same way")


# ----------------------------------------------------------------------------- one frame at a time

@dataclass
class _Masks:
    labels: np.ndarray
    alpha: np.ndarray | None


class _Row:
    """The keys of one frame while it is being scored: plain values, and per-id values of
    the IoU-like keys (label maps only)."""

    def __init__(self, labels: bool):
        self.labels = labels
        self.values: dict[str, float] = {}
        self.per_id: dict[str, dict[int, float]] = {}

    def put(self, key: str, label: int, value: float) -> None:
        if self.labels:
            self.per_id.setdefault(key, {})[label] = value
        else:
            self.values[key] = value

    def declare(self, key: str) -> None:
        """``key`` applies to this frame even if no id is present in it."""
        if self.labels:
            self.per_id.setdefault(key, {})

    def finish(self, ids: list[int]) -> dict[str, float]:
        """Per-id keys and, for each, the mean over ``ids`` (absent ids count as NEUTRAL)."""
        out = dict(self.values)
        for key, by_id in self.per_id.items():
            for k, v in sorted(by_id.items()):
                out[f"{key}_id{k}"] = v
            out[key] = float(np.mean([by_id.get(k, NEUTRAL) for k in ids])) if ids else NEUTRAL
        return out


class MaskScorer:
    """Per-frame keys of a mask clip fed frame by frame, in order, plus the clip's maps.

    ``error_rate`` (with ground truth): per pixel, the share of frames where the prediction
    is wrong (label maps) or the mean |alpha error| (mattes). ``flips``: per pixel, how many
    times the prediction changed label where the ground truth did not (all changes without
    ground truth).
    """

    def __init__(self, inputs: MaskInputs, options: MaskOptions = MaskOptions()):
        self.inputs, self.options = inputs, options
        self.pred_fmt = inputs.pred.format
        self.gt_fmt = inputs.gt.format if inputs.gt is not None else None
        self.matting = inputs.matting
        self.labels = inputs.labels
        self.estimator = (tm.FlowEstimator(options.flow)
                          if options.flow and inputs.source is not None else None)
        self.source_depth = inputs.source.info.bit_depth if inputs.source is not None else 8
        h, w = inputs.shape
        self.pixels = h * w
        self.error_sum = np.zeros((h, w), np.float64) if inputs.gt is not None else None
        self.flip_count = np.zeros((h, w), np.int32)
        self.frames = 0
        self.ids_pred: set[int] = set()
        self.ids_gt: set[int] = set()
        self._prev: tuple[_Masks, _Masks | None, np.ndarray | None] | None = None
        self._runs: tuple[tm.RunLengths, tm.RunLengths | None] | None = None

    @property
    def vc_key(self) -> str:
        return f"vc{self.options.window}"

    def push(self, pred_plane: np.ndarray, gt_plane: np.ndarray | None = None,
             source_luma: np.ndarray | None = None) -> dict[str, float]:
        """Score the next frame; returns its keys. For label maps the overall values average
        over the ids seen so far; ``overall_ids`` gives the final set once the clip is done."""
        pred = self._masks(self.pred_fmt, pred_plane, self.pred_fmt.kind == "alpha" or self.matting)
        gt = self._masks(self.gt_fmt, gt_plane, self.matting) if gt_plane is not None else None
        luma = tm.luma8(source_luma, self.source_depth) if source_luma is not None else None
        if self.labels:
            self.ids_pred.update(label_ids(pred.labels))
            if gt is not None:
                self.ids_gt.update(label_ids(gt.labels))
        row = _Row(self.labels)
        if gt is not None:
            self._accuracy(pred, gt, row)
        if self._prev is None:
            self._runs = (tm.RunLengths(pred.labels), tm.RunLengths(gt.labels) if gt is not None else None)
            if self.matting:
                row.values["dtssd"] = 0.0
        else:
            self._consistency(pred, gt, row)
            if luma is not None and self._prev[2] is not None and self.estimator is not None:
                self._flow(pred, gt, luma, row)
        self._prev = (pred, gt, luma)
        self.frames += 1
        return row.finish(self.overall_ids())

    def overall_ids(self) -> list[int]:
        """Ids the overall values average over: the ground truth's, else the prediction's."""
        return sorted(self.ids_gt if self.gt_fmt is not None else self.ids_pred)

    def maps(self) -> dict[str, np.ndarray]:
        """The clip's maps so far: ``error_rate`` (with ground truth) and ``flips``."""
        out = {"flips": self.flip_count.astype(np.float32)}
        if self.error_sum is not None and self.frames:
            out["error_rate"] = (self.error_sum / self.frames).astype(np.float32)
        return out

    @staticmethod
    def _masks(fmt, plane: np.ndarray, want_alpha: bool) -> _Masks:
        alpha = fmt.to_alpha(plane) if want_alpha and fmt.kind != "labels" else None
        return _Masks(fmt.to_labels(plane), alpha)

    def _accuracy(self, pred: _Masks, gt: _Masks, row: _Row) -> None:
        counts = mm.label_counts(pred.labels, gt.labels, None, self._n_labels(pred.labels, gt.labels))
        for key in ACCURACY_KEYS:
            row.declare(key)
        for k in (_present(counts) if self.labels else [1]):
            j = mm.iou_from_counts(*counts, k)
            f = mm.boundary_f(pred.labels == k, gt.labels == k, self.options.bound_th)
            row.put("j", k, j)
            row.put("f", k, f)
            row.put("jf", k, (j + f) / 2)
        if self.matting:
            pa, ga = _alpha(pred), _alpha(gt)
            row.values.update(mad=mm.mad(pa, ga), mse=mm.mse(pa, ga), grad=mm.grad_error(pa, ga))
            self.error_sum += np.abs(pa - ga)
        else:
            self.error_sum += pred.labels != gt.labels

    def _consistency(self, pred: _Masks, gt: _Masks | None, row: _Row) -> None:
        prev_pred, prev_gt, _ = self._prev
        pred_runs, gt_runs = self._runs
        self._pair_iou(pred.labels, prev_pred.labels, None, "iou_prev", row)
        changed = pred.labels != prev_pred.labels
        row.values["flip_rate"] = pred_runs.push(pred.labels) / self.pixels
        if gt is not None:
            self._pair_iou(gt.labels, prev_gt.labels, None, "gt_iou_prev", row)
            row.values["gt_flip_rate"] = gt_runs.push(gt.labels) / self.pixels
            changed &= gt.labels == prev_gt.labels
            if self.frames + 1 >= self.options.window:
                row.values[self.vc_key] = tm.video_consistency(pred_runs, gt_runs, self.options.window)
            if self.matting:
                row.values["dtssd"] = mm.dtssd(_alpha(pred), _alpha(prev_pred), _alpha(gt), _alpha(prev_gt))
        self.flip_count += changed

    def _flow(self, pred: _Masks, gt: _Masks | None, luma: np.ndarray, row: _Row) -> None:
        prev_pred, prev_gt, prev_luma = self._prev
        flow = tm.pair_flow(prev_luma, luma, self.estimator)
        valid = flow.valid
        row.values["occluded"] = float(np.mean(flow.occluded))
        sides = [("", pred, prev_pred, self.pred_fmt)]
        if gt is not None:
            sides.append(("gt_", gt, prev_gt, self.gt_fmt))
        for prefix, cur, prev, fmt in sides:
            warped = tm.warp(prev.labels, flow.backward, nearest=True)
            self._pair_iou(cur.labels, warped, valid, prefix + "tiou", row)
            if fmt.kind == "alpha":
                warped_alpha = tm.warp(prev.alpha, flow.backward, nearest=False)
                row.values[prefix + "warp_error"] = tm.warping_error(cur.alpha, warped_alpha, valid)
            else:
                row.values[prefix + "warp_error"] = tm.label_disagreement(cur.labels, warped, valid)

    def _pair_iou(self, cur: np.ndarray, other: np.ndarray, valid, key: str, row: _Row) -> None:
        counts = mm.label_counts(cur, other, valid, self._n_labels(cur, other))
        row.declare(key)
        for k in (_present(counts) if self.labels else [1]):
            row.put(key, k, mm.iou_from_counts(*counts, k))

    def _n_labels(self, a: np.ndarray, b: np.ndarray) -> int:
        if not self.labels:
            return 2
        return int(max(a.max(initial=0), b.max(initial=0))) + 1


def label_ids(labels: np.ndarray) -> list[int]:
    """The nonzero ids present in a label map."""
    counts = np.bincount(labels.ravel())
    return [int(k) for k in np.nonzero(counts)[0] if k != 0]


def _alpha(m: _Masks) -> np.ndarray:
    return m.alpha if m.alpha is not None else m.labels.astype(np.float32)


def _present(counts) -> list[int]:
    in_a, in_b, _ = counts
    return [int(k) for k in np.nonzero(in_a + in_b)[0] if k != 0]


def warm_up() -> float:
    """Compile (or load from numba's cache) every mask kernel on tiny inputs; returns seconds."""
    import time

    t0 = time.perf_counter()
    a = np.zeros((24, 32), np.uint8)
    a[4:12, 6:20] = 1
    b = np.roll(a, 2, axis=1)
    flow = np.zeros((24, 32, 2), np.float32)
    valid = ~tm.occlusion(flow, flow)
    for x, y in ((a, b), (a.astype(np.uint16), b.astype(np.uint16))):
        mm.label_counts(x, y, None, 2)
        mm.label_counts(x, y, valid, 2)
        tm.label_disagreement(x, y, valid)
        runs = tm.RunLengths(x)
        runs.push(y)
        tm.video_consistency(runs, runs, 2)
    mm.boundary_f(a, b)
    tm.warping_error(a.astype(np.float32), b.astype(np.float32), valid)
    return time.perf_counter() - t0
