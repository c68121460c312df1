"""Scope kernels against naive numpy (np.add.at), R'G'B' codes and colour-bar targets against
colour-science, legal levels, the figure's colours, and the kernels run from many threads."""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import av
import colour
import cv2
import numpy as np
import pytest

from vqinspect.app.display import scope_figure, scopes
from vqinspect.app.display.screen import MATRICES, ColorSpec
from vqinspect.app.media.frames import frame_planes, planar_layout
from tests.clips import lossless

SMALL = (320, 180)
K = {"bt601": "ITU-R BT.601", "bt709": "ITU-R BT.709", "bt2020": "ITU-R BT.2020"}
TIE = 1e-4      # R'G'B' values this close to a rounding tie may round either way (16-bit fixed point)


def decoded_planes(pix_fmt: str, index: int = 3) -> tuple:
    """Planes (native depth, as the inspector reads them: padded views) of a real frame."""
    path = lossless(pix_fmt=pix_fmt, frames=4, size=SMALL)
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                return frame_planes(frame, planar_layout(frame.format.name))
    raise AssertionError("clip too short")


FORMATS = {"yuv420p": 8, "yuv444p": 8, "yuv422p10le": 10, "yuv420p10le": 10, "yuv420p12le": 12}


@pytest.fixture(scope="module", params=list(FORMATS))
def clip_planes(request):
    return decoded_planes(request.param), FORMATS[request.param]


# ------------------------------------------------------------------ naive references

def naive_rgb(planes: tuple, spec: ColorSpec) -> tuple[np.ndarray, np.ndarray]:
    """(R'G'B' codes H x W x 3 as float, unrounded) from the textbook equations, chroma repeated."""
    y = planes[0].astype(np.float64)
    h, w = y.shape
    u = planes[1].astype(np.float64)
    v = planes[2].astype(np.float64)
    ry, rx = h // u.shape[0], w // u.shape[1]
    u = np.repeat(np.repeat(u, ry, 0), rx, 1)[:h, :w]
    v = np.repeat(np.repeat(v, ry, 0), rx, 1)[:h, :w]
    kr, kb = MATRICES[spec.matrix]
    kg = 1 - kr - kb
    d = spec.bit_depth
    if spec.full_range:
        e_y, pb, pr = y / (2**d - 1), (u - 2**(d - 1)) / (2**d - 1), (v - 2**(d - 1)) / (2**d - 1)
        to_code = lambda e: e * (2**d - 1)                                       # noqa: E731
    else:
        s = 2**(d - 8)
        e_y, pb, pr = (y - 16 * s) / (219 * s), (u - 128 * s) / (224 * s), (v - 128 * s) / (224 * s)
        to_code = lambda e: 16 * s + 219 * s * e                                 # noqa: E731
    r = e_y + 2 * (1 - kr) * pr
    b = e_y + 2 * (1 - kb) * pb
    g = (e_y - kr * r - kb * b) / kg
    return np.stack([to_code(r), to_code(g), to_code(b)], axis=-1)


def rounded(codes: np.ndarray, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """(nearest codes clipped to the code range, mask of values too near a tie to call)."""
    near_tie = np.abs(codes - np.floor(codes) - 0.5) < TIE
    return np.clip(np.floor(codes + 0.5), 0, 2**depth - 1).astype(np.int64), near_tie


def assert_counts_match(ours: np.ndarray, index: tuple, near_tie: np.ndarray, alternative: tuple) -> None:
    """``ours`` equals np.add.at counts at ``index``, except that a sample near a rounding tie may
    instead be counted at ``alternative`` (the neighbouring code's bin)."""
    sure = np.zeros(ours.shape, np.int64)
    np.add.at(sure, tuple(i[~near_tie] for i in index), 1)
    extra = ours.astype(np.int64) - sure
    assert extra.min() >= 0 and extra.sum() == near_tie.sum()
    allowed = np.zeros(ours.shape, bool)
    allowed[tuple(i[near_tie] for i in index)] = True
    allowed[tuple(i[near_tie] for i in alternative)] = True
    assert not extra[~allowed].any()


# ------------------------------------------------------------------ kernels vs naive numpy

@pytest.mark.parametrize("columns", [64, 10_000])
def test_waveform_matches_add_at(clip_planes, columns):
    planes, depth = clip_planes
    spec = ColorSpec("bt709", False, depth)
    ours = scopes.waveform(planes, spec, columns)
    y = planes[0].astype(np.int64)
    h, w = y.shape
    n = min(columns, w)
    cols = np.broadcast_to(np.arange(w) * n // w, y.shape)
    expected = np.zeros((min(2**depth, 1024), n), np.int64)
    np.add.at(expected, (y >> max(0, depth - 10), cols), 1)
    assert ours.shape == expected.shape and ours.sum() == h * w
    np.testing.assert_array_equal(ours, expected)


@pytest.mark.parametrize("matrix,full_range", [("bt709", False), ("bt601", True), ("bt2020", False)])
def test_parade_matches_add_at(clip_planes, matrix, full_range):
    planes, depth = clip_planes
    spec = ColorSpec(matrix, full_range, depth)
    ours = scopes.parade(planes, spec, 100)
    codes, near_tie = rounded(naive_rgb(planes, spec), depth)
    shift = max(0, depth - 10)
    h, w = planes[0].shape
    cols = np.broadcast_to(np.arange(w) * 100 // w, (h, w))
    other = np.clip(np.where(codes > naive_rgb(planes, spec), codes - 1, codes + 1), 0, 2**depth - 1)
    for k in range(3):
        assert_counts_match(ours[k], (codes[..., k] >> shift, cols), near_tie[..., k],
                            (other[..., k] >> shift, cols))


def test_histograms_match_bincount_and_add_at(clip_planes):
    planes, depth = clip_planes
    spec = ColorSpec("bt709", False, depth)
    shift = max(0, depth - 10)
    n = min(2**depth, 1024)
    np.testing.assert_array_equal(scopes.luma_histogram(planes, spec),
                                  np.bincount((planes[0].astype(np.int64) >> shift).ravel(), minlength=n))
    ours = scopes.rgb_histogram(planes, spec)
    exact = naive_rgb(planes, spec)
    codes, near_tie = rounded(exact, depth)
    other = np.clip(np.where(codes > exact, codes - 1, codes + 1), 0, 2**depth - 1)
    for k in range(3):
        assert_counts_match(ours[k], (codes[..., k] >> shift,), near_tie[..., k], (other[..., k] >> shift,))


def test_vectorscope_matches_add_at(clip_planes):
    planes, depth = clip_planes
    spec = ColorSpec("bt709", False, depth)
    ours = scopes.vectorscope(planes, spec)
    shift = max(0, depth - 9)
    n = min(2**depth, 512)
    expected = np.zeros((n, n), np.int64)
    np.add.at(expected, (planes[2].astype(np.int64) >> shift, planes[1].astype(np.int64) >> shift), 1)
    assert ours.sum() == planes[1].size
    np.testing.assert_array_equal(ours, expected)


def test_gray_planes_give_luma_in_every_parade_channel():
    planes = decoded_planes("gray")
    spec = ColorSpec("bt709", False, 8, gray=True)
    wave = scopes.waveform(planes, spec, 50)
    for k in range(3):
        np.testing.assert_array_equal(scopes.parade(planes, spec, 50)[k], wave)
    with pytest.raises(ValueError, match="chroma"):
        scopes.vectorscope(planes, spec)


def test_wrong_dtype_is_refused():
    planes = tuple(p.astype(np.uint16) for p in decoded_planes("yuv420p"))
    with pytest.raises(ValueError, match="uint8"):
        scopes.waveform(planes, ColorSpec("bt709", False, 8), 10)


# ------------------------------------------------------------------ independent oracle: colour-science

@pytest.mark.parametrize("depth", [8, 10])
@pytest.mark.parametrize("legal", [True, False])
@pytest.mark.parametrize("matrix", list(K))
def test_rgb_codes_match_colour_science(depth, legal, matrix):
    """One pixel per parade column (4:4:4, a single row), so the parade gives each pixel's code."""
    rng = np.random.default_rng(depth + 2 * legal)
    n = 3000
    dtype = np.uint8 if depth == 8 else np.uint16
    ycc = rng.integers(0, 2**depth, (n, 3))
    planes = tuple(np.ascontiguousarray(ycc[None, :, k].astype(dtype)) for k in range(3))
    spec = ColorSpec(matrix, not legal, depth)
    parade = scopes.parade(planes, spec, n)                  # (3, levels, n): one count per column
    ours = np.argmax(parade, axis=1).T << max(0, depth - 10)
    assert (parade.sum(axis=1) == 1).all()
    rgb = colour.YCbCr_to_RGB(ycc, K=colour.WEIGHTS_YCBCR[K[matrix]], in_bits=depth, in_legal=legal,
                              in_int=True, out_bits=depth, out_legal=legal, out_int=False)
    expected_codes = rgb * (2**depth - 1)        # colour-science: code = value x (2^bits - 1), both ranges
    expected, near_tie = rounded(expected_codes, depth)
    assert not (ours != expected)[~near_tie].any()
    assert (np.abs(ours - np.clip(expected_codes, 0, 2**depth - 1)) <= 0.5 + TIE).all()


@pytest.mark.parametrize("depth", [8, 10, 12])
@pytest.mark.parametrize("legal", [True, False])
@pytest.mark.parametrize("matrix", list(K))
def test_bar_targets_match_colour_science(depth, legal, matrix):
    spec = ColorSpec(matrix, not legal, depth)
    targets = scopes.bar_targets(spec)
    rgb = np.array([[0.75 * c for c in bar] for _, bar in scopes.BARS])
    ycc = colour.RGB_to_YCbCr(rgb, K=colour.WEIGHTS_YCBCR[K[matrix]], out_bits=depth, out_legal=legal,
                              out_int=False)
    peak = 2**depth - 1
    # colour-science: legal values are code / (2^bits - 1); full-range chroma is centred on 0
    cb = ycc[:, 1] * peak if legal else ycc[:, 1] * peak + 2**(depth - 1)
    cr = ycc[:, 2] * peak if legal else ycc[:, 2] * peak + 2**(depth - 1)
    assert [t.name for t in targets] == ["R", "Mg", "B", "Cy", "G", "Yl"]
    np.testing.assert_allclose([t.cb for t in targets], cb, rtol=0, atol=1e-9 * peak)
    np.testing.assert_allclose([t.cr for t in targets], cr, rtol=0, atol=1e-9 * peak)


def test_targets_depend_on_the_matrix():
    bt601 = scopes.bar_targets(ColorSpec("bt601", False, 8))
    bt709 = scopes.bar_targets(ColorSpec("bt709", False, 8))
    assert bt601[0].cr == bt709[0].cr                   # red's Cr is 0.375 x 224 above 128 in both
    assert bt709[0].cb - bt601[0].cb > 9.0              # ... its Cb is not: 108.8 (BT.709) against 99.7


def test_skin_tone_line_at_123_degrees_between_red_and_yellow():
    spec = ColorSpec("bt709", False, 10)
    mid = scopes.chroma_zero(spec)
    cb, cr = scopes.skin_tone_end(spec)
    assert math.degrees(math.atan2(cr - mid, cb - mid)) == pytest.approx(123.0, abs=1e-9)
    red, yellow = (t for t in scopes.bar_targets(spec) if t.name in ("R", "Yl"))
    angles = [math.degrees(math.atan2(t.cr - mid, t.cb - mid)) for t in (red, yellow)]
    assert angles[0] < 123.0 < angles[1]


@pytest.mark.parametrize("depth,full,luma,chroma", [
    (8, False, (16, 235), (16, 240)), (10, False, (64, 940), (64, 960)), (12, False, (256, 3760), (256, 3840)),
    (8, True, (0, 255), (0, 255)), (10, True, (0, 1023), (0, 1023))])
def test_legal_levels(depth, full, luma, chroma):
    spec = ColorSpec("bt709", full, depth)
    assert scopes.legal_luma(spec) == luma and scopes.legal_chroma(spec) == chroma


# ------------------------------------------------------------------ figure

def test_overlay_colours_where_only_one_clip_has_samples():
    """Reference-only bins are in the reference colour, distorted-only in the other, shared ones white-ish."""
    ref = decoded_planes("yuv420p", 1)
    dist = tuple(np.ascontiguousarray(p) for p in ref)
    dist[0][:, :40] = 250                                   # a clipped stripe only the distorted has
    spec = ColorSpec("bt709", False, 8)
    fig = scope_figure.figure("waveform", "overlay", ref, dist, spec, spec)
    (header, (panel,)), = fig.columns
    wave_ref = scopes.waveform(ref, spec, scope_figure.WAVEFORM_COLUMNS)
    wave_dist = scopes.waveform(dist, spec, scope_figure.WAVEFORM_COLUMNS)
    only_dist = (wave_dist > 0) & (wave_ref == 0)
    both = (wave_dist > 0) & (wave_ref > 0)
    assert only_dist.any() and both.any()
    pixels = panel.image[only_dist].astype(int)
    assert (pixels[:, 0] > pixels[:, 2]).all()             # orange: red over blue
    shared = panel.image[both].astype(int)
    assert (shared.min(axis=1) >= 0.6 * shared.max(axis=1)).mean() > 0.9
    assert (panel.image[(wave_ref == 0) & (wave_dist == 0)] == 0).all()
    assert [name for name, _ in fig.legend] == ["Reference", "Distorted"]


def test_side_by_side_figure_has_a_column_per_clip_with_its_graticule():
    planes = decoded_planes("yuv420p10le")
    spec = ColorSpec("bt2020", False, 10)
    for kind in scope_figure.KINDS:
        fig = scope_figure.figure(kind, "side-by-side", planes, planes, spec, spec)
        assert len(fig.columns) == 2
        for header, panels in fig.columns:
            assert "10-bit" in header
            for panel in panels:
                legal = [g.value for g in panel.guides if g.legal]
                assert panel.image.dtype == np.uint8 and panel.image.shape[2] == 3
                if kind == "vectorscope":
                    assert set(legal) == {64, 960} and len(panel.targets) == 6 and panel.square
                else:
                    assert legal == [64, 940]
                    ticks = panel.x_ticks if kind == "histogram" else panel.y_ticks
                    assert {64.0, 940.0} <= {v for v, _ in ticks}


def test_histogram_panels_are_luma_then_rgb_in_percent():
    planes = decoded_planes("yuv420p")
    spec = ColorSpec("bt709", False, 8)
    fig = scope_figure.figure("histogram", "side-by-side", planes, planes, spec, spec)
    panels = fig.columns[0][1]
    assert [p.title[0] for p in panels] == ["Y", "R", "G", "B"]
    counts = scopes.luma_histogram(planes, spec)
    assert panels[0].y_range[1] == pytest.approx(100.0 * counts.max() / counts.sum() * 1.05)


def test_cancelled_figure_is_dropped():
    planes = decoded_planes("yuv420p")
    spec = ColorSpec("bt709", False, 8)
    assert scope_figure.figure("parade", "overlay", planes, planes, spec, spec, cancelled=lambda: True) is None


# ------------------------------------------------------------------ threads

def test_kernels_agree_when_run_from_many_threads():
    inputs = [(decoded_planes(fmt, i), ColorSpec("bt709", False, FORMATS[fmt]))
              for fmt in ("yuv420p", "yuv422p10le") for i in (0, 2)]
    jobs = [(kind, planes, spec) for kind in scope_figure.KINDS for planes, spec in inputs]
    serial = [scope_figure.accumulate(kind, planes, spec) for kind, planes, spec in jobs]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            threaded = list(pool.map(lambda job: scope_figure.accumulate(*job), jobs))
            for a, b in zip(serial, threaded):
                np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ still pictures (reports)

def test_still_waveform_has_its_legal_lines_on_the_rows_of_those_codes():
    planes = decoded_planes("yuv420p")
    spec = ColorSpec("bt709", False, 8)
    (_, (panel,)), _ = scope_figure.figure("waveform", "side-by-side", planes, planes, spec, spec).columns
    still = scope_figure.still_picture(panel)
    for code in (16, 235):
        assert (still[255 - code] == scope_figure.LEGAL_RGB).all()          # top row is code 255
    samples = panel.image[::-1].any(axis=2)
    lines = np.zeros(256, bool)
    lines[[255 - 16, 255 - 235]] = True
    lines[[255 - v for v in (64, 128, 192)]] = True
    np.testing.assert_array_equal(still.any(axis=2)[~lines], samples[~lines])


def test_report_rows_can_carry_a_scope():
    from vqinspect.app.media.source import open_media
    from vqinspect.app.report.images import ReportImageRenderer
    from vqinspect.app.scoring.pairing import make_pair
    from tests.clips import clip

    pair = make_pair(open_media(lossless(frames=4, size=SMALL)), open_media(clip(frames=4, size=SMALL, crf=35)))
    with ReportImageRenderer(pair, scope="vectorscope") as renderer:
        panels = renderer.render(2).panels
        readers = pair.readers()
        try:
            ref, dist = (reader.frame(2) for reader in readers)
            expected, _ = scope_figure.report_picture("vectorscope", ref, dist, *renderer.specs)
        finally:
            for reader in readers:
                reader.close()
    scope = panels[-1]
    assert scope.title.startswith("Scope: vectorscope") and "75 % colour bars" in scope.caption
    decoded = cv2.imdecode(np.frombuffer(scope.png, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    np.testing.assert_array_equal(decoded, expected)
