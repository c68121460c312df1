"""The PQ (HDR10) preview against the oracle: ffmpeg's zscale + tonemap chain on the same
samples, and the clip tags that switch it on."""
from __future__ import annotations

import subprocess

import numpy as np

from app import display
from app.display import ColorSpec
from app.media import open_media
from tests.hdr_clips import H, W, graded_frame, hdr10_clip
from tests.oracle import ffmpeg_exe

ORACLE_CHAIN = ("zscale=tin=smpte2084:min=bt2020nc:pin=bt2020:rin=tv:t=linear:m=gbr:p=bt2020:r=full:npl=100,"
                "format=gbrpf32le,"
                "zscale=tin=linear:pin=bt2020:min=gbr:rin=full:t=linear:p=bt709:m=gbr:r=full,"
                "tonemap=tonemap=hable:desat=0,"               # its default peak: 1000 nits
                "zscale=tin=linear:pin=bt709:min=gbr:rin=full:t=bt709:p=bt709:m=gbr:r=full,format=gbrp")
PQ_SPEC = ColorSpec("bt2020", False, 10, transfer="pq", primaries="bt2020")


def _oracle(planes: tuple[np.ndarray, ...], tmp_path) -> np.ndarray:
    raw = tmp_path / "pq444.yuv"
    raw.write_bytes(b"".join(p.astype("<u2").tobytes() for p in planes))
    out = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "rawvideo",
                          "-pix_fmt", "yuv444p10le", "-s", f"{W}x{H}", "-i", str(raw), "-vf", ORACLE_CHAIN,
                          "-f", "rawvideo", "-"], check=True, capture_output=True).stdout
    g, b, r = np.frombuffer(out, np.uint8).reshape(3, H, W)
    return np.stack([r, g, b], axis=-1)


def test_the_pq_preview_matches_ffmpegs_tonemap_chain(tmp_path):
    planes = graded_frame()
    assert planes[0].max() > 750                                  # highlights well above 1000 nits
    ours = display.to_rgb(planes, PQ_SPEC).astype(int)
    theirs = _oracle(planes, tmp_path).astype(int)
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
    assert spec.label == "BT.2020 limited range, 10-bit, PQ (HDR10)"
