"""Checkpoint and resume: the same result as an uninterrupted run, no work redone, wrong files refused."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from evogroup import CheckpointError, CostTable, Problem
from evogroup.core.loop import search
from tests.helpers import CountingFitness, strip_timing

SETTINGS = dict(population=10, top_k=4, crossovers=5, mutations=5, iterations=4, seed=3)
# 50 evaluations, which guided plans as 11 + 10 x 4 (its own initial design, batches of
# 10): stopping at call 24 leaves iterations 0-1 (21) checkpointed and 2 evaluations of
# iteration 2 logged after the checkpoint.
STOP = 23


@pytest.fixture
def files(tmp_path):
    return {"checkpoint": tmp_path / "checkpoint.json", "log": tmp_path / "evaluations.jsonl"}


def interrupt(problem, files, stop_after=STOP, **settings):
    """Run until the fitness raises KeyboardInterrupt (as Ctrl-C would); return its calls."""
    fitness = CountingFitness(problem.fitness, stop_after)
    with pytest.raises(KeyboardInterrupt):
        search(replace(problem, fitness=fitness), **{**SETTINGS, **settings}, **files)
    return fitness.calls


def resume(problem, files, **settings):
    fitness = CountingFitness(problem.fitness)
    result = search(replace(problem, fitness=fitness), **{**SETTINGS, **settings}, **files)
    return result, fitness.calls


def test_interrupted_then_resumed_equals_uninterrupted(synthetic_problem, files):
    expected = search(synthetic_problem, **SETTINGS)
    interrupt(synthetic_problem, files)
    result, _ = resume(synthetic_problem, files)
    assert strip_timing(result) == strip_timing(expected)


def test_resume_reuses_evaluations_logged_after_the_checkpoint(synthetic_problem, files):
    first = interrupt(synthetic_problem, files)
    checkpointed = json.loads(files["checkpoint"].read_text())["history"]
    assert len(checkpointed) == 21 and len(files["log"].read_text().splitlines()) == STOP
    result, second = resume(synthetic_problem, files)
    assert not set(first) & set(second)
    assert len(first) + len(second) == result.evaluations == 50


def test_log_after_resume_holds_every_evaluation_once(synthetic_problem, files):
    interrupt(synthetic_problem, files)
    result, _ = resume(synthetic_problem, files)
    logged = [json.loads(line) for line in files["log"].read_text().splitlines()]
    assert logged == [e.to_json() for e in result.history]


def test_a_line_cut_by_a_crash_is_skipped(synthetic_problem, files):
    expected = search(synthetic_problem, **SETTINGS)
    interrupt(synthetic_problem, files)
    with files["log"].open("a") as fh:
        fh.write('{"iteration": 2, "genome": [32, 3')
    result, _ = resume(synthetic_problem, files)
    assert strip_timing(result) == strip_timing(expected)


def test_interrupted_twice(synthetic_problem, files):
    expected = search(synthetic_problem, **SETTINGS)
    interrupt(synthetic_problem, files, stop_after=5)  # before the first checkpoint
    interrupt(synthetic_problem, files, stop_after=17)
    result, _ = resume(synthetic_problem, files)
    assert strip_timing(result) == strip_timing(expected)


def test_extension_equals_a_longer_run(synthetic_problem, files):
    """With a fixed split (``paper``); ``guided`` plans its schedule from N, so its extended
    run continues the shorter run's plan, as the next test shows."""
    paper = {**SETTINGS, "strategy": "paper"}
    expected = search(synthetic_problem, **{**paper, "iterations": 6})
    search(synthetic_problem, **paper, **files)
    result, calls = resume(synthetic_problem, files, iterations=6, strategy="paper")
    assert strip_timing(result) == strip_timing(expected)
    assert len(calls) == 2 * 10


def test_a_guided_run_extends_by_evaluations(synthetic_problem, files):
    search(synthetic_problem, **SETTINGS, **files)
    result, calls = resume(synthetic_problem, files, iterations=6)
    assert result.evaluations == 70 and len(calls) == 20
    assert len({e.genome for e in result.history}) == 70


def test_resuming_a_finished_run_evaluates_nothing(synthetic_problem, files):
    expected = search(synthetic_problem, **SETTINGS, **files)
    result, calls = resume(synthetic_problem, files)
    assert calls == []
    assert strip_timing(result) == strip_timing(expected)


def test_checkpoint_is_written_atomically(synthetic_problem, files):
    search(synthetic_problem, **SETTINGS, **files)
    assert sorted(p.name for p in files["checkpoint"].parent.iterdir()) == [
        "checkpoint.json",
        "evaluations.jsonl",
    ]


def other_space(problem):
    space = replace(problem.space, layers=problem.space.layers[:-1])
    table = CostTable(problem.cost.table[:-1], problem.cost.constant)
    return Problem(space, lambda g: problem.fitness(g + (1024,)), table, problem.budget)


def other_cost(problem):
    return replace(problem, cost=CostTable(problem.cost.table, problem.cost.constant + 1))


@pytest.mark.parametrize(
    ("change", "settings", "message"),
    [
        (
            lambda p: replace(p, budget=0.9e8),
            {},
            r"belongs to another problem: its budget is 80000000\.0",
        ),
        (other_space, {}, "belongs to another problem: its space is"),
        (other_cost, {}, "belongs to another problem: its cost is"),
        (
            lambda p: p,
            {"population": 12},
            "was written with population=10, but this search uses population=12",
        ),
        (lambda p: p, {"seed": 4}, "was written with seed=3, but this search uses seed=4"),
        (lambda p: p, {"mutation_prob": 0.2}, "was written with mutation_prob=0.1"),
    ],
)
def test_checkpoint_of_another_search_is_refused(
    synthetic_problem, files, change, settings, message
):
    interrupt(synthetic_problem, files)
    with pytest.raises(CheckpointError, match=message):
        search(change(synthetic_problem), **{**SETTINGS, **settings}, **files)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda text: text[: len(text) // 2],
        lambda text: "",
        lambda text: "garbage",
        lambda text: "[]",
        lambda text: text.replace("evogroup-search-state/1", "evogroup-search-state/0"),
        lambda text: json.dumps({**json.loads(text), "rng_state": [3, [1, 2], None]}),
        lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "history"}),
    ],
    ids=["truncated", "empty", "not-json", "not-an-object", "format", "rng-state", "missing-key"],
)
def test_corrupt_checkpoint_is_refused(synthetic_problem, files, corrupt):
    search(synthetic_problem, **SETTINGS, **files)
    files["checkpoint"].write_text(corrupt(files["checkpoint"].read_text()))
    with pytest.raises(
        CheckpointError, match="is corrupt or truncated .*; delete it to start over"
    ):
        search(synthetic_problem, **SETTINGS, **files)


def test_checkpoint_with_a_mangled_identity_is_refused(synthetic_problem, files):
    search(synthetic_problem, **SETTINGS, **files)
    data = json.loads(files["checkpoint"].read_text())
    del data["identity"]["settings"]
    files["checkpoint"].write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="was written with population=None"):
        search(synthetic_problem, **SETTINGS, **files)
