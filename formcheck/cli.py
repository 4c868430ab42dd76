"""The ``formcheck`` command: parse, call the pipeline, show progress, and turn errors into one line.

Any :class:`~formcheck.errors.FormcheckError` prints ``formcheck: error: ...`` on stderr and exits
with its code; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from formcheck.config import BatchConfig, FollowConfig, OverlayConfig, PoseConfig
from formcheck.errors import FormcheckError
from formcheck.runtime.progress import PhaseProgress
from formcheck.settings import help_of, toml_value

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Evidence about upper-body tension ('running tight') from a clip of a run.")
console = Console(stderr=True)  # rebound by _run to the real stderr once fd 2 is silenced

Debug = Annotated[bool, typer.Option("--debug", help="Show the full traceback when something fails.")]


@app.command()
def analyze(
    clips: Annotated[list[Path], typer.Argument(help="The video of the run (.mp4, .mov, ...); or several, or a folder of them.")],
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Output folder [default: CLIP_STEM.formcheck next to the clip]; with several clips, the folder that holds one CLIP_STEM.formcheck each. A folder of yours that exists ('.', 'runs/') gets CLIP_STEM.formcheck inside it; only formcheck's own earlier output is ever replaced.")] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings to change (see formcheck.example.toml).")] = None,
    model: Annotated[Optional[str], typer.Option(help=help_of(PoseConfig, "model"))] = None,
    max_height: Annotated[Optional[int], typer.Option(help=help_of(PoseConfig, "max_height"))] = None,
    every: Annotated[Optional[int], typer.Option(help=help_of(PoseConfig, "every"))] = None,
    mirror: Annotated[Optional[bool], typer.Option("--mirror/--no-mirror", help=help_of(PoseConfig, "mirror"))] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Judge against this relaxed reference instead of the clip's first 20 s: an early-run clip, its output folder, or a baseline.json.")] = None,
    video: Annotated[bool, typer.Option("--video/--no-video", help="Write the annotated overlay.mp4 (skip it to save time).")] = True,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html, the page that shows the verdict, video and plots, and the plots (plots/).")] = True,
    video_height: Annotated[Optional[int], typer.Option(help=help_of(OverlayConfig, "max_height"))] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Run the pose model again even if the output folder holds this clip's landmarks.")] = False,
    person: Annotated[Optional[str], typer.Option(help=help_of(FollowConfig, "person"))] = None,
    jobs: Annotated[Optional[int], typer.Option(help="With several clips: how many to analyse at once (worker processes) [default: one per usable core].")] = None,
    cluster: Annotated[Optional[str], typer.Option(help=help_of(BatchConfig, "cluster"))] = None,
    debug: Debug = False,
) -> None:
    """Measure the runner in each clip, find 'running tight' segments, and write the overlay video,
    plots, report.html and the data (CSV/JSON) to an output folder per clip. Landmarks already saved
    there for the same clip and pose settings are re-used, so trying new thresholds takes seconds."""
    from formcheck.api import analyze as analyze_clip
    from formcheck.batch import analyze_many, expand_clips, write_squad_summary
    from formcheck.io.destination import ANALYSIS, output_folder
    from formcheck.measure.quality import in_view_line
    from formcheck.pipeline import default_output_dir

    def run() -> None:
        config = _with_overrides(_config(config_file, model, max_height, video_height, every, mirror), "follow",
                                 person=person)
        paths = expand_clips(clips)
        if len(paths) == 1 and not clips[0].is_dir():  # refused here, not after the baseline's analysis
            output_folder(out, default_output_dir(paths[0]), ANALYSIS, inputs=paths)
        reference = _load_baseline(baseline, config) if baseline else None
        address = cluster or os.environ.get("FORMCHECK_CLUSTER") or config.batch.cluster
        if len(paths) > 1 or clips[0].is_dir() or address:
            with _progress_bar(f"{len(paths)} clips") as progress:
                if address:
                    from formcheck.cluster import analyze_on_cluster

                    results = analyze_on_cluster(address, paths, config, out, baseline=reference, video=video,
                                                 report=report, progress=lambda done, total: progress("all", done, total))
                else:
                    results = analyze_many(paths, config, out, jobs=jobs, baseline=reference, video=video,
                                           report=report, reuse=not fresh,
                                           progress=lambda done, total: progress("all", done, total))
            failed = _print_batch(results)
            if out:
                notes = write_squad_summary(out, results)
                for note in notes:
                    console.print(f"[yellow]note:[/] {escape(note)}", markup=True, highlight=False, soft_wrap=True)
                if any(r.out_dir for r in results) and not any("squad.html" in n for n in notes):
                    print(f"squad table: {Path(out) / 'squad.html'}")
            if failed:
                raise FormcheckError(f"{failed} of {len(results)} clips could not be analysed (see above)")
            return
        with _progress_bar(paths[0].name) as progress:
            analysis = analyze_clip(paths[0], config, out, baseline=reference, video=video, report=report,
                                    reuse=not fresh, progress=progress)
        for warning in analysis.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}", markup=True, highlight=False, soft_wrap=True)
        if analysis.summary.pose_reused:
            console.print("landmarks re-used from the output folder (--fresh runs the pose model again)")
        Console().print(in_view_line(analysis.summary.runner_in_view), markup=False, highlight=False, soft_wrap=True)
        _print_verdict(analysis.summary)
        print(f"wrote {analysis.out_dir}")
        if report:
            print(f"open {analysis.out_dir / 'report.html'}")

    _run(run, debug)


@app.command()
def compare(
    early: Annotated[Path, typer.Argument(help="A clip filmed early in the run (relaxed).")],
    late: Annotated[Path, typer.Argument(help="A clip filmed late in the run (when the cramps start).")],
    out: Annotated[Optional[Path], typer.Option("-o", "--out", help="Output folder [default: EARLY_vs_LATE.compare next to the late clip]. A folder of yours that exists ('.', 'runs/') gets EARLY_vs_LATE.compare inside it; only formcheck's own earlier output is ever replaced.")] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings to change (see formcheck.example.toml).")] = None,
    model: Annotated[Optional[str], typer.Option(help=help_of(PoseConfig, "model"))] = None,
    max_height: Annotated[Optional[int], typer.Option(help=help_of(PoseConfig, "max_height"))] = None,
    video: Annotated[bool, typer.Option("--video/--no-video", help="Write the side-by-side video (skip it to save time).")] = True,
    video_height: Annotated[Optional[int], typer.Option(help="Scale the videos down to at most this many pixels high [default: 1280; 720 per half side by side].")] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Run the pose model again even where saved landmarks exist.")] = False,
    mirror: Annotated[Optional[bool], typer.Option("--mirror/--no-mirror", help=help_of(PoseConfig, "mirror"))] = None,
    debug: Debug = False,
) -> None:
    """Compare an EARLY and a LATE clip of one run, measure by measure and stride by stride: the
    table in the terminal; comparison.json/.csv, plots, compare.html and a side-by-side video in a
    folder. Each clip's own analysis folder is written (or re-used) next to it."""
    from formcheck.api import compare as compare_clips

    def run() -> None:
        config = _config(config_file, model, max_height, video_height, mirror=mirror)
        with _progress_bar(f"{early.name} vs {late.name}") as progress:
            comparison = compare_clips(early, late, config, out, video=video, reuse=not fresh, progress=progress)
        _print_comparison(comparison)
        print(f"wrote {comparison.out_dir}")
        print(f"open {comparison.out_dir / 'compare.html'}")

    _run(run, debug)


@app.command()
def info(clip: Annotated[Path, typer.Argument(help="The video to describe.")], debug: Debug = False) -> None:
    """Print what formcheck reads from CLIP: size as displayed, rotation, duration, frame rate, codec."""
    from formcheck.io.video import probe

    def run() -> None:
        facts = probe(clip).as_dict()
        table = Table(show_header=False, box=None)
        for key, value in facts.items():
            table.add_row(key, "unknown" if value is None else str(value))
        Console().print(table)

    _run(run, debug)


config_app = typer.Typer(no_args_is_help=False, help="Settings: the commented example file, checking a file of "
                         "yours, and the settings in effect.")
app.add_typer(config_app, name="config")


@config_app.callback(invoke_without_command=True)
def config_main(ctx: typer.Context, example: Annotated[bool, typer.Option(
        "--example", help="Print the commented example file: every setting, its default and what it accepts.")] = False,
) -> None:
    """Settings. ``--example`` prints the example file (the same as formcheck.example.toml)."""
    from formcheck.config import Config

    if example:
        sys.stdout.write(Config().example())
    elif ctx.invoked_subcommand is None:
        print(ctx.get_help())
        raise typer.Exit(2)


@config_app.command("check")
def config_check(file: Annotated[Path, typer.Argument(help="The TOML settings file to check.")],
                 debug: Debug = False) -> None:
    """Check a settings FILE: one line naming the first section, key and value that is not allowed,
    and what is (exit code 6, as for any settings error); else what it changes from the defaults."""
    from formcheck.config import Config, load_config

    def run() -> None:
        config, default = load_config(file).as_dict(), Config().as_dict()
        changed = [f"[{section}] {key} = {toml_value(value)}" for section, values in config.items()
                   for key, value in values.items() if default[section][key] != value]
        print(f"{file}: valid; {len(changed)} setting{'s' if len(changed) != 1 else ''} changed from the defaults"
              + (f": {', '.join(changed)}" if changed else ""))

    _run(run, debug, native=False)


@config_app.command("show")
def config_show(config_file: Annotated[Optional[Path], typer.Option(
        "--config", help="TOML file of settings to change; without it, the defaults.")] = None,
                debug: Debug = False) -> None:
    """Print the settings in effect (the defaults, with the --config file's changes) as TOML."""
    from formcheck.config import load_config

    _run(lambda: sys.stdout.write(load_config(config_file).toml()), debug, native=False)


def _load_baseline(path: Path, config):
    """A Baseline from a baseline.json, a formcheck output folder, or a clip (analysed whole, its
    output folder written next to it as by ``formcheck analyze``)."""
    from formcheck.api import analyze as analyze_clip
    from formcheck.measure.baseline import Baseline

    if path.is_dir() and (path / "baseline.json").is_file():
        return Baseline.load(path / "baseline.json")
    if path.suffix == ".json":
        return Baseline.load(path)
    with _progress_bar(path.name) as progress:
        early = analyze_clip(path, config, video=False, report=False, progress=progress)
    return Baseline.from_strides(early.measurements.stride_metrics, path.name)


def _config(config_file: Path | None, model: str | None, max_height: int | None, video_height: int | None,
            every: int | None = None, mirror: bool | None = None):
    """Settings from the TOML file (or defaults) with the command line's options applied."""
    from formcheck.config import load_config

    config = _with_overrides(load_config(config_file), "pose", model=model, max_height=max_height, every=every,
                             mirror=mirror)
    return _with_overrides(config, "overlay", max_height=video_height)


def _print_verdict(summary) -> None:
    """A short table of what was measured, then the verdict and the segments with their reasons
    (``summary``: a :class:`~formcheck.summary.Summary`)."""
    table = Table(title=f"{summary.clip['path']}: {summary.view['main'] or 'unknown'} view, "
                        f"{summary.strides['count']} strides, cadence "
                        f"{_fmt(summary.strides['cadence_spm'], '.0f')} steps/min", title_justify="left")
    for column in ("metric", "median", f"baseline ({summary.baseline['label']})", "coverage"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, m in summary.metrics.items():
        if m["coverage"] > 0:
            table.add_row(name, _fmt(m["median"], ".3g"), _fmt(m["baseline_median"], ".3g"), f"{m['coverage']:.0%}")
    Console().print(table)
    if summary.verdict == "tight":
        Console().print(f"[bold red]Running tight[/] in {len(summary.segments)} segment(s):")
        for seg in summary.segments:
            reasons = "; ".join(reason.text for reason in seg.reasons)
            Console().print(f"  {seg.start_s:.1f}-{seg.end_s:.1f} s ({seg.severity_label}): {reasons}",
                            markup=False, highlight=False)
            if seg.pace:
                Console().print(f"    pace: {seg.pace}", markup=False, highlight=False)
    elif summary.verdict == "relaxed":
        Console().print("[bold green]No sustained sign of running tight[/] against the baseline.")
    else:
        Console().print("[yellow]Not enough measurable strides to judge[/] (see coverage above).")
    if summary.pace.get("note"):
        Console().print(f"Pace: {summary.pace['note']}.", markup=False, highlight=False)


def _print_batch(results) -> int:
    """One line per clip of a batch (verdict and folder, or why it failed); returns how many failed."""
    table = Table(title="formcheck analyze: every clip", title_justify="left")
    for column in ("clip", "verdict", "warnings", "written to / problem"):
        table.add_column(column)
    for result in results:
        if result.error:
            table.add_row(escape(result.clip.name), "[red]failed[/]", "", escape(result.error))
        else:
            table.add_row(escape(result.clip.name), result.verdict, str(len(result.warnings)), escape(str(result.out_dir)))
    Console().print(table)
    return sum(1 for r in results if r.error)


def _print_comparison(comparison) -> None:
    """The comparison table (one row per measure compared in both clips), then the overall verdict;
    the per-measure sentences are in compare.html and comparison.csv."""
    table = Table(title=f"{comparison.early_label} (early) vs {comparison.late_label} (late)", title_justify="left")
    for column in ("measure", "early", "late", "change [95% CI]", "effect", "strides", "counts?"):
        table.add_column(column, justify="left" if column in ("measure", "counts?") else "right")
    for row in comparison.table.to_dict(orient="records"):
        if row["change"] != row["change"]:  # NaN: not measured in both clips
            continue
        counts = "tighter" if row["significant"] and row["tighter"] else "yes" if row["significant"] else "-"
        table.add_row(row["label"].split(" (")[0], _fmt(row["early_median"], ".3g"), _fmt(row["late_median"], ".3g"),
                      f"{_fmt(row['change'], '+.3g')} [{_fmt(row['ci_low'], '.3g')}, {_fmt(row['ci_high'], '.3g')}]",
                      _fmt(row["effect_size"], "+.2f"), f"{row['n_early']}/{row['n_late']}", counts,
                      style="bold red" if counts == "tighter" else None)
    Console().print(table)
    for note in comparison.notes:
        Console().print(f"note: {note}", markup=False, highlight=False)
    Console().print(comparison.verdict(), markup=False, highlight=False)


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
    """Rich progress bars with frames/s and time left, one per phase of the work on ``name``, fed by
    the API's ``progress(phase, done, total)`` callback, which also redraws them (at most every
    ``REFRESH_S`` seconds): rich's own refresh thread would keep the report's SVG from being drawn
    in a forked child (:mod:`formcheck.runtime.beside` forks only while no other thread runs)."""

    REFRESH_S = 0.1

    PHASES = {"pose": "finding the runner in {}", "overlay": "drawing overlay.mp4 for {}",
              "side by side": "drawing side_by_side.mp4 for {}", "all": "analysing {}"}

    def __init__(self, name: str) -> None:
        self._name = name
        self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[fps]}"),
                             TimeRemainingColumn(), console=console, transient=True, auto_refresh=False)
        self._tasks: dict[str, int] = {}
        self._refreshed = -math.inf

    def __enter__(self) -> PhaseProgress:
        self._bar.start()
        return self._update

    def __exit__(self, *exc_info) -> None:
        self._bar.stop()

    def _update(self, phase: str, done: int, total: int | None) -> None:
        if phase not in self._tasks:
            self._tasks[phase] = self._bar.add_task(self.PHASES[phase].format(self._name), total=None, fps="")
        task = self._tasks[phase]
        speed = self._bar.tasks[task].speed
        self._bar.update(task, completed=done, total=max(total, done) if total else None,
                         fps=f"{speed:5.1f} frames/s" if speed else "")
        now = time.monotonic()
        if now - self._refreshed >= self.REFRESH_S or done == total:
            self._bar.refresh()
            self._refreshed = now


def _run(job: Callable[[], None], debug: bool, native: bool = True) -> None:
    """Run ``job``, turning errors into one line and an exit code (the traceback with ``debug``);
    ``native``: the job may load MediaPipe, whose native log lines are silenced first (else the
    lines go to stderr as it is, which is also what a test's CLI runner reads)."""
    if debug:
        job()
        return
    if native:
        _silence_native_logs()

    def say(line: str) -> None:
        if native:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        else:
            print(line, file=sys.stderr)

    try:
        job()
    except FormcheckError as exc:
        say(f"formcheck: error: {_printable(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        say("formcheck: interrupted; no output folder was left half-written")
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug: say so in one line, the traceback is behind --debug
        say(f"formcheck: internal error: {type(exc).__name__}: {_printable(str(exc))} (run again with --debug "
            "for the traceback, and please report it)")
        raise typer.Exit(1) from None


def _printable(text: str) -> str:
    """``text`` with what cannot be printed as UTF-8 (the undecodable bytes of a file name) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def main() -> None:
    """The ``formcheck`` console script: :data:`app`, then ``gc.freeze()`` on the way out.

    At exit the interpreter runs the cycle collector over every object still alive, the modules
    of pandas, SciPy and matplotlib included: about half a second, a fifth of a re-analysis.
    Frozen objects are skipped; nothing is lost, as the process ends right after.
    """
    try:
        app(prog_name="formcheck")
    finally:
        gc.freeze()


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
