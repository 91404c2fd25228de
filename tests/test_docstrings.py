"""The examples in the docstrings of the core, the torch layer and the backends run and
print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "evogroup.runs.baselines", "evogroup.core.cost", "evogroup.rundir.layout", "evogroup.core.problem",
    "evogroup.core.loop", "evogroup.core.space", "evogroup.core.units", "evogroup.rundir.lock",
    "evogroup.cli.errors", "evogroup.runs.rank_stats",
    "evogroup.torch.binary", "evogroup.torch.data", "evogroup.torch.flops",
    "evogroup.torch.masked", "evogroup.torch.accel", "evogroup.torch.jpeg",
    "evogroup.torch.steps", "evogroup.torch.runtime", "evogroup.torch.recipe",
    "evogroup.torch.choices", "evogroup.torch.choice_bn",
    "binmobilenet", "binmobilenet.backend", "binmobilenet.supernet",
    "birealnet.backend", "birealnet.supernet",
    "anynet", "anynet.backend", "anynet.factory", "anynet.networks",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0, f"{name} has no docstring example"
    assert failed == 0
