"""From raw model output to a clean track: confidence gating, short-gap filling, zero-phase low-pass.

All three steps work on the real presentation times, so a variable-frame-rate clip is filtered
correctly. NaN in the result means "not seen with enough confidence, and not inside a gap short
enough to bridge". The raw track is never modified; :func:`smooth_track` returns a new one.

SciPy is imported inside the functions that use it: it takes most of a second, and a re-analysis
that re-uses the saved clean track (see :func:`formcheck.api.analyze`) never needs it.
"""

from __future__ import annotations

import numpy as np

from formcheck.config import SmoothingConfig
from formcheck.pose.track import Track

#: Columns filtered together by :func:`smooth_series`.
COLUMNS_AT_ONCE = 16


def smooth_track(track: Track, config: SmoothingConfig = SmoothingConfig()) -> Track:
    """Gate, fill and low-pass every coordinate of ``track`` (pose pixels, world metres, hands)."""
    hidden = ~(track.visibility >= config.min_visibility)  # NaN visibility counts as hidden
    return track.replace(xy=_smooth_read_only(track.times, track.xy, config, hidden),
                         world=_smooth_read_only(track.times, track.world, config, hidden),
                         hands=_smooth_read_only(track.times, track.hands, config),
                         meta={**track.meta, "smoothing": vars(config).copy()})


def _smooth_read_only(times: np.ndarray, values: np.ndarray, config: SmoothingConfig,
                      hidden: np.ndarray | None = None) -> np.ndarray:
    """:func:`smooth_series`, made read-only so the new Track shares it instead of copying it."""
    smoothed = smooth_series(times, values, config, hidden)
    smoothed.setflags(write=False)
    return smoothed


def smooth_series(times: np.ndarray, values: np.ndarray, config: SmoothingConfig,
                  hidden: np.ndarray | None = None) -> np.ndarray:
    """Fill short gaps and low-pass ``values`` (T, ...) sampled at ``times`` (T,) seconds, per column.
    ``hidden`` (T, ...), a leading part of ``values``' shape: True where a value is not trusted and
    counts as missing (NaN), such as a landmark's every coordinate when its visibility is low.

    Columns that are missing in the same frames (x and y of one landmark, say) are processed together,
    at most :data:`COLUMNS_AT_ONCE` at a time, so the filter's float64 working copies stay small on
    long clips (nothing of the clip's size is copied but the result). The result keeps float32 input
    float32 (a track's landmarks); anything else becomes float64.
    """
    flat = values.reshape(len(times), -1)
    out = np.empty(flat.shape, np.result_type(flat.dtype, np.float32))
    masks = np.isfinite(flat)
    if hidden is not None:
        per_value = flat.shape[1] // hidden.reshape(len(times), -1).shape[1]
        masks &= ~np.repeat(hidden.reshape(len(times), -1), per_value, axis=1)
    _, group_of_column = np.unique(masks.T, axis=0, return_inverse=True)
    for group in np.unique(group_of_column):
        group_columns = np.flatnonzero(group_of_column == group)
        for columns in np.array_split(group_columns, -(-len(group_columns) // COLUMNS_AT_ONCE)):
            chunk = np.where(masks[:, columns], flat[:, columns], np.nan)
            filled = fill_short_gaps(times, chunk, config.max_gap_s)
            out[:, columns] = lowpass(times, filled, config.cutoff_hz, config.order)
    return out.reshape(values.shape)


def fill_short_gaps(times: np.ndarray, values: np.ndarray, max_gap_s: float) -> np.ndarray:
    """Linear interpolation across NaN runs whose span between the two neighbouring samples is at most
    ``max_gap_s`` seconds. Longer gaps, and NaN at either end, stay NaN.

    ``values`` is (T,) or (T, C) with the same NaN frames in every column.
    """
    values = np.asarray(values, dtype=float)
    valid = np.isfinite(values.reshape(len(times), -1)[:, 0])
    if valid.all() or valid.sum() < 2:
        return values.copy()
    from scipy import interpolate

    valid_idx = np.flatnonzero(valid)
    out = interpolate.interp1d(times[valid], values[valid], axis=0, bounds_error=False)(times)
    # For each missing sample: the time between the valid samples before and after it.
    after = np.searchsorted(valid_idx, np.arange(len(times)))
    inside = (after > 0) & (after < len(valid_idx))
    span = np.full(len(times), np.inf)
    span[inside] = times[valid_idx[after[inside]]] - times[valid_idx[after[inside] - 1]]
    out[~valid & ~(span <= max_gap_s)] = np.nan
    return out


def lowpass(times: np.ndarray, values: np.ndarray, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Zero-phase Butterworth low-pass of each finite run of ``values``, on its real timestamps.

    ``values`` is (T,) or (T, C) with the same NaN frames in every column. Each run is resampled onto
    a uniform grid at its median frame interval, filtered forwards and backwards (``sosfiltfilt``: no
    lag), and read back at the original times. Runs too short to filter (fewer than
    ``3 * (order + 1)`` samples) are returned unfiltered; a cut-off at or above the Nyquist frequency
    leaves the data unfiltered. NaN stays NaN.
    """
    from scipy import interpolate, signal

    out = np.asarray(values, dtype=float).copy()
    for start, stop in _finite_runs(out.reshape(len(times), -1)[:, 0]):
        t = times[start:stop]
        if stop - start < 3 * (order + 1):
            continue
        step = float(np.median(np.diff(t)))
        nyquist = 0.5 / step
        if cutoff_hz >= nyquist:
            continue
        sos = signal.butter(order, cutoff_hz / nyquist, output="sos")
        grid = t[0] + step * np.arange(int(np.floor((t[-1] - t[0]) / step + 1e-9)) + 1)
        uniform = interpolate.interp1d(t, out[start:stop], axis=0)(np.clip(grid, t[0], t[-1]))
        padlen = min(3 * (2 * len(sos) + 1), len(grid) - 1)
        filtered = signal.sosfiltfilt(sos, uniform, axis=0, padlen=padlen)
        out[start:stop] = interpolate.interp1d(grid, filtered, axis=0, bounds_error=False,
                                               fill_value=(filtered[0], filtered[-1]))(t)
    return out


def _finite_runs(values: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the maximal runs of finite values."""
    finite = np.concatenate([[False], np.isfinite(values), [False]])
    edges = np.flatnonzero(np.diff(finite.astype(np.int8)))
    return list(zip(edges[::2], edges[1::2]))
