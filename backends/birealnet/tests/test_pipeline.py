"""birealnet through the command line on a tiny setting: space, an infeasible budget, and
a whole search that trains its supernet first (as `evogroup search` does out of the box)."""

from __future__ import annotations

import json

import pytest

from evogroup import SearchResult
from evogroup.testing.fixtures import invoke

TINY = ["--backend", "birealnet", "--width-mult", "0.25"]


def test_space_shows_the_budget_range():
    output = invoke(["space", "--backend", "birealnet"]).output
    assert "min 1.380e8" in output and "max 1.640e8" in output


def test_an_infeasible_budget_names_the_range_and_stops_before_training(tmp_path):
    result = invoke(
        ["search", "--backend", "birealnet", "--budget", "1.2e8", "--out", tmp_path / "r"],
        exit_code=1,
    )
    assert "below the smallest reachable cost 1.380e8" in result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.slow
def test_a_tiny_search_trains_its_supernet_and_stays_within_budget(tmp_path):
    out = tmp_path / "search"
    invoke(
        [
            "search",
            *TINY,
            "--budget",
            "1.45e8",
            "--epochs",
            1,
            "--population",
            8,
            "--iterations",
            2,
            "--out",
            out,
        ]
    )
    result = SearchResult.load(out / "result.json")
    assert result.best.cost <= 1.45e8 and result.evaluations <= 8 + 2 * 50
    assert (out / "supernet.pt").is_file() and (out / "fitness.json").is_file()
    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == "birealnet" and config["options"]["width_mult"] == 0.25


@pytest.mark.slow
def test_rank_check_runs_through_the_lifecycle(tmp_path):
    args = ["rank-check", *TINY, "--epochs", 1, "--samples", 4, "--final-epochs", 1]
    output = invoke([*args, "--out", tmp_path / "rc"]).output
    assert "Kendall tau" in output and "verdict" in output
