"""The names people use for containers and codecs (MP4, Matroska; H.264, HEVC, ProRes 422 HQ),
from FFmpeg's demuxer lists and codec names."""
from __future__ import annotations

from pathlib import Path

CONTAINERS = {   # FFmpeg demuxer -> name; mov,mp4,... is told apart by the file's extension
    "matroska,webm": "Matroska", "avi": "AVI", "mpegts": "MPEG-TS", "mpeg": "MPEG-PS", "mxf": "MXF",
    "yuv4mpegpipe": "Y4M", "ivf": "IVF", "flv": "FLV", "h264": "H.264 elementary stream",
    "hevc": "HEVC elementary stream", "image2": "image sequence", "rawvideo": "raw video",
    "obu": "AV1 OBU stream", "gif": "GIF", "dv": "DV",
}
MOV_FAMILY = {".mp4": "MP4", ".m4v": "MP4", ".mov": "QuickTime", ".3gp": "3GP", ".3g2": "3GP2", ".mj2": "Motion JPEG 2000"}
CODECS = {
    "h264": "H.264", "hevc": "HEVC", "av1": "AV1", "libdav1d": "AV1", "libaom-av1": "AV1", "vp9": "VP9",
    "libvpx-vp9": "VP9", "vp8": "VP8", "mpeg2video": "MPEG-2", "mpeg4": "MPEG-4 Part 2", "prores": "ProRes",
    "dnxhd": "DNxHD", "ffv1": "FFV1", "mjpeg": "Motion JPEG", "png": "PNG", "rawvideo": "raw",
    "vvc": "VVC", "jpeg2000": "JPEG 2000", "tiff": "TIFF", "dpx": "DPX", "exr": "OpenEXR", "qtrle": "QuickTime RLE",
    "v210": "v210 (10-bit 4:2:2)",
}
WEBM_CODECS = {"vp8", "vp9", "av1", "libdav1d", "libaom-av1", "opus", "vorbis"}


def container_name(demuxer: str, path: str = "") -> str:
    """``mov,mp4,m4a,3gp,3g2,mj2`` -> MP4 or QuickTime by the extension; ``matroska,webm`` ->
    Matroska (WebM for .webm); unknown demuxers keep FFmpeg's name."""
    suffix = Path(path).suffix.lower()
    if demuxer.startswith("mov,"):
        return MOV_FAMILY.get(suffix, "QuickTime / MP4")
    if demuxer == "matroska,webm" and suffix == ".webm":
        return "WebM"
    return CONTAINERS.get(demuxer, demuxer)


def codec_name(codec: str, profile: str = "") -> str:
    """``h264`` -> H.264, ``prores`` with profile HQ -> ProRes 422 HQ; unknown codecs keep their name."""
    name = CODECS.get(codec, codec)
    if codec == "prores" and profile:
        return f"ProRes {_prores(profile)}"
    if profile and codec in ("h264", "hevc", "av1", "vp9", "mpeg2video", "dnxhd"):
        return f"{name} {profile}"
    return name


def _prores(profile: str) -> str:
    """FFmpeg's ProRes profile names (Proxy, LT, Standard, HQ, 4444, XQ) as Apple names them."""
    return {"Proxy": "422 Proxy", "LT": "422 LT", "Standard": "422", "HQ": "422 HQ", "4444": "4444",
            "XQ": "4444 XQ"}.get(profile, profile)
