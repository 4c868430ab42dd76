"""Which frames of a clip the pose model sees: 30 a second or a few more (:data:`ANALYSIS_FPS`), picked by time.

Why 30 frames/s: every measure formcheck reports is a slow signal. Landmarks are low-passed at 6 Hz
(``[smoothing] cutoff_hz``) before anything is measured, each stride's value is the median over its
frames, and cadence comes from a rhythm of 2.5-3.5 steps/s. Phone clips are 60-240 fps: analysing
all their frames costs 2-8 times the model's work for the same numbers. Measured on the sample
clips against every frame analysed (``benchmarks/README.md``, "Analysing at 30 frames/s"): run01
at 30 of its 60 frames/s keeps every clip median within 0.6 deg / 1%, its cadence within 1 step/min
and its verdict; 25 of run08's 50 frames/s moved its forward head by 1.2 deg; 15 of a 30 fps clip's
changed the cadence of run05 and run10 and the verdicts of run05 and run06. So the model sees at
least 30 frames a second, and a clip below 60 fps is analysed whole.

How the frames are picked: a clip of 60 fps or more (:func:`analysis_every`) is analysed every n-th
frame, the largest n that leaves at least :data:`ANALYSIS_FPS` frames a second (2 at 60 fps, 4 at
120, 8 at 240). Windows of n frame intervals are laid on the clip's own timeline from its first
frame, and the model sees the first frame shown in each window (:class:`FramePick`). On a clip of
constant rate that is exactly every n-th frame; on a variable-rate phone clip it is one frame per
window, however the frames fall; and it depends only on each frame's time, so a part of the clip
searched on its own (:mod:`formcheck.pose.clip_pass`) picks the very frames a pass through the
whole clip would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Frames per second the pose model sees at least, by default (below twice this rate: every frame).
ANALYSIS_FPS = 30.0
#: How far below a whole multiple of :data:`ANALYSIS_FPS` a clip's rate may be and still count as
#: that multiple: a "60 fps" phone clip runs at 59.94.
_RATE_SLACK = 0.01


def analysis_every(fps: float, every: int | None = None) -> int:
    """Every how many frames the model sees one: ``every`` when set (>= 1), else (None) the clip's
    frame rate ``fps`` (frames/s) over :data:`ANALYSIS_FPS`, rounded down with a little slack: 1 below
    60 fps (59.94 counts as 60), 2 at 60, 4 at 120, 8 at 240. A clip whose rate is unknown (NaN) is
    analysed whole, whatever ``every`` says: frames are picked by their time, in windows of the rate."""
    if not math.isfinite(fps) or fps <= 0:
        return 1
    if every is not None:
        return every
    return max(1, math.floor(fps / ANALYSIS_FPS + _RATE_SLACK))


@dataclass(frozen=True)
class FramePick:
    """Keep the first frame shown in each window of ``every`` frame intervals (1/``fps`` s each) of a
    clip whose first frame is shown at ``first_time_s`` (s). The windows start half a frame interval
    before the frames they should pick, so timestamps a little early or late (variable frame rate,
    rounding) do not move a frame into the next window. ``every`` = 1 keeps every frame."""

    every: int
    fps: float
    first_time_s: float

    def window(self, time_s: float) -> int | None:
        """The window the frame shown at ``time_s`` (s) falls in; None: every frame is kept (``every``
        is 1, or the clip's rate or start is unknown)."""
        if self.every == 1 or not (math.isfinite(self.fps) and self.fps > 0 and math.isfinite(self.first_time_s)):
            return None
        return math.floor(((time_s - self.first_time_s) * self.fps + 0.5) / self.every)
