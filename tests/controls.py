"""The positive controls' figures, read from a clip's ``frame_metrics.csv`` table and the windows of
``../shared/sample_videos/annotations.json``: used by ``tests/integration/test_positive_controls.py`` and by
``benchmarks/validate.py``, so the test and the benchmark report the same numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

PC01, PC03, PC04 = "pc01_shrug_front_upper_body.mp4", "pc03_head_nod_front.mp4", "pc04_head_still_front.mp4"


def inside(times: np.ndarray, windows: list[list[float]]) -> np.ndarray:
    """(T,) bool: each time (s) lies in one of the (start, end) windows (s)."""
    return np.any([(times >= start) & (times <= end) for start, end in windows], axis=0)


def shrug_gap(table: pd.DataFrame, windows: dict) -> tuple[float, float]:
    """pc01: the median ear-to-shoulder gap (share of the trunk) in the shrug windows ("up") and at
    rest ("rest")."""
    gap, times = table["shoulder_elevation_ratio"], table["time_s"].to_numpy()
    return float(gap[inside(times, windows["up"])].median()), float(gap[inside(times, windows["rest"])].median())


def nod_pitch(table: pd.DataFrame, marks: dict) -> tuple[np.ndarray, np.ndarray]:
    """pc03: head pitch (deg, + chin down) at the moments marked chin down and level."""
    pitch = table["head_pitch_deg"].interpolate().to_numpy()
    times = table["time_s"].to_numpy()
    return np.interp(marks["chin_down"], times, pitch), np.interp(marks["level"], times, pitch)


def pitch_spread(table: pd.DataFrame) -> float:
    """Head pitch's spread over a clip: its 10th to 90th percentile, deg."""
    pitch = table["head_pitch_deg"].dropna()
    return float(np.percentile(pitch, 90) - np.percentile(pitch, 10))
