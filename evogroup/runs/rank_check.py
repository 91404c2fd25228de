"""Can the supernet be trusted? Compare its ranking of genomes with training from scratch.

``rank_check`` picks K genomes spread over the cost range under the budget (stratified by
cost, not just the best ones), scores each with the backend's proxy fitnesses (for a
weight-sharing backend: the supernet with and without BatchNorm recalibration), trains
each stand-alone with the backend's ``train`` step, and reports Kendall's tau and
Spearman's rho between the two rankings with bootstrap 95 % intervals, beside the tau of
ranking by cost alone (dearer genomes higher): a proxy that does not beat it ranks no
better than taking the dearest genome under the budget. Every finished training is kept
in the run directory, so a rerun with ``resume`` skips it.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from typing import Any

from evogroup.backend.base import Backend, Run
from evogroup.backend.options import BackendOptions
from evogroup.core.cost import CostTable
from evogroup.core.io import atomic_write_json
from evogroup.core.operators import sample_feasible
from evogroup.core.problem import Problem
from evogroup.core.space import Genome
from evogroup.runs import plots
from evogroup.runs.pipeline import Candidate, retrain, supernet_for
from evogroup.runs.rank_stats import Correlation, bootstrap, kendall_tau, spearman_rho, verdict

_POOL_PER_SAMPLE = 40


@dataclass(frozen=True)
class RankCheck:
    """The outcome: one row per genome, and tau / rho per proxy fitness."""

    rows: list[dict[str, Any]]
    kendall: dict[str, Correlation]
    spearman: dict[str, Correlation]
    main: str  # the proxy the verdict is about (the one the search uses)
    cost_kendall: Correlation | None = None  # ranking by cost alone: what a proxy must beat

    @property
    def verdict(self) -> str:
        return verdict(self.kendall[self.main], self.cost_kendall)

    def to_json(self) -> dict[str, Any]:
        return {
            "samples": len(self.rows), "main": self.main, "verdict": self.verdict,
            "kendall": {k: v.to_json() for k, v in self.kendall.items()},
            "spearman": {k: v.to_json() for k, v in self.spearman.items()},
            "cost_kendall": None if self.cost_kendall is None else self.cost_kendall.to_json(),
            "rows": self.rows,
        }  # fmt: skip

    def lines(self) -> list[str]:
        """The summary a person reads: tau and rho per proxy, then the verdict."""
        out = []
        for name in self.kendall:
            t, r = self.kendall[name], self.spearman[name]
            out.append(f"{name}: Kendall tau {t.value:.3f} (95% CI {t.low:.3f} to {t.high:.3f}),"
                       f" Spearman rho {r.value:.3f} (95% CI {r.low:.3f} to {r.high:.3f})")  # fmt: skip
        if self.cost_kendall is not None:
            c = self.cost_kendall
            out.append(f"cost alone (dearer ranks higher): Kendall tau {c.value:.3f}"
                       f" (95% CI {c.low:.3f} to {c.high:.3f})")  # fmt: skip
        out.append(f"verdict ({self.main}, {len(self.rows)} genomes): {self.verdict}")
        return out


def stratified_genomes(problem: Problem, samples: int, seed: int) -> list[Genome]:
    """``samples`` distinct genomes under the budget, spread over its cost range.

    A pool of feasible genomes (uniform draws, rejection then repair, plus the cheapest
    genome) is cut into ``samples`` equal-width cost intervals between the cheapest pooled
    cost and the dearest; one genome is drawn from each interval, and intervals left empty
    are made up from the fullest ones. Sorted by cost.
    """
    if samples < 2:
        raise ValueError(f"samples >= 2 must hold, but got samples={samples!r}")
    rng = random.Random(seed)
    pool = {sample_feasible(problem, rng) for _ in range(samples * _POOL_PER_SAMPLE)}
    if isinstance(problem.cost, CostTable) and problem.feasible(problem.cost.min_genome()):
        pool.add(problem.cost.min_genome())
    pool = sorted(pool, key=lambda g: (problem.cost(g), g))
    if len(pool) < samples:
        raise ValueError(f"only {len(pool)} distinct genomes fit the budget; ask for fewer samples")
    low, high = problem.cost(pool[0]), problem.cost(pool[-1])
    width = (high - low) / samples or 1.0
    bins: list[list[Genome]] = [[] for _ in range(samples)]
    for g in pool:
        bins[min(samples - 1, int((problem.cost(g) - low) / width))].append(g)
    chosen = [rng.choice(b) for b in bins if b]
    while len(chosen) < samples:  # empty intervals: draw again from the fullest
        rest = max(bins, key=lambda b: len(set(b) - set(chosen)))
        chosen.append(rng.choice(sorted(set(rest) - set(chosen))))
    return sorted(chosen, key=lambda g: (problem.cost(g), g))


def rank_check(
    backend: Backend, opts: BackendOptions, run: Run, *, samples: int = 12,
    budget: float | None = None, cost_label: str = "cost", budget_min: float = 0.0,
) -> RankCheck:  # fmt: skip
    """Train (or take) the supernet, score ``samples`` stratified genomes within
    ``[budget_min, budget]`` (checked by the command) with every proxy, train each from
    scratch, and write ``rank_check.csv``, ``rank_check.json`` and ``rank_check.png`` into
    ``run.dir``."""
    budget = backend.cost(opts).max_cost if budget is None else budget
    supernet = supernet_for(backend, run, opts)
    problem = backend.problem(budget, run, opts, supernet, budget_min=budget_min)
    genomes = stratified_genomes(problem, samples, run.seed)
    proxies = backend.proxies(problem, opts)
    rows = []
    for i, genome in enumerate(genomes, 1):
        row = {"genome": list(genome), "cost": problem.cost(genome)}
        row.update({name: _score(run, name, genome, fitness) for name, fitness in proxies.items()})
        trained = retrain(backend, opts, Candidate(f"rank check {i:02d}", genome), run, run.seed)
        row["top1"] = trained.top1
        rows.append(row)
    truth = [r["top1"] for r in rows]
    kendall = {n: bootstrap(kendall_tau, [r[n] for r in rows], truth, seed=run.seed) for n in proxies}
    spearman = {n: bootstrap(spearman_rho, [r[n] for r in rows], truth, seed=run.seed) for n in proxies}
    cost = bootstrap(kendall_tau, [r["cost"] for r in rows], truth, seed=run.seed)
    check = RankCheck(rows, kendall, spearman, main=next(iter(proxies)), cost_kendall=cost)
    _write(check, run, cost_label)
    return check


def _score(run: Run, name: str, genome: Genome, fitness: Any) -> float:
    """A proxy's score, kept in ``scores.json`` so a resumed check does not recompute it."""
    path = run.dir / "scores.json"
    scores = json.loads(path.read_text()) if path.exists() else {}
    key = f"{name}|{','.join(map(str, genome))}"
    if key not in scores:
        scores[key] = float(fitness(genome))
        atomic_write_json(path, scores)
    return scores[key]


def _write(check: RankCheck, run: Run, cost_label: str) -> None:
    atomic_write_json(run.dir / "rank_check.json", check.to_json())
    names = list(check.kendall)
    with (run.dir / "rank_check.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["genome", "cost", *names, "top1"])
        writer.writeheader()
        writer.writerows({**r, "genome": ",".join(map(str, r["genome"]))} for r in check.rows)
    plots.rank_scatter(check.rows, check.main, run.dir / "rank_check.png", cost_label,
                       check.lines()[0])  # fmt: skip
