"""The numba kernels of CAMBI (libvmaf ``cambi.c``): one picture's luma in, the pooled
c-values of its five scales out (and, if asked, the c-value maps).

All kernels live in this one file: numba's on-disk cache does not notice when a function
it inlined from another file changes. Everything is integer arithmetic as in C except the
float32 resize accumulation, the float32 c-values and the float64 pooling. No fastmath:
the float32 products must round as C rounds them.
"""
from __future__ import annotations

import numpy as np
from numba import njit

JIT_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")
"""Serial (the engine parallelises across frames), GIL-free, cached, IEEE arithmetic."""

NUM_SCALES = 5
MASK_FILTER_SIZE = 7

_F32 = np.float32


@njit(**JIT_OPTIONS)
def max_sample(src, pitch, h, w):
    """The largest sample of a plane given as a flat buffer with a row pitch."""
    top = 0
    for y in range(h):
        row = src[y * pitch: y * pitch + w]
        for x in range(w):
            if row[x] > top:
                top = row[x]
    return top


@njit(**JIT_OPTIONS)
def nn_indices(in_n, out_n):
    """decimate_generic's source index of each output sample: a float32 position started
    at ratio/2 - 0.5 and advanced by ``x += ratio`` in float32, taken as (int)(x + 0.5)."""
    out = np.empty(out_n, np.int64)
    ratio = _F32(in_n) / _F32(out_n)
    x = _F32(np.float64(ratio) / 2.0 - 0.5)
    for j in range(out_n):
        out[j] = np.int64(np.float64(x) + 0.5)
        x = _F32(x + ratio)
    return out


@njit(**JIT_OPTIONS)
def preprocess(src, pitch, in_h, in_w, bpc, anti_dither, out):
    """cambi_preprocessing: nearest-neighbour resize to ``out``'s size (only if it differs),
    conversion to 10 bit, and the 2x2 anti-dithering average when ``anti_dither``."""
    out_h, out_w = out.shape
    up = 10 - bpc if bpc < 10 else 0
    down = bpc - 10 if bpc > 10 else 0
    half = (1 << (down - 1)) if down > 0 else 0
    if out_h == in_h and out_w == in_w:
        for i in range(out_h):
            row = src[i * pitch: i * pitch + out_w]
            dst = out[i]
            for j in range(out_w):
                dst[j] = ((np.int32(row[j]) + half) >> down) << up
    else:
        rows = nn_indices(in_h, out_h)
        cols = nn_indices(in_w, out_w)
        for i in range(out_h):
            base = rows[i] * pitch
            dst = out[i]
            for j in range(out_w):
                dst[j] = ((np.int32(src[base + cols[j]]) + half) >> down) << up
    if anti_dither:
        for i in range(out_h - 1):
            a = out[i]
            b = out[i + 1]
            for j in range(out_w - 1):
                a[j] = (np.int64(a[j]) + a[j + 1] + b[j] + b[j + 1]) >> 2
            a[out_w - 1] = (np.int64(a[out_w - 1]) + b[out_w - 1]) >> 1
        last = out[out_h - 1]
        for j in range(out_w - 1):
            last[j] = (np.int64(last[j]) + last[j + 1]) >> 1


@njit(**JIT_OPTIONS)
def _flat_row(img, i, out):
    """1 where a pixel equals its right and bottom neighbours (a missing one counts as equal)."""
    h, w = img.shape
    row = img[i]
    below = img[i + 1] if i + 1 < h else img[i]
    for j in range(w - 1):
        out[j] = (row[j] == row[j + 1]) & (row[j] == below[j])
    out[w - 1] = row[w - 1] == below[w - 1]


@njit(**JIT_OPTIONS)
def spatial_mask(img, mask_index, mask):
    """get_spatial_mask: 1 where more than ``mask_index`` pixels of the centred 7x7 window
    (zero outside the image) equal both their right and bottom neighbours."""
    h, w = img.shape
    half = MASK_FILTER_SIZE >> 1
    flat = np.zeros((MASK_FILTER_SIZE, w), np.uint8)    # the window's rows, ring-buffered
    col_sum = np.zeros(w + 2 * half, np.uint8)          # zero-padded vertical window sums (<= 7)
    limit = np.uint8(mask_index)
    for i in range(min(half, h)):
        z = flat[i % MASK_FILTER_SIZE]
        _flat_row(img, i, z)
        for j in range(w):
            col_sum[j + half] += z[j]
    for i in range(h):
        z = flat[(i + half) % MASK_FILTER_SIZE]          # holds row i - half - 1 until replaced
        if i - half - 1 >= 0:
            for j in range(w):
                col_sum[j + half] -= z[j]
        if i + half < h:
            _flat_row(img, i + half, z)
            for j in range(w):
                col_sum[j + half] += z[j]
        m = mask[i]
        for j in range(w):                               # 7 shifted adds: vectorises
            total = (col_sum[j] + col_sum[j + 1] + col_sum[j + 2] + col_sum[j + 3]
                     + col_sum[j + 4] + col_sum[j + 5] + col_sum[j + 6])
            m[j] = np.uint8(total) > limit


@njit(**JIT_OPTIONS)
def decimate(img, mask, h, w):
    """Keep the top-left sample of each 2x2 block, in place; returns the new (h, w)."""
    nh, nw = (h + 1) >> 1, (w + 1) >> 1
    for i in range(nh):
        for j in range(nw):
            img[i, j] = img[2 * i, 2 * j]
            mask[i, j] = mask[2 * i, 2 * j]
    return nh, nw


@njit(**JIT_OPTIONS)
def _mode3(a, b, c):
    if a == b or a == c:
        return a
    if b == c:
        return b
    return min(a, min(b, c))


@njit(**JIT_OPTIONS)
def _mode_row(src, dst, w):
    dst[0] = src[0]
    for j in range(1, w - 1):
        dst[j] = _mode3(src[j - 1], src[j], src[j + 1])
    dst[w - 1] = src[w - 1]


@njit(**JIT_OPTIONS)
def filter_mode(img, h, w):
    """filter_mode: 3-tap mode across then down, in place on img[:h, :w]; the first and last
    rows keep their unfiltered values, the first and last columns skip the horizontal pass."""
    if h < 3:
        return
    rows = np.empty((3, w), img.dtype)
    _mode_row(img[0], rows[0], w)
    _mode_row(img[1], rows[1], w)
    for i in range(1, h - 1):
        above = rows[(i - 1) % 3]
        centre = rows[i % 3]
        below = rows[(i + 1) % 3]
        _mode_row(img[i + 1], below, w)
        out = img[i]
        for j in range(w):
            out[j] = _mode3(above[j], centre[j], below[j])


@njit(**JIT_OPTIONS)
def _row_runs(img_row, mask_row, w, lo, hi, offset, starts, ends, bins, flags):
    """Runs of equal counted values (masked, within lo..hi) along a row; returns how many.
    ``flags`` (w rounded up to 8, zero past w) marks counted pixels; all-zero 8-byte words
    are skipped at once (masks are sparse)."""
    for x in range(w):
        v = img_row[x]
        flags[x] = mask_row[x] & (v >= lo) & (v <= hi)
    words = flags.view(np.uint64)
    n = 0
    x = 0
    while x < w:
        if (x & 7) == 0 and words[x >> 3] == 0:
            x += 8
            continue
        if flags[x]:
            v = img_row[x]
            x0 = x
            x += 1
            while x < w and flags[x] and img_row[x] == v:
                x += 1
            starts[n] = x0
            ends[n] = x
            bins[n] = np.int64(v) - offset
            n += 1
        else:
            x += 1
    return n


@njit(**JIT_OPTIONS)
def _add_runs(hist, w, pad, n, starts, ends, bins, sign):
    """Add ``sign`` times each run pixel to the window count of every column within ``pad``
    of it: a run of equal values adds a trapezoid, min(x1, c+pad+1) - max(x0, c-pad)."""
    for i in range(n):
        x0 = starts[i]
        x1 = ends[i]
        counts = hist[bins[i]]
        for c in range(max(0, x0 - pad), min(w, x1 + pad)):
            counts[c] += sign * (min(x1, c + pad + 1) - max(x0, c - pad))


@njit(**JIT_OPTIONS)
def value_band(tvi, vlt_luma):
    """(base, top, hi, offset): the code values a c-value can read. Pixels in base..top can
    have one (none is visible above the largest threshold, none passes the visibility
    luminance below base); counts are kept for base..hi = top + num_diffs; histogram bin
    of value v is v - offset (offset = base - num_diffs, so v - d never indexes below 0)."""
    num_diffs = tvi.shape[0]
    base = max(vlt_luma - 3 * num_diffs + 1, 0)
    top = tvi[num_diffs - 1]
    return base, top, top + num_diffs, base - num_diffs


@njit(**JIT_OPTIONS)
def histogram_bins(tvi, vlt_luma):
    base, top, hi, offset = value_band(tvi, vlt_luma)
    return hi - offset + 1


@njit(**JIT_OPTIONS)
def c_values(img, mask, h, w, pad, tvi, weights, vlt_luma, hist_buffer, runs, positive, out):
    """calculate_c_values on img[:h, :w]: each masked pixel's largest contrast-weighted
    p0*p/(p+p0) over the visible contrasts d, with p0, p the counts of masked pixels of its
    value and of value +-d in the (2 pad + 1)^2 window clipped to the image; 0 elsewhere.

    The positive c-values go to ``positive`` (their count is returned); with a non-empty
    ``out`` the whole map is written there too. The window counts are column histograms
    updated a row of runs at a time, as libvmaf's inc/dec_range but per run of equal values
    (``hist_buffer``: at least histogram_bins * w; ``runs``: 3 x (2 pad + 2) x w).
    """
    num_diffs = tvi.shape[0]
    base, top, hi, offset = value_band(tvi, vlt_luma)
    hist = hist_buffer[:(hi - offset + 1) * w].reshape((hi - offset + 1, w))
    hist[:] = 0
    slots = 2 * pad + 2
    starts = runs[0]
    ends = runs[1]
    bins = runs[2]
    counts = np.zeros(slots, np.int64)
    best = np.empty(w, np.float32)
    flags = np.zeros((w + 7) // 8 * 8, np.uint8)
    keep_map = out.size > 0
    found = 0
    for y in range(min(pad, h)):
        counts[y] = _row_runs(img[y], mask[y], w, base, hi, offset, starts[y], ends[y], bins[y], flags)
        _add_runs(hist, w, pad, counts[y], starts[y], ends[y], bins[y], 1)
    for r in range(h):
        if r + pad < h:
            s = (r + pad) % slots
            counts[s] = _row_runs(img[r + pad], mask[r + pad], w, base, hi, offset, starts[s], ends[s], bins[s], flags)
            _add_runs(hist, w, pad, counts[s], starts[s], ends[s], bins[s], 1)
        if r - pad - 1 >= 0:
            s = (r - pad - 1) % slots
            _add_runs(hist, w, pad, counts[s], starts[s], ends[s], bins[s], -1)
        s = r % slots
        if keep_map:
            out[r, :w] = 0
        for i in range(counts[s]):
            b0 = bins[s, i]
            v = b0 + offset
            if v > top:
                continue
            x0 = starts[s, i]
            x1 = ends[s, i]
            best[x0:x1] = 0
            h0 = hist[b0]
            for k in range(num_diffs):
                d = k + 1
                if v > tvi[k] or v + num_diffs + d <= vlt_luma:
                    continue
                wk = np.int32(weights[k])
                up = hist[b0 + d]
                down = hist[b0 - d]
                for c in range(x0, x1):
                    p0 = np.int32(h0[c])
                    p = max(np.int32(up[c]), np.int32(down[c]))
                    val = _F32(wk * p0 * p) * (_F32(1.0) / _F32(p + p0))
                    if val > best[c]:
                        best[c] = val
            for c in range(x0, x1):
                if best[c] > 0:
                    positive[found] = best[c]
                    found += 1
            if keep_map:
                out[r, x0:x1] = best[x0:x1]
    return found


@njit(**JIT_OPTIONS)
def top_k_mean(positive, found, n, topk):
    """spatial_pooling: the mean (float64) of the k = clip((int)(topk*n), 1, n) largest of
    n c-values, of which ``positive[:found]`` are the non-zero ones."""
    k = min(max(np.int64(topk * n), 1), n)
    total = 0.0
    if found <= k:                        # the rest of the k largest are zeros
        for i in range(found):
            total += positive[i]
        return total / k
    kept = np.partition(positive[:found], found - k)
    for i in range(found - k, found):
        total += kept[i]
    return total / k


@njit(**JIT_OPTIONS)
def cambi_scales(img, mask, halve_first, pad, tvi, weights, vlt_luma, topk, hist_buffer, runs,
                 positive, maps):
    """cambi_score's loop over the five scales of a preprocessed 10-bit picture and its
    spatial mask (both modified in place; the buffers are those of ``c_values``, positive
    holds h*w). Returns each scale's pooled c-value; when ``maps`` is not empty, each
    scale's c-values are stored there one after another."""
    h, w = img.shape
    pooled = np.zeros(NUM_SCALES, np.float64)
    at = 0
    for scale in range(NUM_SCALES):
        if scale > 0 or halve_first:
            h, w = decimate(img, mask, h, w)
        filter_mode(img, h, w)
        out = maps[at:at + h * w].reshape((h, w)) if maps.size > 0 else maps.reshape((0, 0))
        found = c_values(img, mask, h, w, pad, tvi, weights, vlt_luma, hist_buffer, runs, positive, out)
        pooled[scale] = top_k_mean(positive, found, h * w, topk)
        if maps.size > 0:
            at += h * w
    return pooled
