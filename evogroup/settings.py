"""Settings of the evolutionary search, validated once (defaults: the paper's, Section 4.1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SearchSettings:
    """Algorithm 1's knobs. Defaults follow the paper (and SPOS): 50 / 10 / 25 / 25 / 20 / 0.1.

    Attributes:
        population: genomes sampled under the budget for iteration 0.
        top_k: size of the elitist archive parents are drawn from.
        crossovers: children made by uniform crossover of two archive parents per iteration.
        mutations: children made by mutating one archive parent per iteration.
        iterations: breeding iterations after the initial population; a full run
            evaluates at most ``population + iterations * (crossovers + mutations)`` genomes.
        mutation_prob: probability that mutation redraws each gene.
        seed: seeds the run's own ``random.Random``.
    """

    population: int = 50
    top_k: int = 10
    crossovers: int = 25
    mutations: int = 25
    iterations: int = 20
    mutation_prob: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("population", "top_k"):
            _check(name, getattr(self, name), 1)
        for name in ("crossovers", "mutations", "iterations"):
            _check(name, getattr(self, name), 0)
        if not 0.0 <= self.mutation_prob <= 1.0:
            raise ValueError(
                f"0 <= mutation_prob <= 1 must hold, but got mutation_prob={self.mutation_prob!r}"
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an integer, but got seed={self.seed!r}")

    def to_json(self) -> dict:
        return asdict(self)


def _check(name: str, value: object, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} >= {low} must hold, but got {name}={value!r}")
