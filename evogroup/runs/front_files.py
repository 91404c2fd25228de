"""The front's files in a run directory: ``pareto.csv`` and its plot."""

from __future__ import annotations

import csv

from evogroup.core.front import Front
from evogroup.core.result import SearchResult
from evogroup.rundir.layout import RunLayout
from evogroup.runs import plots


def save_front(result: SearchResult, files: RunLayout, cost_label: str = "cost") -> Front:
    """Write ``pareto.csv`` (one row per non-dominated genome, by cost) and ``pareto_front.png``."""
    front = result.front
    with files.pareto_csv.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["cost", "fitness", "iteration", "genome"])
        for e in front.points:
            writer.writerow([e.cost, e.fitness, e.iteration, ",".join(map(str, e.genome))])
    plots.pareto_front(result, front, files.front_plot, cost_label)
    return front
