"""An analysis's output folder: the data files, the overlay video, the plots and the report page.

Written atomically (:func:`~formcheck.io.output.atomic_output_dir`): the folder appears only
complete, and replaces only formcheck's own earlier analysis folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from formcheck.evidence.plot_files import PLOTS_DIR, measured_metrics, plot_paths
from formcheck.io.destination import ANALYSIS
from formcheck.io.output import atomic_output_dir, files_in, write_json
from formcheck.measure.segments import segments_table
from formcheck.pipeline import Analysis
from formcheck.runtime.beside import beside
from formcheck.runtime.memory import release_free_memory
from formcheck.runtime.progress import Progress
from formcheck.summary import SUMMARY_NAME

OVERLAY_NAME = "overlay.mp4"


@dataclass
class WrittenAnalysis(Analysis):
    """An analysis whose output folder (``out_dir``) is written: in Jupyter it shows itself as a
    summary card, and :meth:`video` plays its overlay."""

    def _repr_html_(self) -> str:
        from formcheck.evidence.report import summary_card

        return summary_card(self.summary, self.out_dir)

    def video(self, width: int = 480):
        """The overlay video as an IPython display object (embedded, so it plays wherever the
        notebook is opened). Needs the output folder written with the video."""
        from IPython.display import Video

        path = self.out_dir / OVERLAY_NAME if self.out_dir else None
        if path is None or not path.is_file():
            raise FileNotFoundError("no overlay.mp4 written for this analysis (analyze it with video=True)")
        return Video(str(path), embed=True, width=width, html_attributes="controls muted playsinline")


def written(analysis: Analysis, out_dir: Path) -> WrittenAnalysis:
    """``analysis`` as the analysis whose folder ``out_dir`` holds."""
    values = {f.name: getattr(analysis, f.name) for f in dataclasses.fields(analysis)}
    return WrittenAnalysis(**{**values, "out_dir": Path(out_dir)})


def write_analysis(analysis: Analysis, out_dir: Path, video: bool = True, report: bool = True,
                   progress: Progress | None = None) -> Path:
    """Write the output folder atomically: raw and clean tracks, per-frame and per-stride metrics,
    segments (CSV), the strides found, the baseline used and ``summary.json``; with ``video`` the annotated
    ``overlay.mp4`` (``progress`` follows its frames); with ``report`` the plots (``plots/``) and
    the ``report.html`` page that shows it all. The plots are drawn in a child process while the
    overlay is written, where one can be forked (:mod:`formcheck.runtime.beside`), else after it.
    ``out_dir`` is replaced only when it is formcheck's own analysis folder (:mod:`formcheck.io.output`)."""
    out_dir = Path(out_dir)
    m = analysis.measurements
    with atomic_output_dir(out_dir, ANALYSIS, inputs=[Path(analysis.info.path)]) as staging:
        analysis.raw_track.save(staging / "track_raw")
        analysis.track.save(staging / "track_smooth")
        m.frame_metrics.to_csv(staging / "frame_metrics.csv", index=False)
        m.stride_metrics.to_csv(staging / "stride_metrics.csv", index_label="stride")
        segments_table(m.segments).to_csv(staging / "segments.csv", index=False)
        m.baseline.save(staging / "baseline.json")
        write_json(staging / "strides.json", m.strides.as_dict())
        release_free_memory()  # the data files' buffers, before the overlay's decoder and encoder
        plots = plot_paths(staging / PLOTS_DIR, measured_metrics(m)) if report else []
        with beside(lambda: _save_plots(analysis, staging / PLOTS_DIR)) if report else contextlib.nullcontext():
            if video:
                from formcheck.evidence.overlay.render import (
                    render_overlay,  # OpenCV and Pillow: only when drawing
                )

                render_overlay(analysis, staging / OVERLAY_NAME, analysis.config.overlay, progress)
        if report:
            from formcheck.evidence.report import (
                write_report,  # Jinja2: only for the report
            )

            write_report(analysis, staging, OVERLAY_NAME if video else None,
                         [path.relative_to(staging).as_posix() for path in plots])
        dataclasses.replace(analysis.summary, files=sorted(files_in(staging) + [SUMMARY_NAME])).save(staging)
    return out_dir.resolve()


def _save_plots(analysis: Analysis, folder: Path) -> None:
    """The plots of ``analysis`` in ``folder`` (:func:`formcheck.evidence.plots.save_plots`)."""
    from formcheck.evidence.plots import (
        save_plots,  # matplotlib: only for the report, in the child where there is one
    )

    release_free_memory()  # after the overlay (where no child could be forked): its decoder's and encoder's
    save_plots(analysis.measurements, analysis.config, folder)
