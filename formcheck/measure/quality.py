"""Capture-quality warnings: what about the clip limits the evidence, said with what to do about it.

Each check reads the analysis (never the pixels again) and returns a sentence a runner can act on:
film closer, film longer, keep the runner in frame, or note that the pace is not a running pace
(walking, or a slow-motion clip whose stretched time makes every stride look slow). Thresholds live
in :class:`~formcheck.config.QualityConfig`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from formcheck.body.landmarks import POSE_INDEX
from formcheck.config import QualityConfig
from formcheck.measure.registry import METRIC_COLUMNS
from formcheck.measure.strides import Strides
from formcheck.pose.track import Track

_HEAD_AND_SHOULDERS = [POSE_INDEX[f"{side}_{part}"] for side in ("left", "right") for part in ("ear", "shoulder")]


def capture_warnings(raw_track: Track, frame_metrics: pd.DataFrame, stride_metrics: pd.DataFrame,
                     strides: Strides, config: QualityConfig, view: dict) -> list[str]:
    """Plain-words warnings about the clip, most serious first (empty when nothing limits the evidence).

    ``raw_track``: the model's landmarks before cleaning (for detection rate and confidence);
    ``frame_metrics`` / ``stride_metrics``: the measurements (for body scale and measurable strides);
    ``view``: how long the runner was in view, :func:`in_view`'s dict (the same one summary.json holds)."""
    warnings = []
    found = raw_track.found
    if found.mean() < config.min_person_share:
        warnings.append(
            f"the runner was found in only {found.mean():.0%} of the frames ({in_view_line(view)}); "
            "metrics are blank where the runner is missing: keep the whole runner in frame")
    share = float(np.nanmedian(frame_metrics["body_scale_px"])) / raw_track.meta["height"] \
        if frame_metrics["body_scale_px"].notna().any() else np.nan
    if np.isfinite(share) and share < config.min_trunk_share:
        warnings.append(
            f"the runner is small in the frame (trunk about {share:.0%} of the frame height); small "
            "landmark errors become large angle errors: film closer, or zoom, so the runner fills most "
            "of the height")
    confidence = float(np.nanmedian(raw_track.visibility[found][:, _HEAD_AND_SHOULDERS])) if found.any() else np.nan
    if np.isfinite(confidence) and confidence < config.min_visibility:
        warnings.append(
            f"low landmark confidence (median {confidence:.2f} for the head and shoulders); light the "
            "runner well and avoid blur, clutter and backlight")
    cadence = strides.cadence_spm
    if np.isfinite(cadence) and cadence < config.slow_motion_below_spm:
        warnings.append(
            f"cadence reads {cadence:.0f} steps/min, far below any running pace: slow motion suspected (a "
            "phone's slow-motion clip stretches time; angles and ratios still hold, cadence does not), "
            "or the person is not running")
    elif np.isfinite(cadence) and cadence < config.walking_below_spm:
        warnings.append(
            f"cadence reads {cadence:.0f} steps/min, below a running pace (about 150-200): walking, "
            "or a slow-motion clip; formcheck's rules are made for running, so treat this verdict with care")
    measurable = int(stride_metrics[list(METRIC_COLUMNS)].notna().any(axis=1).sum())
    if measurable < config.min_strides:
        warnings.append(
            f"only {measurable} measurable stride{'' if measurable == 1 else 's'}: too few to set a baseline "
            "and compare against it; film at least 30 s of steady running")
    return warnings


def in_view(raw_track: Track, min_gap_s: float) -> dict:
    """How long the runner was in view: ``{"seconds", "of_seconds", "gaps_s"}``, the clip's
    analysed time (first to last frame, s) less the gaps, the gaps being the stretches
    (start_s, end_s) the runner was missing for longer than ``min_gap_s`` seconds
    (:meth:`~formcheck.pose.track.Track.gaps`)."""
    gaps = raw_track.gaps(min_gap_s)
    total = float(raw_track.times[-1] - raw_track.times[0])
    return {"seconds": total - sum(end - start for start, end in gaps), "of_seconds": total,
            "gaps_s": [[start, end] for start, end in gaps]}


def in_view_line(view: dict) -> str:
    """``in_view``'s figures in words: "runner in view 3.3 s of 5.4 s (gaps: 0.0-0.9 s, 4.1-5.4 s)"."""
    gaps = ", ".join(f"{start:.1f}-{end:.1f} s" for start, end in view["gaps_s"])
    return f"runner in view {view['seconds']:.1f} s of {view['of_seconds']:.1f} s" + (f" (gaps: {gaps})" if gaps else "")
