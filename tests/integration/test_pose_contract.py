"""The :class:`~formcheck.pose.PoseEstimator` contract, checked on every implementation with the
same real frames: a name; landmarks of the documented shapes, in pixels of the requested output
size, with visibility in [0, 1]; ``glance`` and ``reset`` keep it usable; ``close`` frees it. The
runner of run01 is found in most frames by every live model."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.body.landmarks import HAND_LANDMARKS, HAND_SIDES, POSE_LANDMARKS
from formcheck.config import FollowConfig
from formcheck.io.video import VideoReader
from formcheck.pose import PoseFrame
from formcheck.pose.follow import RunnerFollower
from formcheck.pose.mediapipe_backend import MediaPipeEstimator
from formcheck.pose.mirror import MirrorAveraged
from formcheck.pose.replay import ReplayEstimator
from formcheck.pose.track import TrackBuilder
from tests.conftest import RUN01, sample

pytestmark = pytest.mark.slow

OUT_SIZE = (1080, 1920)  # run01's frames as displayed: the landmarks come back in these pixels


@pytest.fixture(scope="module")
def frames():
    """About 1.5 s of run01 (every 2nd frame, 480 px high) as (rgb, time s)."""
    with VideoReader(sample(RUN01), max_height=480) as reader:
        return [(f.rgb, f.time_s) for f in reader.frames(2, 1.0, 2.5)]


def _recorded(frames) -> ReplayEstimator:
    """A replay of the plain pose model's landmarks on ``frames``."""
    builder = TrackBuilder({"width": OUT_SIZE[0], "height": OUT_SIZE[1], "source": RUN01, "backend": "pose"})
    model = MediaPipeEstimator("pose")
    for rgb, time_s in frames:
        builder.add(time_s, model.estimate(rgb, time_s, OUT_SIZE))
    model.close()
    return ReplayEstimator(builder.build())


IMPLEMENTATIONS = {
    "mediapipe pose": lambda frames: MediaPipeEstimator("pose"),
    "mediapipe holistic": lambda frames: MediaPipeEstimator("holistic"),
    "runner follower": lambda frames: RunnerFollower(MediaPipeEstimator("pose"), FollowConfig()),
    "mirror averaged": lambda frames: MirrorAveraged(MediaPipeEstimator("pose"), MediaPipeEstimator("pose")),
    "replay": _recorded,
}


def _check_frame(found: PoseFrame) -> None:
    k, h = len(POSE_LANDMARKS), len(HAND_LANDMARKS)
    assert isinstance(found, PoseFrame)
    assert found.xy.shape == (k, 2) and found.visibility.shape == (k,) and found.world.shape == (k, 3)
    assert found.hands.shape == (len(HAND_SIDES), h, 3)
    seen = np.isfinite(found.xy).all(axis=1)
    if seen.any():
        x, y = found.xy[seen].T
        assert (-0.5 * OUT_SIZE[0] <= x).all() and (x <= 1.5 * OUT_SIZE[0]).all()  # landmarks may lie just
        assert (-0.5 * OUT_SIZE[1] <= y).all() and (y <= 1.5 * OUT_SIZE[1]).all()  # outside the picture
        visibility = found.visibility[np.isfinite(found.visibility)]
        assert ((0 <= visibility) & (visibility <= 1)).all()


@pytest.mark.parametrize("kind", list(IMPLEMENTATIONS))
def test_every_pose_estimator_keeps_the_contract_on_real_frames(frames, kind):
    estimator = IMPLEMENTATIONS[kind](frames)
    assert isinstance(estimator.name, str) and estimator.name
    found = []
    half = len(frames) // 2
    for i, (rgb, time_s) in enumerate(frames):
        if i == half:
            estimator.reset()  # forgets the person; the next frames are searched afresh
        if i % 5 == 4:
            assert estimator.glance(rgb, time_s) is None
            continue
        frame = estimator.estimate(rgb, time_s, OUT_SIZE)
        _check_frame(frame)
        found.append(frame.found)
    estimator.close()
    assert np.mean(found) >= 0.6, f"{kind} found the runner in {np.mean(found):.0%} of frames"


def test_a_replay_serves_exactly_what_was_recorded(frames):
    replay = _recorded(frames)
    model = MediaPipeEstimator("pose")
    for rgb, time_s in frames[:10]:
        live = model.estimate(rgb, time_s, OUT_SIZE)
        served = replay.estimate(rgb, time_s, OUT_SIZE)
        np.testing.assert_allclose(served.xy, live.xy, rtol=0, atol=0.01)
    model.close()
