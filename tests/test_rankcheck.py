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


def test_stratified_genomes_cover_the_cost_range_densely_near_the_budget(backend):
    problem = backend.problem(1.0e8)
    genomes = stratified_genomes(problem, 10, seed=3)
    costs = [problem.cost(g) for g in genomes]
    assert len(set(genomes)) == 10 and costs == sorted(costs)
    assert all(c <= 1.0e8 for c in costs)
    table = backend.cost()
    span = 1.0e8 - table.min_cost
    position = [(c - table.min_cost) / span for c in costs]
    # interval edges at sqrt(i / 10) of the range: the first ends at 0.32, the last starts at 0.95
    assert position[0] < 0.32 and position[-1] > 0.9
    assert sum(p > 0.7 for p in position) >= 5  # half of them in the top 30 %
    assert stratified_genomes(problem, 10, seed=3) == genomes


@pytest.mark.slow  # a supernet and its genomes trained: about a minute on 2 cores
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
    fitness = [r["fitness"] for r in data["rows"]]
    half = [i for i, t in enumerate(truth) if t >= sorted(truth)[3] / 2 + sorted(truth)[4] / 2]
    better = data["statistics"]["fitness"]["kendall_tau_better_half"]
    assert better["value"] == pytest.approx(
        stats.kendalltau([fitness[i] for i in half], [truth[i] for i in half])[0]
    )
    assert better["low"] <= better["value"] <= better["high"]
    assert set(data["cost_statistics"]) == set(data["statistics"]["fitness"])
    assert data["statistics"]["fitness"]["regret_at_1"]["value"] >= 0
    assert (tmp_path / "rank_check.csv").read_text().count("\n") == 9
    assert (tmp_path / "rank_check.png").is_file()


@pytest.mark.slow  # a check cut short and resumed: about a minute on 2 cores
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
    output = invoke(
        ["rank-check", "--backend", "synthetic", "--samples", "6", "--out", tmp_path / "rc"]
    ).output
    assert "Kendall tau" in output and "95% CI" in output and "verdict" in output
    assert "cost alone (dearer ranks higher): Kendall tau" in output
    for label in (
        "Kendall tau, better half",
        "Kendall tau within cost bins",
        "regret@1",
        "regret@3",
        "regret@5",
    ):
        assert label in output


def test_cli_refuses_too_few_samples(tmp_path):
    result = invoke(["rank-check", "--backend", "synthetic", "--samples", "1"], exit_code=2)
    assert "--samples" in result.output
