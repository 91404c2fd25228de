"""The search state written after every iteration, and its compatibility check on resume.

The state holds what cannot be derived: the history of evaluations (the archive is
recomputed from it), the genomes to evaluate next, the RNG state and the iteration
counter. It is written atomically, so a crash leaves the previous state intact.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evogroup.core.errors import CheckpointError
from evogroup.core.io import atomic_write_json, json_fingerprint
from evogroup.core.records import Evaluation, IterationStats
from evogroup.core.space import Genome

FORMAT = "evogroup-search-state/1"
EXTENDABLE = ("evaluations",)  # settings in the identity that a resumed search may change


@dataclass
class SearchState:
    """Everything needed to continue a search exactly where it stopped."""

    identity: dict[str, Any]
    next_iteration: int
    pending: list[Genome]
    history: list[Evaluation]
    iterations: list[IterationStats]
    rng_state: Any

    def save(self, path: str | Path) -> None:
        atomic_write_json(
            path,
            {
                "format": FORMAT,
                "identity": self.identity,
                "next_iteration": self.next_iteration,
                "pending": [list(g) for g in self.pending],
                "history": [e.to_json() for e in self.history],
                "iterations": [s.to_json() for s in self.iterations],
                "rng_state": _rng_to_json(self.rng_state),
            },
        )

    @classmethod
    def load(cls, path: str | Path, identity: dict[str, Any]) -> SearchState:
        """Read a state; refuse a corrupt file or one written for another problem or settings."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or not isinstance(data.get("identity"), dict):
                raise TypeError("expected a JSON object with an 'identity' object")
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            state = cls(
                identity=data["identity"],
                next_iteration=int(data["next_iteration"]),
                pending=[tuple(g) for g in data["pending"]],
                history=[Evaluation.from_json(e) for e in data["history"]],
                iterations=[IterationStats.from_json(s) for s in data["iterations"]],
                rng_state=_rng_from_json(data["rng_state"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                f"checkpoint {path} is corrupt or truncated ({type(exc).__name__}: {exc});"
                " delete it to start over"
            ) from None
        _check_identity(path, state.identity, identity)
        return state


def problem_identity(
    space_json: dict,
    cost_fingerprint: str | None,
    budget: float,
    settings: dict,
    budget_min: float = 0.0,
) -> dict:
    """What a checkpoint must match to be resumed: space, cost table, budget range and settings.

    ``iterations`` and ``rescore_top`` are left out on purpose: a finished run can be
    extended with more iterations, and re-scoring happens after the loop. ``evaluations``
    (N) is kept, so the checkpoint states it, but not compared (:data:`EXTENDABLE`): a run
    can be extended to a larger N, and a checkpoint from before N existed resumes.
    """
    fixed = {k: v for k, v in settings.items() if k not in ("iterations", "rescore_top")}
    return {
        "space": json_fingerprint(space_json),
        "cost": cost_fingerprint,
        "budget": budget,
        "budget_min": budget_min,
        "settings": fixed,
    }


def _check_identity(path: Path, found: dict, expected: dict) -> None:
    found = {"budget_min": 0.0, **found}  # written before budget ranges existed
    for key in ("space", "cost", "budget", "budget_min"):
        if found.get(key) != expected[key]:
            raise CheckpointError(
                f"checkpoint {path} belongs to another problem: its {key} is {found.get(key)!r},"
                f" this search's is {expected[key]!r}"
            )
    settings = found.get("settings") if isinstance(found.get("settings"), dict) else {}
    for name, value in expected["settings"].items():
        if name not in EXTENDABLE and settings.get(name) != value:
            raise CheckpointError(
                f"checkpoint {path} was written with {name}={settings.get(name)!r},"
                f" but this search uses {name}={value!r}"
            )


def _rng_to_json(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _rng_from_json(data: list) -> tuple:
    version, internal, gauss = data
    state = (version, tuple(internal), gauss)
    random.Random().setstate(state)  # validates it
    return state
