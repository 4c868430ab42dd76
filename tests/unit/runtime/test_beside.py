"""Work run in a forked child beside the caller: done exactly once, in the child where it can be,
in the caller where it cannot or where the child failed."""

import gc
import multiprocessing
import os
import sys
import threading

import pytest

from formcheck.runtime.beside import beside

forks = pytest.mark.skipif(sys.platform != "linux", reason="formcheck forks only on Linux")


def record_pid(path):
    def work():
        with open(path, "a") as f:
            f.write(f"{os.getpid()}\n")
    return work


def pids(path):
    return [int(line) for line in path.read_text().split()]


@forks
def test_the_work_runs_once_in_a_child_while_the_body_runs_here(tmp_path):
    log = tmp_path / "pids"
    with beside(record_pid(log)):
        body = os.getpid()
    assert len(pids(log)) == 1 and pids(log)[0] != body


class Garbage:
    """In a reference cycle, so only the garbage collector frees it; its finaliser notes the process."""

    def __init__(self, log):
        self.me, self.log = self, log

    def __del__(self):
        record_pid(self.log)()


@forks
def test_garbage_the_caller_had_not_collected_is_never_finalised_in_the_child(tmp_path):
    # FFmpeg's scaler, finalised in a child without the threads it waits for, hung the child.
    log = tmp_path / "pids"
    gc.disable()  # so the cycle is still garbage when the child is forked
    try:
        Garbage(log)
        with beside(gc.collect):  # the child collects all it can
            pass
    finally:
        gc.enable()
    assert not log.exists()
    gc.collect()
    assert pids(log) == [os.getpid()]


@forks
def test_work_that_fails_in_the_child_is_done_here_and_its_error_raised_here(tmp_path):
    log, parent = tmp_path / "pids", os.getpid()

    def fails_in_a_child():
        record_pid(log)()
        if os.getpid() != parent:
            raise RuntimeError("child failed")
        raise ValueError("the real error")

    with pytest.raises(ValueError, match="the real error"):
        with beside(fails_in_a_child):
            pass
    assert len(pids(log)) == 2 and pids(log)[-1] == parent


def test_with_another_thread_running_the_work_is_done_here_after_the_body(tmp_path):
    log, order = tmp_path / "pids", []
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with beside(lambda: (order.append("work"), record_pid(log)())):
            order.append("body")
    finally:
        stop.set()
        other.join()
    assert order == ["body", "work"] and pids(log) == [os.getpid()]


@forks
def test_a_body_that_raises_stops_the_child_and_does_not_do_the_work_here(tmp_path):
    log = tmp_path / "pids"

    def slow():
        threading.Event().wait(60)
        record_pid(log)()

    with pytest.raises(KeyError):
        with beside(slow):
            raise KeyError("body failed")
    assert multiprocessing.active_children() == [] and not log.exists()
