r"""How well a proxy (a supernet, a zero-cost score, a predictor) ranks genomes, with
bootstrap intervals: the statistics of ``evogroup rank-check``.

Every statistic compares a proxy's scores :math:`p` with the ground truth :math:`t`
(accuracy after training from scratch) over the same :math:`n` genomes of costs :math:`c`:

- ``kendall_tau``: Kendall's :math:`\tau_b` (``scipy.stats.kendalltau``), concordant
  (:math:`C`) minus discordant (:math:`D`) pairs, corrected for ties in either ranking
  (:math:`T_p`, :math:`T_t` pairs tied in one only),
  :math:`\tau_b = (C - D) / \sqrt{(C + D + T_p)(C + D + T_t)}`.
- ``spearman_rho``: Spearman's :math:`\rho` (``scipy.stats.spearmanr``), Pearson's
  correlation of the average ranks.
- ``kendall_tau_better_half``: :math:`\tau_b` over the genomes with
  :math:`t \ge \operatorname{median}(t)`. A global :math:`\tau` is inflated by trivially bad
  genomes; a search chooses between good ones.
- ``kendall_tau_cost_bins``: :math:`\tau_b` over cost-matched pairs only. The genomes,
  sorted by cost, are cut into ``bins`` groups of (nearly) equal size; the statistic is
  the pair-weighted mean of :math:`\tau_b` within each group,
  :math:`\sum_b \binom{n_b}{2} \tau_b^{(b)} / \sum_b \binom{n_b}{2}` (groups whose
  :math:`\tau_b` is undefined left out): without ties, the :math:`\tau` of the pooled
  within-group pairs. Ranking by cost alone cannot do well here.
- ``regret_at_K`` (:math:`K = 1, 3, 5`): :math:`\max t - \max_{i \in \mathrm{top}_K(p)} t_i`,
  the ground truth lost by retraining the proxy's best :math:`K` genomes instead of
  finding the best (0 is perfect, lower is better; ties in :math:`p` broken by row order).

The 95 % interval is the percentile bootstrap over genomes: resample the :math:`n` rows
with replacement (``numpy.random.Generator``, seeded), recompute every statistic on the
resample with the functions above, take the 2.5th and 97.5th percentiles. Resamples on
which a statistic is undefined (a constant ranking, a better half or cost group of one
genome) are left out of that statistic's percentiles. This loop is written here rather
than taken from ``scipy.stats.bootstrap`` because scipy's cannot leave such resamples
out: one NaN among its resampled statistics makes the whole interval NaN, which on 12
genomes with tied accuracies happens routinely. Above 500 rows the resamples are evaluated
all at once, the correlations to first order: :mod:`evogroup.runs.rank_bootstrap`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from tqdm import tqdm

from evogroup.core.errors import InvalidValueError

RESAMPLES = 2000
COST_BINS = 4
REGRET_KS = (1, 3, 5)
Statistic = Callable[[np.ndarray, np.ndarray, np.ndarray], float]  # (proxy, truth, cost)


def kendall_tau(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two equally long sequences (NaN when either is constant).

    Example:
        >>> round(kendall_tau([1, 2, 3, 4], [1, 3, 2, 4]), 3)
        0.667
    """
    return _scipy_correlation("kendalltau", x, y)


def spearman_rho(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rho: Pearson's correlation of the average ranks (NaN when constant).

    Example:
        >>> round(spearman_rho([1, 2, 3, 4], [10, 20, 40, 30]), 3)
        0.8
    """
    return _scipy_correlation("spearmanr", x, y)


def _scipy_correlation(name: str, x: Sequence[float], y: Sequence[float]) -> float:
    """``scipy.stats.<name>(x, y).statistic``, NaN (without a warning) when either is constant."""
    from scipy import stats  # imported on first use: the command line starts faster

    a, b = _pair(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        return float(getattr(stats, name)(a, b).statistic)


def kendall_tau_better_half(proxy: Sequence[float], truth: Sequence[float]) -> float:
    """Kendall's tau-b over the genomes whose truth is at least the median truth.

    Example:
        >>> round(kendall_tau_better_half([4, 3, 2, 1, 0, 5], [1, 2, 3, 4, 5, 6]), 3)
        0.333
    """
    p, t = _pair(proxy, truth)
    keep = t >= np.median(t)
    return kendall_tau(p[keep], t[keep]) if keep.sum() >= 2 else math.nan


def kendall_tau_cost_bins(
    proxy: Sequence[float], truth: Sequence[float], cost: Sequence[float], bins: int = COST_BINS
) -> float:
    """Pair-weighted mean of Kendall's tau-b within ``bins`` equal-size cost groups.

    Example:
        >>> kendall_tau_cost_bins([2, 1, 4, 3], [1, 2, 3, 4], [1, 1, 2, 2], bins=2)
        -1.0
    """
    p, t = _pair(proxy, truth)
    c = np.asarray(cost, dtype=float)
    order = np.lexsort((np.arange(len(c)), c))
    taus, weights = [], []
    for group in np.array_split(order, min(bins, len(c))):
        if len(group) >= 2 and not math.isnan(tau := kendall_tau(p[group], t[group])):
            taus.append(tau)
            weights.append(len(group) * (len(group) - 1) / 2)
    return float(np.average(taus, weights=weights)) if taus else math.nan


def regret_at(k: int, proxy: Sequence[float], truth: Sequence[float]) -> float:
    """The best truth minus the best truth among the proxy's top ``k`` (0 is perfect).

    Example:
        >>> regret_at(1, [0.9, 0.8, 0.1], [70.0, 75.0, 60.0]), regret_at(2, [0.9, 0.8, 0.1], [70.0, 75.0, 60.0])
        (5.0, 0.0)
    """
    p, t = _pair(proxy, truth)
    top = np.argsort(-p, kind="stable")[:k]
    return float(t.max() - t[top].max())


def _statistics(bins: int) -> dict[str, Statistic]:
    out: dict[str, Statistic] = {
        "kendall_tau": lambda p, t, c: kendall_tau(p, t),
        "spearman_rho": lambda p, t, c: spearman_rho(p, t),
        "kendall_tau_better_half": lambda p, t, c: kendall_tau_better_half(p, t),
        "kendall_tau_cost_bins": lambda p, t, c: kendall_tau_cost_bins(p, t, c, bins),
    }
    for k in REGRET_KS:
        out[f"regret_at_{k}"] = lambda p, t, c, k=k: regret_at(k, p, t)
    return out


STATISTICS = tuple(_statistics(COST_BINS))
LABELS = {
    "kendall_tau": "Kendall tau",
    "spearman_rho": "Spearman rho",
    "kendall_tau_better_half": "Kendall tau, better half",
    "kendall_tau_cost_bins": "Kendall tau within cost bins",
    **{f"regret_at_{k}": f"regret@{k} (lower is better)" for k in REGRET_KS},
}


@dataclass(frozen=True)
class Correlation:
    """A statistic with its percentile-bootstrap 95 % interval."""

    value: float
    low: float
    high: float

    def to_json(self) -> dict:
        return {k: (None if math.isnan(v) else v) for k, v in asdict(self).items()}

    def text(self) -> str:
        """``value (95% CI low to high)``, three decimals.

        Example:
            >>> Correlation(0.5, 0.25, 0.75).text()
            '0.500 (95% CI 0.250 to 0.750)'
        """
        return f"{self.value:.3f} (95% CI {self.low:.3f} to {self.high:.3f})"


def statistics_table(columns: dict[str, dict[str, Correlation]]) -> list[str]:
    """A table of every statistic (rows) per ranking (columns): value [95 % interval].

    Example:
        >>> stats = {"kendall_tau": Correlation(0.5, 0.25, 0.75)}
        >>> statistics_table({"proxy": stats})[1].split()
        ['Kendall', 'tau', '0.500', '[0.250,', '0.750]']
    """
    width, first = 28, 32
    names = [n for n in LABELS if any(n in c for c in columns.values())]
    out = ["statistic [95% CI]".ljust(first) + "".join(c.ljust(width) for c in columns).rstrip()]
    for name in names:
        cells = [_cell(c[name]) if name in c else "" for c in columns.values()]
        out.append(LABELS[name].ljust(first) + "".join(c.ljust(width) for c in cells).rstrip())
    return out


def _cell(v: Correlation) -> str:
    return f"{v.value:.3f} [{v.low:.3f}, {v.high:.3f}]"


def rank_statistics(
    proxy: Sequence[float],
    truth: Sequence[float],
    cost: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    bins: int = COST_BINS,
) -> dict[str, Correlation]:
    """Every statistic of the module docstring, with its bootstrap interval (one set of
    resampled rows serves all of them)."""
    return rank_statistics_of({"": proxy}, truth, cost, resamples=resamples, seed=seed, bins=bins)[
        ""
    ]


def rank_statistics_of(
    rankings: dict[str, Sequence[float]],
    truth: Sequence[float],
    cost: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
    bins: int = COST_BINS,
) -> dict[str, dict[str, Correlation]]:
    """:func:`rank_statistics` of several rankings of the same genomes, on the same resamples."""
    from evogroup.runs.rank_bootstrap import EXACT_ROWS, resampled_statistics

    t = _pair(truth, truth)[0]
    c, _ = _pair(cost, truth)
    pairs = {name: _pair(p, truth)[0] for name, p in rankings.items()}
    funcs = _statistics(bins)
    if len(t) > EXACT_ROWS and resamples:
        found = resampled_statistics(
            pairs, t, c, resamples=resamples, seed=seed, bins=bins, ks=REGRET_KS
        )
    else:
        found = {
            name: _exact_resamples(p, t, c, funcs, resamples, seed) for name, p in pairs.items()
        }
    return {
        name: {
            stat: _interval(
                f(p, t, c) if found[name][stat][0] is None else found[name][stat][0],
                list(found[name][stat][1]),
            )
            for stat, f in funcs.items()
        }
        for name, p in pairs.items()
    }


def _exact_resamples(p, t, c, funcs: dict[str, Statistic], resamples: int, seed: int):
    values: dict[str, list[float]] = {name: [] for name in funcs}
    for idx in _resamples(len(p), resamples, seed):
        for name, f in funcs.items():
            values[name].append(f(p[idx], t[idx], c[idx]))
    return {name: (None, v) for name, v in values.items()}


def bootstrap(
    stat: Callable[[Sequence[float], Sequence[float]], float],
    x: Sequence[float],
    y: Sequence[float],
    *,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> Correlation:
    """``stat(x, y)`` and its percentile-bootstrap 95 % interval over resampled pairs."""
    a, b = _pair(x, y)
    values = [stat(a[idx], b[idx]) for idx in _resamples(len(a), resamples, seed)]
    return _interval(stat(a, b), values)


def _resamples(n: int, resamples: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in tqdm(range(resamples), desc="bootstrap", unit="resample", disable=None, leave=False):
        yield rng.integers(0, n, n)


def _interval(value: float, values: list[float]) -> Correlation:
    kept = [v for v in values if not math.isnan(v)]
    if not kept:
        return Correlation(value, math.nan, math.nan)
    low, high = np.percentile(kept, [2.5, 97.5])
    return Correlation(value, float(low), float(high))


def _pair(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise InvalidValueError(
            f"two sequences of equal length >= 2 must be given, but got lengths {len(a)} and {len(b)}"
        )
    return a, b
