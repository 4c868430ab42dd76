"""Plots of the measurements over time, for the output folder and the HTML report.

Each metric gets one panel: the per-frame values from the raw track (grey) and the cleaned track
(blue), the per-stride medians (dots at each stride's mid-time), the baseline median (dashed) with
the "normal range" around it (baseline median +- the change that would count as tight, the same
number :func:`formcheck.measure.segments.deviations` uses), and the "running tight" segments shaded red.
The x axis is the clip time in seconds; y values are in the metric's own unit (see
:data:`formcheck.measure.registry.METRIC_LABELS`). NaN values (not measured in that frame or stride) leave
gaps in the lines.

Only :class:`matplotlib.figure.Figure` objects are used, never ``matplotlib.pyplot``: no global
state, no display needed, and each call builds its own figures, so worker threads can draw at the
same time; figures are not kept anywhere and are freed once saved.

Drawing is the slow part, so the layout is fixed (each panel owns a band of the figure's height,
with set margins: no automatic layout to compute), :func:`save_plots` renders the overview once and
cuts each metric's band out of those pixels, while a child process writes the SVG (which keeps its
text as text), and the PNGs are compressed for speed rather than the last few percent of size.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from formcheck.config import Config
from formcheck.evidence.plot_files import measured_metrics, plot_paths
from formcheck.measure.baseline import Baseline
from formcheck.measure.registry import BY_COLUMN, METRIC_LABELS
from formcheck.measure.segments import rule_limits
from formcheck.runtime.beside import beside

if TYPE_CHECKING:  # the pipeline may import this module to write the plots
    from formcheck.pipeline import Measurements


WIDTH_IN = 10.0  # figure width, inches
PANEL_IN = 1.8  # height per panel, inches
MIN_PANELS_IN = 2.6  # a figure of one panel still gets this much height for it
LEGEND_IN = 0.5  # height for the legend above the panels
DPI = 110  # PNG resolution: 1100 pixels wide
PNG_COMPRESSION = 1  # zlib level: 5% larger files than the default 6, written in 60% of the time
#: Inches kept free around a panel's axes inside its band: the wrapped y label and tick labels on
#: the left, the title on top, the time ticks and label at the bottom.
MARGIN_IN = {"left": 1.0, "right": 0.2, "top": 0.3, "bottom": 0.55}
_TIGHT_SIDE = {0: "outside", +1: "above", -1: "below"}


def band_halfwidth(name: str, baseline: Baseline, config: Config) -> float:
    """Half-width of the normal range around the baseline median for metric ``name``, in its unit:
    the change a stride needs to count as tight (:func:`formcheck.measure.segments.rule_limits`). NaN for
    metrics without a rule or without a baseline median."""
    rule = BY_COLUMN[name].rule
    if rule is None or not np.isfinite(baseline.median[name]):
        return float("nan")
    return rule_limits(rule, baseline, config.segments)[1]


def plot_metric(ax: Axes, name: str, measurements: Measurements, config: Config) -> Axes:
    """Draw metric ``name`` over time on ``ax`` (see the module docstring for what is drawn) and
    return ``ax``. Segments are shaded darker in the panels of the metrics they were flagged for.
    The y range follows the bulk of the smoothed values (median +- 5 x their 1.4826 x MAD), the
    normal range and the stride medians; a note counts the frames left off that scale. A metric
    that is NaN in every frame gets a "not measured in this view" note instead."""
    frames, strides, baseline = measurements.frame_metrics, measurements.stride_metrics, measurements.baseline
    short = METRIC_LABELS[name].split(" (")[0]
    ax.set_ylabel(_wrap(METRIC_LABELS[name]), fontsize=8)
    ax.tick_params(labelsize=8)
    ax.grid(True, color="0.92", linewidth=0.6)
    ax.set_xlim(frames["time_s"].iloc[0], frames["time_s"].iloc[-1])
    values = frames[name].to_numpy(dtype=float)
    if not np.isfinite(values).any():
        ax.set_title(short, loc="left", fontsize=9)
        ax.text(0.5, 0.5, "not measured in this view", transform=ax.transAxes, ha="center", va="center",
                color="0.4", fontsize=9)
        ax.set_yticks([])
        return ax

    rule = BY_COLUMN[name].rule
    base = baseline.median[name]
    change = band_halfwidth(name, baseline, config)
    verdict = ("context only, not judged" if rule is None else
               f"tight {_TIGHT_SIDE[rule.direction]} the normal range" if np.isfinite(change) else
               f"not judged: no value in {baseline.label}")
    ax.set_title(f"{short}: {verdict}", loc="left", fontsize=9)
    if np.isfinite(change):
        ax.axhspan(base - change, base + change, color="tab:green", alpha=0.12, linewidth=0,
                   label="normal range", gid=f"{name}-normal-band")
    if np.isfinite(base):
        ax.axhline(base, color="tab:green", linestyle="--", linewidth=1.0, label=f"baseline ({baseline.label})")
    for i, segment in enumerate(measurements.segments):
        reason = name in segment.metrics
        ax.axvspan(segment.start_s, segment.end_s, color="tab:red", alpha=0.2 if reason else 0.07, linewidth=0,
                   label="running tight, for this metric" if reason else "running tight, for another metric",
                   gid=f"{name}-tight-{i}")
    if measurements.raw_frame_metrics is not None:
        ax.plot(frames["time_s"], measurements.raw_frame_metrics[name], color="0.7", linewidth=0.6, label="raw")
    ax.plot(frames["time_s"], values, color="tab:blue", linewidth=1.2, label="smoothed")
    mid_s = (strides["start_s"] + strides["end_s"]) / 2.0
    ax.plot(mid_s, strides[name], linestyle="none", marker="o", markersize=3.5, color="navy",
            label="stride median")

    lo, hi = _y_range(values, [strides[name].to_numpy(dtype=float), [base - change, base, base + change]])
    ax.set_ylim(lo, hi)
    off = int(((values < lo) | (values > hi)).sum())
    if off:
        ax.set_title(f"{off} frame{'s' if off > 1 else ''} off scale", loc="right", fontsize=7, color="0.4")
    return ax


def metrics_figure(measurements: Measurements, config: Config, names: list[str] | None = None) -> Figure:
    """One panel per metric in ``names`` (default: every measured metric), stacked on a shared time
    axis (s) that every panel labels (so each reads alone when cut out), with one legend above
    them; at :data:`DPI`. With nothing to plot, one panel says so."""
    names = measured_metrics(measurements) if names is None else list(names)
    height = figure_height_in(len(names))
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    if not names:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no metric could be measured in this clip", ha="center", va="center")
        ax.set_axis_off()
        return fig
    first = None
    for (top, bottom), name in zip(panel_bands_in(len(names)), names):
        box = [MARGIN_IN["left"] / WIDTH_IN, (height - bottom + MARGIN_IN["bottom"]) / height,
               1 - (MARGIN_IN["left"] + MARGIN_IN["right"]) / WIDTH_IN,
               (bottom - top - MARGIN_IN["top"] - MARGIN_IN["bottom"]) / height]
        ax = fig.add_axes(box, sharex=first)
        first = first or ax
        plot_metric(ax, name, measurements, config)
        ax.set_xlabel("time (s)", fontsize=8)
    _legend(fig)
    return fig


def panel_bands_in(panels: int) -> list[tuple[float, float]]:
    """(top, bottom) of each panel's band in a :func:`metrics_figure`, inches from the figure's top;
    the legend has the band above them."""
    band = (figure_height_in(panels) - LEGEND_IN) / max(panels, 1)
    return [(LEGEND_IN + i * band, LEGEND_IN + (i + 1) * band) for i in range(panels)]


def figure_height_in(panels: int) -> float:
    """Height in inches of a :func:`metrics_figure` with that many panels."""
    return max(PANEL_IN * panels, MIN_PANELS_IN) + LEGEND_IN


def save_plots(measurements: Measurements, config: Config, folder: Path) -> list[Path]:
    """Write into ``folder`` (created if needed) ``metrics.png`` and ``metrics.svg`` (every measured
    metric) and one ``metric_<name>.png`` per measured metric (the legend above that metric's
    panel, cut from the overview's pixels); returns the paths in that order. The SVG is written in
    a child process beside the PNGs where one can be forked (:func:`formcheck.runtime.beside.beside`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = measured_metrics(measurements)
    paths = plot_paths(folder, names)
    overview = cache(lambda: metrics_figure(measurements, config, names))  # a forked child draws its own

    def write_svg() -> None:
        # Text as text; ids from a fixed salt and no date, so the same plots give the same file.
        with rc_context({"svg.fonttype": "none", "svg.hashsalt": "formcheck"}):
            overview().savefig(paths[1], metadata={"Date": None})

    with beside(write_svg):
        canvas = FigureCanvasAgg(overview())
        canvas.draw()
        pixels = Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB")
        pixels.save(paths[0], dpi=(DPI, DPI), compress_level=PNG_COMPRESSION)
        legend = _cut(pixels, (0.0, LEGEND_IN))
        for band, path in zip(panel_bands_in(len(names)), paths[2:]):
            _stack([legend, _cut(pixels, band)]).save(path, dpi=(DPI, DPI), compress_level=PNG_COMPRESSION)
    return paths


def _cut(pixels: Image.Image, band_in: tuple[float, float]) -> Image.Image:
    """The full-width band of ``pixels`` between ``band_in`` = (top, bottom), inches from the top."""
    top, bottom = (round(edge * DPI) for edge in band_in)
    return pixels.crop((0, top, pixels.width, bottom))


def _stack(bands: list[Image.Image]) -> Image.Image:
    """``bands`` (same width) one under the other."""
    stacked = Image.new("RGB", (bands[0].width, sum(b.height for b in bands)), "white")
    top = 0
    for band in bands:
        stacked.paste(band, (0, top))
        top += band.height
    return stacked


def _wrap(label: str, width: int = 28) -> str:
    """``label`` as its name, then its parenthesis broken into lines of about ``width`` characters
    at commas."""
    name, details = label.split(" (", 1)
    lines, line = [name], ""
    for part in f"({details}".split(", "):
        if line and len(line) + len(part) + 2 > width:
            lines.append(f"{line},")
            line = part
        else:
            line = f"{line}, {part}" if line else part
    return "\n".join([*lines, line])


def _y_range(values: np.ndarray, keep: list) -> tuple[float, float]:
    """Limits covering the finite ``values`` within 5 robust spreads of their median, and every finite
    number in ``keep``, with a 5% margin. ``values`` must have a finite entry."""
    finite = values[np.isfinite(values)]
    median = np.median(finite)
    spread = 5 * 1.4826 * np.median(np.abs(finite - median))
    bulk = finite[np.abs(finite - median) <= spread]
    kept = np.concatenate([bulk, *(np.asarray(k, dtype=float).ravel() for k in keep)])
    kept = kept[np.isfinite(kept)]
    lo, hi = kept.min(), kept.max()
    margin = 0.05 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.05
    return lo - margin, hi + margin


def _legend(fig: Figure) -> None:
    """One legend above the panels with every distinct label drawn on any of them."""
    entries = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if entries:
        fig.legend(entries.values(), entries.keys(), loc="upper center", ncol=min(len(entries), 4),
                   fontsize=8, frameon=False)
