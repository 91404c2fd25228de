"""What a search returns: every evaluation, per-iteration statistics, and the best genome."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evogroup.core.io import atomic_write_json
from evogroup.core.space import Genome

if TYPE_CHECKING:
    from evogroup.core.front import Front


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


@dataclass
class SearchResult:
    """The outcome of :func:`evogroup.search` (or a baseline).

    Attributes:
        best: the fittest evaluation (every evaluation is within the budget range). When
            the final top-K was re-scored, the one whose *re-scored* fitness is highest;
            its ``fitness`` stays the search's number (``rescored[0]`` has both).
        history: every evaluation in the order it was made.
        iterations: per-iteration statistics.
        budget: the cost budget searched under (``budget_min``: its lower end).
        settings: the search settings (population, top_k, strategy, seed, ...).
        space: the search space as JSON (layer names and choices).
        rescored: the final top-K re-scored by ``Problem.rescore``, best re-scored first
            (empty when the problem has none).
    """

    best: Evaluation
    history: list[Evaluation]
    iterations: list[IterationStats]
    budget: float
    settings: dict[str, Any] = field(default_factory=dict)
    space: dict[str, Any] = field(default_factory=dict)
    budget_min: float = 0.0
    rescored: list[Rescored] = field(default_factory=list)

    @property
    def evaluations(self) -> int:
        """Number of fitness calls (failed ones included)."""
        return len(self.history)

    @property
    def front(self) -> Front:
        """The non-dominated (fitness up, cost down) evaluations: answers any budget at once."""
        from evogroup.core.front import Front

        return Front.from_history(self.history)

    def top(self, k: int) -> list[Evaluation]:
        """The ``k`` best successful evaluations, best first (earlier first on ties)."""
        return sorted((e for e in self.history if e.ok), key=lambda e: -e.fitness)[:k]

    def to_json(self) -> dict[str, Any]:
        return {
            "best": self.best.to_json(),
            "evaluations": self.evaluations,
            "budget": self.budget,
            "budget_min": self.budget_min,
            "settings": self.settings,
            "space": self.space,
            "iterations": [s.to_json() for s in self.iterations],
            "history": [e.to_json() for e in self.history],
            "rescored": [r.to_json() for r in self.rescored],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchResult:
        return cls(
            best=Evaluation.from_json(data["best"]),
            history=[Evaluation.from_json(e) for e in data["history"]],
            iterations=[IterationStats.from_json(s) for s in data["iterations"]],
            budget=data["budget"],
            settings=data.get("settings", {}),
            space=data.get("space", {}),
            budget_min=data.get("budget_min", 0.0),
            rescored=[Rescored.from_json(r) for r in data.get("rescored", [])],
        )

    def save(self, path: str | Path) -> None:
        atomic_write_json(path, self.to_json())

    @classmethod
    def load(cls, path: str | Path) -> SearchResult:
        return cls.from_json(json.loads(Path(path).read_text()))


def _finite_or_none(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value
