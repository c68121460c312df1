"""Align a reference and a distorted clip: offset, common range, conversion of the distorted."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from vqinspect.app.shared.errors import PairingError
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.checks import pair_warnings
from vqinspect.app.media.source import Conform, MediaSource, with_transform
from vqinspect.app.scoring.spatial import PairCrop

if TYPE_CHECKING:
    from vqinspect.app.scoring.alignment import Alignment

SCALERS = ("bicubic", "bilinear", "lanczos", "area", "neighbor", "spline")  # FFmpeg scale flags
RATE_TOLERANCE = 2e-3  # 29.97 vs 30000/1001 is rounding; 25 vs 30 is not


@dataclass(frozen=True)
class ClipPair:
    """Two clips compared frame by frame: reference frame i against distorted i + offset.

    ``start``/``stop`` bound the reference frames to score; ``limit`` is where the
    overlap of the two clips ends (metrics that look one frame ahead may read up
    to it). ``conform`` says how distorted frames are converted to the reference's
    size and planar layout, or is None when they already match. ``crop``: the window of
    each clip to score (spatial.PairCrop). ``matched``: an alignment.Alignment whose pairs
    replace the fixed offset (reference frames without a counterpart are not scored).
    """

    reference: MediaSource
    distorted: MediaSource
    offset: int
    start: int
    stop: int
    limit: int
    conform: Conform | None = None
    scaler: str = "bicubic"
    notes: tuple[str, ...] = field(default=())
    crop: PairCrop | None = None
    matched: Alignment | None = None
    warnings: tuple[str, ...] = field(default=())   # lines for stderr (also among the notes)

    @property
    def frames(self) -> int:
        """Reference frames to score."""
        if self.matched is None:
            return self.stop - self.start
        return len(self._pairs.keys() & set(range(self.start, self.stop)))

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames the metrics see: the reference's, or its crop window."""
        rect = self.crop.reference if self.crop else None
        return (rect.w, rect.h) if rect else (self.reference.info.width, self.reference.info.height)

    def counterpart(self, ref_frame: int) -> int | None:
        """The distorted frame scored against ``ref_frame`` (None: it has none)."""
        if self.matched is None:
            return ref_frame + self.offset
        return self._pairs.get(ref_frame)

    def dist_range(self, end: int) -> tuple[int, int]:
        """Distorted frames to decode for reference frames ``start .. end-1``."""
        if self.matched is None:
            return self.start + self.offset, end + self.offset
        wanted = [d for r, d in self._pairs.items() if self.start <= r < end]
        return (min(wanted), max(wanted) + 1) if wanted else (0, 0)

    @cached_property
    def _pairs(self) -> dict[int, int]:
        return {int(r): int(d) for r, d in self.matched.pairs}

    @property
    def bit_depth(self) -> int:
        return self.reference.layout.bit_depth

    def alignment(self) -> dict:
        """The ``alignment`` section of the JSON output."""
        scaled = self.conform is not None and (
            (self.conform.width, self.conform.height)
            != (self.distorted.info.width, self.distorted.info.height))
        out = {"offset": self.offset, "scaled": scaled, "frames": self.frames,
               "start": self.start, "stop": self.stop}
        if scaled:
            out["scaler"] = self.scaler
            out["scaled_to"] = [self.conform.width, self.conform.height]
        if self.notes:
            out["notes"] = list(self.notes)
        if self.crop is not None:
            out["crop"] = self.crop.as_dict()
        if self.matched is not None:
            out.update(_matched_section(self.matched, self.start, self.stop))
        return out

    def readers(self, ref_cache: FrameCache | None = None, dist_cache: FrameCache | None = None):
        """A fresh (reference, distorted) reader pair for one thread each."""
        return self.reference.reader(ref_cache), self.distorted.reader(dist_cache, self.conform)


def parse_range(text: str | None) -> tuple[int | None, int | None] | None:
    """``START:END`` (END exclusive, either may be empty) as a tuple; ValueError if malformed."""
    if not text:
        return None
    if ":" not in text:
        raise ValueError(f"--frames wants START:END, got {text!r}")
    a, b = text.split(":", 1)
    try:
        return (int(a) if a.strip() else None, int(b) if b.strip() else None)
    except ValueError:
        raise ValueError(f"--frames wants whole numbers START:END, got {text!r}") from None


def make_pair(reference: MediaSource, distorted: MediaSource, offset: int = 0,
              frames: tuple[int | None, int | None] | None = None, *, force_rate: bool = False,
              scaler: str = "bicubic", crop: PairCrop | None = None,
              matched: Alignment | None = None, deinterlace: bool = False) -> ClipPair:
    """Check that the clips can be compared and work out the frames to score: reference
    frame i against distorted i + ``offset``, or the pairs of ``matched``."""
    ri, di = reference.info, distorted.info
    notes = []
    if deinterlace:
        reference, distorted = (with_transform(s, deinterlace=True) for s in (reference, distorted))
        notes.append("both clips deinterlaced (FFmpeg bwdif, one frame per frame)")
    if not _same_rate(ri.fps, di.fps):
        if not force_rate:
            raise PairingError(None, f"frame rates differ: reference {float(ri.fps):.3f} fps, distorted "
                                     f"{float(di.fps):.3f} fps, both with regular timestamps (a real rate "
                                     "difference, not a gap; use --force-rate to pair frame by frame anyway)")
        notes.append(f"frame rates differ ({float(ri.fps):.3f} vs {float(di.fps):.3f} fps): paired by frame index")
    if scaler not in SCALERS:
        raise PairingError(None, f"unknown scaler {scaler!r} (choose from {', '.join(SCALERS)})")
    conform = _conform(reference, distorted, scaler, notes, *_sizes_after_crop(reference, distorted, crop))
    first = max(0, -offset)
    limit = min(ri.frame_count, di.frame_count - offset)
    stop_all = limit
    if matched is not None:
        (first, _), (last_ref, last_dist) = matched.pairs[0], matched.pairs[-1]
        offset = int(matched.offset)
        limit = min(ri.frame_count, int(last_ref) + (2 if last_dist + 1 < di.frame_count else 1))
        first, stop_all = int(first), int(last_ref) + 1
    start, stop = first, stop_all
    if frames is not None:
        lo, hi = frames
        start = max(first, lo if lo is not None else first)
        stop = min(stop_all, hi if hi is not None else stop_all)
    if stop <= start:
        raise PairingError(None, f"no overlapping frames to score: reference has {ri.frame_count}, distorted "
                                 f"{di.frame_count}, offset {offset}"
                                 + (f", range {frames[0]}:{frames[1]}" if frames else ""))
    warnings = pair_warnings(ri, di, offset, aligned=matched is not None, deinterlaced=deinterlace)
    return ClipPair(reference, distorted, offset, start, stop, limit, conform, scaler, tuple(notes + warnings), crop,
                    matched, tuple(warnings))


def _same_rate(a, b) -> bool:
    return abs(float(a) - float(b)) <= RATE_TOLERANCE * max(float(a), float(b))


def _sizes_after_crop(reference: MediaSource, distorted: MediaSource,
                      crop: PairCrop | None) -> tuple[tuple[int, int], tuple[int, int]]:
    """(reference, distorted) sizes after ``crop``; PairingError for a window outside a clip,
    or a distorted window that would still need scaling (scaling comes before cropping)."""
    ri, di = reference.info, distorted.info
    sizes = [(ri.width, ri.height), (di.width, di.height)]
    if crop is None:
        return sizes[0], sizes[1]
    for k, (name, rect, info) in enumerate((("reference", crop.reference, ri), ("distorted", crop.distorted, di))):
        if rect is not None:
            if not rect.fits(info.width, info.height):
                raise PairingError(None, f"the crop {rect} (W:H:X:Y) does not fit the {name}'s "
                                         f"{info.width}x{info.height} frames")
            sizes[k] = (rect.w, rect.h)
    if crop.distorted is not None and sizes[1] != sizes[0]:
        raise PairingError(None, f"the distorted crop {crop.distorted} must be the size of the reference's "
                                 f"({sizes[0][0]}x{sizes[0][1]}): a cropped distorted clip is not scaled")
    return sizes[0], sizes[1]


def _matched_section(matched, start: int, stop: int) -> dict:
    """What the JSON's ``alignment`` says about an automatic alignment: its events and the
    reference frames in the scored range that have no score, with the reason."""
    unscored = matched.unscored()
    return {"mode": "auto", "offset_confidence": round(matched.offset_confidence, 3),
            "events": [e.as_dict() for e in matched.events],
            "unscored": [{"frame": r, "reason": why} for r, why in sorted(unscored.items()) if start <= r < stop]}


def _conform(reference: MediaSource, distorted: MediaSource, scaler: str, notes: list,
             target: tuple[int, int], dist_size: tuple[int, int]) -> Conform | None:
    """How distorted frames become the reference's (cropped) size and layout. A distorted
    window is cut after decoding, so only its layout may be converted then."""
    ri, di = reference.info, distorted.info
    same_size = target == dist_size
    same_layout = reference.layout.planar == distorted.layout.planar
    if same_size and same_layout:
        return None
    if not same_size:
        notes.append(f"distorted {di.width}x{di.height} scaled to {target[0]}x{target[1]} ({scaler})")
    if not same_layout:
        notes.append(f"distorted {distorted.layout.planar} converted to {reference.layout.planar}")
    width, height = target if not same_size else (di.width, di.height)
    return Conform(width, height, reference.layout, scaler)
