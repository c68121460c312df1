"""Run a MaskScorer over whole clips: reading threads, progress, cancellation, the result
(per-frame table, per-clip statistics, maps) and its JSON/CSV forms.

The JSON has the layout of ``vqinspect score``: the ground truth is the ``reference``
(null without one), the prediction the ``distorted``; ``source``, ``masks`` (how the
masks were read and scored) and ``clip`` (DAVIS mean/recall/decay, VC) are added.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from vqinspect.app.shared.errors import StreamBroken
from vqinspect.app.masks.scorer import NEUTRAL, PER_ID_KEYS, MaskInputs, MaskOptions, MaskScorer
from vqinspect.app.scoring.results import ScoreTable, json_number, pool, tool_info
from vqinspect.metrics import masks as mm

PREFETCH = 4   # frames each reading thread may run ahead
_STREAM_NAMES = ("--pred", "--gt", "--source")


@dataclass
class MaskProgress:
    """Frames done of total; ``table`` is the live table (rows appear whole, in order)."""

    done: int
    total: int
    table: ScoreTable | None = None


@dataclass
class MaskResult:
    """A finished (or stopped) mask run."""

    table: ScoreTable
    inputs: MaskInputs
    options: MaskOptions
    ids: list[int]
    clip: dict[str, dict | float]
    maps: dict[str, np.ndarray]
    status: str = "complete"           # complete, cancelled or broken
    problems: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def to_json(self) -> dict:
        t = self.table
        frames = t.json_frames()
        n = self.inputs.frame_count
        inputs = self.inputs
        out = {
            "tool": tool_info(),
            "reference": inputs.gt.as_dict() if inputs.gt is not None else None,
            "distorted": inputs.pred.as_dict(),
            "source": inputs.source.info.as_dict() if inputs.source is not None else None,
            "alignment": {"offset": 0, "scaled": False, "frames": n, "start": 0, "stop": n,
                          "frames_scored": len(frames)},
            "metrics": list(t.keys),
            "masks": self.description(),
            "frames": frames,
            "pooled": t.json_pooled(),
            "clip": _json_clip(self.clip),
            "status": self.status,
        }
        if self.problems:
            out["problems"] = self.problems
        return out

    def description(self) -> dict:
        o, inputs = self.options, self.inputs
        h, w = inputs.shape
        flow = o.flow if o.flow and inputs.source is not None else None
        return {"kind": inputs.pred.format.kind,
                "gt_kind": inputs.gt.format.kind if inputs.gt is not None else None,
                "ids": self.ids, "flow": f"OpenCV DIS {flow}" if flow else None,
                "vc_window": o.window, "bound_pix": mm.bound_pix((h, w), o.bound_th)}

    def to_csv(self) -> str:
        return self.table.to_csv()


def _json_clip(clip: dict) -> dict:
    return {k: ({s: json_number(x) for s, x in v.items()} if isinstance(v, dict) else json_number(v))
            for k, v in clip.items()}


def expected_keys(inputs: MaskInputs, options: MaskOptions) -> list[str]:
    """The overall per-frame keys of a run, in their column order."""
    gt, flow = inputs.gt is not None, bool(options.flow and inputs.source is not None)
    keys = ["j", "f", "jf"] if gt else []
    keys += ["mad", "mse", "grad", "dtssd"] if inputs.matting else []
    keys += ["iou_prev", "gt_iou_prev", "flip_rate", "gt_flip_rate", f"vc{options.window}"] if gt \
        else ["iou_prev", "flip_rate"]
    if flow:
        keys += ["tiou", "gt_tiou", "warp_error", "gt_warp_error", "occluded"] if gt \
            else ["tiou", "warp_error", "occluded"]
    return keys


def score_masks(inputs: MaskInputs, options: MaskOptions = MaskOptions(),
                on_progress: Callable[[MaskProgress], None] | None = None,
                cancel: threading.Event | None = None) -> MaskResult:
    """Score every frame in order; stops early (status cancelled/broken) on ``cancel`` or a
    stream that breaks part-way, with the frames scored so far."""
    t0 = time.perf_counter()
    n = inputs.frame_count
    scorer = MaskScorer(inputs, options)
    table = ScoreTable(0, n, expected_keys(inputs, options))
    status, problems = "complete", []
    streams = [_Prefetched(inputs.pred.reader, n)]
    streams.append(_Prefetched(inputs.gt.reader, n) if inputs.gt is not None else None)
    use_source = inputs.source is not None and scorer.estimator is not None
    streams.append(_Prefetched(lambda: _LumaReader(inputs.source), n) if use_source else None)
    try:
        for i in range(n):
            if cancel is not None and cancel.is_set():
                status = "cancelled"
                break
            frames = [s.next() if s is not None else None for s in streams]
            short = [name for name, s, f in zip(_STREAM_NAMES, streams, frames) if s is not None and f is None]
            if short:
                status, problems = "broken", [f"{short[0]} ended after {i} frames"]
                break
            table.set_row(i, scorer.push(*frames))
            if on_progress is not None:
                on_progress(MaskProgress(i + 1, n, table))
    except StreamBroken as exc:
        status, problems = "broken", [str(exc)]
    finally:
        for s in streams:
            if s is not None:
                s.close()
    ids = scorer.overall_ids() if inputs.labels else []
    if inputs.labels:
        table = _relabel(table, ids, expected_keys(inputs, options))
    return MaskResult(table, inputs, options, ids, clip_summary(table, inputs, options, ids),
                      scorer.maps(), status, problems, time.perf_counter() - t0)


class _LumaReader:
    """The source's luma plane per frame, for the flow."""

    def __init__(self, source):
        self._reader = source.reader()

    def frames(self, start: int, stop: int) -> Iterator[tuple[int, np.ndarray]]:
        for i, planes in self._reader.frames(start, stop):
            yield i, planes[0]

    def close(self) -> None:
        self._reader.close()


class _Prefetched:
    """Frames 0..n-1 of a reader decoded ahead in a ``vq-mask-read`` thread (the reader is
    opened there too: PyAV containers belong to one thread). ``next()`` gives the next frame,
    None at the end, and re-raises reading errors; ``close()`` stops and joins the thread."""

    def __init__(self, open_reader: Callable, n: int):
        self._queue: queue.Queue = queue.Queue(maxsize=PREFETCH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(open_reader, n), name="vq-mask-read", daemon=True)
        self._thread.start()

    def next(self):
        tag, item = self._queue.get()
        if tag == "error":
            raise item
        return item if tag == "frame" else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _put(self, item: tuple) -> bool:
        """Queue ``item`` unless told to stop first; False when stopping."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _work(self, open_reader: Callable, n: int) -> None:
        try:
            reader = open_reader()
            try:
                for _, frame in reader.frames(0, n):
                    if not self._put(("frame", frame)):
                        return
            finally:
                reader.close()
            self._put(("end", None))
        except BaseException as exc:  # handed to the consumer
            self._put(("error", exc))


def _relabel(table: ScoreTable, ids: list[int], overall: list[str]) -> ScoreTable:
    """Label maps: overall values over the whole clip's ids (absent ids count as NEUTRAL),
    per-id columns after the overall ones; none when the clip has a single id."""
    by_id = {}
    for key in PER_ID_KEYS:
        applies = ~np.isnan(table.column(key)) if key in table.keys else None
        if applies is None:
            continue
        columns = []
        for k in sorted(_table_ids(table)):
            name = f"{key}_id{k}"
            col = table.column(name).copy() if name in table.keys else np.full(len(table), np.nan)
            col[applies & np.isnan(col)] = NEUTRAL
            by_id[name] = col
            if k in ids:
                columns.append(col)
        table.column(key)[applies] = np.mean(columns, axis=0)[applies] if columns else NEUTRAL
    keep_ids = len(_table_ids(table)) > 1
    keys = [k for k in overall if k in table.keys]
    if keep_ids:
        keys += sorted(by_id, key=lambda name: (int(name.rsplit("_id", 1)[1]),
                                                PER_ID_KEYS.index(name.rsplit("_id", 1)[0])))
    out = ScoreTable(table.start, table.stop, keys)
    for f in table.scored_frames():
        r = int(f) - table.start
        out.set_row(int(f), {k: float(by_id[k][r] if k in by_id else table.column(k)[r]) for k in keys})
    return out


def _table_ids(table: ScoreTable) -> set[int]:
    return {int(k.rsplit("_id", 1)[1]) for k in table.keys if "_id" in k}


def clip_summary(table: ScoreTable, inputs: MaskInputs, options: MaskOptions, ids: list[int]) -> dict:
    """DAVIS mean/recall/decay of j, f and jf (label maps: per id, and overall as the mean over
    the ids of the per-id statistics, as DAVIS averages objects), and the clip's VC."""
    clip: dict = {}
    if inputs.gt is None:
        return clip
    for key in ("j", "f", "jf"):
        if inputs.labels and ids and f"{key}_id{ids[0]}" in table.keys:
            per = {k: mm.clip_statistics(table.column(f"{key}_id{k}")) for k in ids}
            clip[key] = {s: float(np.mean([p[s] for p in per.values()])) for s in ("mean", "recall", "decay")}
            clip.update({f"{key}_id{k}": p for k, p in per.items()})
        else:
            clip[key] = mm.clip_statistics(table.column(key))
    vc = f"vc{options.window}"
    if vc in table.keys:
        clip[vc] = pool(table.column(vc))["mean"]
    return clip


def instability(table: ScoreTable) -> tuple[str, np.ndarray]:
    """How unstable each frame is, and by which measure: how far the prediction's temporal
    IoU (with flow; else its consecutive IoU) falls below the ground truth's own value, or
    below 1 without ground truth. NaN where the measure does not apply (frame 0)."""
    base = "tiou" if "tiou" in table.keys else "iou_prev"
    values = table.column(base)
    reference = table.column("gt_" + base) if "gt_" + base in table.keys else np.ones(len(table))
    return base, np.maximum(reference - values, 0.0)


def least_stable(table: ScoreTable, count: int = 5) -> list[int]:
    """Up to ``count`` frames with an instability above 0, worst first (ties: earlier first);
    see ``instability``."""
    _, score = instability(table)
    frames = table.frames()
    ok = ~np.isnan(score) & (score > 0)
    order = np.lexsort((frames[ok], -score[ok]))
    return [int(f) for f in frames[ok][order][:count]]
