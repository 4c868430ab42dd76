"""'Running tight' segments: sustained stretches of strides that deviate from the runner's baseline.

Each metric has a rule (declared with the measure, :mod:`formcheck.measure.registry`): which way is
tight, and how far from the baseline counts (thresholds in :class:`~formcheck.config.SegmentConfig`). A stride deviates on a metric when its per-stride median
moves the tight way by at least the threshold and by ``noise_factor`` times the baseline's own
stride-to-stride spread, so a runner whose numbers always wobble is not flagged for wobbling. There
is no absolute rule for the hands: on the sample runners a relaxed running hand's finger curl reads
anywhere from 12 deg (open) to 84 deg (loosely cupped), an open palm 13 and a clenched fist about 88
(``seeds/README.md``), so only a change from the runner's own hands says anything. A segment is at
least ``min_strides`` deviating strides in a row, and carries plain-words reasons naming the metric
and the size of the change. Strides are in a row only when each starts where the one before ended:
a segment never spans a gap where the runner was out of view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from formcheck.config import SegmentConfig
from formcheck.measure.baseline import (
    Baseline,
    cadences,
    median_cadence,
    pace_changed,
    pace_phrase,
)
from formcheck.measure.registry import (
    PACE_DRIVEN,
    PACE_DRIVEN_WORDS,
    RULES,
    Rule,
    reason,
)


def pace_references(stride_table: pd.DataFrame, baseline: Baseline, config: SegmentConfig) -> list[Baseline | None]:
    """Per stride, what its pace-driven measures are judged against: ``baseline`` where the stride is
    at the baseline's pace, the baseline's strides of the stride's own pace where it is not and
    there are enough of them (:meth:`Baseline.at_pace`), else None (not judged). Strides of one
    cadence share one reference."""
    cadence = cadences(stride_table)
    other = pace_changed(cadence, baseline.cadence_spm, config)
    found: dict[float, Baseline | None] = {}
    for value, changed in zip(cadence, other):
        if changed and value not in found:
            found[value] = baseline.at_pace(value, config)
    return [found[value] if changed else baseline for value, changed in zip(cadence, other)]


def rule_threshold(rule: Rule, reference: float, config: SegmentConfig) -> float:
    """The configured smallest change of ``rule``'s metric that counts, in its units; for relative
    rules a share of ``|reference|`` (the baseline or early-clip value; NaN gives NaN)."""
    return float(getattr(config, rule.threshold)) * (abs(reference) if rule.relative else 1.0)


def rule_limits(rule: Rule, baseline: Baseline, config: SegmentConfig) -> tuple[float, float]:
    """(threshold, needed) for one rule, in the metric's units: the configured smallest change that
    counts (scaled by the baseline value for relative rules), and the change the tight way a stride
    actually needs, the larger of the threshold and ``noise_factor`` x the baseline's spread. NaN
    when the baseline lacks the metric."""
    threshold = rule_threshold(rule, baseline.median[rule.metric], config)
    spread = baseline.spread[rule.metric]
    needed = max(threshold, config.noise_factor * spread) if np.isfinite(spread) else threshold
    return threshold, needed


def tight_change(rule: Rule, values: np.ndarray, baseline: Baseline) -> np.ndarray:
    """How far ``values`` moved from the baseline median the tight way (the rule's direction, or
    either way for two-way rules), in the metric's units; negative = the relaxed way. NaN where the
    value or the baseline is missing."""
    change = np.asarray(values, dtype=float) - baseline.median[rule.metric]
    return np.abs(change) if rule.direction == 0 else change * rule.direction


def judged_against(rule: Rule, references: list[Baseline | None], baseline: Baseline) -> list[Baseline | None]:
    """Per stride, the baseline ``rule`` is judged against: ``references`` (:func:`pace_references`)
    for a pace-driven rule, else ``baseline`` everywhere."""
    return references if rule.pace_driven else [baseline] * len(references)


def tight_levels(rule: Rule, values: np.ndarray, judged_by: list[Baseline | None],
                 config: SegmentConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(tight change, threshold, needed) per stride for ``rule``'s ``values``, each against its own
    reference in ``judged_by`` (:func:`judged_against`): how far it moved the tight way
    (:func:`tight_change`), the configured smallest change and the change it needs to count
    (:func:`rule_limits`), in the metric's units; NaN where not measured or not judged (no reference)."""
    tight, threshold, needed = (np.full(len(values), np.nan) for _ in range(3))
    for reference in {id(ref): ref for ref in judged_by if ref is not None}.values():
        at = np.array([ref is reference for ref in judged_by])
        threshold[at], needed[at] = rule_limits(rule, reference, config)
        tight[at] = tight_change(rule, values[at], reference)
    return tight, threshold, needed


def deviations(stride_table: pd.DataFrame, baseline: Baseline, config: SegmentConfig,
               references: list[Baseline | None] | None = None) -> pd.DataFrame:
    """Per stride and rule: how far the stride moved the tight way, in units of the rule's threshold
    (>= 1 means it deviates), or 0 where it did not (NaN where not measured). Pace-driven rules are
    judged against each stride's ``references`` (:func:`pace_references`, computed when not given):
    the baseline's strides of the stride's own pace, NaN where there are none."""
    out = pd.DataFrame(index=stride_table.index)
    references = pace_references(stride_table, baseline, config) if references is None else references
    for rule in RULES:
        judged_by = judged_against(rule, references, baseline)
        tight, threshold, needed = tight_levels(rule, stride_table[rule.metric].to_numpy(dtype=float), judged_by,
                                                config)
        with np.errstate(invalid="ignore"):
            out[rule.metric] = np.where(np.isfinite(tight), np.where(tight >= needed, tight / threshold, 0.0), np.nan)
    return out


@dataclass(frozen=True)
class Reason:
    """One reason a segment names: the measure (its column) and what it did, in plain words."""

    metric: str
    text: str


@dataclass(frozen=True)
class Segment:
    """A sustained stretch of running tight: from ``start_s`` to ``end_s`` (s), ``strides`` strides,
    ``severity`` (the median over the segment of the largest deviation of its reasons, in threshold
    units; 1 = just at the threshold) and its ``severity_label`` (mild < 1.5 <= moderate < 2.5 <=
    marked), its ``reasons`` (at least one), and ``pace`` (plain words when the segment's pace is
    not the baseline's, else "")."""

    start_s: float
    end_s: float
    strides: int
    severity: float
    severity_label: str
    reasons: tuple[Reason, ...]
    pace: str = ""

    @property
    def metrics(self) -> list[str]:
        """The measures behind the reasons, in order."""
        return [reason.metric for reason in self.reasons]

    def as_record(self) -> dict:
        """The segment as a row of ``segments.csv`` and an item of ``summary.json``'s ``segments``:
        the reasons' texts "; " separated and their measures "," separated, in the same order."""
        return {"start_s": self.start_s, "end_s": self.end_s, "strides": self.strides, "severity": self.severity,
                "severity_label": self.severity_label, "reasons": "; ".join(r.text for r in self.reasons),
                "metrics": ",".join(self.metrics), "pace": self.pace}

    @classmethod
    def from_record(cls, record: dict) -> Segment:
        """The segment :meth:`as_record` wrote (a missing or null pace is "")."""
        texts = [text for text in str(record.get("reasons") or "").split("; ") if text]
        metrics = [name for name in str(record.get("metrics") or "").split(",") if name]
        if len(texts) != len(metrics):
            metrics = [""] * len(texts)  # cannot pair them one to one: reasons without their measure
        pace = record.get("pace")
        return cls(float(record["start_s"]), float(record["end_s"]), int(record["strides"]), float(record["severity"]),
                   str(record["severity_label"]), tuple(Reason(m, t) for m, t in zip(metrics, texts)),
                   pace if isinstance(pace, str) else "")


#: The columns of ``segments.csv``, in order.
SEGMENT_COLUMNS = ("start_s", "end_s", "strides", "severity", "severity_label", "reasons", "metrics", "pace")


def segments_table(segments: list[Segment]) -> pd.DataFrame:
    """``segments.csv``'s table: one row per segment (:meth:`Segment.as_record`)."""
    return pd.DataFrame([segment.as_record() for segment in segments], columns=list(SEGMENT_COLUMNS))


def find_segments(stride_table: pd.DataFrame, baseline: Baseline, config: SegmentConfig,
                  exclude: int = 0) -> list[Segment]:
    """Sustained 'running tight' segments. ``exclude``: the first strides that form the baseline
    itself are not checked against it.

    Each measure is followed on its own: a sustained run is at least
    ``min_strides`` strides deviating on that measure, bridging up to ``max_gap_strides`` calm ones.
    Overlapping or touching runs of different measures make one segment, whose reasons are exactly
    those measures, so every segment names at least one reason, and strides that deviate on a
    different measure each are no segment.

    Returns the segments (:class:`Segment`) in time order.
    """
    references = pace_references(stride_table, baseline, config)
    dev = deviations(stride_table, baseline, config, references)
    dev.loc[dev.index[:exclude], [r.metric for r in RULES]] = 0.0
    breaks = _breaks(stride_table)
    runs = {name: _sustained_runs((dev[name].fillna(0.0) >= 1.0).to_numpy(), breaks, config.min_strides,
                                  config.max_gap_strides) for name in dev.columns}
    segments = []
    for first, last in _merged([run for found in runs.values() for run in found], breaks):
        own = {name: [i for a, b in found if a <= last and b >= first for i in range(a, b + 1)]
               for name, found in runs.items()}
        names = [name for name in runs if own[name]]
        severity = float(np.nanmedian(dev.iloc[first:last + 1][names].fillna(0.0).max(axis=1)))
        reasons = tuple(Reason(name, _reason(name, stride_table.iloc[own[name]], baseline,
                                             [references[i] for i in own[name]])) for name in names)
        segments.append(Segment(
            float(stride_table["start_s"].iloc[first]), float(stride_table["end_s"].iloc[last]),
            int(last - first + 1), severity,
            "mild" if severity < 1.5 else "moderate" if severity < 2.5 else "marked", reasons,
            _pace_note(stride_table.iloc[first:last + 1], baseline, config, references[first:last + 1])))
    return segments


def _merged(runs: list[tuple[int, int]], breaks: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) stride ranges covering ``runs``, in order: runs that overlap or touch make
    one range, never across a break (``breaks[i]``: stride i does not follow i - 1)."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(runs):
        if merged and first <= merged[-1][1] + 1 and not breaks[merged[-1][1] + 1:first + 1].any():
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _breaks(stride_table: pd.DataFrame) -> np.ndarray:
    """(N,) bool: stride i does not start where stride i - 1 ended (a gap in the track lies between
    them); True for the first stride."""
    start, end = stride_table["start_s"].to_numpy(), stride_table["end_s"].to_numpy()
    return np.concatenate([[True], start[1:] > end[:-1]])


def _sustained_runs(flagged: np.ndarray, breaks: np.ndarray, min_strides: int, max_gap: int) -> list[tuple[int, int]]:
    """(first, last) stride indices of runs of flagged strides, bridging up to ``max_gap`` unflagged
    strides inside a run, never across a break (``breaks[i]``: stride i does not follow i - 1),
    keeping runs with at least ``min_strides`` flagged strides."""
    runs, first, last, gap = [], None, None, 0
    for i, hit in enumerate(flagged):
        if breaks[i] and first is not None:
            runs.append((first, last))
            first, gap = None, 0
        if hit:
            first = i if first is None else first
            last, gap = i, 0
        elif first is not None:
            gap += 1
            if gap > max_gap:
                runs.append((first, last))
                first, gap = None, 0
    if first is not None:
        runs.append((first, last))
    return [(a, b) for a, b in runs if flagged[a:b + 1].sum() >= min_strides]


def pace_summary(stride_table: pd.DataFrame, baseline: Baseline, config: SegmentConfig, exclude: int = 0) -> dict:
    """For ``summary.json``: the baseline's cadence (steps/min), how many strides after the first
    ``exclude`` (the baseline's own) were at another pace (:func:`pace_changed`) out of how many
    with a cadence, and a plain-words ``note`` about it ("" when none were)."""
    cadence = cadences(stride_table)[exclude:]
    other = pace_changed(cadence, baseline.cadence_spm, config)
    known = int(np.isfinite(cadence).sum())
    note = ""
    if other.any():
        far = cadence[other][np.argmax(np.abs(cadence[other] - baseline.cadence_spm))]
        note = (f"in {int(other.sum())} of {known} strides your cadence differed from {baseline.label} "
                f"({baseline.cadence_spm:.0f} steps/min) by more than {config.pace_change_share:.0%} (up to "
                f"{far:.0f}): {PACE_DRIVEN_WORDS} change with pace, so they were judged only against your "
                f"baseline strides of a similar pace (at least {config.min_baseline_strides}), or not at all")
    return {"baseline_cadence_spm": baseline.cadence_spm, "other_pace_strides": int(other.sum()),
            "strides_with_cadence": known, "note": note}


def _pace_note(strides: pd.DataFrame, baseline: Baseline, config: SegmentConfig,
               references: list[Baseline | None]) -> str:
    """Plain words when the median cadence of ``strides`` is another pace than the baseline's, saying
    whether the pace-driven measures were judged against baseline strides of a similar pace
    (``references``, one per stride: :func:`pace_references`) or not at all."""
    cadence = median_cadence(strides)
    if not pace_changed(np.array([cadence]), baseline.cadence_spm, config)[0]:
        return ""
    similar = any(ref is not None and ref is not baseline for ref in references)
    judged = (f"judged against your strides of a similar pace in {baseline.label}" if similar
              else "not judged here")
    phrase = pace_phrase(cadence, baseline.cadence_spm, f"than in {baseline.label}")
    return f"{phrase}; {PACE_DRIVEN_WORDS} change with pace, so they were {judged}"


def _reason(name: str, strides: pd.DataFrame, baseline: Baseline, references: list[Baseline | None]) -> str:
    """The plain-words reason for one measure over the strides of its own sustained runs in a
    segment, against the baseline, or for a pace-driven measure against the strides of a similar
    pace each was judged by (``references``, one per stride)."""
    now = float(np.nanmedian(strides[name]))
    judged_by = [ref for ref in references if ref is not None]  # calm strides bridged in a run may have none
    if name not in PACE_DRIVEN or all(ref is baseline for ref in judged_by):
        return reason(name, now, baseline.median[name], baseline.label)
    base = float(np.nanmedian([ref.median[name] for ref in judged_by]))
    return reason(name, now, base, f"{baseline.label} at a similar pace")
