"""Replay backend: serves landmarks from a saved :class:`~formcheck.pose.track.Track` instead of a model.

Used by the tests (a replayed run must give the same landmarks) and to re-analyse a clip with new
settings without running pose inference again.
"""

from __future__ import annotations

import numpy as np

from formcheck.errors import TrackError
from formcheck.pose import PoseFrame
from formcheck.pose.track import Track


class ReplayEstimator:
    """Returns the saved landmarks of the frame with exactly the requested presentation time."""

    def __init__(self, track: Track) -> None:
        self.name = f"replay({track.meta.get('backend', 'unknown')})"
        self._track = track
        self._index = {float(t): i for i, t in enumerate(track.times)}
        self._size = (track.meta["width"], track.meta["height"])

    def estimate(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        if tuple(out_size) != self._size:
            raise TrackError(f"saved track is for frames of {self._size[0]}x{self._size[1]} px, "
                             f"got {out_size[0]}x{out_size[1]}: was it made from another clip?")
        index = self._index.get(float(time_s))
        if index is None:
            raise TrackError(f"saved track has no frame at {time_s:.6f} s: was it made from another clip?")
        return self._track.frame(index)

    def glance(self, rgb: np.ndarray, time_s: float) -> None:
        """Nothing to see: saved landmarks are served as they are."""

    def reset(self) -> None:
        """Nothing to forget: saved landmarks are served as they are."""

    def close(self) -> None:
        """Nothing to free."""
