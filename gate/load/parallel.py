"""Map a CPU-bound function over many items in forked worker processes, the collector paused."""

from __future__ import annotations

import gc
import math
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
MAX_WORKERS = 4


def map_in_workers(
    func: Callable[[Item], Result], items: Sequence[Item], *, parallel: bool = True
) -> list[Result]:
    """`[func(item) for item in items]`, shared out to worker processes when `parallel` (the work
    is worth ~50 ms of start-up) and there are cores to share. Why: validating case files runs
    before any dispatch, so at thousands of cases its CPU-bound seconds add straight to the wall.
    Workers are forked, so they start in milliseconds with everything imported; `func` must be a
    module-level function (it is pickled by name) and its results picklable."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS)
    with paused_gc():
        if (
            not parallel
            or len(items) < 2
            or workers < 2
            or "fork" not in mp.get_all_start_methods()
        ):
            return [func(item) for item in items]
        size = math.ceil(len(items) / (workers * 4))  # a few chunks each: a slow one cannot lag
        chunks = [(func, list(items[i : i + size])) for i in range(0, len(items), size)]
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            return [result for part in pool.map(_apply, chunks) for result in part]


def _apply(job: tuple[Callable[[Item], Result], list[Item]]) -> list[Result]:
    func, items = job
    with paused_gc():
        return [func(item) for item in items]


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a while. Loading allocates long-lived objects only,
    and every full collection walks all of them again: at 20,000 cases a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
