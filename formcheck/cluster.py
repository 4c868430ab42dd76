"""A batch on a running Dask cluster: each clip one task, its output folder written here.

A club that collects every member's clip after a session outgrows one laptop. formcheck then uses a
distributed engine that already exists, Dask's (``dask.distributed``): :func:`analyze_on_cluster`
attaches to a running scheduler (``Client(address)``) and submits one task per clip. Workers need not
share a filesystem with this machine: the task carries the clip's bytes, the worker analyses it with
:func:`formcheck.api.analyze` in a temporary folder of its own, and sends the finished output folder
back as a tar archive, which is written here with the same safety as a local run
(:func:`~formcheck.io.output.atomic_output_dir`: it appears complete or not at all, and replaces only
formcheck's own earlier output).

The same landmarks as a local batch: the clip is searched in the number of parts this machine would
use (``[pose] parts`` is fixed to it before the settings travel), one part after the other, as a
local batch's workers do. Saved landmarks in a clip's output folder are not re-used on a cluster
(the worker never sees the folder): every clip is analysed afresh.

Dask does the rest of the distributed work: a worker that dies mid-clip has its task run again on
another one. Ctrl-C cancels the tasks not started yet and releases the running ones (Dask cannot stop
a task midway: its worker finishes that clip and drops it). Only a few clips per worker are sent at a
time (:data:`CLIPS_PER_WORKER`), so the scheduler and workers never hold a whole club's videos, and
each task's key and progress topic carry an id of the batch, so two coaches' batches on one cluster
never meet. Workers report progress as events (``Worker.log_event``), which this machine adds up
into one count. Dask is needed only here, installed with ``pip install 'formcheck[cluster]'``.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from formcheck.batch import ClipResult, clip_work, output_dir_for, refuse_shared_folders
from formcheck.config import Config
from formcheck.errors import FormcheckError
from formcheck.io.destination import (
    ANALYSIS,
    MARKER_NAME,
    absolute,
    close_batch_folder,
    open_batch_folder,
)
from formcheck.io.output import atomic_output_dir
from formcheck.measure.baseline import Baseline
from formcheck.pose.clip_pass import part_count
from formcheck.summary import Summary

#: The event topic workers report their progress on, followed by the batch's id: (clip index, phase,
#: frames done).
PROGRESS_TOPIC = "formcheck-progress"
#: Clips sent to the cluster at a time, per worker: each waits there as bytes until a worker is free.
CLIPS_PER_WORKER = 2
#: Seconds to wait for the scheduler to answer before giving up on the address.
CONNECT_TIMEOUT_S = 10
#: A worker reports a clip's progress at most this often (s).
REPORT_EVERY_S = 0.25


@dataclass(frozen=True)
class RemoteResult:
    """What a worker sends back for one clip: the output folder as an uncompressed tar archive
    (``folder``; None when the clip failed), its verdict and warnings, or the error line."""

    folder: bytes | None
    verdict: str | None = None
    warnings: tuple[str, ...] = ()
    error: str | None = None


def analyze_on_cluster(address: str, clips: list[Path], config: Config, out: Path | None = None, *,
                       baseline: Baseline | None = None, video: bool = True, report: bool = True,
                       progress: Callable[[int, int], None] | None = None) -> list[ClipResult]:
    """Analyse ``clips`` on the Dask cluster whose scheduler is at ``address`` (``tcp://HOST:PORT``);
    results in the order of ``clips``, as :func:`formcheck.batch.analyze_many` gives them. ``out`` and
    the output folders follow the local batch's rules. ``progress(done, total)``: frames over all
    clips (searched, then drawn), fed by the workers. Raises :class:`FormcheckError` before anything is
    written when the cluster cannot be reached, has no worker, or a worker lacks this formcheck."""
    client = connect(address)
    try:
        check_workers(client, address)
        refuse_shared_folders(clips, out)
        made = open_batch_folder(out) if out else []
        try:
            return _run_tasks(client, clips, config, out, baseline, video, report, progress)
        finally:
            close_batch_folder(made)
    finally:
        client.close()


def connect(address: str):
    """A Dask client attached to the scheduler at ``address``; one clear line when it cannot be."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise FormcheckError("--cluster needs Dask: pip install 'formcheck[cluster]'") from exc
    try:
        return Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise FormcheckError(f"cannot reach the Dask cluster at {address} ({type(exc).__name__}: {exc}); start a "
                             "scheduler there (dask scheduler) or check the address") from exc


def check_workers(client, address: str) -> None:
    """Raise :class:`FormcheckError` when the cluster has no worker, or a worker has no formcheck or
    another version of it than this machine's."""
    wanted = version("formcheck")
    found = client.run(_installed_formcheck, on_error="return")
    if not found:
        raise FormcheckError(f"the Dask cluster at {address} has no worker; start some (dask worker {address})")
    wrong = {worker: ("no formcheck" if isinstance(got, BaseException) or got is None else f"formcheck {got}")
             for worker, got in found.items() if got != wanted}
    if wrong:
        worker, what = sorted(wrong.items())[0]
        raise FormcheckError(f"worker {worker} of the Dask cluster at {address} has {what}, this machine formcheck "
                             f"{wanted} ({len(wrong)} of {len(found)} workers differ); install formcheck=={wanted} "
                             "on every worker")


def _installed_formcheck() -> str | None:
    """The formcheck version installed where this runs (on a worker); None when there is none."""
    try:
        return version("formcheck")
    except PackageNotFoundError:
        return None


def _run_tasks(client, clips: list[Path], config: Config, out: Path | None, baseline: Baseline | None,
               video: bool, report: bool, progress: Callable[[int, int], None] | None) -> list[ClipResult]:
    """Submit one task per clip, write each output folder here as it comes back."""
    from distributed import as_completed

    config = replace(config, pose=replace(config.pose, parts=part_count(config)))  # this machine's parts
    total = sum(clip_work(clip, config, video) for clip in clips)
    counts: dict[tuple[int, str], int] = {}
    lock = threading.Lock()

    def on_progress(event) -> None:  # called in the client's event loop: add up, then report
        _, (index, phase, count) = event
        with lock:
            counts[index, phase] = count
            done = sum(counts.values())
        if progress is not None:
            progress(done, max(total, done))

    batch = uuid.uuid4().hex[:12]
    topic = f"{PROGRESS_TOPIC}-{batch}"
    client.subscribe_topic(topic, on_progress)
    results: list[ClipResult | None] = [None] * len(clips)
    waiting = list(enumerate(clips))
    futures: dict = {}  # the task's future -> the clip's index

    def send_next():
        """Send the next readable clip to the cluster; its task's future, or None when none is left."""
        while waiting:
            index, clip = waiting.pop(0)
            try:
                data = clip.read_bytes()
            except OSError as exc:
                results[index] = ClipResult(clip, None, None, error=f"{clip}: cannot be read ({exc.strerror})")
                continue
            with warnings.catch_warnings():  # the clip's bytes travel in the task, so that a worker that
                # dies mid-clip takes nothing with it: the task runs again elsewhere; Dask warns about
                # the task's size, which the few clips in flight keep bounded
                warnings.filterwarnings("ignore", message="Sending large graph")
                future = client.submit(analyze_remote, index, clip.name, data, config, baseline, video, report,
                                       topic, key=f"formcheck-{batch}-{index}", pure=False)
            futures[future] = index
            return future
        return None

    try:
        running = as_completed(loop=client.loop)
        for _ in range(CLIPS_PER_WORKER * max(1, len(client.scheduler_info()["workers"]))):
            future = send_next()
            if future is not None:
                running.add(future)
        for future in running:
            index = futures.pop(future)
            results[index] = _write_back(clips[index], future, out)
            future.release()  # the archive leaves the worker
            following = send_next()
            if following is not None:
                running.add(following)
    except BaseException:  # Ctrl-C or a broken connection: nothing more runs for this batch
        client.cancel(list(futures), force=True)
        raise
    finally:
        client.unsubscribe_topic(topic)
    return results


def _write_back(clip: Path, future, out: Path | None) -> ClipResult:
    """The clip's result: its output folder written here from the worker's archive, or its error."""
    try:
        remote: RemoteResult = future.result()
    except Exception as exc:  # the task itself failed on every worker it was tried on
        return ClipResult(clip, None, None, error=f"failed on the cluster: {type(exc).__name__}: {exc}")
    if remote.error is not None:
        return ClipResult(clip, None, None, error=remote.error)
    final = absolute(output_dir_for(clip, out))
    try:
        with atomic_output_dir(final, ANALYSIS, inputs=[clip]) as staging:
            unpack(remote.folder, staging)
            summary = Summary.load(staging)
            summary.clip["path"] = str(clip)  # the clip as named here, not the worker's copy
            summary.save(staging)
    except FormcheckError as exc:
        return ClipResult(clip, None, None, error=str(exc))
    except (tarfile.TarError, AttributeError) as exc:  # a damaged archive, or no summary.json in it
        return ClipResult(clip, None, None, error=f"the worker's output folder came back damaged ({exc}); "
                                                  "analyse the clip again")
    return ClipResult(clip, final, remote.verdict, remote.warnings)


def analyze_remote(index: int, name: str, data: bytes, config: Config, baseline: Baseline | None, video: bool,
                   report: bool, topic: str) -> RemoteResult:
    """On a worker: analyse the clip ``data`` (named ``name``) in a temporary folder and return its
    output folder packed; a clip that fails comes back as its error line, like in a local batch.
    Progress goes to the event ``topic``."""
    from formcheck.api import analyze

    report_progress = _progress_reporter(index, topic)
    with tempfile.TemporaryDirectory(prefix="formcheck-task-") as tmp:
        clip = Path(tmp) / name
        clip.write_bytes(data)
        try:
            analysis = analyze(clip, config, Path(tmp) / "out", baseline=baseline, video=video, report=report,
                               reuse=False, progress=report_progress, parallel=False)
        except FormcheckError as exc:
            return RemoteResult(None, error=str(exc))
        except Exception as exc:  # a bug: keep the batch going and say what happened
            return RemoteResult(None, error=f"internal error: {type(exc).__name__}: {exc}")
        return RemoteResult(pack(analysis.out_dir), analysis.summary.verdict, tuple(analysis.summary.warnings))


def _progress_reporter(index: int, topic: str) -> Callable[[str, int, int | None], None]:
    """A ``progress(phase, done, total)`` callback that sends the worker's count for clip ``index``
    to the client on the event ``topic``, at most every :data:`REPORT_EVERY_S` seconds and at each
    phase's end."""
    from distributed import get_worker

    worker = get_worker()
    last = {"time": 0.0}

    def report(phase: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last["time"] >= REPORT_EVERY_S or (total is not None and done >= total):
            last["time"] = now
            worker.log_event(topic, (index, phase, done))

    return report


def pack(folder: Path) -> bytes:
    """The files of ``folder`` as an uncompressed tar archive (videos and PNGs do not compress)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and path.name != MARKER_NAME:
                archive.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return buffer.getvalue()


def unpack(data: bytes, folder: Path) -> None:
    """Extract the archive ``data`` into ``folder``; only plain files and folders inside it
    (tarfile's "data" filter refuses links, devices and paths that leave the folder)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as archive:
        archive.extractall(folder, filter="data")
