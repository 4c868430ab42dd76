"""Early-run vs late-run comparison: did the runner's form change between two clips?

Hal Higdon's advice is to film mid-run and again late in the run and compare. This module compares
an early and a late clip metric by metric on their per-stride values (the ``stride_metrics`` table
of :class:`~formcheck.pipeline.Measurements`: one row per stride, each metric the median of its
frames in that stride, NaN where not measured).

For each metric (and the cadence) it reports the two medians, their difference (late - early) with
a bootstrap confidence interval, Cliff's delta as a unit-free effect size, and whether the change
counts: the interval must exclude 0 (the change is beyond stride-to-stride variation) *and* the
change must be at least the smallest change that counts as tight in
:mod:`formcheck.measure.segments` (its rule's threshold in :class:`~formcheck.config.SegmentConfig`).

A caveat on the statistics: consecutive strides are not independent (form drifts slowly, so a
stride resembles its neighbours), while the bootstrap resamples strides as if they were. The
intervals are therefore somewhat narrower than they should be. That is acceptable here because an
interval excluding 0 is never enough on its own for a metric that has a rule: the change must also
reach the practical threshold, which is set well above the stride-to-stride noise of a steady
runner. Metrics without a rule (wrist bend, elbow angle, cadence) are context only: they are never
``significant`` and never make the overall verdict say "tight".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from formcheck.config import Config, QualityConfig
from formcheck.measure.baseline import cadences, pace_changed, same_pace
from formcheck.measure.registry import (
    BY_COLUMN,
    CADENCE,
    METRIC_COLUMNS,
    METRIC_LABELS,
    PACE_DRIVEN,
    amount,
    neutral_phrase,
)
from formcheck.measure.registry import change_phrase as phrase
from formcheck.measure.segments import rule_threshold

#: Every row of a comparison table: the metrics in :data:`~formcheck.measure.metrics.METRIC_COLUMNS` order,
#: then the cadence.
COMPARED = (*METRIC_COLUMNS, CADENCE.column)
#: Human label per compared row (the plots' axis labels, plus the cadence).
LABELS: dict[str, str] = {**METRIC_LABELS, CADENCE.column: CADENCE.label}
#: A metric needs a value in at least this many strides of each clip to be compared.
MIN_STRIDES = 3
#: The columns of a comparison table, in order.
COLUMNS = ("metric", "label", "n_early", "n_late", "early_median", "late_median", "change", "ci_low", "ci_high",
           "effect_size", "threshold", "significant", "tighter", "at_pace", "verdict")


def stride_values(strides: pd.DataFrame, metric: str) -> np.ndarray:
    """The finite per-stride values of ``metric`` (empty when the table has no such column)."""
    if metric not in strides:
        return np.array([])
    values = pd.to_numeric(strides[metric], errors="coerce").to_numpy(dtype=float)
    return values[np.isfinite(values)]


def cliffs_delta(early: np.ndarray, late: np.ndarray) -> float:
    """Cliff's delta of ``late`` against ``early``: P(late > early) - P(late < early) over every pair
    of one value from each, in [-1, 1] (1: every late value is larger; 0: no tendency). NaN values
    are ignored; NaN when either side is empty."""
    early = np.asarray(early, dtype=float)
    late = np.asarray(late, dtype=float)
    early, late = early[np.isfinite(early)], late[np.isfinite(late)]
    if not len(early) or not len(late):
        return float("nan")
    return float(np.sign(late[:, None] - early[None, :]).mean())


def _median_difference(early: np.ndarray, late: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.median(late, axis=axis) - np.median(early, axis=axis)


def change_threshold(metric: str, early_median: float, config: Config = Config()) -> float:
    """The smallest change of ``metric`` that counts, in its unit: its rule's threshold (times
    |early median| for relative rules). NaN for metrics without a rule (and for a relative rule
    without an early median)."""
    rule = BY_COLUMN[metric].rule
    return float("nan") if rule is None else rule_threshold(rule, early_median, config.segments)


def compare_strides(early: pd.DataFrame, late: pd.DataFrame, config: Config = Config(), n_resamples: int = 2000,
                    confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Compare two stride tables (``Measurements.stride_metrics`` of an early and a late clip).

    One row per metric of :data:`~formcheck.measure.metrics.METRIC_COLUMNS`, then ``cadence_spm``, with the
    columns of :data:`COLUMNS`:

    - ``metric``, ``label``: the column name and its human label (unit and direction).
    - ``n_early``, ``n_late``: strides with a value in each clip.
    - ``early_median``, ``late_median``: median of the per-stride values, in the metric's unit.
    - ``change``: late median - early median, same unit.
    - ``ci_low``, ``ci_high``: ``confidence`` percentile-bootstrap interval of that difference
      (``n_resamples`` resamples of each clip's strides independently; the generator is seeded with
      ``seed`` for each metric, so the same inputs always give the same interval).
    - ``effect_size``: Cliff's delta of late vs early strides, in [-1, 1] (:func:`cliffs_delta`).
    - ``threshold``: the smallest change that counts (:func:`change_threshold`); NaN without a rule
      (wrist bend, elbow angle, cadence).
    - ``significant``: the change counts: the interval excludes 0 and |change| >= the threshold.
      Never for metrics without a rule (context only; their verdict still says when they moved
      beyond stride-to-stride variation).
    - ``tighter``: for one-way rules, the change goes the tight way (whether significant or not);
      for two-way rules (head pitch, shoulder offset, finger curl) any significant change counts as
      tighter; None for metrics without a rule or not measured in both clips.
    - ``verdict``: plain words (:func:`describe_change`), flagged as a hint when either clip has
      fewer than ``config.quality.min_strides`` strides with a value.

    A metric with fewer than :data:`MIN_STRIDES` values in either clip gets NaN statistics (the
    counts and any median that exists are still given), ``significant`` False and a verdict saying so.

    When the late clip's cadence differs from the early one's by more than
    ``config.segments.pace_change_share`` (another pace), the measures that change with pace
    (:attr:`formcheck.measure.segments.Rule.pace_driven`) are compared only with the early strides of the
    late clip's pace (cadence within that share of the late median), when there are at least
    :data:`MIN_STRIDES` of them: ``at_pace`` True, ``n_early`` and ``early_median`` theirs, and the
    verdict says so. Without them these measures never count: ``significant`` False, ``tighter``
    None, and their verdict says the pace explains them. ``at_pace`` is False for every other row.
    """
    rows = []
    for metric in COMPARED:
        a, b = stride_values(early, metric), stride_values(late, metric)
        row = {"metric": metric, "label": LABELS[metric], "change": math.nan, "ci_low": math.nan, "ci_high": math.nan, "effect_size": math.nan,
               "threshold": math.nan, "significant": False, "tighter": None, "at_pace": False}
        rows.append(_compared(row, a, b, config, n_resamples, confidence, seed))
    cadence = next(row for row in rows if row["metric"] == "cadence_spm")
    if pace_changed(np.array([cadence["late_median"]]), cadence["early_median"], config.segments)[0]:
        at_pace = early[same_pace(cadences(early), cadence["late_median"], config.segments)]
        for row in rows:
            if row["metric"] not in PACE_DRIVEN:
                continue
            a, b = stride_values(at_pace, row["metric"]), stride_values(late, row["metric"])
            if len(a) >= MIN_STRIDES and len(b) >= MIN_STRIDES:
                _compared(row, a, b, config, n_resamples, confidence, seed)
                row.update(at_pace=True, verdict=f"{row['verdict']} (against the {len(a)} early strides at the "
                                                 "late clip's pace)")
            elif row["significant"]:
                row.update(significant=False, tighter=None,
                           verdict=row["verdict"] + "; the pace changed, which explains it: not judged")
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["significant"] = table["significant"].astype(bool)
    table["tighter"] = table["tighter"].astype(object)  # True, False or None
    return table


def _compared(row: dict, early: np.ndarray, late: np.ndarray, config: Config, n_resamples: int, confidence: float,
              seed: int) -> dict:
    """``row`` with the counts, medians, statistics (when both sides have :data:`MIN_STRIDES`
    values) and verdict of ``early`` against ``late`` values filled in."""
    row.update(n_early=len(early), n_late=len(late),
               early_median=float(np.median(early)) if len(early) else math.nan,
               late_median=float(np.median(late)) if len(late) else math.nan)
    if len(early) >= MIN_STRIDES and len(late) >= MIN_STRIDES:
        row.update(_statistics(row["metric"], early, late, config, n_resamples, confidence, seed))
    row["verdict"] = describe_change(row, config.quality.min_strides)
    return row


def counts_tight(row) -> bool:
    """Whether a comparison row's change counts (``significant``) and goes the tight way."""
    return bool(row["significant"]) and row["tighter"] is not None and bool(row["tighter"])


def _statistics(metric: str, early: np.ndarray, late: np.ndarray, config: Config, n_resamples: int,
                confidence: float, seed: int) -> dict:
    change = float(np.median(late) - np.median(early))
    if np.ptp(early) == 0 and np.ptp(late) == 0:  # every resample gives the same difference
        low = high = change
    else:
        result = stats.bootstrap((early, late), _median_difference, n_resamples=n_resamples, vectorized=True,
                                 paired=False, confidence_level=confidence, method="percentile",
                                 rng=np.random.default_rng(seed))
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    threshold = change_threshold(metric, float(np.median(early)), config)
    beyond_noise = bool(low > 0 or high < 0)
    significant = beyond_noise and bool(np.isfinite(threshold)) and abs(change) >= threshold
    rule = BY_COLUMN[metric].rule
    if rule is None:
        tighter = None
    elif rule.direction == 0:
        tighter = significant
    else:
        tighter = bool(change * rule.direction > 0)
    return {"change": change, "ci_low": low, "ci_high": high, "effect_size": cliffs_delta(early, late),
            "threshold": threshold, "significant": significant, "tighter": tighter}


def describe_change(row, enough_strides: int = QualityConfig().min_strides) -> str:
    """Plain words for one row of a comparison table (a dict or a pandas row): what changed from the
    early to the late clip, by how much, and whether that is beyond stride-to-stride variation, e.g.
    "shoulders rose by 10% of trunk length (ear-to-shoulder gap 0.25 → 0.15), clearly beyond
    stride-to-stride variation". A row with fewer than ``enough_strides`` strides in either clip (a
    bootstrap of so few values is unreliable) says so, and to treat it as a hint."""
    n_early, n_late = int(row["n_early"]), int(row["n_late"])
    if n_early < MIN_STRIDES or n_late < MIN_STRIDES or not np.isfinite(row["change"]):
        return (f"not measured in both clips ({n_early} early, {n_late} late strides with a value; "
                f"{MIN_STRIDES} needed in each)")
    words = _describe_measured(row)
    if min(n_early, n_late) < enough_strides:
        words += f" (only {n_early} early and {n_late} late strides: treat this as a hint)"
    return words


def _describe_measured(row) -> str:
    metric, threshold = row["metric"], row["threshold"]
    beyond_noise = row["ci_low"] > 0 or row["ci_high"] < 0
    if not beyond_noise:
        return f"{_neutral_phrase(row)}: within stride-to-stride variation"
    if not np.isfinite(threshold):
        return f"{change_phrase(row)}, clearly beyond stride-to-stride variation (context only, not judged for tension)"
    if abs(row["change"]) >= threshold:
        return f"{change_phrase(row)}, clearly beyond stride-to-stride variation"
    return (f"{change_phrase(row)}: a small but consistent change "
            f"(below the {amount(metric, threshold, row['early_median'])} that counts)")


def change_phrase(row) -> str:
    """What changed, which way and by how much, with the two medians, e.g. "fingers curled 30 deg
    tighter (45 → 75 deg)" (:func:`formcheck.measure.registry.change_phrase`)."""
    return phrase(row["metric"], float(row["change"]), float(row["early_median"]), float(row["late_median"]))


def _neutral_phrase(row) -> str:
    """"head pitch changed by 1 deg (10 → 11 deg)": the size without claiming a direction."""
    return neutral_phrase(row["metric"], float(row["change"]), float(row["early_median"]), float(row["late_median"]))
