"""The budget range on the command line: checked once per command, before its run directory, and
given to the backend's problem by every command that searches or samples (search, reproduce,
rank-check)."""

from __future__ import annotations

import json

import pytest

from evogroup.backend.synthetic import SyntheticBackend
from tests.test_cli import SYNTHETIC, error_lines, invoke

TINY = ["--population", "6", "--iterations", "1"]


def test_search_checks_its_budget_once(tmp_path, monkeypatch):
    calls = []
    original = SyntheticBackend.check_budget
    monkeypatch.setattr(
        SyntheticBackend,
        "check_budget",
        lambda self, budget, opts=None: calls.append(budget) or original(self, budget, opts),
    )
    invoke(["search", *SYNTHETIC, "--budget", "0.8e8", *TINY, "--out", tmp_path / "run"])
    assert calls == [0.8e8]


def test_reproduce_searches_within_the_budget_range(tmp_path):
    out = tmp_path / "run"
    invoke(
        ["reproduce", *SYNTHETIC, "--budget", "0.8e8", "--budget-min", "0.6e8", *TINY, "--out", out]
    )
    config = json.loads((out / "config.json").read_text())
    assert config["extra"]["budget_min"] == 0.6e8
    history = json.loads((out / "search" / "result.json").read_text())["history"]
    assert history and all(0.6e8 <= e["cost"] <= 0.8e8 for e in history)


def test_rank_check_samples_within_the_budget_range(tmp_path):
    out = tmp_path / "run"
    invoke(
        [
            "rank-check",
            *SYNTHETIC,
            "--budget",
            "0.8e8",
            "--budget-min",
            "0.5e8",
            "--samples",
            "4",
            "--out",
            out,
        ]
    )
    rows = json.loads((out / "rank_check.json").read_text())["rows"]
    assert len(rows) == 4 and all(0.5e8 <= r["cost"] <= 0.8e8 for r in rows)


@pytest.mark.parametrize("command", ["search", "reproduce", "rank-check"])
def test_a_range_no_genome_reaches_is_one_line_and_leaves_no_directory(tmp_path, command):
    out = tmp_path / "run"
    result = invoke(
        [command, *SYNTHETIC, "--budget", "6.4e8", "--budget-min", "4.3e8", "--out", out],
        exit_code=1,
    )
    (line,) = error_lines(result)
    assert "no genome costs within [budget_min, budget]" in line
    assert not out.exists()


@pytest.mark.parametrize("command", ["search", "reproduce", "rank-check"])
def test_budget_min_above_budget_is_a_usage_error(tmp_path, command):
    result = invoke(
        [
            command,
            *SYNTHETIC,
            "--budget",
            "0.5e8",
            "--budget-min",
            "0.6e8",
            "--out",
            tmp_path / "run",
        ],
        exit_code=2,
    )
    assert "--budget-min <= --budget must hold" in error_lines(result)[0]
    assert not (tmp_path / "run").exists()
