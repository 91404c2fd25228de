"""Helpers shared by the test modules."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from evogroup.core.result import SearchResult


def strip_timing(result: SearchResult) -> dict[str, Any]:
    """A result's JSON without its wall-clock fields, to compare two runs."""
    data = result.to_json()
    for record in [data["best"], *data["history"], *data["iterations"]]:
        record.pop("seconds")
    return data


class CountingFitness:
    """Wraps a fitness, records the genomes it is called with, and can stop the run.

    ``stop_after=n`` raises KeyboardInterrupt on call ``n + 1``, as Ctrl-C would.
    """

    def __init__(self, fitness, stop_after: int | None = None):
        self.fitness, self.stop_after, self.calls = fitness, stop_after, []

    def __call__(self, genome):
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            raise KeyboardInterrupt
        self.calls.append(tuple(genome))
        return self.fitness(genome)


class DiesOnce:
    """A picklable fitness that kills its worker process the first time it is called."""

    def __init__(self, marker):
        self.marker = marker

    def __call__(self, genome):
        if not self.marker.exists():
            self.marker.touch()
            os._exit(1)
        return float(sum(genome))


class AlwaysDies:
    def __call__(self, genome):
        os._exit(1)


class DiesOnceMidway:
    """Wraps a picklable fitness; the process evaluating it dies at its ``at``-th call, once
    over all processes, writing the genome it was given into ``marker``."""

    def __init__(self, fitness, marker, at: int = 3):
        self.fitness, self.marker, self.at, self.calls = fitness, marker, at, 0

    def __call__(self, genome):
        self.calls += 1
        if self.calls == self.at:
            try:  # created exclusively: of workers reaching the call together, one alone dies
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return self.fitness(genome)
            os.write(fd, ",".join(map(str, genome)).encode())
            os.close(fd)
            os._exit(1)
        return self.fitness(genome)


class CountsLoads:
    """A picklable fitness that writes one file per unpickled copy that is called (a "load")."""

    def __init__(self, folder):
        self.folder, self.loaded = folder, False

    def __getstate__(self):
        return {"folder": self.folder, "loaded": False}

    def __call__(self, genome):
        if not self.loaded:
            self.loaded = True
            (self.folder / f"{os.getpid()}-{id(self)}").touch()
        return float(sum(genome))


def timed_value(fitness, genome):
    """A module-level function of ``(fitness, genome)``, as the search maps (picklable partials)."""
    return fitness(genome)


@contextlib.contextmanager
def interrupted_in_epoch(monkeypatch, trainer, epoch: int = 2):
    """Within the body, ``trainer.train_epoch`` raises KeyboardInterrupt (a kill) when
    called for the ``epoch``-th time; the real one is back after the body."""
    real, calls = trainer.train_epoch, []

    def crash(*args, **kwargs):
        calls.append(1)
        if len(calls) == epoch:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(trainer, "train_epoch", crash)
    try:
        yield
    finally:
        monkeypatch.setattr(trainer, "train_epoch", real)


def tiny_supernet_training(data, out, *extra) -> list:
    """``train-supernet`` of binmobilenet at width 0.25 on the CPU from ``data`` into ``out``
    (``extra``: more flags), as the tests that feed it bad images run it."""
    cpu = ["--width-mult", "0.25", "--device", "cpu", *extra]
    return ["train-supernet", "--backend", "binmobilenet", *cpu, "--data", data, "--out", out]
