"""Steps and strides from the legs' (or arms', or hips') rhythm, so metrics can be taken per stride.

Three signals, tried in this order, each in the body's own scale and with the camera's roll taken
out: the feet (left minus right ankle), the hands (the wrists, when the feet are out of frame), and
the hips' rise and fall (when neither is seen well: a handrail hides the feet, the arms leave the
frame). The feet are read two ways: the signed swing, one way at each left step and the other at
each right one, and the spread, which opens at every step whichever foot leads, so a model that
mistakes one foot for the other every few steps neither halves nor doubles the count. Each signal
gives one step per half cycle found with hysteresis, without assuming a period, so a clip whose
speed changes, and a slow-motion clip (down to about 12 steps/min as played; up to a sprint's 320),
are followed step by step. A half cycle much shorter than those around it is a wobble, merged into
them (a stride of half length is repaired, not kept); a step or two missed inside a steady stretch
is put back; a longer stretch where the feet were lost is left out of the cadence. Every second
step bounds a stride. Taking each metric per stride (median over one full arm-and-leg cycle) means a
normal arm swing is never mistaken for tension.

Measured against steps counted by eye on every running sample clip: ``benchmarks/step_counts.md``.

Where the runner is out of view (a gap in the cleaned track, longer than cleaning bridges) there is
no stride: a stride that would span a gap is left out, and so are the steps inside it, so the
cadence and every per-stride value come from the frames where the runner was seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formcheck.body.geometry import point
from formcheck.config import StrideConfig
from formcheck.pose.track import Track


@dataclass(frozen=True)
class Strides:
    """Detected rhythm of a clip.

    - ``step_times`` (S,): seconds of each step (the feet's or hands' widest, the hips' highest).
    - ``starts``, ``ends`` (N,): seconds; stride i runs from starts[i] to ends[i]. Strides follow
      each other (ends[i] == starts[i + 1]) except across a gap where the runner was not seen.
    - ``cadence_spm``: mean step rate in steps per minute over the steps that follow each other
      without a gap between them, leaving out stretches where the feet were lost (:func:`_unseen`);
      NaN when no rhythm.
    - ``source``: "ankles", "wrists" or "hips" (what the rhythm was read from) or "windows" when no rhythm
      was found and fixed windows of ``StrideConfig.fallback_window_s`` stand in for strides.
    """

    step_times: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    cadence_spm: float
    source: str

    def table(self) -> pd.DataFrame:
        """One row per stride: ``start_s``, ``end_s``, ``cadence_spm`` (NaN for fixed windows, and
        for a stride that spans a stretch where the feet were lost, :func:`_unseen`, as the clip's
        cadence leaves it out: it would read a third of the pace)."""
        if self.source == "windows":
            cadence = np.full(len(self.starts), np.nan)
        else:
            durations = self.ends - self.starts
            cadence = np.where(_unseen(durations), np.nan, 120.0 / durations)
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
    """Find steps and strides in a cleaned track: from the feet, else the hands
    (:func:`_limb_rhythm`), else the hips' bounce (:func:`_bounce_rhythm`); ``scale`` (T,) is the
    body scale in pixels (:func:`formcheck.body.geometry.body_scale`) every signal is divided by. The
    track is taken as turned upright (camera roll out). No stride or step lies across a gap of the
    track (:meth:`~formcheck.pose.track.Track.gaps`)."""
    gaps = track.gaps()
    for source, (left, right) in {"ankles": ("left_ankle", "right_ankle"),
                                  "wrists": ("left_wrist", "right_wrist")}.items():
        found = _limb_rhythm(track.times, (point(track.xy, left) - point(track.xy, right)) / scale[:, None], config)
        if found is not None:
            break
    if found is None:
        hips = (point(track.xy, "left_hip")[:, 1] + point(track.xy, "right_hip")[:, 1]) / 2
        found, source = _bounce_rhythm(track.times, -hips / scale, config), "hips"
    if found is not None:
        frame_s = float(np.median(np.diff(track.times)))  # a step within a frame of a gap's edge is its artefact
        steps, bounds = (times[~_in_gaps(times, times, gaps, frame_s)] for times in found)
        starts, ends = _outside_gaps(bounds[:-1], bounds[1:], gaps)
        return Strides(step_times=steps, starts=starts, ends=ends, cadence_spm=_cadence(steps, gaps), source=source)
    starts, ends = _fixed_windows(track.times, config.fallback_window_s)
    starts, ends = _outside_gaps(starts, ends, gaps)
    return Strides(step_times=np.array([]), starts=starts, ends=ends, cadence_spm=float("nan"), source="windows")


#: The spread's steps are taken over the signed swing's only when their intervals are this much
#: more regular (:func:`_irregularity`): on the sample clips the two tie where the model keeps the
#: feet apart (run01 0.05/0.05, run06 0.10/0.10, where the signed swing matched the count by eye and
#: the spread missed steps) and the spread wins clearly where it swaps them (run05 0.15 against 0.26).
SPREAD_MARGIN = 0.85
#: Which reading of the feet to keep by the spread's steps as a share of the swing's: below the
#: first, about half, the swing counted each step twice (the model swaps the feet at every step);
#: between the two, the spread missed steps where it opened too little (neg01, a walk: 11 steps
#: against 16, cadence 69 against 112 counted by eye); above, both found about as many and the more
#: regular is kept (:data:`SPREAD_MARGIN`; run05, where the feet swap in part of the clip: 31 against 37).
SPREAD_SHARES = (0.6, 0.8)


def _limb_rhythm(times: np.ndarray, apart: np.ndarray, config: StrideConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """(step times, stride bounds), seconds, from ``apart`` (T, 2): left minus right foot (or hand)
    in body scales; None without a clear rhythm.

    Two readings of it: the signed swing (its main direction), which goes one way at each left step
    and the other way at each right step, and the spread (its length), which opens at every step
    whichever foot leads, so the model mistaking one foot for the other every few steps does not
    halve or double them. Which is kept: :data:`SPREAD_SHARES`."""
    seen = np.isfinite(apart).all(axis=1)
    if seen.mean() < config.min_coverage or seen.sum() < 8:
        return None
    centred = apart[seen] - np.median(apart[seen], axis=0)
    signed = np.full(len(times), np.nan)
    signed[seen] = centred @ np.linalg.svd(centred, full_matrices=False)[2][0]
    by_swing = _rhythm(times, signed, config, both_ways=True)
    by_spread = _rhythm(times, np.linalg.norm(apart, axis=1), config, both_ways=False)
    if by_swing is None or by_spread is None:
        return by_swing or by_spread
    share = len(by_spread[0]) / len(by_swing[0])
    if share < SPREAD_SHARES[0]:  # the swing counted each step twice: the feet swapped at every step
        return by_spread
    if share < SPREAD_SHARES[1]:  # the spread opened too little to pass at some steps
        return by_swing
    return by_spread if _irregularity(by_spread[0]) < SPREAD_MARGIN * _irregularity(by_swing[0]) else by_swing


def _bounce_rhythm(times: np.ndarray, height: np.ndarray, config: StrideConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """(step times, stride bounds), seconds, from ``height`` (T,): the hips' height in body scales
    (up positive), which rises and falls once per step in every view; None without a clear rhythm.
    A hand-held camera that tilts moves the hips in the picture too, so the bounce's rhythm is the
    strongest in the hips' rate of rise (where slow drift weighs little), and the drift slower than
    it (a moving average over one of its periods) is taken out first.
    Needs ``config.min_bounce`` of rise and fall and steps about as regular as a run's."""
    seen = np.isfinite(height)
    if seen.mean() < config.min_coverage or seen.sum() < 8:
        return None
    t = times[seen]
    step = float(np.median(np.diff(t)))
    grid = np.arange(t[0], t[-1], step)
    wave = np.interp(grid, t, height[seen])
    period = _strongest_period(np.diff(wave), step, config)  # the rate of rise: slow drift weighs little
    if period is None:
        return None
    window = max(1, round(period / step))
    drift = np.convolve(np.pad(wave, window, mode="edge"), np.ones(window) / window, mode="same")[window:-window]
    found = _rhythm(grid, wave - drift, config, both_ways=False, min_swing=config.min_bounce)
    if found is None or _irregularity(found[0]) > config.max_bounce_irregularity:
        return None
    return found


def _strongest_period(wave: np.ndarray, step: float, config: StrideConfig) -> float | None:
    """Period (s) of the strongest rhythm of ``wave`` (sampled every ``step`` s) among the step
    rates allowed by ``config``; None when the clip is too short to hold one."""
    n = len(wave)
    if n < 8:
        return None
    padded = max(4096, 1 << int(np.ceil(np.log2(n * 4))))
    power = np.abs(np.fft.rfft((wave - wave.mean()) * np.hanning(n), padded)) ** 2
    freqs = np.fft.rfftfreq(padded, step)
    band = (freqs >= config.min_cadence_spm / 60) & (freqs <= config.max_cadence_spm / 60)
    if not band.any() or power[band].max() <= 0:
        return None
    return 1.0 / float(freqs[band][np.argmax(power[band])])


def _irregularity(steps: np.ndarray) -> float:
    """Median size of the change from one step interval to the next, as |log ratio| (0: a metronome;
    0.1: about 10%); a missed or doubled step makes it large. Inf with fewer than four steps."""
    intervals = np.diff(steps)
    if len(intervals) < 3:
        return float("inf")
    return float(np.median(np.abs(np.log(intervals[1:] / intervals[:-1]))))


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
    them and no unseen stretch (:func:`_unseen`); NaN without such an interval."""
    if len(steps) < 2:
        return float("nan")
    intervals = np.diff(steps)
    keep = ~_in_gaps(steps[:-1], steps[1:], gaps) & ~_unseen(intervals)
    return 60.0 / float(intervals[keep].mean()) if keep.any() else float("nan")


#: An interval this many times the intervals around it holds steps that were not seen (more than
#: :func:`_fill_missed` puts back), not one slow step.
UNSEEN_STEPS = 3.0


def _unseen(intervals: np.ndarray) -> np.ndarray:
    """(N,) bool: each step interval (s) longer than :data:`UNSEEN_STEPS` times the median of the
    (up to) 3 intervals on each side of it: the feet were lost for a while (a small runner among
    others, a moment behind a rail), so it is no step and is left out of the cadence."""
    around = [np.r_[intervals[max(0, k - 3):k], intervals[k + 1:k + 4]] for k in range(len(intervals))]
    return np.array([len(near) > 0 and interval > UNSEEN_STEPS * np.median(near)
                     for interval, near in zip(intervals, around)], dtype=bool)


def _rhythm(times: np.ndarray, signal: np.ndarray, config: StrideConfig, both_ways: bool,
            min_swing: float | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(step times, stride bounds), seconds, from a signal (T,) at ``times`` that swings once per
    step (``both_ways`` False: its highs are the steps) or once per stride (True: its highs are one
    foot's steps, its lows the other's); NaN where unseen, bridged by straight lines. None when it
    barely swings (``min_swing``, default ``config.min_swing``, in body scales: someone standing),
    the steps are too few, or their rate is outside the range.

    Each half cycle (the signal beyond ``config.hysteresis`` of its typical swing one way, until it
    is as far beyond the other way) is found without assuming a period, so a clip whose speed changes
    (a sprint that ramps into slow motion and back) is followed step by step. A half cycle far
    shorter than those around it (a wobble that crossed back for a moment) is merged into them, so
    a stride of half length is repaired, not kept. Every second step bounds a stride."""
    seen = np.isfinite(signal)
    if seen.sum() < 8:
        return None
    t = times[seen]
    step = float(np.median(np.diff(t)))
    grid = np.arange(t[0], t[-1], step)
    wave = np.interp(grid, t, signal[seen])
    wave = wave - np.median(wave)
    swing = float(np.percentile(np.abs(wave), 90))
    if swing < (config.min_swing if min_swing is None else min_swing):
        return None
    halves = _merge_short_halves(_half_cycles(wave, config.hysteresis * swing), config.min_half_share)
    steps = _fill_missed(grid[[start + int(np.argmax(sign * wave[start:stop])) for sign, start, stop in halves
                               if both_ways or sign > 0]])
    if len(steps) < 2 * config.min_strides + 1:
        return None
    cadence = 60.0 / float(np.median(np.diff(steps)))
    if not config.min_cadence_spm <= cadence <= config.max_cadence_spm:
        return None
    return steps, steps[::2]


def _fill_missed(steps: np.ndarray, tolerance: float = 0.15) -> np.ndarray:
    """``steps`` (s) with steps missed inside a steady stretch put back, evenly spaced: where the 3
    intervals before and the 3 after agree (medians within ``tolerance``) and the interval between
    them is 2 or 3 times theirs (within ``tolerance``), a foot went unseen for a step or two, and
    the stride holding it would read half the cadence. Anywhere the pace changes, nothing is added."""
    intervals = np.diff(steps)
    filled = [steps[:1]]
    for k, interval in enumerate(intervals):
        before, after = intervals[max(0, k - 3):k], intervals[k + 1:k + 4]
        n = 1
        if len(before) == 3 and len(after) == 3:
            pace = (np.median(before) + np.median(after)) / 2
            times = interval / pace
            if (abs(np.log(np.median(before) / np.median(after))) < tolerance and round(times) in (2, 3)
                    and abs(times / round(times) - 1) < tolerance):
                n = round(times)
        filled.append(steps[k] + interval * np.arange(1, n + 1) / n)
    return np.concatenate(filled)


def _half_cycles(wave: np.ndarray, threshold: float) -> list[tuple[int, int, int]]:
    """(sign, start, stop) of each half cycle of ``wave`` with hysteresis: a half cycle of sign +1
    starts where the wave rises above ``threshold`` after being below ``-threshold`` (or at the
    start) and lasts until it next falls below ``-threshold``; indices into ``wave``, stop exclusive.
    The first and last half cycles are cut by the clip's ends and left out."""
    state = np.where(wave > threshold, 1, np.where(wave < -threshold, -1, 0))
    beyond = np.flatnonzero(state)
    turns = np.r_[True, state[beyond][1:] != state[beyond][:-1]] if len(beyond) else np.array([], dtype=bool)
    starts, signs = beyond[turns], state[beyond][turns]
    bounds = [*starts.tolist(), len(wave)]
    return [(int(sign), bounds[k], bounds[k + 1]) for k, sign in enumerate(signs)][1:-1]


def _merge_short_halves(halves: list[tuple[int, int, int]], min_share: float) -> list[tuple[int, int, int]]:
    """``halves`` with each half cycle shorter than ``min_share`` of the median half cycle around it
    (the 7 nearest) merged, with its two neighbours, into one half cycle of the neighbours' sign:
    the swing crossed back for a moment and forth again, which is no step."""
    halves = list(halves)
    while len(halves) >= 3:
        lengths = np.array([stop - start for _, start, stop in halves], dtype=float)
        local = np.array([np.median(lengths[max(0, k - 3):k + 4]) for k in range(len(lengths))])
        short = np.flatnonzero((lengths < min_share * local)[1:-1]) + 1
        if not len(short):
            break
        k = int(short[np.argmin(lengths[short] / local[short])])
        halves[k - 1:k + 2] = [(halves[k - 1][0], halves[k - 1][1], halves[k + 1][2])]
    return halves


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
