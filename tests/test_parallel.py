"""Executors: in-order results, and a pool that survives a dead worker."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from functools import partial

import pytest

from evogroup.executors.processes import InProcess, RetryingProcessPool
from evogroup.executors.workers import Workers, make_executor
from tests.helpers import AlwaysDies, CountsLoads, DiesOnce, timed_value

GENOMES = [(1, 2), (4, 4), (2, 8), (16, 1)]


def test_one_worker_runs_in_process():
    with make_executor(1) as executor:
        assert isinstance(executor, InProcess)
        assert list(executor.map(sum, GENOMES)) == [3, 8, 10, 17]


def test_pool_retries_the_genomes_of_a_dead_worker(tmp_path):
    with make_executor(2) as pool:
        assert list(pool.map(DiesOnce(tmp_path / "died"), GENOMES)) == [3.0, 8.0, 10.0, 17.0]
    assert (tmp_path / "died").exists()


def test_pool_gives_up_after_its_retries():
    pool = RetryingProcessPool(1, retries=1)
    try:
        with pytest.raises(BrokenProcessPool):
            list(pool.map(AlwaysDies(), GENOMES))
    finally:
        pool.shutdown()


def test_each_pool_worker_loads_the_fitness_once(tmp_path):
    fitness = CountsLoads(tmp_path)
    with make_executor(2) as pool:
        for _ in range(2):  # a search maps a new partial of the same fitness every iteration
            assert list(pool.map(partial(timed_value, fitness), GENOMES * 2)) == [3, 8, 10, 17] * 2
    assert 1 <= len(list(tmp_path.iterdir())) <= 2


def test_workers_refuses_a_bad_setting():
    with pytest.raises(ValueError, match="kind must be one of"):
        Workers(2, kind="dask")
