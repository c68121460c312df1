"""HDR10 test material: a footage frame graded to PQ / BT.2020, as planes and as a real
HEVC Main 10 encode whose bitstream carries the tags (x265's VUI)."""
from __future__ import annotations

import hashlib

import av
import numpy as np

from vqinspect.app.media.encode import encode_frames
from vqinspect.app.media.footage import footage_path
from tests.clips import CLIP_DIR

H, W = 180, 320


def _pq_inverse_eotf(nits: np.ndarray) -> np.ndarray:
    m1, m2 = 2610 / 16384, 2523 / 4096 * 128
    c1, c2, c3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
    y = np.clip(nits / 10000.0, 0.0, 1.0) ** m1
    return ((c1 + c2 * y) / (1 + c3 * y)) ** m2


def grade_to_pq(rgb: np.ndarray) -> tuple[np.ndarray, ...]:
    """An 8-bit RGB picture graded to HDR10: BT.1886 light at 203 nits diffuse white, boosted
    from left to right up to 20x (highlights to about 4000 nits), BT.2020 primaries, PQ,
    Y'CbCr BT.2020 10-bit limited range, 4:4:4 (uint16 planes)."""
    light = (rgb / 255.0) ** 2.4 * 203.0 * np.linspace(1.0, 20.0, rgb.shape[1])[None, :, None]
    to_2020 = np.array([[0.6274, 0.3293, 0.0433], [0.0691, 0.9195, 0.0114], [0.0164, 0.0880, 0.8956]])
    r, g, b = np.moveaxis(_pq_inverse_eotf(light @ to_2020.T), -1, 0)
    kr, kb = 0.2627, 0.0593
    y = kr * r + (1 - kr - kb) * g + kb * b
    cb, cr = (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))
    return tuple(np.round(p).astype(np.uint16) for p in (64 + 876 * y, 512 + 896 * cb, 512 + 896 * cr))


def graded_frame() -> tuple[np.ndarray, ...]:
    """The footage's first frame at W x H, graded (``grade_to_pq``): 4:4:4, so that chroma
    needs no interpolation when compared with the oracle."""
    with av.open(str(footage_path())) as src:
        return grade_to_pq(next(src.decode(video=0)).to_ndarray(format="rgb24", width=W, height=H))


def pq_frame(planes: tuple[np.ndarray, ...]) -> av.VideoFrame:
    """A yuv444p10le frame holding ``planes``."""
    h, w = planes[0].shape
    frame = av.VideoFrame(w, h, "yuv444p10le")
    for plane, values in zip(frame.planes, planes):
        np.frombuffer(plane, np.uint16).reshape(h, plane.line_size // 2)[:, :w] = values
    return frame


HDR10_VUI = "colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:range=limited"
"""x265 options that tag a stream BT.2020 / PQ / limited range."""


MASTERING_4000 = "G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(40000000,50)"
"""x265's master-display for a P3 display of 4000 nits (luminance in 0.0001 cd/m2)."""


def hdr10_clip(frames: int = 3, light: str = ""):
    """A cached HEVC 4:2:0 10-bit clip of ``graded_frame`` tagged BT.2020 / PQ / limited;
    ``light``: x265 options for HDR10 static metadata (master-display, max-cll)."""
    suffix = "_" + hashlib.sha1(light.encode()).hexdigest()[:8] if light else ""
    path = CLIP_DIR / f"hdr10_pq_{W}x{H}_{frames}{suffix}.mkv"
    if path.exists():
        return path
    vui = HDR10_VUI + (":" + light if light else "")
    return encode_frames([pq_frame(graded_frame())] * frames, path, "libx265", "yuv420p10le",
                         options={"x265-params": f"log-level=error:{vui}"})
