"""Steps from any view and any camera: label swaps, slow motion, speed changes, wobbles, hidden feet
(synthetic runners whose steps are known); the real clips are checked against counts by eye in
``tests/integration/test_cli.py``."""

import numpy as np
import pytest

from formcheck.body.geometry import body_scale
from formcheck.body.landmarks import POSE_INDEX
from formcheck.config import MetricsConfig
from formcheck.measure.strides import detect_strides
from tests.synthetic import runner

LIMBS = ("ankle", "heel", "foot_index", "knee", "wrist", "elbow", "pinky", "index", "thumb")


def strides_of(track):
    return detect_strides(track, body_scale(track.times, track.xy, MetricsConfig().scale_window_s))


def swapped_feet(track, every_s: float):
    """The track with the left and right leg landmarks exchanged in every other ``every_s`` window,
    as the model does when it cannot tell the near foot from the far one."""
    xy = track.xy.copy()
    flip = (track.times // every_s).astype(int) % 2 == 1
    for part in ("ankle", "heel", "foot_index", "knee"):
        left, right = POSE_INDEX[f"left_{part}"], POSE_INDEX[f"right_{part}"]
        xy[flip, left], xy[flip, right] = track.xy[flip, right], track.xy[flip, left]
    return track.replace(xy=xy)


def rate_between(strides, start_s: float, end_s: float) -> float:
    """Steps per minute from the steps found between two times."""
    steps = strides.step_times[(strides.step_times >= start_s) & (strides.step_times <= end_s)]
    return 60.0 * (len(steps) - 1) / (steps[-1] - steps[0])


def test_a_model_that_swaps_the_feet_at_every_step_neither_halves_nor_doubles_the_cadence():
    track = runner(cadence_spm=170.0)
    step_s = 60.0 / 170.0
    swapped = swapped_feet(track.replace(times=track.times + step_s / 2), step_s)  # swaps between landings
    strides = strides_of(swapped)
    assert strides.source == "ankles" and strides.cadence_spm == pytest.approx(170.0, rel=0.02)
    assert np.median(strides.ends - strides.starts) == pytest.approx(2 * step_s, rel=0.05)


def test_a_swap_of_a_few_frames_is_a_wobble_not_two_more_steps():
    track = runner(cadence_spm=160.0, fps=60.0)
    xy = track.xy.copy()
    glitch = np.zeros(len(track.times), dtype=bool)
    for start_s in np.arange(1.05, 19.0, 1.7):  # now and then, for 3 frames, mid-step
        glitch |= (track.times >= start_s) & (track.times < start_s + 3 / 60)
    left, right = POSE_INDEX["left_ankle"], POSE_INDEX["right_ankle"]
    xy[glitch, left], xy[glitch, right] = track.xy[glitch, right], track.xy[glitch, left]
    strides = strides_of(track.replace(xy=xy))
    assert strides.cadence_spm == pytest.approx(160.0, rel=0.02)
    lengths = strides.ends - strides.starts
    assert lengths.min() > 0.8 * np.median(lengths)  # no stride of half length is kept


@pytest.mark.parametrize("slowed", [4.0, 10.0])
def test_a_slow_motion_clip_is_counted_as_it_plays(slowed):
    track = runner(cadence_spm=170.0, seconds=8.0, fps=240.0)
    played = track.replace(times=track.times * slowed)  # a 240 fps clip played at 24 or 60 fps
    assert strides_of(played).cadence_spm == pytest.approx(170.0 / slowed, rel=0.02)


def test_a_clip_that_ramps_into_slow_motion_and_back_is_followed_step_by_step():
    track = runner(cadence_spm=180.0, seconds=12.0, fps=120.0)
    t = track.times  # 0-4 s real time, 4-8 s played 4x slower, then real time again
    played = np.where(t < 4, t, np.where(t < 8, 4 + 4 * (t - 4), 20 + (t - 8)))
    strides = strides_of(track.replace(times=played))
    assert rate_between(strides, 0.5, 3.5) == pytest.approx(180.0, rel=0.04)
    assert rate_between(strides, 5.0, 19.0) == pytest.approx(45.0, rel=0.04)
    assert rate_between(strides, 20.5, 23.5) == pytest.approx(180.0, rel=0.04)


def test_the_hips_give_the_steps_when_feet_and_hands_are_hidden_and_the_camera_tilts():
    track = runner(cadence_spm=170.0)
    xy = track.xy.copy()
    for part in LIMBS:
        xy[:, [POSE_INDEX[f"left_{part}"], POSE_INDEX[f"right_{part}"]]] = np.nan  # a handrail, a tight frame
    xy[..., 1] += 120.0 * np.sin(2 * np.pi * 0.15 * track.times)[:, None]  # a hand-held phone tilting slowly
    strides = strides_of(track.replace(xy=xy))
    assert strides.source == "hips" and strides.cadence_spm == pytest.approx(170.0, rel=0.02)


def test_someone_standing_still_has_no_steps():
    track = runner(cadence_spm=170.0)
    standing = np.repeat(track.xy[:1], len(track.times), axis=0)
    standing = standing + np.random.default_rng(1).normal(0, 1.0, standing.shape)  # the model's jitter
    strides = strides_of(track.replace(xy=standing))
    assert strides.source == "windows" and np.isnan(strides.cadence_spm)


def test_a_foot_hidden_for_a_moment_costs_no_step_and_no_long_stride():
    track = runner(cadence_spm=170.0)
    xy = track.xy.copy()
    for start_s in (4.1, 9.3, 14.6):  # a rail, a passer-by: both feet unseen for a step and a half
        hidden = (track.times >= start_s) & (track.times < start_s + 0.55)
        for part in ("ankle", "heel", "foot_index", "knee"):
            xy[np.ix_(hidden, [POSE_INDEX[f"left_{part}"], POSE_INDEX[f"right_{part}"]])] = np.nan
    strides = strides_of(track.replace(xy=xy))
    assert strides.source == "ankles" and strides.cadence_spm == pytest.approx(170.0, rel=0.02)
    lengths = strides.ends - strides.starts
    assert lengths.max() < 1.3 * np.median(lengths)


def test_a_sprint_at_300_steps_a_minute_is_counted():
    assert strides_of(runner(cadence_spm=300.0, fps=120.0)).cadence_spm == pytest.approx(300.0, rel=0.02)
