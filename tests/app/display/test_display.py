"""Display conversion and map pictures against slow, obvious numpy references and swscale."""
from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from vqinspect.app.display import screen, heatmap
from vqinspect.app.display.screen import MATRICES, ColorSpec
from vqinspect.app.media.frames import PlanarLayout

RNG = np.random.default_rng(7)
SHIFTS = {"444": (0, 0), "422": (1, 0), "420": (1, 1)}


def naive_rgb(planes, spec: ColorSpec) -> np.ndarray:
    """Per-pixel textbook YUV -> R'G'B' in float64 (chroma repeated over its block)."""
    y = planes[0].astype(np.float64)
    h, w = y.shape
    d = spec.bit_depth
    if len(planes) == 1:
        u = v = np.full_like(y, 1 << (d - 1))
    else:
        sy = h // planes[1].shape[0] if planes[1].shape[0] * 2 <= h else 1
        sx = w // planes[1].shape[1] if planes[1].shape[1] * 2 <= w else 1
        u = np.repeat(np.repeat(planes[1], sy, 0), sx, 1)[:h, :w].astype(np.float64)
        v = np.repeat(np.repeat(planes[2], sy, 0), sx, 1)[:h, :w].astype(np.float64)
    s = 2.0 ** (d - 8)
    if spec.full_range:
        peak = 2.0 ** d - 1
        yn, un, vn = y / peak, (u - 2 ** (d - 1)) / peak, (v - 2 ** (d - 1)) / peak
    else:
        yn, un, vn = (y - 16 * s) / (219 * s), (u - 128 * s) / (224 * s), (v - 128 * s) / (224 * s)
    kr, kb = MATRICES[spec.matrix]
    kg = 1 - kr - kb
    r = yn + 2 * (1 - kr) * vn
    b = yn + 2 * (1 - kb) * un
    g = (yn - kr * r - kb * b) / kg
    return np.clip(np.round(np.stack([r, g, b], -1) * 255), 0, 255).astype(np.uint8)


def planes_for(sub: str, depth: int, h: int = 36, w: int = 50):
    dtype = np.uint8 if depth == 8 else np.uint16
    sx, sy = SHIFTS[sub]
    peak = (1 << depth) - 1
    return (RNG.integers(0, peak + 1, (h, w)).astype(dtype),
            RNG.integers(0, peak + 1, (h >> sy, w >> sx)).astype(dtype),
            RNG.integers(0, peak + 1, (h >> sy, w >> sx)).astype(dtype))


@pytest.mark.parametrize("matrix", list(MATRICES))
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("depth", [8, 10, 12])
@pytest.mark.parametrize("sub", ["420", "422", "444"])
def test_yuv_to_rgb_matches_the_textbook_formula(matrix, full, depth, sub):
    spec = ColorSpec(matrix, full, depth)
    planes = planes_for(sub, depth)
    diff = np.abs(screen.to_rgb(planes, spec).astype(int) - naive_rgb(planes, spec).astype(int))
    assert diff.max() <= 1


@pytest.mark.parametrize("depth, black, white", [(8, 16, 235), (10, 64, 940), (12, 256, 3760)])
def test_limited_range_black_and_white_at_every_depth(depth, black, white):
    dtype = np.uint8 if depth == 8 else np.uint16
    mid = 1 << (depth - 1)
    y = np.array([[black, white, black - 4, white + 4]], dtype)
    c = np.full((1, 2), mid, dtype)
    rgb = screen.to_rgb((y, c, c), ColorSpec("bt709", False, depth))
    assert rgb[0].tolist() == [[0, 0, 0], [255, 255, 255], [0, 0, 0], [255, 255, 255]]


def test_full_range_uses_all_code_values():
    y = np.array([[0, 1023, 512]], np.uint16)
    c = np.full((1, 2), 512, np.uint16)
    rgb = screen.to_rgb((y, c, c), ColorSpec("bt709", True, 10))
    assert rgb[0, 0].tolist() == [0, 0, 0] and rgb[0, 1].tolist() == [255, 255, 255]
    assert rgb[0, 2].tolist() == [128, 128, 128]


def test_gray_clips_are_shown_gray():
    y = np.array([[16, 126, 235]], np.uint8)
    rgb = screen.to_rgb((y,), ColorSpec("bt709", False, 8, gray=True))
    assert rgb[0, :, 0].tolist() == rgb[0, :, 1].tolist() == rgb[0, :, 2].tolist() == [0, 128, 255]


def test_the_matrix_matters_for_saturated_colour():
    # pure red as BT.709 limited codes it
    y, u, v = (np.array([[c]], np.uint8) for c in (63, 102, 240))
    as_709 = screen.to_rgb((y, u, v), ColorSpec("bt709", False, 8))[0, 0]
    assert as_709.tolist() == pytest.approx([255, 0, 0], abs=2)
    y, u, v = (np.array([[c]], np.uint8) for c in (110, 100, 170))
    as_709 = screen.to_rgb((y, u, v), ColorSpec("bt709", False, 8))[0, 0].astype(int)
    as_601 = screen.to_rgb((y, u, v), ColorSpec("bt601", False, 8))[0, 0].astype(int)
    assert np.abs(as_709 - as_601).max() >= 7      # a visible hue shift, as mis-tagged clips show


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuv420p10le"])
def test_real_frames_agree_with_swscale(pix_fmt):
    """FFmpeg's own conversion (bilinear chroma) is an independent oracle; we repeat
    chroma samples, so single pixels at chroma edges differ but the picture agrees."""
    import av

    from vqinspect.app.media.frames import frame_planes, planar_layout
    from tests.clips import lossless

    path = lossless(pix_fmt=pix_fmt, frames=2, size=(320, 180))
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        theirs = frame.to_ndarray(format="rgb24")
        layout = planar_layout(frame.format.name)
        planes = frame_planes(frame, layout)
    ours = screen.to_rgb(planes, ColorSpec("bt601", False, layout.bit_depth))
    diff = np.abs(ours.astype(int) - theirs.astype(int))
    assert diff.mean() < 2.0 and np.percentile(diff, 95) <= 8


def _info(matrix="unknown", rng="unknown", height=1080, transfer="unknown", primaries="unknown"):
    return SimpleNamespace(color_matrix=matrix, color_range=rng, height=height, fps=Fraction(25),
                           color_transfer=transfer, color_primaries=primaries, peak_luminance=None)


def test_color_spec_from_tags_and_guesses():
    yuv = PlanarLayout("yuv420p10le", "yuv420p10le", 10, "420")
    assert screen.color_spec(_info("bt2020nc", "tv"), yuv).matrix == "bt2020"
    assert screen.color_spec(_info("smpte170m", "pc"), yuv).full_range
    guessed = screen.color_spec(_info(height=1080), yuv)
    assert guessed.matrix == "bt709" and not guessed.full_range and "assumed" in guessed.note
    assert screen.color_spec(_info(height=480), yuv).matrix == "bt601"
    rgb = PlanarLayout("rgb24", "yuv444p", 8, "444", "rgb24 converted to YUV 4:4:4 (BT.709) for scoring")
    assert screen.color_spec(_info(height=480), rgb).matrix == "bt709"
    assert screen.color_spec(_info("bt709", "tv"), yuv).label == "BT.709 limited range, 10-bit"
    hlg = screen.color_spec(_info("bt2020nc", "tv", transfer="arib-std-b67", primaries="bt2020"), yuv)
    assert (hlg.transfer, hlg.screen_conversion) == ("hlg", "gamut")   # shown as an SDR BT.2020 screen would
    assert hlg.label == "BT.2020 limited range, 10-bit, HLG, BT.2020 primaries"
    sdr = screen.color_spec(_info("bt709", "tv", transfer="bt709", primaries="bt709"), yuv)
    assert sdr.screen_conversion == ""


def test_difference_luma_and_rgb():
    ref = (np.array([[100, 200]], np.uint16), np.full((1, 1), 512, np.uint16), np.full((1, 1), 512, np.uint16))
    dist = (np.array([[104, 100]], np.uint16), ref[1], ref[2])
    spec = ColorSpec("bt709", False, 10)
    rr, dr = screen.to_rgb(ref, spec), screen.to_rgb(dist, spec)
    luma = screen.difference(ref, dist, rr, dr, 2.0, "luma", 10)
    assert luma[0, :, 0].tolist() == [2, 50]       # |diff| / 4 (10-bit -> 8-bit scale) * gain
    rgb = screen.difference(ref, dist, rr, dr, 100.0, "rgb", 10)
    assert rgb[0, 1].tolist() == [255, 255, 255]
    with pytest.raises(ValueError):
        screen.difference(ref, dist, rr, dr, 1.0, "chroma", 10)


def test_sample_reads_the_chroma_sample_covering_the_pixel():
    y = np.arange(16, dtype=np.uint8).reshape(4, 4)
    u = np.array([[1, 2], [3, 4]], np.uint8)
    assert screen.sample((y, u, u + 10), 3, 2) == (11, 4, 14)
    assert screen.sample((y,), 1, 1) == (5,)


def test_timecode():
    assert screen.timecode(0, Fraction(25)) == "00:00:00:00"
    assert screen.timecode(25 * 3600 + 25 * 61 + 7, Fraction(25)) == "01:01:01:07"
    assert screen.timecode(29, Fraction(30000, 1001)) == "00:00:00:29"
    assert screen.timecode(30, Fraction(30000, 1001)) == "00:00:01:00"


def test_colorize_levels_direction_and_nan():
    lut = heatmap.colormap("inferno")
    values = np.array([[0.0, 1.0, 0.5, np.nan, -3.0, 9.0]], np.float32)
    rgba = heatmap.colorize(values, lut, (0.0, 1.0))
    assert rgba[0, 0, :3].tolist() == lut[0].tolist() and rgba[0, 1, :3].tolist() == lut[255].tolist()
    assert rgba[0, 3, 3] == 0 and rgba[0, 0, 3] == 255
    assert rgba[0, 4, :3].tolist() == lut[0].tolist() and rgba[0, 5, :3].tolist() == lut[255].tolist()
    flipped = heatmap.colorize(values, lut, (0.0, 1.0), reverse=True)
    assert flipped[0, 0, :3].tolist() == lut[255].tolist()


def test_every_colormap_is_256_entries_and_perceptually_ordered():
    for name, lut in heatmap.colormaps().items():
        assert lut.shape == (256, 3), name
        lightness = lut.astype(float) @ [0.2126, 0.7152, 0.0722]
        assert np.all(np.diff(lightness[::16]) > 0), name      # monotonic: no false edges


def test_map_styles_and_levels():
    assert heatmap.map_style("squared_error").higher_is_worse
    assert not heatmap.map_style("ssim").higher_is_worse
    assert heatmap.map_style("vif_loss_scale0").higher_is_worse
    assert heatmap.map_style("vmaf_tiles").fixed_levels == (0.0, 100.0)
    values = np.linspace(0, 100, 10001, dtype=np.float32)
    lo, hi = heatmap.auto_levels(values, heatmap.map_style("squared_error"))
    assert lo == 0.0 and hi == pytest.approx(99.0, abs=0.1)
    assert heatmap.auto_levels(np.full((4, 4), 0.5, np.float32), heatmap.MapStyle(False)) [1] > 0.5
    assert heatmap.auto_levels(np.full((2, 2), np.nan, np.float32), heatmap.MapStyle(True)) == (0.0, 1.0)


def test_placement_of_the_real_ssim_map_is_centred():
    from vqinspect.metrics.ssim import ssim_map

    ref = RNG.integers(0, 256, (180, 320)).astype(np.uint8)
    m = ssim_map(ref, ref, 8)
    p = heatmap.placement((320, 180), m.shape)
    assert (p.x, p.y, p.width, p.height) == (5.0, 5.0, m.shape[1], m.shape[0])
    assert p.sample_at(m.shape, 5, 5) == (0, 0) and p.sample_at(m.shape, 4, 5) is None


def test_placement_of_downscaled_and_tiled_maps_starts_at_the_origin():
    p = heatmap.placement((1920, 1080), (17, 30))        # 64-pixel tiles, the last row partial
    assert (p.x, p.y, p.width, p.height) == (0.0, 0.0, 1920.0, 1088.0)
    assert p.sample_at((17, 30), 1919, 1079) == (16, 29)
    assert p.sample_at((17, 30), 63, 64) == (1, 0)
    t = heatmap.placement((1280, 720), (17, 30))         # 43-pixel tiles at 720p
    assert (t.width, t.height) == (1290.0, 731.0)
    q = heatmap.placement((1921, 1081), (540, 960))      # a floor-halved scale
    assert (q.x, q.y, q.width, q.height) == (0.0, 0.0, 1920.0, 1080.0)
    r = heatmap.placement((1000, 1000), (10, 980))        # 20 samples short at 1:1: stretched
    assert (r.x, r.width) == (0.0, 1000.0)


def test_kernels_warm_up():
    screen.warm_up()
