"""Camera roll: read from the scene's lines, taken out of every angle, and never guessed from one family.

Synthetic scenes with known answers for the line maths; the rolled copies of real clips are in
``tests/integration/test_invariance.py``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from formcheck.config import QualityConfig
from formcheck.scene.roll import (
    CameraRoll,
    RollMeter,
    common_lean,
    roll_warnings,
    upright,
)


def scene(roll_deg: float, slanted_deg: float | None = None, size: tuple[int, int] = (360, 640)) -> np.ndarray:
    """A grey room seen through a phone rolled so that its upright lines lean ``roll_deg`` clockwise:
    door frames and shelves (upright and level lines), and optionally a slanted rail at ``slanted_deg``."""
    width, height = size
    room = np.full((height * 2, width * 2, 3), 90, np.uint8)
    for x in range(40, width * 2, 110):  # door frames and posts
        cv2.line(room, (x, 30), (x, height * 2 - 30), (230, 230, 230), 3)
    for y in range(60, height * 2, 140):  # shelves and sills
        cv2.line(room, (30, y), (width * 2 - 30, y), (20, 20, 20), 3)
    if slanted_deg is not None:
        for offset in range(0, 400, 60):
            end = (width * 2, int(offset + math.tan(math.radians(slanted_deg)) * width * 2))
            cv2.line(room, (0, offset), end, (250, 200, 0), 5)
    turn = cv2.getRotationMatrix2D((width, height), -roll_deg, 1.0)  # cv2: + turns the picture counter-clockwise
    return cv2.warpAffine(room, turn, (width * 2, height * 2))[height // 2: height // 2 + height,
                                                              width // 2: width // 2 + width].copy()


@pytest.mark.parametrize("roll", [0.0, 3.0, -7.5, 12.0])
def test_the_roll_of_a_room_is_read_from_its_upright_and_level_lines(roll):
    measured, support = RollMeter().measure(scene(roll))
    assert measured == pytest.approx(roll, abs=0.3) and support > 1.0


def test_a_slanted_rail_does_not_pull_the_roll_when_both_families_agree_elsewhere():
    measured, _ = RollMeter().measure(scene(2.0, slanted_deg=-12.0))
    assert measured == pytest.approx(2.0, abs=0.3)


def test_lines_of_one_family_alone_are_no_evidence():
    lean = np.array([-8.5, -8.4, -8.6, 0.1, -0.2])  # inclined posts, and two short level edges
    length = np.array([1.0, 1.0, 1.0, 0.05, 0.05])
    upright_family = np.array([True, True, True, False, False])
    roll, support = common_lean(lean, length, upright_family)
    assert math.isnan(roll) and support < 0.3
    roll, _ = common_lean(np.array([-8.5, -8.4, 0.2, 0.0]), np.ones(4), np.array([True, True, True, False]))
    assert roll == pytest.approx(0.1, abs=0.15)  # where the families agree, not the upright family's favourite


def test_no_roll_is_claimed_where_upright_and_level_lines_cannot_be_told_apart():
    lean = np.array([44.8, -44.9, 44.9, -44.8])  # a picture of diagonals: upright or level?
    roll, _ = common_lean(lean, np.ones(4), np.array([True, True, False, False]))
    assert math.isnan(roll)
    roll, _ = common_lean(np.array([20.0, 20.1]), np.ones(2), np.array([True, False]))
    assert roll == pytest.approx(20.05, abs=0.1)  # a crooked phone, but still within what is claimed


def test_landmarks_turned_upright_measure_against_the_scenes_vertical():
    ear, eye = np.array([100.0, 100.0]), np.array([120.0, 100.0])  # level gaze in the scene
    xy = np.stack([ear, eye])[None]
    turn = math.radians(5.0)  # the picture shows the scene turned 5 deg clockwise
    rotation = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    pictured = xy @ rotation.T
    back = upright(pictured, np.array([5.0]))
    assert back == pytest.approx(xy, abs=1e-9)
    assert upright(pictured, np.array([np.nan])) == pytest.approx(pictured)  # unmeasured: left as pictured


def test_the_roll_is_smoothed_read_at_each_frame_and_not_carried_far_from_its_samples():
    times = np.arange(0, 4, 1 / 12)
    rolls = np.where(times < 2, 3.0, np.nan)
    rolls[5] = 30.0  # one frame fooled by something straight
    roll = CameraRoll(tuple(times), tuple(rolls), tuple(np.ones(len(times))))
    at = roll.at(np.array([0.5, 1.9, 2.5, 3.5]))
    assert at[:3] == pytest.approx([3.0, 3.0, 3.0]) and math.isnan(at[3])
    summary = roll.summary(np.linspace(0, 4, 100))
    assert summary["median_deg"] == pytest.approx(3.0) and 0.7 < summary["frames_with_estimate"] < 0.8
    assert roll_warnings(summary, QualityConfig(min_roll_share=0.9)) and not roll_warnings(summary, QualityConfig())
    assert CameraRoll.from_dict(roll.as_dict()).at(times) == pytest.approx(roll.at(times), nan_ok=True)


def test_measured_mirror_averaged_a_mirrored_frame_reads_exactly_the_opposite_roll():
    frame = scene(3.0, slanted_deg=-12.0)
    flipped = np.ascontiguousarray(frame[:, ::-1])
    rolls = []
    for picture in (frame, flipped):
        meter = RollMeter(mirror=True)
        meter.add(picture, 0.0)
        rolls.append(meter.result().roll_deg[0])
    assert rolls[0] == pytest.approx(3.0, abs=0.3) and rolls[1] == -rolls[0]


def test_the_roll_reads_back_from_summary_json_exactly(tmp_path):
    """A re-analysis from saved landmarks reads the roll from summary.json: rounded there, it moved
    run01's head angles by about 1e-4 deg, so a re-analysis was not what the first analysis was."""
    import json

    from formcheck.io.output import write_json

    roll = CameraRoll(times=(0.0, 1 / 12, 2 / 12), roll_deg=(-2.662392124533653, math.nan, 1.0000001),
                      support=(4.06304669380188, 0.0, 0.3333333333))
    write_json(tmp_path / "roll.json", roll.as_dict())
    again = CameraRoll.from_dict(json.loads((tmp_path / "roll.json").read_text()))
    assert again.times == roll.times and again.support == roll.support
    assert again.roll_deg[0] == roll.roll_deg[0] and math.isnan(again.roll_deg[1]) and again.roll_deg[2] == 1.0000001
