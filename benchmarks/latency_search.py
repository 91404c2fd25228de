"""benchmarks/latency.py, part 3: a FLOP-budget search against a search under the latency
the FLOP pick actually needs, on one binmobilenet supernet (imported by latency.py)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from evogroup.backend.base import Run
from evogroup.backend.registry import get_backend
from evogroup.core.latency import LatencySpec
from evogroup.core.loop import search

FLOP_BUDGET = 0.8e8  # the paper's M2 budget at width 1.0
SETTINGS = {
    "population": 16,
    "top_k": 4,
    "crossovers": 8,
    "mutations": 8,
    "iterations": 3,
    "rescore_top": 0,
    "seed": 0,
}
QUICK_SETTINGS = {**SETTINGS, "population": 4, "crossovers": 2, "mutations": 2, "iterations": 1}


def compare_searches(
    options: dict, spec: LatencySpec, supernet: str | None, epochs: int, quick: bool
) -> dict:
    backend = get_backend("binmobilenet")
    opts = backend.options(**options, epochs=epochs)
    flops, table = backend.cost(opts), backend.latency(spec, opts)
    budget = (flops.min_cost + flops.max_cost) / 2 if quick else FLOP_BUDGET
    run = Run(Path(tempfile.mkdtemp(prefix="latency-search-")), seed=0, progress=False)
    path = Path(supernet) if supernet else backend.train_supernet(run, opts)
    settings = QUICK_SETTINGS if quick else SETTINGS
    by_flops = backend.problem(budget, run, opts, path)
    pick_f = search(by_flops, **settings).best.genome
    need = backend.measure_latency(pick_f, spec, opts)
    by_latency = dataclasses.replace(by_flops, cost=table.cost, budget=need["measured_ms"])
    pick_l = search(by_latency, **settings).best.genome
    rows = []
    for name, genome in (("FLOP budget", pick_f), ("latency budget", pick_l)):
        timed = need if genome == pick_f else backend.measure_latency(genome, spec, opts)
        rows.append(
            {
                "search": name,
                "genome": list(genome),
                "flops": flops(genome),
                "predicted_ms": table.cost(genome),
                **timed,
                "fitness": by_flops.fitness(genome),
            }
        )
    _print(rows, budget, need["measured_ms"], backend.space(opts), table, flops)
    return {
        "flop_budget": budget,
        "latency_budget_ms": need["measured_ms"],
        "picks": rows,
        "supernet": str(path),
        "settings": settings,
    }


def _print(rows, budget, ms_budget, space, table, flops) -> None:
    print(
        f"\n## FLOP budget {budget:.3g} vs the latency it needs ({ms_budget:.1f} ms),"
        " one supernet\n"
    )
    print("| search | FLOPs | predicted ms | measured ms | noise ms | supernet fitness |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['search']} | {r['flops'] / 1e8:.3f}e8 | {r['predicted_ms']:.1f} |"
            f" {r['measured_ms']:.1f} | {r['noise_ms']:.1f} | {r['fitness']:.2f} |"
        )
    f, lat = rows[0]["genome"], rows[1]["genome"]
    print("\nlayers where the picks differ (ms and FLOPs of each choice, predicted):\n")
    print("| layer | FLOP pick | latency pick | ms (FLOP pick) | ms (latency pick) | saves ms |")
    print("|---|---|---|---|---|---|")
    for layer, row, a, b in zip(space.layers, table.cost.table, f, lat):
        if a != b:
            print(
                f"| {layer.name} | {a} | {b} | {row[a]:.2f} | {row[b]:.2f} | {row[a] - row[b]:+.2f} |"
            )
