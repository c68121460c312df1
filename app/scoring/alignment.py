"""Find how a distorted clip's frames correspond to its reference's: the starting offset,
dropped, repeated and inserted frames, and (``spatial``) borders, shifts and crops.

``align_clips(reference, distorted)`` decodes both clips once (one thread each), keeping a
768-byte signature per frame, then finds the cheapest monotone path (``match_path``).
Qt-free; the window calls it from a worker thread with ``cancel`` and ``on_progress``.
"""
from __future__ import annotations

import threading
from array import array
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from vqinspect.app.scoring.match_path import INSERTED, LEADING, TRAILING, MatchPath, match_path
from vqinspect.app.scoring.signatures import clip_signatures

DEFAULT_MAX_OFFSET = 50
LOW_CONFIDENCE = 0.5        # below this an event or stretch is reported as uncertain
DISTINCT_SCALE = 0.5        # sigma: a match this much better than its neighbours is 63% sure
SPATIAL_SAMPLES = 3         # frame pairs the spatial checks look at
SPATIAL_WINDOW = 16         # ... chosen among the first this many pairs (a short decode from the start)


@dataclass(frozen=True)
class AlignmentEvent:
    """A change in the correspondence. ``ref_frame``/``dist_frame``: where it happens (for a
    drop, the first missing reference frame and the distorted frame where the reference
    resumes); ``count``: frames involved; ``offset``: the offset from here on (offset_change)."""

    type: str                  # dropped, repeated, inserted or offset_change
    ref_frame: int
    dist_frame: int
    count: int
    confidence: float
    offset: int | None = None
    previous_offset: int | None = None
    frozen: bool = False       # a drop where the distorted holds a frame instead (a freeze)

    def as_dict(self) -> dict:
        out = {"type": self.type, "ref_frame": self.ref_frame, "dist_frame": self.dist_frame,
               "count": self.count, "confidence": round(self.confidence, 3)}
        if self.type == "offset_change":
            out["offset"], out["previous_offset"] = self.offset, self.previous_offset
        if self.frozen:
            out["frozen"] = True
        return out

    def describe(self) -> str:
        sure = "" if self.confidence >= LOW_CONFIDENCE else ", LOW CONFIDENCE"
        n = self.count
        if self.type == "dropped":
            what = (f"reference frame{'s' if n > 1 else ''} {_span(self.ref_frame, n)} "
                    f"{'missing' if not self.frozen else 'replaced by a frozen frame'}"
                    f" (distorted resumes at {self.dist_frame})")
        elif self.type == "repeated":
            what = (f"distorted frame{'s' if n > 1 else ''} {_span(self.dist_frame, n)} repeat"
                    f"{'s' if n == 1 else ''} reference frame {self.ref_frame}")
        elif self.type == "inserted":
            what = (f"distorted frame{'s' if n > 1 else ''} {_span(self.dist_frame, n)} inserted "
                    f"after reference frame {self.ref_frame}")
        else:
            what = (f"offset {self.previous_offset:+d} -> {self.offset:+d} from reference frame "
                    f"{self.ref_frame} (distorted {self.dist_frame})")
        return f"{self.type}: {what} (confidence {self.confidence:.2f}{sure})"


@dataclass(frozen=True)
class Alignment:
    """The correspondence found. ``pairs``: (reference, distorted) frame numbers, one per
    matched reference frame (a repeated distorted frame is not paired again)."""

    reference_frames: int
    distorted_frames: int
    pairs: np.ndarray                      # (n, 2) int
    pair_confidence: np.ndarray            # (n,) float
    events: tuple[AlignmentEvent, ...]
    offset: int
    offset_confidence: float
    leading: int                           # distorted frames before the first match
    trailing: int                          # distorted frames after the last match
    sigma: float                           # typical distance of a match, 8-bit levels
    spatial: object = None                 # spatial.SpatialReport, when checked
    notes: tuple[str, ...] = field(default=())

    @property
    def is_identity(self) -> bool:
        """Frame i against frame i + offset throughout: --offset alone describes it."""
        return not self.events

    def uncertain_spans(self) -> list[tuple[int, int]]:
        """Reference frame ranges [a, b] whose pairing has low confidence."""
        low = self.pair_confidence < LOW_CONFIDENCE
        spans, start = [], None
        for k, flag in enumerate(low):
            if flag and start is None:
                start = k
            if start is not None and (not flag or k == len(low) - 1):
                end = k if flag else k - 1
                spans.append((int(self.pairs[start, 0]), int(self.pairs[end, 0])))
                start = None
        return spans

    def unscored(self) -> dict[int, str]:
        """Reference frames inside the matched range that have no counterpart, and why."""
        out = {}
        for ev in self.events:
            if ev.type != "dropped":
                continue
            why = ("frozen: the distorted clip holds the previous frame instead" if ev.frozen
                   else "dropped: not in the distorted clip")
            for r in range(ev.ref_frame, ev.ref_frame + ev.count):
                out[r] = why
        return out

    def as_dict(self) -> dict:
        out = {"offset": self.offset, "offset_confidence": round(self.offset_confidence, 3),
               "reference_frames": self.reference_frames, "distorted_frames": self.distorted_frames,
               "leading_unmatched": self.leading, "trailing_unmatched": self.trailing,
               "pairs": self.pairs.tolist(),
               "pair_confidence": [round(float(c), 3) for c in self.pair_confidence],
               "events": [e.as_dict() for e in self.events],
               "uncertain": [list(s) for s in self.uncertain_spans()],
               "sigma": round(self.sigma, 4)}
        if self.spatial is not None:
            out["spatial"] = self.spatial.as_dict()
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def summary(self) -> list[str]:
        """A few lines for the terminal."""
        first, last = self.pairs[0], self.pairs[-1]
        sure = "" if self.offset_confidence >= LOW_CONFIDENCE else ", LOW CONFIDENCE"
        lines = [f"offset {self.offset:+d} (confidence {self.offset_confidence:.2f}{sure}): reference "
                 f"{first[0]}-{last[0]} against distorted {first[1]}-{last[1]}, {len(self.pairs)} pairs"]
        if not self.events:
            lines.append("no dropped, repeated or inserted frames")
        lines += [ev.describe() for ev in self.events]
        for a, b in self.uncertain_spans():
            lines.append(f"uncertain: reference frames {a}-{b} look alike (a static picture) or like nothing "
                         "in the other clip (a badly spoiled stretch); paired at the same offset as a guess")
        if self.spatial is not None:
            lines += self.spatial.summary()
        lines += list(self.notes)
        return lines


def align_clips(reference, distorted, max_offset: int = DEFAULT_MAX_OFFSET, spatial: bool = True,
                cancel: threading.Event | None = None,
                on_progress: Callable[[int, int], None] | None = None) -> Alignment:
    """Align two opened MediaSources (see module doc). ``on_progress(done, total)`` counts
    decoded frames of both clips (called from the decoding threads)."""
    if max_offset < 0:
        raise ValueError("the offset band must not be negative")
    total = reference.info.frame_count + distorted.info.frame_count
    counter = _Counter(total, on_progress)
    results: list = [None, None]
    errors: list = []

    def run(k: int, source) -> None:
        try:
            results[k] = clip_signatures(source, cancel, counter.tick if on_progress else None)
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(k, s), name=f"vq-align-{k}", daemon=True)
               for k, s in enumerate((reference, distorted))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    if cancel is not None and cancel.is_set():
        raise InterruptedError("alignment cancelled")
    alignment = align_signatures(results[0], results[1], max_offset)
    if spatial:
        from vqinspect.app.scoring.spatial import check_pairs

        report = check_pairs(reference, distorted, spatial_samples(alignment))
        alignment = Alignment(**{**alignment.__dict__, "spatial": report})
    return alignment


def align_signatures(ref_signatures: np.ndarray, dist_signatures: np.ndarray,
                     max_offset: int = DEFAULT_MAX_OFFSET) -> Alignment:
    """The alignment of two clips given their signatures (``signatures.clip_signatures``)."""
    from vqinspect.app.shared.errors import PairingError

    try:
        path = match_path(ref_signatures, dist_signatures, max_offset)
    except ValueError as exc:
        raise PairingError(None, f"cannot align: {exc}") from None
    return _from_path(path, len(ref_signatures), len(dist_signatures))


def spatial_samples(alignment: Alignment) -> list[tuple[int, int]]:
    """A few confident pairs from the start (decoding there needs no seek), spread apart."""
    head = min(len(alignment.pairs), SPATIAL_WINDOW)
    order = np.argsort(-alignment.pair_confidence[:head], kind="stable")
    chosen: list[int] = []
    for k in order:
        if all(abs(int(k) - c) >= 4 for c in chosen):
            chosen.append(int(k))
        if len(chosen) == SPATIAL_SAMPLES:
            break
    return [tuple(int(v) for v in alignment.pairs[k]) for k in sorted(chosen)]


class _Counter:
    def __init__(self, total: int, callback):
        self.total, self.callback, self.done = total, callback, 0
        self._lock = threading.Lock()

    def tick(self, *_args) -> None:
        with self._lock:
            self.done += 1
            done = self.done
        self.callback(done, self.total)


def _frame_confidence(path: MatchPath) -> np.ndarray:
    """Per distorted frame: the path's certainty, capped by how distinct the picture is."""
    distinct = np.where(np.isnan(path.distinct), np.inf, path.distinct)
    return np.minimum(path.confidence, 1.0 - np.exp(-distinct / DISTINCT_SCALE))


def _from_path(path: MatchPath, n_ref: int, n_dist: int) -> Alignment:
    assigned, conf = _replaced_frames(path.assigned, _frame_confidence(path))
    matched = np.flatnonzero(assigned >= 0)
    if matched.size == 0:
        from vqinspect.app.shared.errors import PairingError

        raise PairingError(None, "cannot align: no distorted frame resembles any reference frame")
    events: list[AlignmentEvent] = []
    pairs: list[tuple[int, int]] = []
    pair_conf: list[float] = []
    pending: list[AlignmentEvent] = []   # events since the last pair, for an offset change
    last_r = last_d = None
    d = int(matched[0])
    end = int(matched[-1]) + 1
    while d < end:
        r = int(assigned[d])
        if r == INSERTED:
            run = _run_length(assigned, d, INSERTED)
            pending.append(AlignmentEvent("inserted", last_r, d, run, _min_conf(conf, d - 1, d + run)))
            d += run
            continue
        if r == last_r:
            run = _run_length(assigned, d, r)
            pending.append(AlignmentEvent("repeated", r, d, run, _min_conf(conf, last_d, d + run)))
            d += run
            continue
        if last_r is not None and r > last_r + 1:
            frozen = bool(pending) and pending[-1].type == "repeated" and pending[-1].ref_frame == last_r
            pending.append(AlignmentEvent("dropped", last_r + 1, d, r - last_r - 1,
                                          _min_conf(conf, d - 1, d), frozen=frozen))
        if last_r is not None and pending:
            events += pending
            offset, previous = d - r, last_d - last_r
            if offset != previous:
                events.append(AlignmentEvent("offset_change", r, d, 1, min(e.confidence for e in pending),
                                             offset, previous))
            pending = []
        pairs.append((r, d))
        pair_conf.append(float(conf[d]))
        last_r, last_d = r, d
        d += 1
    pairs_arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    pair_conf_arr = np.array(pair_conf)
    first_event = next((k for k, (r, _) in enumerate(pairs) if events and r >= events[0].ref_frame),
                       len(pairs))
    offset_conf = float(pair_conf_arr[:max(first_event, 1)].max())
    return Alignment(n_ref, n_dist, pairs_arr, pair_conf_arr, tuple(events), pairs[0][1] - pairs[0][0],
                     offset_conf, int(np.sum(assigned == LEADING)), int(np.sum(assigned == TRAILING)),
                     path.sigma)


def _replaced_frames(assigned: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distorted frames that look like nothing in the reference, exactly where as many reference
    frames are missing, are those reference frames spoiled (a stretch encoded far worse, a glitch),
    not k frames inserted and k dropped at one place: they are paired at the same offset, with no
    confidence, so that they are scored and shown as uncertain rather than reported as events."""
    assigned, conf = assigned.copy(), conf.copy()
    d = 1
    while d < len(assigned):
        if assigned[d] == INSERTED and assigned[d - 1] >= 0:
            run = _run_length(assigned, d, INSERTED)
            before = int(assigned[d - 1])
            if d + run < len(assigned) and assigned[d + run] == before + run + 1:
                assigned[d:d + run] = np.arange(before + 1, before + 1 + run)
                conf[d:d + run] = 0.0
            d += run
        else:
            d += 1
    return assigned, conf


def _run_length(assigned: np.ndarray, start: int, value: int) -> int:
    n = 1
    while start + n < len(assigned) and assigned[start + n] == value:
        n += 1
    return n


def _min_conf(conf: np.ndarray, lo: int, hi: int) -> float:
    """Least confidence over distorted frames lo..hi (clipped to the clip)."""
    lo, hi = max(lo, 0), min(hi, len(conf) - 1)
    return float(np.min(conf[lo:hi + 1]))


def _span(first: int, count: int) -> str:
    return str(first) if count == 1 else f"{first}-{first + count - 1}"


class MisalignmentCheck:
    """Signatures of the frames a scoring run decodes (``PairDecoder``'s ``watch``), to tell
    afterwards, cheaply, whether a nearby offset would have matched far better.

    Memory stays bounded however long the clip: once a reference frame's distorted
    neighbours (its counterpart +- NEARBY) are decoded, its distances to them are reduced to
    four numbers and the signatures no longer reachable are dropped (the two clips decode in
    step, so a few dozen signatures are held at any time)."""

    NEARBY = 10         # offsets tried either side of the one scored
    FAR_BETTER = 3.0    # the other offset's distance must be this many times smaller
    RUN = 3             # ... on at least this many frames

    def __init__(self, pair):
        """``pair``: the pair being scored, paired by its offset (not an automatic alignment)."""
        self.bit_depth = pair.bit_depth
        self.offset, self.start, self.stop = pair.offset, pair.start, pair.stop
        self._ref: dict[int, np.ndarray] = {}
        self._dist: dict[int, np.ndarray] = {}
        self._dist_seen = -1
        self._ref_seen = -1
        self._thumbs: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._frames = array("q")   # per reduced reference frame: its index,
        self._own = array("f")      # its distance at the scored offset,
        self._alt = array("f")      # the least distance at another offset,
        self._best = array("b")     # which offset (0 .. 2 * NEARBY),
        self._least = array("f")    # and the least distance of all

    def ref(self, index: int, planes: tuple) -> None:
        if self.start <= index < self.stop:
            signature = self._signature(planes[0])
            with self._lock:
                self._ref[index] = signature
                self._ref_seen = max(self._ref_seen, index)
                self._reduce(final=False)

    def dist(self, index: int, planes: tuple) -> None:
        signature = self._signature(planes[0])
        with self._lock:
            self._dist[index] = signature
            self._dist_seen = max(self._dist_seen, index)
            self._reduce(final=False)

    def _signature(self, luma: np.ndarray) -> np.ndarray:
        from vqinspect.app.scoring.signatures import SCALE, Thumbnailer

        thumb = self._thumbs.get(luma.shape)
        if thumb is None:  # one per decoding thread's frame size (both clips share the layout)
            thumb = self._thumbs[luma.shape] = Thumbnailer(luma.shape[1], luma.shape[0], self.bit_depth)
        return thumb(luma).reshape(-1).astype(np.float32) / SCALE

    def _reduce(self, final: bool) -> None:
        """Reduce the reference frames whose neighbours are all decoded (every one when
        ``final``), then drop the distorted signatures no waiting frame can reach."""
        from vqinspect.app.scoring.signatures import capped_distance

        for i in sorted(self._ref):
            centre = i + self.offset
            if not final and centre + self.NEARBY > self._dist_seen:
                break
            signature = self._ref.pop(i)
            if centre not in self._dist:
                continue
            row = np.full(2 * self.NEARBY + 1, np.inf, dtype=np.float32)
            near = [k for k in range(row.size) if centre - self.NEARBY + k in self._dist]
            neighbours = np.array([self._dist[centre - self.NEARBY + k] for k in near])
            row[near] = capped_distance(signature[None, :], neighbours)
            others = row.copy()
            others[self.NEARBY] = np.inf
            best = int(np.argmin(others))
            self._frames.append(i)
            self._own.append(row[self.NEARBY])
            self._alt.append(others[best])
            self._best.append(best)
            self._least.append(row.min())
        waiting = min(self._ref, default=max(self._ref_seen + 1, self.start))  # frames come in order
        reach = waiting + self.offset - self.NEARBY
        for d in [d for d in self._dist if d < reach]:
            del self._dist[d]

    def warning(self) -> str | None:
        """One line naming the likely offset, or None when the scored offset looks right."""
        with self._lock:
            self._reduce(final=True)
        if len(self._frames) < self.RUN:
            return None
        frames, own, alt = np.array(self._frames), np.array(self._own), np.array(self._alt)
        best = np.array(self._best)
        sigma = max(float(np.median(np.array(self._least))), 0.05)
        bad = (alt * self.FAR_BETTER < own) & (own > 4 * sigma)
        if bad.sum() < self.RUN:
            return None
        likely_k = int(np.argmax(np.bincount(best[bad], minlength=2 * self.NEARBY + 1)))
        hits = frames[bad & (best == likely_k)]
        if len(hits) < self.RUN:
            return None
        likely = self.offset + likely_k - self.NEARBY
        return (f"{len(hits)} of {len(frames)} reference frames ({hits[0]}-{hits[-1]}) match the distorted clip "
                f"far better at offset {likely:+d} than at {self.offset:+d}: the pair looks misaligned "
                f"(try --offset {likely} or --align auto)")
