"""rank-check: stratified genomes, the statistics of a whole check, files, resume, CLI."""

from __future__ import annotations

import json

import pytest
from scipy import stats

from evogroup import Run, get_backend
from evogroup.runs.rank_check import rank_check, stratified_genomes
from evogroup.testing.fixtures import invoke


@pytest.fixture
def backend():
    return get_backend("synthetic")


def test_stratified_genomes_are_distinct_within_budget_and_spread_over_cost(backend):
    problem = backend.problem(1.0e8)
    genomes = stratified_genomes(problem, 10, seed=3)
    costs = [problem.cost(g) for g in genomes]
    assert len(set(genomes)) == 10 and costs == sorted(costs)
    assert all(c <= 1.0e8 for c in costs)
    table = backend.cost()
    span = 1.0e8 - table.min_cost
    assert costs[0] < table.min_cost + 0.2 * span and costs[-1] > table.min_cost + 0.8 * span
    assert stratified_genomes(problem, 10, seed=3) == genomes


def test_a_check_on_a_noise_free_proxy_is_perfect_and_its_files_are_written(backend, tmp_path):
    opts = backend.options(noise=0.0)
    run = Run(tmp_path, echo=lambda _: None, progress=False)
    check = rank_check(backend, opts, run, samples=8)
    # the synthetic "training" is the noise-free score plus small seeded noise
    assert check.kendall["fitness"].value > 0.6
    assert check.verdict.startswith(("trustworthy", "usable"))
    data = json.loads((tmp_path / "rank_check.json").read_text())
    assert data["samples"] == 8 and len(data["rows"]) == 8
    costs, truth = [r["cost"] for r in data["rows"]], [r["top1"] for r in data["rows"]]
    assert data["cost_kendall"]["value"] == pytest.approx(stats.kendalltau(costs, truth)[0])
    assert (tmp_path / "rank_check.csv").read_text().count("\n") == 9
    assert (tmp_path / "rank_check.png").is_file()


def test_resume_keeps_finished_trainings(backend, tmp_path):
    run = Run(tmp_path, echo=lambda _: None, progress=False)
    first = rank_check(backend, backend.options(), run, samples=6)
    called = []
    original = backend.train

    def counting(genome, run, opts=None):
        called.append(genome)
        return original(genome, run, opts)

    backend.train = counting
    try:
        again = rank_check(backend, backend.options(), run, samples=6)
    finally:
        del backend.train
    assert called == [] and again.rows == first.rows


def test_cli_prints_kendall_with_its_interval(tmp_path):
    output = invoke(["rank-check", "--backend", "synthetic", "--samples", "6",
                     "--out", tmp_path / "rc"]).output  # fmt: skip
    assert "Kendall tau" in output and "95% CI" in output and "verdict" in output
    assert "cost alone (dearer ranks higher): Kendall tau" in output


def test_cli_refuses_too_few_samples(tmp_path):
    result = invoke(["rank-check", "--backend", "synthetic", "--samples", "1"], exit_code=2)
    assert "--samples" in result.output
