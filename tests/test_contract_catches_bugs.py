"""The backend contract is not vacuous: a broken backend fails the checks it breaks."""

from __future__ import annotations

from importlib.metadata import EntryPoint

from evogroup.backend import registry

pytest_plugins = ["pytester"]

BROKEN = """
import itertools

from evogroup.backend.base import TrainResult
from evogroup.core.cost import CostTable
from evogroup.backend.synthetic import SyntheticBackend, SyntheticOptions
from evogroup.testing import BackendContract

_calls = itertools.count()


class Broken(SyntheticBackend):
    name = "broken"

    def cost(self, opts=None):
        table = super().cost()
        return CostTable(table.table[:-1], table.constant)  # one layer short

    def check_budget(self, budget, opts=None):
        pass  # never refuses a budget

    def problem(self, budget, run, opts=None, supernet=None):
        (run.dir / "supernet.pt").write_text("trained as a side effect")
        return super().problem(budget, run, SyntheticOptions(), supernet)

    def train(self, genome, run, opts=None):
        return TrainResult(50.0 + next(_calls), None, run.seed, tuple(genome), 0.0)


class TestBroken(BackendContract):
    backend_name = "broken"
    budget = 0.8e8

"""


def names(reports):
    return {r.nodeid.split("::", 1)[1] for r in reports}


def test_contract_fails_a_broken_backend(pytester, monkeypatch):
    pytester.makepyfile(test_broken=BROKEN)
    broken = EntryPoint(name="broken", value="test_broken:Broken", group=registry.BACKENDS.group)
    monkeypatch.setattr(registry.BACKENDS, "entry_points", lambda: {"broken": broken})
    registry.get_backend.cache_clear()
    try:
        passed, skipped, failed = pytester.inline_run("-p", "no:cacheprovider").listoutcomes()
    finally:
        registry.get_backend.cache_clear()
    assert {
        "TestBroken::test_registered_under_the_entry_point_group",
        "TestBroken::test_cost_table_matches_the_space",
        "TestBroken::test_cost_report_agrees_with_the_table",
        "TestBroken::test_budget_below_min_cost_is_refused",
        "TestBroken::test_problem_matches_space_cost_and_budget",  # problem() trained
        "TestBroken::test_train_reports_accuracy_and_repeats_with_its_seed",
    } <= names(failed)
    assert "TestBroken::test_space_has_unique_names_and_choices" in names(passed)
    assert not skipped


def test_contract_without_a_backend_name_says_so(pytester):
    pytester.makepyfile(
        "from evogroup.testing import BackendContract\n"
        "class TestUnnamed(BackendContract):\n"
        "    pass\n"
    )
    result = pytester.inline_run("-p", "no:cacheprovider", "-k", "space_has_unique_names")
    (failed,) = result.listoutcomes()[2]
    assert "TestUnnamed must set backend_name" in str(failed.longrepr)
