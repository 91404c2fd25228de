"""The backend's pipeline steps (Algorithm 2): train the supernet, build the search
problem on it, retrain a genome from scratch. Called by :class:`BinMobileNetBackend`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from binmobilenet.checkpoints import SUPERNET_CHECKPOINT, load_checkpoint, load_supernet
from binmobilenet.data import DataSplits, load_data
from binmobilenet.fitness import SupernetFitness
from binmobilenet.supernet import BinMobileNet, SuperNet
from binmobilenet.training import Recipe, default_recipe, train_model, train_supernet
from evogroup.backend import Run
from evogroup.cost import CostTable
from evogroup.errors import CheckpointError
from evogroup.io import atomic_write_json
from evogroup.problem import Problem
from evogroup.space import Genome, SearchSpace


def data_and_recipe(opts: dict[str, Any]) -> tuple[DataSplits, Recipe]:
    """The data (split by the fixed ``split_seed``, never the run seed) and its default recipe."""
    data = load_data(opts["data"], seed=opts["split_seed"])
    return data, default_recipe(data.name, data.image_size)


def supernet_step(run: Run, opts: dict[str, Any], *, resume: bool = True) -> Path:
    """Train (or finish training) the supernet in ``run.dir``; return its checkpoint."""
    data, recipe = data_and_recipe(opts)
    net = SuperNet(opts["module"], data.num_classes, opts["width_mult"])
    return train_supernet(
        net, data, epochs=opts["epochs"] or recipe.supernet_epochs,
        batch_size=opts["batch_size"] or recipe.batch_size, lr=opts["lr"] or recipe.lr,
        out_dir=run.dir, seed=run.seed, device=opts["device"], resume=resume, progress=run.progress,
    )  # fmt: skip


def problem_step(
    budget: float, run: Run, opts: dict[str, Any], space: SearchSpace, cost: CostTable
) -> Problem:
    """The search problem: fitness = supernet top-1 on search-val after BN recalibration.

    Without ``--supernet``, a supernet is trained into the run directory first (resumed if
    one is there, so a rerun with ``--resume`` does not train twice).
    """
    data, recipe = data_and_recipe(opts)
    path = opts["supernet"]
    if path is None:
        path = run.dir / SUPERNET_CHECKPOINT
        if path.exists():
            run.echo(f"no --supernet given: using (and finishing, if needed) the one in {path}")
        else:
            run.echo(f"no --supernet given: training one into {path} (reused by --resume)")
        supernet_step(run, opts, resume=True)
    _, meta = load_supernet(path, expect_module=opts["module"], expect_num_classes=data.num_classes)
    if meta["width_mult"] != opts["width_mult"]:
        raise CheckpointError(
            f"{path}: the supernet was trained with width_mult={meta['width_mult']!r},"
            f" but width_mult={opts['width_mult']!r} is needed"
        )
    fitness = SupernetFitness(
        path, opts["data"], split_seed=opts["split_seed"], device=opts["device"],
        recal_images=opts["recal_images"] or recipe.recal_images, seed=run.seed,
    )  # fmt: skip
    atomic_write_json(run.dir / "fitness.json", fitness.describe())
    return Problem(space, fitness, cost, budget)


def train_step(genome: Genome, run: Run, opts: dict[str, Any], flops: float) -> dict[str, Any]:
    """Train the static network of ``genome`` from scratch; test top-1/top-5 and files."""
    data, recipe = data_and_recipe(opts)
    model = BinMobileNet(genome, opts["module"], data.num_classes, opts["width_mult"])
    metrics = train_model(
        model, data, epochs=opts["final_epochs"] or recipe.final_epochs,
        batch_size=opts["batch_size"] or recipe.batch_size, lr=opts["final_lr"] or recipe.final_lr,
        out_dir=run.dir, seed=run.seed, device=opts["device"], progress=run.progress,
        meta={"flops": flops, "flop_resolution": opts["resolution"]},
    )  # fmt: skip
    return {
        **metrics,
        "seed": run.seed,
        "genome": list(genome),
        "cost": flops,
        "module": opts["module"],
    }


def load_model(path: str | Path) -> BinMobileNet:
    """The trained static network saved by ``evogroup train`` (``model.pt``), in eval mode.

    Example:
        >>> model = binmobilenet.load_model("runs/x/model.pt")  # doctest: +SKIP
    """
    from binmobilenet.checkpoints import MODEL_KIND

    ckpt = load_checkpoint(path, MODEL_KIND)
    meta = ckpt["meta"]
    model = BinMobileNet(meta["genome"], meta["module"], meta["num_classes"], meta["width_mult"])
    model.load_state_dict(ckpt["model"])
    return model.eval()
