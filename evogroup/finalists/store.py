"""The finalists' trainings so far, checkpointed after every batch and replayed on resume.

The stage is a deterministic function of its inputs, its seed and the scores it has
seen. On resume it runs again from the start, and every (rung, genome) training found in
the checkpoint is read back instead of called: the same finalists are chosen in the same
order, no finalist is trained twice at a rung, and the winner is the uninterrupted run's.
The file is written atomically (:mod:`evogroup.core.io`), so a kill leaves the last one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evogroup.core.errors import CheckpointError
from evogroup.core.io import atomic_write_json
from evogroup.core.space import Genome
from evogroup.finalists.records import Trained

FORMAT = "evogroup-finalists-state/1"


class TrainingStore:
    """Trainings by ``(rung, genome)``, in the order made; saved to ``path`` when given."""

    def __init__(self, path: str | Path | None, identity: dict[str, Any]):
        self.path = None if path is None else Path(path)
        self.identity = identity
        self.done: dict[tuple[int, Genome], Trained] = {}
        if self.path is not None and self.path.exists():
            for trained in self._load():
                self.done[(trained.rung, trained.genome)] = trained

    def get(self, rung: int, genome: Genome) -> Trained | None:
        return self.done.get((rung, genome))

    def add(self, records: list[Trained]) -> None:
        for trained in records:
            self.done[(trained.rung, trained.genome)] = trained
        if self.path is not None and records:
            trainings = [t.to_json() for t in self.done.values()]
            data = {"format": FORMAT, "identity": self.identity, "trained": trainings}
            atomic_write_json(self.path, data)

    def _load(self) -> list[Trained]:
        try:
            data = json.loads(self.path.read_text())
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError(
                    f"format {data.get('format') if isinstance(data, dict) else None!r}"
                )
            records = [Trained.from_json(t) for t in data["trained"]]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(
                f"finalists checkpoint {self.path} is corrupt or truncated"
                f" ({type(exc).__name__}: {exc}); delete it to start over"
            ) from None
        found = data.get("identity") if isinstance(data.get("identity"), dict) else {}
        for key, value in self.identity.items():
            if found.get(key) != value:
                raise CheckpointError(
                    f"finalists checkpoint {self.path} was written with {key}={found.get(key)!r},"
                    f" but this stage uses {key}={value!r}"
                )
        return records
