"""Each measure where its own landmarks and view allow it, and nowhere else (synthetic landmarks)."""

from __future__ import annotations

import numpy as np
import pytest

from formcheck.body.geometry import EAR_SPAN_TO_TRUNK, scale_length
from formcheck.body.landmarks import POSE_INDEX
from formcheck.config import Config
from formcheck.measure.metrics import front_head_pitch_deg
from formcheck.pipeline import clean_track, measure
from tests.synthetic import constant, runner


def front_head(pitch_deg: float, ear_span: float = 60.0, left_on_the_right: bool = True) -> np.ndarray:
    """(1, 33, 2) a head seen from the front, nose a depth of one ear span ahead, tilted ``pitch_deg``."""
    xy = np.full((1, 33, 2), np.nan)
    half = ear_span / 2 * (1 if left_on_the_right else -1)
    xy[0, POSE_INDEX["left_ear"]] = (500 + half, 300)
    xy[0, POSE_INDEX["right_ear"]] = (500 - half, 300)
    xy[0, POSE_INDEX["nose"]] = (500, 300 + ear_span * np.sin(np.radians(pitch_deg)))
    xy[0, POSE_INDEX["left_shoulder"]] = (500 + 90, 420)
    xy[0, POSE_INDEX["right_shoulder"]] = (500 - 90, 420)
    return xy


@pytest.mark.parametrize("left_on_the_right", [True, False])  # from the front, and the mirror image
@pytest.mark.parametrize("pitch", [-10.0, 0.0, 15.0])
def test_the_front_view_head_pitch_reads_the_nose_below_the_ear_line(pitch, left_on_the_right):
    assert front_head_pitch_deg(front_head(pitch, left_on_the_right=left_on_the_right))[0] == pytest.approx(pitch)


def test_without_hips_the_ears_give_the_scale():
    xy = front_head(0.0)
    assert scale_length(xy)[0] == pytest.approx(EAR_SPAN_TO_TRUNK * 60.0)


def test_a_head_turned_away_has_no_head_angle_but_keeps_the_other_measures():
    track = runner(seconds=4.0, head_pitch_deg=constant(10.0), noise_px=0.0)
    xy = track.xy.copy()
    away = slice(60, 120)  # one second where the eye sits right above the ear: a head seen from behind at a
    for side in ("left", "right"):  # slant, as in a crowd clip that read -76 deg there
        ear = xy[away, POSE_INDEX[f"{side}_ear"]]
        xy[away, POSE_INDEX[f"{side}_eye"]] = ear + (5.0, -40.0)
    turned = track.replace(xy=xy)
    m = measure(clean_track(turned, Config())[0], Config())
    table = m.frame_metrics
    inside = (table["time_s"] > turned.times[70]) & (table["time_s"] < turned.times[110])
    assert table.loc[inside, "head_pitch_deg"].isna().all() and table.loc[inside, "forward_head_deg"].isna().all()
    assert table.loc[~inside, "head_pitch_deg"].median() == pytest.approx(10.0, abs=0.5)
    assert table.loc[inside, "shoulder_elevation_ratio"].notna().all()


def test_finger_curl_needs_hands_not_a_known_view():
    track = runner(seconds=3.0, finger_curl_deg=constant(50.0), noise_px=0.0)
    xy = track.xy.copy()
    xy[:, [POSE_INDEX[n] for n in ("left_hip", "right_hip", "left_ankle", "right_ankle")]] = np.nan
    xy[:, [POSE_INDEX[n] for n in ("left_ear", "right_ear")]] = np.nan  # no scale: the view is unknown
    table = measure(track.replace(xy=xy), Config()).frame_metrics
    assert (table["view"] == "").all()
    assert table["hand_curl_deg"].notna().mean() > 0.9
