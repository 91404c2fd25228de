"""evogroup.finalists: successive halving, the choice of finalists, failures, resume, bad input."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from evogroup import CostTable, OptionError, Problem, SearchSpace, finalists, search
from evogroup.finalists.ladder import rung_sizes
from tests.helpers import CountingFitness

SPACE = SearchSpace.from_channels([16, 16, 16, 16])  # 5 choices a layer: 625 genomes
COST = CostTable([{g: 16 / g for g in layer.choices} for layer in SPACE.layers])
TARGET = (2, 1, 4, 2)


def proxy(genome):  # a biased proxy: it prefers the cheapest genomes
    return float(sum(genome))


def trained(genome):  # what training tells: the target is best
    return -float(sum(abs(a - b) for a, b in zip(genome, TARGET)))


class Rung:
    """A fidelity of one rung: ``trained`` plus a rung-specific tilt, calls recorded."""

    def __init__(self, rung: int, log: list):
        self.rung, self.log = rung, log

    def __call__(self, genome):
        self.log.append((self.rung, tuple(genome)))
        return trained(genome) + 0.01 * self.rung * genome[0]


@pytest.fixture(scope="module")
def searched():
    problem = Problem(SPACE, proxy, COST, budget=40, proxy=True)
    return problem, search(problem, population=12, iterations=2, seed=0, rescore_top=0)


def test_rung_sizes_divide_by_eta_and_keep_one():
    assert rung_sizes(16, 3, 3) == [16, 5, 1]
    assert rung_sizes(8, 4, 2) == [8, 4, 2, 1]
    assert rung_sizes(2, 3, 4) == [2, 1, 1]


def test_successive_halving_promotes_the_best_of_each_rung_once(searched):
    problem, result = searched
    log: list = []
    out = finalists(problem, result, [Rung(r, log) for r in range(3)], k=8, eta=2, seed=3)
    per_rung = Counter(rung for rung, _ in log)
    assert per_rung == {0: 8, 1: 4, 2: 2}
    assert len(set(log)) == len(log)  # never the same genome at the same rung twice
    assert all(problem.feasible(g) for _, g in log)
    for rung in (1, 2):
        before = [r for r in out.rows if r.scores[rung - 1] is not None]
        kept = sorted(before, key=lambda r: -r.scores[rung - 1])[: per_rung[rung]]
        assert {g for r, g in log if r == rung} == {r.genome for r in kept}
    best = max((r for r in out.rows if r.scores[2] is not None), key=lambda r: r.scores[2])
    assert out.best == best and out.rung == 2 and len(out.rows) == 8
    assert out.proxy_pick == result.best.genome
    proxies = {e.genome: e.fitness for e in result.history}
    assert all(r.proxy == proxies.get(r.genome) and r.cost == COST(r.genome) for r in out.rows)


def test_one_fidelity_trains_at_most_k_distinct_genomes_and_finds_what_training_prefers(searched):
    problem, result = searched
    calls = CountingFitness(trained)
    out = finalists(problem, result, [calls], k=10)
    assert len(calls.calls) == len(set(calls.calls)) == 10
    assert out.best.genome == max(calls.calls, key=trained)
    assert trained(out.best.genome) > trained(result.best.genome)


def test_without_a_proxy_the_finalists_are_the_searchs_best_evaluations(searched):
    _, result = searched
    measured = Problem(SPACE, proxy, COST, budget=40)  # the fitness is a measurement, not a proxy
    calls = CountingFitness(trained)
    finalists(measured, result, [calls], k=6)
    assert calls.calls == [e.genome for e in result.top(6)]


def test_a_fidelity_that_raises_for_one_genome_is_recorded_and_the_rest_go_on(searched):
    problem, result = searched
    first = finalists(problem, result, [trained], k=5, seed=1).rows[1].genome

    def fragile(genome):
        if tuple(genome) == first:
            raise RuntimeError("out of memory")
        return trained(genome)

    out = finalists(problem, result, [fragile, trained], k=5, eta=2, seed=1)
    failed = out.row(first)
    assert failed.scores == (None, None) and "RuntimeError: out of memory" in failed.errors[0]
    assert len(out.rows) == 5 and out.best.genome != first
    assert sum(r.scores[1] is not None for r in out.rows) == 2  # 5 // 2, the failed one not among


def test_kill_then_resume_gives_the_same_winner_and_trains_nothing_twice(searched, tmp_path):
    problem, result = searched
    fidelities = lambda log: [Rung(0, log), Rung(1, log)]  # noqa: E731
    whole: list = []
    expected = finalists(problem, result, fidelities(whole), k=9, eta=3, seed=2)
    checkpoint, log = tmp_path / "finalists.json", []

    class Killed(BaseException):  # as a SIGKILL would, it passes every handler
        pass

    def dies(genome):
        if len(log) == 5:
            raise Killed
        return Rung(0, log)(genome)

    with pytest.raises(Killed):
        finalists(problem, result, [dies, Rung(1, log)], k=9, eta=3, seed=2, checkpoint=checkpoint)
    before = list(log)
    resumed = finalists(problem, result, fidelities(log), k=9, eta=3, seed=2, checkpoint=checkpoint)
    assert resumed.best == expected.best and resumed.rows == expected.rows
    assert len(log) == len(set(log)) == len(whole) and log[:5] == before == whole[:5]
    again: list = []
    finalists(problem, result, fidelities(again), k=9, eta=3, seed=2, checkpoint=checkpoint)
    assert again == []  # a finished stage resumed trains nothing


def test_a_checkpoint_of_other_settings_is_refused(searched, tmp_path):
    problem, result = searched
    checkpoint = tmp_path / "f.json"
    finalists(problem, result, [trained], k=3, checkpoint=checkpoint)
    with pytest.raises(Exception, match=r"written with k=3, but this stage uses k=4"):
        finalists(problem, result, [trained], k=4, checkpoint=checkpoint)


@pytest.mark.parametrize(
    "k,eta,fidelities,message",
    [
        (0, 3, [trained], "k >= 1 must hold, but got k=0"),
        (
            700,
            3,
            [trained],
            "k <= 566 must hold (the genomes of the space within the budget range), but got k=700",
        ),
        (4, 1, [trained], "eta >= 2 (an integer) must hold, but got eta=1"),
        (4, 2.5, [trained], "eta >= 2 (an integer) must hold, but got eta=2.5"),
        (4, 3, [], "fidelities must be a non-empty sequence of callables"),
    ],
)
def test_bad_input_is_one_line_naming_the_rule_and_the_value(searched, k, eta, fidelities, message):
    problem, result = searched
    with pytest.raises(OptionError) as info:
        finalists(problem, result, fidelities, k, eta=eta)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_k_larger_than_the_genomes_within_the_budget_is_refused(searched):
    _, result = searched
    tight = Problem(SPACE, proxy, COST, budget=COST((8, 16, 16, 16)))  # 5 genomes fit
    with pytest.raises(OptionError, match="k <= 5 must hold"):
        finalists(tight, result, [trained], k=6)
    assert len(finalists(tight, result, [trained], k=5).rows) == 5


def test_the_benchmark_runs_every_peer_on_a_stand_in(capsys):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import finalists as bench

    bench.main(
        [
            "--synthetic",
            "--seeds",
            "1",
            "--evaluations",
            "30",
            "--ks",
            "2,3",
            "--landscapes",
            "synthetic CBM",
        ]
    )
    out = capsys.readouterr().out
    rows = {line[2:22].strip(): line[22:].split() for line in out.splitlines() if line[:2] == "  "}
    assert set(bench.PEERS) | {"search alone (K=0)"} <= set(rows)
    for name in bench.PEERS:
        assert len(rows[name]) == 5 and min(float(rows[name][i]) for i in (0, 2)) >= 0


def test_the_limits_benchmark_measures_the_stand_in_at_every_budget(capsys):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import finalists_limits

    finalists_limits.main(["--synthetic", "--target", "1.2"])
    out = capsys.readouterr().out
    assert "synthetic NB201 one-shot proxy: tau +0.67 (+0.51)" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["30M", "50M", "80M", "120M"]
    for _, first, near, better, _, chance, proxys in rows:
        assert float(first) >= 0 and int(near) > 0 and float(proxys) <= float(first)
        assert 0 <= float(better) <= 1 and 0 <= float(chance) <= 1


def test_the_search_suggests_finalists_when_the_rank_check_distrusts_the_supernet(tmp_path):
    import json

    from evogroup.cli.finalists_command import suggestion

    path = tmp_path / "fitness.json"
    check = {"kendall": {"value": 0.2, "low": -0.3, "high": 0.7}, "cost_kendall": {"value": 0.3}}
    path.write_text(json.dumps({"rank_check": check}))
    assert "--finalists" in suggestion(path)
    check = {"kendall": {"value": 0.7, "low": 0.5, "high": 0.9}, "cost_kendall": {"value": 0.3}}
    path.write_text(json.dumps({"rank_check": check}))
    assert suggestion(path) == ""
    path.write_text(json.dumps({"rank_check": None}))
    assert suggestion(path) == "" and suggestion(tmp_path / "missing.json") == ""


@pytest.mark.parametrize("text", ["", "0,4", "4,1", "1,x", "2,2"])
def test_finalist_epochs_must_increase_from_one_up(text):
    import click

    from evogroup.cli.finalists_command import parse_epochs

    with pytest.raises(click.BadParameter, match="increasing positive integers"):
        parse_epochs(text)
    assert parse_epochs("1,4,16") == [1, 4, 16]
