"""The files of a run directory, named in one place.

Every command, backend and report reads and writes through a :class:`RunLayout`, so a
file name is spelled once and ``search``, ``reproduce`` and ``report`` agree on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunLayout:
    """Paths of the files a run writes into ``dir``.

    Example:
        >>> RunLayout(Path("runs/x")).result
        PosixPath('runs/x/result.json')
    """

    dir: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "dir", Path(self.dir))

    # -- every command --------------------------------------------------------------------
    @property
    def config(self) -> Path:
        return self.dir / "config.json"

    @property
    def env(self) -> Path:
        return self.dir / "env.json"

    @property
    def lock(self) -> Path:
        return self.dir / ".lock"

    # -- search ---------------------------------------------------------------------------
    @property
    def checkpoint(self) -> Path:
        return self.dir / "checkpoint.json"

    @property
    def evaluations(self) -> Path:
        return self.dir / "evaluations.jsonl"

    @property
    def result(self) -> Path:
        return self.dir / "result.json"

    @property
    def iterations_csv(self) -> Path:
        return self.dir / "iterations.csv"

    @property
    def progress_plot(self) -> Path:
        return self.dir / "search_progress.png"

    @property
    def fitness_plot(self) -> Path:
        return self.dir / "fitness_vs_cost.png"

    @property
    def pareto_csv(self) -> Path:
        return self.dir / "pareto.csv"

    @property
    def front_plot(self) -> Path:
        return self.dir / "pareto_front.png"

    @property
    def fitness(self) -> Path:
        return self.dir / "fitness.json"

    # -- training -------------------------------------------------------------------------
    @property
    def supernet(self) -> Path:
        return self.dir / "supernet.pt"

    @property
    def supernet_csv(self) -> Path:
        return self.dir / "supernet_metrics.csv"

    @property
    def model(self) -> Path:
        return self.dir / "model.pt"

    @property
    def model_csv(self) -> Path:
        return self.dir / "train_metrics.csv"

    @property
    def metrics(self) -> Path:
        return self.dir / "metrics.json"

    # -- reproduce ------------------------------------------------------------------------
    @property
    def search_dir(self) -> RunLayout:
        return RunLayout(self.dir / "search")

    @property
    def random_search(self) -> Path:
        return self.dir / "random_search.json"

    def retrain_dir(self, method: str, seed: int) -> RunLayout:
        """``retrain/<method slug>-seed<seed>``."""
        return RunLayout(self.dir / "retrain" / f"{slug(method)}-seed{seed}")

    @property
    def table_md(self) -> Path:
        return self.dir / "table.md"

    @property
    def table_csv(self) -> Path:
        return self.dir / "table.csv"

    @property
    def table_json(self) -> Path:
        return self.dir / "table.json"

    @property
    def table_plot(self) -> Path:
        return self.dir / "acc_vs_flops.png"

    # -- finalists ------------------------------------------------------------------------
    @property
    def finalists_dir(self) -> Path:
        """The finalists' trainings (``retrain/<epochs>ep-<genome>-seed<seed>``) and state."""
        return self.dir / "finalists"

    @property
    def finalists_csv(self) -> Path:
        return self.dir / "finalists.csv"

    @property
    def finalists_plot(self) -> Path:
        return self.dir / "finalists.png"

    # -- rank-check -----------------------------------------------------------------------
    @property
    def rank_scores(self) -> Path:
        """Every proxy's score of every genome, kept as they are computed (resume)."""
        return self.dir / "scores.json"

    @property
    def rank_check_json(self) -> Path:
        return self.dir / "rank_check.json"

    @property
    def rank_check_csv(self) -> Path:
        return self.dir / "rank_check.csv"

    @property
    def rank_check_plot(self) -> Path:
        return self.dir / "rank_check.png"


def slug(text: str) -> str:
    """``"groups = 4"`` -> ``"groups-4"``: a file-name-safe form of a label."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
