"""MediaPipe backend: Holistic (pose + 21-point hands) or Pose, at model_complexity=1.

mediapipe 0.10.21 ships the weights for complexity 1 in its wheel, so this works offline;
complexity 0 and 2 would download models at run time and are therefore not offered.
The "holistic" model runs MediaPipe's Holistic graph without its face-mesh branch: formcheck uses no
face landmarks (the head is measured from the pose's ears, eyes and nose), and the face branch
neither feeds nor reads the pose and hand branches, so dropping it changes no landmark and saves
one model per frame (3-12% of the model's time on run01, depending on the run).
MediaPipe's own landmark smoothing is off (it assumes a constant 30 fps); formcheck filters on the
real timestamps instead (:mod:`formcheck.cleaning.smoothing`). mediapipe is imported only when an estimator
is constructed, never on import of formcheck.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from formcheck.body.landmarks import HAND_SIDES
from formcheck.config import POSE_MODELS
from formcheck.pose import PoseFrame


class MediaPipeEstimator:
    """Runs MediaPipe's legacy ``solutions`` graph on each frame, fed the frame's real timestamp."""

    def __init__(self, model: str = "holistic", min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        if model not in POSE_MODELS:
            raise ValueError(f"model must be one of {POSE_MODELS}, got {model!r}")
        self.name = f"mediapipe-{model}"
        self.model = model
        self._solution = (holistic_without_face(min_detection_confidence, min_tracking_confidence)
                          if model == "holistic" else _pose(min_detection_confidence, min_tracking_confidence))

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

    def glance(self, rgb: np.ndarray, time_s: float) -> None:
        """Nothing to see: the graph's tracker learns only from the frames it searches."""

    def reset(self) -> None:
        """Restart the graph: its tracker forgets the person and the next frame is searched afresh."""
        self._solution.reset()

    def close(self) -> None:
        self._solution.close()


def holistic_without_face(min_detection_confidence: float = 0.5, min_tracking_confidence: float = 0.5):
    """MediaPipe Holistic (model_complexity=1, no smoothing, no segmentation) with its face-mesh nodes
    removed: the same pose, world and hand landmarks, one model fewer per frame. A
    ``SolutionBase``; ``process(rgb)`` returns the pose, world and hand landmark fields."""
    import mediapipe
    from mediapipe.framework import calculator_pb2
    from mediapipe.python.solution_base import SolutionBase
    from mediapipe.python.solutions import (
        holistic,  # also registers the option types the graph uses
    )

    graph = calculator_pb2.CalculatorGraphConfig()
    graph.ParseFromString((Path(mediapipe.__file__).parent.parent / holistic._BINARYPB_FILE_PATH).read_bytes())
    nodes = [node for node in graph.node if node.calculator not in _FACE_NODES]
    if len(nodes) != len(graph.node) - len(_FACE_NODES):
        raise RuntimeError("mediapipe's Holistic graph is not the one formcheck knows (mediapipe==0.10.21)")
    del graph.node[:]
    graph.node.extend(nodes)
    _drop(graph.output_stream, "FACE_LANDMARKS:")
    _drop(graph.input_side_packet, "REFINE_FACE_LANDMARKS:")
    return SolutionBase(
        graph_config=graph,
        side_inputs=dict(model_complexity=1, smooth_landmarks=False, enable_segmentation=False,
                         smooth_segmentation=False, use_prev_landmarks=True),
        calculator_params=_confidence_params(min_detection_confidence, min_tracking_confidence),
        outputs=["pose_landmarks", "pose_world_landmarks", "left_hand_landmarks", "right_hand_landmarks"],
    )


def _pose(min_detection_confidence: float, min_tracking_confidence: float):
    from mediapipe.python.solutions import pose

    return pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=False, enable_segmentation=False,
                     min_detection_confidence=min_detection_confidence, min_tracking_confidence=min_tracking_confidence)


# The face-mesh branch of Holistic: the split of the pose's face points and the face model fed by it.
_FACE_NODES = ("SplitNormalizedLandmarkListCalculator", "FaceLandmarksFromPoseCpu")


def _drop(fields, prefix: str) -> None:
    """Remove the entries of a repeated proto string field that start with ``prefix``."""
    kept = [entry for entry in fields if not entry.startswith(prefix)]
    del fields[:]
    fields.extend(kept)


def _confidence_params(min_detection_confidence: float, min_tracking_confidence: float) -> dict:
    """The calculator options Holistic sets for its two confidence thresholds."""
    return {
        "poselandmarkcpu__posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh": min_detection_confidence,
        "poselandmarkcpu__poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator"
        ".threshold": min_tracking_confidence,
    }
