"""Running a piece of work in a forked child process while the caller goes on, on the other core.

For work that holds Python's GIL from start to end (matplotlib writing an SVG) beside other such
work, where a thread would gain nothing. A fork copies the process as it is, so the child needs no
imports and no pickling, but only the calling thread: the child is forked only on Linux (macOS
system libraries are not fork-safe, Windows has no fork), when no other Python thread runs and this
process is not itself a daemonic worker. Otherwise, and when the child fails, the work runs in the
caller after all, so it is done exactly once and a real error is raised where it can be reported.

The child never finalises what it inherits: the caller's objects are frozen out of the garbage
collector's reach for the fork (:func:`gc.freeze`). Garbage the caller had not yet collected (a
finished video reader's frames) would otherwise be finalised in the child, where the native
threads its finaliser waits for do not exist: FFmpeg's scaler then hangs the child for ever.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def beside(work: Callable[[], None]) -> Iterator[None]:
    """Run ``work`` in a forked child while the ``with`` body runs here, and wait for it at the end
    of the body; where no child can be forked, or it failed, run ``work`` here after the body. If
    the body raises, the child is stopped."""
    child = _fork(work)
    try:
        yield
    except BaseException:
        if child is not None:
            child.terminate()
            child.join()
        raise
    if child is not None:
        child.join()
        if child.exitcode == 0:
            return
    work()


def _fork(work: Callable[[], None]) -> multiprocessing.Process | None:
    """The started child running ``work``, or None where forking is not safe here."""
    if (sys.platform != "linux" or threading.active_count() > 1
            or multiprocessing.current_process().daemon):
        return None
    child = multiprocessing.get_context("fork").Process(target=_quietly, args=(work,))
    gc.freeze()  # the child inherits them frozen: its collector never finalises them
    try:
        child.start()
    finally:
        gc.unfreeze()  # here, collected as before
    return child


def _quietly(work: Callable[[], None]) -> None:
    """``work``, in the child: a failure only sets the exit code (the caller then does the work
    itself and reports its error), so no traceback is printed twice."""
    try:
        work()
    except BaseException:
        sys.exit(1)
