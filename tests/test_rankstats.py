"""Rank statistics agree with scipy's, and their intervals and verdicts behave."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evogroup.runs.rank_stats import Correlation, bootstrap, kendall_tau, spearman_rho, verdict

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
