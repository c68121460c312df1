"""The scope service: the figure of a real frame's planes, latest request wins, the gate is held."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from vqinspect.app.display import scopes
from vqinspect.app.display.screen import pair_color_specs
from vqinspect.app.inspector.frame_service import PriorityGate
from vqinspect.app.inspector.scope_service import ScopeRequest, ScopeService
from vqinspect.app.media.source import open_media
from vqinspect.app.scoring.pairing import make_pair
from tests.clips import clip, lossless

TIMEOUT = 30.0


@pytest.fixture(scope="module")
def frames():
    """(pair, [(ref planes, dist planes)] of its first four frames)."""
    pair = make_pair(open_media(lossless(frames=4, size=(320, 180))),
                     open_media(clip(codec="libx264", frames=4, size=(320, 180), crf=35)))
    ref, dist = pair.readers()
    try:
        return pair, [(ref.frame(i), dist.frame(i)) for i in range(4)]
    finally:
        ref.close()
        dist.close()


def request(pair, planes, frame, kind="waveform", layout="side-by-side"):
    ref_spec, dist_spec = pair_color_specs(pair)
    return ScopeRequest(kind, layout, frame, *planes, ref_spec, dist_spec, pair)


class Blocking:
    """Collects results; the first call waits for ``release`` (the worker is then busy)."""

    def __init__(self):
        self.results, self.started, self.release = [], threading.Event(), threading.Event()
        self.cond = threading.Condition()

    def __call__(self, result):
        if not self.results:
            self.started.set()
            self.release.wait(TIMEOUT)
        with self.cond:
            self.results.append(result)
            self.cond.notify_all()

    def wait(self, predicate):
        with self.cond:
            assert self.cond.wait_for(lambda: predicate(self.results), TIMEOUT), "timed out"


def test_figure_is_the_scope_of_both_clips(frames):
    pair, planes = frames
    got = Blocking()
    got.release.set()
    service = ScopeService(got)
    try:
        service.submit(request(pair, planes[2], 2, "vectorscope"))
        got.wait(lambda r: r)
    finally:
        assert service.close()
    result = got.results[0]
    assert not result.error and result.request.frame == 2
    spec, _ = pair_color_specs(pair)
    (_, (ref_panel,)), (_, (dist_panel,)) = result.figure.columns
    for panel, side in ((ref_panel, planes[2][0]), (dist_panel, planes[2][1])):
        counts = scopes.vectorscope(side, spec)
        np.testing.assert_array_equal(panel.image.any(axis=2), counts > 0)


def test_latest_request_wins(frames):
    pair, planes = frames
    got = Blocking()
    gate = PriorityGate()
    service = ScopeService(got, gate)
    try:
        service.submit(request(pair, planes[0], 0))
        assert got.started.wait(TIMEOUT)              # the worker is busy delivering frame 0
        for i in (1, 2, 3):
            last = service.submit(request(pair, planes[i], i, "histogram", "overlay"))
        got.release.set()
        got.wait(lambda r: any(x.request.id == last.id for x in r))
    finally:
        assert service.close()
    assert [r.request.frame for r in got.results] == [0, 3]      # 1 and 2 never started
    assert got.results[1].figure.kind == "histogram" and got.results[1].figure.layout == "overlay"
    assert not gate.busy


def test_a_gray_clip_has_no_vectorscope_and_says_so(frames):
    pair, planes = frames
    got = Blocking()
    got.release.set()
    service = ScopeService(got)
    try:
        gray = ((planes[0][0][0],), (planes[0][1][0],))
        service.submit(request(pair, gray, 0, "vectorscope"))
        got.wait(lambda r: r)
    finally:
        assert service.close()
    assert "no chroma" in got.results[0].error and got.results[0].figure is None


def test_unknown_scope_is_an_error_not_a_dead_thread(frames):
    pair, planes = frames
    got = Blocking()
    got.release.set()
    service = ScopeService(got)
    try:
        service.submit(request(pair, planes[0], 0, "oscilloscope"))
        got.wait(lambda r: r)
        service.submit(request(pair, planes[1], 1, "parade"))
        got.wait(lambda r: len(r) == 2)
    finally:
        assert service.close()
    assert "unknown scope" in got.results[0].error
    assert got.results[1].figure.kind == "parade"          # the thread lived on
