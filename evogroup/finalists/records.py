"""What the finalists stage returns: one row per finalist, and the ladder's winner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evogroup.core.space import Genome


@dataclass(frozen=True)
class Trained:
    """One call of one fidelity (``rung``, cheapest first) on one genome.

    ``score`` is None when the call failed (``error`` says why); a failed finalist is
    recorded and never promoted.
    """

    rung: int
    genome: Genome
    score: float | None
    seconds: float = 0.0
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rung": self.rung,
            "genome": list(self.genome),
            "score": self.score,
            "seconds": self.seconds,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trained:
        return cls(
            int(data["rung"]),
            tuple(data["genome"]),
            data["score"],
            float(data.get("seconds", 0.0)),
            data.get("error"),
        )


@dataclass(frozen=True)
class FinalistRow:
    """A finalist: its proxy fitness (None if the search never evaluated it), its cost, and
    each rung's score in rung order (None where it failed or was not promoted there)."""

    genome: Genome
    proxy: float | None
    cost: float
    scores: tuple[float | None, ...]
    errors: tuple[str | None, ...] = ()

    @property
    def last(self) -> tuple[int, float] | None:
        """``(rung, score)`` of the highest rung this finalist has a score at."""
        for rung in reversed(range(len(self.scores))):
            if self.scores[rung] is not None:
                return rung, self.scores[rung]
        return None


@dataclass
class Finalists:
    """The outcome of :func:`evogroup.finalists`.

    Attributes:
        best: the winner of the last rung reached (``best.genome``, ``best.scores``).
        rows: every finalist in the order it was first trained.
        rung: the rung (0-based) whose score chose ``best``.
        proxy_pick: the search's own pick (``result.best.genome``), for comparison.
        trained: every fidelity call, in order (failed ones included).
    """

    best: FinalistRow
    rows: list[FinalistRow]
    rung: int
    proxy_pick: Genome
    trained: list[Trained] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the ladder's winner differs from the search's pick."""
        return self.best.genome != self.proxy_pick

    def row(self, genome: Genome) -> FinalistRow | None:
        return next((r for r in self.rows if r.genome == tuple(genome)), None)
