"""A broken strategy plug-in run through ``evogroup search``: one line naming it, exit code
3 (a plug-in's fault, not the command's), the plug-in's own frames and not evogroup's, the
run directory whole, and ``--resume`` after the fix ends as an uninterrupted run does."""

from __future__ import annotations

import sys
import textwrap

import pytest

from evogroup import SearchResult
from evogroup.cli.errors import PLUGIN
from evogroup.core.errors import PluginError
from evogroup.core.plugins import STRATEGIES
from tests.test_cli import SYNTHETIC, error_lines, invoke

GOOD = textwrap.dedent("""
    from evogroup.core.operators import mutate, sample_feasible
    from evogroup.core.strategy import Offspring, Strategy, draw_unique, initial_population


    class Climb(Strategy):
        name = "climbing"
        summary = "hill climbing"

        def initial(self, rng):
            return initial_population(lambda: sample_feasible(self.problem, rng), self.settings.population)

        def breed(self, archive, taken, rng):
            out = Offspring([])
            parents = [tuple(ind) for ind in archive]

            def child():
                genome = mutate(rng.choice(parents), self.problem.space, rng, 0.5)
                return genome if self.problem.feasible(genome) else None

            out.genomes = BREED
            return out
""")
FIXED = "draw_unique(child, self.children, taken, out)"
FAULTS = {
    "raises": ("[1 / 0]", "raised ZeroDivisionError in breed(): division by zero"),
    "lists": (
        "[list(g) for g in draw_unique(child, self.children, taken, out)]",
        "breed() returned the genome list [",
    ),
    "outside": ("[(3,) * len(self.problem.space.layers)]", "which is not in the search space"),
    "dearest": ("[self.problem.space.uniform(1)]", "outside the budget range"),
}
SEARCH = [
    "search",
    *SYNTHETIC,
    "--budget",
    "0.8e8",
    "--population",
    "6",
    "--iterations",
    "2",
    "--strategy",
    "climbing",
]


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Install a strategy ``climbing`` whose breed() is ``BREED``; returns a function that
    (re)writes it."""
    site = tmp_path / "site"
    info = site / "climbing_strategy-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: climbing-strategy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[evogroup.strategies]\nclimbing = climbing_strategy:Climb\n"
    )
    monkeypatch.syspath_prepend(str(site))

    def install(breed: str) -> None:
        (site / "climbing_strategy.py").write_text(GOOD.replace("BREED", breed))
        sys.modules.pop("climbing_strategy", None)
        STRATEGIES.entry_points.cache_clear()

    yield install
    sys.modules.pop("climbing_strategy", None)
    STRATEGIES.entry_points.cache_clear()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_broken_plugin_exits_3_naming_it_and_resumes_exactly_after_the_fix(
    plugin, tmp_path, fault
):
    breed, needle = FAULTS[fault]
    plugin(breed)
    out = tmp_path / "run"
    result = invoke([*SEARCH, "--out", out], exit_code=PLUGIN)
    (line,) = error_lines(result)
    assert "strategy 'climbing' (climbing_strategy.Climb)" in line and needle in line
    assert "Traceback" not in result.output
    if fault == "raises":
        assert "climbing_strategy.py" in result.output
        assert "evogroup/core" not in result.output  # evogroup's own frames are not shown
    assert (out / "config.json").exists() and (out / "checkpoint.json").exists()
    plugin(FIXED)
    invoke([*SEARCH, "--resume", "--out", out])
    invoke([*SEARCH, "--out", tmp_path / "straight"])
    resumed = SearchResult.load(out / "result.json")
    straight = SearchResult.load(tmp_path / "straight" / "result.json")
    assert [e.genome for e in resumed.history] == [e.genome for e in straight.history]
    assert resumed.best.genome == straight.best.genome


def test_debug_or_the_environment_variable_shows_the_whole_traceback(plugin, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from evogroup.cli.main import main

    plugin(FAULTS["raises"][0])
    args = [str(a) for a in [*SEARCH, "--out", tmp_path / "run"]]
    result = CliRunner().invoke(main, ["--debug", *args])
    assert isinstance(result.exception, PluginError)
    assert isinstance(result.exception.__cause__, ZeroDivisionError)  # the whole chain
    monkeypatch.setenv("EVOGROUP_DEBUG", "1")
    result = CliRunner().invoke(main, [*args[:-2], "--out", str(tmp_path / "run2")])
    assert isinstance(result.exception, PluginError)
