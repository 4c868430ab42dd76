"""Writing a comparison folder: the table as JSON and CSV, plots, the split-screen video, compare.html.

Written atomically like an analysis folder (all of it, or nothing). The page links to each clip's
own report.html when it exists, by a path relative to the comparison folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.comparison.plots import save_comparison_plots
from formcheck.comparison.side_by_side import render_side_by_side
from formcheck.evidence.plot_files import PLOTS_DIR
from formcheck.evidence.report import environment, plot_images
from formcheck.io.destination import COMPARISON
from formcheck.io.output import atomic_output_dir, write_json
from formcheck.runtime.progress import Progress

if TYPE_CHECKING:
    from formcheck.comparison.verdict import Comparison
    from formcheck.pipeline import Analysis

SIDE_BY_SIDE_NAME = "side_by_side.mp4"


def default_comparison_dir(early_clip: Path, late_clip: Path) -> Path:
    """``EARLY_vs_LATE.compare/`` next to the late clip."""
    return Path(late_clip).with_name(f"{Path(early_clip).stem}_vs_{Path(late_clip).stem}.compare")


def write_comparison(comparison: Comparison, early: Analysis, late: Analysis, out_dir: Path, video: bool = True,
                     progress: Progress | None = None) -> Path:
    """Write ``comparison.json``, ``comparison.csv``, ``plots/``, ``side_by_side.mp4`` (with
    ``video``) and ``compare.html`` into ``out_dir``; returns its absolute path."""
    out_dir = Path(out_dir)
    inputs = [Path(early.info.path), Path(late.info.path)]
    with atomic_output_dir(out_dir, COMPARISON, inputs) as staging:
        comparison.table.to_csv(staging / "comparison.csv", index=False)
        clips = {"early": _clip_facts(early), "late": _clip_facts(late)}
        write_json(staging / "comparison.json", {**comparison.to_dict(), "clips": clips})
        plots = [p.relative_to(staging).as_posix() for p in save_comparison_plots(
            comparison, early.measurements.stride_metrics, late.measurements.stride_metrics, staging / PLOTS_DIR)]
        if video:
            render_side_by_side(early, late, staging / SIDE_BY_SIDE_NAME, late.config.overlay,
                                labels=(f"EARLY {comparison.early_label}", f"LATE {comparison.late_label}"),
                                progress=progress)
        page = environment().get_template("compare.html.j2").render(
            comparison=comparison, verdict=comparison.verdict(), rows=comparison.table.to_dict(orient="records"),
            video=SIDE_BY_SIDE_NAME if video else None, images=plot_images(staging, plots),
            clips=[_clip_link(early, "early", out_dir), _clip_link(late, "late", out_dir)])
        (staging / "compare.html").write_text(page, encoding="utf-8")
    return out_dir.resolve()


def _clip_facts(analysis: Analysis) -> dict:
    s = analysis.summary
    return {"path": analysis.info.path, "clip_sha256": s.clip_sha256, "verdict": s.verdict,
            "strides": s.strides["count"], "cadence_spm": s.strides["cadence_spm"],
            "view": s.view["main"], "warnings": s.warnings,
            "output_folder": str(analysis.out_dir) if analysis.out_dir else None}


def _clip_link(analysis: Analysis, role: str, out_dir: Path) -> dict:
    """What the page says about one clip, with a relative link to its report.html if there is one."""
    report = analysis.out_dir / "report.html" if analysis.out_dir else None
    link = os.path.relpath(report, Path(out_dir).resolve()) if report and report.is_file() else None
    return {"role": role, "name": Path(analysis.info.path).name, "report": link,
            "summary": analysis.summary, "warnings": analysis.summary.warnings}
