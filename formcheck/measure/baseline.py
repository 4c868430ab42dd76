"""The runner's relaxed reference (:class:`Baseline`): which strides it is made of, its medians and
spread per measure, and its pace (cadence), against which every stride is judged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from formcheck.config import SegmentConfig
from formcheck.errors import ConfigError
from formcheck.io.output import write_json
from formcheck.measure.registry import METRIC_COLUMNS


def cadences(stride_table: pd.DataFrame) -> np.ndarray:
    """(N,) each stride's cadence (steps/min); NaN where unknown, all NaN for a table without any."""
    if "cadence_spm" not in stride_table:
        return np.full(len(stride_table), np.nan)
    return stride_table["cadence_spm"].to_numpy(dtype=float)


def median_cadence(stride_table: pd.DataFrame) -> float:
    """The median of the strides' cadences (steps/min); NaN when none is known."""
    known = cadences(stride_table)
    known = known[np.isfinite(known)]
    return float(np.median(known)) if len(known) else float("nan")


def pace_changed(cadence: np.ndarray, base_cadence: float, config: SegmentConfig) -> np.ndarray:
    """(N,) bool: each cadence (steps/min) differs from the baseline's by more than
    ``config.pace_change_share`` of it: another pace, at which arm carriage and lean differ from the
    baseline's without any tension. False where either cadence is unknown."""
    with np.errstate(invalid="ignore"):
        return np.abs(np.asarray(cadence, dtype=float) / base_cadence - 1.0) > config.pace_change_share


def same_pace(cadence: np.ndarray, base_cadence: float, config: SegmentConfig) -> np.ndarray:
    """(N,) bool: each cadence (steps/min) is known and within ``config.pace_change_share`` of
    ``base_cadence``: the strides of that pace."""
    cadence = np.asarray(cadence, dtype=float)
    return ~pace_changed(cadence, base_cadence, config) & np.isfinite(cadence)


def pace_phrase(cadence: float, base_cadence: float, than: str) -> str:
    """E.g. "cadence 190 steps/min, 15% higher than in your first 20 s (165): a faster pace"."""
    change = cadence / base_cadence - 1.0
    way = "higher" if change > 0 else "lower"
    pace = "a faster pace" if change > 0 else "a slower pace"
    return f"cadence {cadence:.0f} steps/min, {abs(change):.0%} {way} {than} ({base_cadence:.0f}): {pace}"


@dataclass(frozen=True)
class Baseline:
    """The runner's relaxed reference: per metric the median and the stride-to-stride spread
    (1.4826 x MAD, same units; NaN when not measured), where it came from (``label``, e.g.
    "your first 20 s" or "early.mp4"), and its pace: the median cadence of its strides
    (``cadence_spm``, steps/min; NaN when unknown). ``stride_values``: each of its strides' cadence
    and metrics (column -> values, NaN where not measured), from which :meth:`at_pace` takes the
    strides of one pace; empty for a baseline.json written before they were kept."""

    label: str
    median: dict[str, float]
    spread: dict[str, float]
    strides: int
    cadence_spm: float = float("nan")
    stride_values: dict[str, tuple[float, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_strides(cls, stride_table: pd.DataFrame, label: str) -> Baseline:
        median, spread = {}, {}
        for name in METRIC_COLUMNS:
            values = stride_table[name].dropna().to_numpy() if name in stride_table else np.array([])
            median[name] = float(np.median(values)) if len(values) else float("nan")
            spread[name] = float(1.4826 * np.median(np.abs(values - median[name]))) if len(values) else float("nan")
        kept = [name for name in ("cadence_spm", *METRIC_COLUMNS) if name in stride_table]
        return cls(label=label, median=median, spread=spread, strides=len(stride_table),
                   cadence_spm=median_cadence(stride_table),
                   stride_values={name: tuple(float(v) for v in stride_table[name]) for name in kept})

    def at_pace(self, cadence_spm: float, config: SegmentConfig) -> Baseline | None:
        """The baseline made of those of its strides whose cadence is within
        ``config.pace_change_share`` of ``cadence_spm`` (steps/min), labelled "... at a similar
        pace"; None when fewer than ``config.min_baseline_strides`` are (or the strides' values are
        not known)."""
        cadence = np.asarray(self.stride_values.get("cadence_spm", ()), dtype=float)
        near = same_pace(cadence, cadence_spm, config)
        if near.sum() < config.min_baseline_strides:
            return None
        table = pd.DataFrame({name: np.asarray(values, dtype=float)[near]
                              for name, values in self.stride_values.items()})
        return Baseline.from_strides(table, f"{self.label} at a similar pace")

    def to_dict(self) -> dict:
        return {"format": "formcheck-baseline", "version": 1, "label": self.label, "strides": self.strides,
                "cadence_spm": self.cadence_spm, "median": self.median, "spread": self.spread,
                "stride_values": {name: list(values) for name, values in self.stride_values.items()}}

    def save(self, path: Path) -> None:
        write_json(path, self.to_dict())

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read a ``baseline.json`` written by formcheck analyze (null values come back as NaN)."""
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable baseline file ({exc})") from exc
        if data.get("format") != "formcheck-baseline":
            raise ConfigError(f"{path}: expected a formcheck baseline.json, got something else")
        nan = lambda d: {k: float("nan") if v is None else float(v) for k, v in d.items()}  # noqa: E731
        cadence = data.get("cadence_spm")  # absent from baselines written before pace was judged
        values = {name: tuple(float("nan") if v is None else float(v) for v in column)
                  for name, column in data.get("stride_values", {}).items()}  # absent before similar-pace judging
        return cls(label=data["label"], median=nan(data["median"]), spread=nan(data["spread"]), strides=data["strides"],
                   cadence_spm=float("nan") if cadence is None else float(cadence), stride_values=values)


def baseline_strides(stride_table: pd.DataFrame, config: SegmentConfig) -> pd.DataFrame:
    """The first strides of the clip used as its own baseline: those ending within ``baseline_s`` of
    the start, capped at ``baseline_share`` of the strides, and at least ``min_baseline_strides``."""
    if stride_table.empty:
        return stride_table
    start = stride_table["start_s"].iloc[0]
    within = int((stride_table["end_s"] <= start + config.baseline_s).sum())
    cap = int(np.floor(config.baseline_share * len(stride_table)))
    count = max(min(within, cap), config.min_baseline_strides)
    return stride_table.iloc[: min(count, len(stride_table))]


def baseline_label(stride_table: pd.DataFrame, baseline_table: pd.DataFrame) -> str:
    """"your first N s" for a baseline taken from the start of the same clip."""
    seconds = baseline_table["end_s"].iloc[-1] - stride_table["start_s"].iloc[0] if len(baseline_table) else 0
    return f"your first {seconds:.0f} s"
