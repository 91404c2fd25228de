"""The real-landscape benchmark's code path, on synthetic stand-ins of the same shapes (no data)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import landscapes  # noqa: E402
import real_landscapes  # noqa: E402
from peers import rea  # noqa: E402

from evogroup import CostTable  # noqa: E402


@pytest.fixture(scope="module")
def stand_ins():
    return landscapes.synthetic()


def test_stand_ins_have_the_real_shapes(stand_ins):
    nb201, proxy, cbm = stand_ins
    assert nb201.space.size == 5**6 and cbm.space.size == 4**7
    assert isinstance(nb201.cost, CostTable) and not isinstance(cbm.cost, CostTable)
    assert nb201.cost((1,) * 6) == pytest.approx(220.1e6, rel=1e-3)  # NB201's reported range
    assert proxy.truth is nb201.truth and proxy.seen is not nb201.truth
    assert proxy.problem(proxy.budgets[0], run_seed=0).proxy
    assert not nb201.problem(nb201.budgets[0], run_seed=0).proxy
    problem = cbm.problem(cbm.budgets[0], run_seed=1)
    genome = next(iter(cbm.draws))
    assert problem.fitness(genome) == problem.fitness(genome) in cbm.draws[genome]


def test_a_nb201_key_maps_to_codes_dearest_first():
    key = "[(('nor_conv_3x3', 0),), (('none', 0), ('skip_connect', 1)), (('nor_conv_1x1', 0), ('avg_pool_3x3', 1), ('none', 2))]"
    assert landscapes.nb201_genome(key) == (1, 5, 3, 2, 4, 5)


def test_rea_makes_exactly_the_evaluations_it_is_given(stand_ins):
    land = stand_ins[0]
    problem = land.problem(land.budgets[1], run_seed=0)
    seen = rea(problem, seed=0, evaluations=45)
    assert len(seen) == 45 and all(problem.feasible(g) for g in seen)


def test_evaluations_to_within_tolerance(stand_ins):
    land = stand_ins[0]
    genomes = sorted(land.truth, key=land.truth.get)[-3:]  # the three best, worst first
    history = [(g, land.truth[g]) for g in genomes]
    optimum = land.truth[genomes[-1]]
    assert real_landscapes.to_within(land, history, optimum, tolerance=0.0) == 3
    assert real_landscapes.to_within(land, history[:2], optimum, tolerance=0.0) == math.inf


def test_the_benchmark_runs_every_peer_on_the_stand_ins(capsys):
    peers = [p for p in real_landscapes.PEERS if p != "optuna TPE"]
    real_landscapes.main(
        [
            "--synthetic",
            "--seeds",
            "1",
            "--evaluations",
            "40",
            "--peers",
            ",".join(peers),
            "--tpe-seeds",
            "0",
        ]
    )
    out = capsys.readouterr().out
    for land in ("synthetic NB201 ground truth", "synthetic NB201 one-shot proxy", "synthetic CBM"):
        assert f"{land}" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")]
    regrets = [float(row[-7]) for row in rows if row[-7].replace(".", "").isdigit()]
    assert len(regrets) == 3 * len(peers) and min(regrets) >= 0
