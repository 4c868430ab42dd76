"""Pose estimation behind a small protocol, so the pipeline never depends on one model library.

Backends: :class:`~formcheck.pose.mediapipe_backend.MediaPipeEstimator` (the default; imports
mediapipe only when constructed) and :class:`~formcheck.pose.replay.ReplayEstimator` (serves
landmarks from a saved track: tests, and re-analysis without inference).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from formcheck.body.landmarks import HAND_LANDMARKS, HAND_SIDES, POSE_LANDMARKS


@dataclass(frozen=True)
class PoseFrame:
    """Landmarks of one person in one frame. Every value is NaN where nothing was found.

    - ``xy`` (K, 2): pose landmarks in pixels of the output size, display orientation, x right, y down.
    - ``visibility`` (K,): the model's visibility score in [0, 1].
    - ``world`` (K, 3): metric 3D landmarks (metres, origin between the hips), as the model gives them.
    - ``hands`` (2, 21, 3): 21-point hand landmarks for the runner's left and right hand, x and y in
      pixels, z the model's relative depth scaled like x (pixels, smaller = nearer the camera).
    """

    xy: np.ndarray
    visibility: np.ndarray
    world: np.ndarray
    hands: np.ndarray

    @classmethod
    def empty(cls) -> PoseFrame:
        """A frame where no person was found."""
        k, h = len(POSE_LANDMARKS), len(HAND_LANDMARKS)
        return cls(
            xy=np.full((k, 2), np.nan),
            visibility=np.full(k, np.nan),
            world=np.full((k, 3), np.nan),
            hands=np.full((len(HAND_SIDES), h, 3), np.nan),
        )

    @property
    def found(self) -> bool:
        """True when a person was found in this frame."""
        return bool(np.isfinite(self.xy).any())


class PoseEstimator(Protocol):
    """Finds one person's landmarks in a frame. Call in time order; ``close()`` frees the model."""

    name: str

    def estimate(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        """Landmarks in ``rgb`` (H, W, 3 uint8) at presentation time ``time_s`` (s, strictly
        increasing between calls), in pixels of ``out_size`` = (width, height)."""
        ...

    def glance(self, rgb: np.ndarray, time_s: float) -> None:
        """See a frame without searching it (in the lead of a part of the clip,
        :mod:`formcheck.pose.clip_pass`): the model does not run, but what the estimator learns from every
        frame besides the model (the runner-follower's motion map) takes it in. Same order rule as
        :meth:`estimate`."""
        ...

    def reset(self) -> None:
        """Forget the person being tracked: the next frame starts a fresh search."""
        ...

    def close(self) -> None: ...
