"""Frame-accurate access: sequential decode equals random access on awkward real streams."""
import random

import numpy as np
import pytest

from vqinspect.app.shared.errors import MediaError, UnsupportedFormat
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.source import RawSpec, open_media
from tests.clips import clip, image_sequence, lossless, timed_clip

OPEN_GOP_264 = {"x264-params": "keyint=12:min-keyint=12:bframes=3:b-pyramid=normal:open-gop=1:scenecut=0"}
OPEN_GOP_265 = {"x265-params": "log-level=error:keyint=10:min-keyint=10:bframes=4:open-gop=1:scenecut=0"}
SMALL = (320, 180)


def _streams():
    return {
        "h264-bframes-open-gop": clip(codec="libx264", frames=40, size=SMALL, options=OPEN_GOP_264, crf=28),
        "hevc-open-gop-10bit": clip(codec="libx265", pix_fmt="yuv420p10le", frames=36, size=SMALL,
                                    options=OPEN_GOP_265, crf=30),
        "av1-ivf": clip(codec="libsvtav1", frames=30, size=SMALL, container="ivf", crf=40,
                        options={"g": "10"}),
        "vp9-webm": clip(codec="libvpx-vp9", frames=30, size=SMALL, container="webm", crf=40,
                         options={"g": "8", "b": "0"}),
        "prores-mov": clip(codec="prores_ks", pix_fmt="yuv422p10le", frames=12, size=SMALL, container="mov"),
        "ffv1-mkv": lossless(frames=12, size=SMALL),
        "y4m": clip(codec="rawvideo", frames=8, size=SMALL, container="y4m", crf=None),
        "mpegts-late-start": clip(codec="libx264", frames=30, size=SMALL, container="ts",
                                  options={"x264-params": "keyint=10:bframes=2"}),
        "vfr-mkv": timed_clip("vfr", [0, 40, 80, 100, 180, 200, 260, 280, 400, 440, 480, 500, 620, 640,
                                      660, 700, 760, 800], options={"x264-params": "keyint=5:bframes=2"}),
        "late-start-mp4": timed_clip("late", [5000 + 40 * i for i in range(30)], container="mp4",
                                     options={"x264-params": "keyint=8:bframes=3:open-gop=1"}),
    }


STREAMS = list(_streams().keys())


@pytest.fixture(scope="module")
def streams():
    return _streams()


def _sequential(source):
    """Every frame by plain in-order decoding through PyAV, independent of our index."""
    import av

    from vqinspect.app.media.frames import frame_planes

    out = []
    with av.open(str(source.path)) as c:
        for frame in c.decode(video=0):
            out.append(frame_planes(frame, source.layout))
    return out


@pytest.mark.parametrize("name", STREAMS)
def test_random_access_matches_sequential_decode(streams, name):
    source = open_media(streams[name])
    expected = _sequential(source)
    assert source.info.frame_count == len(expected)
    order = list(range(len(expected))) * 2
    random.Random(name).shuffle(order)
    with source.reader() as reader:
        for i in order[: 3 * len(expected) // 2]:
            got = reader.frame(i)
            assert all(np.array_equal(a, b) for a, b in zip(got, expected[i])), f"{name}: frame {i}"


@pytest.mark.parametrize("name", ["h264-bframes-open-gop", "hevc-open-gop-10bit"])
def test_cached_reader_stepping_backwards(streams, name):
    source = open_media(streams[name])
    expected = _sequential(source)
    with source.reader(cache=FrameCache(64 * 2**20)) as reader:
        for i in reversed(range(len(expected))):
            assert all(np.array_equal(a, b) for a, b in zip(reader.frame(i), expected[i]))


@pytest.mark.parametrize("name", ["h264-bframes-open-gop", "hevc-open-gop-10bit"])
def test_advancing_through_cached_frames_keeps_the_decoder_close(streams, name):
    """Playback through frames already cached moves the decoder on a few frames at a time
    (no burst of decoding after them), and the frames it then decodes are still exact."""
    source = open_media(streams[name])
    expected = _sequential(source)
    n = len(expected)
    cache = FrameCache(64 * 2**20)
    with source.reader(cache=cache) as reader, source.reader(cache=cache) as other:
        reader.frame(0)
        for i in range(1, n - 1):
            other.frame(i)                            # a stretch decoded meanwhile elsewhere
        for i in range(1, n - 1):
            assert all(np.array_equal(a, b) for a, b in zip(reader.frame(i), expected[i]))
            reader.advance(i + 3)
        assert reader._last >= n - 4                  # it kept up with the frames shown
        assert all(np.array_equal(a, b) for a, b in zip(reader.frame(n - 1), expected[n - 1]))


def test_probe_fields(streams):
    info = open_media(streams["hevc-open-gop-10bit"]).info
    assert (info.codec, info.width, info.height, info.bit_depth) == ("hevc", 320, 180, 10)
    assert info.pix_fmt == "yuv420p10le" and info.chroma_subsampling == "4:2:0"
    assert info.frame_count == 36 and float(info.fps) == 25.0
    assert info.bitrate and info.duration == pytest.approx(36 / 25)
    d = info.as_dict()
    for key in ("color_range", "color_matrix", "color_primaries", "color_transfer", "container"):
        assert key in d


def test_late_start_and_vfr(streams):
    late = open_media(streams["late-start-mp4"])
    assert late.info.start_time == pytest.approx(5.0, abs=0.05)
    assert late.frame_time(0) == 0 and late.frame_time(10) == pytest.approx(0.4, abs=1e-3)
    ts = open_media(streams["mpegts-late-start"])
    assert ts.info.start_time > 0
    vfr = open_media(streams["vfr-mkv"])
    assert vfr.info.variable_frame_rate and vfr.info.frame_count == 18
    assert vfr.frame_time(4) == pytest.approx(0.18, abs=1e-3)


def test_native_depth_planes(streams):
    with open_media(streams["hevc-open-gop-10bit"]).reader() as r:
        y, u, v = r.frame(3)
    assert y.dtype == np.uint16 and y.shape == (180, 320) and u.shape == (90, 160)
    assert y.max() > 255 and y.max() < 1024
    with open_media(streams["prores-mov"]).reader() as r:
        y, u, v = r.frame(0)
    assert y.dtype == np.uint16 and u.shape == (180, 160)


@pytest.mark.parametrize("ext,codec,pix_fmt,depth", [
    ("png", "png", "rgb48be", 16), ("png", "png", "gray", 8), ("dpx", "dpx", "gbrp10le", 10),
    ("tiff", "tiff", "rgb24", 8), ("exr", "exr", "gbrpf32le", 16)])
def test_image_sequences(ext, codec, pix_fmt, depth):
    pattern = image_sequence(f"seq_{ext}_{pix_fmt}", ext, codec, pix_fmt)
    source = open_media(str(pattern))
    assert source.info.frame_count == 6 and source.info.kind == "image-sequence"
    assert source.info.bit_depth == depth
    with source.reader() as r:
        planes = r.frame(5)
    assert planes[0].shape == (180, 320)
    assert (planes[0].dtype == np.uint8) == (depth == 8)
    folder = open_media(str(pattern.parent))
    assert folder.info.frame_count == 6


def test_raw_yuv_matches_container(tmp_path):
    source = open_media(clip(codec="libx265", pix_fmt="yuv420p10le", frames=6, size=SMALL))
    raw_path = tmp_path / "clip.yuv"
    with source.reader() as r, open(raw_path, "wb") as f:
        frames = [planes for _, planes in r.frames(0, 6)]
        for planes in frames:
            for p in planes:
                f.write(p.astype("<u2").tobytes())
    raw = open_media(raw_path, RawSpec(320, 180, "yuv420p10le"))
    assert raw.info.frame_count == 6 and raw.info.bit_depth == 10
    with raw.reader() as r:
        for i in (5, 0, 3):
            assert all(np.array_equal(a, b) for a, b in zip(r.frame(i), frames[i]))


def test_nv12_raw_is_repacked_losslessly(tmp_path):
    rng = np.random.default_rng(1)
    y = rng.integers(0, 256, (16, 24), dtype=np.uint8)
    uv = rng.integers(0, 256, (8, 12, 2), dtype=np.uint8)
    (tmp_path / "a.yuv").write_bytes(y.tobytes() + uv.tobytes())
    with open_media(tmp_path / "a.yuv", RawSpec(24, 16, "nv12")).reader() as r:
        py, pu, pv = r.frame(0)
    assert np.array_equal(py, y) and np.array_equal(pu, uv[..., 0]) and np.array_equal(pv, uv[..., 1])


def test_frame_cache_budget():
    cache = FrameCache(budget_bytes=3000)
    for i in range(10):
        cache.put(i, (np.zeros((10, 100), np.uint8),))
    assert len(cache) == 3 and cache.nbytes == 3000
    assert cache.get(9) is not None and cache.get(0) is None


@pytest.mark.parametrize("make,problem", [
    (lambda d: d / "missing.mp4", "no such file"),
    (lambda d: _write(d / "notes.mp4", b"this is not a video at all" * 50), "not a media file"),
    (lambda d: _write(d / "empty.mkv", b""), "empty"),
    (lambda d: _audio_only(d / "tone.m4a"), "audio-only"),
    (lambda d: d / "seq_%04d.png", "no images match"),
])
def test_bad_inputs_are_one_clear_error(tmp_path, make, problem):
    path = make(tmp_path)
    with pytest.raises(MediaError) as err:
        open_media(path)
    assert problem in str(err.value) and str(path) in str(err.value)


def test_raw_without_size_and_unsupported_format(tmp_path):
    raw = _write(tmp_path / "x.yuv", bytes(1000))
    with pytest.raises(MediaError, match="--size"):
        open_media(raw)
    with pytest.raises(UnsupportedFormat, match="bayer_rggb8"):
        open_media(raw, RawSpec(16, 16, "bayer_rggb8"))


def test_truncated_mkv_is_indexed_up_to_the_break(tmp_path):
    good = clip(codec="libx264", frames=30, size=SMALL, container="mkv")
    data = good.read_bytes()
    cut = _write(tmp_path / "cut.mkv", data[: len(data) // 2])
    source = open_media(cut)
    assert 0 < source.info.frame_count < 30
    with source.reader() as r:
        r.frame(source.info.frame_count - 1)


def test_moov_less_mp4_fails_clearly(tmp_path):
    good = clip(codec="libx264", frames=30, size=SMALL)
    cut = _write(tmp_path / "cut.mp4", good.read_bytes()[:5000])
    with pytest.raises(MediaError) as err:
        open_media(cut)
    assert str(cut) in str(err.value)


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def _audio_only(path):
    import av

    with av.open(str(path), "w") as out:
        s = out.add_stream("aac", rate=44100)
        frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
        frame.sample_rate = 44100
        for arr in frame.planes:
            arr.update(bytes(4 * 1024))
        for i in range(5):
            frame.pts = i * 1024
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return path
