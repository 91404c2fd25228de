"""Run under ``torchrun`` by ``test_ddp_pipeline.py``: how the pipeline's ranks agree, on
the torch-free synthetic backend, whose ``train`` is made a collective (as a DDP training
is), so that a rank that skips a retraining or trains another genome than the others
fails or hangs instead of passing.

Usage: ``torchrun --standalone --nproc_per_node 2 tests/torch/pipeline_worker.py OUT``;
each rank writes ``OUT/report<rank>.json``.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import torch.distributed as dist

from evogroup.backend.base import Run
from evogroup.backend.synthetic import SyntheticBackend
from evogroup.core import launch
from evogroup.core.io import atomic_write_json
from evogroup.core.settings import SearchSettings
from evogroup.runs.reproduce import reproduce, retrain
from evogroup.runs.table import Candidate
from evogroup.torch.device import distributed
from evogroup.torch.device.distributed import MainFailedError

#: The default group's timeout: far shorter than rank 0's late answer below, so that
#: waiting for rank 0 must not go through the default group.
DEFAULT_TIMEOUT = timedelta(seconds=4)
LATE = 6.0


class CollectiveSynthetic(SyntheticBackend):
    """Every rank's training of a genome meets the others', like DDP's gradient all-reduce."""

    def __init__(self) -> None:
        super().__init__()
        self.trained: list[list[int]] = []

    def coordinator(self, opts=None):
        return distributed

    def train(self, genome, run, opts=None):
        genomes = distributed.gather(list(genome))
        assert all(g == genomes[0] for g in genomes), f"the ranks trained {genomes}"
        self.trained.append(list(genome))
        return super().train(genome, run, opts)


def main(out: Path) -> None:
    dist.init_process_group("gloo", timeout=DEFAULT_TIMEOUT)
    rank = launch.rank()
    backend = CollectiveSynthetic()
    opts = backend.options()
    report: dict = {}

    # Only rank 1 sees a finished retraining (its own directory): rank 0, which writes
    # metrics.json, decides that it is not finished, and both train it.
    run = Run(out / f"rank{rank}", echo=lambda line: None, progress=False, resume=True)
    cand = Candidate("groups = 4", backend.space(opts).uniform(4))
    stale = run.layout.retrain_dir(cand.method, 0).metrics
    if rank == 1:
        stale.parent.mkdir(parents=True)
        atomic_write_json(stale, {"top1": -1.0, "seed": 0, "genome": [1], "cost": 0.0})
    report["retrain_top1"] = retrain(backend, opts, cand, run, 0).top1
    report["metrics_written"] = stale.is_file() and json.loads(stale.read_text())["top1"] != -1.0
    report["trained_once"] = backend.trained == [list(cand.genome)]

    # Rank 0 answers after the default group's timeout (a long search), then fails.
    report["late"] = distributed.from_main(lambda: time.sleep(LATE) or f"from rank {launch.rank()}")
    try:
        distributed.from_main(lambda: 1 / 0)
    except (ZeroDivisionError, MainFailedError) as exc:
        report["failed"] = f"{type(exc).__name__}: {exc}"

    backend.trained.clear()
    settings = SearchSettings(population=4, iterations=1, seed=0)
    shared = Run(out / "reproduce", echo=lambda line: None, progress=False)
    report["rows"] = reproduce(backend, opts, 0.8e8, settings, shared)
    report["trained"] = backend.trained
    (out / f"report{rank}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
