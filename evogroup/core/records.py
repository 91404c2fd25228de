"""The records of a search: one fitness call, one iteration's statistics, one re-score."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from evogroup.core.space import Genome


@dataclass(frozen=True)
class Evaluation:
    """One fitness call. ``fitness`` is None when the call failed (``error`` says why)."""

    iteration: int
    genome: Genome
    fitness: float | None
    cost: float
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.fitness is not None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["genome"] = list(self.genome)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evaluation:
        return cls(**{**data, "genome": tuple(data["genome"])})


@dataclass(frozen=True)
class IterationStats:
    """Statistics of one iteration (iteration 0 evaluates the initial population).

    Attributes:
        evaluated: genomes evaluated in this iteration; ``failed`` of them failed.
        best_fitness / best_cost: the best genome found so far (the top of the archive).
        mean_fitness: mean over this iteration's successful evaluations (NaN if none).
        topk_mean: mean fitness of the top-K archive after this iteration.
        duplicates: children dropped because their genome had been evaluated already.
        repaired: children moved into the budget range by repair.
        rejected: children dropped because their cost was out of the budget range.
    """

    iteration: int
    evaluated: int
    failed: int
    best_fitness: float
    best_cost: float
    mean_fitness: float
    topk_mean: float
    duplicates: int
    repaired: int
    seconds: float
    rejected: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: _finite_or_none(v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IterationStats:
        return cls(**{k: (math.nan if v is None else v) for k, v in data.items()})


@dataclass(frozen=True)
class Rescored:
    """One of the final top-K, re-scored with the problem's more precise ``rescore`` fitness.

    ``fitness`` is the search's (noisy) number, ``rescored`` the precise one (None when
    the call failed; ``error`` says why).
    """

    genome: Genome
    cost: float
    fitness: float
    rescored: float | None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "genome": list(self.genome)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rescored:
        return cls(**{**data, "genome": tuple(data["genome"])})


def _finite_or_none(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value
