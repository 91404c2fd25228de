"""The verdict of a rank check: one line a person can act on, from Kendall's tau between a
proxy and training from scratch and its bootstrap interval (:mod:`evogroup.runs.rank_stats`)."""

from __future__ import annotations

import math

from evogroup.runs.rank_stats import Correlation


def verdict(tau: Correlation, cost: Correlation | None = None) -> str:
    """One line a person can act on, from Kendall's tau and its interval; with ``cost`` (the
    tau of ranking by cost alone) it also says when the proxy ranks no better than cost.

    Example:
        >>> verdict(Correlation(0.2, -0.3, 0.6), cost=Correlation(0.35, -0.2, 0.8))[:32]
        "not trustworthy: the supernet's "
    """
    if math.isnan(tau.value):
        return "no verdict: one of the rankings is constant"
    if tau.low > 0.5:
        line = "trustworthy: the supernet ranks genomes as training from scratch does"
    elif tau.low > 0:
        line = (
            "usable with care: the supernet's ranking agrees with training from scratch,"
            " but loosely; retrain the top few genomes before choosing one"
        )
    else:
        line = (
            "not trustworthy: the supernet's ranking is not shown to agree with training"
            " from scratch; do not choose a genome by its fitness alone: retrain several"
            " of the best and choose by their accuracy"
        )
    if cost is not None and not math.isnan(cost.value) and tau.value <= cost.value:
        line += f"; cost alone ranks them as well (Kendall tau {cost.value:.3f})"
    return line
