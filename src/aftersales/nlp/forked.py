"""Map a function over many small inputs in forked workers that share the caller's large, read-only state.

Why: the combiner's grid search scores hundreds of knob settings on one prepared batch of 25,000 texts; the settings
of one grid step are independent, and forked workers read the batch without copying or pickling it.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

_FN: Callable[[Any], Any] | None = None  # what the workers call: set before they fork, so they inherit it


def _one_thread() -> None:
    """Each worker on one BLAS thread: two workers on two cores with two threads each would fight for them."""
    try:
        from threadpoolctl import threadpool_limits  # scikit-learn's dependency: present wherever training runs
    except ImportError:  # pragma: no cover - training extras absent
        return
    threadpool_limits(1)


def _call(arg: Any) -> Any:
    assert _FN is not None
    return _FN(arg)


@contextmanager
def forked_map(fn: Callable[[Any], Any], jobs: int) -> Iterator[Callable[[Sequence[Any]], list[Any]]]:
    """A `map(fn, items)` that returns a list in order, run by `jobs` forked workers. `fn` may be a closure: the
    workers inherit it, only items and results are pickled.

    In this process instead where jobs ≤ 1, where the platform cannot fork, or where other Python threads run: a
    fork copies only the calling thread, so a lock another thread held would stay held in the worker for ever
    (why `train.run_parallel` spawns its workers; a training run has no other threads when the combiner is fitted).
    A pool runs threads of its own, so a `forked_map` inside another runs in this process.
    """
    global _FN
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        yield lambda items: [fn(x) for x in items]
        return
    _FN = fn
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_one_thread) as pool:
            yield lambda items: pool.map(_call, items, chunksize=1)
    finally:
        _FN = None
