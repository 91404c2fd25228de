r"""Timing one call on one device: warm-up, then the median of repeats, threads pinned.

On a GPU each repeat is read with CUDA events around the call and a synchronisation
after it (kernels run asynchronously: a host clock would time the launch only). On a CPU
torch is limited to ``threads`` threads. With one thread, every operation runs in the
calling thread, and the repeat is read as that thread's CPU time
(:func:`time.thread_time`): on an idle machine it equals the wall time, and on a shared
one it leaves out the time the scheduler gave other processes, which a wall clock would
count (a 300 ms network among five busy processes on two cores reads 2-3x slower by the
wall clock, a 1 ms layer hardly at all). With several threads the wall clock
(:func:`time.perf_counter`) is read, the only one that sees parallel work as the user
waits for it. The spread is half the distance between the quartiles of the repeats, a
noise figure that one slow repeat does not move much.
"""

from __future__ import annotations

import contextlib
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

WARMUP = 2
REPEATS = 7


@dataclass(frozen=True)
class Timing:
    """Milliseconds of one call: the median of the repeats and their spread (half the
    interquartile range)."""

    median_ms: float
    noise_ms: float
    samples: tuple[float, ...]


@contextlib.contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """torch's intra-op threads set to ``threads`` for the block (restored after)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def time_call(
    fn: Callable[[], object], device: torch.device, warmup: int = WARMUP, repeats: int = REPEATS
) -> Timing:
    """The median and spread of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    samples = [_once(fn, device) for _ in range(repeats)]
    return summarize(samples)


def summarize(samples: list[float]) -> Timing:
    if len(samples) >= 4:
        q1, _, q3 = statistics.quantiles(samples, n=4)
        spread = (q3 - q1) / 2
    else:
        spread = (max(samples) - min(samples)) / 2
    return Timing(statistics.median(samples), spread, tuple(samples))


def _once(fn: Callable[[], object], device: torch.device) -> float:
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize(device)
        return start.elapsed_time(end)
    clock = cpu_clock()
    began = clock()
    fn()
    return (clock() - began) * 1e3


def cpu_clock() -> Callable[[], float]:
    """The calling thread's CPU time when torch runs on one thread, else the wall clock."""
    return time.thread_time if torch.get_num_threads() == 1 else time.perf_counter


def clock_name(threads: int) -> str:
    return "thread CPU time" if threads == 1 else "wall clock"


def device_name(device: torch.device) -> str:
    """What the device is, for the cache key: the GPU's name, else the CPU model."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return _cpu_model() or platform.processor() or platform.machine()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""
