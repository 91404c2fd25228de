"""Pytest fixtures and helpers for the test suites of torch backends.

Import the fixtures into a backend's ``conftest.py`` to use them::

    from evogroup.testing.fixtures import flop_cache, one_thread, random_genome  # noqa: F401

and ``invoke`` in tests that drive the command line.
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Models under test are tiny: one torch thread is as fast, and immune to busy neighbours."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True, scope="session")
def flop_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One fresh FLOP-table cache (``EVOGROUP_CACHE``) for the session: tables are built once."""
    with pytest.MonkeyPatch.context() as mp:
        path = tmp_path_factory.mktemp("evogroup-cache")
        mp.setenv("EVOGROUP_CACHE", str(path))
        yield path


@pytest.fixture(scope="session")
def random_genome() -> Callable[[Any, int], tuple[int, ...]]:
    """``random_genome(net, seed)``: a seeded uniform draw from ``net.space``."""
    from evogroup.core.operators import sample

    return lambda net, seed: sample(net.space, random.Random(seed))


def invoke(args: Sequence[Any], exit_code: int = 0) -> Any:
    """Run ``evogroup ARGS`` in-process; on an unexpected exit code, fail showing the output
    and any traceback. A traceback in the output is a failure too."""
    from click.testing import CliRunner

    from evogroup.cli.main import main

    args = [str(a) for a in args]
    result = CliRunner().invoke(main, args)
    error = ""
    if result.exc_info and not isinstance(result.exception, SystemExit):
        error = "".join(traceback.format_exception(*result.exc_info))
    assert result.exit_code == exit_code, (
        f"evogroup {' '.join(args)} exited {result.exit_code}, expected {exit_code}\n"
        f"--- output ---\n{result.output}{error}"
    )
    assert "Traceback" not in result.output
    return result
