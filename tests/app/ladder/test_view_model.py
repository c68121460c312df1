"""The window's ladder model (Qt-free): curves per resolution / group, the hull, the order ``[``
and ``]`` walk, the log-rate ticks and the overlays, on a hand-written ladder."""
from __future__ import annotations

import math

import numpy as np
import pytest

from vqinspect.app.ladder.ladder import Encode, Ladder
from vqinspect.app.ladder.view_model import (BY_BOTH, BY_GROUP, BY_RESOLUTION, chart_curves, default_mode, describe,
                                             hull_encodes, log_ticks, neighbour, overlay_scores, rate_text,
                                             walk_order)
from vqinspect.app.scoring.imports import ImportedScores


def _encode(label, group, height, kbps, psnr, hull=False, error=""):
    return Encode(f"/clips/{label}.mp4", label, group, "h264", height * 16 // 9, height, kbps,
                  {} if error else {"psnr_y": {"mean": psnr}}, {"psnr_y": hull}, error=error,
                  scores="" if error else f"/scores/{label}.json")


@pytest.fixture
def ladder():
    return Ladder({"path": "/clips/ref.mkv"}, ["psnr"], [
        _encode("a-720-hi", "a", 720, 3000.0, 42.0, hull=True),
        _encode("a-360-lo", "a", 360, 400.0, 33.0, hull=True),
        _encode("a-720-lo", "a", 720, 1200.0, 37.0),
        _encode("b-360-hi", "b", 360, 900.0, 38.0, hull=True),
        _encode("b-720-mid", "b", 720, 900.0, 36.5),
        _encode("broken", "b", 720, None, math.nan, error="cannot decode"),
    ], keys=["psnr_y"])


def _labels(encodes):
    return [e.label for e in encodes]


def test_curves_per_resolution_group_or_both(ladder):
    by_size = chart_curves(ladder, "psnr_y", BY_RESOLUTION)
    assert [c.name for c in by_size] == ["1280x720", "640x360"]
    assert [_labels(c.encodes) for c in by_size] == [["b-720-mid", "a-720-lo", "a-720-hi"], ["a-360-lo", "b-360-hi"]]
    assert by_size[0].points("psnr_y") == ([900.0, 1200.0, 3000.0], [36.5, 37.0, 42.0])
    by_group = chart_curves(ladder, "psnr_y", BY_GROUP)
    assert [(c.name, _labels(c.encodes)) for c in by_group] == [("a", ["a-360-lo", "a-720-lo", "a-720-hi"]),
                                                                ("b", ["b-360-hi", "b-720-mid"])]   # a tie: lower resolution first
    assert [c.name for c in chart_curves(ladder, "psnr_y", BY_BOTH)] == ["a 1280x720", "a 640x360",
                                                                          "b 1280x720", "b 640x360"]
    assert default_mode(ladder) == BY_GROUP
    ladder.encodes = [e for e in ladder.encodes if e.group == "a"]
    assert default_mode(ladder) == BY_RESOLUTION


def test_the_hull_is_what_the_json_marks(ladder):
    assert _labels(hull_encodes(ladder, "psnr_y")) == ["a-360-lo", "b-360-hi", "a-720-hi"]


def test_brackets_walk_every_group_by_bitrate_lower_resolution_first_on_ties(ladder):
    order = walk_order(ladder)
    assert _labels(order) == ["a-360-lo", "b-360-hi", "b-720-mid", "a-720-lo", "a-720-hi"]   # "broken" left out
    assert neighbour(order, "/clips/b-360-hi.mp4", 1).label == "b-720-mid"
    assert neighbour(order, "/clips/b-360-hi.mp4", -1).label == "a-360-lo"
    assert neighbour(order, "/clips/a-720-hi.mp4", 1) is None and neighbour(order, "/clips/a-360-lo.mp4", -1) is None
    assert neighbour(order, "/elsewhere/other.mp4", 1).label == "a-360-lo"      # from outside: the ends
    assert neighbour(order, None, -1).label == "a-720-hi"
    assert neighbour([], None, 1) is None


def test_log_rate_ticks():
    assert log_ticks(46.2, 538.3) == ([50, 100, 200, 500], [60, 70, 80, 90, 300, 400])
    major, minor = log_ticks(900, 3000)
    assert major == [900, 1000, 2000, 3000] and minor == []                      # too narrow for 1-2-5: every integer
    assert log_ticks(0, 10) == ([], []) and log_ticks(5, 5) == ([], [])
    assert [rate_text(v) for v in (0.5, 2, 50, 1500, 20000)] == ["0.5", "2", "50", "1500", "20000"]


def test_hover_text_names_the_encode_and_each_key(ladder):
    text = describe(ladder.encodes[0], ["psnr_y"], "psnr_y")
    assert text.splitlines() == ["a-720-hi", "a · 1280x720 · h264", "3000.0 kbit/s", "▸ psnr_y 42.000  on hull"]


def test_an_overlay_keeps_the_chosen_key_and_names_the_encode(ladder):
    frames = np.arange(3)
    imported = ImportedScores("/scores/a-720-hi.json", "vqinspect", "vqinspect-json", frames,
                              {"psnr_y": np.array([41.0, 42.0, 43.0]), "ssim": np.array([0.9, 0.95, 0.97])})
    overlay = overlay_scores(imported, ladder.encodes[0], "psnr_y")
    assert overlay.keys == ["psnr_y"] and overlay.label == "a-720-hi 3000 kbit/s"
    assert overlay.path == imported.path and list(overlay.to_table().column("psnr_y")) == [41.0, 42.0, 43.0]
    assert imported.keys == ["psnr_y", "ssim"]                                  # the read file is left whole
