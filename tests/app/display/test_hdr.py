"""Pictures for an SDR screen against the oracle, ffmpeg's zscale (+ tonemap) chains on the
same samples: HDR10 tone mapping, BT.2020 primaries; and the clip tags that switch them on."""
from __future__ import annotations

import subprocess
from dataclasses import replace

import av
import numpy as np
import pytest

from vqinspect.app.display import screen
from vqinspect.app.display.screen import ColorSpec
from vqinspect.app.media.footage import footage_path
from vqinspect.app.media.source import open_media
from tests.hdr_clips import MASTERING_4000, H, W, graded_frame, hdr10_clip
from tests.oracle import ffmpeg_exe

ORACLE_CHAIN = ("zscale=tin=smpte2084:min=bt2020nc:pin=bt2020:rin=tv:t=linear:m=gbr:p=bt2020:r=full:npl=100,"
                "format=gbrpf32le,"
                "zscale=tin=linear:pin=bt2020:min=gbr:rin=full:t=linear:p=bt709:m=gbr:r=full,"
                "tonemap=tonemap=hable:desat=0{peak},"
                "zscale=tin=linear:pin=bt709:min=gbr:rin=full:t=bt709:p=bt709:m=gbr:r=full,format=gbrp")
PQ_SPEC = ColorSpec("bt2020", False, 10, transfer="pq", primaries="bt2020")


def _oracle(planes: tuple[np.ndarray, ...], tmp_path, chain: str) -> np.ndarray:
    """RGB of ffmpeg's filter ``chain`` on 10-bit 4:4:4 planes."""
    raw = tmp_path / "frame.yuv"
    raw.write_bytes(b"".join(p.astype("<u2").tobytes() for p in planes))
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt",
                          "yuv444p10le", "-s", f"{W}x{H}", "-i", str(raw), "-vf", chain, "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    g, b, r = np.frombuffer(out, np.uint8).reshape(3, H, W)
    return np.stack([r, g, b], axis=-1)


@pytest.mark.parametrize("peak_nits, option", [(1000.0, ""),            # ffmpeg's default for no metadata
                                               (2500.0, ":peak=25")])
def test_the_pq_preview_matches_ffmpegs_tonemap_chain(tmp_path, peak_nits, option):
    planes = graded_frame()
    assert planes[0].max() > 750                                  # highlights well above 1000 nits
    ours = screen.to_rgb(planes, replace(PQ_SPEC, peak_nits=peak_nits)).astype(int)
    theirs = _oracle(planes, tmp_path, ORACLE_CHAIN.format(peak=option)).astype(int)
    diff = np.abs(ours - theirs)
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.01
    assert ours.max() == 255 and ours.mean() > 60                 # the highlights reach white, the rest is lit


def _bt2020_sdr(rgb: np.ndarray) -> tuple[np.ndarray, ...]:
    """An 8-bit BT.709 picture re-expressed in BT.2020 primaries (BT.1886 light), 10-bit
    limited-range Y'CbCr 4:4:4: what a UHD SDR master of it holds."""
    to_2020 = np.array([[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]])
    r, g, b = np.moveaxis(((rgb / 255.0) ** 2.4 @ to_2020.T) ** (1 / 2.4), -1, 0)
    kr, kb = 0.2627, 0.0593
    y = kr * r + (1 - kr - kb) * g + kb * b
    cb, cr = (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))
    return tuple(np.round(p).astype(np.uint16) for p in (64 + 876 * y, 512 + 896 * cb, 512 + 896 * cr))


def test_bt2020_sdr_is_converted_to_bt709_primaries_as_ffmpeg_does(tmp_path):
    """No tone mapping: BT.1886 light, BT.2020 -> BT.709, BT.1886 again (zscale's chain). A
    BT.709 picture expressed in BT.2020 comes back as it was."""
    with av.open(str(footage_path())) as src:
        original = next(src.decode(video=0)).to_ndarray(format="rgb24", width=W, height=H)
    planes = _bt2020_sdr(original)
    chain = ("zscale=tin=bt2020-10:min=bt2020nc:pin=bt2020:rin=tv:t=linear:m=gbr:p=bt2020:r=full,"
             "format=gbrpf32le,zscale=tin=linear:pin=bt2020:min=gbr:rin=full:t=bt709:p=bt709:m=gbr:r=full,"
             "format=gbrp")
    theirs = _oracle(planes, tmp_path, chain).astype(int)
    spec = ColorSpec("bt2020", False, 10, primaries="bt2020")
    assert spec.screen_conversion == "gamut"
    ours = screen.to_rgb(planes, spec).astype(int)
    diff = np.abs(ours - theirs)
    assert diff.max() <= 1 and np.mean(diff > 0) < 0.01
    assert np.percentile(np.abs(ours - original), 99) <= 3                 # the original, back
    coded = screen.to_rgb(planes, replace(spec, screen_preview=False)).astype(int)
    assert np.percentile(np.abs(coded - original), 99) > 15                # shown as coded: pale


def test_pq_shown_as_coded_when_the_preview_is_off():
    planes = graded_frame()
    coded = screen.to_rgb(planes, ColorSpec("bt2020", False, 10, transfer="pq", primaries="bt2020",
                                             screen_preview=False))
    assert np.array_equal(coded, screen.to_rgb(planes, ColorSpec("bt2020", False, 10)))
    assert not np.array_equal(coded, screen.to_rgb(planes, PQ_SPEC))


def test_hdr10_tags_switch_the_preview_on():
    source = open_media(hdr10_clip())
    spec = screen.color_spec(source.info, source.layout)
    assert (spec.transfer, spec.primaries, spec.matrix, spec.screen_conversion) == ("pq", "bt2020", "bt2020", "tone-map")
    assert spec.label == "BT.2020 limited range, 10-bit, PQ (HDR10), peak 1000 nits, BT.2020 primaries"


@pytest.mark.parametrize("light, nits", [(f"master-display={MASTERING_4000}:max-cll=2500,400", 2500.0),
                                         (f"master-display={MASTERING_4000}:max-cll=0,0", 4000.0)])
def test_hdr10_light_level_sets_the_peak(light, nits):
    """MaxCLL, else the mastering display's peak (the order of ffmpeg's tonemap filter), as
    x265 wrote them into the stream; the preview maps that level to white."""
    source = open_media(hdr10_clip(light=light))
    assert source.info.peak_luminance == nits
    assert screen.color_spec(source.info, source.layout).peak_nits == nits
