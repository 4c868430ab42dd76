"""The result of comparing an early clip with a late one (:class:`Comparison`): the table of
:mod:`formcheck.comparison.table`, its overall verdict led by the pace, and its HTML and JSON forms."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from formcheck.comparison.table import (
    MIN_STRIDES,
    change_phrase,
    compare_strides,
    counts_tight,
)
from formcheck.config import Config, QualityConfig, SegmentConfig
from formcheck.measure.baseline import pace_changed
from formcheck.measure.registry import PACE_DRIVEN_WORDS

if TYPE_CHECKING:
    from formcheck.pipeline import Analysis, Measurements


@dataclass
class Comparison:
    """An early clip compared with a late one: their labels (e.g. the clip file names) and the table
    of :func:`compare_strides` (one row per metric plus the cadence). ``enough_strides``: with fewer
    strides in a clip, the overall verdict calls its findings a hint (``config.quality.min_strides``).
    :func:`formcheck.compare` also fills in the two analyses, the folder it wrote (``out_dir``) and
    ``notes``: what it did so the two clips compare like for like (one plain sentence each)."""

    early_label: str
    late_label: str
    table: pd.DataFrame
    enough_strides: int = QualityConfig().min_strides
    notes: tuple[str, ...] = ()
    pace_change_share: float = SegmentConfig().pace_change_share
    early: Analysis | None = field(default=None, repr=False)
    late: Analysis | None = field(default=None, repr=False)
    out_dir: Path | None = None

    @classmethod
    def from_strides(cls, early: pd.DataFrame, late: pd.DataFrame, early_label: str = "early",
                     late_label: str = "late", config: Config = Config(), **options) -> Comparison:
        """Compare two stride tables; ``options`` go to :func:`compare_strides`."""
        return cls(early_label, late_label, compare_strides(early, late, config, **options),
                   config.quality.min_strides, pace_change_share=config.segments.pace_change_share)

    @classmethod
    def from_measurements(cls, early: Measurements, late: Measurements, early_label: str = "early",
                          late_label: str = "late", config: Config = Config(), **options) -> Comparison:
        """Compare the stride tables of two measured clips; ``options`` go to :func:`compare_strides`."""
        return cls.from_strides(early.stride_metrics, late.stride_metrics, early_label, late_label, config,
                                **options)

    def significant_metrics(self) -> list[str]:
        """Metrics (and cadence) whose change counts (``significant``), in table order, whichever way."""
        return self.table.loc[self.table["significant"], "metric"].tolist()

    def tighter_metrics(self) -> list[str]:
        """Metrics whose change counts and goes the tight way."""
        return [row["metric"] for _, row in self.table.iterrows() if counts_tight(row)]

    def pace(self) -> str:
        """Plain words when the late clip's pace (cadence) is not the early one's, e.g. "Your cadence
        was 190 steps/min in the late clip against 165 in the early one, 15% higher: a faster pace.
        ..."; else ""."""
        row = self.table.set_index("metric").loc["cadence_spm"]
        early, late = row["early_median"], row["late_median"]
        if not pace_changed(np.array([late]), early, SegmentConfig(pace_change_share=self.pace_change_share))[0]:
            return ""
        faster = late > early
        at_pace = self.table["at_pace"] if "at_pace" in self.table else pd.Series(dtype=bool)
        judged = (f"were compared only with your early strides at the late clip's pace (where there were at "
                  f"least {MIN_STRIDES}), and not judged otherwise" if at_pace.any() else "were not judged")
        return (f"Your cadence was {late:.0f} steps/min in the late clip against {early:.0f} in the early one, "
                f"{abs(late / early - 1):.0%} {'higher' if faster else 'lower'}: a {'faster' if faster else 'slower'} "
                f"pace. {PACE_DRIVEN_WORDS[0].upper()}{PACE_DRIVEN_WORDS[1:]} change with pace, so their changes "
                f"{judged}; the other measures were judged as usual.")

    def verdict(self) -> str:
        """One plain-words overall sentence, e.g. "2 measures changed clearly the tight way late in the
        run: ...". Metrics without a rule are listed as other changes, never as tight. Led by the
        pace (:meth:`pace`) when the late clip's is another."""
        pace = self.pace()
        return f"{pace} {self._findings()}" if pace else self._findings()

    def _findings(self) -> str:
        table = self.table
        tight = set(self.tighter_metrics())
        other = [m for m in self.significant_metrics() if m not in tight]
        phrases = {row["metric"]: change_phrase(row) for _, row in table.iterrows() if row["significant"]}
        compared = int(table["change"].notna().sum())
        if not compared:
            return (f"No measure could be compared: none had a value in at least {MIN_STRIDES} strides of "
                    f"both {self.early_label} and {self.late_label}.")
        if not tight and not other:
            small = [change_phrase(row) for _, row in table.iterrows()
                     if np.isfinite(row["change"]) and (row["ci_low"] > 0 or row["ci_high"] < 0)]
            if not small:
                return (f"No measure changed beyond stride-to-stride variation between {self.early_label} and "
                        f"{self.late_label} ({compared} compared).")
            return (f"No measure changed by as much as counts between {self.early_label} and {self.late_label} "
                    f"({compared} compared); small but consistent changes: {'; '.join(small)}.")
        parts = []
        if tight:
            count = f"{len(tight)} measure{'s' if len(tight) > 1 else ''}"
            listed = "; ".join(phrases[m] for m in table["metric"] if m in tight)
            parts.append(f"{count} changed clearly the tight way late in the run: {listed}.")
        else:
            parts.append("No measure changed clearly the tight way late in the run.")
        if other:
            parts.append(f"Other clear changes: {'; '.join(phrases[m] for m in other)}.")
        context = [change_phrase(row) for _, row in table.iterrows()
                   if not np.isfinite(row["threshold"]) and (row["ci_low"] > 0 or row["ci_high"] < 0)]
        if context:
            parts.append(f"Context, not judged: {'; '.join(context)}.")
        found = table[table["significant"]]
        few = int(min(found["n_early"].min(), found["n_late"].min()))
        if few < self.enough_strides:
            parts.append(f"Few strides behind this (as few as {few} in one clip, {self.enough_strides} wanted): "
                         "treat it as a hint, not a finding.")
        return " ".join(parts)

    def to_dict(self) -> dict:
        """JSON-friendly: labels, verdict, the significant and tighter metrics, and one record per
        row with plain Python numbers (NaN stays NaN; :func:`formcheck.io.output.write_json` writes null)."""
        records = []
        for record in self.table.to_dict(orient="records"):
            records.append({key: _plain(value) for key, value in record.items()})
        return {"early": self.early_label, "late": self.late_label, "verdict": self.verdict(), "pace": self.pace(),
                "significant_metrics": self.significant_metrics(), "tighter_metrics": self.tighter_metrics(),
                "notes": list(self.notes), "metrics": records}

    def _repr_html_(self) -> str:
        """A compact HTML table for Jupyter; rows whose change counts the tight way are highlighted."""
        e = html.escape
        head = ("<tr><th>measure</th><th>early</th><th>late</th><th>change [CI]</th>"
                "<th>effect size</th><th>verdict</th></tr>")
        body = []
        for _, row in self.table.iterrows():
            metric = row["metric"]
            tight = counts_tight(row)
            style = ' style="background:#fde0dc"' if tight else ""
            if np.isfinite(row["change"]):
                change = (f"{_number(metric, row['change'], signed=True)} "
                          f"[{_number(metric, row['ci_low'])}, {_number(metric, row['ci_high'])}]")
                effect = f"{row['effect_size']:+.2f}"
            else:
                change = effect = "–"
            body.append(f"<tr{style}><td>{e(row['label'])}</td><td>{_number(metric, row['early_median'])}</td>"
                        f"<td>{_number(metric, row['late_median'])}</td><td>{e(change)}</td><td>{effect}</td>"
                        f"<td>{e(row['verdict'])}</td></tr>")
        caption = (f"<caption>{e(self.early_label)} (early) vs {e(self.late_label)} (late): "
                   f"{e(self.verdict())}</caption>")
        return f"<table>{caption}<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"


def _number(metric: str, value: float, signed: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    digits = 3 if metric.endswith("_ratio") else 1
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _plain(value):
    """numpy scalars as Python ones, for JSON."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
