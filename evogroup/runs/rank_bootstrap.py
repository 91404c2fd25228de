r"""The bootstrap of :mod:`evogroup.runs.rank_stats` for large files, vectorised over resamples.

Recomputing Kendall's :math:`\tau_b` on each of 2,000 resamples of 200,000 rows takes
minutes (one ``scipy.stats.kendalltau`` of that size takes about 0.2 s). Above
``EXACT_ROWS`` rows the resamples are therefore drawn as multiplicity counts :math:`w`
(:math:`\sum_i w_i = n`, one row of a count matrix per resample) and every statistic is
evaluated on all of them at once:

- ``regret_at_K`` exactly: the top :math:`K` of a resample are the first rows with
  :math:`w_i > 0` in the proxy's order (ties in the proxy broken by row order);
- the correlations to first order (the linear, or "influence", bootstrap):
  :math:`\theta(w) \approx \theta + \sum_i (w_i - 1)\,U_i` with
  :math:`U_i = \partial\theta/\partial w_i` at :math:`w = 1`, the error of which is
  :math:`O(1/n)` against an interval width of :math:`O(1/\sqrt n)`.
  For :math:`\tau_b = K/\sqrt{AB}` (:math:`K` concordant minus discordant pairs, :math:`A`,
  :math:`B` the pairs not tied in either ranking) with :math:`k_i, a_i, b_i` row
  :math:`i`'s share, :math:`U_i = k_i/\sqrt{AB} - \tfrac{\tau_b}{2}(a_i/A + b_i/B)`.
  Spearman's :math:`\rho` is Pearson's correlation of the weighted mid-ranks
  :math:`R_i(w) = \sum_j w_j [p_j < p_i] + (\sum_j w_j [p_j = p_i] + 1)/2`, differentiated
  the same way. The better half and the cost bins keep the rows the full data puts in them.

The interval is then the same percentile interval over the resamples.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from tqdm import tqdm

EXACT_ROWS = 500  # up to this many rows every statistic is recomputed on every resample
CHUNK_CELLS = 4_000_000  # count-matrix cells per step (32 MB of float64)
_LOOKAHEAD = 64  # rows in proxy order inspected for a resample's top K (more when needed)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Dense integer ranks (0 = smallest, ties share one)."""
    return np.unique(x, return_inverse=True)[1].astype(np.int64)


def _strictly_below_both(rp: np.ndarray, rt: np.ndarray) -> np.ndarray:
    """``#{j: p_j < p_i and t_j < t_i}`` for every row, by merge levels in O(n log^2 n)."""
    n = len(rp)
    order = np.argsort(rp * (n + 1) + rt)
    v = rt[order]
    pos = np.arange(n)
    below = np.zeros(n, dtype=np.int64)  # earlier in (p, t) order and smaller t
    span, big = 1, n + 1
    while span < n:
        block = pos // (2 * span)
        right = (pos // span) % 2 == 1
        keys = np.sort(block[~right] * big + v[~right])
        q = block[right] * big
        below[right] += np.searchsorted(keys, q + v[right]) - np.searchsorted(keys, q)
        span *= 2
    out = np.empty(n, dtype=np.int64)
    out[order] = below
    return out - _tied_first_smaller_second(rp, rt)


def _tied_first_smaller_second(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """``#{j: a_j = a_i and b_j < b_i}``: in (a, b) order, the start of row i's (a, b) run
    minus the start of its a run."""
    pairs = ra * (len(ra) + 1) + rb
    order = np.argsort(pairs)
    a_sorted, pair_sorted = ra[order], pairs[order]
    out = np.empty(len(ra), dtype=np.int64)
    out[order] = np.searchsorted(pair_sorted, pair_sorted) - np.searchsorted(a_sorted, a_sorted)
    return out


def _counts_below(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``#{j: x_j < x_i}`` and ``#{j: x_j = x_i}`` from dense ranks."""
    same = np.bincount(r)
    return (np.cumsum(same) - same)[r], same[r]


def tau_influence(p: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Kendall's :math:`\tau_b` and its :math:`U_i` (module docstring); NaN when undefined."""
    n = len(p)
    rp, rt = _ranks(p), _ranks(t)
    (below_p, same_p), (below_t, same_t) = _counts_below(rp), _counts_below(rt)
    above_p = n - below_p - same_p
    tied_t_below_p = _tied_first_smaller_second(rt, rp)
    tied_t_above_p = same_t - _same_pair(rp, rt) - tied_t_below_p
    # k_i = LL + GG - LG - GL over the quadrants around row i, through the row and column sums
    k = (
        4 * _strictly_below_both(rp, rt)
        + above_p
        - below_p
        - 2 * below_t
        + 2 * _tied_first_smaller_second(rp, rt)
        + tied_t_below_p
        - tied_t_above_p
    )
    a, b = n - same_p, n - same_t
    big_k, big_a, big_b = k.sum() / 2, a.sum() / 2, b.sum() / 2
    if big_a == 0 or big_b == 0:
        return math.nan, np.zeros(n)
    root = math.sqrt(big_a * big_b)
    tau = big_k / root
    return tau, k / root - tau / 2 * (a / big_a + b / big_b)


def _same_pair(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """``#{j: a_j = a_i and b_j = b_i}``, row ``i`` included."""
    return _counts_below(_ranks(ra * (len(ra) + 1) + rb))[1]


def _above(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``sum_i y_i ([x_i > x_k] + [x_i = x_k] / 2)`` for every ``k``."""
    r = _ranks(x)
    sums = np.bincount(r, weights=y)
    above = sums.sum() - np.cumsum(sums)
    return (above + sums / 2)[r]


def _mid_ranks(x: np.ndarray) -> np.ndarray:
    below, same = _counts_below(_ranks(x))
    return below + (same + 1) / 2


def rho_influence(p: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Spearman's :math:`\rho` and its :math:`U_i` (module docstring); NaN when undefined."""
    n = len(p)
    r, s = _mid_ranks(p), _mid_ranks(t)
    m = (n + 1) / 2
    cov, var_r, var_s = (
        (r * s).sum() / n - m * m,
        (r * r).sum() / n - m * m,
        (s * s).sum() / n - m * m,
    )
    if var_r <= 0 or var_s <= 0:
        return math.nan, np.zeros(n)
    d_cov = (r * s + _above(p, s) + _above(t, r)) / n - (r * s).sum() / n**2 - m
    d_var_r = (r * r + 2 * _above(p, r)) / n - (r * r).sum() / n**2 - m
    d_var_s = (s * s + 2 * _above(t, s)) / n - (s * s).sum() / n**2 - m
    rho = cov / math.sqrt(var_r * var_s)
    return rho, d_cov / math.sqrt(var_r * var_s) - rho / 2 * (d_var_r / var_r + d_var_s / var_s)


def resample_counts(n: int, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """Multiplicity counts of ``resamples`` seeded resamples (rows of ``n`` row counts, summing
    to ``n``), in chunks, with a progress bar on a terminal."""
    rng = np.random.default_rng(seed)
    step = max(1, CHUNK_CELLS // n)
    with tqdm(total=resamples, desc="bootstrap", unit="resample", disable=None, leave=False) as bar:
        for start in range(0, resamples, step):
            drawn = rng.integers(0, n, (min(step, resamples - start), n), dtype=np.int32)
            counts = np.empty(drawn.shape)
            for row, picked in zip(counts, drawn):
                row[:] = np.bincount(picked, minlength=n)
            yield counts
            bar.update(len(drawn))


def _first_present(counts: np.ndarray, order: np.ndarray, truth: np.ndarray, k: int) -> np.ndarray:
    """The best truth among the first ``k`` resampled rows (copies counted) in ``order``."""
    look = _LOOKAHEAD
    while True:
        head = counts[:, order[:look]]
        before = np.cumsum(head, axis=1) - head
        chosen = (head > 0) & (before < k)
        if look >= len(order) or (head.sum(axis=1) >= k).all():
            return np.where(chosen, truth[order[:look]], -np.inf).max(axis=1)
        look *= 4


def resampled_statistics(
    rankings: dict[str, np.ndarray],
    t: np.ndarray,
    c: np.ndarray,
    *,
    resamples: int,
    seed: int,
    bins: int,
    ks: tuple[int, ...],
) -> dict[str, dict[str, tuple[float | None, np.ndarray]]]:
    """Every statistic of :mod:`evogroup.runs.rank_stats` of each ranking on ``resamples``
    seeded resamples (the same resamples for every ranking): ``{ranking: {statistic:
    (value, resampled values)}}``, the value ``None`` where the caller computes it (regrets)."""
    linear = {
        (name, stat): pair
        for name, p in rankings.items()
        for stat, pair in _linear_statistics(p, t, c, bins).items()
    }
    values = np.array([v for v, _ in linear.values()])
    influence = np.stack([u for _, u in linear.values()], axis=1)
    total = influence.sum(axis=0)  # (counts - 1) @ influence without a copy of counts
    orders = {name: np.argsort(-p, kind="stable") for name, p in rankings.items()}
    by_truth = np.argsort(-t, kind="stable")
    chunks: list[np.ndarray] = []
    for counts in resample_counts(len(t), resamples, seed):
        best = _first_present(counts, by_truth, t, 1)
        regrets = [
            best - _first_present(counts, orders[name], t, k) for name in rankings for k in ks
        ]
        chunks.append(np.column_stack([values - total + counts @ influence, *regrets]))
    table = np.concatenate(chunks)
    keys = [*linear, *((name, f"regret_at_{k}") for name in rankings for k in ks)]
    out: dict[str, dict[str, tuple[float | None, np.ndarray]]] = {name: {} for name in rankings}
    for column, (name, stat) in enumerate(keys):
        value = linear[name, stat][0] if (name, stat) in linear else None
        out[name][stat] = (value, table[:, column])
    return out


def _linear_statistics(p, t, c, bins: int) -> dict[str, tuple[float, np.ndarray]]:
    half = t >= np.median(t)
    out = {
        "kendall_tau": tau_influence(p, t),
        "spearman_rho": rho_influence(p, t),
        "kendall_tau_better_half": _on_rows(half, p, t),
        "kendall_tau_cost_bins": _cost_bins(p, t, c, bins),
    }
    return out


def _on_rows(rows: np.ndarray, p: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    influence = np.zeros(len(p))
    if rows.sum() < 2:
        return math.nan, influence
    value, influence[rows] = tau_influence(p[rows], t[rows])
    return value, influence


def _cost_bins(p, t, c, bins: int) -> tuple[float, np.ndarray]:
    """The pair-weighted mean of the bins' taus; the bins' pair weights held fixed."""
    order = np.lexsort((np.arange(len(c)), c))
    taus, weights, influence = [], [], np.zeros(len(p))
    for group in np.array_split(order, min(bins, len(c))):
        rows = np.zeros(len(p), dtype=bool)
        rows[group] = True
        tau, u = _on_rows(rows, p, t)
        if not math.isnan(tau):
            taus.append(tau)
            weights.append(len(group) * (len(group) - 1) / 2)
            influence += weights[-1] * u
    if not taus:
        return math.nan, influence
    return float(np.average(taus, weights=weights)), influence / sum(weights)
