r"""What limits ``benchmarks/finalists.py`` at K = 4: how the proxy fails, and what the first
finalist leaves to the next three.

Two tables, from the landscapes alone (no search is run):

1. **The proxy.** For the NB201 one-shot proxy and its synthetic stand-in: Kendall
   :math:`\tau` of the proxy with the truth over the non-degenerate cells (truth above
   15 %) and over their better half; per budget, the regret of the proxy's own optimum
   and the cost of the best cell. A stand-in for the finalists benchmark should fail
   where the real proxy fails.
2. **After the first finalist** (NB201 with its training, ``val-accuracy-cifar10.json``,
   or the stand-in with its own):
   per budget, the first finalist :class:`~evogroup.finalists.choice.FinalistChooser`
   trains (the dearest genome within the budget, ``Planner.dearest``) and its regret; among its one- and
   two-gene neighbours within the budget at least as dear (where the local steps look),
   the share that trains better than it, the proxy's :math:`\tau` with the training
   there, and the chance that three of them drawn at random (``DRAWS`` times, seeded)
   bring the best trained of the four to at most ``--target`` points of regret, and that
   regret when the three are the proxy's best of them (the whole table's proxy, which the
   search never sees all of).

Run: python benchmarks/finalists_limits.py --data ../shared/data [--target 1.2]
(``--synthetic``: the stand-ins alone; ``--seeds`` is not used).
"""

from __future__ import annotations

import random

import numpy as np
from finalists import Task, real_tasks, synthetic_tasks
from landscapes import Landscape, load_real, synthetic
from real_landscapes import landscape_parser
from scipy.stats import kendalltau

from evogroup.strategies.guided.planning import Planner

DRAWS = 4000
DEGENERATE = 15.0  # truth (%) at or below which a cell is degenerate


def proxy_table(lands: list[Landscape]) -> None:
    print("proxy against truth: tau (cells above 15 %, their better half); per budget:")
    print("  proxy's optimum's regret / cost of the best cell (MACs)")
    for land in lands:
        cells = [g for g in land.truth if land.truth[g] > DEGENERATE]
        truth = np.array([land.truth[g] for g in cells])
        proxy = np.array([land.seen[g] for g in cells])
        half = truth >= np.median(truth)
        tau_all, tau_half = kendalltau(truth, proxy)[0], kendalltau(truth[half], proxy[half])[0]
        budgets = []
        for budget in land.budgets:
            within = [g for g in land.truth if land.cost(g) <= budget]
            best = max(within, key=land.truth.__getitem__)
            regret = land.optimum(budget) - land.truth[max(within, key=land.seen.__getitem__)]
            budgets.append(f"{budget / 1e6:g}M {regret:.2f} / {land.cost(best) / 1e6:.1f}M")
        print(f"  {land.name}: tau {tau_all:+.2f} ({tau_half:+.2f}); " + ", ".join(budgets))


def first_finalist_table(task: Task, target: float) -> None:
    land, train = task.land, task.training
    print(f"\nafter the first finalist ({land.name}, with its finalist training):")
    header = "budget  first regret  neighbours  train better  tau(proxy, val)"
    print(f"  {header}  P(best of 4 <= {target:g})  proxy's 3: regret")
    for budget in land.budgets:
        problem = land.problem(budget, 0)
        first = Planner(problem).dearest()
        optimum, floor = land.optimum(budget), land.cost(first)
        near = [
            g
            for g in land.truth
            if 0 < sum(a != b for a, b in zip(g, first)) <= 2 and floor <= land.cost(g) <= budget
        ]
        scores = np.array([train(g) for g in near])
        tau = kendalltau([land.seen[g] for g in near], scores)[0]
        rng = random.Random(0)
        hits = 0
        for _ in range(DRAWS):
            four = [first, *rng.sample(near, min(3, len(near)))]
            hits += optimum - land.truth[max(four, key=train)] <= target
        by_proxy = [first, *sorted(near, key=land.seen.__getitem__)[-3:]]
        proxys = optimum - land.truth[max(by_proxy, key=train)]
        print(
            f"  {budget / 1e6:>5g}M  {optimum - land.truth[first]:>12.2f}  {len(near):>10}"
            f"  {np.mean(scores > train(first)):>12.2f}  {tau:>15.2f}  {hits / DRAWS:>20.2f}"
            f"  {proxys:>17.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = landscape_parser(__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=1.2, help="regret, points")
    args = parser.parse_args(argv)
    real = [] if args.synthetic else [load_real(args.data)[1]]
    proxy_table([*real, synthetic()[1]])
    tasks = synthetic_tasks() if args.synthetic else real_tasks(args.data)
    first_finalist_table(tasks[0], args.target)


if __name__ == "__main__":
    main()
