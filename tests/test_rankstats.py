"""Rank statistics agree with direct scipy computations (regression tests from when they
were hand-written), and their intervals and verdicts behave."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evogroup.runs.rank_stats import (
    STATISTICS,
    Correlation,
    bootstrap,
    kendall_tau,
    kendall_tau_better_half,
    kendall_tau_cost_bins,
    rank_statistics,
    regret_at,
    spearman_rho,
)
from evogroup.runs.rank_verdict import verdict

pairs = st.integers(2, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 6), min_size=n, max_size=n),
        st.lists(st.floats(-5, 5, allow_nan=False, width=32), min_size=n, max_size=n),
    )
)


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
@settings(max_examples=200, deadline=None)
@given(pairs)
def test_kendall_tau_b_and_spearman_rho_equal_scipys_with_ties(pair):
    x, y = pair
    for ours, theirs in ((kendall_tau, stats.kendalltau), (spearman_rho, stats.spearmanr)):
        expected = theirs(x, y).statistic
        got = ours(x, y)
        if math.isnan(expected):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(
    ("x", "y", "tau", "rho"),
    [
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 1.0, 1.0),
        ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], -1.0, -1.0),
        ([1, 2, 3, 4], [1, 3, 2, 4], 2 / 3, 0.8),
    ],
)
def test_known_rankings(x, y, tau, rho):
    assert kendall_tau(x, y) == pytest.approx(tau)
    assert spearman_rho(x, y) == pytest.approx(rho)


def test_bootstrap_interval_brackets_the_value_and_is_seeded():
    x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    y = [2, 1, 3, 5, 4, 6, 8, 7, 9, 12, 10, 11]
    a = bootstrap(kendall_tau, x, y, seed=3)
    assert a.low <= a.value <= a.high and a.low > 0
    assert bootstrap(kendall_tau, x, y, seed=3) == a


def test_verdicts():
    assert verdict(Correlation(0.8, 0.6, 0.9)).startswith("trustworthy")
    assert verdict(Correlation(0.4, 0.1, 0.7)).startswith("usable with care")
    assert verdict(Correlation(0.3, -0.3, 0.7)).startswith("not trustworthy")


def test_a_verdict_says_when_cost_alone_ranks_as_well():
    weak, cost = Correlation(0.2, -0.3, 0.6), Correlation(0.35, -0.2, 0.8)
    assert verdict(weak, cost).endswith("cost alone ranks them as well (Kendall tau 0.350)")
    assert "cost alone" not in verdict(Correlation(0.8, 0.6, 0.9), cost)
    assert verdict(weak, Correlation(math.nan, math.nan, math.nan)) == verdict(weak)


def test_too_short_or_unequal_input_is_refused():
    with pytest.raises(ValueError, match="equal length >= 2"):
        kendall_tau([1], [1])
    with pytest.raises(ValueError, match="equal length >= 2"):
        spearman_rho([1, 2], [1, 2, 3])


triples = st.integers(2, 30).flatmap(
    lambda n: st.tuples(*(st.lists(st.integers(0, 6), min_size=n, max_size=n) for _ in range(3)))
)


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")
@settings(max_examples=100, deadline=None)
@given(triples)
def test_better_half_cost_bins_and_regret_equal_direct_computations(triple):
    proxy, truth, cost = (np.asarray(v, dtype=float) for v in triple)
    half = truth >= np.median(truth)
    expected = stats.kendalltau(proxy[half], truth[half]).statistic if half.sum() >= 2 else math.nan
    _same(kendall_tau_better_half(proxy, truth), expected)
    order = sorted(range(len(cost)), key=lambda i: (cost[i], i))
    taus, pairs = [], []
    for group in np.array_split(np.array(order), min(4, len(cost))):
        tau = stats.kendalltau(proxy[group], truth[group]).statistic if len(group) > 1 else math.nan
        if not math.isnan(tau):
            taus.append(tau * len(group) * (len(group) - 1) / 2)
            pairs.append(len(group) * (len(group) - 1) / 2)
    _same(kendall_tau_cost_bins(proxy, truth, cost), sum(taus) / sum(pairs) if pairs else math.nan)
    for k in (1, 3, 5):
        top = sorted(range(len(proxy)), key=lambda i: (-proxy[i], i))[:k]
        assert regret_at(k, proxy, truth) == max(truth) - max(truth[i] for i in top)


def _same(got: float, expected: float) -> None:
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-9)


def test_regret_is_zero_when_the_proxy_picks_the_best_and_counts_what_it_misses():
    truth = [70.0, 90.0, 80.0, 60.0]
    assert regret_at(1, [1, 4, 3, 2], truth) == 0.0
    wrong = [4, 1, 3, 2]  # the best genome ranks last
    assert regret_at(1, wrong, truth) == 20.0 and regret_at(3, wrong, truth) == 10.0
    assert regret_at(4, wrong, truth) == 0.0


def test_cost_bins_ignore_pairs_across_bins():
    # across the two cost bins the proxy is perfectly wrong, within each perfectly right
    proxy, truth, cost = [3, 4, 1, 2], [1, 2, 3, 4], [1, 1, 2, 2]
    assert kendall_tau(proxy, truth) < 0
    assert kendall_tau_cost_bins(proxy, truth, cost, bins=2) == 1.0


def test_rank_statistics_give_every_statistic_with_a_seeded_interval():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=40)
    proxy, cost = truth + rng.normal(scale=0.5, size=40), rng.uniform(size=40)
    got = rank_statistics(proxy, truth, cost, resamples=300, seed=2)
    assert list(got) == list(STATISTICS)
    assert got["kendall_tau"].value == pytest.approx(stats.kendalltau(proxy, truth).statistic)
    assert got["spearman_rho"].value == pytest.approx(stats.spearmanr(proxy, truth).statistic)
    for v in got.values():
        assert v.low <= v.value <= v.high
    assert got["kendall_tau"].low > 0 and got["regret_at_5"].low >= 0
    assert rank_statistics(proxy, truth, cost, resamples=300, seed=2) == got
