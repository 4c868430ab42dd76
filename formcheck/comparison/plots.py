"""Plots of an early-run vs late-run comparison (see :mod:`formcheck.comparison.table`).

- :func:`distribution_figure`: per metric, the per-stride values of the early clip (blue) and the
  late clip (orange) as box plots with every stride as a jittered dot, the early median +- the
  change that counts shaded green (the y range follows the strides, so the band may run off the
  panel: then no stride moved that far), and in the title the status, the change (late - early
  medians) with its confidence interval and Cliff's delta (δ); the title is red when the change
  counts and goes the tight way, bold when it counts.
- :func:`series_figure`: per metric, the per-stride values over each clip's time, early and late
  side by side on one y scale, with the early median dashed on both so a shift shows.

Values are in each metric's own unit (:data:`formcheck.comparison.table.LABELS`); NaN strides (not
measured) are left out. As in :mod:`formcheck.evidence.plots`, only :class:`matplotlib.figure.Figure`
objects are used, never ``matplotlib.pyplot``.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from formcheck.comparison.table import (
    COMPARED,
    LABELS,
    MIN_STRIDES,
    counts_tight,
    stride_values,
)
from formcheck.comparison.verdict import Comparison
from formcheck.evidence.plots import DPI

EARLY_COLOR = "tab:blue"
LATE_COLOR = "tab:orange"
TIGHT_COLOR = "tab:red"
COLUMNS = 3  # panels per row in the distribution figure
PANEL_W_IN, PANEL_H_IN = 3.6, 3.0  # one distribution panel, inches
SERIES_W_IN, SERIES_ROW_IN = 10.0, 1.7  # the series figure's width and height per metric, inches
HEADER_IN = 0.6  # room for the legend above the panels


def compared_names(table: pd.DataFrame) -> list[str]:
    """The rows of a comparison table measured in both clips (a change was computed), in table order."""
    return table.loc[table["change"].notna(), "metric"].tolist()


def measured_in_both(early_strides: pd.DataFrame, late_strides: pd.DataFrame) -> list[str]:
    """The compared columns with at least :data:`~formcheck.comparison.table.MIN_STRIDES` values in each table."""
    return [name for name in COMPARED if len(stride_values(early_strides, name)) >= MIN_STRIDES
            and len(stride_values(late_strides, name)) >= MIN_STRIDES]


def distribution_figure(comparison_table: pd.DataFrame, early_strides: pd.DataFrame, late_strides: pd.DataFrame,
                        names: list[str] | None = None, early_label: str = "early",
                        late_label: str = "late") -> Figure:
    """One panel per metric in ``names`` (default: every row of ``comparison_table`` measured in both
    clips): early vs late per-stride values (see the module docstring). With nothing to plot, one
    panel says so."""
    names = compared_names(comparison_table) if names is None else list(names)
    if not names:
        return _empty_figure("no measure had values in enough strides of both clips to compare")
    cols = min(COLUMNS, len(names))
    rows = math.ceil(len(names) / cols)
    fig = Figure(figsize=(PANEL_W_IN * cols, PANEL_H_IN * rows + HEADER_IN), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    table = comparison_table.set_index("metric")
    rng = np.random.default_rng(0)  # the same jitter every time
    for ax, name in zip(axes, names):
        _distribution_panel(ax, name, table.loc[name], stride_values(early_strides, name),
                            stride_values(late_strides, name), rng)
    for ax in axes[len(names):]:
        ax.set_axis_off()
    fig.legend(handles=[Patch(color=EARLY_COLOR, alpha=0.5, label=_named("early", early_label)),
                        Patch(color=LATE_COLOR, alpha=0.5, label=_named("late", late_label)),
                        Patch(color="tab:green", alpha=0.15, label="early median ± the change that counts"),
                        Line2D([], [], color=TIGHT_COLOR, linewidth=3, label="red title: counts, the tight way")],
               loc="outside upper center", ncol=4, fontsize=8, frameon=False)
    return fig


def _distribution_panel(ax: Axes, name: str, row: pd.Series, early: np.ndarray, late: np.ndarray,
                        rng: np.random.Generator) -> None:
    short, unit = _split_label(name)
    ax.tick_params(labelsize=8)
    ax.grid(True, axis="y", color="0.92", linewidth=0.6)
    ax.set_ylabel(textwrap.fill(unit, 30), fontsize=7.5)
    threshold, base = row["threshold"], row["early_median"]
    if np.isfinite(threshold) and np.isfinite(base):
        ax.axhspan(base - threshold, base + threshold, color="tab:green", alpha=0.12, linewidth=0)
    values = [early, late]
    if all(len(v) for v in values):
        box = ax.boxplot(values, positions=[0, 1], widths=0.5, showfliers=False, patch_artist=True,
                         medianprops={"color": "black", "linewidth": 1.5})
        for patch, color in zip(box["boxes"], (EARLY_COLOR, LATE_COLOR)):
            patch.set_facecolor(color)
            patch.set_alpha(0.35)
    for x, v, color in zip((0, 1), values, (EARLY_COLOR, LATE_COLOR)):
        ax.plot(x + rng.uniform(-0.15, 0.15, len(v)), v, linestyle="none", marker="o", markersize=3.5,
                color=color, alpha=0.8, markeredgewidth=0)
    ax.set_xticks([0, 1], [f"early\n{len(early)} strides", f"late\n{len(late)} strides"], fontsize=7.5)
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylim(*_data_range(np.concatenate(values)))  # the green band may run off: data first
    significant = bool(row["significant"])
    tight = counts_tight(row)
    if np.isfinite(row["change"]):
        digits = 3 if name.endswith("_ratio") else 1
        detail = (f"change {row['change']:+.{digits}f} [{row['ci_low']:+.{digits}f}, {row['ci_high']:+.{digits}f}]"
                  f", δ {row['effect_size']:+.2f}")
        consistent = row["ci_low"] > 0 or row["ci_high"] < 0
        status = ("counts, the tight way" if tight else "counts" if significant else
                  "consistent but small" if consistent else "within variation")
        title = f"{short}: {status}\n{detail}"
    else:
        title = f"{short}\nnot measured in both clips"
    ax.set_title(title, loc="left", fontsize=8.5, color=TIGHT_COLOR if tight else "black",
                 fontweight="bold" if significant else "normal", gid=f"{name}-tight" if tight else None)


def series_figure(early_strides: pd.DataFrame, late_strides: pd.DataFrame, names: list[str] | None = None,
                  early_label: str = "early", late_label: str = "late") -> Figure:
    """Per metric in ``names`` (default: every compared column with values in enough strides of
    both clips) a row of two panels, early | late, sharing the y axis: per-stride values over the
    stride mid-time (s) of each clip, the early median dashed on both, the late median dotted on the
    late panel."""
    names = measured_in_both(early_strides, late_strides) if names is None else list(names)
    if not names:
        return _empty_figure("no measure had values in enough strides of both clips to compare")
    fig = Figure(figsize=(SERIES_W_IN, SERIES_ROW_IN * len(names) + HEADER_IN), layout="constrained")
    axes = fig.subplots(len(names), 2, sharex="col", sharey="row", squeeze=False)
    for (left, right), name in zip(axes, names):
        early_median = _median(early_strides, name)
        for ax, strides, color, in ((left, early_strides, EARLY_COLOR), (right, late_strides, LATE_COLOR)):
            mid_s, values = _series(strides, name)
            ax.plot(mid_s, values, color=color, marker="o", markersize=3.5, linewidth=0.8)
            if np.isfinite(early_median):
                ax.axhline(early_median, color=EARLY_COLOR, linestyle="--", linewidth=1.0)
            ax.tick_params(labelsize=8)
            ax.grid(True, color="0.92", linewidth=0.6)
        late_median = _median(late_strides, name)
        if np.isfinite(late_median):
            right.axhline(late_median, color=LATE_COLOR, linestyle=":", linewidth=1.2)
        short, unit = _split_label(name)
        left.set_ylabel(textwrap.fill(f"{short} ({unit})", 26), fontsize=7.5)
        right.tick_params(labelleft=False)
    axes[0, 0].set_title(_named("early", early_label), fontsize=9, color=EARLY_COLOR, loc="left")
    axes[0, 1].set_title(_named("late", late_label), fontsize=9, color=LATE_COLOR, loc="left")
    for ax in axes[-1]:
        ax.set_xlabel("stride mid-time in its clip (s)", fontsize=8)
    fig.legend(handles=[Line2D([], [], color=EARLY_COLOR, linestyle="--", label="early median"),
                        Line2D([], [], color=LATE_COLOR, linestyle=":", label="late median"),
                        Line2D([], [], color="0.3", marker="o", markersize=3.5, linewidth=0.8,
                               label="one stride (median of its frames)")],
               loc="outside upper center", ncol=3, fontsize=8, frameon=False)
    return fig


def save_comparison_plots(comparison: Comparison, early_strides: pd.DataFrame, late_strides: pd.DataFrame,
                          folder: Path) -> list[Path]:
    """Write into ``folder`` (created if needed) ``compare_distributions.png``,
    ``compare_distributions.svg`` and ``compare_series.png``; returns the paths in that order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    labels = {"early_label": comparison.early_label, "late_label": comparison.late_label}
    distributions = distribution_figure(comparison.table, early_strides, late_strides, **labels)
    paths = [folder / "compare_distributions.png", folder / "compare_distributions.svg", folder / "compare_series.png"]
    distributions.savefig(paths[0], dpi=DPI)
    distributions.savefig(paths[1], metadata={"Date": None})
    series_figure(early_strides, late_strides, **labels).savefig(paths[2], dpi=DPI)
    return paths


def _named(which: str, label: str) -> str:
    """"early: run1.mp4", or just "early" when that is the label."""
    return which if label == which else f"{which}: {label}"


def _empty_figure(message: str) -> Figure:
    fig = Figure(figsize=(6.0, 2.0), layout="constrained")
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.set_axis_off()
    return fig


def _split_label(name: str) -> tuple[str, str]:
    """("ear-to-shoulder gap", "x trunk length, smaller = shrug") from the label's name and parenthesis."""
    short, _, rest = LABELS[name].partition(" (")
    return short, rest.rstrip(")")


def _data_range(values: np.ndarray) -> tuple[float, float]:
    """The range of ``values`` with a 10% margin (a unit's worth around a single value)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    margin = 0.1 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    return lo - margin, hi + margin


def _median(strides: pd.DataFrame, name: str) -> float:
    values = stride_values(strides, name)
    return float(np.median(values)) if len(values) else float("nan")


def _series(strides: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Stride mid-times (s) and values of ``name`` (NaN where not measured, so lines break there)."""
    mid_s = ((strides["start_s"] + strides["end_s"]) / 2.0).to_numpy(dtype=float)
    if name not in strides:
        return mid_s, np.full(len(mid_s), np.nan)
    return mid_s, pd.to_numeric(strides[name], errors="coerce").to_numpy(dtype=float)
