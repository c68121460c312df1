"""Background scoring of a ClipPair: one decode thread per clip, kernels in a small pool.

Memory stays bounded whatever the clip length: the decode queues and the number of
frames in flight are capped, and only per-frame numbers are kept.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

from vqinspect.app.display import screen
from vqinspect.app.shared.errors import StreamBroken
from vqinspect.app.scoring.pairing import ClipPair
from vqinspect.app.scoring.results import ScoreResult, ScoreTable
from vqinspect.app.scoring.spatial import crop_planes
from vqinspect.metrics.registry import FrameInput, Metric

QUEUE_BYTES = 64 * 2**20
"""Decoded frames each clip's queue may hold (about 20 at 1080p): deep enough that
decoding runs ahead while the kernels load at start-up, bounded whatever the length."""
QUEUE_FRAMES = (4, 32)
"""Least and most frames per queue."""
_END = object()


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    fps: float
    eta: float | None   # seconds left, None until a rate is known


@dataclass(frozen=True)
class _Failure:
    error: BaseException


class PairDecoder:
    """One decode thread per clip filling bounded queues: reference frames ``first .. end-1``
    and the distorted frames paired with ``pair.start .. end-1``.

    It can be started before the metrics are known (``covering``), so that decoding
    overlaps importing and loading the kernels; a ScoringJob then takes it over.
    """

    def __init__(self, pair: ClipPair, first: int, end: int, watch=None):
        """``watch``: an object whose ``ref(index, planes)`` and ``dist(index, planes)`` see
        every decoded frame from the decoding threads (e.g. ``MisalignmentCheck``)."""
        self.first, self.end = first, end
        self.watch = watch
        crop = pair.crop
        dist_lo, dist_hi = pair.dist_range(end)
        depth = queue_depth(pair)
        self.ref_q: queue.Queue = queue.Queue(depth)
        self.dist_q: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._decode, name="vq-decode-ref", daemon=True,
                             args=(pair.reference, None, first, end, self.ref_q,
                                   crop and crop.reference, watch and watch.ref)),
            threading.Thread(target=self._decode, name="vq-decode-dist", daemon=True,
                             args=(pair.distorted, pair.conform, dist_lo, dist_hi, self.dist_q,
                                   crop and crop.distorted, watch and watch.dist)),
        ]
        for t in self._threads:
            t.start()

    @classmethod
    def covering(cls, pair: ClipPair, watch=None) -> "PairDecoder":
        """Everything any metrics may ask for: the frame before the range and the one after."""
        return cls(pair, pair.start - 1 if pair.start > 0 else pair.start, min(pair.stop + 1, pair.limit), watch)

    def covers(self, first: int, end: int) -> bool:
        return self.first <= first and self.end >= end

    def stop(self) -> None:
        """Stop both threads (releasing any blocked on a full queue) and wait for them."""
        self._stop.set()
        for t in self._threads:
            t.join()

    def _decode(self, source, conform, start: int, stop: int, out: queue.Queue, rect, watch) -> None:
        reader = source.reader(conform=conform)
        try:
            for i, planes in reader.frames(start, stop):
                planes = crop_planes(planes, rect)
                if watch is not None:
                    watch(i, planes)
                if not self._put(out, (i, planes)):
                    return
            self._put(out, _END)
        except BaseException as exc:  # reported by the scoring thread, never lost
            self._put(out, _Failure(exc))
        finally:
            reader.close()

    def _put(self, q: queue.Queue, item) -> bool:
        while not self._stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def queue_depth(pair: ClipPair) -> int:
    """Frames per decode queue within QUEUE_BYTES (the larger clip's frame size)."""
    largest = 0.0
    for source in (pair.reference, pair.distorted):
        info, layout = source.info, source.layout
        samples = info.width * info.height * layout.samples_per_pixel
        largest = max(largest, samples * layout.dtype.itemsize)
    low, high = QUEUE_FRAMES
    return int(min(max(QUEUE_BYTES // max(largest, 1.0), low), high))


class ScoringJob:
    """Scores ``pair`` with ``metrics``; ``run()`` blocks, ``cancel()`` may come from any thread.

    ``on_row(frame, values)`` is called (from the thread running ``run``) as each
    frame's final values are known; ``on_progress(Progress)`` after each frame.
    ``decoder``: a PairDecoder already running for this pair (see ``PairDecoder.covering``);
    the job stops it when it ends. ``in_flight``: frames handed to the kernel pool at once
    (default twice the threads; fewer lets on-demand work in sooner).
    """

    def __init__(self, pair: ClipPair, metrics: Iterable[Metric], threads: int | None = None,
                 on_row: Callable[[int, dict], None] | None = None,
                 on_progress: Callable[[Progress], None] | None = None,
                 decoder: PairDecoder | None = None, in_flight: int | None = None):
        self.pair = pair
        self._decoder = decoder
        self.in_flight = in_flight
        self.metrics = list(metrics)
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.on_row, self.on_progress = on_row, on_progress
        self.table = ScoreTable(pair.start, pair.stop, [k for m in self.metrics for k in m.keys])
        self._cancel = threading.Event()
        self._needs_previous = max((int(m.needs_previous) for m in self.metrics), default=0)
        self._lookahead = max((m.lookahead for m in self.metrics), default=0)
        self._history = max((m.history for m in self.metrics), default=0)
        self._waiting: dict[int, dict] = {}  # frame -> row awaiting the look-ahead frames' raw values
        self._raws: dict[int, dict] = {}  # recent frames' raw values, for look-ahead and history
        self._cancelled_by_user = False
        self._colour = colour_description(pair.reference)
        self._t0 = 0.0
        self._end = pair.stop

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def run(self) -> ScoreResult:
        pair = self.pair
        self._t0 = t0 = time.perf_counter()
        first = max(pair.start - self._needs_previous, 0) if self._needs_previous else pair.start
        self._end = end = min(pair.stop + self._lookahead, pair.limit)
        decoder = self._decoder
        if decoder is None or not decoder.covers(first, end):
            if decoder is not None:
                decoder.stop()
            decoder = PairDecoder(pair, first, end, getattr(decoder, "watch", None))
        problems: list[str] = [f"{info.path}: {info.truncated}" for info in
                               (pair.reference.info, pair.distorted.info) if info.truncated]
        stream_ended = True
        try:
            with ThreadPoolExecutor(self.threads, thread_name_prefix="vq-kernel") as pool:
                stream_ended = self._score_stream(decoder.ref_q, decoder.dist_q, pool, problems)
        finally:
            decoder.stop()
        self._flush_waiting(clip_ended=stream_ended)
        status = "cancelled" if self._cancelled_by_user else ("broken" if problems else "complete")
        return ScoreResult(self.table, [m.name for m in self.metrics], pair.reference.info.as_dict(),
                           pair.distorted.info.as_dict(), pair.alignment(), status, problems,
                           time.perf_counter() - t0)

    def _score_stream(self, ref_q, dist_q, pool, problems) -> bool:
        """Pair decoded frames and keep the pool busy; True if the streams ran to their end."""
        pair = self.pair
        pending: deque[tuple[int, Future]] = deque()
        dist_planes = None
        refs: deque = deque(maxlen=max(self._needs_previous, 1))  # the latest reference frames
        max_in_flight = self.in_flight or 2 * self.threads
        while True:
            if self._cancel.is_set():
                self._cancelled_by_user = True
                break
            ref_item = self._take(ref_q)
            if ref_item is None:
                continue
            if ref_item is _END:
                break
            if isinstance(ref_item, _Failure):
                problems.append(_describe(ref_item.error))
                break
            i, ref_planes = ref_item
            if i >= self._end:  # a decoder started for any metrics runs one frame further
                break
            if i < pair.start:
                refs.append(ref_planes)
                continue
            wanted = pair.counterpart(i)
            if wanted is None:  # no counterpart: scored only to finish its predecessors' look-ahead
                if dist_planes is None or not any(self._unfinished(i - k, pending)
                                                  for k in range(1, self._lookahead + 1)):
                    refs.append(ref_planes)
                    continue
            else:
                dist_item = self._take_until(dist_q, wanted)
                if dist_item is _END or dist_item is None:
                    break
                if isinstance(dist_item, _Failure):
                    problems.append(_describe(dist_item.error))
                    break
                dist_planes = dist_item[1]
            earlier = tuple(reversed(refs))  # frames i-1, i-2, ...
            frame = FrameInput(ref_planes, dist_planes, pair.bit_depth, i,
                               earlier[0] if self._needs_previous and earlier else None,
                               colour=self._colour,
                               earlier_refs=earlier[1:self._needs_previous])
            refs.append(ref_planes)
            pending.append((i, pool.submit(self._score_frame, frame)))
            while len(pending) >= max_in_flight:
                self._complete(*pending.popleft())
        while pending:
            self._complete(*pending.popleft())
        return not self._cancelled_by_user

    def _take(self, q: queue.Queue):
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            return None

    def _take_until(self, q: queue.Queue, index: int):
        """The distorted item for frame ``index``, skipping frames before it (repeated and
        inserted frames of an automatic alignment); the end marker or a failure as is."""
        while True:
            item = self._take_blocking(q)
            if not isinstance(item, tuple) or item[0] >= index:
                return item

    def _unfinished(self, i: int, pending) -> bool:
        """Frame ``i`` is scored and waits for the next frame's look-ahead values."""
        return i in self._waiting or any(j == i for j, _ in pending)

    def _take_blocking(self, q: queue.Queue):
        while not self._cancel.is_set():
            item = self._take(q)
            if item is not None:
                return item
        self._cancelled_by_user = True
        return None

    def _score_frame(self, frame: FrameInput) -> dict[str, dict]:
        return {m.name: m.score(frame) for m in self.metrics}

    def _complete(self, i: int, future: Future) -> None:
        raw = future.result()
        row: dict[str, float] = {}
        for m in self.metrics:
            if not m.lookahead:
                row.update(raw[m.name])
        if not self._lookahead:
            if i < self.pair.stop:
                self._emit(i, row)
            return
        self._raws[i] = raw
        if i < self.pair.stop and self.pair.counterpart(i) is not None:
            self._waiting[i] = row
        for j in sorted(j for j in self._waiting if j <= i - self._lookahead):
            self._finish(j)
        oldest = min(min(self._waiting, default=i + 1), i + 1 - self._lookahead) - self._history
        for j in [j for j in self._raws if j < oldest]:
            del self._raws[j]

    def _finish(self, i: int) -> None:
        """Finalize and emit waiting frame ``i`` from the raw values of its neighbours (None
        where a frame was not scored: past the clip end, or before its start)."""
        row = self._waiting.pop(i)
        for m in self.metrics:
            if m.lookahead:
                raw = self._raws[i][m.name]
                following = [self._raws.get(i + k, {}).get(m.name) for k in range(1, m.lookahead + 1)]
                extra = {}
                if m.history:
                    extra["previous"] = tuple(self._raws.get(i - k, {}).get(m.name)
                                              for k in range(m.history, 0, -1))
                row.update(m.finalize(raw, *following, **extra))
        self._emit(i, row)

    def _flush_waiting(self, clip_ended: bool) -> None:
        """Finalize frames still waiting for next frames that will not come."""
        for i in sorted(self._waiting):
            if clip_ended:
                self._finish(i)
            else:
                del self._waiting[i]

    def _emit(self, i: int, row: dict) -> None:
        self.table.set_row(i, row)
        if self.on_row:
            self.on_row(i, row)
        if self.on_progress:
            done = self.table.count
            elapsed = max(time.perf_counter() - self._t0, 1e-9)
            fps = done / elapsed
            eta = (self.pair.frames - done) / fps if fps > 0 else None
            self.on_progress(Progress(done, self.pair.frames, fps, eta))


def colour_description(source) -> dict:
    """A clip's colour description as metrics read it (``FrameInput.colour``): what the
    screen preview takes the clip for, guesses for untagged clips included."""
    spec = screen.color_spec(source.info, source.layout)
    return {"matrix": spec.matrix, "primaries": spec.primaries, "transfer": spec.transfer,
            "range": "full" if spec.full_range else "limited", "peak_nits": spec.peak_nits}


def _describe(error: BaseException) -> str:
    if isinstance(error, StreamBroken):
        return str(error)
    return f"decoding failed: {error}"
