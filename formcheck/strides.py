"""Steps and strides from the legs' (or arms') oscillation, so metrics can be taken per stride.

The runner's left-minus-right ankle position swings back and forth once per stride (two steps).
It is projected on its main direction of motion (so it works in side, front and back views),
resampled to a uniform clock, and its dominant frequency picks the expected stride period; each
forward extreme of the left foot starts a stride, each extreme of either foot is a step. Arm swing
has the same rhythm, so the wrists stand in when the ankles are out of frame. Taking each metric
per stride (median over one full arm-and-leg cycle) means a normal arm swing is never mistaken for
tension.

Where the runner is out of view (a gap in the cleaned track, longer than cleaning bridges) there is
no stride: a stride that would span a gap is left out, and so are the steps inside it, so the
cadence and every per-stride value come from the frames where the runner was seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formcheck.config import StrideConfig
from formcheck.geometry import point
from formcheck.track import Track


@dataclass(frozen=True)
class Strides:
    """Detected rhythm of a clip.

    - ``step_times`` (S,): seconds at which a foot reaches its forward extreme (one per step).
    - ``starts``, ``ends`` (N,): seconds; stride i runs from starts[i] to ends[i]. Strides follow
      each other (ends[i] == starts[i + 1]) except across a gap where the runner was not seen.
    - ``cadence_spm``: mean step rate in steps per minute over the steps that follow each other
      without a gap between them; NaN when no rhythm.
    - ``source``: "ankles" or "wrists" (what the rhythm was read from) or "windows" when no rhythm
      was found and fixed windows of ``StrideConfig.fallback_window_s`` stand in for strides.
    """

    step_times: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    cadence_spm: float
    source: str

    def table(self) -> pd.DataFrame:
        """One row per stride: ``start_s``, ``end_s``, ``cadence_spm`` (NaN for fixed windows)."""
        cadence = 120.0 / (self.ends - self.starts) if self.source != "windows" else np.full(len(self.starts), np.nan)
        return pd.DataFrame({"start_s": self.starts, "end_s": self.ends, "cadence_spm": cadence})

    def as_dict(self) -> dict:
        """For ``strides.json``: every field, arrays as lists of seconds (:meth:`from_dict` reads it)."""
        return {"source": self.source, "cadence_spm": self.cadence_spm, "step_times": self.step_times.tolist(),
                "starts": self.starts.tolist(), "ends": self.ends.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Strides:
        """The strides :meth:`as_dict` wrote (a null cadence, as JSON holds NaN, is NaN again)."""
        cadence = data["cadence_spm"]
        return cls(step_times=np.asarray(data["step_times"], dtype=float), starts=np.asarray(data["starts"], dtype=float),
                   ends=np.asarray(data["ends"], dtype=float), cadence_spm=float("nan") if cadence is None else float(cadence),
                   source=str(data["source"]))


def detect_strides(track: Track, scale: np.ndarray, config: StrideConfig = StrideConfig()) -> Strides:
    """Find steps and strides in a cleaned track (ankles first, wrists as a fallback); ``scale`` (T,)
    is the body scale in pixels (:func:`formcheck.geometry.body_scale`) the swing is divided by.
    No stride or step lies across a gap of the track (:meth:`~formcheck.track.Track.gaps`)."""
    gaps = track.gaps()
    for source, (left, right) in {"ankles": ("left_ankle", "right_ankle"),
                                  "wrists": ("left_wrist", "right_wrist")}.items():
        swing = (point(track.xy, left) - point(track.xy, right)) / scale[:, None]
        found = _rhythm(track.times, swing, config)
        if found is not None:
            frame_s = float(np.median(np.diff(track.times)))  # a step within a frame of a gap's edge is its artefact
            steps, bounds = (times[~_in_gaps(times, times, gaps, frame_s)] for times in found)
            starts, ends = _outside_gaps(bounds[:-1], bounds[1:], gaps)
            return Strides(step_times=steps, starts=starts, ends=ends, cadence_spm=_cadence(steps, gaps),
                           source=source)
    starts, ends = _fixed_windows(track.times, config.fallback_window_s)
    starts, ends = _outside_gaps(starts, ends, gaps)
    return Strides(step_times=np.array([]), starts=starts, ends=ends, cadence_spm=float("nan"), source="windows")


def _in_gaps(starts: np.ndarray, ends: np.ndarray, gaps: list[tuple[float, float]], margin_s: float = 0.0) -> np.ndarray:
    """(N,) bool: the interval from starts[i] to ends[i] (s; equal for an instant) overlaps a gap
    (start_s, end_s) between the gap's two frames, where the runner was not seen, or comes within
    ``margin_s`` seconds of it. (An extreme of the swing right at a gap's edge is where the seen
    swing ends and the straight line drawn across the gap begins, not a foot's extreme.)"""
    hit = np.zeros(len(starts), dtype=bool)
    for gap_start, gap_end in gaps:
        hit |= (starts < gap_end + margin_s) & (ends > gap_start - margin_s)
    return hit


def _outside_gaps(starts: np.ndarray, ends: np.ndarray, gaps: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """The (starts, ends) intervals that do not overlap any gap."""
    keep = ~_in_gaps(starts, ends, gaps)
    return starts[keep], ends[keep]


def _cadence(steps: np.ndarray, gaps: list[tuple[float, float]]) -> float:
    """Mean step rate (steps/min) over the intervals between consecutive steps with no gap between
    them; NaN without such an interval."""
    if len(steps) < 2:
        return float("nan")
    intervals = np.diff(steps)[~_in_gaps(steps[:-1], steps[1:], gaps)]
    return 60.0 / float(intervals.mean()) if len(intervals) else float("nan")


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
    from scipy import signal  # most of a second to import: a re-analysis that re-uses saved strides skips it

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


def _fixed_windows(times: np.ndarray, window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of back-to-back windows of ``window_s`` seconds from the first frame."""
    if len(times) == 0:
        return np.array([]), np.array([])
    count = max(1, int((times[-1] - times[0]) // window_s))
    bounds = times[0] + window_s * np.arange(count + 1)
    return bounds[:-1], bounds[1:]


def per_stride(times: np.ndarray, frame_values: pd.DataFrame, strides: Strides, min_coverage: float) -> pd.DataFrame:
    """Median of each column of ``frame_values`` (one row per frame at ``times``) over each stride.

    A stride's value is NaN where fewer than ``min_coverage`` of its frames have one. Returns the
    stride table (:meth:`Strides.table`) with one column per column of ``frame_values`` added.
    """
    table = strides.table()
    index = np.searchsorted(strides.starts, times, side="right") - 1  # the last stride starting at or before
    ends = np.append(strides.ends, -np.inf)  # index -1 (before the first stride) reads -inf: outside
    inside = times < ends[index]
    grouped = frame_values[inside].groupby(index[inside])
    medians = grouped.median()
    shares = grouped.agg(lambda c: c.notna().mean())
    values = medians.where(shares >= min_coverage)
    values = values.reindex(range(len(table)))
    return pd.concat([table, values.reset_index(drop=True)], axis=1)
