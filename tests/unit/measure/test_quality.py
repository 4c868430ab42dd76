"""Capture-quality warnings on synthetic runners with one known flaw each (real clips: test_cli)."""

import numpy as np
import pytest

from formcheck.config import QualityConfig
from formcheck.measure.quality import capture_warnings, in_view
from formcheck.pipeline import measure
from formcheck.pose.track import Track
from tests.synthetic import runner


def warnings_for(track: Track) -> list[str]:
    m = measure(track)
    return capture_warnings(track, m.frame_metrics, m.stride_metrics, m.strides, QualityConfig(), in_view(track, 0.0))


def test_a_well_filmed_runner_gets_no_warning():
    assert warnings_for(runner()) == []


def test_a_runner_small_in_a_big_frame_is_told_to_film_closer():
    track = runner()
    track = track.replace(meta={**track.meta, "height": 4000})  # trunk 400 px of 4000: 10%
    (warning,) = warnings_for(track)
    assert "small in the frame" in warning and "10%" in warning


@pytest.mark.parametrize("cadence, phrase", [(120.0, "below a running pace"), (70.0, "slow motion suspected")])
def test_a_cadence_below_running_is_called_walking_or_slow_motion(cadence, phrase):
    (warning,) = warnings_for(runner(seconds=30.0, cadence_spm=cadence))
    assert phrase in warning and f"{cadence:.0f} steps/min" in warning


def test_a_short_clip_is_too_short_for_a_baseline():
    (warning,) = warnings_for(runner(seconds=3.0))
    assert "measurable stride" in warning and "too few to set a baseline" in warning


def test_a_runner_missing_from_a_third_of_the_frames_is_reported_with_the_covered_time():
    track = runner(seconds=20.0)
    xy = track.xy.copy()
    xy[track.times >= 13.0] = np.nan  # ran out of frame after 13 s
    (warning,) = warnings_for(track.replace(xy=xy))
    assert "found in only 65%" in warning and "runner in view 13.0 s of 20.0 s (gaps: 13.0-20.0 s)" in warning


def test_low_model_confidence_is_reported():
    track = runner()
    (warning,) = warnings_for(track.replace(visibility=np.full_like(track.visibility, 0.55)))
    assert "low landmark confidence" in warning and "0.55" in warning
