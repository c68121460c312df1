"""Spatial checks of a frame pair and the crops that fix them.

On a few matched frame pairs: black borders (letterbox or pillarbox) in one clip only, a
global shift of a few pixels (OpenCV phase correlation), and a distorted clip that is a
window of the reference scaled to its size (multi-scale template matching). Each finding
comes with a ``PairCrop``: the window of each clip to score, which ``crop_planes`` cuts out
of decoded planes the way FFmpeg's ``crop=w:h:x:y:exact=1`` does (chroma at x >> sub).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLACK_MARGIN = 12        # 8-bit levels above the darkest row mean that still count as a bar
BRIGHT_SHARE = 0.02      # ... with at most this share of pixels brighter than black + 32
MIN_BORDER = 2           # px: thinner differences between the clips are not reported
SHIFT_RESPONSE = 0.2     # phase correlation peak below this: no clear global shift
SHIFT_WINDOW = 512       # px: the phase correlation looks at the central window this big at most
MATCH_GOOD = 0.9         # normalized correlation a crop window must reach
MATCH_GAIN = 0.02        # ... and beat the whole frame by
CROP_FRACTIONS = np.linspace(0.5, 1.0, 51)
COARSE_WIDTH = 160       # px: the coarse crop search runs at about this width


@dataclass(frozen=True)
class Rect:
    """A window: ``w`` x ``h`` at (``x``, ``y``), written like FFmpeg's crop ``w:h:x:y``."""

    w: int
    h: int
    x: int = 0
    y: int = 0

    def __str__(self) -> str:
        return f"{self.w}:{self.h}:{self.x}:{self.y}"

    def fits(self, width: int, height: int) -> bool:
        return self.w > 0 and self.h > 0 and self.x >= 0 and self.y >= 0 and \
            self.x + self.w <= width and self.y + self.h <= height


@dataclass(frozen=True)
class PairCrop:
    """The window of each clip to score (None: the whole frame)."""

    reference: Rect | None = None
    distorted: Rect | None = None

    def as_dict(self) -> dict:
        return {"reference": str(self.reference) if self.reference else None,
                "distorted": str(self.distorted) if self.distorted else None}

    def describe(self) -> str:
        parts = [f"{name} {rect}" for name, rect in (("reference", self.reference),
                                                     ("distorted", self.distorted)) if rect]
        return "crop " + ", ".join(parts)


def parse_rect(text: str) -> Rect:
    """``W:H:X:Y`` (X and Y may be left out); ValueError if malformed."""
    parts = text.split(":")
    if not 2 <= len(parts) <= 4:
        raise ValueError(f"a crop is W:H:X:Y, got {text!r}")
    try:
        values = [int(p) for p in parts] + [0] * (4 - len(parts))
    except ValueError:
        raise ValueError(f"a crop is whole numbers W:H:X:Y, got {text!r}") from None
    return Rect(*values)


def parse_crop(text: str) -> PairCrop:
    """``--crop``: ``W:H:X:Y`` for both clips, or ``ref=W:H:X:Y`` / ``dist=W:H:X:Y``
    (comma-separated for both)."""
    ref = dist = None
    for item in text.split(","):
        side, _, rect = item.strip().rpartition("=")
        if side in ("", "both"):
            ref = dist = parse_rect(rect)
        elif side in ("ref", "reference"):
            ref = parse_rect(rect)
        elif side in ("dist", "distorted"):
            dist = parse_rect(rect)
        else:
            raise ValueError(f"--crop wants W:H:X:Y, ref=W:H:X:Y or dist=W:H:X:Y, got {item!r}")
    return PairCrop(ref, dist)


def parse_shift(text: str) -> tuple[int, int]:
    """``--shift DX:DY``: distorted pixel (x+DX, y+DY) shows reference pixel (x, y)."""
    try:
        dx, dy = (int(v) for v in text.split(":"))
    except ValueError:
        raise ValueError(f"--shift wants whole numbers DX:DY, got {text!r}") from None
    return dx, dy


def shift_crop(dx: int, dy: int, width: int, height: int) -> PairCrop:
    """The windows of two ``width`` x ``height`` clips that line up under a shift."""
    w, h = width - abs(dx), height - abs(dy)
    if w <= 0 or h <= 0:
        raise ValueError(f"a shift of {dx}:{dy} leaves nothing of {width}x{height} frames")
    return PairCrop(Rect(w, h, max(0, -dx), max(0, -dy)), Rect(w, h, max(0, dx), max(0, dy)))


def combine(first: PairCrop | None, second: PairCrop | None) -> PairCrop | None:
    """``second``'s windows taken inside ``first``'s (e.g. a shift inside a border crop)."""
    if first is None or second is None:
        return second if first is None else first

    def inner(a: Rect | None, b: Rect | None) -> Rect | None:
        if a is None or b is None:
            return b if a is None else a
        return Rect(b.w, b.h, a.x + b.x, a.y + b.y)

    return PairCrop(inner(first.reference, second.reference), inner(first.distorted, second.distorted))


def crop_planes(planes: tuple, rect: Rect | None) -> tuple:
    """Views of ``planes`` inside ``rect`` (chroma planes at the subsampled position)."""
    if rect is None:
        return planes
    luma = planes[0]
    out = [luma[rect.y:rect.y + rect.h, rect.x:rect.x + rect.w]]
    for plane in planes[1:]:
        sx = _shift(luma.shape[1], plane.shape[1])
        sy = _shift(luma.shape[0], plane.shape[0])
        x, y = rect.x >> sx, rect.y >> sy
        w, h = -(-rect.w // (1 << sx)), -(-rect.h // (1 << sy))
        out.append(plane[y:y + h, x:x + w])
    return tuple(out)


def _shift(full: int, sub: int) -> int:
    return max(0, round(np.log2(full / max(sub, 1))))


@dataclass(frozen=True)
class SpatialFinding:
    kind: str              # borders, shift or crop
    text: str              # what was seen
    crop: PairCrop         # what to score instead
    option: str            # the command-line option that applies it

    def as_dict(self) -> dict:
        return {"kind": self.kind, "description": self.text, "crop": self.crop.as_dict(), "option": self.option}


@dataclass(frozen=True)
class SpatialReport:
    findings: tuple[SpatialFinding, ...]
    frames: tuple[tuple[int, int], ...]   # the (reference, distorted) pairs looked at

    @property
    def crop(self) -> PairCrop | None:
        """All findings' windows together (None when nothing was found)."""
        out = None
        for f in self.findings:
            out = combine(out, f.crop)
        return out

    def as_dict(self) -> dict:
        return {"findings": [f.as_dict() for f in self.findings], "frames": [list(p) for p in self.frames]}

    def summary(self) -> list[str]:
        if not self.findings:
            return ["spatial: no borders, shift or crop found"] if self.frames else []
        return [f"spatial: {f.text}: score with {f.option}" for f in self.findings]


def check_pairs(reference, distorted, samples: list[tuple[int, int]]) -> SpatialReport:
    """Look at the luma of the (reference, distorted) frame ``samples`` for borders, a shift
    or a crop; readers decode forward from the start when the samples are early frames."""
    if not samples:
        return SpatialReport((), ())
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2, thread_name_prefix="vq-spatial") as pool:  # decoding releases the GIL
        refs, dists = pool.map(_lumas, (reference, distorted), ([r for r, _ in samples], [d for _, d in samples]))
    return SpatialReport(tuple(find(refs, dists)), tuple(samples))


def find(refs: list[np.ndarray], dists: list[np.ndarray]) -> list[SpatialFinding]:
    """The spatial findings for matched luma frames (8-bit scale float32)."""
    findings = []
    (rh, rw), (dh, dw) = refs[0].shape, dists[0].shape
    if (rh, rw) == (dh, dw):
        borders = _border_finding(refs, dists)
        crop = borders.crop if borders else None
        if borders:
            findings.append(borders)
        refs_in, dists_in = _cut_all(refs, crop and crop.reference), _cut_all(dists, crop and crop.distorted)
        shift = _shift_finding(refs_in, dists_in)
        if shift and _correlation(_cut_all(refs_in, shift.crop.reference),
                                  _cut_all(dists_in, shift.crop.distorted)) >= MATCH_GOOD:
            findings.append(shift)   # else not a shift: a zoom also makes a phase peak
        if findings or _correlation(refs, dists) >= MATCH_GOOD:
            return findings
    window = _crop_finding(refs, dists)
    return [window] if window else []


def _lumas(source, frames: list[int]) -> list[np.ndarray]:
    scale = 2.0 ** (source.layout.bit_depth - 8)
    reader = source.reader()
    try:
        return [np.asarray(reader.frame(i)[0], dtype=np.float32) / scale for i in frames]
    finally:
        reader.close()


def _cut_all(frames, rect: Rect | None):
    return frames if rect is None else [f[rect.y:rect.y + rect.h, rect.x:rect.x + rect.w] for f in frames]


def _dark_lines(frames: list[np.ndarray], axis: int) -> np.ndarray:
    """Per row (axis 1) or column (axis 0): dark in every sampled frame."""
    means = np.max([f.mean(axis=axis) for f in frames], axis=0)
    black = min(float(np.min([f.mean(axis=axis).min() for f in frames])), 16.0)
    bright = np.max([(f > black + 32).mean(axis=axis) for f in frames], axis=0)
    return (means <= black + BLACK_MARGIN) & (bright <= BRIGHT_SHARE)


def _edges(dark: np.ndarray) -> tuple[int, int]:
    """Dark lines from the start and from the end."""
    if dark.all():
        return 0, 0
    first = int(np.argmin(dark))
    last = int(np.argmin(dark[::-1]))
    return first, last


def borders(frames: list[np.ndarray]) -> tuple[int, int, int, int]:
    """Black (left, right, top, bottom) bars common to ``frames``."""
    left, right = _edges(_dark_lines(frames, 0))
    top, bottom = _edges(_dark_lines(frames, 1))
    return left, right, top, bottom


def _border_finding(refs, dists) -> SpatialFinding | None:
    rb, db = borders(refs), borders(dists)
    if all(abs(a - b) < MIN_BORDER for a, b in zip(rb, db)):
        return None
    left, right, top, bottom = (max(a, b) for a, b in zip(rb, db))
    left, top = left + (left & 1), top + (top & 1)    # even, so 4:2:0 chroma lines up
    h, w = refs[0].shape
    rect = Rect((w - left - right) & ~1, (h - top - bottom) & ~1, left, top)
    which = "distorted" if sum(db) > sum(rb) else "reference"
    bars = _bar_text(*(db if which == "distorted" else rb))
    return SpatialFinding("borders", f"the {which} clip has black {bars}", PairCrop(rect, rect), f"--crop {rect}")


def _bar_text(left, right, top, bottom) -> str:
    parts = []
    if top or bottom:
        parts.append(f"bars top {top} px, bottom {bottom} px")
    if left or right:
        parts.append(f"bars left {left} px, right {right} px")
    return " and ".join(parts)


def _shift_finding(refs, dists) -> SpatialFinding | None:
    import cv2

    h, w = refs[0].shape
    ch, cw = min(h, SHIFT_WINDOW), min(w, SHIFT_WINDOW)   # a global shift shows in the centre too
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    window = cv2.createHanningWindow((cw, ch), cv2.CV_32F)
    shifts, responses = [], []
    for r, d in zip(refs, dists):
        (sx, sy), response = cv2.phaseCorrelate(np.ascontiguousarray(r[y0:y0 + ch, x0:x0 + cw]),
                                                np.ascontiguousarray(d[y0:y0 + ch, x0:x0 + cw]), window)
        shifts.append((sx, sy))
        responses.append(response)
    dx, dy = (float(np.median(v)) for v in zip(*shifts))
    rx, ry = round(dx), round(dy)
    if (rx, ry) == (0, 0) or float(np.median(responses)) < SHIFT_RESPONSE:
        return None
    crop = shift_crop(rx, ry, w, h)
    text = (f"the distorted picture is shifted by {rx:+d} px horizontally, {ry:+d} px vertically "
            f"(measured {dx:+.2f}, {dy:+.2f})")
    return SpatialFinding("shift", text, crop, f"--shift {rx}:{ry}")


def _crop_finding(refs, dists) -> SpatialFinding | None:
    """The reference window that the distorted frames are a scaled copy of."""
    import cv2

    (rh, rw), (dh, dw) = refs[0].shape, dists[0].shape
    q = min(1.0, COARSE_WIDTH / rw)
    small_refs = [cv2.resize(r, (round(rw * q), round(rh * q)), interpolation=cv2.INTER_AREA) for r in refs]
    best = None
    for f in CROP_FRACTIONS:
        w = f * rw
        h = w * dh / dw
        if h > rh:
            continue
        size = (max(8, round(w * q)), max(8, round(h * q)))
        score, (x, y) = _match(small_refs, dists, size)
        if best is None or score > best[0]:
            best = (score, w, h, x / q, y / q)
    if best is None:
        return None
    _, w0, h0, x0, y0 = best
    best = None
    for w in range(int(w0) - 4, int(w0) + 5):
        for h in {int(round(w * dh / dw)) + k for k in (-1, 0, 1)}:
            if not (0 < w <= rw and 0 < h <= rh):
                continue
            pad = int(2 / q) + 2
            x_lo, y_lo = max(0, int(x0) - pad), max(0, int(y0) - pad)
            x_hi, y_hi = min(rw, int(x0) + w + pad), min(rh, int(y0) + h + pad)
            if x_hi - x_lo < w or y_hi - y_lo < h:
                continue
            score, (x, y) = _match([r[y_lo:y_hi, x_lo:x_hi] for r in refs], dists, (w, h))
            if best is None or score > best[0]:
                best = (score, Rect(w, h, x + x_lo, y + y_lo))
    if best is None:
        return None
    score, rect = best
    whole, _ = _match(refs, dists, (rw, rh))
    if score < MATCH_GOOD or score < whole + MATCH_GAIN or rect == Rect(rw, rh, 0, 0):
        return None
    scaled = (rect.w, rect.h) != (dw, dh)
    text = (f"the distorted clip is the reference's {rect.w}x{rect.h} window at ({rect.x}, {rect.y})"
            + (f" scaled to {dw}x{dh}" if scaled else "") + f" (match {score:.3f})")
    return SpatialFinding("crop", text, PairCrop(rect, None), f"--crop ref={rect}")


def _correlation(refs, dists) -> float:
    """Mean normalized correlation of same-size frames."""
    values = []
    for r, d in zip(refs, dists):
        a, b = r - r.mean(), d - d.mean()
        values.append(float((a * b).sum() / max(np.sqrt((a * a).sum() * (b * b).sum()), 1e-9)))
    return float(np.mean(values))


def _match(refs, dists, size: tuple[int, int]) -> tuple[float, tuple[int, int]]:
    """Mean over frames of the best normalized correlation of each distorted frame, scaled
    to ``size``, within its reference frame, and where (summed over frames) it is best."""
    import cv2

    total = None
    for r, d in zip(refs, dists):
        template = cv2.resize(d, size, interpolation=cv2.INTER_AREA if size[0] < d.shape[1] else cv2.INTER_CUBIC)
        if template.shape[0] > r.shape[0] or template.shape[1] > r.shape[1]:
            return -1.0, (0, 0)
        m = cv2.matchTemplate(np.ascontiguousarray(r), template, cv2.TM_CCOEFF_NORMED)
        total = m if total is None else total + m
    total /= len(refs)
    _, score, _, loc = cv2.minMaxLoc(total)
    return float(score), loc
