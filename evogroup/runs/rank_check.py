"""Can the supernet be trusted? Compare its ranking of genomes with training from scratch.

``rank_check`` picks K genomes over the cost range under the budget, denser near the
budget (where the search chooses), scores each with the backend's proxy fitnesses (for a
weight-sharing backend: the supernet with and without BatchNorm recalibration), trains
each stand-alone with the backend's ``train`` step, and reports the statistics of
:mod:`evogroup.runs.rank_stats` (Kendall's tau and Spearman's rho over all genomes, tau over the
better half and within cost bins, regret@1/3/5) with bootstrap 95 % intervals, beside
the same statistics of ranking by cost alone (dearer genomes higher): a proxy that does
not beat it ranks no better than taking the dearest genome under the budget. Every
finished training is kept in the run directory, so a rerun with ``resume`` skips it.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import random
from dataclasses import dataclass
from typing import Any

from evogroup.backend.base import Backend, Run
from evogroup.backend.options import BackendOptions
from evogroup.core.cost import CostTable
from evogroup.core.errors import InvalidValueError
from evogroup.core.io import atomic_write_json
from evogroup.core.operators import sample_feasible
from evogroup.core.problem import Limit, Problem
from evogroup.core.space import Genome
from evogroup.runs import plots
from evogroup.runs.rank_stats import (
    RESAMPLES,
    Correlation,
    rank_statistics,
    statistics_table,
)
from evogroup.runs.rank_verdict import verdict
from evogroup.runs.reproduce import retrain
from evogroup.runs.search_run import supernet_for
from evogroup.runs.table import Candidate

_POOL_PER_SAMPLE = 40


@dataclass(frozen=True)
class RankCheck:
    """The outcome: one row per genome, every statistic per proxy fitness, and the same
    statistics of ranking by cost alone (what a proxy must beat)."""

    rows: list[dict[str, Any]]
    statistics: dict[str, dict[str, Correlation]]  # proxy -> statistic -> value and interval
    main: str  # the proxy the verdict is about (the one the search uses)
    cost: dict[str, Correlation] | None = None

    @property
    def kendall(self) -> dict[str, Correlation]:
        return {name: s["kendall_tau"] for name, s in self.statistics.items()}

    @property
    def spearman(self) -> dict[str, Correlation]:
        return {name: s["spearman_rho"] for name, s in self.statistics.items()}

    @property
    def cost_kendall(self) -> Correlation | None:
        return None if self.cost is None else self.cost["kendall_tau"]

    @property
    def verdict(self) -> str:
        return verdict(self.kendall[self.main], self.cost_kendall)

    def to_json(self) -> dict[str, Any]:
        def js(stats: dict[str, Correlation]) -> dict[str, Any]:
            return {k: v.to_json() for k, v in stats.items()}

        return {
            "samples": len(self.rows),
            "main": self.main,
            "verdict": self.verdict,
            "kendall": js(self.kendall),
            "spearman": js(self.spearman),
            "cost_kendall": None if self.cost_kendall is None else self.cost_kendall.to_json(),
            "statistics": {name: js(s) for name, s in self.statistics.items()},
            "cost_statistics": None if self.cost is None else js(self.cost),
            "rows": self.rows,
        }

    def lines(self) -> list[str]:
        """The summary a person reads: tau and rho per proxy, every statistic beside cost
        alone's, then the verdict."""
        out = [
            f"{name}: Kendall tau {s['kendall_tau'].text()},"
            f" Spearman rho {s['spearman_rho'].text()}"
            for name, s in self.statistics.items()
        ]
        if self.cost is not None:
            out.append(f"cost alone (dearer ranks higher): Kendall tau {self.cost_kendall.text()}")
        columns = dict(self.statistics)
        if self.cost is not None:
            columns["cost alone"] = self.cost
        out.extend(statistics_table(columns))
        out.append(f"verdict ({self.main}, {len(self.rows)} genomes): {self.verdict}")
        return out


def stratified_genomes(problem: Problem, samples: int, seed: int) -> list[Genome]:
    r"""``samples`` distinct genomes under the budget, over its cost range, denser near the
    budget (where a search chooses between genomes).

    A pool of feasible genomes (uniform draws, rejection then repair, plus the cheapest
    genome) is cut into ``samples`` cost intervals between the cheapest pooled cost
    :math:`c_0` and the dearest :math:`c_1`, with edges
    :math:`e_i = c_0 + (c_1 - c_0)\sqrt{i / \mathrm{samples}}`: the first interval spans
    29 % of the range for 12 samples, the last 4 %, and half of the intervals lie in the
    top 29 %. One genome is drawn from each interval; intervals left empty are made up
    from the fullest ones. Sorted by cost.
    """
    if samples < 2:
        raise InvalidValueError(f"samples >= 2 must hold, but got samples={samples!r}")
    rng = random.Random(seed)
    pool = {sample_feasible(problem, rng) for _ in range(samples * _POOL_PER_SAMPLE)}
    if isinstance(problem.cost, CostTable) and problem.feasible(problem.cost.min_genome()):
        pool.add(problem.cost.min_genome())
    pool = sorted(pool, key=lambda g: (problem.cost(g), g))
    if len(pool) < samples:
        raise InvalidValueError(
            f"only {len(pool)} distinct genomes fit the budget; ask for fewer samples"
        )
    low, high = problem.cost(pool[0]), problem.cost(pool[-1])
    span = (high - low) or 1.0
    bins: list[list[Genome]] = [[] for _ in range(samples)]
    for g in pool:
        position = ((problem.cost(g) - low) / span) ** 2  # the inverse of the sqrt edges
        bins[min(samples - 1, int(position * samples))].append(g)
    chosen = [rng.choice(b) for b in bins if b]
    while len(chosen) < samples:  # empty intervals: draw again from the fullest
        rest = max(bins, key=lambda b: len(set(b) - set(chosen)))
        chosen.append(rng.choice(sorted(set(rest) - set(chosen))))
    return sorted(chosen, key=lambda g: (problem.cost(g), g))


def rank_check(
    backend: Backend,
    opts: BackendOptions,
    run: Run,
    *,
    samples: int = 12,
    budget: float | None = None,
    cost_label: str = "cost",
    budget_min: float = 0.0,
    resamples: int = RESAMPLES,
    limits: tuple[Limit, ...] = (),
) -> RankCheck:
    """Train (or take) the supernet, score ``samples`` stratified genomes within
    ``[budget_min, budget]`` (checked by the command) with every proxy, train each from
    scratch, compute every statistic (``resamples`` bootstrap resamples for the intervals),
    and write ``rank_check.csv``, ``rank_check.json`` and ``rank_check.png`` into
    ``run.dir``. ``limits`` (e.g. a latency budget) bound the sampled genomes too."""
    budget = backend.cost(opts).max_cost if budget is None else budget
    supernet = supernet_for(backend, run, opts)
    problem = backend.problem(budget, run, opts, supernet, budget_min=budget_min)
    problem = dataclasses.replace(problem, limits=limits) if limits else problem
    genomes = stratified_genomes(problem, samples, run.seed)
    proxies = backend.proxies(problem, opts)
    rows = []
    for i, genome in enumerate(genomes, 1):
        row = {"genome": list(genome), "cost": problem.cost(genome)}
        row.update({name: _score(run, name, genome, fitness) for name, fitness in proxies.items()})
        trained = retrain(backend, opts, Candidate(f"rank check {i:02d}", genome), run, run.seed)
        row["top1"] = trained.top1
        rows.append(row)
    truth, costs = [r["top1"] for r in rows], [r["cost"] for r in rows]
    statistics = {
        n: rank_statistics([r[n] for r in rows], truth, costs, resamples=resamples, seed=run.seed)
        for n in proxies
    }
    cost = rank_statistics(costs, truth, costs, resamples=resamples, seed=run.seed)
    check = RankCheck(rows, statistics, main=next(iter(proxies)), cost=cost)
    _write(check, run, cost_label)
    return check


def _score(run: Run, name: str, genome: Genome, fitness: Any) -> float:
    """A proxy's score, kept in ``scores.json`` so a resumed check does not recompute it."""
    path = run.layout.rank_scores
    scores = json.loads(path.read_text()) if path.exists() else {}
    key = f"{name}|{','.join(map(str, genome))}"
    if key not in scores:
        scores[key] = float(fitness(genome))
        atomic_write_json(path, scores)
    return scores[key]


def _write(check: RankCheck, run: Run, cost_label: str) -> None:
    atomic_write_json(run.layout.rank_check_json, check.to_json())
    names = list(check.kendall)
    with run.layout.rank_check_csv.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["genome", "cost", *names, "top1"])
        writer.writeheader()
        writer.writerows({**r, "genome": ",".join(map(str, r["genome"]))} for r in check.rows)
    plots.rank_scatter(
        check.rows, check.main, run.layout.rank_check_plot, cost_label, check.lines()[0]
    )
