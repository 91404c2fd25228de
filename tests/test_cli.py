"""The command line, through click's CliRunner: exit codes, messages, run directories."""

from __future__ import annotations

import csv
import json

import pytest

from evogroup import SearchResult, get_backend
from evogroup.testing.fixtures import invoke
from tests.helpers import strip_timing

SYNTHETIC = ["--backend", "synthetic"]
SEARCH = ["search", *SYNTHETIC, "--budget", "0.8e8", "--iterations", "2", "--population", "10"]
QUICK = ["search", *SYNTHETIC, "--iterations", "0", "--population", "5"]


def error_lines(result):
    return [line for line in result.output.splitlines() if line.startswith("Error:")]


def load_result(out):
    return SearchResult.load(out / "result.json")


# -- backends, space, flops -------------------------------------------------------------


def test_backends_lists_synthetic():
    result = invoke(["backends"])
    assert any(line.split()[0] == "synthetic" for line in result.output.splitlines())
    assert get_backend("synthetic").summary in result.output


def test_version():
    assert "0.1.0" in invoke(["--version"]).output


def test_space_prints_layers_and_cost_range():
    output = invoke(["space", *SYNTHETIC]).output
    assert "block1.conv3x3" in output and "block13.conv3x3" in output
    assert "18 genes" in output
    assert "min 0.201e8" in output and "max 2.136e8" in output


def test_space_with_a_feasible_budget():
    assert "budget 0.800e8 is feasible" in invoke(["space", *SYNTHETIC, "--budget", "80M"]).output


def test_space_with_an_infeasible_budget_fails_in_one_line():
    result = invoke(["space", *SYNTHETIC, "--budget", "1M"], exit_code=1)
    (line,) = error_lines(result)
    assert line.startswith("Error: budget ") and "below the smallest reachable cost 0.201e8" in line


def test_flops_json():
    report = json.loads(invoke(["flops", *SYNTHETIC, "--groups", "4", "--json"]).output)
    table = get_backend("synthetic").cost()
    assert report["genome"] == [4] * 18
    assert report["cost"] == table((4,) * 18)
    assert len(report["layers"]) == 18


def test_flops_table():
    output = invoke(["flops", *SYNTHETIC, "--groups", "4"]).output
    assert "block1.pw_real" in output and "total 0.671e8" in output


def test_flops_of_a_comma_list():
    genome = [2] * 17 + [8]
    report = json.loads(
        invoke(["flops", *SYNTHETIC, "--groups", ",".join(map(str, genome)), "--json"]).output
    )
    assert report["genome"] == genome


@pytest.mark.parametrize(
    "content",
    [lambda g: {"genome": g}, lambda g: g, lambda g: {"best": {"genome": g}, "history": []}],
    ids=["object", "list", "result"],
)
def test_flops_of_a_json_file(tmp_path, content):
    genome = [1, 2] * 9
    path = tmp_path / "genome.json"
    path.write_text(json.dumps(content(genome)))
    report = json.loads(invoke(["flops", *SYNTHETIC, "--groups", path, "--json"]).output)
    assert report["genome"] == genome


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "abc",
            "expected a group count, a comma list of group counts or a JSON file, but got 'abc'",
        ),
        ("4,x", "but got '4,x'"),
    ],
)
def test_flops_refuses_a_bad_groups_value(text, message):
    result = invoke(["flops", *SYNTHETIC, "--groups", text], exit_code=2)
    assert message in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"groups": [1]}', "must hold a genome"),
        ('{"best": 5}', "must hold a genome"),
        ('"4"', "must hold a genome"),
    ],
)
def test_flops_refuses_a_bad_json_file(tmp_path, content, message):
    path = tmp_path / "genome.json"
    path.write_text(content)
    assert message in invoke(["flops", *SYNTHETIC, "--groups", path], exit_code=2).output


def test_flops_refuses_a_genome_of_the_wrong_length():
    result = invoke(["flops", *SYNTHETIC, "--groups", "1,2"], exit_code=2)
    assert error_lines(result) == [
        "Error: Invalid value for '--groups': a genome needs one group count per layer (18), but got 2"
    ]


# -- search -----------------------------------------------------------------------------


def test_search_writes_its_run_directory(tmp_path):
    out = tmp_path / "run"
    output = invoke([*SEARCH, "--out", out]).output
    assert "Best genome:" in output
    result = load_result(out)
    assert result.evaluations == 10 + 2 * 50
    assert result.best.cost <= 0.8e8
    lines = (out / "evaluations.jsonl").read_text().splitlines()
    assert len(lines) == result.evaluations
    with (out / "iterations.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    # guided plans its own schedule for the 110 evaluations (17, then batches of 10)
    assert [int(r["iteration"]) for r in rows] == list(range(len(result.iterations))) != [0]
    config = json.loads((out / "config.json").read_text())
    assert config["backend"] == "synthetic" and config["budget"] == 8e7
    assert config["search"]["population"] == 10 and config["search"]["iterations"] == 2
    assert config["search"]["evaluations"] == 110
    assert config["cost_label"].startswith("FLOPs")
    assert json.loads((out / "env.json").read_text())["seed"] == 0
    assert json.loads((out / "checkpoint.json").read_text())["next_iteration"] == len(rows)


@pytest.mark.parametrize("budget", ["0.8e8", "80M", "80000000", "80 MFLOPs"])
def test_search_reads_budget_formats(tmp_path, budget):
    invoke([*QUICK, "--budget", budget, "--out", tmp_path / "run"])
    assert load_result(tmp_path / "run").budget == 8e7


@pytest.mark.parametrize("budget", ["-3", "abc", "0", "inf"])
def test_search_refuses_bad_budgets(tmp_path, budget):
    result = invoke([*QUICK, "--budget", budget, "--out", tmp_path / "run"], exit_code=2)
    assert "Invalid value for '--budget'" in result.output
    assert not (tmp_path / "run").exists()


def test_search_refuses_an_infeasible_budget(tmp_path):
    result = invoke([*QUICK, "--budget", "0.1e8", "--out", tmp_path / "run"], exit_code=1)
    assert len(error_lines(result)) == 1 and "below the smallest reachable cost" in result.output


def test_unknown_backend_suggests_the_nearest(tmp_path):
    result = invoke(["search", "--backend", "synthetc", "--budget", "1e8"], exit_code=2)
    assert "did you mean 'synthetic'?" in result.output


def test_backend_options_are_offered_and_checked(tmp_path):
    assert "--problem-seed" in invoke(["search", *SYNTHETIC, "--help"]).output
    result = invoke([*QUICK, "--budget", "0.8e8", "--noise", "loud"], exit_code=2)
    assert "Invalid value for '--noise'" in result.output


def test_backend_options_reach_the_problem(tmp_path):
    invoke([*QUICK, "--budget", "0.8e8", "--out", tmp_path / "a"])
    invoke([*QUICK, "--budget", "0.8e8", "--problem-seed", "3", "--out", tmp_path / "b"])
    a, b = load_result(tmp_path / "a"), load_result(tmp_path / "b")
    assert [e.genome for e in a.history] == [e.genome for e in b.history]
    assert [e.fitness for e in a.history] != [e.fitness for e in b.history]


def test_rerun_into_the_same_directory_is_refused(tmp_path):
    invoke([*QUICK, "--budget", "0.8e8", "--out", tmp_path])
    result = invoke([*QUICK, "--budget", "0.8e8", "--out", tmp_path], exit_code=1)
    (line,) = error_lines(result)
    assert "already holds a search run; pass --resume" in line


def test_a_directory_holding_something_else_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = invoke([*QUICK, "--budget", "0.8e8", "--out", tmp_path], exit_code=1)
    assert "is not empty and holds no evogroup run" in result.output


def test_resume_needs_a_run(tmp_path):
    assert (
        "--resume needs --out DIR"
        in invoke([*QUICK, "--budget", "1e8", "--resume"], exit_code=2).output
    )
    result = invoke([*QUICK, "--budget", "1e8", "--resume", "--out", tmp_path], exit_code=1)
    assert "holds no run to resume" in result.output


def test_resume_with_another_budget_is_refused(tmp_path):
    invoke([*SEARCH, "--out", tmp_path])
    result = invoke([*SEARCH, "--budget", "0.9e8", "--out", tmp_path, "--resume"], exit_code=1)
    (line,) = error_lines(result)
    assert "was run with budget=80000000.0, not 90000000.0" in line


def test_a_run_older_than_an_option_resumes_at_its_default_only(tmp_path):
    invoke([*SEARCH, "--out", tmp_path])
    config = json.loads((tmp_path / "config.json").read_text())
    del config["options"]["noise"]  # as written before the option existed
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert "Resuming search in" in invoke([*SEARCH, "--out", tmp_path, "--resume"]).output
    (tmp_path / "config.json").write_text(json.dumps(config))
    result = invoke([*SEARCH, "--noise", "0.5", "--out", tmp_path, "--resume"], exit_code=1)
    assert "was run with options.noise=" in error_lines(result)[0]


def test_resume_with_more_iterations_extends_the_run(tmp_path):
    """With paper's fixed split an extended run is the longer run; guided plans from N, so
    its extension continues the shorter run's plan (tests/test_checkpoint.py)."""
    paper = [*SEARCH, "--strategy", "paper"]
    invoke([*paper, "--out", tmp_path / "short"])
    output = invoke([*paper, "--iterations", "4", "--out", tmp_path / "short", "--resume"]).output
    assert "Resuming search in" in output
    invoke([*paper, "--iterations", "4", "--out", tmp_path / "long"])
    extended = load_result(tmp_path / "short")
    assert extended.evaluations == 10 + 4 * 50
    assert strip_timing(extended) == strip_timing(load_result(tmp_path / "long"))


def test_resume_with_a_corrupt_checkpoint_fails_in_one_line(tmp_path):
    invoke([*SEARCH, "--out", tmp_path])
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(checkpoint.read_text()[:100])
    result = invoke([*SEARCH, "--out", tmp_path, "--resume"], exit_code=1)
    (line,) = error_lines(result)
    assert "checkpoint.json is corrupt or truncated" in line


def test_two_workers_give_the_same_result(tmp_path):
    invoke([*SEARCH, "--workers", "1", "--out", tmp_path / "one"])
    invoke([*SEARCH, "--workers", "2", "--out", tmp_path / "two"])
    assert strip_timing(load_result(tmp_path / "two")) == strip_timing(
        load_result(tmp_path / "one")
    )
