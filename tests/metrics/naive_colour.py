"""Slow, obvious numpy references for the colour-difference kernels (tests only).

CIEDE2000 follows libvmaf's feature/ciede.c step by step over whole arrays, rounding to
float32 wherever C stores a ``float``; ΔE ITP follows ITU-R BT.2100 / BT.2124 and BT.1886 as
written in the recommendations, each step a separate function.
"""
from __future__ import annotations

import numpy as np

F32 = np.float32


def upsample_chroma(planes: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, U, V at luma size, each chroma sample repeated over the block it covers."""
    y, u, v = planes
    fy, fx = -(-y.shape[0] // u.shape[0]), -(-y.shape[1] // u.shape[1])
    grow = [np.repeat(np.repeat(c, fy, axis=0), fx, axis=1)[: y.shape[0], : y.shape[1]] for c in (u, v)]
    return y, grow[0], grow[1]


# ----------------------------------------------------------------------------- CIEDE2000 (libvmaf)

def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c > 10.0 / 255.0, ((np.maximum(c, 0.0) + 0.055) / 1.055) ** 2.4, c / 12.92)


def lab_f(t: np.ndarray) -> np.ndarray:
    """CIELAB's f, rounded to float32 as xyz_to_lab_map returns it."""
    eps, kappa = 216.0 / 24389.0, 24389.0 / 27.0
    return np.where(t > eps, np.cbrt(np.maximum(t, 0.0)), (kappa * t + 16.0) / 116.0).astype(F32)


def libvmaf_lab(planes: tuple, bit_depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """get_lab_color on every pixel: float32 L, a, b."""
    s = 2.0 ** (bit_depth - 8)
    y, u, v = (p.astype(np.float64) for p in upsample_chroma(planes))
    y = (y - 16 * s) / (219 * s)
    u = (u - 128 * s) / (224 * s)
    v = (v - 128 * s) / (224 * s)
    r = srgb_to_linear(y + 1.28033 * v)
    g = srgb_to_linear(y - 0.21482 * u - 0.38059 * v)
    b = srgb_to_linear(y + 2.12798 * u)
    x = 0.4124564390896921 * r + 0.357576077643909 * g + 0.18043748326639894 * b
    yy = 0.21267285140562248 * r + 0.715152155287818 * g + 0.07217499330655958 * b
    z = 0.019333895582329317 * r + 0.119192025881303 * g + 0.9503040785363677 * b
    fx, fy, fz = (lab_f(t).astype(np.float64) for t in (x / 0.95047, yy, z / 1.08883))
    return (116 * fy - 16).astype(F32), (500 * (fx - fy)).astype(F32), (200 * (fy - fz)).astype(F32)


def libvmaf_delta_e00(lab1, lab2) -> np.ndarray:
    """ciede2000() with kL, kC, kH = 0.65, 1, 4 and its two shortcuts, over arrays."""
    d = np.float64
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    dl = (l2 - l1).astype(F32)
    l_bar = ((l1 + l2) / F32(2)).astype(F32)
    c1 = np.sqrt(d(a1) ** 2 + d(b1) ** 2).astype(F32)
    c2 = np.sqrt(d(a2) ** 2 + d(b2) ** 2).astype(F32)
    c_bar = ((c1 + c2) / F32(2)).astype(F32)
    g = 1 - np.sqrt(d(c_bar) ** 7 / (d(c_bar) ** 7 + 25.0 ** 7))
    ap1 = (a1 + (a1 / F32(2)) * g).astype(F32)
    ap2 = (a2 + (a2 / F32(2)) * g).astype(F32)
    cp1 = np.sqrt(d(ap1) ** 2 + d(b1) ** 2).astype(F32)
    cp2 = np.sqrt(d(ap2) ** 2 + d(b2) ** 2).astype(F32)
    cp_bar = ((cp1 + cp2) / F32(2)).astype(F32)
    dc = (cp2 - cp1).astype(F32)
    l50 = d((l_bar - F32(50)).astype(F32)) ** 2
    s_l = (1 + 0.015 * l50 / np.sqrt(20 + l50)).astype(F32)
    s_c = (1 + 0.045 * d(cp_bar)).astype(F32)

    def hue(b, a):
        h = np.arctan2(d(b), d(a)).astype(F32)
        h = np.where(h < 0, (d(h) + 2 * np.pi).astype(F32), h)
        return np.where((b == 0) & (a == 0), F32(0), h).astype(F32)

    h1, h2 = hue(b1, ap1), hue(b2, ap2)
    diff = (h2 - h1).astype(F32)
    dh = np.where(np.abs(diff) <= np.pi, diff,
                  np.where(h2 <= h1, d(diff) + 2 * np.pi, d(diff) - 2 * np.pi)).astype(F32)
    dh = np.where((c1 == 0) | (c2 == 0), F32(0), dh)
    d_big_h = (2.0 * np.sqrt(d((cp1 * cp2).astype(F32))) * np.sin(d(dh) / 2)).astype(F32)
    h_sum = d((h1 + h2).astype(F32))
    h_bar = np.where(np.abs(d((h1 - h2).astype(F32))) > np.pi, (h_sum + 2 * np.pi) / 2, h_sum / 2).astype(F32)
    hb = d(h_bar)
    t = (1 - 0.17 * np.cos(hb - np.pi / 6) + 0.24 * np.cos(2 * hb) + 0.32 * np.cos(3 * hb + np.pi / 30)
         - 0.20 * np.cos(4 * hb - 7 * np.pi / 20)).astype(F32)
    s_h = (1 + 0.015 * d(cp_bar) * d(t)).astype(F32)
    degrees = ((d((hb * (180 / np.pi)).astype(F32)) - 275) / 25).astype(F32)
    cp7 = (cp_bar ** F32(7)).astype(F32)
    ratio = (cp7 / (cp7 + F32(25) ** F32(7))).astype(F32)
    angle = (d((60 * np.exp(-d((degrees ** F32(2)).astype(F32)))).astype(F32)) * (np.pi / 180)).astype(F32)
    r_t = (-2 * np.sqrt(d(ratio)) * np.sin(d(angle))).astype(F32)
    lightness = (dl / (F32(0.65) * s_l)).astype(F32)
    chroma = (dc / s_c).astype(F32)
    hue_term = (d_big_h / (F32(4) * s_h)).astype(F32)
    cross = (r_t * chroma * hue_term).astype(F32)
    return np.sqrt(d(lightness) ** 2 + d(chroma) ** 2 + d(hue_term) ** 2 + d(cross)).astype(F32)


def ciede_map(ref: tuple, dist: tuple, bit_depth: int) -> np.ndarray:
    return libvmaf_delta_e00(libvmaf_lab(ref, bit_depth), libvmaf_lab(dist, bit_depth))


def ciede_scores(ref: tuple, dist: tuple, bit_depth: int) -> dict[str, float]:
    values = ciede_map(ref, dist, bit_depth)
    mean = float(np.sum(values, dtype=np.float64) / values.size)
    return {"ciede2000": 45 - 20 * np.log10(mean) if mean > 0 else np.inf, "delta_e00_mean": mean,
            "delta_e00_p99": float(np.percentile(values, 99))}


# ----------------------------------------------------------------------------- ΔE ITP (BT.2124)

KR_KB = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}
XY = {"bt709": [(0.640, 0.330), (0.300, 0.600), (0.150, 0.060)],
      "bt2020": [(0.708, 0.292), (0.170, 0.797), (0.131, 0.046)]}


def ycbcr_to_rgb(planes: tuple, bit_depth: int, matrix: str, full_range: bool) -> np.ndarray:
    """Non-linear R'G'B' in [0, 1] (clipped), H x W x 3."""
    y, u, v = (p.astype(np.float64) for p in upsample_chroma(planes))
    if full_range:
        top = 2.0 ** bit_depth - 1
        y, cb, cr = y / top, (u - 2 ** (bit_depth - 1)) / top, (v - 2 ** (bit_depth - 1)) / top
    else:
        s = 2.0 ** (bit_depth - 8)
        y, cb, cr = (y - 16 * s) / (219 * s), (u - 128 * s) / (224 * s), (v - 128 * s) / (224 * s)
    kr, kb = KR_KB[matrix]
    kg = 1 - kr - kb
    r = y + 2 * (1 - kr) * cr
    b = y + 2 * (1 - kb) * cb
    g = (y - kr * r - kb * b) / kg
    return np.clip(np.stack([r, g, b], -1), 0.0, 1.0)


def pq_eotf(e: np.ndarray) -> np.ndarray:
    m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
    p = e ** (1 / m2)
    return 10000 * (np.maximum(p - c1, 0) / (c2 - c3 * p)) ** (1 / m1)


def pq_inverse_eotf(nits: np.ndarray) -> np.ndarray:
    m1, m2, c1, c2, c3 = 0.1593017578125, 78.84375, 0.8359375, 18.8515625, 18.6875
    y = (np.maximum(nits, 0) / 10000) ** m1
    return ((c1 + c2 * y) / (1 + c3 * y)) ** m2


def hlg_eotf(rgb: np.ndarray, peak: float, luminance: np.ndarray) -> np.ndarray:
    a = 0.17883277
    b, c = 1 - 4 * a, 0.5 - a * np.log(4 * a)
    scene = np.where(rgb <= 0.5, rgb ** 2 / 3, (np.exp((rgb - c) / a) + b) / 12)
    gamma = 1.2 + 0.42 * np.log10(peak / 1000)
    ys = scene @ luminance
    return peak * ys[..., None] ** (gamma - 1) * scene


def rgb_to_xyz(primaries: str) -> np.ndarray:
    cols = np.array([[x / y, 1, (1 - x - y) / y] for x, y in XY[primaries]]).T
    white = np.array([0.3127 / 0.3290, 1, (1 - 0.3127 - 0.3290) / 0.3290])
    return cols * np.linalg.solve(cols, white)


def ictcp(planes: tuple, bit_depth: int, colour: dict) -> np.ndarray:
    """H x W x 3 ICtCp of Y'CbCr planes under a colour description."""
    rgb = ycbcr_to_rgb(planes, bit_depth, colour["matrix"], colour["range"] == "full")
    to_xyz = rgb_to_xyz(colour["primaries"])
    if colour["transfer"] == "pq":
        light = pq_eotf(rgb)
    elif colour["transfer"] == "hlg":
        light = hlg_eotf(rgb, colour["peak_nits"], to_xyz[1])
    else:
        light = 100.0 * rgb ** 2.4
    rgb2020 = light @ np.linalg.solve(rgb_to_xyz("bt2020"), to_xyz).T
    lms = rgb2020 @ (np.array([[1688, 2146, 262], [683, 2951, 462], [99, 309, 3688]]) / 4096).T
    lms_p = pq_inverse_eotf(lms)
    return lms_p @ (np.array([[2048, 2048, 0], [6610, -13613, 7003], [17933, -17390, -543]]) / 4096).T


def delta_e_itp_map(ref: tuple, dist: tuple, bit_depth: int, colour: dict) -> np.ndarray:
    d = ictcp(dist, bit_depth, colour) - ictcp(ref, bit_depth, colour)
    return 720 * np.sqrt(d[..., 0] ** 2 + (0.5 * d[..., 1]) ** 2 + d[..., 2] ** 2)
