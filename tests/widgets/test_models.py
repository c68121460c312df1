"""The Qt-free models behind the window (session, view settings, viewport, playback clock),
the layering rule, and the PySide6 refcount guard."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from vqinspect.app.shared.errors import InputError
from vqinspect.app.media.source import open_media
from vqinspect.app.inspector.playback import PlaybackClock
from vqinspect.app.scoring.results import ScoreTable
from vqinspect.app.inspector.session import InspectorSession
from vqinspect.metrics.registry import higher_is_worse
from vqinspect.app.inspector.view_state import Viewport, ViewSettings


@pytest.fixture(scope="module")
def sources(pair_paths):
    return open_media(pair_paths[0]), open_media(pair_paths[1])


def test_session_pairs_seeks_and_clamps(sources):
    s = InspectorSession()
    seen = []
    s.frame_changed.connect(seen.append)
    s.set_sources(sources[0], None)
    assert s.pair is None
    s.set_sources(*sources)
    assert (s.first_frame, s.last_frame, s.frame) == (0, 9, 0)
    s.step(4)
    s.step(100)
    s.seek(-5)
    s.end()
    assert seen == [0, 4, 9, 0, 9]
    s.set_offset(3)
    assert s.pair.offset == 3 and s.last_frame == 6 and s.frame == 6
    with pytest.raises(InputError, match="no overlapping frames"):
        s.set_offset(-40)
    assert s.pair.offset == 3
    assert s.timecode(25) == "00:00:01:00"


def test_a_shorter_pair_clamps_the_frame_before_anyone_hears_of_it(sources, pair_paths_10bit):
    """At frame 9 of a 10-frame pair, open a 6-frame one: listeners of pair_changed already
    see a frame of the new pair (the transport looked up frame 9's time and crashed)."""
    s = InspectorSession()
    s.set_sources(*sources)
    s.end()
    seen = []
    s.pair_changed.connect(lambda pair: seen.append((s.frame, s.last_frame)))
    s.frame_changed.connect(lambda frame: seen.append(frame))
    s.set_sources(*(open_media(p) for p in pair_paths_10bit))
    assert seen == [(5, 5), 5] and s.frame == 5


def test_worst_frames_follow_each_keys_direction(sources):
    s = InspectorSession()
    s.set_sources(*sources)
    table = ScoreTable(0, 10, ["psnr_y", "motion2"])
    for i, v in enumerate([40, 38, 30, 45, np.nan, 31, 39, 41, 42, 43]):
        if np.isfinite(v):
            table.set_row(i, {"psnr_y": v, "motion2": float(i)})
    s.set_table(table)
    assert [f for f, _ in s.worst_frames("psnr_y", 3)] == [2, 5, 1]
    assert [f for f, _ in s.worst_frames("motion2", 2)] == [9, 8]
    assert higher_is_worse("motion2") and not higher_is_worse("vmaf") and not higher_is_worse("psnr_y")
    s.next_worst("psnr_y")
    assert s.frame == 2
    s.next_worst("psnr_y")
    assert s.frame == 5
    s.next_worst("psnr_y", -1)
    assert s.frame == 2
    s.next_worst("psnr_y", -1)
    assert s.frame == s.worst_frames("psnr_y")[-1][0]       # wraps around
    summary = s.summary()
    assert summary["psnr_y"]["min"] == 30 and summary["psnr_y"]["worst_frame"] == 2
    assert s.frame_scores(4) == {} and s.frame_scores(2)["psnr_y"] == 30


def test_view_settings_say_what_a_request_needs():
    v = ViewSettings()
    changes = []
    v.changed.connect(changes.append)
    assert v.diff_spec() is None and v.map_spec() is None
    v.set_mode("diff")
    v.set_diff_gain(8)
    assert v.diff_spec().gain == 8 and v.map_spec() is None
    v.set_map(("ssim", "ssim"))
    v.lock_levels((0.5, 1.0))
    v.set_mode("heatmap")
    assert v.diff_spec() is None and v.map_spec().levels == (0.5, 1.0)
    v.set_map(("psnr", "squared_error"))
    assert v.map_spec().levels is None                   # a new map starts unlocked
    v.set_wipe_position(1.7)
    assert v.wipe_position == 1.0
    with pytest.raises(ValueError):
        v.set_mode("cubism")
    assert changes[:3] == ["mode", "diff_gain", "map_key"]


def test_viewport_zooms_towards_a_point_pans_and_fits():
    vp = Viewport()
    vp.set_view_size(800, 600)
    vp.set_image_size(1920, 1080)
    assert vp.fitted and vp.scale == pytest.approx(800 / 1920)
    before = vp.view_to_image(100, 200)
    vp.zoom_at(2.0, 100, 200)
    assert vp.view_to_image(100, 200) == pytest.approx(before)
    assert not vp.fitted
    vp.pan(50, 0)
    assert vp.view_to_image(150, 200) == pytest.approx(before)
    vp.actual_size()
    assert vp.scale == 1.0
    for _ in range(40):
        vp.zoom_at(2.0, 0, 0)
    assert vp.scale == 64.0
    vp.fit()
    vp.set_view_size(1920, 1080)
    assert vp.scale == 1.0 and vp.center == (960.0, 540.0)


def test_playback_clock_drops_frames_instead_of_falling_behind():
    clock = PlaybackClock(25)
    clock.start(10, now=100.0)
    assert clock.advance(100.01) is None
    assert clock.advance(100.04) == 11
    assert clock.advance(100.20) == 15 and clock.dropped == 3     # 12, 13, 14 skipped
    assert clock.shown == 2 and clock.rate() == pytest.approx(10.0)


def test_many_qt_calls_do_not_exhaust_none_true_or_false():
    import vqinspect.widgets  # noqa: F401  (installs the guard)
    from PySide6.QtCore import QObject, QPoint, Signal

    class Emitter(QObject):
        fired = Signal(object)

    e = Emitter()
    e.fired.connect(lambda _: None)
    point = QPoint()
    for _ in range(20_000):           # each would drop a None or True reference on 6.12.0
        point.setX(1)
        e.fired.emit(None)
    assert sys.getrefcount(None) > 1_000 and sys.getrefcount(True) > 1_000
