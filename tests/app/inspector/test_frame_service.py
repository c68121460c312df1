"""The on-demand frame service: right pictures, latest request wins, stale work dropped."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from vqinspect.app.display import screen
from vqinspect.app.inspector.frame_service import (DiffSpec, FrameRequest, FrameService, MapSpec, PriorityGate)
from vqinspect.app.display.screen import pair_color_specs
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from vqinspect.metrics.registry import Metric, get_metric
from tests.clips import clip, lossless

SMALL = (320, 180)
TIMEOUT = 30.0


@pytest.fixture(scope="module")
def pair():
    ref = open_media(lossless(frames=10, size=SMALL))
    dist = open_media(clip(codec="libx264", frames=10, size=SMALL, crf=35))
    return make_pair(ref, dist)


class Collector:
    """Records service callbacks; ``wait`` blocks until a condition over them holds."""

    def __init__(self):
        self.frames, self.maps = [], []
        self.cond = threading.Condition()

    def on_frame(self, images):
        with self.cond:
            self.frames.append(images)
            self.cond.notify_all()

    def on_map(self, map_image):
        with self.cond:
            self.maps.append(map_image)
            self.cond.notify_all()

    def wait(self, predicate):
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self), TIMEOUT), "timed out"


class BlockingMap:
    """A metric whose map waits for ``release`` on chosen frames and counts its calls."""

    def __init__(self, block_frames=()):
        self.block_frames = set(block_frames)
        self.started = threading.Event()
        self.release = threading.Event()
        self.calls = []

    def metric(self) -> Metric:
        def compute_map(frame, name):
            self.calls.append(frame.index)
            if frame.index in self.block_frames:
                self.started.set()
                self.release.wait(TIMEOUT)
            return np.full((18, 32), float(frame.index), np.float32)

        return Metric(name="fake", keys=("fake",), score=lambda f: {"fake": 0.0}, maps=("level",),
                      compute_map=compute_map)


@pytest.fixture
def service_factory():
    services = []

    def make(metrics, gate=None):
        c = Collector()
        s = FrameService(metrics, c.on_frame, c.on_map, gate)
        services.append(s)
        return s, c

    yield make
    for s in services:
        assert s.close()


def test_frames_are_the_decoded_planes_and_their_display_rgb(pair, service_factory):
    offset_pair = make_pair(pair.reference, pair.distorted, offset=2)
    service, c = service_factory({})
    req = service.submit(FrameRequest(offset_pair, 5, DiffSpec(4.0, "luma")))
    c.wait(lambda c: c.frames)
    images = c.frames[0]
    assert images.request.id == req.id and not images.error
    ref = pair.reference.reader().frame(5)
    dist = pair.distorted.reader().frame(7)
    assert all(np.array_equal(a, b) for a, b in zip(images.ref_planes, ref))
    assert all(np.array_equal(a, b) for a, b in zip(images.dist_planes, dist))
    ref_spec, _ = pair_color_specs(offset_pair)
    assert np.array_equal(images.ref_rgb, screen.to_rgb(ref, ref_spec))
    expected = np.minimum(np.abs(ref[0].astype(int) - dist[0].astype(int)) * 4, 255)
    assert np.array_equal(images.diff_rgb[..., 1], expected)


def test_real_map_is_computed_coloured_and_placed(pair, service_factory):
    ssim = get_metric("ssim")
    service, c = service_factory({"ssim": ssim})
    service.submit(FrameRequest(pair, 3, heatmap=MapSpec("ssim", "ssim", "viridis")))
    c.wait(lambda c: c.maps)
    m = c.maps[0]
    assert not m.error and m.values.dtype == np.float32
    assert m.rgba.shape == m.values.shape + (4,)
    assert m.placement.x == 5.0 and m.levels[0] < m.levels[1] <= 1.0
    assert not m.style.higher_is_worse
    assert m.values.mean() == pytest.approx(ssim.score(_frame(pair, 3))["ssim"], abs=1e-4)


def _frame(pair, i):
    from vqinspect.metrics.registry import FrameInput

    ref, dist = pair.readers()
    return FrameInput(ref.frame(i), dist.frame(i), pair.bit_depth, i)


def test_latest_request_wins_and_superseded_ones_are_dropped(pair, service_factory):
    fake = BlockingMap(block_frames={1})
    service, c = service_factory({"fake": fake.metric()})
    spec = MapSpec("fake", "level")
    service.submit(FrameRequest(pair, 1, heatmap=spec))
    assert fake.started.wait(TIMEOUT)              # the worker is busy with frame 1's map
    for i in (2, 3, 4, 5):
        last = service.submit(FrameRequest(pair, i, heatmap=spec))
    fake.release.set()
    c.wait(lambda c: any(m.request.id == last.id for m in c.maps))
    assert [f.request.frame for f in c.frames] == [1, 5]     # 2, 3 and 4 never started
    assert [m.request.frame for m in c.maps] == [1, 5]
    assert fake.calls == [1, 5]
    assert c.maps[-1].values[0, 0] == 5.0


def test_a_map_is_skipped_when_a_newer_request_is_waiting(pair, service_factory):
    fake = BlockingMap()
    holder = {}

    service, c = service_factory({"fake": fake.metric()})

    def on_frame(images):
        c.on_frame(images)
        if images.request.frame == 1:       # the user moves on while frame 1 is drawn
            holder["next"] = service.submit(FrameRequest(pair, 2, heatmap=MapSpec("fake", "level")))

    service.on_frame = on_frame
    service.submit(FrameRequest(pair, 1, heatmap=MapSpec("fake", "level")))
    c.wait(lambda c: c.maps)
    assert [m.request.frame for m in c.maps] == [2] and fake.calls == [2]


def test_maps_are_cached_per_frame(pair, service_factory):
    fake = BlockingMap()
    service, c = service_factory({"fake": fake.metric()})
    for colormap in ("inferno", "viridis", "inferno"):
        req = service.submit(FrameRequest(pair, 4, heatmap=MapSpec("fake", "level", colormap)))
        c.wait(lambda c, req=req: any(m.request.id == req.id for m in c.maps))
    assert fake.calls == [4] and len(c.maps) == 3


def test_errors_come_back_as_messages(pair, service_factory):
    def broken(frame, name):
        raise ValueError("kernel says no")

    bad = Metric(name="bad", keys=("bad",), score=lambda f: {}, maps=("m",), compute_map=broken)
    service, c = service_factory({"bad": bad})
    service.submit(FrameRequest(pair, 0, heatmap=MapSpec("bad", "m")))
    c.wait(lambda c: len(c.maps) == 1)
    assert c.maps[0].error == "bad m map: kernel says no"
    service.submit(FrameRequest(pair, 0, heatmap=MapSpec("missing", "m")))
    c.wait(lambda c: len(c.maps) == 2)
    assert c.maps[1].error == "no map 'm' from metric 'missing'"
    service.submit(FrameRequest(pair, 99))
    c.wait(lambda c: c.frames[-1].request.frame == 99)
    assert "outside" in c.frames[-1].error and c.frames[-1].ref_rgb is None


def test_the_gate_is_held_while_working_and_free_after(pair, service_factory):
    fake = BlockingMap(block_frames={6})
    gate = PriorityGate()
    service, c = service_factory({"fake": fake.metric()}, gate)
    service.submit(FrameRequest(pair, 6, heatmap=MapSpec("fake", "level")))
    assert fake.started.wait(TIMEOUT)
    assert gate.busy and not gate.wait_idle(0.05)
    fake.release.set()
    c.wait(lambda c: c.maps)
    assert gate.wait_idle(TIMEOUT) and not gate.busy


def test_close_stops_the_worker_thread(pair):
    c = Collector()
    service = FrameService({}, c.on_frame, c.on_map)
    service.submit(FrameRequest(pair, 0))
    assert service.close()
    time.sleep(0.01)
    assert not any(t.name == "vq-frames" for t in threading.enumerate())
