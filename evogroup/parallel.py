"""Executors for parallel fitness evaluation, with in-order results.

``make_executor(1)`` evaluates in the calling process. ``make_executor(n)`` is a pool of
``n`` spawn-started processes; if a worker dies (killed, out of memory), the pool is
restarted and the unfinished genomes are submitted again, so one lost worker costs a
retry, not the run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any


class InProcess:
    """Evaluates in the calling process (the default: no pickling, shared caches)."""

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        return map(fn, *iterables)

    def shutdown(self) -> None:
        pass


class RetryingProcessPool:
    """A process pool whose ``map`` survives dead workers by resubmitting unfinished items.

    Args:
        workers: number of processes.
        retries: how many times a pool may break before the error is raised.
    """

    def __init__(self, workers: int, retries: int = 3):
        self.workers, self.retries = workers, retries
        self._ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(workers, mp_context=self._ctx)

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        items = list(zip(*iterables))
        done = 0
        failures = 0
        while done < len(items):
            futures = [self._pool.submit(fn, *args) for args in items[done:]]
            try:
                for future in futures:
                    yield future.result()
                    done += 1
            except BrokenProcessPool:
                failures += 1
                if failures > self.retries:
                    raise
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = ProcessPoolExecutor(self.workers, mp_context=self._ctx)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def make_executor(workers: int = 1) -> Iterator[InProcess | RetryingProcessPool]:
    executor = InProcess() if workers <= 1 else RetryingProcessPool(workers)
    try:
        yield executor
    finally:
        executor.shutdown()
