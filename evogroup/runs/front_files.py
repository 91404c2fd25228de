"""The front's files in a run directory: ``pareto.csv`` and its plot."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping

from evogroup.core.front import Front
from evogroup.core.result import SearchResult
from evogroup.core.space import Genome
from evogroup.rundir.layout import RunLayout
from evogroup.runs import plots


def save_front(
    result: SearchResult,
    files: RunLayout,
    cost_label: str = "cost",
    costs: Mapping[str, Callable[[Genome], float]] | None = None,
) -> Front:
    """Write ``pareto.csv`` (one row per non-dominated genome, by cost) and ``pareto_front.png``;
    ``costs`` adds a column per named cost (e.g. ``flops`` and ``latency_ms`` of a search
    under two constraints)."""
    front, costs = result.front, dict(costs or {})
    with files.pareto_csv.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["cost", *costs, "fitness", "iteration", "genome"])
        for e in front.points:
            extra = [cost(e.genome) for cost in costs.values()]
            writer.writerow([e.cost, *extra, e.fitness, e.iteration, ",".join(map(str, e.genome))])
    plots.pareto_front(result, front, files.front_plot, cost_label)
    return front
