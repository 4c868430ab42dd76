"""Overlapped stages: order kept, errors surfaced, early stops clean."""

import threading
import time

import pytest

from formcheck.runtime.threads import Sink, prefetch


def test_prefetch_yields_every_item_in_order():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))


def test_prefetch_raises_the_producers_error_after_the_items_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("broken clip")

    seen = []
    with pytest.raises(ValueError, match="broken clip"):
        for item in prefetch(items()):
            seen.append(item)
    assert seen == [1, 2]


def test_closing_prefetch_early_stops_the_producer():
    produced = []

    def items():
        for i in range(1000):
            produced.append(i)
            yield i

    stream = prefetch(items(), depth=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    count = len(produced)
    time.sleep(0.05)
    assert len(produced) == count < 10
    assert not [t for t in threading.enumerate() if t.name == "formcheck-prefetch"]


def test_sink_consumes_in_order_in_another_thread():
    seen, threads = [], set()

    def consume(item):
        seen.append(item)
        threads.add(threading.current_thread().name)

    with Sink(consume, depth=2) as sink:
        for i in range(50):
            sink.put(i)
    assert seen == list(range(50)) and threads == {"formcheck-sink"}


def test_sink_raises_the_consumers_error():
    def consume(item):
        if item == 3:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        with Sink(consume, depth=1) as sink:
            for i in range(20):
                sink.put(i)
                time.sleep(0.001)
