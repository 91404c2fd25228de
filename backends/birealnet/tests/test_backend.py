"""The birealnet backend: evogroup's backend contract, budget messages, docstring examples."""

from __future__ import annotations

import doctest
import importlib

import pytest

from birealnet.backend import BiRealNetBackend
from evogroup import InfeasibleBudgetError
from evogroup.testing import BackendContract


class TestContract(BackendContract):
    backend_name = "birealnet"
    options = {"width_mult": 0.25, "resolution": 64, "epochs": 1, "final_epochs": 1}


def test_check_budget_names_the_minimum_and_the_real_floor():
    backend = BiRealNetBackend()
    backend.check_budget(1.5e8)
    with pytest.raises(
        InfeasibleBudgetError,
        match=r"budget 1\.000e8 is below the smallest reachable cost 1\.380e8 .*at 224x224.*"
        r"classifier alone cost 1\.378e8",
    ) as info:
        backend.check_budget(1e8)
    assert info.value.genome == backend.cost().min_genome()


def test_options_label_and_arch():
    backend = BiRealNetBackend()
    small = backend.options(width_mult=0.25)
    assert backend.arch(small) == {"width_mult": 0.25}
    assert backend.cost_label(small).endswith(", width 0.25")
    assert backend.cost_label().endswith("224x224, 1000 classes")
    with pytest.raises(ValueError, match="width_mult"):
        backend.options(width_mult=0)


def test_the_cost_label_names_a_width_below_one():
    backend = BiRealNetBackend()
    assert backend.cost_label(backend.options(width_mult=0.5)).endswith("1000 classes, width 0.5")


@pytest.mark.parametrize("name", ["birealnet", "birealnet.backend", "birealnet.supernet"])
def test_docstring_examples(name):
    failed, attempted = doctest.testmod(importlib.import_module(name))
    assert attempted > 0, f"{name} has no docstring example"
    assert failed == 0
