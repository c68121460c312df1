"""An HDR10 pair in the window: pictures are tone-mapped by default and Ctrl+H shows them
as coded; scores and the pixel inspector's code values do not change."""
from __future__ import annotations

import numpy as np

from vqinspect.app.display import screen
from tests.hdr_clips import hdr10_clip


def test_ctrl_h_switches_between_the_tone_mapped_and_the_coded_picture(make_window, qtbot):
    path = str(hdr10_clip())
    w = make_window()
    with qtbot.waitSignal(w.scoring_finished, timeout=60_000):
        w.open_paths(path, path)
    qtbot.waitUntil(lambda: w.view_area.images is not None, timeout=20_000)
    images = w.view_area.images
    spec = screen.color_spec(w.session.reference.info, w.session.reference.layout)
    assert spec.screen_conversion == "tone-map" and np.array_equal(images.ref_rgb, screen.to_rgb(images.ref_planes, spec))
    psnr = w.session.table.column("psnr_y").copy()

    w.commands["screen_preview"].trigger()
    assert not w.view_settings.screen_preview and "shown as coded" in w.message.text()
    qtbot.waitUntil(lambda: not w.view_area.images.request.screen_preview, timeout=20_000)
    coded = w.view_area.images
    assert np.array_equal(coded.ref_planes[0], images.ref_planes[0])
    assert np.array_equal(coded.ref_rgb, screen.to_rgb(coded.ref_planes, screen.ColorSpec("bt2020", False, 10)))
    assert not np.array_equal(coded.ref_rgb, images.ref_rgb)
    assert np.array_equal(w.session.table.column("psnr_y"), psnr)

    w.commands["screen_preview"].trigger()
    qtbot.waitUntil(lambda: w.view_area.images.request.screen_preview, timeout=20_000)
    assert np.array_equal(w.view_area.images.ref_rgb, images.ref_rgb)
