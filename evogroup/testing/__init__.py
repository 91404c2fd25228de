"""Test helpers for evogroup and for backend authors: Hypothesis strategies and a backend contract.

Install the ``[dev]`` extra (``pip install 'evogroup[dev]'``): this package imports
``pytest`` and ``hypothesis``, so only test suites should import it. It never imports torch.

A backend's test suite checks that it plugs into evogroup correctly by subclassing
:class:`BackendContract`::

    from evogroup.testing import BackendContract

    class TestMyNet(BackendContract):
        backend_name = "mynet"
        options = {"width": 0.5}
        budget = 1.2e8

Property tests of code built on the core draw their inputs from the strategies::

    from hypothesis import given
    from evogroup.testing import problems

    @given(problems())
    def test_my_operator(problem): ...
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
    import pytest
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"evogroup.testing needs pytest and hypothesis ({exc}); install them with"
        " pip install 'evogroup[dev]'"
    ) from exc

pytest.register_assert_rewrite("evogroup.testing.contract")

from evogroup.testing.contract import BackendContract  # noqa: E402
from evogroup.testing.genomes import (  # noqa: E402
    budgets,
    cost_tables,
    genomes,
    layers,
    log_groups_fitness,
    problems,
    search_spaces,
)

__all__ = [
    "BackendContract",
    "budgets",
    "cost_tables",
    "genomes",
    "layers",
    "log_groups_fitness",
    "problems",
    "search_spaces",
]
