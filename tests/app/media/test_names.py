"""Containers and codecs by the names people use, on real files encoded here."""
import pytest

from vqinspect.app.media.names import codec_name, container_name
from vqinspect.app.media.source import open_media
from tests.clips import clip


@pytest.mark.parametrize("codec, pix_fmt, container, options, names", [
    ("libx264", "yuv420p", "mp4", None, ("MP4", "H.264 High")),
    ("libx264", "yuv420p", "mov", None, ("QuickTime", "H.264 High")),
    ("libx264", "yuv420p", "mkv", None, ("Matroska", "H.264 High")),
    ("libvpx-vp9", "yuv420p", "webm", {"deadline": "realtime", "cpu-used": "8"}, ("WebM", "VP9 Profile 0")),
    ("prores_ks", "yuv422p10le", "mov", {"profile": "3"}, ("QuickTime", "ProRes 422 HQ")),
    ("prores_ks", "yuv422p10le", "mov", {"profile": "1"}, ("QuickTime", "ProRes 422 LT")),
])
def test_real_files_get_common_names(codec, pix_fmt, container, options, names):
    path = clip(codec=codec, pix_fmt=pix_fmt, crf=None, frames=2, size=(64, 36), container=container, options=options)
    info = open_media(path).info.as_dict()
    assert (info["container_name"], info["codec_name"]) == names


def test_unknown_names_stay_ffmpegs():
    assert container_name("nut", "a.nut") == "nut" and codec_name("cfhd") == "cfhd"
