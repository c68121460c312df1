"""motion3 (VMAF v1 models) from libvmaf's integer motion SAD, with the model's options.

libvmaf's ``motion`` extractor (integer_motion.c ``extract`` and ``flush``) logs, per frame
i: the SAD motion sad[i] = min(SAD / 256 / (w h), motion_max_val) against the reference
frame i - m (``motion.py`` computes the SAD, bit-exact), where m is 1, or 2 with
``motion_five_frame_window`` (the HFR models); frames i < m have no SAD (0). Then, with
stride m:

- motion2[i] = 0 for i < m; sad[i] at the last frame; else min(sad[i - m + 1], sad[i + 1])
  if i - m + 1 >= m, else sad[i + 1];
- the "stamp" min(sad[m], max): frames i < m take it as motion3 (the *next* motion, not 0);
- motion3[i] = p_i = min(motion2[i], max), or (p_i + p_i-1) / 2 with
  ``motion_moving_average``, where p_m-1 is the stamp.

(libvmaf's blend of motion2 with an offset is the identity at the models' options.) So a
frame is final once the next m frames' SADs are known, and the moving average needs the
SADs of the two frames before it: a window of raw values from i - 2 to i + 2.
"""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX = 10000.0


@dataclass(frozen=True)
class MotionOptions:
    """Options of libvmaf's integer motion extractor the models set."""

    max_val: float = DEFAULT_MAX
    five_frame_window: bool = False
    moving_average: bool = False

    @property
    def stride(self) -> int:
        """m: the SAD compares frame i with frame i - m; frames before m have none."""
        return 2 if self.five_frame_window else 1

    @property
    def lookahead(self) -> int:
        """Next frames' raw values a frame's motion2/motion3 depend on."""
        return self.stride

    @property
    def history(self) -> int:
        """Previous frames' raw values they depend on (the moving average, the wide window)."""
        return 2 if self.five_frame_window else (1 if self.moving_average else 0)


def sad_value(sad: int | None, h: int, w: int, opts: MotionOptions) -> float:
    """The logged SAD motion of a frame (None: no frame m back, 0)."""
    if sad is None:
        return 0.0
    return min(sad / 256.0 / (w * h), opts.max_val)


Sample = tuple[float, bool]
"""A frame's (sad, has a SAD); None stands for a frame that is not there."""


def motion_features(window: list[Sample | None], opts: MotionOptions) -> dict[str, float]:
    """motion (the SAD), motion2 and motion3 of frame i from ``window`` = frames i-2 .. i+2."""
    c = 2
    m = opts.stride

    def valid(k: int) -> bool:
        return window[k] is not None and window[k][1]

    def sad(k: int) -> float:
        return window[k][0]

    def stamp(k: int) -> float:
        """min(sad[m], max): the first SAD after frame k (0 if the clip ends first)."""
        for j in range(k + 1, len(window)):
            if window[j] is None:
                break
            if window[j][1]:
                return min(sad(j), opts.max_val)
        return 0.0

    def motion2(k: int) -> float:
        if not valid(k):
            return 0.0
        if window[k + 1] is None:
            return sad(k)
        if m == 1:
            return min(sad(k), sad(k + 1))
        return min(sad(k - 1), sad(k + 1)) if valid(k - 1) else sad(k + 1)

    if not valid(c):
        return {"motion": 0.0, "motion2": 0.0, "motion3": stamp(c)}
    mo2 = motion2(c)
    p = min(mo2, opts.max_val)
    if opts.moving_average:
        before = min(motion2(c - 1), opts.max_val) if valid(c - 1) else stamp(c - 1)
        p = (p + before) / 2.0
    return {"motion": sad(c), "motion2": mo2, "motion3": p}
