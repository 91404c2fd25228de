"""``evogroup search --latency-budget`` end to end: a real binmobilenet supernet, its measured
latency table, and both limits holding for every genome the search evaluated, and for
every finalist ``evogroup finalists`` trains afterwards."""

from __future__ import annotations

import json

import pytest

from evogroup.backend.registry import get_backend
from evogroup.core.latency import LatencySpec
from evogroup.testing.fixtures import invoke

TINY = ["--backend", "binmobilenet", "--module", "M2", "--width-mult", "0.25", "--resolution", "32"]


@pytest.mark.slow  # a latency table, a one-epoch supernet and a search: about a minute on 2 cores
def test_a_search_and_its_finalists_under_both_limits_keep_every_genome_within_both(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("EVOGROUP_CACHE", str(tmp_path / "cache"))
    backend = get_backend("binmobilenet")
    opts = backend.options(module="M2", width_mult=0.25, resolution=32)
    table = backend.latency(LatencySpec(resolution=32), opts, echo=lambda *_: None)
    flops = backend.cost(opts)
    slowest, fastest = table.cost(table.cost.max_genome()), table.cost(table.cost.min_genome())
    ms = round(fastest + 0.3 * (slowest - fastest), 3)  # the dearest FLOPs are too slow
    budget = (flops.min_cost + 9 * flops.max_cost) / 10
    out = tmp_path / "run"
    limits = ["--budget", f"{budget:.6g}", "--latency-budget", f"{ms}ms"]
    invoke(["search", *TINY, *limits, "--epochs", "1", "--evaluations", "12", "--out", out])

    evaluated = [json.loads(line) for line in (out / "evaluations.jsonl").read_text().splitlines()]
    assert len(evaluated) == 12
    for row in evaluated:
        genome = tuple(row["genome"])
        assert flops(genome) <= float(f"{budget:.6g}")
        assert table.cost(genome) <= ms
    best = json.loads((out / "result.json").read_text())["best"]["genome"]
    assert tuple(best) in {tuple(row["genome"]) for row in evaluated}
    front = [line.split(",", 3) for line in (out / "pareto.csv").read_text().splitlines()]
    assert front[0][:3] == ["cost", "flops", "latency_ms"] and len(front) > 1
    for _, flop_cost, latency_ms, _ in front[1:]:
        assert float(flop_cost) <= float(f"{budget:.6g}") and float(latency_ms) <= ms

    invoke(["finalists", "--out", out, "--finalists", "3", "--finalist-epochs", "1"])
    rows = (out / "finalists.csv").read_text().splitlines()[1:]
    assert len(rows) == 3
    for row in rows:
        genome = tuple(int(g) for g in row.split(",")[0].split())
        assert flops(genome) <= float(f"{budget:.6g}") and table.cost(genome) <= ms
