"""The PQ (HDR10) preview against the oracle: ffmpeg's zscale + tonemap chain on the same
samples, and the clip tags that switch it on."""
from __future__ import annotations

import subprocess
from dataclasses import replace

import numpy as np
import pytest

from app import display
from app.display import ColorSpec
from app.media import open_media
from tests.hdr_clips import MASTERING_4000, H, W, graded_frame, hdr10_clip
from tests.oracle import ffmpeg_exe

ORACLE_CHAIN = ("zscale=tin=smpte2084:min=bt2020nc:pin=bt2020:rin=tv:t=linear:m=gbr:p=bt2020:r=full:npl=100,"
                "format=gbrpf32le,"
                "zscale=tin=linear:pin=bt2020:min=gbr:rin=full:t=linear:p=bt709:m=gbr:r=full,"
                "tonemap=tonemap=hable:desat=0{peak},"
                "zscale=tin=linear:pin=bt709:min=gbr:rin=full:t=bt709:p=bt709:m=gbr:r=full,format=gbrp")
PQ_SPEC = ColorSpec("bt2020", False, 10, transfer="pq", primaries="bt2020")


def _ffmpeg_chain(source: list[str], peak: str = "") -> np.ndarray:
    """RGB of ffmpeg's chain on ``source`` (input arguments); ``peak``: e.g. ":peak=25"."""
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", *source, "-frames:v", "1",
                          "-vf", ORACLE_CHAIN.format(peak=peak), "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    g, b, r = np.frombuffer(out, np.uint8).reshape(3, H, W)
    return np.stack([r, g, b], axis=-1)


def _oracle(planes: tuple[np.ndarray, ...], tmp_path, peak: str = "") -> np.ndarray:
    raw = tmp_path / "pq444.yuv"
    raw.write_bytes(b"".join(p.astype("<u2").tobytes() for p in planes))
    return _ffmpeg_chain(["-f", "rawvideo", "-pix_fmt", "yuv444p10le", "-s", f"{W}x{H}", "-i", str(raw)], peak)


@pytest.mark.parametrize("peak_nits, option", [(1000.0, ""),            # ffmpeg's default for no metadata
                                               (2500.0, ":peak=25")])
def test_the_pq_preview_matches_ffmpegs_tonemap_chain(tmp_path, peak_nits, option):
    planes = graded_frame()
    assert planes[0].max() > 750                                  # highlights well above 1000 nits
    ours = display.to_rgb(planes, replace(PQ_SPEC, peak_nits=peak_nits)).astype(int)
    theirs = _oracle(planes, tmp_path, option).astype(int)
    diff = np.abs(ours - theirs)
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.01
    assert ours.max() == 255 and ours.mean() > 60                 # the highlights reach white, the rest is lit


def test_pq_shown_as_coded_when_the_preview_is_off():
    planes = graded_frame()
    coded = display.to_rgb(planes, ColorSpec("bt2020", False, 10, transfer="pq", primaries="bt2020",
                                             hdr_preview=False))
    assert np.array_equal(coded, display.to_rgb(planes, ColorSpec("bt2020", False, 10)))
    assert not np.array_equal(coded, display.to_rgb(planes, PQ_SPEC))


def test_hdr10_tags_switch_the_preview_on():
    source = open_media(hdr10_clip())
    spec = display.color_spec(source.info, source.layout)
    assert (spec.transfer, spec.primaries, spec.matrix, spec.tone_mapped) == ("pq", "bt2020", "bt2020", True)
    assert spec.label == "BT.2020 limited range, 10-bit, PQ (HDR10), peak 1000 nits"   # no light level: 1000


@pytest.mark.parametrize("light, nits", [(f"master-display={MASTERING_4000}:max-cll=2500,400", 2500.0),
                                         (f"master-display={MASTERING_4000}:max-cll=0,0", 4000.0)])
def test_hdr10_light_level_sets_the_peak(light, nits):
    """MaxCLL, else the mastering display's peak (the order of ffmpeg's tonemap filter), as
    x265 wrote them into the stream; the preview maps that level to white."""
    source = open_media(hdr10_clip(light=light))
    assert source.info.peak_luminance == nits
    assert display.color_spec(source.info, source.layout).peak_nits == nits
