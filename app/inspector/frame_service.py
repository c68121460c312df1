"""The visible frame, on demand: decode, convert for display and compute its maps, latest first.

The UI captures an immutable ``FrameRequest`` and submits it; one worker thread serves
requests in order of arrival but only ever keeps the newest waiting one, so a burst of
scrubbing costs one decode, not fifty. Results carry the request id; the frame stage
is delivered first (pictures), then the map stage, which is skipped when a newer
request is already waiting. While it works the service holds a ``PriorityGate`` that
the background scoring pass yields to.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from vqinspect.app.display import screen, heatmap
from vqinspect.app.shared.errors import InputError
from vqinspect.app.inspector.latest_request import LatestRequest
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.scoring.engine import colour_description
from vqinspect.app.scoring.pairing import ClipPair
from vqinspect.app.scoring.map_input import map_frame_input
from vqinspect.app.scoring.spatial import crop_planes
from vqinspect.metrics.registry import Metric

CACHE_BYTES = 256 * 2**20   # decoded planes per clip
RGB_ENTRIES = 8
MAP_ENTRIES = 8


@dataclass(frozen=True)
class DiffSpec:
    gain: float = 4.0
    kind: str = "luma"            # "luma" or "rgb"


@dataclass(frozen=True)
class MapSpec:
    metric: str
    map: str
    colormap: str = heatmap.DEFAULT_COLORMAP
    levels: tuple[float, float] | None = None   # None: automatic per frame


@dataclass(frozen=True)
class FrameRequest:
    """Everything needed to draw one frame, captured on the UI thread."""

    pair: ClipPair
    frame: int                    # reference frame index
    diff: DiffSpec | None = None
    heatmap: MapSpec | None = None
    prefetch: int = 0             # frames after this one to decode ahead while idle
    screen_preview: bool = True   # convert HDR10, HLG, BT.2020 for an SDR screen (vqinspect.app.display.hdr)
    id: int = 0                   # assigned by FrameService.submit

    @property
    def dist_frame(self) -> int:
        """The distorted frame shown: the pair's counterpart; for a reference frame an automatic
        alignment left without one (dropped), the nearest earlier frame's counterpart."""
        pair = self.pair
        for frame in range(self.frame, pair.start - 1, -1):
            matched = pair.counterpart(frame)
            if matched is not None:
                return matched
        return self.frame + pair.offset


@dataclass(frozen=True)
class FrameImages:
    """Stage one of a request: the planes and display pictures of both clips."""

    request: FrameRequest
    ref_planes: tuple = ()
    dist_planes: tuple = ()
    ref_rgb: np.ndarray | None = None
    dist_rgb: np.ndarray | None = None
    diff_rgb: np.ndarray | None = None
    error: str = ""


@dataclass(frozen=True)
class MapImage:
    """Stage two: one metric map of the frame, its colours and where it lies on the frame."""

    request: FrameRequest
    values: np.ndarray | None = None
    rgba: np.ndarray | None = None
    levels: tuple[float, float] = (0.0, 1.0)
    style: heatmap.MapStyle | None = None
    placement: heatmap.Placement | None = None
    error: str = ""


class PriorityGate:
    """Lets on-demand work go first: background work waits while the gate is held.

    ``pause_background(True)`` (playback) makes background work wait until it is
    turned off again, however long that takes.
    """

    def __init__(self):
        self._holders = 0
        self._paused = False
        self._cond = threading.Condition()

    @contextmanager
    def hold(self):
        with self._cond:
            self._holders += 1
        try:
            yield
        finally:
            with self._cond:
                self._holders -= 1
                self._cond.notify_all()

    def pause_background(self, paused: bool) -> None:
        with self._cond:
            self._paused = paused
            self._cond.notify_all()

    @property
    def busy(self) -> bool:
        return self._holders > 0 or self._paused

    @property
    def paused(self) -> bool:
        return self._paused

    def wait_idle(self, timeout: float = 1.0) -> bool:
        """Block while held or paused, at most ``timeout`` seconds; True if the gate is free."""
        with self._cond:
            return self._cond.wait_for(lambda: self._holders == 0 and not self._paused, timeout)


class FrameService:
    """One worker thread serving the newest ``FrameRequest``; see the module doc.

    Caches are keyed by the source objects themselves (identity), which keeps a closed
    pair's sources alive only as long as their entries stay in the small caches.

    ``on_frame(FrameImages)`` and ``on_map(MapImage)`` are called from the worker thread.
    ``map_metrics`` maps a metric name to the Metric that draws its maps.
    """

    def __init__(self, map_metrics: dict[str, Metric], on_frame: Callable[[FrameImages], None],
                 on_map: Callable[[MapImage], None], gate: PriorityGate | None = None,
                 cache_bytes: int = CACHE_BYTES):
        self.map_metrics = dict(map_metrics)
        self.on_frame, self.on_map = on_frame, on_map
        self.gate = gate or PriorityGate()
        self._cache_bytes = cache_bytes
        self._requests = LatestRequest()
        self._readers_key = None
        self._readers = None
        self._caches: dict[tuple, FrameCache] = {}
        self._rgb = {"ref": OrderedDict(), "dist": OrderedDict()}
        self._dist_worker = ThreadPoolExecutor(1, thread_name_prefix="vq-frames-dist")
        self._maps: OrderedDict = OrderedDict()
        self._thread = threading.Thread(target=self._run, name="vq-frames", daemon=True)
        self._thread.start()

    def submit(self, request: FrameRequest) -> FrameRequest:
        """Queue ``request`` in place of any waiting one; returns it with its id."""
        return self._requests.submit(request)

    @property
    def superseded(self) -> bool:
        """Whether a newer request is waiting (checked between stages)."""
        return self._requests.waiting

    def close(self, timeout: float | None = 10.0) -> bool:
        """Stop the worker (after its current step); True if it ended within ``timeout``."""
        self._requests.close()
        self._thread.join(timeout)
        self._dist_worker.shutdown(wait=not self._thread.is_alive())
        return not self._thread.is_alive()

    def _run(self) -> None:
        screen.warm_up()
        try:
            while (request := self._requests.take()) is not None:
                with self.gate.hold():
                    self._serve(request)
                    self._prefetch(request)
        finally:
            self._close_readers()

    def _serve(self, request: FrameRequest) -> None:
        try:
            images = self._frame_stage(request)
        except (InputError, IndexError, ValueError) as exc:
            self.on_frame(FrameImages(request, error=str(exc)))
            return
        self.on_frame(images)
        if request.heatmap is not None and not self.superseded:
            self.on_map(self._map_stage(request, images))

    def _prefetch(self, request: FrameRequest) -> None:
        """Decode and convert the next frames into the caches (playback, stepping),
        stopping as soon as a new request arrives."""
        for frame in range(request.frame + 1, min(request.frame + 1 + request.prefetch, request.pair.stop)):
            if self.superseded or self._requests.closed:
                return
            try:
                ahead = replace(request, frame=frame, diff=None, heatmap=None)
                self._advance_decoders(ahead)
                self._frame_stage(ahead)
            except (InputError, IndexError, ValueError):
                return

    def _advance_decoders(self, request: FrameRequest) -> None:
        """Keep both decoders moving while the frames ahead come from the cache."""
        ref_reader, dist_reader = self._readers_for(request.pair)
        self._on_both(lambda: ref_reader.advance(request.frame),
                      lambda: dist_reader.advance(request.dist_frame))

    def _on_both(self, on_ref: Callable[[], object], on_dist: Callable[[], object]) -> tuple:
        """(on_ref(), on_dist()), the distorted side in the helper thread meanwhile: each
        reader and picture cache is only ever used by one thread."""
        dist_job = self._dist_worker.submit(on_dist)
        try:
            ref = on_ref()
        finally:
            dist = dist_job.result()
        return ref, dist

    def _frame_stage(self, request: FrameRequest) -> FrameImages:
        """Both clips' planes and pictures (see ``_on_both``)."""
        pair = request.pair
        ref_reader, dist_reader = self._readers_for(pair)
        ref_spec, dist_spec = screen.pair_color_specs(pair, request.screen_preview)
        (ref, ref_rgb), (dist, dist_rgb) = self._on_both(
            lambda: self._picture("ref", ref_reader, request.frame, (pair.reference,), ref_spec,
                                  pair.crop and pair.crop.reference),
            lambda: self._picture("dist", dist_reader, request.dist_frame, (pair.distorted, pair.conform),
                                  dist_spec, pair.crop and pair.crop.distorted))
        diff = None
        if request.diff is not None:
            diff = screen.difference(ref, dist, ref_rgb, dist_rgb, request.diff.gain,
                                      request.diff.kind, pair.bit_depth)
        return FrameImages(request, ref, dist, ref_rgb, dist_rgb, diff)

    def _map_stage(self, request: FrameRequest, images: FrameImages) -> MapImage:
        spec = request.heatmap
        metric = self.map_metrics.get(spec.metric)
        if metric is None or spec.map not in metric.maps:
            return MapImage(request, error=f"no map {spec.map!r} from metric {spec.metric!r}")
        pair = request.pair
        key = (pair.reference, pair.distorted, request.dist_frame, pair.crop, request.frame, spec.metric, spec.map)
        values = self._maps.get(key)
        if values is None:
            try:
                values = self._compute_map(metric, spec.map, request, images)
            except Exception as exc:  # a metric's failure is shown to the user, never fatal
                return MapImage(request, error=f"{spec.metric} {spec.map} map: {exc}")
            _remember(self._maps, key, values, MAP_ENTRIES)
        style = heatmap.map_style(spec.map)
        levels = spec.levels or heatmap.auto_levels(values, style)
        rgba = heatmap.colorize(values, heatmap.colormap(spec.colormap), levels,
                                reverse=not style.higher_is_worse)
        w, h = images.ref_planes[0].shape[1], images.ref_planes[0].shape[0]
        return MapImage(request, values, rgba, levels, style, heatmap.placement((w, h), values.shape))

    def _compute_map(self, metric: Metric, name: str, request: FrameRequest,
                     images: FrameImages) -> np.ndarray:
        crop = request.pair.crop and request.pair.crop.reference
        reader = self._readers_for(request.pair)[0]
        frame = map_frame_input(metric, request.frame, images.ref_planes, images.dist_planes,
                                request.pair.bit_depth, lambda k: crop_planes(reader.frame(k), crop),
                                colour_description(request.pair.reference))
        return np.asarray(metric.compute_map(frame, name), dtype=np.float32)

    def _readers_for(self, pair: ClipPair):
        key = (pair.reference, pair.distorted, pair.conform)
        if key != self._readers_key:
            self._close_readers()
            ref_cache = self._cache(pair.reference)
            dist_cache = self._cache(pair.distorted, pair.conform)
            self._readers = pair.readers(ref_cache, dist_cache)
            self._readers_key = key
        return self._readers

    def _cache(self, source, conform=None) -> FrameCache:
        """The decoded-frame cache of a source (kept while the source stays open)."""
        key = (source, conform)
        if key not in self._caches:
            if len(self._caches) >= 4:
                self._caches.clear()
            self._caches[key] = FrameCache(self._cache_bytes)
        return self._caches[key]

    def _picture(self, side: str, reader, index: int, source_key: tuple, spec: screen.ColorSpec, rect=None):
        """(planes, display RGB) of frame ``index`` (inside the window ``rect``, a spatial.Rect);
        RGB is kept for recently shown frames."""
        planes = reader.frame(index)
        if rect is not None:
            planes = tuple(np.ascontiguousarray(p) for p in crop_planes(planes, rect))
        cache = self._rgb[side]
        key = (*source_key, index, spec, rect)
        rgb = cache.get(key)
        if rgb is None:
            rgb = screen.to_rgb(planes, spec)
            _remember(cache, key, rgb, RGB_ENTRIES)
        return planes, rgb

    def _close_readers(self) -> None:
        if self._readers is not None:
            for reader in self._readers:
                reader.close()
        self._readers, self._readers_key = None, None


def _remember(cache: OrderedDict, key, value, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)
