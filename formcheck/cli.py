"""The ``formcheck`` command: parse, call the pipeline, show progress, and turn errors into one line.

Any :class:`~formcheck.errors.FormcheckError` prints ``formcheck: error: ...`` on stderr and exits
with its code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from formcheck.errors import FormcheckError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Evidence about upper-body tension ('running tight') from a clip of a run.")
console = Console(stderr=True)  # rebound by _run to the real stderr once fd 2 is silenced

Debug = Annotated[bool, typer.Option("--debug", help="Show the full traceback when something fails.")]


@app.command()
def analyze(
    clip: Annotated[Path, typer.Argument(help="The video of the run (.mp4, .mov, ...).")],
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Output folder [default: CLIP_STEM.formcheck next to the clip].")] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings to change (see formcheck.example.toml).")] = None,
    model: Annotated[Optional[str], typer.Option(help="Pose model: 'holistic' (with finger landmarks) or 'pose' (faster, no fingers).")] = None,
    max_height: Annotated[Optional[int], typer.Option(help="Analyse frames scaled down to at most this many pixels high (faster).")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Judge against this relaxed reference instead of the clip's first 20 s: an early-run clip, its output folder, or a baseline.json.")] = None,
    video: Annotated[bool, typer.Option("--video/--no-video", help="Write the annotated overlay.mp4 (skip it to save time).")] = True,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html, the page that shows the verdict, video and plots.")] = True,
    video_height: Annotated[Optional[int], typer.Option(help="Scale overlay.mp4 down to at most this many pixels high [default: 1280].")] = None,
    debug: Debug = False,
) -> None:
    """Measure the runner in CLIP, find 'running tight' segments, and write the overlay video, plots,
    report.html and the data (CSV/JSON) to an output folder."""
    from formcheck.config import load_config
    from formcheck.pipeline import analyze_clip, default_output_dir, write_analysis

    def run() -> None:
        config = _with_overrides(load_config(config_file), "pose", model=model, max_height=max_height)
        config = _with_overrides(config, "overlay", max_height=video_height)
        reference = _load_baseline(baseline, config) if baseline else None
        out_dir = out or default_output_dir(clip)
        with _progress_bar(f"analysing {clip.name}") as progress:
            analysis = analyze_clip(clip, config, progress=progress, baseline=reference)
        with _progress_bar("writing overlay.mp4" if video else "writing results") as progress:
            written = write_analysis(analysis, out_dir, video=video, report=report, progress=progress)
        for warning in analysis.warnings:
            console.print(f"[yellow]warning:[/] {warning}")
        _print_verdict(analysis.summary)
        print(f"wrote {written}")
        if report:
            print(f"open {written / 'report.html'}")

    _run(run, debug)


@app.command()
def info(clip: Annotated[Path, typer.Argument(help="The video to describe.")], debug: Debug = False) -> None:
    """Print what formcheck reads from CLIP: size as displayed, rotation, duration, frame rate, codec."""
    from formcheck.video import probe

    def run() -> None:
        facts = probe(clip).as_dict()
        table = Table(show_header=False, box=None)
        for key, value in facts.items():
            table.add_row(key, "unknown" if value is None else str(value))
        Console().print(table)

    _run(run, debug)


def _load_baseline(path: Path, config):
    """A Baseline from a baseline.json, a formcheck output folder, or a clip (analysed whole)."""
    from formcheck.pipeline import analyze_clip
    from formcheck.segments import Baseline

    if path.is_dir() and (path / "baseline.json").is_file():
        return Baseline.load(path / "baseline.json")
    if path.suffix == ".json":
        return Baseline.load(path)
    with _progress_bar(f"baseline {path.name}") as progress:
        early = analyze_clip(path, config, progress=progress)
    return Baseline.from_strides(early.measurements.stride_metrics, path.name)


def _print_verdict(summary: dict) -> None:
    """A short table of what was measured, then the verdict and the segments with their reasons."""
    table = Table(title=f"{summary['clip']['path']}: {summary['view']['main'] or 'unknown'} view, "
                        f"{summary['strides']['count']} strides, cadence "
                        f"{_fmt(summary['strides']['cadence_spm'], '.0f')} steps/min", title_justify="left")
    for column in ("metric", "median", f"baseline ({summary['baseline']['label']})", "coverage"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, m in summary["metrics"].items():
        if m["coverage"] > 0:
            table.add_row(name, _fmt(m["median"], ".3g"), _fmt(m["baseline_median"], ".3g"), f"{m['coverage']:.0%}")
    Console().print(table)
    if summary["verdict"] == "tight":
        Console().print(f"[bold red]Running tight[/] in {len(summary['segments'])} segment(s):")
        for seg in summary["segments"]:
            Console().print(f"  {seg['start_s']:.1f}-{seg['end_s']:.1f} s ({seg['severity_label']}): {seg['reasons']}",
                            markup=False, highlight=False)
    elif summary["verdict"] == "relaxed":
        Console().print("[bold green]No sustained sign of running tight[/] against the baseline.")
    else:
        Console().print("[yellow]Not enough measurable strides to judge[/] (see coverage above).")


def _fmt(value, spec: str) -> str:
    return "-" if value is None or value != value else format(value, spec)


def _with_overrides(config, section: str, **changes):
    """``config`` with the command line's options for one section applied (None = not given); the
    section's dataclass validates them."""
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        return config
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **changes)})


class _progress_bar:
    """A rich progress bar with frames/s and time left, fed by the pipeline's progress callback."""

    def __init__(self, description: str) -> None:
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[fps]}"),
                             TimeRemainingColumn(), console=console, transient=True)
        self._task = self._bar.add_task(description, total=None, fps="")

    def __enter__(self) -> Callable[[int, int | None], None]:
        self._bar.start()
        return self._update

    def __exit__(self, *exc_info) -> None:
        self._bar.stop()

    def _update(self, done: int, total: int | None) -> None:
        speed = self._bar.tasks[0].speed
        self._bar.update(self._task, completed=done, total=max(total, done) if total else None,
                         fps=f"{speed:5.1f} frames/s" if speed else "")


def _run(job: Callable[[], None], debug: bool) -> None:
    if debug:
        job()
        return
    _silence_native_logs()
    try:
        job()
    except FormcheckError as exc:
        console.print(f"formcheck: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        console.print("formcheck: interrupted; nothing was written", markup=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: say so in one line, the traceback is behind --debug
        console.print(f"formcheck: internal error: {type(exc).__name__}: {exc} (run again with --debug "
                      "for the traceback, and please report it)", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None



def _silence_native_logs() -> None:
    """Send file descriptor 2 to /dev/null and keep formcheck's own messages on the real stderr.

    MediaPipe's C++ graph and TFLite print set-up chatter straight to fd 2 at moments Python cannot
    intercept (the first frame, the first hand found). A user should see one line per problem, so
    that chatter is dropped; ``--debug`` keeps it, with tracebacks.
    """
    global console
    sys.stderr.flush()
    real_stderr = os.fdopen(os.dup(2), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = real_stderr
    console = Console(file=real_stderr)
