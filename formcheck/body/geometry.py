"""Numpy primitives on landmark coordinates: midpoints, distances, angles, robust body scale.

Coordinates are pixels in image orientation (x right, y down); every function broadcasts over
leading axes and returns NaN wherever an input is NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formcheck.body.landmarks import POSE_INDEX


def point(xy: np.ndarray, name: str) -> np.ndarray:
    """The (T, 2) track of one named pose landmark from (T, K, 2) coordinates."""
    return xy[:, POSE_INDEX[name]]


def midpoint(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Point halfway between ``a`` and ``b``."""
    return (a + b) / 2.0


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance between ``a`` and ``b`` along the last axis."""
    return np.linalg.norm(a - b, axis=-1)


def angle_below_horizontal_deg(vector: np.ndarray) -> np.ndarray:
    """Angle (degrees) of a 2D vector that points forward (+x), measured from horizontal;
    + = pointing downward in the picture (y grows downward), in (-180, 180]."""
    return np.degrees(np.arctan2(vector[..., 1], vector[..., 0]))


def joint_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle (degrees, 0-180) at ``b`` between the segments b->a and b->c (any dimension)."""
    u, v = a - b, c - b
    cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def rolling_median(times: np.ndarray, values: np.ndarray, window_s: float, min_share: float = 0.25) -> np.ndarray:
    """Centred rolling median of ``values`` (T,) over ``window_s`` seconds of real time.

    NaN where fewer than ``min_share`` of the frames in the window (at the median frame rate) have
    a value; NaN values are ignored otherwise.
    """
    if len(times) == 0:
        return np.asarray(values, dtype=float)
    step = float(np.median(np.diff(times))) if len(times) > 1 else window_s
    min_periods = max(1, int(round(min_share * window_s / step)))
    series = pd.Series(np.asarray(values, dtype=float), index=pd.to_timedelta(times, unit="s"))
    return series.rolling(pd.Timedelta(seconds=window_s), center=True, min_periods=min_periods).median().to_numpy()


def trunk_length(xy: np.ndarray) -> np.ndarray:
    """(T,) distance in pixels from the hip midpoint to the ear midpoint (falling back to the one ear
    that is seen). Unlike shoulder-to-hip length this does not change when the shoulders shrug,
    so lengths divided by it measure a shrug without the scale moving with it."""
    ears = mean_of_seen(np.stack([point(xy, "left_ear"), point(xy, "right_ear")]))
    hips = mean_of_seen(np.stack([point(xy, "left_hip"), point(xy, "right_hip")]))
    return distance(ears, hips)


#: Hip-to-ear trunk length over the distance between the ears, seen from the front: 5.98 on neg04
#: and 6.34 on run13 (medians over every frame showing both; MediaPipe's ear points sit inside the
#: head's outline, so the span is about a sixth of the trunk, not a quarter).
EAR_SPAN_TO_TRUNK = 6.1
#: The ear span stands in for the trunk only where it is at least this share of the distance from
#: the ears' midpoint down to the shoulders': the head seen from the front or back. Measured 5th-95th
#: percentiles: 0.45-0.77 on the front-view clips pc01, pc03, neg04 and run13, 0.14-0.29 side-on
#: (run12), where the ears overlap and their span means nothing.
MIN_EAR_SPAN_TO_NECK = 0.38


def ear_span_trunk(xy: np.ndarray) -> np.ndarray:
    """(T,) trunk length in pixels estimated from the ears, :data:`EAR_SPAN_TO_TRUNK` x their
    distance, where the head is seen from the front or back (:data:`MIN_EAR_SPAN_TO_NECK`); NaN
    elsewhere. For an upper-body clip (hips out of frame): a shrug moves the shoulders, not the ears."""
    left, right = point(xy, "left_ear"), point(xy, "right_ear")
    ears = distance(left, right)
    neck = distance(midpoint(left, right), midpoint(point(xy, "left_shoulder"), point(xy, "right_shoulder")))
    return np.where(ears >= MIN_EAR_SPAN_TO_NECK * neck, EAR_SPAN_TO_TRUNK * ears, np.nan)


def scale_length(xy: np.ndarray) -> np.ndarray:
    """(T,) the body's length scale in pixels, frame by frame: :func:`trunk_length` where the hips and
    ears are seen, else :func:`ear_span_trunk` (hips out of frame, head from the front or back)."""
    trunk = trunk_length(xy)
    return np.where(np.isfinite(trunk), trunk, ear_span_trunk(xy))


def body_scale(times: np.ndarray, xy: np.ndarray, window_s: float) -> np.ndarray:
    """(T,) robust body scale in pixels: the rolling median of :func:`scale_length` over
    ``window_s`` seconds, so it follows a runner who comes closer to the camera but not the
    frame-to-frame jitter or a single bad frame. NaN where the body is too rarely seen."""
    return rolling_median(times, scale_length(xy), window_s)


def mean_of_seen(stacked: np.ndarray) -> np.ndarray:
    """Mean over axis 0 of the values that are seen (finite); NaN, without a warning, where none is.
    E.g. the midpoint of both ears, or the one ear seen."""
    count = np.isfinite(stacked).sum(axis=0)
    return np.where(count > 0, np.nansum(stacked, axis=0) / np.maximum(count, 1), np.nan)
