"""CPU-bound work in forked processes: a map over many items, or one job alongside the caller."""

from __future__ import annotations

import gc
import math
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

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
            try:
                parts: Iterator[list[Result]] = pool.map(_apply, chunks)
            except OSError:  # no process to spare (a process limit): the work is done here
                parts = map(_apply, chunks)
            return [result for part in parts for result in part]


def map_shared(
    func: Callable[[Item], Result], items: Sequence[Item], *, parallel: bool = True
) -> list[Result]:
    """`[func(item) for item in items]`, shared out round-robin between this process and forked
    children, which get the items by the fork itself, never pickled: only results come back.
    Why: for a few big jobs over loaded cases (near-duplicates by label), where pickling the
    cases, or results' fingerprints, to a pool and its start-up cost more than the work saved."""
    workers = min(os.cpu_count() or 1, MAX_WORKERS, len(items))
    if not parallel or workers < 2:
        return [func(item) for item in items]
    shares = [range(i, len(items), workers) for i in range(workers)]
    children = [Background(_share, (func, items, share)) for share in shares[1:]]
    try:
        with paused_gc():
            results = dict(zip(shares[0], _share((func, items, shares[0])), strict=True))
        for share, child in zip(shares[1:], children, strict=True):
            results.update(zip(share, child.result(), strict=True))
    finally:
        for child in children:
            child.cancel()  # only still running if this process failed first
    return [results[i] for i in range(len(items))]


def _share(job: tuple[Callable[[Item], Result], Sequence[Item], range]) -> list[Result]:
    func, items, share = job
    return [func(items[i]) for i in share]


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


class Background(Generic[Result]):
    """`func(item)` computed in a forked process while the caller goes on; `item` reaches the
    child by the fork, never pickled (thousands of loaded cases), only the result comes back.
    Without fork (or `now`), computed on the spot."""

    def __init__(self, func: Callable[[Item], Result], item: Item, *, now: bool = False) -> None:
        self._done: tuple[bool, Result | BaseException] | None = None
        self._process: mp.process.BaseProcess | None = None
        self.cancelled = False
        if now or "fork" not in mp.get_all_start_methods():
            self._done = _outcome(func, item)
            return
        context = mp.get_context("fork")
        try:
            self._reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_child, args=(func, item, writer), daemon=True)
            process.start()
        except OSError:  # no process to spare (a process limit): computed on the spot instead
            self._done = _outcome(func, item)
            return
        self._process = process
        writer.close()  # the child's end: EOF here if it dies without an answer

    def result(self) -> Result:
        """The result (waiting for it), or the child's exception raised here.

        Raises:
            ChildProcessError: the child died without answering (killed, out of memory).
        """
        if self._done is None:
            try:
                self._done = self._reader.recv()
            except EOFError:
                raise ChildProcessError("the background process ended without a result") from None
            finally:
                self.cancel()
        ok, value = self._done
        if not ok:
            assert isinstance(value, BaseException)
            raise value
        return value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the child if it still runs (an interrupted run does not wait for it)."""
        self.cancelled = self._done is None
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._reader.close()
            self._process = None


def _outcome(func: Callable[[Item], Result], item: Item) -> tuple[bool, Result | BaseException]:
    try:
        return True, func(item)
    except Exception as exc:  # handed to the caller, who raises it as its own
        return False, exc


def _child(func: Callable[[Item], Result], item: Item, writer: Connection) -> None:
    # The parent answers signals for the run (Ctrl-C reaches the whole process group): the child
    # ignores SIGINT and dies quietly on SIGTERM instead of raising the gate's Terminated, and it
    # leaves by os._exit, so nothing of the parent's (atexit, buffered output) runs twice and no
    # traceback reaches the terminal unmasked. An answer it cannot send (parent gone) is dropped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code = 0
    try:
        with paused_gc():
            writer.send(_outcome(func, item))
        writer.close()
    except BaseException:  # noqa: BLE001 - nothing here may print; the parent sees EOF
        code = 1
    os._exit(code)
