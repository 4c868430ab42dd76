"""Smoothing on synthetic signals whose right answer is known."""

import numpy as np

from formcheck.cleaning.smoothing import fill_short_gaps, lowpass, smooth_track
from formcheck.config import SmoothingConfig
from tests.unit.pose.test_track import random_track


def test_short_gaps_are_filled_and_long_gaps_stay_nan():
    t = np.arange(100) / 60
    v = 3.0 * t + 1.0
    v[10:13] = np.nan  # 4 intervals = 0.067 s between the neighbours
    v[40:70] = np.nan  # 0.52 s
    v[:2] = np.nan  # leading gap: nothing to interpolate from
    filled = fill_short_gaps(t, v, max_gap_s=0.1)
    np.testing.assert_allclose(filled[10:13], 3.0 * t[10:13] + 1.0)
    assert np.isnan(filled[40:70]).all() and np.isnan(filled[:2]).all()


def test_gap_length_is_measured_in_seconds_not_frames():
    t = np.array([0.0, 0.01, 0.02, 0.03, 0.30, 0.31])  # a 0.27 s hole between frames 3 and 5
    v = np.array([0.0, 1.0, 2.0, 3.0, np.nan, 5.0])
    assert np.isnan(fill_short_gaps(t, v, max_gap_s=0.2)[4])
    assert np.isfinite(fill_short_gaps(t, v, max_gap_s=0.3)[4])


def test_lowpass_keeps_running_motion_removes_jitter_and_adds_no_lag():
    t = np.arange(600) / 60
    slow = np.sin(2 * np.pi * 1.4 * t)  # arm swing at 1.4 Hz
    jitter = 0.3 * np.sin(2 * np.pi * 20 * t)  # frame-to-frame jitter at 20 Hz
    out = lowpass(t, slow + jitter, cutoff_hz=6.0)
    assert np.abs(out - slow)[30:-30].max() < 0.02
    lag = np.argmax(np.correlate(out[60:-60], slow[60:-60], "full")) - (len(t) - 121)
    assert lag == 0


def test_lowpass_uses_real_timestamps_on_variable_frame_rate():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(1 / 90, 1 / 30, 400))  # frame intervals vary threefold
    signal_ = np.sin(2 * np.pi * 2.0 * t)
    noisy = signal_ + 0.2 * np.sin(2 * np.pi * 14.0 * t)
    out = lowpass(t, noisy, cutoff_hz=6.0)
    assert np.abs(out - signal_)[20:-20].max() < 0.08


def test_lowpass_leaves_nan_alone_and_filters_each_run():
    t = np.arange(200) / 30
    v = np.sin(2 * np.pi * t)
    v[90:110] = np.nan
    out = lowpass(t, v, cutoff_hz=6.0)
    assert np.isnan(out[90:110]).all() and np.isfinite(out[:90]).all() and np.isfinite(out[110:]).all()


def test_smooth_track_gates_low_visibility_and_keeps_the_raw_track():
    raw = random_track(frames=60)
    visibility = raw.visibility.copy()
    visibility[:, 0] = 0.1  # the nose is never seen with confidence
    raw = raw.replace(visibility=visibility)
    clean = smooth_track(raw, SmoothingConfig(min_visibility=0.5))
    assert np.isnan(clean.xy[:, 0]).all() and np.isnan(clean.world[:, 0]).all()
    assert np.isfinite(raw.xy[:, 0][raw.found]).all()  # raw untouched
    assert clean.meta["smoothing"]["cutoff_hz"] == 6.0
