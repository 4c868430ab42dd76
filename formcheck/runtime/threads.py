"""Overlapping the stages of a frame loop: decode ahead in one thread, encode behind in another.

Decoding (PyAV), inference (MediaPipe) and encoding (x264) spend most of their time in native code
that releases Python's GIL, so on a 2-core laptop they can run at the same time. Queues are bounded,
so memory stays constant however long the clip is, and an error in a background thread is raised
in the caller, never lost.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Yield the items of ``items`` while a background thread produces the next ``depth`` of them.
    Closing the generator early stops the producer after its current item."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
        except BaseException as exc:  # handed to the consumer, who raises it
            buffer.put(_Failure(exc))
            return
        buffer.put(_DONE)

    worker = threading.Thread(target=produce, name="formcheck-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                buffer.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.01)


class Sink:
    """Hands items to ``consume`` in a background thread, at most ``depth`` waiting; use as a
    context manager. The first error ``consume`` raises is raised again by :meth:`put` or on exit."""

    def __init__(self, consume: Callable[[T], None], depth: int = 4) -> None:
        self._consume = consume
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._run, name="formcheck-sink", daemon=True)
        self._worker.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not _DONE:
            if self._error is None:
                try:
                    self._consume(item)
                except BaseException as exc:
                    self._error = exc

    def put(self, item: T) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        self._queue.put(_DONE)
        self._worker.join()
        if exc_type is None and self._error is not None:
            raise self._error


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error
