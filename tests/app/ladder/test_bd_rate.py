"""BD-rate and BD-quality against the FAU ``bjontegaard`` package and Netflix's expectations
(/work/shared/notes/ladder.md, sec. 4)."""
import math

import bjontegaard
import numpy as np
import pytest

from vqinspect.app.ladder.bd_rate import (METHODS, bd_quality, bd_rate, interpolator, monotone_curve)

# (anchor, test) as (rate, PSNR) points, the anchor first
VECTORS = {
    "JCTVC-1": ([(108048.8736, 43.6471), (61279.976, 40.3953), (33905.6656, 37.247), (18883.6928, 34.2911)],
                [(108061.2784, 43.6768), (61299.9936, 40.4232), (33928.7472, 37.2761), (18910.912, 34.3147)]),
    "JCTVC-2": ([(40433.8848, 37.5761), (7622.7456, 35.3756), (2394.488, 33.8977), (1017.6184, 32.0603)],
                [(40370.12, 37.5982), (7587.0024, 35.4025), (2390.0944, 33.9194), (1017.0984, 32.0822)]),
    "FAU-README": (list(zip((9487.76, 4593.60, 2486.44, 1358.24), (40.037, 38.615, 36.845, 34.851))),
                   list(zip((9787.80, 4469.00, 2451.52, 1356.24), (40.121, 38.651, 36.970, 34.987)))),
    "FAU-ex2": (list(zip((82472.76, 26875.24, 9487.76, 4593.6), (43.825, 41.404, 40.037, 38.615))),
                list(zip((99896.96, 33952.04, 9787.8, 4469.0), (44.731, 41.875, 40.121, 38.651)))),
    "Anserw-1": (list(zip((686.76, 309.58, 157.11, 85.95), (40.28, 37.18, 34.24, 31.42))),
                 list(zip((893.34, 407.8, 204.93, 112.75), (40.39, 37.21, 34.17, 31.24)))),
}


def _curves(name):
    anchor, test = VECTORS[name]
    return monotone_curve(*zip(*anchor)), monotone_curve(*zip(*test))


def _fau_args(name):
    anchor, test = VECTORS[name]
    ra, qa = (np.array(v) for v in zip(*anchor))
    rt, qt = (np.array(v) for v in zip(*test))
    return ra, qa, rt, qt


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", sorted(VECTORS))
def test_matches_the_bjontegaard_package(name, method):
    a, t = _curves(name)
    expected_rate = bjontegaard.bd_rate(*_fau_args(name), method=method)
    expected_quality = bjontegaard.bd_psnr(*_fau_args(name), method=method)
    rate, quality = bd_rate(a, t, method), bd_quality(a, t, method)
    assert rate.value == pytest.approx(expected_rate, abs=1e-6)
    assert quality.value == pytest.approx(expected_quality, abs=1e-8)
    assert rate.note == "" and quality.note == ""


def test_netflix_expectations():
    """BDrateCalculator.CalcBDRate gives fractions; exact PCHIP integration as ours."""
    a, t = _curves("JCTVC-1")
    assert bd_rate(a, t).value == pytest.approx(-0.4652154208, abs=1e-9)
    assert bd_rate(a, t).value / 100 == pytest.approx(-0.00465215420752807, abs=1e-12)
    a, t = _curves("JCTVC-2")
    assert bd_rate(a, t).value / 100 == pytest.approx(-0.018779823450567612, abs=1e-12)


def test_scaled_rates_give_the_scale():
    """Netflix's synthetic check: every test rate ×1.1 is +10 %, ×0.9 is −10 %, for every method."""
    anchor, _ = VECTORS["FAU-ex2"]
    a = monotone_curve(*zip(*anchor))
    for factor in (1.1, 0.9):
        t = monotone_curve(a.rates * factor, a.quality)
        for method in METHODS:
            assert bd_rate(a, t, method).value == pytest.approx((factor - 1) * 100, abs=1e-9)


def test_order_of_points_does_not_matter():
    anchor, test = VECTORS["Anserw-1"]
    a1, t1 = _curves("Anserw-1")
    a2, t2 = monotone_curve(*zip(*anchor[::-1])), monotone_curve(*zip(*test[1::2] + test[::2]))
    assert bd_rate(a1, t1).value == bd_rate(a2, t2).value


def test_no_overlap_is_nan_with_a_note():
    a = monotone_curve([100, 200, 400, 800], [30, 32, 34, 36])
    t = monotone_curve([100, 200, 400, 800], [40, 42, 44, 46])
    r = bd_rate(a, t)
    assert math.isnan(r.value) and "do not overlap" in r.note
    assert not math.isnan(bd_quality(a, t).value)      # the rates overlap fully


def test_small_overlap_keeps_the_value_and_says_so():
    a = monotone_curve([100, 200, 400, 800], [30, 32, 34, 36])
    t = monotone_curve([100, 200, 400, 800], [35, 37, 39, 41])
    ra, qa, rt, qt = (np.array(v, dtype=float) for v in ([100, 200, 400, 800], [30, 32, 34, 36],
                                                          [100, 200, 400, 800], [35, 37, 39, 41]))
    with pytest.warns(UserWarning):
        expected = bjontegaard.bd_rate(ra, qa, rt, qt, method="pchip")
    r = bd_rate(a, t)
    assert r.value == pytest.approx(expected, abs=1e-6) and "overlap over 9%" in r.note


def test_monotone_curve_prunes_what_does_not_rise():
    c = monotone_curve([800, 100, 400, 200, 600, 1000], [95.0, 60.0, 90.0, 80.0, 89.0, 95.0])
    assert list(c.rates) == [100, 200, 400, 800] and list(c.quality) == [60, 80, 90, 95]
    assert sorted(c.pruned) == [(600.0, 89.0), (1000.0, 95.0)]


def test_cubic_needs_four_points():
    a = monotone_curve([100, 200, 400], [30, 32, 34])
    r = bd_rate(a, a, "cubic")
    assert math.isnan(r.value) and "at least 4" in r.note
    assert bd_rate(a, a, "pchip").value == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("method", ["pchip", "akima"])
def test_interpolators_match_scipy_between_the_points(method):
    from scipy.interpolate import Akima1DInterpolator, PchipInterpolator

    x = np.array([31.42, 34.24, 37.18, 40.28, 41.0])
    y = np.log10([85.95, 157.11, 309.58, 686.76, 900.0])
    ours = interpolator(x, y, method)
    theirs = (PchipInterpolator if method == "pchip" else Akima1DInterpolator)(x, y)
    xs = np.linspace(x[0], x[-1], 57)
    np.testing.assert_allclose(ours(xs), theirs(xs), rtol=0, atol=1e-12)
    assert ours.integral(32.0, 40.9) == pytest.approx(theirs.integrate(32.0, 40.9), abs=1e-12)
