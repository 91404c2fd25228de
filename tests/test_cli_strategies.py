"""``evogroup search --strategy / --constraint / --budget-min``, and the front in the run directory."""

from __future__ import annotations

import csv
import json

import pytest

from evogroup import SearchResult
from tests.test_cli import SYNTHETIC, error_lines, invoke

SEARCH = ["search", *SYNTHETIC, "--budget", "0.8e8", "--iterations", "3"]


def test_nsga2_writes_a_pareto_csv_of_non_dominated_points_within_budget(tmp_path):
    invoke([*SEARCH, "--strategy", "nsga2", "--out", tmp_path])
    with (tmp_path / "pareto.csv").open() as fh:
        rows = [(float(r["cost"]), float(r["fitness"])) for r in csv.DictReader(fh)]
    assert len(rows) > 5
    assert all(cost <= 0.8e8 for cost, _ in rows)
    for a in rows:
        assert not any(b != a and b[0] <= a[0] and b[1] >= a[1] for b in rows)
    result = SearchResult.load(tmp_path / "result.json")
    assert result.settings["strategy"] == "nsga2"
    for budget in (0.5e8, 0.6e8, 0.7e8, 0.8e8):
        within = [e.fitness for e in result.history if e.ok and e.cost <= budget]
        assert result.front.best_under(budget).fitness == max(within)


def test_budget_min_bounds_every_genome_and_is_recorded(tmp_path):
    invoke([*SEARCH, "--budget-min", "0.7e8", "--strategy", "paper", "--out", tmp_path])
    result = SearchResult.load(tmp_path / "result.json")
    assert all(0.7e8 <= e.cost <= 0.8e8 for e in result.history)
    assert result.budget_min == 0.7e8
    assert json.dumps(0.7e8) in (tmp_path / "config.json").read_text()


def test_budget_min_above_the_budget_is_a_usage_error(tmp_path):
    result = invoke([*SEARCH, "--budget-min", "0.9e8", "--out", tmp_path / "run"], exit_code=2)
    assert "--budget-min <= --budget must hold" in result.output


def test_an_empty_budget_range_fails_in_one_line(tmp_path):
    result = invoke(
        [*SEARCH, "--budget-min", "3e8", "--budget", "4e8", "--out", tmp_path], exit_code=1
    )
    (line,) = error_lines(result)
    assert "no genome costs within [budget_min, budget]" in line and "the most expensive" in line


def test_strategy_and_constraint_choices_are_checked(tmp_path):
    result = invoke([*SEARCH, "--strategy", "spos", "--out", tmp_path / "run"], exit_code=2)
    assert "Invalid value for '--strategy'" in result.output
    invoke([*SEARCH, "--strategy", "paper", "--constraint", "repair", "--out", tmp_path / "ok"])
    settings = SearchResult.load(tmp_path / "ok" / "result.json").settings
    assert (settings["strategy"], settings["strategy_options"]) == (
        "paper",
        {"constraint": "repair"},
    )


@pytest.mark.parametrize(
    "flags",
    [
        ["--constraint", "repair"],
        ["--strategy", "nsga2", "--constraint", "repair"],
        ["--strategy-option", "constraint=repair"],
    ],
)
def test_an_option_the_strategy_does_not_have_is_refused_and_leaves_no_run(tmp_path, flags):
    out = tmp_path / "run"
    result = invoke([*SEARCH, *flags, "--out", out], exit_code=2)
    (line,) = error_lines(result)
    assert "has no option 'constraint'; it has: none" in line
    assert not out.exists()


def test_strategy_option_pairs_are_typed_by_the_strategy(tmp_path):
    result = invoke(
        [
            *SEARCH,
            "--strategy",
            "paper",
            "--strategy-option",
            "constraint",
            "--out",
            tmp_path / "a",
        ],
        exit_code=2,
    )
    assert "KEY=VALUE must hold, but got 'constraint'" in error_lines(result)[0]
    invoke(
        [
            *SEARCH,
            "--strategy",
            "paper",
            "--strategy-option",
            "constraint=repair",
            "--out",
            tmp_path / "b",
        ]
    )
    settings = SearchResult.load(tmp_path / "b" / "result.json").settings
    assert settings["strategy_options"] == {"constraint": "repair"}


def test_a_backend_recipe_sets_search_settings_left_at_their_defaults():
    import click
    from click.testing import CliRunner

    from evogroup.backend.registry import get_backend
    from evogroup.cli.start import recipe_settings, setting_options

    backend = get_backend("binmobilenet")
    assert backend.search_defaults(backend.options()) == {"iterations": 4}  # digits demo
    assert backend.search_defaults(backend.options(data="/some/imagenet")) == {}
    assert get_backend("synthetic").search_defaults() == {}

    @click.command()
    @setting_options("evaluations", "population", "iterations")
    @click.pass_context
    def probe(ctx, workers, **values):
        chosen = recipe_settings(ctx, backend, backend.options(), values)
        click.echo(f"chosen {chosen['population']} {chosen['iterations']}")

    shown = CliRunner().invoke(probe, []).output  # population: the strategy's split (None)
    assert "chosen None 4" in shown and "--iterations 4: the binmobilenet recipe's" in shown
    typed = CliRunner().invoke(probe, ["--iterations", "20"]).output
    assert "chosen None 20" in typed and "recipe" not in typed  # a typed value is kept
    budget = CliRunner().invoke(probe, ["--evaluations", "300"]).output
    assert "chosen None None" in budget and "recipe" not in budget  # N typed: no recipe size
