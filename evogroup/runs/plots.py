"""Figures of a run, drawn with matplotlib's Agg backend (no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evogroup.core.result import SearchResult

if TYPE_CHECKING:
    from evogroup.core.front import Front


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(plt, fig, ax, path: str | Path, cost_label: str) -> None:
    """The cost axis label, grid and legend, then save and close the figure."""
    ax.set_xlabel(cost_label, fontsize=7)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def search_progress(result: SearchResult, path: str | Path) -> None:
    """Best-so-far, top-K mean and iteration-mean fitness per iteration."""
    plt = _pyplot()
    its = [s.iteration for s in result.iterations]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(its, [s.best_fitness for s in result.iterations], "o-", label="best so far")
    ax.plot(its, [s.topk_mean for s in result.iterations], "s--", label="top-K mean")
    ax.plot(its, [s.mean_fitness for s in result.iterations], ".:", label="iteration mean")
    ax.set(xlabel="iteration", ylabel="fitness", title="search progress")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def fitness_vs_cost(result: SearchResult, path: str | Path, cost_label: str = "cost") -> None:
    """Every evaluated genome's fitness against its cost, coloured by iteration, with the budget."""
    plt = _pyplot()
    ok = [e for e in result.history if e.ok]
    fig, ax = plt.subplots(figsize=(6, 4))
    points = ax.scatter(
        [e.cost for e in ok],
        [e.fitness for e in ok],
        c=[e.iteration for e in ok],
        s=10,
        cmap="viridis",
    )
    fig.colorbar(points, ax=ax, label="iteration")
    ax.axvline(result.budget, color="red", ls="--", label="budget")
    ax.plot([result.best.cost], [result.best.fitness], "r*", ms=14, label="best")
    ax.set(ylabel="fitness", title="evaluated genomes")
    _finish(plt, fig, ax, path, cost_label)


def accuracy_vs_cost(
    rows: Sequence[dict[str, Any]], budget: float, path: str | Path, cost_label: str = "cost"
) -> None:
    """The ablation: retrained top-1 (mean, with std bars) of every method against its cost."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for row in rows:
        ax.errorbar(
            row["cost"],
            row["top1_mean"],
            yerr=row["top1_std"] or 0,
            fmt="o",
            capsize=3,
            label=row["method"],
        )
    ax.axvline(budget, color="red", ls="--", label="budget")
    ax.set(ylabel="top-1 (%)", title="retrained accuracy vs cost")
    ax.set_xlabel(cost_label, fontsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def pareto_front(
    result: SearchResult, front: Front, path: str | Path, cost_label: str = "cost"
) -> None:
    """Every evaluated genome in grey, the non-dominated front as a staircase, the budget range."""
    plt = _pyplot()
    ok = [e for e in result.history if e.ok]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter([e.cost for e in ok], [e.fitness for e in ok], s=6, c="0.75", label="evaluated")
    ax.step(
        [e.cost for e in front.points],
        [e.fitness for e in front.points],
        "o-",
        where="post",
        ms=4,
        color="C3",
        label=f"front ({len(front)} genomes)",
    )
    ax.axvline(result.budget, color="red", ls="--", label="budget")
    if result.budget_min > 0:
        ax.axvline(result.budget_min, color="red", ls=":", label="budget min")
    ax.set(ylabel="fitness", title="accuracy-cost front")
    _finish(plt, fig, ax, path, cost_label)


def rank_scatter(
    rows: Sequence[dict[str, Any]], proxy: str, path: str | Path, cost_label: str, title: str
) -> None:
    """Supernet fitness (x) against stand-alone accuracy (y), cost as colour."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    points = ax.scatter(
        [r[proxy] for r in rows],
        [r["top1"] for r in rows],
        c=[r["cost"] for r in rows],
        cmap="viridis",
    )
    fig.colorbar(points, ax=ax, label=cost_label[:60])
    ax.set(xlabel=f"supernet fitness ({proxy})", ylabel="stand-alone top-1 (%)")
    ax.set_title(title, fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def finalists_scatter(rows: Sequence[Any], winner: Any, pick: Any, path: str | Path) -> None:
    """The finalists' proxy fitness (x) against their last from-scratch score (y); the
    ladder's winner and the proxy's pick marked (a finalist the search never scored sits at
    the left edge, hollow)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    scored = [r for r in rows if r.last is not None]
    proxies = [r.proxy for r in scored if r.proxy is not None]
    edge = min(proxies) if proxies else 0.0
    for row in scored:
        x, (_, y) = (edge if row.proxy is None else row.proxy), row.last
        hollow = row.proxy is None
        ax.plot([x], [y], "o", color="C0", mfc="none" if hollow else "C0", ms=6)
        if row.genome == winner:
            ax.plot([x], [y], "r*", ms=16, label="finalists' winner")
        if row.genome == pick:
            ax.plot([x], [y], "ks", mfc="none", ms=13, label="proxy's pick")
    ax.set(xlabel="proxy fitness (search)", ylabel="from-scratch score (last rung reached)")
    ax.set_title("finalists: proxy vs training from scratch", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
