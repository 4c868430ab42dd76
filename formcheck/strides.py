"""Steps and strides from the legs' (or arms') oscillation, so metrics can be taken per stride.

The runner's left-minus-right ankle position swings back and forth once per stride (two steps).
It is projected on its main direction of motion (so it works in side, front and back views),
resampled to a uniform clock, and its dominant frequency picks the expected stride period; each
forward extreme of the left foot starts a stride, each extreme of either foot is a step. Arm swing
has the same rhythm, so the wrists stand in when the ankles are out of frame. Taking each metric
per stride (median over one full arm-and-leg cycle) means a normal arm swing is never mistaken for
tension.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal

from formcheck.config import StrideConfig
from formcheck.geometry import point
from formcheck.track import Track


@dataclass(frozen=True)
class Strides:
    """Detected rhythm of a clip.

    - ``step_times`` (S,): seconds at which a foot reaches its forward extreme (one per step).
    - ``bounds`` (N+1,): stride boundaries in seconds; stride i runs from bounds[i] to bounds[i+1].
    - ``cadence_spm``: steps per minute over the clip (mean step rate); NaN when no rhythm.
    - ``source``: "ankles" or "wrists" (what the rhythm was read from) or "windows" when no rhythm
      was found and fixed windows of ``StrideConfig.fallback_window_s`` stand in for strides.
    """

    step_times: np.ndarray
    bounds: np.ndarray
    cadence_spm: float
    source: str

    def table(self) -> pd.DataFrame:
        """One row per stride: ``start_s``, ``end_s``, ``cadence_spm`` (NaN for fixed windows)."""
        start, end = self.bounds[:-1], self.bounds[1:]
        cadence = 120.0 / (end - start) if self.source != "windows" else np.full(len(start), np.nan)
        return pd.DataFrame({"start_s": start, "end_s": end, "cadence_spm": cadence})


def detect_strides(track: Track, scale: np.ndarray, config: StrideConfig = StrideConfig()) -> Strides:
    """Find steps and strides in a cleaned track (ankles first, wrists as a fallback); ``scale`` (T,)
    is the body scale in pixels (:func:`formcheck.geometry.body_scale`) the swing is divided by."""
    for source, (left, right) in {"ankles": ("left_ankle", "right_ankle"),
                                  "wrists": ("left_wrist", "right_wrist")}.items():
        swing = (point(track.xy, left) - point(track.xy, right)) / scale[:, None]
        found = _rhythm(track.times, swing, config)
        if found is not None:
            steps, bounds = found
            cadence = 60.0 * (len(steps) - 1) / float(steps[-1] - steps[0])  # mean step rate
            return Strides(step_times=steps, bounds=bounds, cadence_spm=cadence, source=source)
    return _fixed_windows(track.times, config.fallback_window_s)


def _rhythm(times: np.ndarray, swing: np.ndarray, config: StrideConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """(step times, stride bounds) from a (T, 2) left-minus-right swing, or None without a clear rhythm."""
    seen = np.isfinite(swing).all(axis=1)
    if seen.mean() < config.min_coverage or seen.sum() < 8:
        return None
    centred = swing[seen] - swing[seen].mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]  # main direction of the swing
    t = times[seen]
    step = float(np.median(np.diff(t)))
    grid = np.arange(t[0], t[-1], step)
    wave = np.interp(grid, t, centred @ axis)
    stride_hz = _dominant_frequency(wave, step, config.min_cadence_spm / 120.0, config.max_cadence_spm / 120.0)
    if stride_hz is None or (grid[-1] - grid[0]) * stride_hz < config.min_strides:
        return None
    spacing = max(1, int(config.min_peak_spacing * (1.0 / stride_hz) / step))
    prominence = config.min_prominence * np.std(wave)
    forward_left = signal.find_peaks(wave, distance=spacing, prominence=prominence)[0]
    forward_right = signal.find_peaks(-wave, distance=spacing, prominence=prominence)[0]
    if len(forward_left) < 2 or len(forward_right) < 1:
        return None
    steps = np.sort(grid[np.concatenate([forward_left, forward_right])])
    return steps, grid[forward_left]


def _dominant_frequency(wave: np.ndarray, step: float, low_hz: float, high_hz: float) -> float | None:
    """Frequency (Hz) of the strongest spectral peak between ``low_hz`` and ``high_hz``, or None."""
    n = len(wave)
    if n < 8:
        return None
    padded = max(4096, 1 << int(np.ceil(np.log2(n * 4))))
    power = np.abs(np.fft.rfft((wave - wave.mean()) * np.hanning(n), padded)) ** 2
    freqs = np.fft.rfftfreq(padded, step)
    band = (freqs >= low_hz) & (freqs <= high_hz)
    if not band.any() or power[band].max() <= 0:
        return None
    return float(freqs[band][np.argmax(power[band])])


def _fixed_windows(times: np.ndarray, window_s: float) -> Strides:
    if len(times) == 0:
        return Strides(np.array([]), np.array([]), float("nan"), "windows")
    count = max(1, int((times[-1] - times[0]) // window_s))
    bounds = times[0] + window_s * np.arange(count + 1)
    return Strides(step_times=np.array([]), bounds=bounds, cadence_spm=float("nan"), source="windows")


def per_stride(times: np.ndarray, frame_values: pd.DataFrame, strides: Strides, min_coverage: float) -> pd.DataFrame:
    """Median of each column of ``frame_values`` (one row per frame at ``times``) over each stride.

    A stride's value is NaN where fewer than ``min_coverage`` of its frames have one. Returns the
    stride table (:meth:`Strides.table`) with one column per column of ``frame_values`` added.
    """
    table = strides.table()
    index = np.searchsorted(strides.bounds, times, side="right") - 1
    inside = (index >= 0) & (index < len(table))
    grouped = frame_values[inside].groupby(index[inside])
    medians = grouped.median()
    shares = grouped.agg(lambda c: c.notna().mean())
    values = medians.where(shares >= min_coverage)
    values = values.reindex(range(len(table)))
    return pd.concat([table, values.reset_index(drop=True)], axis=1)
