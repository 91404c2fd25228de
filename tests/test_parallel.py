"""Executors: in-order results, and a pool that survives a dead worker."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool

import pytest

from evogroup.parallel import InProcess, RetryingProcessPool, make_executor
from tests.helpers import AlwaysDies, DiesOnce

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
