"""The window's Deinterlace Both Clips, at the session: re-paired through FFmpeg's bwdif, the
interlacing warning gone while it is on, and back as coded when it is off."""
from __future__ import annotations

import numpy as np
import pytest

from tests.app.media.lying_clips import SIZE, frames_of, interlaced_h264
from vqinspect.app.inspector.session import InspectorSession
from vqinspect.app.media.source import open_media


@pytest.fixture(scope="module")
def tff(tmp_path_factory):
    return interlaced_h264(tmp_path_factory.mktemp("interlaced") / "tff.mp4")


def _luma(pair, frame):
    with pair.reference.reader() as reader:
        return reader.frame(frame)[0].copy()


def test_deinterlacing_re_pairs_both_clips_through_bwdif_and_back(tff):
    session = InspectorSession()
    paired = []
    session.pair_changed.connect(paired.append)
    session.set_sources(open_media(tff), open_media(tff), 0)
    assert any("is interlaced (tff)" in note for note in session.pair.notes)
    coded = _luma(session.pair, 3)

    session.set_deinterlace(True)
    assert session.deinterlace and len(paired) == 2
    notes = session.pair.notes
    assert "both clips deinterlaced (FFmpeg bwdif, one frame per frame)" in notes
    assert not any("interlaced (tff)" in note for note in notes)            # the warning is answered
    oracle = frames_of(tff, *SIZE, "bwdif=mode=send_frame:parity=auto:deint=all")
    np.testing.assert_array_equal(_luma(session.pair, 3), oracle[3])
    assert all(s.transform.deinterlace for s in (session.pair.reference, session.pair.distorted))

    session.set_deinterlace(True)                                            # no change, no re-pairing
    assert len(paired) == 2
    session.set_deinterlace(False)
    assert not session.deinterlace and len(paired) == 3
    np.testing.assert_array_equal(_luma(session.pair, 3), coded)
    assert any("is interlaced (tff)" in note for note in session.pair.notes)


def test_the_setting_waits_for_a_pair(tff):
    session = InspectorSession()
    session.set_deinterlace(True)
    assert session.pair is None and session.deinterlace
    session.set_sources(open_media(tff), open_media(tff), 0)
    assert "both clips deinterlaced (FFmpeg bwdif, one frame per frame)" in session.pair.notes
