"""What must not matter does not: copies of real sample clips, made here, read like the original.

A phone held crooked (rolled +5 or -8 deg, or wobbling +-4 deg) must not change the head angles:
each copy's clip median within the tolerance of its unrolled twin's. A real clip has nothing outside
its frame, so a rolled copy must be zoomed in (1.24x for 8 deg on a 16:9 picture) to show no empty
corner; the twin is the same zoom without the roll, so the comparison isolates the roll. What the
zoom alone does is a matter of size, and ``benchmarks/validate.py`` prints it: on run12 it moves
head pitch by 1.9 and forward head by 2.8 deg, on run05 head pitch by 5.9 (``seeds/README.md``). Nor must the way the runner runs:
analysed mirror-averaged, a mirrored copy reads like the original. ``benchmarks/validate.py`` prints the same figures for every
side-view clip and every copy, including the clips where these tolerances are not met (see
``seeds/README.md``).
"""

from __future__ import annotations

import dataclasses

import pytest

from formcheck.config import Config, PoseConfig
from formcheck.pipeline import analyze_clip
from tests.clips import ROLL_TWIN, write_variants
from tests.conftest import RUN01, sample

pytestmark = pytest.mark.slow

ROLL_TOLERANCE_DEG = 1.5
MIRROR_TOLERANCE_DEG = 1.0
HEAD_ANGLES = ("head_pitch_deg", "forward_head_deg")
RUN05 = "run05_treadmill_side_sprint_with_bystander.mp4"
RUN12 = "run12_treadmill_side_handheld_24fps.mp4"
RUN06 = "run06_treadmill_side_home_portrait.mp4"


@pytest.fixture(scope="module")
def medians(tmp_path_factory):
    """medians(clip, copy, mirror=False) -> clip medians of the head angles and the camera roll of that
    copy of a sample clip (720 pixels high), analysed once per module with the faster pose-only model
    (the same body landmarks as the default one), mirror-averaged with ``mirror``."""
    cache, copies = {}, {}
    config = Config(pose=PoseConfig(model="pose"))

    def get(clip: str, copy: str, mirror: bool = False):
        if (clip, copy) not in copies:
            folder = tmp_path_factory.mktemp("copies")
            copies[clip, copy] = write_variants(sample(clip), folder, [copy], max_height=720)[copy]
        if (clip, copy, mirror) not in cache:
            settings = dataclasses.replace(config, pose=dataclasses.replace(config.pose, mirror=mirror))
            table = analyze_clip(copies[clip, copy], settings).measurements.frame_metrics
            cache[clip, copy, mirror] = table[[*HEAD_ANGLES, "camera_roll_deg"]].median()
        return cache[clip, copy, mirror]

    return get


ROLLED = ["rolled +5 deg", "rolled -8 deg", "roll wobble +-4 deg"]


@pytest.mark.parametrize("clip, copy", [(clip, copy) for clip in (RUN01, RUN06, RUN12) for copy in ROLLED])
def test_a_rolled_camera_changes_neither_head_angle_of_a_real_runner(medians, clip, copy):
    twin, rolled = medians(clip, ROLL_TWIN), medians(clip, copy)
    print(f"{copy}: unrolled twin {twin.to_dict()}, copy {rolled.to_dict()}")
    for angle in HEAD_ANGLES:
        assert abs(rolled[angle] - twin[angle]) <= ROLL_TOLERANCE_DEG, angle
    if clip == RUN01 and "wobble" not in copy:  # the measured roll moved by the roll added (cv2's + is
        # counter-clockwise); run06's phone points up at a ceiling whose lines lean two ways, and its
        # roll is read 2-3 deg off on the copies (seeds/README.md), though its head angles hold
        added = -float(copy.split()[1])
        assert rolled["camera_roll_deg"] - twin["camera_roll_deg"] == pytest.approx(added, abs=0.6)


def test_the_model_alone_reads_a_mirrored_runner_differently(medians):
    """Why mirror averaging exists: on run05 the plain model's head pitch moves by about 6 deg."""
    original, mirrored = medians(RUN05, "original"), medians(RUN05, "mirrored")
    print(f"plain model: original {original.to_dict()}, mirrored {mirrored.to_dict()}")
    assert abs(mirrored["head_pitch_deg"] - original["head_pitch_deg"]) > 3 * MIRROR_TOLERANCE_DEG


@pytest.mark.parametrize("clip", [RUN01, RUN05, RUN06, RUN12])
def test_mirror_averaged_head_angles_read_the_same_on_a_mirrored_copy(medians, clip):
    original, mirrored = medians(clip, "original", mirror=True), medians(clip, "mirrored", mirror=True)
    print(f"{clip} mirror-averaged: original {original.to_dict()}, mirrored {mirrored.to_dict()}")
    for angle in HEAD_ANGLES:
        assert abs(mirrored[angle] - original[angle]) <= MIRROR_TOLERANCE_DEG, angle
