"""What a search returns: every evaluation, per-iteration statistics, and the best genome."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evogroup.core.front import Front
from evogroup.core.io import atomic_write_json
from evogroup.core.records import Evaluation, IterationStats, Rescored


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
