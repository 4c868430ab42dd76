"""Mirror averaging: a model that reads a picture and its mirror image differently, averaged with
itself on the flipped frame, reads both the same (up to the mirror). The real model on real clips:
``tests/integration/test_invariance.py``."""

import numpy as np

from formcheck.body.landmarks import HEAD_AND_TRUNK, POSE_INDEX, POSE_LANDMARKS
from formcheck.pose import PoseFrame
from formcheck.pose.mirror import MIRRORED_INDEX, MirrorAveraged, averaged, unmirrored

WIDTH, HEIGHT = 320, 240
RNG = np.random.default_rng(7)
OFFSETS = RNG.normal(0, 20, (len(POSE_LANDMARKS), 2))  # where each landmark sits around the person: lopsided
HAND_OFFSETS = RNG.normal(0, 15, (2, 21, 3))


class LopsidedModel:
    """Finds the bright patch of a picture and puts the landmarks around it with fixed offsets,
    the left ear 6 px too high: not mirror-symmetric, like the real model's head."""

    name = "lopsided"

    def estimate(self, rgb, time_s, out_size):
        rows, cols = np.nonzero(rgb[..., 0] > 128)
        centre = np.array([cols.mean() + 0.5, rows.mean() + 0.5])
        xy = centre + OFFSETS
        xy[POSE_INDEX["left_ear"], 1] -= 6.0
        hands = np.concatenate([np.broadcast_to(centre, (2, 21, 2)), np.zeros((2, 21, 1))], axis=-1) + HAND_OFFSETS
        hands[1] = np.nan  # one hand not found
        return PoseFrame(xy=xy, visibility=np.linspace(0.5, 1.0, len(POSE_LANDMARKS)),
                         world=np.c_[OFFSETS / 100, np.ones(len(POSE_LANDMARKS))], hands=hands)

    def glance(self, rgb, time_s):
        pass

    def reset(self):
        pass

    def close(self):
        pass


def picture() -> np.ndarray:
    rgb = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    rgb[60:140, 50:90] = 255  # the person, off centre
    return rgb


def assert_same(a: PoseFrame, b: PoseFrame) -> None:
    for field in ("xy", "visibility", "world", "hands"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), atol=1e-9)


def test_the_mirror_of_a_landmark_is_its_other_side():
    names = [POSE_LANDMARKS[i] for i in MIRRORED_INDEX]
    assert names[POSE_INDEX["left_ear"]] == "right_ear" and names[POSE_INDEX["nose"]] == "nose"
    assert sorted(MIRRORED_INDEX) == list(range(len(POSE_LANDMARKS)))


def test_turning_back_twice_gives_the_landmarks_again():
    frame = LopsidedModel().estimate(picture(), 0.0, (WIDTH, HEIGHT))
    assert_same(unmirrored(unmirrored(frame, WIDTH), WIDTH), frame)


def test_a_lopsided_model_reads_a_mirrored_picture_as_the_mirror_image_once_averaged():
    rgb, flipped = picture(), np.ascontiguousarray(picture()[:, ::-1])
    plain = LopsidedModel()
    alone = unmirrored(plain.estimate(flipped, 0.0, (WIDTH, HEIGHT)), WIDTH)
    ear = POSE_INDEX["left_ear"]
    assert abs(alone.xy[ear, 1] - plain.estimate(rgb, 0.0, (WIDTH, HEIGHT)).xy[ear, 1]) > 5  # the model alone: no

    model = MirrorAveraged(LopsidedModel(), LopsidedModel())
    seen, seen_mirrored = model.estimate(rgb, 0.0, (WIDTH, HEIGHT)), model.estimate(flipped, 0.1, (WIDTH, HEIGHT))
    back = unmirrored(seen_mirrored, WIDTH)
    names = {POSE_LANDMARKS[i] for i in HEAD_AND_TRUNK}
    assert {"nose", "left_ear", "right_eye", "left_shoulder", "right_hip"} <= names and "left_ankle" not in names
    for field in ("xy", "visibility", "world"):  # the head and trunk: the mirror image, to the last bit
        np.testing.assert_allclose(getattr(back, field)[HEAD_AND_TRUNK], getattr(seen, field)[HEAD_AND_TRUNK], atol=1e-9)
    np.testing.assert_array_equal(seen.hands, plain.estimate(rgb, 0.0, (WIDTH, HEIGHT)).hands)  # limbs: as seen


def test_averaging_keeps_what_only_one_found_and_does_not_depend_on_the_order():
    one, other = PoseFrame.empty(), PoseFrame.empty()
    one.xy[0] = (10.0, 20.0)
    other.xy[0] = (14.0, 22.0)
    other.xy[1] = (5.0, 5.0)
    for a, b in ((one, other), (other, one)):
        both = averaged(a, b)
        assert tuple(both.xy[0]) == (12.0, 21.0) and tuple(both.xy[1]) == (5.0, 5.0)
        assert np.isnan(both.xy[2]).all()
