"""The files of an analysis's plots and their names, known before they are drawn and without
importing matplotlib: :func:`formcheck.evidence.folder.write_analysis` names them in the report while a
child process draws them, and :func:`formcheck.evidence.plots.save_plots` writes exactly these."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.measure.registry import METRIC_COLUMNS

if TYPE_CHECKING:
    from formcheck.pipeline import Measurements

#: The output folder's subfolder that holds the plots.
PLOTS_DIR = "plots"


def measured_metrics(measurements: Measurements) -> list[str]:
    """The metric columns with at least one non-NaN per-frame value, in :data:`METRIC_COLUMNS` order."""
    return [name for name in METRIC_COLUMNS if measurements.frame_metrics[name].notna().any()]


def plot_paths(folder: Path, names: list[str]) -> list[Path]:
    """In ``folder``: ``metrics.png`` and ``metrics.svg`` (the overview of the metrics ``names``),
    then one ``metric_<name>.png`` per name, in that order."""
    return [folder / "metrics.png", folder / "metrics.svg"] + [folder / f"metric_{name}.png" for name in names]
