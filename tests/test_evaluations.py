"""The evaluation budget first: ``search(problem, evaluations=N)`` and ``--evaluations N``,
each strategy's split of N, knobs that agree or contradict, and the settings object that
travels from the caller to the strategy with its options parsed once."""

from __future__ import annotations

import pytest

from evogroup import OptionError, SearchResult, SearchSettings, search
from evogroup.core.configure import configure
from evogroup.core.plugins import get_strategy
from evogroup.core.schedule import DEFAULT_EVALUATIONS, paper_split, plan
from evogroup.strategies.guided.strategy import batch_size, initial_design
from evogroup.testing.strategy_contract import contract_problem
from tests.test_cli import SYNTHETIC, error_lines, invoke

STRATEGIES = ("guided", "paper", "nsga2", "random")


@pytest.fixture(scope="module")
def problem():
    return contract_problem()


def test_nothing_given_is_the_papers_1050():
    for name in STRATEGIES:
        assert configure(name).evaluations == DEFAULT_EVALUATIONS == 1050
    paper = configure("paper")
    assert (paper.population, paper.crossovers, paper.mutations, paper.iterations) == (
        50,
        25,
        25,
        20,
    )
    assert SearchSettings().evaluations == 1050


def test_knobs_without_n_keep_their_old_meaning():
    sizes = plan(paper_split, population=20, iterations=3)
    assert sizes == {
        "population": 20,
        "crossovers": 25,
        "mutations": 25,
        "iterations": 3,
        "evaluations": 170,
    }


def test_paper_maps_n_onto_its_published_knobs():
    assert plan(paper_split, 160) == {
        "population": 50,
        "crossovers": 25,
        "mutations": 25,
        "iterations": 3,
        "evaluations": 160,
    }
    assert plan(paper_split, 30)["population"] == 30
    assert plan(paper_split, 1050)["iterations"] == 20


def test_each_strategy_documents_its_own_split():
    guided = get_strategy("guided").split(160)
    assert (
        (guided.population, guided.children) == (initial_design(160), batch_size(160)) == (20, 10)
    )
    assert get_strategy("random").split(160).population == 160
    for name in STRATEGIES:
        assert get_strategy(name).split.__doc__


@pytest.mark.parametrize("name", STRATEGIES)
@pytest.mark.parametrize("split", [None, (50, 50), (16, 16)])
def test_exactly_n_evaluations_whatever_the_split(problem, name, split):
    sizes = (
        {}
        if split is None
        else {
            "population": split[0],
            "crossovers": split[1] // 2,
            "mutations": split[1] - split[1] // 2,
        }
    )
    result = search(problem, strategy=name, evaluations=70, rescore_top=0, **sizes)
    assert result.evaluations == 70 == result.settings["evaluations"]


def test_n_and_contradicting_iterations_is_one_error(problem):
    with pytest.raises(OptionError, match=r"evaluations=160 contradicts iterations=3"):
        search(problem, evaluations=160, population=20, crossovers=5, mutations=5, iterations=3)
    agreeing = configure(
        "paper", evaluations=160, population=20, crossovers=5, mutations=5, iterations=14
    )
    assert agreeing.evaluations == 160
    with pytest.raises(OptionError, match="population <= evaluations"):
        configure("paper", evaluations=10, population=20)


def test_the_options_are_parsed_once_and_travel_as_one_object(problem):
    settings = configure("paper", {"constraint": "repair"}, evaluations=40)
    options = settings.strategy_options
    assert options.constraint == "repair" and type(options).__name__ == "PaperOptions"
    strategy = get_strategy("paper")(problem, settings)
    assert strategy.options is options
    result = search(problem, settings=settings)
    assert result.settings["strategy_options"] == {"constraint": "repair"}
    with pytest.raises(OptionError, match="not both"):
        search(problem, settings=settings, evaluations=40)


def test_random_search_is_the_registered_strategy(problem):
    from evogroup import random_search

    direct = random_search(problem, 25, seed=4)
    assert direct.settings["strategy"] == "random" and direct.evaluations == 25
    again = search(problem, strategy="random", evaluations=25, seed=4, rescore_top=0)
    assert [e.genome for e in again.history] == [e.genome for e in direct.history]


# -- the command line --------------------------------------------------------------------

SEARCH = ["search", *SYNTHETIC, "--budget", "0.8e8"]


def test_cli_evaluations_is_the_budget_and_the_result_states_it(tmp_path):
    invoke([*SEARCH, "--evaluations", "23", "--out", tmp_path / "run"])
    result = SearchResult.load(tmp_path / "run" / "result.json")
    assert result.evaluations == 23 == result.settings["evaluations"]


def test_cli_evaluations_and_contradicting_iterations_is_one_line(tmp_path):
    result = invoke(
        [
            *SEARCH,
            "--evaluations",
            "160",
            "--population",
            "20",
            "--crossovers",
            "5",
            "--mutations",
            "5",
            "--iterations",
            "3",
            "--out",
            tmp_path / "r",
        ],
        exit_code=2,
    )
    (line,) = error_lines(result)
    assert "evaluations=160 contradicts iterations=3" in line
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "flags",
    [
        ["--constraint", "repair", "--strategy-option", "constraint=reject"],
        ["--strategy-option", "constraint=reject", "--constraint", "repair"],
    ],
)
def test_contradicting_strategy_flags_are_one_line_in_either_order(tmp_path, flags):
    result = invoke([*SEARCH, "--strategy", "paper", *flags, "--out", tmp_path / "r"], exit_code=2)
    (line,) = error_lines(result)
    assert "contradicts" in line and "constraint=reject" in line and "repair" in line


def test_agreeing_strategy_flags_are_fine(tmp_path):
    invoke(
        [
            *SEARCH,
            "--strategy",
            "paper",
            "--constraint",
            "repair",
            "--strategy-option",
            "constraint=repair",
            "--evaluations",
            "12",
            "--out",
            tmp_path / "r",
        ]
    )


def test_strategies_lists_every_strategy_with_its_options():
    output = invoke(["strategies"]).output
    for name in STRATEGIES:
        assert f"\n{name}  " in "\n" + output
    assert "constraint=reject|repair [default: reject]" in output
    assert "160: 20 + 10 per iteration; 400: 20 + 10 per iteration; 1050: 50 + 50" in output
    assert "1050: 1050 at once" in output  # random


def _from_before_n(run) -> None:
    """Make ``run`` look written before ``evaluations`` existed (no N in its config or in
    its checkpoint's identity)."""
    import json

    config = json.loads((run / "config.json").read_text())
    del config["search"]["evaluations"]
    (run / "config.json").write_text(json.dumps(config))
    state = json.loads((run / "checkpoint.json").read_text())
    state["identity"]["settings"].pop("evaluations", None)  # a resumed run keeps its identity
    (run / "checkpoint.json").write_text(json.dumps(state))


def test_a_run_from_before_n_resumes_or_is_refused_in_one_line(tmp_path):
    run = tmp_path / "old"
    split = ["--population", "8", "--crossovers", "3", "--mutations", "3"]
    invoke([*SEARCH, *split, "--iterations", "1", "--out", run])
    _from_before_n(run)
    invoke([*SEARCH, *split, "--iterations", "2", "--out", run, "--resume"])
    assert SearchResult.load(run / "result.json").evaluations == 8 + 2 * 6
    _from_before_n(run)
    refused = invoke([*SEARCH, "--out", run, "--resume"], exit_code=1)
    (line,) = error_lines(refused)
    assert "was run with search.crossovers=3" in line


def test_reproduce_runs_the_papers_algorithm_and_names_it(tmp_path):
    out = tmp_path / "repro"
    result = invoke(
        [
            "reproduce",
            *SYNTHETIC,
            "--budget",
            "0.8e8",
            "--strategy",
            "paper",
            "--strategy-option",
            "constraint=repair",
            "--evaluations",
            "12",
            "--out",
            out,
        ]
    )
    assert (
        "evolutionary search: strategy paper (constraint=repair), 12 evaluations" in result.output
    )
    search_result = SearchResult.load(out / "search" / "result.json")
    assert search_result.settings["strategy"] == "paper" and search_result.evaluations == 12
