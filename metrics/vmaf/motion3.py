"""motion3 (VMAF v1 models) from libvmaf's integer motion SAD, with the model's options.

libvmaf's ``motion`` extractor (integer_motion.c ``extract`` and ``flush``) logs, per frame
i: the SAD motion sad[i] = min(SAD / 256 / (w h), motion_max_val) against the previous
reference frame (``motion.py`` computes the SAD, bit-exact), motion2[i] = min(sad[i],
sad[i + 1]) (sad[i] at the last frame) and motion3[i] = min(motion2[i], max), except that
frames before the first SAD (frame 0) take the *next* frame's motion (libvmaf's "stamp"),
not 0. So each frame is final once the next frame's SAD is known: one frame of lookahead.

The five-frame-window and moving-average options of the HFR models need two frames of
lookahead and two of history, which the scoring engine does not provide: they are refused.
"""
from __future__ import annotations

from dataclasses import dataclass

from vqinspect.metrics.registry import MetricError

DEFAULT_MAX = 10000.0


@dataclass(frozen=True)
class MotionOptions:
    """Options of libvmaf's integer motion extractor the models set."""

    max_val: float = DEFAULT_MAX
    five_frame_window: bool = False
    moving_average: bool = False

    def check(self) -> None:
        if self.five_frame_window or self.moving_average:
            raise MetricError("VMAF: motion_five_frame_window / motion_moving_average (the HFR "
                              "models) are not supported: they need two frames of lookahead")


def sad_value(sad: int | None, h: int, w: int, opts: MotionOptions) -> float:
    """The logged SAD motion of a frame (None: no previous frame, 0)."""
    if sad is None:
        return 0.0
    return min(sad / 256.0 / (w * h), opts.max_val)


def motion_features(sad: float, has_previous: bool, next_sad: float | None,
                    opts: MotionOptions) -> dict[str, float]:
    """motion (the SAD), motion2 and motion3 of a frame from its and the next frame's SAD."""
    if not has_previous:
        stamp = 0.0 if next_sad is None else min(next_sad, opts.max_val)
        return {"motion": 0.0, "motion2": 0.0, "motion3": stamp}
    motion2 = sad if next_sad is None else min(sad, next_sad)
    return {"motion": sad, "motion2": motion2, "motion3": min(motion2, opts.max_val)}
