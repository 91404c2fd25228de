"""The binmobilenet backend: evogroup's backend contract, budget messages, cost reports."""

from __future__ import annotations

import pytest

from binmobilenet.backend import BinMobileNetBackend
from evogroup import InfeasibleBudgetError
from evogroup.testing import BackendContract


class TestContractSmall(BackendContract):
    backend_name = "binmobilenet"
    options = {
        "module": "M2",
        "width_mult": 0.25,
        "resolution": 64,
        "num_classes": 10,
        "epochs": 1,
        "final_epochs": 1,
    }


class TestContractPaperM1(BackendContract):
    backend_name = "binmobilenet"
    options = {"module": "M1", "epochs": 1, "final_epochs": 1, "batch_size": 256}
    budget = 1.55e8  # the paper's M1 budget (Table 2)


def test_backend_check_budget_names_minimum_genome_and_modules_that_fit():
    backend = BinMobileNetBackend()
    backend.check_budget(0.8e8, backend.options(module="M2"))
    m1 = backend.options(module="M1")
    with pytest.raises(
        InfeasibleBudgetError,
        match=r"below module M1's minimum 1\.470e8 .*at 224x224.*modules that fit: M2, M3",
    ) as info:
        backend.check_budget(0.8e8, m1)
    assert info.value.genome == backend.cost(m1).min_genome()
    with pytest.raises(InfeasibleBudgetError, match="no module fits"):
        backend.check_budget(1e6, backend.options(module="M3"))


def test_backend_space_label_and_cost_report():
    backend = BinMobileNetBackend()
    opts = backend.options(module="M2", width_mult=0.25, resolution=64)
    assert len(backend.space(opts)) == 18
    assert (
        backend.cost_label(backend.options(module="M2"))
        == "FLOPs (binary MACs/64 + real MACs) at 224x224, 1000 classes"
    )
    genome = backend.space(opts).uniform(2)
    report = backend.cost_report(genome, opts)
    assert report["flops"] == pytest.approx(report["cost"])
    assert report["flops"] == pytest.approx(report["binary_macs"] / 64 + report["real_macs"])
    first, second = report["layers"][:2]
    assert first["binary"] and first["binary_macs"] == first["cost"] * 64
    assert not second["binary"] and second["real_macs"] == second["cost"]


def test_unknown_module_option_names_the_allowed_ones():
    with pytest.raises(ValueError, match="module must be one of M1, M2, M3, but got module='M9'"):
        BinMobileNetBackend().options(module="M9")
