"""A plain numpy CAMBI written from the algorithm description (notes/cambi.md), step by step,
to check the numba kernels against: no histograms, no runs, no bisection, no workspaces.

Window counts are box sums of one indicator image per code value; thresholds are found by
scanning every code value; pooling sorts.
"""
from __future__ import annotations

import numpy as np

F32 = np.float32
SCALE_WEIGHTS = np.array([16, 8, 4, 2, 1])
CONTRAST_WEIGHTS = np.array([1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8,
                             8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])


def luminance(sample, eotf: str = "bt1886"):
    """cd/m² of 10-bit code values read as limited range (64..940)."""
    v = (np.clip(np.asarray(sample, np.float64), 64, 940) - 64) / 876
    if eotf == "pq":
        p = v ** (1 / 78.84375)
        return 10000 * (np.maximum(p - 0.8359375, 0) / (18.8515625 - 18.6875 * p)) ** (1 / 0.1593017578125)
    lw, lb, g = 300.0, 0.01, 2.4
    a = (lw ** (1 / g) - lb ** (1 / g)) ** g
    b = lb ** (1 / g) / (lw ** (1 / g) - lb ** (1 / g))
    return a * np.maximum(v + b, 0) ** g


def tvi_thresholds(tvi: float, eotf: str, num_diffs: int) -> np.ndarray:
    """For each d, the code value in 64..940-d-1 where a step of d stops being visible
    (visible there, not one higher), by scanning; 0 if never visible, 1023 if always."""
    out = []
    for d in range(1, num_diffs + 1):
        s = np.arange(64, 940 - d + 1)
        lum = luminance(s, eotf)
        visible = luminance(s + d, eotf) - lum > tvi * lum
        if not visible[0]:
            out.append(0)
        elif visible[-1]:          # still visible at 940-d-1 and 940-d
            out.append(1023)
        else:
            out.append(int(s[np.flatnonzero(visible[:-1] & ~visible[1:])[0]]))
    return np.array(out)


def vlt_luma(threshold: float, eotf: str = "bt1886") -> int:
    s = np.arange(64, 1024)
    first = int(s[np.argmax(luminance(s, eotf) >= threshold)])
    return 0 if first == 64 else first


def window(ws: int, w: int, h: int, halved: bool = False) -> int:
    eff = int(np.floor(np.floor(ws * (w + h) / 375) / 16))
    if halved:
        eff = (eff + 1) // 2
    return eff | 1


def mask_index(w: int, h: int) -> int:
    n = (w // 64) * (h // 64)
    log2 = int(np.ceil(np.log2(n))) if n > 1 else 0
    return int(np.floor((49 + 3 * (log2 - 11) - 1) / 2))


def nn_indices(n_in: int, n_out: int) -> np.ndarray:
    """Source indices of the nearest-neighbour resize: float32 position, +0.5, truncated."""
    ratio = F32(n_in) / F32(n_out)
    x = F32(float(ratio) / 2 - 0.5)
    idx = []
    for _ in range(n_out):
        idx.append(int(float(x) + 0.5))
        x = F32(x + ratio)
    return np.array(idx)


def preprocess(luma: np.ndarray, bpc: int, enc_w: int, enc_h: int, enc_bitdepth: int) -> np.ndarray:
    """10-bit luma at the encode size, anti-dithered below 10-bit encodes."""
    y = luma.astype(np.int64)
    if (enc_h, enc_w) != y.shape:
        y = y[nn_indices(y.shape[0], enc_h)][:, nn_indices(y.shape[1], enc_w)]
    if bpc <= 10:
        y = y << (10 - bpc)
    else:
        y = (y + (1 << (bpc - 11))) >> (bpc - 10)
    if enc_bitdepth < 10:
        out = y.copy()
        out[:-1, :-1] = (y[:-1, :-1] + y[:-1, 1:] + y[1:, :-1] + y[1:, 1:]) >> 2
        out[:-1, -1] = (y[:-1, -1] + y[1:, -1]) >> 1
        out[-1, :-1] = (y[-1, :-1] + y[-1, 1:]) >> 1
        y = out
    return y


def box_sum(a: np.ndarray, radius: int) -> np.ndarray:
    """Sum over the centred (2r+1)^2 window, zero outside the image."""
    h, w = a.shape
    p = np.zeros((h + 2 * radius + 1, w + 2 * radius + 1), np.int64)
    p[radius + 1:radius + 1 + h, radius + 1:radius + 1 + w] = a
    s = p.cumsum(0).cumsum(1)
    k = 2 * radius + 1
    return s[k:k + h, k:k + w] - s[:h, k:k + w] - s[k:k + h, :w] + s[:h, :w]


def spatial_mask(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    right = np.ones((h, w), bool)
    right[:, :-1] = img[:, :-1] == img[:, 1:]
    down = np.ones((h, w), bool)
    down[:-1] = img[:-1] == img[1:]
    return box_sum((right & down).astype(np.int64), 3) > mask_index(w, h)


def mode3(a, b, c):
    return np.where((a == b) | (a == c), a, np.where(b == c, b, np.minimum(np.minimum(a, b), c)))


def filter_mode(img: np.ndarray) -> np.ndarray:
    h, w = img.shape
    if h < 3:
        return img.copy()
    horiz = img.copy()
    horiz[:, 1:-1] = mode3(img[:, :-2], img[:, 1:-1], img[:, 2:])
    out = img.copy()
    out[1:-1] = mode3(horiz[:-2], horiz[1:-1], horiz[2:])
    return out


def c_values(img: np.ndarray, mask: np.ndarray, pad: int, tvi: np.ndarray, vlt: int) -> np.ndarray:
    """Per pixel: max over visible d of w_d p0 p / (p + p0) (float32 as libvmaf: the product
    times the float32 reciprocal), counts over the clipped (2 pad + 1)^2 window of masked
    pixels; 0 off the mask."""
    num_diffs = len(tvi)
    boxes: dict[int, np.ndarray] = {}

    def count(v: int) -> np.ndarray:
        if v not in boxes:
            boxes[v] = box_sum(((img == v) & mask).astype(np.int64), pad)
        return boxes[v]

    out = np.zeros(img.shape, F32)
    for v in np.unique(img[mask]):
        v = int(v)
        sel = (img == v) & mask
        p0 = count(v)[sel]
        best = np.zeros(p0.shape, F32)
        for d in range(1, num_diffs + 1):
            if v > tvi[d - 1] or v + num_diffs + d <= vlt:
                continue
            up = count(v + d)[sel]
            down = count(v - d)[sel] if v - d >= 0 else np.zeros_like(up)
            p = np.maximum(up, down)
            val = (CONTRAST_WEIGHTS[d - 1] * p0 * p).astype(F32) * (F32(1) / (p + p0).astype(F32))
            best = np.maximum(best, val)
        out[sel] = best
    return out


def top_k_mean(c: np.ndarray, topk: float) -> float:
    n = c.size
    k = min(max(int(topk * n), 1), n)
    return float(np.sort(c.ravel().astype(np.float64))[n - k:].mean())


def cambi(luma: np.ndarray, bpc: int, *, enc_width: int = 0, enc_height: int = 0, enc_bitdepth: int = 0,
          window_size: int = 65, topk: float = 0.6, tvi_threshold: float = 0.019, max_log_contrast: int = 2,
          eotf: str = "bt1886", cambi_high_res_speedup: int = 0, cambi_vis_lum_threshold: float = 0.0,
          cambi_max_val: float = 1000.0) -> tuple[float, list[np.ndarray]]:
    """(score, c-value map of each scale) of one picture."""
    h, w = luma.shape
    if not enc_width or not enc_height or enc_width > w or enc_height > h:
        enc_width, enc_height = w, h
    halved = cambi_high_res_speedup in (1080, 1440, 2160) and enc_width * enc_height >= {
        1080: 1920 * 1080, 1440: 2560 * 1440, 2160: 3840 * 2160}[cambi_high_res_speedup]
    ws = window(window_size, enc_width, enc_height, halved)
    tvi = tvi_thresholds(tvi_threshold, eotf, 2 ** max_log_contrast)
    vlt = vlt_luma(cambi_vis_lum_threshold, eotf)
    img = preprocess(luma, bpc, enc_width, enc_height, enc_bitdepth or bpc)
    pooled, maps = scales(img, spatial_mask(img), halved, ws // 2, tvi, vlt, topk)
    score = float(np.dot(SCALE_WEIGHTS, pooled)) / (ws * ws)
    return min(score, cambi_max_val), maps


def scales(img: np.ndarray, mask: np.ndarray, halved: bool, pad: int, tvi: np.ndarray, vlt: int,
           topk: float) -> tuple[list[float], list[np.ndarray]]:
    """Pooled c-values and c-value maps of the five scales of a preprocessed picture."""
    pooled, maps = [], []
    for scale in range(5):
        if scale > 0 or halved:
            img, mask = img[::2, ::2], mask[::2, ::2]
        img = filter_mode(img)
        c = c_values(img, mask, pad, tvi, vlt)
        maps.append(c)
        pooled.append(top_k_mean(c, topk))
    return pooled, maps


def banded_frame(seed: int, height: int, width: int, bit_depth: int, step: int = 1) -> np.ndarray:
    """A picture with what CAMBI looks at: a slow gradient quantised in ``step``s of the
    native depth (bands), a near-black banded gradient (below the v1 models' visibility
    luminance), a flat dark patch, a noisy patch and a bright flat patch."""
    rng = np.random.default_rng(seed)
    i, j = np.mgrid[0:height, 0:width]
    peak = (1 << bit_depth) - 1
    scale = peak / 255
    g = (40 + 60 * j / width + 20 * i / height + 3 * np.sin(j / 23 + seed)) * scale
    g = np.round(g / step) * step
    g[: height // 3, width // 4: width // 2] = np.round((14 + 6 * j[: height // 3, width // 4: width // 2] / width
                                                         + i[: height // 3, width // 4: width // 2] / height)
                                                        * scale / step) * step
    g[height // 2:, : width // 4] = 30 * scale + rng.normal(0, 6 * scale, (height - height // 2, width // 4))
    g[: height // 3, -width // 5:] = 20 * scale
    g[height // 3:, -width // 6:] = 200 * scale
    return np.clip(np.round(g), 0, peak).astype(np.uint8 if bit_depth == 8 else np.uint16)
