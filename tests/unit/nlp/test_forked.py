"""forked_map: results in input order, closures over unpicklable state, errors surface; no fork beside threads."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading

import pytest

from aftersales.nlp.forked import forked_map


@pytest.mark.parametrize("jobs", [1, 2])
def test_maps_in_order_with_a_closure(jobs: int) -> None:
    lock = threading.Lock()  # unpicklable: the workers must inherit the closure, not receive it
    offset = 10

    def fn(x: int) -> int:
        with lock:
            return x * x + offset

    with forked_map(fn, jobs) as run:
        assert run(list(range(7))) == [x * x + 10 for x in range(7)]
        assert run([]) == []


def test_an_error_in_a_worker_reaches_the_caller() -> None:
    def fn(x: int) -> int:
        if x == 3:
            raise ValueError(f"bad item {x}")
        return x

    with forked_map(fn, 2) as run, pytest.raises(ValueError, match="bad item 3"):
        run([1, 2, 3])


def test_nested_runs_in_this_process() -> None:
    """The outer pool's own threads are running, so the inner map forks nothing."""
    import os

    with forked_map(abs, 2) as outer, forked_map(lambda _: os.getpid(), 2) as inner:
        assert outer([-1, -2]) == [1, 2] and inner([1, 2]) == [os.getpid()] * 2


def test_runs_in_process_while_other_threads_run() -> None:
    """A fork beside a running thread could inherit a lock that thread holds: then no workers are started."""
    import os

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with forked_map(lambda _: os.getpid(), 2) as run:
            assert run([1, 2, 3]) == [os.getpid()] * 3
    finally:
        stop.set()
        other.join()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this platform")
def test_forks_workers_where_no_other_thread_runs() -> None:
    """In a fresh interpreter (this one may run threads an earlier test left): the work is done in other processes."""
    script = (
        "import os, threading\n"
        "from aftersales.nlp.forked import forked_map\n"
        "assert threading.active_count() == 1\n"
        "with forked_map(lambda _: os.getpid(), 2) as run:\n"
        "    pids = run([1, 2, 3, 4])\n"
        "assert os.getpid() not in pids, pids\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
