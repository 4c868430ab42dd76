"""Mirror symmetry by construction: the model on each frame and on its mirror image, averaged.

MediaPipe's pose model is not mirror-symmetric: on a side-view clip and the same clip flipped left
to right, the head landmarks differ enough to move head pitch by 2-8 deg (``seeds/README.md``). So a
runner filmed running left early and right late would show a change that is only the model's.

:class:`MirrorAveraged` runs two estimators of the same kind, each with its own tracker: one sees
every frame as it is, the other the frame flipped left to right. The second's landmarks are turned
back (x mirrored, left and right exchanged) and the two are averaged over the head and the trunk
(:data:`~formcheck.body.landmarks.HEAD_AND_TRUNK`, :func:`combined`), which all head and shoulder measures read. A mirrored clip
gives the first estimator exactly what the second saw and the other way round, so its head and
trunk landmarks are the mirror image of the clip's, and so is every head and shoulder measure taken
from them. The limbs keep the first search's reading. The cost is a second model on every analysed
frame (``benchmarks/README.md`` has the measured figures).
"""

from __future__ import annotations

import numpy as np

from formcheck.body.landmarks import HEAD_AND_TRUNK, POSE_LANDMARKS
from formcheck.pose import PoseEstimator, PoseFrame

#: For each pose landmark, the index of its mirror image (left and right exchanged; the nose is its own).
MIRRORED_INDEX = np.array([
    POSE_LANDMARKS.index(name.replace("left", "@").replace("right", "left").replace("@", "right"))
    for name in POSE_LANDMARKS])
#: The head and trunk (:data:`~formcheck.body.landmarks.HEAD_AND_TRUNK`) are averaged between the two
#: searches: every head and shoulder measure reads them. The limbs and hands are kept from the
#: search of the frame as it is: averaging two searches' guesses of a far leg that the near one
#: hides blurred the stride rhythm (run12's cadence read 34-46 steps/min instead of 79 with the legs
#: averaged too).


class MirrorAveraged:
    """A :class:`~formcheck.pose.PoseEstimator` that averages ``plain`` on each frame with
    ``mirrored`` on the frame flipped left to right (two estimators of the same kind and settings)."""

    def __init__(self, plain: PoseEstimator, mirrored: PoseEstimator) -> None:
        self.plain, self.mirrored = plain, mirrored
        self.name = f"{plain.name}, mirror-averaged"

    def estimate(self, rgb: np.ndarray, time_s: float, out_size: tuple[int, int]) -> PoseFrame:
        seen = self.plain.estimate(rgb, time_s, out_size)
        flipped = self.mirrored.estimate(np.ascontiguousarray(rgb[:, ::-1]), time_s, out_size)
        return combined(seen, unmirrored(flipped, out_size[0]))

    def glance(self, rgb: np.ndarray, time_s: float) -> None:
        self.plain.glance(rgb, time_s)
        self.mirrored.glance(np.ascontiguousarray(rgb[:, ::-1]), time_s)

    def reset(self) -> None:
        self.plain.reset()
        self.mirrored.reset()

    def close(self) -> None:
        self.plain.close()
        self.mirrored.close()


def unmirrored(frame: PoseFrame, width: float) -> PoseFrame:
    """Landmarks found in a frame flipped left to right, as they lie in the frame itself: x in
    pixels mirrored about the ``width`` (pixels) of the picture, left and right landmarks and hands
    exchanged, the world's x (metres) negated."""
    xy = frame.xy[MIRRORED_INDEX].copy()
    xy[:, 0] = width - xy[:, 0]
    world = frame.world[MIRRORED_INDEX].copy()
    world[:, 0] = -world[:, 0]
    hands = frame.hands[::-1].copy()
    hands[..., 0] = width - hands[..., 0]
    return PoseFrame(xy=xy, visibility=frame.visibility[MIRRORED_INDEX].copy(), world=world, hands=hands)


def combined(one: PoseFrame, other: PoseFrame) -> PoseFrame:
    """``one`` (the search of the frame as it is) with its head and trunk (:data:`~formcheck.body.landmarks.HEAD_AND_TRUNK`)
    averaged with ``other``'s (the mirrored search, turned back): NaN-aware (:func:`averaged`)."""
    both = averaged(one, other)
    xy, visibility, world = one.xy.copy(), one.visibility.copy(), one.world.copy()
    for mine, theirs in ((xy, both.xy), (visibility, both.visibility), (world, both.world)):
        mine[HEAD_AND_TRUNK] = theirs[HEAD_AND_TRUNK]
    return PoseFrame(xy=xy, visibility=visibility, world=world, hands=one.hands)


def averaged(one: PoseFrame, other: PoseFrame) -> PoseFrame:
    """Landmark by landmark, the mean of two findings where both have it, else the one that has it
    (NaN where neither does). The same whichever is ``one``."""
    def mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))

    return PoseFrame(xy=mean(one.xy, other.xy), visibility=mean(one.visibility, other.visibility),
                     world=mean(one.world, other.world), hands=mean(one.hands, other.hands))
