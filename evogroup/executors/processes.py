"""A pool of spawn-started worker processes, with in-order results.

If a worker dies (killed, out of memory), the pool is restarted and the unfinished genomes
are submitted again, so one lost worker costs a retry, not the run. Every worker unpickles
the function of a ``map`` once and keeps it for the maps that follow with the same function
(:mod:`evogroup.executors.shipped`). On a machine with GPUs each pool worker sees one GPU of
its own (``CUDA_VISIBLE_DEVICES``).

No worker outlives its pool: on an error, Ctrl-C or SIGTERM (which the command line
raises as an exception, :mod:`evogroup.cli.signals`) :meth:`RetryingProcessPool.abort` ends
the workers at once, mid-evaluation, and waits for them; on Linux the kernel ends them too
when their parent is SIGKILLed. Pool workers ignore SIGINT, so a Ctrl-C sent to the whole
process group by a terminal is handled by the parent alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from evogroup.executors.shipped import Shipped, call_shipped


def visible_gpus() -> list[str]:
    """The GPUs this process may use: ``CUDA_VISIBLE_DEVICES``, else those torch sees when
    torch is already imported (the core never imports it), else none."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [d for d in listed.split(",") if d.strip() and d.strip() != "-1"]
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        return [str(i) for i in range(torch.cuda.device_count())]
    return []


def _die_with(parent: int) -> None:
    """On Linux, have the kernel SIGKILL this process when ``parent`` dies, even by SIGKILL
    (which leaves it no chance to end its workers); elsewhere nothing. (The kernel watches
    the parent's thread that started the worker, so a pool is best used from one thread.)"""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


def _start_worker(counter: Any, gpus: list[str], threads: int, parent: int) -> None:
    """Pool initializer: ignore Ctrl-C (the parent handles it and ends the pool; a terminal
    sends SIGINT to every process of the group), die with the parent, take the next worker
    index, pin one GPU, cap the CPU threads (before the fitness imports torch)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with(parent)
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))


class InProcess:
    """Evaluates in the calling process (the default: no pickling, shared caches)."""

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        return map(fn, *iterables)

    def shutdown(self) -> None:
        pass

    abort = shutdown


class RetryingProcessPool:
    """A process pool whose ``map`` survives dead workers by resubmitting unfinished items.

    Args:
        workers: number of processes.
        retries: how many times a pool may break before the error is raised.
    """

    def __init__(self, workers: int, retries: int = 3):
        self.workers, self.retries = workers, retries
        self._ctx = multiprocessing.get_context("spawn")
        self._gpus = visible_gpus()
        self._threads = max(1, (os.cpu_count() or 1) // workers)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        counter = self._ctx.Value("i", 0)  # worker i gets GPU i (mod the GPUs)
        return ProcessPoolExecutor(
            self.workers,
            mp_context=self._ctx,
            initializer=_start_worker,
            initargs=(counter, self._gpus, self._threads, os.getpid()),
        )

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        items = list(zip(*iterables))
        shipped = Shipped(fn)
        done = 0
        failures = 0
        while done < len(items):
            with _sigint_blocked():  # workers spawned by submit start with Ctrl-C held off
                futures = [
                    self._pool.submit(call_shipped, shipped.key, shipped.blob, *args)
                    for args in items[done:]
                ]
            try:
                for future in futures:
                    yield future.result()
                    done += 1
            except BrokenProcessPool:
                failures += 1
                if failures > self.retries:
                    raise
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def abort(self) -> None:
        """End the workers now, mid-evaluation (an interrupt or an error: their results
        would be thrown away), and wait until they are gone."""
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for process in processes:
            process.join()


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread, so that processes it spawns start with it blocked (the
    signal mask survives ``exec``): a Ctrl-C while a worker starts up does not reach it
    before its initializer ignores SIGINT. This process gets that Ctrl-C when the block
    ends; it is not lost. (multiprocessing starts its resource tracker the same way.)"""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
