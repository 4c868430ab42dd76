"""Many clips at once: a pool of worker processes, one analysis per clip, progress pooled into one.

Each worker process analyses whole clips with :func:`formcheck.api.analyze`, exactly as a single
``formcheck analyze`` would (same settings, same output folder), so results are identical to
analysing the clips one by one. Workers are started with "spawn": MediaPipe's native threads do not
survive a fork. A clip that fails is reported with its one-line reason and the others go on.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from formcheck.config import Config
from formcheck.errors import FormcheckError, OutputError
from formcheck.evidence.squad import SquadClip, write_squad
from formcheck.io.destination import absolute, close_batch_folder, open_batch_folder
from formcheck.io.frame_pick import analysis_every
from formcheck.measure.baseline import Baseline
from formcheck.pipeline import default_output_dir
from formcheck.pose.clip_pass import usable_cores

#: File name endings taken as clips when a folder is given.
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".3gp")


@dataclass(frozen=True)
class ClipResult:
    """How one clip of a batch went: its output folder and verdict, or the error that stopped it."""

    clip: Path
    out_dir: Path | None
    verdict: str | None
    warnings: tuple[str, ...] = ()
    error: str | None = None


def expand_clips(paths: Iterable[Path]) -> list[Path]:
    """The clips named by ``paths``: files as given, folders as the video files directly inside them
    (sorted by name). Raises :class:`FormcheckError` when a folder holds no video."""
    clips = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
            if not found:
                raise FormcheckError(f"{path}: the folder holds no video ({', '.join(VIDEO_SUFFIXES)})")
            clips.extend(found)
        else:
            clips.append(path)
    return clips


def output_dir_for(clip: Path, out: Path | None) -> Path:
    """``CLIP_STEM.formcheck`` next to the clip, or inside ``out`` when one folder holds them all."""
    return Path(out) / default_output_dir(clip).name if out else default_output_dir(clip)


def refuse_shared_folders(clips: list[Path], out: Path | None) -> None:
    """Raise :class:`OutputError` when two of ``clips`` would write the same output folder (``run.mp4``
    and ``run.mov``, or two ``run.mp4`` from different folders into one ``out``): the second would
    replace the first's."""
    seen: dict[Path, Path] = {}
    for clip in clips:
        folder = absolute(output_dir_for(clip, out))
        if folder in seen and absolute(seen[folder]) == absolute(clip):
            raise OutputError(f"{clip} is given twice; name each clip once")
        if folder in seen:
            raise OutputError(f"{seen[folder]} and {clip} would both write {folder.name}; rename one, or "
                              "analyse them one at a time with -o")
        seen[folder] = clip


def analyze_many(clips: list[Path], config: Config, out: Path | None = None, *, jobs: int | None = None,
                 baseline: Baseline | None = None, video: bool = True, report: bool = True, reuse: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> list[ClipResult]:
    """Analyse ``clips`` with ``jobs`` worker processes (None: one per usable core,
    :func:`~formcheck.pose.clip_pass.usable_cores`); results in the order of ``clips``.
    ``out``: the folder that takes one ``CLIP_STEM.formcheck`` per clip (made and marked as formcheck's
    batch folder when new, removed again when no clip got through; a folder of yours is only added
    to); None: each next to its clip. Each clip's folder follows the rules of a single clip
    (:mod:`formcheck.io.destination`); one refused is that clip's error.
    ``progress(done, total)`` counts frames over all clips: searched for the runner, then drawn."""
    refuse_shared_folders(clips, out)
    made = open_batch_folder(out) if out else []
    try:
        return _run_pool(clips, config, out, jobs or usable_cores(), baseline, video, report, reuse, progress)
    finally:
        close_batch_folder(made)


def write_squad_summary(out: Path, results: list[ClipResult]) -> list[str]:
    """``squad.csv`` and ``squad.html`` in the batch folder ``out`` (:mod:`formcheck.evidence.squad`),
    when any clip got through; returns a line for each file left alone, saying why."""
    if not any(result.out_dir for result in results):
        return []
    return write_squad(Path(out), [SquadClip(r.clip, r.out_dir, r.error) for r in results])


def _run_pool(clips: list[Path], config: Config, out: Path | None, jobs: int, baseline: Baseline | None,
              video: bool, report: bool, reuse: bool, progress: Callable[[int, int], None] | None) -> list[ClipResult]:
    """The worker pool of :func:`analyze_many`."""
    context = multiprocessing.get_context("spawn")
    manager = context.Manager()  # its server process ignores Ctrl-C, so the queue and the flag outlive one
    events, interrupted = manager.Queue(), manager.Event()
    total = sum(clip_work(clip, config, video) for clip in clips)
    counts: dict[tuple[int, str], int] = {}
    stop = threading.Event()

    def relay() -> None:  # worker progress events -> one overall count
        while not stop.is_set():
            try:
                index, phase, count = events.get(timeout=0.1)
            except queue.Empty:
                continue
            counts[index, phase] = count
            if progress is not None:
                done = sum(counts.values())
                progress(done, max(total, done))

    relay_thread = threading.Thread(target=relay, daemon=True)
    relay_thread.start()
    results: list[ClipResult | None] = [None] * len(clips)
    try:
        with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=context, initializer=_watch_for_ctrl_c) as pool:
            parallel = min(jobs, len(clips)) < 2  # else the workers keep the cores busy already
            futures = {pool.submit(_analyze_one, i, clip, config, out, baseline, video, report,
                                   reuse, parallel, events, interrupted): i for i, clip in enumerate(clips)}
            try:
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
            except BaseException:  # Ctrl-C: clips not started yet are not started at all
                interrupted.set()
                pool.shutdown(cancel_futures=True)
                raise
    finally:
        stop.set()
        relay_thread.join()
        manager.shutdown()
    return results


def clip_work(clip: Path, config: Config, video: bool) -> int:
    """Frames a clip will take: searched (every n-th, :func:`~formcheck.io.frame_pick.analysis_every`)
    plus drawn; 0 if unknown."""
    from formcheck.io.video import probe  # PyAV: only when several clips are given

    try:
        info = probe(clip)
    except FormcheckError:
        return 0
    frames = info.frame_count or 0
    return -(-frames // analysis_every(info.average_fps, config.pose.every)) + (frames if video else 0)


#: Set in a worker process once Ctrl-C has reached it, however the interrupt then surfaced.
_ctrl_c_seen = False


def _watch_for_ctrl_c() -> None:
    """Worker start-up: remember every Ctrl-C, then interrupt as Python does by default. A
    KeyboardInterrupt can surface as another error (one raised while MediaPipe is being imported
    leaves the module half-initialised, and the next clip then fails with a NameError), or outside
    the clip's analysis; the flag still tells the worker not to start another clip."""

    def remember(signum, frame) -> None:
        global _ctrl_c_seen
        _ctrl_c_seen = True
        signal.default_int_handler(signum, frame)

    signal.signal(signal.SIGINT, remember)


def _analyze_one(index: int, clip: Path, config: Config, out: Path | None, baseline: Baseline | None, video: bool,
                 report: bool, reuse: bool, parallel: bool, events, interrupted) -> ClipResult:
    """One clip in a worker process; errors come back as a result, never as a crash of the batch.
    ``out``: the batch folder (:func:`formcheck.api.analyze` writes ``CLIP_STEM.formcheck`` in it), or
    None (next to the clip).
    ``parallel``: search the clip's parts at once (:func:`formcheck.api.analyze`).
    ``interrupted``: set on Ctrl-C (by the worker it interrupts, or the parent); a clip whose turn comes
    after it is not started (a worker may already hold the next clip when the parent is told)."""
    from formcheck.api import analyze

    def progress(phase: str, count: int, total: int | None) -> None:
        events.put((index, phase, count))

    if _ctrl_c_seen or interrupted.is_set():
        interrupted.set()
        return ClipResult(clip, None, None, error="not analysed: interrupted")
    try:
        analysis = analyze(clip, config, out, baseline=baseline, video=video, report=report, reuse=reuse,
                           progress=progress, parallel=parallel)
        result = ClipResult(clip, analysis.out_dir, analysis.summary.verdict, tuple(analysis.summary.warnings))
    except KeyboardInterrupt:
        interrupted.set()
        raise
    except FormcheckError as exc:
        result = ClipResult(clip, None, None, error=str(exc))
    except Exception as exc:  # a bug: keep the batch going and say what happened
        result = ClipResult(clip, None, None, error=f"internal error: {type(exc).__name__}: {exc}")
    if _ctrl_c_seen:  # the interrupt surfaced as an error, or came after the analysis
        interrupted.set()
        if result.error is not None:
            raise KeyboardInterrupt
    return result  # a clip finished before Ctrl-C keeps its complete folder
