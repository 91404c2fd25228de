"""The reproduce command's table: one row per retrained candidate (test accuracy with its
spread over seeds, cost, whether within budget), written as markdown, CSV, JSON and a plot."""

from __future__ import annotations

import csv
import statistics
from dataclasses import dataclass

from evogroup.backend.base import TrainResult
from evogroup.core.io import atomic_write_json
from evogroup.core.problem import Problem
from evogroup.core.result import SearchResult
from evogroup.core.space import Genome
from evogroup.core.units import format_flops
from evogroup.rundir.layout import RunLayout
from evogroup.runs import plots


@dataclass(frozen=True)
class Candidate:
    """One line of the ablation: how the genome was chosen, and the genome."""

    method: str
    genome: Genome


def table_row(
    cand: Candidate,
    problem: Problem,
    results: list[TrainResult],
    evo: SearchResult,
    rs: SearchResult,
) -> dict:
    def stat(values: list[float | None]) -> tuple[float | None, float | None]:
        values = [v for v in values if v is not None]
        if not values:
            return None, None
        return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else None)

    top1, top1_std = stat([r.top1 for r in results])
    top5, top5_std = stat([r.top5 for r in results])
    cost = problem.cost(cand.genome)
    evaluations = {"random search": rs.evaluations, "evolutionary search": evo.evaluations}.get(
        cand.method
    )
    return {
        "method": cand.method,
        "evaluations": evaluations,
        "genome": list(cand.genome),
        "cost": cost,
        "within_budget": cost <= problem.budget,
        "top1_mean": top1,
        "top1_std": top1_std,
        "top5_mean": top5,
        "top5_std": top5_std,
        "seeds": [r.seed for r in results],
    }


def _pm(mean: float | None, std: float | None) -> str:
    if mean is None:
        return "-"
    return f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


def markdown_table(rows: list[dict], budget: float, cost_label: str) -> str:
    lines = [
        f"Budget {format_flops(budget)} — {cost_label}",
        "",
        "| method | top-1 (%) | top-5 (%) | cost | within budget | seeds |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        name = r["method"] + (f" ({r['evaluations']} evals)" if r.get("evaluations") else "")
        lines.append(
            f"| {name} | {_pm(r['top1_mean'], r['top1_std'])} | {_pm(r['top5_mean'], r['top5_std'])}"
            f" | {format_flops(r['cost'])} | {'yes' if r['within_budget'] else 'no'} | {len(r['seeds'])} |"
        )
    return "\n".join(lines) + "\n"


def write_table(rows: list[dict], budget: float, files: RunLayout, cost_label: str) -> None:
    """``table.md``, ``table.csv``, ``table.json`` and ``acc_vs_flops.png``."""
    files.table_md.write_text(markdown_table(rows, budget, cost_label))
    atomic_write_json(files.table_json, {"budget": budget, "cost": cost_label, "rows": rows})
    with files.table_csv.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(
            {
                **r,
                "genome": ",".join(map(str, r["genome"])),
                "seeds": ",".join(map(str, r["seeds"])),
            }
            for r in rows
        )
    plots.accuracy_vs_cost(
        [r for r in rows if r["top1_mean"] is not None],
        budget,
        files.table_plot,
        cost_label,
    )
