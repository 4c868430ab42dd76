"""Which way the camera looks at the runner, per frame, decided over a sliding time window.

- **side**: the shoulders overlap in the picture (their horizontal span is small next to the trunk
  length, or next to its stand-in from the ear span when the hips are out of frame,
  :func:`~formcheck.body.geometry.scale_length`). ``facing`` is +1 when the runner faces right, -1 when left, decided from the nose
  ahead of the ears and the toes ahead of the heels. Metrics mirror x by ``facing`` so that
  "forward" is always +x.
- **front** / **back**: the shoulders are spread across the picture. The runner's left shoulder
  shows on the right of the picture from the front, on the left from behind.
- **unknown**: too little of the body is seen in the window (the label is then ``""``).

Labels are smoothed with a rolling median of each cue, so a single odd frame does not flip them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.body.geometry import (
    mean_of_seen,
    midpoint,
    point,
    rolling_median,
    scale_length,
)
from formcheck.config import ViewConfig
from formcheck.pose.track import Track

VIEWS = ("side", "front", "back")


@dataclass(frozen=True)
class ViewEstimate:
    """Per-frame view: ``view`` (T,) of "side", "front", "back" or "" (unknown); ``facing`` (T,)
    +1 (right) / -1 (left) in side view, 0 elsewhere; ``shoulder_span_ratio`` (T,) the smoothed
    horizontal shoulder span divided by trunk length (the cue that separates side from front)."""

    view: np.ndarray
    facing: np.ndarray
    shoulder_span_ratio: np.ndarray

    def share(self) -> dict[str, float]:
        """Share of frames (0-1) in each view, and unknown."""
        out = {v: float(np.mean(self.view == v)) if len(self.view) else 0.0 for v in VIEWS}
        out["unknown"] = float(np.mean(self.view == "")) if len(self.view) else 0.0
        return out

    def main_facing(self) -> int:
        """The way the runner faces in most side-on frames: +1 right, -1 left, 0 when never decided."""
        return int(np.sign(np.sum(self.facing)))

    def main_view(self) -> str:
        """The view of most frames ("" when none is known)."""
        shares = self.share()
        best = max(VIEWS, key=shares.get)
        return best if shares[best] > 0 else ""


def estimate_view(track: Track, config: ViewConfig = ViewConfig()) -> ViewEstimate:
    """Decide the view of every frame of a (cleaned) track."""
    xy, t = track.xy, track.times
    left, right = point(xy, "left_shoulder"), point(xy, "right_shoulder")
    span = rolling_median(t, np.abs(left[:, 0] - right[:, 0]) / scale_length(xy), config.window_s)
    order = rolling_median(t, np.sign(left[:, 0] - right[:, 0]), config.window_s)  # +: left on the right

    ears = midpoint(point(xy, "left_ear"), point(xy, "right_ear"))
    nose_ahead = np.sign(point(xy, "nose")[:, 0] - ears[:, 0])
    toes_ahead = np.sign(mean_of_seen(np.stack([
        point(xy, "left_foot_index")[:, 0] - point(xy, "left_heel")[:, 0],
        point(xy, "right_foot_index")[:, 0] - point(xy, "right_heel")[:, 0],
    ])))
    cue = np.where(np.isfinite(toes_ahead), toes_ahead, 0.0) + np.where(np.isfinite(nose_ahead), 2 * nose_ahead, 0.0)
    cue[~np.isfinite(nose_ahead) & ~np.isfinite(toes_ahead)] = np.nan
    facing_cue = rolling_median(t, cue, config.window_s)

    view = np.full(len(track), "", dtype=object)
    side = span < config.side_max_span_ratio
    spread = span >= config.side_max_span_ratio
    view[side] = "side"
    view[spread & (order > 0)] = "front"
    view[spread & (order < 0)] = "back"
    facing = np.zeros(len(track), dtype=int)
    facing[side & (facing_cue > 0)] = 1
    facing[side & (facing_cue < 0)] = -1
    view[side & (facing == 0)] = ""  # side-on but facing undecided: no forward direction to measure in
    return ViewEstimate(view=view.astype(str), facing=facing, shoulder_span_ratio=span)
