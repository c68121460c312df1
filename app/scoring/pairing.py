"""Align a reference and a distorted clip: offset, common range, conversion of the distorted."""
from __future__ import annotations

from dataclasses import dataclass, field

from vqinspect.app.shared.errors import PairingError
from vqinspect.app.media.frame_cache import FrameCache
from vqinspect.app.media.source import Conform, MediaSource

SCALERS = ("bicubic", "bilinear", "lanczos", "area", "neighbor", "spline")  # FFmpeg scale flags
RATE_TOLERANCE = 2e-3  # 29.97 vs 30000/1001 is rounding; 25 vs 30 is not


@dataclass(frozen=True)
class ClipPair:
    """Two clips compared frame by frame: reference frame i against distorted i + offset.

    ``start``/``stop`` bound the reference frames to score; ``limit`` is where the
    overlap of the two clips ends (metrics that look one frame ahead may read up
    to it). ``conform`` says how distorted frames are converted to the reference's
    size and planar layout, or is None when they already match.
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

    @property
    def frames(self) -> int:
        return self.stop - self.start

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
              scaler: str = "bicubic") -> ClipPair:
    """Check that the clips can be compared and work out the frames to score."""
    ri, di = reference.info, distorted.info
    notes = []
    if not _same_rate(ri.fps, di.fps):
        if not force_rate:
            raise PairingError(None, f"frame rates differ: reference {float(ri.fps):.3f} fps, distorted "
                                     f"{float(di.fps):.3f} fps (use --force-rate to pair frame by frame anyway)")
        notes.append(f"frame rates differ ({float(ri.fps):.3f} vs {float(di.fps):.3f} fps): paired by frame index")
    if scaler not in SCALERS:
        raise PairingError(None, f"unknown scaler {scaler!r} (choose from {', '.join(SCALERS)})")
    conform = _conform(reference, distorted, scaler, notes)
    first = max(0, -offset)
    limit = min(ri.frame_count, di.frame_count - offset)
    start, stop = first, limit
    if frames is not None:
        lo, hi = frames
        start = max(first, lo if lo is not None else first)
        stop = min(limit, hi if hi is not None else limit)
    if stop <= start:
        raise PairingError(None, f"no overlapping frames to score: reference has {ri.frame_count}, distorted "
                                 f"{di.frame_count}, offset {offset}"
                                 + (f", range {frames[0]}:{frames[1]}" if frames else ""))
    return ClipPair(reference, distorted, offset, start, stop, limit, conform, scaler, tuple(notes))


def _same_rate(a, b) -> bool:
    return abs(float(a) - float(b)) <= RATE_TOLERANCE * max(float(a), float(b))


def _conform(reference: MediaSource, distorted: MediaSource, scaler: str, notes: list) -> Conform | None:
    ri, di = reference.info, distorted.info
    same_size = (ri.width, ri.height) == (di.width, di.height)
    same_layout = reference.layout.planar == distorted.layout.planar
    if same_size and same_layout:
        return None
    if not same_size:
        notes.append(f"distorted {di.width}x{di.height} scaled to {ri.width}x{ri.height} ({scaler})")
    if not same_layout:
        notes.append(f"distorted {distorted.layout.planar} converted to {reference.layout.planar}")
    return Conform(ri.width, ri.height, reference.layout, scaler)
