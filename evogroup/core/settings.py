"""Settings of the evolutionary search, validated once (defaults: the paper's, Section 4.1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from evogroup.core.errors import InvalidValueError


@dataclass(frozen=True)
class SearchSettings:
    """The search's knobs. Sizes follow the paper (and SPOS): 50 / 10 / 25 / 25 / 20 / 0.1,
    so every strategy makes at most 1,050 fitness calls by default.

    Attributes:
        population: genomes sampled under the budget for iteration 0.
        top_k: size of the elitist archive parents are drawn from.
        crossovers: children made by uniform crossover of two archive parents per iteration.
        mutations: children made by mutating one archive parent per iteration.
        iterations: breeding iterations after the initial population; a full run
            evaluates at most ``population + iterations * (crossovers + mutations)`` genomes.
        mutation_prob: probability that mutation redraws each gene.
        seed: seeds the run's own ``random.Random``.
        strategy: the name of the strategy that proposes genomes
            (:func:`evogroup.list_strategies`): ``guided`` (the default, predictor-guided),
            ``paper`` (Algorithm 1 as published), ``nsga2`` (the accuracy-cost front in one
            run), or any registered through the entry-point group ``evogroup.strategies``.
        strategy_options: the strategy's own options by name (e.g. ``paper``'s
            ``constraint``: ``reject`` or ``repair``); the strategy parses and checks them.
        rescore_top: how many of the final best genomes are re-scored when the problem
            has a ``rescore`` fitness (0: none).
    """

    population: int = 50
    top_k: int = 10
    crossovers: int = 25
    mutations: int = 25
    iterations: int = 20
    mutation_prob: float = 0.1
    seed: int = 0
    strategy: str = "guided"
    strategy_options: Mapping[str, Any] = field(default_factory=dict)
    rescore_top: int = 10

    def __post_init__(self) -> None:
        for name in ("population", "top_k"):
            _check(name, getattr(self, name), 1)
        for name in ("crossovers", "mutations", "iterations", "rescore_top"):
            _check(name, getattr(self, name), 0)
        if not 0.0 <= self.mutation_prob <= 1.0:
            raise InvalidValueError(
                f"0 <= mutation_prob <= 1 must hold, but got mutation_prob={self.mutation_prob!r}"
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise InvalidValueError(f"seed must be an integer, but got seed={self.seed!r}")
        if not isinstance(self.strategy, str) or not self.strategy:
            raise InvalidValueError(f"strategy must be a name, but got strategy={self.strategy!r}")
        if not isinstance(self.strategy_options, Mapping):
            raise InvalidValueError(
                "strategy_options must be a mapping of option names to values, but got"
                f" strategy_options={self.strategy_options!r}"
            )
        object.__setattr__(self, "strategy_options", dict(self.strategy_options))

    def to_json(self) -> dict:
        return asdict(self)


def _check(name: str, value: object, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise InvalidValueError(f"{name} >= {low} must hold, but got {name}={value!r}")
