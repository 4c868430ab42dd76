"""MediaPipe backend: Holistic (pose + 21-point hands) or Pose, at model_complexity=1.

mediapipe 0.10.21 ships the weights for complexity 1 in its wheel, so this works offline;
complexity 0 and 2 would download models at run time and are therefore not offered.
MediaPipe's own landmark smoothing is off (it assumes a constant 30 fps); formcheck filters on the
real timestamps instead (:mod:`formcheck.smoothing`). mediapipe is imported only when an estimator
is constructed, never on import of formcheck.
"""

from __future__ import annotations

import numpy as np

from formcheck.config import POSE_MODELS
from formcheck.landmarks import HAND_SIDES
from formcheck.pose import PoseFrame


class MediaPipeEstimator:
    """Runs MediaPipe's legacy ``solutions`` graph on each frame, fed the frame's real timestamp."""

    def __init__(self, model: str = "holistic", min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        if model not in POSE_MODELS:
            raise ValueError(f"model must be one of {POSE_MODELS}, got {model!r}")
        from mediapipe.python.solutions import holistic, pose

        options = dict(
            static_image_mode=False,
            model_complexity=1,
            smooth_landmarks=False,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self.name = f"mediapipe-{model}"
        self.model = model
        self._solution = holistic.Holistic(**options) if model == "holistic" else pose.Pose(**options)

    def estimate(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        # The legacy API stamps each packet with its own counter (+33 333 us per call, i.e. 30 fps)
        # and adds that increment before sending: set the counter so the packet carries the real
        # presentation time instead. The graph only needs these to increase, which frames() ensures.
        self._solution._simulated_timestamp = int(round(time_s * 1e6)) - 33333
        result = self._solution.process(rgb)
        if result.pose_landmarks is None:
            return PoseFrame.empty()
        width, height = out_size
        frame = PoseFrame.empty()
        pose = np.array([(p.x, p.y, p.visibility) for p in result.pose_landmarks.landmark])
        frame.xy[:] = pose[:, :2] * (width, height)
        frame.visibility[:] = pose[:, 2]
        if result.pose_world_landmarks is not None:
            frame.world[:] = [(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark]
        if self.model == "holistic":
            for side_index, side in enumerate(HAND_SIDES):
                hand = getattr(result, f"{side}_hand_landmarks")
                if hand is not None:
                    frame.hands[side_index] = [(p.x, p.y, p.z) for p in hand.landmark]
                    frame.hands[side_index] *= (width, height, width)
        return frame

    def reset(self) -> None:
        """Restart the graph: its tracker forgets the person and the next frame is searched afresh."""
        self._solution.reset()

    def close(self) -> None:
        self._solution.close()

