"""The examples in the docstrings of the core, the torch layer and the backends run and
print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "evogroup.runs.baselines",
    "evogroup.core.cost",
    "evogroup.rundir.layout",
    "evogroup.core.problem",
    "evogroup.core.loop",
    "evogroup.core.space",
    "evogroup.core.units",
    "evogroup.rundir.lock",
    "evogroup.cli.errors",
    "evogroup.runs.rank_stats",
    "evogroup.finalists.stage",
    "evogroup.finalists.ladder",
    "evogroup.torch.nn.binary",
    "evogroup.torch.data.sources",
    "evogroup.torch.backend.flops",
    "evogroup.torch.nn.masked",
    "evogroup.torch.device.accel",
    "evogroup.torch.data.jpeg",
    "evogroup.torch.train.steps",
    "evogroup.torch.device.runtime",
    "evogroup.torch.options.recipe",
    "evogroup.torch.options.choices",
    "evogroup.torch.nn.choice_bn",
    "binmobilenet",
    "binmobilenet.backend",
    "binmobilenet.supernet",
    "birealnet.backend",
    "birealnet.supernet",
    "anynet",
    "anynet.backend",
    "anynet.factory",
    "anynet.networks",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0, f"{name} has no docstring example"
    assert failed == 0
