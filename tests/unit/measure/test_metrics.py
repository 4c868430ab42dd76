"""The measurements on synthetic runners whose right answers are known by construction."""

import json

import numpy as np
import pytest

from formcheck.body.geometry import body_scale
from formcheck.body.landmarks import POSE_INDEX
from formcheck.cleaning.view import estimate_view
from formcheck.config import Config, MetricsConfig, SegmentConfig
from formcheck.io.output import write_json
from formcheck.measure.metrics import frame_metrics
from formcheck.measure.strides import Strides, detect_strides
from formcheck.pipeline import measure
from tests.synthetic import GAP, TRUNK, constant, runner, step_at


def scale(track):
    return body_scale(track.times, track.xy, MetricsConfig().scale_window_s)


def medians(track):
    return frame_metrics(track, estimate_view(track), scale(track)).median(numeric_only=True)


@pytest.mark.parametrize("facing", [1, -1])
@pytest.mark.parametrize("pitch", [-10.0, 0.0, 15.0, 30.0])
def test_head_pitch_reads_the_built_angle_whichever_way_the_runner_faces(pitch, facing):
    assert medians(runner(head_pitch_deg=constant(pitch), facing=facing))["head_pitch_deg"] == pytest.approx(pitch, abs=1.0)


@pytest.mark.parametrize("raise_share", [0.0, 0.05, 0.1])
def test_shoulders_raised_by_a_share_of_trunk_length_read_that_share(raise_share):
    relaxed = GAP / TRUNK
    measured = medians(runner(shrug=constant(raise_share)))["shoulder_elevation_ratio"]
    assert relaxed - measured == pytest.approx(raise_share, abs=0.005)


def test_finger_curl_reads_the_bend_built_into_the_fingers():
    curl = {deg: medians(runner(finger_curl_deg=constant(deg)))["hand_curl_deg"] for deg in (3.0, 45.0, 100.0)}
    for deg, read in curl.items():
        assert read == pytest.approx(deg, abs=1.0)


@pytest.mark.parametrize("cadence", [150.0, 170.0, 190.0])
def test_cadence_from_the_ankle_swing(cadence):
    track = runner(cadence_spm=cadence)
    strides = detect_strides(track, scale(track))
    assert strides.source == "ankles"
    assert strides.cadence_spm == pytest.approx(cadence, abs=2.0)
    assert np.median(strides.ends - strides.starts) == pytest.approx(120.0 / cadence, abs=1 / 60)


def test_wrists_give_the_rhythm_when_the_feet_are_out_of_frame():
    track = runner(cadence_spm=170.0)
    xy = track.xy.copy()
    for name in ("ankle", "heel", "foot_index", "knee"):
        xy[:, [POSE_INDEX[f"left_{name}"], POSE_INDEX[f"right_{name}"]]] = np.nan
    feetless = track.replace(xy=xy)
    strides = detect_strides(feetless, scale(feetless))
    assert strides.source == "wrists" and strides.cadence_spm == pytest.approx(170.0, abs=2.0)


def test_strides_come_back_unchanged_from_their_json(tmp_path):
    track = runner(cadence_spm=170.0)
    windows = Strides(step_times=np.array([]), starts=np.array([0.0, 0.75]), ends=np.array([0.75, 1.5]),
                      cadence_spm=float("nan"), source="windows")
    for strides in (detect_strides(track, scale(track)), windows):
        write_json(tmp_path / "strides.json", strides.as_dict())  # NaN cadence written as null
        again = Strides.from_dict(json.loads((tmp_path / "strides.json").read_text()))
        for name in ("step_times", "starts", "ends"):
            np.testing.assert_array_equal(getattr(again, name), getattr(strides, name))
        assert again.source == strides.source
        np.testing.assert_equal(again.cadence_spm, strides.cadence_spm)  # NaN equals NaN here


def test_a_runner_who_shrugs_halfway_gets_one_segment_from_the_change():
    change_s = 10.0
    result = measure(runner(seconds=20.0, shrug=step_at(change_s, 0.0, 0.08)))
    assert len(result.segments) == 1
    segment = result.segments[0]
    stride_s = 120.0 / 170.0
    assert abs(segment.start_s - change_s) <= stride_s
    assert segment.end_s >= 19.0
    assert segment.metrics == ["shoulder_elevation_ratio"]
    assert "shoulders 32% closer to the ears than in your first" in segment.reasons[0].text


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_relaxed_runner_with_normal_arm_swing_gets_no_segment(seed):
    result = measure(runner(seconds=20.0, noise_px=2.0, seed=seed))
    assert result.segments == []
    assert len(result.stride_metrics) >= 25


def test_clenching_halfway_is_flagged_with_the_hands_as_the_reason():
    result = measure(runner(finger_curl_deg=step_at(10.0, 45.0, 100.0)))
    assert len(result.segments) == 1
    assert "hand_curl_deg" in result.segments[0].metrics
    assert any("clench" in reason.text for reason in result.segments[0].reasons)


def test_looking_down_halfway_is_flagged_as_chin_down():
    result = measure(runner(head_pitch_deg=step_at(10.0, 10.0, 30.0)))
    assert len(result.segments) == 1
    assert any("chin down" in reason.text for reason in result.segments[0].reasons)


def test_thresholds_come_from_the_config():
    track = runner(shrug=step_at(10.0, 0.0, 0.08))
    lenient = Config(segments=SegmentConfig(shoulder_rise_ratio=0.2))
    assert measure(track, lenient).segments == []


def test_an_external_baseline_flags_a_runner_tight_from_the_start():
    early = measure(runner(seed=1))
    late = measure(runner(seed=2, shrug=constant(0.08)), baseline=early.baseline)
    assert measure(runner(seed=2, shrug=constant(0.08))).segments == []  # against itself: nothing changes
    assert len(late.segments) == 1 and late.segments[0].start_s < 1.5


def test_side_view_is_detected_and_a_spread_runner_reads_front_or_back():
    track = runner()
    assert estimate_view(track).main_view() == "side"
    xy = track.xy.copy()
    for part in ("shoulder", "hip"):
        xy[:, POSE_INDEX[f"left_{part}"], 0] += 120  # runner's left on the picture's right: from the front
        xy[:, POSE_INDEX[f"right_{part}"], 0] -= 120
    assert estimate_view(track.replace(xy=xy)).main_view() == "front"
    xy[:, [POSE_INDEX["left_shoulder"], POSE_INDEX["right_shoulder"]]] = xy[:, [POSE_INDEX["right_shoulder"], POSE_INDEX["left_shoulder"]]]
    assert estimate_view(track.replace(xy=xy)).main_view() == "back"


def test_metrics_outside_their_view_are_nan():
    track = runner()
    table = frame_metrics(track, estimate_view(track), scale(track))
    assert table["shoulder_width_ratio"].isna().all()  # needs front or back
    assert table["head_pitch_deg"].notna().mean() > 0.95
