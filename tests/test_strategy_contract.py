"""Every built-in strategy passes the strategy contract, and so does one from outside the
package: registered through an entry point of a temporary distribution, run by the contract
and by ``evogroup search``."""

from __future__ import annotations

import sys
import textwrap

import pytest

from evogroup import SearchResult
from evogroup.core.plugins import STRATEGIES, get_strategy
from evogroup.testing import StrategyContract
from tests.test_cli import SYNTHETIC, error_lines, invoke

THIRD_PARTY = textwrap.dedent('''
    """A strategy written outside evogroup: hill climbing from the best genomes."""
    from dataclasses import dataclass

    from evogroup import option
    from evogroup.core.operators import mutate, sample_feasible
    from evogroup.core.strategy import (
        Offspring, Strategy, StrategyOptions, draw_unique, initial_population,
    )


    @dataclass(frozen=True)
    class ClimbOptions(StrategyOptions):
        prob: float = option(0.3, "probability that a child redraws each gene", low=0, high=1)


    class Climb(Strategy):
        name = "climb"
        summary = "hill climbing from the top-K (a third-party example)"
        Options = ClimbOptions

        def initial(self, rng):
            return initial_population(lambda: sample_feasible(self.problem, rng), self.settings.population)

        def breed(self, archive, taken, rng):
            out = Offspring([])
            parents = [tuple(ind) for ind in archive]

            def child():
                genome = mutate(rng.choice(parents), self.problem.space, rng, self.options.prob)
                return genome if self.problem.feasible(genome) else None

            out.genomes = draw_unique(child, self.children, taken, out) if parents else []
            return out
''')


@pytest.fixture(scope="module")
def third_party(tmp_path_factory):
    """A distribution ``climb-strategy`` on sys.path whose entry point registers ``climb``."""
    site = tmp_path_factory.mktemp("site")
    (site / "climb_strategy.py").write_text(THIRD_PARTY)
    info = site / "climb_strategy-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: climb-strategy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[evogroup.strategies]\nclimb = climb_strategy:Climb\n")
    sys.path.insert(0, str(site))
    STRATEGIES.entry_points.cache_clear()
    yield "climb"
    sys.path.remove(str(site))
    sys.modules.pop("climb_strategy", None)
    STRATEGIES.entry_points.cache_clear()


class TestGuided(StrategyContract):
    strategy = "guided"


class TestPaperReject(StrategyContract):
    strategy = "paper"


class TestPaperRepair(StrategyContract):
    strategy = "paper"
    strategy_options = {"constraint": "repair"}


class TestNSGA2(StrategyContract):
    strategy = "nsga2"


class TestRandom(StrategyContract):
    strategy = "random"


class TestThirdPartyByName(StrategyContract):
    strategy = "climb"
    strategy_options = {"prob": 0.5}

    @pytest.fixture(autouse=True)
    def installed(self, third_party):
        return third_party


class TestThirdPartyAsAClass(StrategyContract):
    """A strategy object passed to search() directly, registered nowhere."""

    @pytest.fixture(autouse=True)
    def as_class(self, third_party, monkeypatch):
        monkeypatch.setattr(type(self), "strategy", get_strategy(third_party))


SEARCH = ["search", *SYNTHETIC, "--budget", "0.8e8", "--population", "8", "--iterations", "2"]


def test_a_third_party_strategy_runs_through_the_command_line(third_party, tmp_path):
    out = tmp_path / "run"
    invoke([*SEARCH, "--strategy", third_party, "--strategy-option", "prob=0.2", "--out", out])
    result = SearchResult.load(out / "result.json")
    assert result.settings["strategy"] == "climb"
    assert result.settings["strategy_options"] == {"prob": 0.2}
    assert len({e.genome for e in result.history}) == len(result.history) > 8


def test_a_third_party_option_is_typed_and_checked(third_party, tmp_path):
    result = invoke(
        [
            *SEARCH,
            "--strategy",
            third_party,
            "--strategy-option",
            "prob=2",
            "--out",
            tmp_path / "run",
        ],
        exit_code=2,
    )
    (line,) = error_lines(result)
    assert "prob <= 1 must hold, but got prob=2.0" in line
    assert not (tmp_path / "run").exists()
