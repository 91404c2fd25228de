"""Test helpers for evogroup and for plug-in authors: Hypothesis strategies, a backend
contract, a supernet contract and a strategy contract.

Install the ``[dev]`` extra (``pip install 'evogroup[dev]'``): this package imports
``pytest`` and ``hypothesis``, so only test suites should import it. Importing it does not
import torch: only :class:`SupernetContract` (loaded when first named) and
:mod:`evogroup.testing.fixtures`'s torch fixtures use torch.

A backend's test suite checks that it plugs into evogroup correctly by subclassing
:class:`BackendContract`::

    from evogroup.testing import BackendContract

    class TestMyNet(BackendContract):
        backend_name = "mynet"
        options = {"width": 0.5}
        budget = 1.2e8

A weight-sharing backend's suite checks its supernet (forward, gradient masks, export) by
subclassing :class:`SupernetContract` and giving it a small supernet::

    from evogroup.testing import SupernetContract

    class TestMyNetSupernet(SupernetContract):
        backend_name = "mynet"

        @pytest.fixture(scope="class")
        def supernet(self):
            return SuperNet(num_classes=10, width_mult=0.25)

A search strategy's suite subclasses :class:`StrategyContract` the same way::

    from evogroup.testing import StrategyContract

    class TestMyStrategy(StrategyContract):
        strategy = "mine"  # or the Strategy subclass itself

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

pytest.register_assert_rewrite(
    "evogroup.testing.contract",
    "evogroup.testing.strategy_contract",
    "evogroup.testing.supernet_contract",
)

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
from evogroup.testing.strategy_contract import StrategyContract  # noqa: E402

__all__ = [
    "BackendContract",
    "StrategyContract",
    "budgets",
    "cost_tables",
    "genomes",
    "layers",
    "log_groups_fitness",
    "problems",
    "search_spaces",
]


def __getattr__(name: str) -> object:
    """:class:`SupernetContract` imports torch: load it when first named (PEP 562)."""
    if name == "SupernetContract":
        from evogroup.testing.supernet_contract import SupernetContract

        return SupernetContract
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
