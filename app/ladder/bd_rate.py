"""Bjøntegaard deltas: BD-rate (average horizontal gap in log-rate, in %) and BD-quality (average
vertical gap, in the metric's units) between an anchor and a test rate-quality curve.

Three interpolators (see /work/shared/notes/ladder.md): ``pchip`` (the JCT-VC/JVET sheets',
Netflix's ``BDrateCalculator`` and FAU's default), integrated exactly segment by segment;
``cubic`` (VCEG-M33's least-squares cubic, integrated analytically); ``akima`` (scipy's
``Akima1DInterpolator``, integrated exactly). The integration interval is the intersection of
the two curves' ranges, never extrapolated; no overlap gives NaN, an overlap under 75 % of
the union a value with a note (FAU's rules). Curves are made strictly increasing in both rate
and quality first (``monotone_curve``), and what was pruned is said.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

METHODS = ("pchip", "cubic", "akima")
DEFAULT_METHOD = "pchip"
MIN_OVERLAP = 0.75                 # FAU's min_overlap: below it the value comes with a warning
MIN_POINTS = {"pchip": 2, "akima": 2, "cubic": 4}


@dataclass(frozen=True)
class Curve:
    """Rate-quality points, both strictly increasing; ``pruned``: (rate, quality) points left out."""

    rates: np.ndarray
    quality: np.ndarray
    pruned: tuple[tuple[float, float], ...] = ()

    def __len__(self) -> int:
        return len(self.rates)


@dataclass(frozen=True)
class BdValue:
    """A BD number (NaN when it cannot be computed) and what to know about it."""

    value: float
    note: str = ""


def monotone_curve(rates, quality) -> Curve:
    """The points sorted by rate, keeping each only if both its rate and its quality exceed the
    last kept point's: PCHIP and Akima need strictly increasing data, and a quality that does
    not rise with the rate (VMAF saturating at 100, a worse encode at a higher rate) is not a
    rate-quality curve. Non-finite or non-positive rates are dropped too."""
    r = np.asarray(rates, dtype=np.float64)
    q = np.asarray(quality, dtype=np.float64)
    order = np.lexsort((-q, r))             # by rate; at equal rates the best quality first
    kept_r, kept_q, pruned = [], [], []
    for i in order:
        ri, qi = float(r[i]), float(q[i])
        usable = math.isfinite(ri) and math.isfinite(qi) and ri > 0
        if usable and (not kept_r or (ri > kept_r[-1] and qi > kept_q[-1])):
            kept_r.append(ri)
            kept_q.append(qi)
        else:
            pruned.append((ri, qi))
    return Curve(np.asarray(kept_r), np.asarray(kept_q), tuple(pruned))


def bd_rate(anchor: Curve, test: Curve, method: str = DEFAULT_METHOD) -> BdValue:
    """BD-rate of ``test`` against ``anchor`` in percent (negative: the test needs fewer bits)."""
    delta = _delta(anchor.quality, np.log10(anchor.rates), test.quality, np.log10(test.rates),
                   method, "quality")
    value = float(10.0 ** delta.value - 1.0) * 100.0 if math.isfinite(delta.value) else math.nan
    return BdValue(value, delta.note)


def bd_quality(anchor: Curve, test: Curve, method: str = DEFAULT_METHOD) -> BdValue:
    """BD-quality (BD-PSNR, BD-VMAF...) of ``test`` against ``anchor``, in the metric's units."""
    return _delta(np.log10(anchor.rates), anchor.quality, np.log10(test.rates), test.quality,
                  method, "log-rate")


def _delta(x_a, y_a, x_t, y_t, method: str, axis: str) -> BdValue:
    """Mean of (test − anchor) of y over the overlap of the x ranges."""
    if method not in METHODS:
        raise ValueError(f"unknown BD method {method!r} (choose from {', '.join(METHODS)})")
    need = MIN_POINTS[method]
    if min(len(x_a), len(x_t)) < need:
        return BdValue(math.nan, f"{method} needs at least {need} points per curve "
                                 f"(anchor {len(x_a)}, test {len(x_t)})")
    lo, hi = float(max(x_a[0], x_t[0])), float(min(x_a[-1], x_t[-1]))
    union = float(max(x_a[-1], x_t[-1]) - min(x_a[0], x_t[0]))
    if hi <= lo:
        return BdValue(math.nan, f"the curves do not overlap in {axis}")
    share = (hi - lo) / union
    note = (f"the curves overlap over {share:.0%} of their {axis} range (under {MIN_OVERLAP:.0%})"
            if share < MIN_OVERLAP else "")
    f_a, f_t = interpolator(x_a, y_a, method), interpolator(x_t, y_t, method)
    return BdValue(float((f_t.integral(lo, hi) - f_a.integral(lo, hi)) / (hi - lo)), note)


class Polynomial:
    """VCEG-M33's fit: a least-squares cubic through all the points."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.coefficients = np.polyfit(x, y, 3)

    def integral(self, lo: float, hi: float) -> float:
        p = np.polyint(self.coefficients)
        return float(np.polyval(p, hi) - np.polyval(p, lo))

    def __call__(self, x):
        return np.polyval(self.coefficients, x)


class Hermite:
    """A piecewise cubic through (x_k, y_k) with slopes d_k, integrated exactly."""

    def __init__(self, x: np.ndarray, y: np.ndarray, slopes: np.ndarray):
        self.x, self.y, self.d = x, y, slopes
        h = np.diff(x)
        delta = np.diff(y) / h
        self.c = (3 * delta - 2 * slopes[:-1] - slopes[1:]) / h          # s² coefficients
        self.b = (slopes[:-1] - 2 * delta + slopes[1:]) / h ** 2         # s³ coefficients

    def integral(self, lo: float, hi: float) -> float:
        total = 0.0
        for k in range(len(self.x) - 1):
            a, b = max(lo, self.x[k]), min(hi, self.x[k + 1])
            if b <= a:
                continue
            s0, s1 = a - self.x[k], b - self.x[k]
            total += (self.y[k] * (s1 - s0) + self.d[k] * (s1 ** 2 - s0 ** 2) / 2
                      + self.c[k] * (s1 ** 3 - s0 ** 3) / 3 + self.b[k] * (s1 ** 4 - s0 ** 4) / 4)
        return float(total)

    def __call__(self, x):
        x = np.asarray(x, dtype=np.float64)
        k = np.clip(np.searchsorted(self.x, x, side="right") - 1, 0, len(self.x) - 2)
        s = x - self.x[k]
        return self.y[k] + s * (self.d[k] + s * (self.c[k] + s * self.b[k]))


def interpolator(x, y, method: str = DEFAULT_METHOD):
    """The curve through points with strictly increasing ``x``: ``integral(lo, hi)`` and a call."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if method == "cubic":
        return Polynomial(x, y)
    slopes = pchip_slopes(x, y) if method == "pchip" else akima_slopes(x, y)
    return Hermite(x, y, slopes)


def pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fritsch–Carlson slopes as Moler's pchiptx, Netflix's InterpolationUtils and scipy's
    PchipInterpolator: weighted harmonic means inside (0 at a change of direction), a shape-
    preserving three-point estimate at the ends; two points: the straight line."""
    h = np.diff(x)
    m = np.diff(y) / h
    if len(x) == 2:
        return np.array([m[0], m[0]])
    d = np.zeros_like(y)
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
    same = (np.sign(m[1:]) == np.sign(m[:-1])) & (m[1:] != 0) & (m[:-1] != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / m[:-1] + w2 / m[1:])
    d[1:-1] = np.where(same, harmonic, 0.0)
    d[0] = _pchip_end(h[0], h[1], m[0], m[1])
    d[-1] = _pchip_end(h[-1], h[-2], m[-1], m[-2])
    return d


def _pchip_end(h0: float, h1: float, m0: float, m1: float) -> float:
    d = ((2 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > abs(3 * m0):
        return 3 * m0
    return float(d)


def akima_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Akima's (1970) slopes as scipy's Akima1DInterpolator (method "akima") makes them: two
    slopes extrapolated linearly beyond each end; two points: the straight line."""
    m = np.diff(y) / np.diff(x)
    if len(x) == 2:
        return np.array([m[0], m[0]])
    ext = np.empty(len(x) + 3)
    ext[2:-2] = m
    ext[1] = 2 * ext[2] - ext[3]
    ext[0] = 2 * ext[1] - ext[2]
    ext[-2] = 2 * ext[-3] - ext[-4]
    ext[-1] = 2 * ext[-2] - ext[-3]
    t = 0.5 * (ext[3:] + ext[:-3])
    dm = np.abs(np.diff(ext))
    f1, f2 = dm[2:], dm[:-2]
    f12 = f1 + f2
    defined = f12 > 1e-9 * np.max(f12)
    t[defined] = ext[1:-2][defined] + f2[defined] / f12[defined] * (ext[2:-1][defined] - ext[1:-2][defined])
    return t
