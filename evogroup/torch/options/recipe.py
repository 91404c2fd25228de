"""Training recipes: the paper's and the small data's defaults, merged once with the
user's options into the settings of one training.

The recipe is the paper's (Sec. 4.1): Adam (betas 0.9, 0.999), lr 1e-3 decayed linearly
to 0 over all steps, batch 512; 64 epochs for the supernet and 256 for the final model
on ImageNet. :func:`default_recipe` scales it down for the small built-in data so the
default CLI demo runs in minutes on a laptop CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from evogroup.core.errors import InvalidValueError, OptionError
from evogroup.torch.options.choices import SAMPLING

__all__ = ["EVAL_BATCH", "Recipe", "TrainConfig", "default_recipe", "merge_options"]

#: Images per forward pass in evaluation and BatchNorm recalibration.
EVAL_BATCH = 512
#: The supernet's sampling and levers as the paper trains it: a checkpoint's recipe records
#: only the values that differ (so one written before a lever existed still resumes).
_PAPER_SAMPLING = {
    "sampling": "uniform",
    "distill": False,
    "budget": None,
    "fair": False,
    "sandwich_genomes": 3,
    "bn_per_choice": False,
    "weight_decay": 0.0,
}


@dataclass(frozen=True)
class Recipe:
    """Training and fitness settings for one dataset.

    Attributes:
        supernet_epochs: epochs of supernet training (paper: 64).
        final_epochs: epochs of the final, from-scratch training (paper: 256).
        batch_size: images per step (paper: 512).
        lr: Adam's initial learning rate for the supernet, decayed linearly to 0 (paper: 1e-3).
        final_lr: the same for the final model (paper: 1e-3).
        recal_images: training images forwarded to recalibrate BatchNorm per genome.
        eval_batch_size: images per forward pass in evaluation and recalibration.
        sampling, distill, fair, sandwich_genomes, bn_per_choice, weight_decay: the
            supernet's genomes per step and its levers (see :class:`TrainConfig`).
    """

    supernet_epochs: int
    final_epochs: int
    batch_size: int
    lr: float = 1e-3
    final_lr: float = 1e-3
    recal_images: int = 1024
    eval_batch_size: int = EVAL_BATCH
    sampling: str = "uniform"
    distill: bool = False
    fair: bool = False
    sandwich_genomes: int = 3
    bn_per_choice: bool = False
    weight_decay: float = 0.0

    def supernet(self, seed: int, budget: float | None = None) -> TrainConfig:
        """The supernet training of this recipe, with ``seed`` and the genomes' ``budget``."""
        levers = {k: getattr(self, k) for k in _PAPER_SAMPLING if k != "budget"}
        return TrainConfig(
            self.supernet_epochs,
            self.batch_size,
            self.lr,
            seed,
            budget=budget,
            eval_batch_size=self.eval_batch_size,
            **levers,
        )

    def final(self, seed: int) -> TrainConfig:
        """The from-scratch training of a searched network under this recipe."""
        return TrainConfig(
            self.final_epochs,
            self.batch_size,
            self.final_lr,
            seed,
            eval_batch_size=self.eval_batch_size,
        )


def default_recipe(data_name: str = "digits", image_size: int | None = None) -> Recipe:
    """The default recipe for a dataset name (``DataSplits.name``) and training resolution.

    ImageNet-sized images get the paper's recipe. Digits gets a CPU demo: 30 epochs of 20
    steps take about 3.3 minutes for M2 at width 1.0 on 2 cores (5.5 s per epoch). Under a
    new random genome every step the supernet sits near chance for the first few hundred
    steps; with lr 1e-3 it rarely leaves that plateau within a demo's budget, with 5e-3 it
    does (about 50% top-1 on search-val after recalibration). A single static net learns
    digits at 1e-3 (95-99% test top-1 in 30 epochs).

    Example:
        >>> default_recipe("imagefolder", 224).supernet_epochs
        64
    """
    if data_name == "digits":
        return Recipe(30, 30, batch_size=64, lr=5e-3, final_lr=1e-3, recal_images=128)
    if data_name == "imagefolder" and (image_size or 224) >= 224:  # the paper's ImageNet recipe
        return Recipe(64, 256, batch_size=512, lr=1e-3, final_lr=1e-3, recal_images=4096)
    return Recipe(64, 128, batch_size=256, lr=1e-3, final_lr=1e-3, recal_images=2048)  # unmeasured


def merge_options(recipe: Recipe, opts: Any) -> Recipe:
    """``recipe`` with every value the user gave in ``opts`` (a backend's
    :class:`~evogroup.torch.backend.training_options.TrainingOptions`) in place of its own: the one
    place where options and recipe meet. The levers ``fair``, ``bn_per_choice`` and
    ``weight_decay`` come from ``opts`` always (their options default to the paper's values).

    Raises:
        OptionError: ``--distill`` or ``--sandwich-genomes`` without ``--sampling sandwich``,
            or ``--fair true`` with ``--train-budget``.
    """
    sampling = opts.sampling or recipe.sampling
    distill = recipe.distill and sampling == "sandwich" if opts.distill is None else opts.distill
    if distill and sampling != "sandwich":
        raise OptionError(f"--distill needs --sampling sandwich, but sampling is {sampling}")
    return replace(
        recipe,
        supernet_epochs=opts.epochs or recipe.supernet_epochs,
        final_epochs=opts.final_epochs or recipe.final_epochs,
        batch_size=opts.batch_size or recipe.batch_size,
        lr=opts.lr or recipe.lr,
        final_lr=opts.final_lr or recipe.final_lr,
        recal_images=opts.recal_images or recipe.recal_images,
        sampling=sampling,
        distill=distill,
        **_levers(recipe, opts, sampling),
    )


def _levers(recipe: Recipe, opts: Any, sampling: str) -> dict[str, Any]:
    """The supernet levers of ``opts`` over ``recipe``'s, refused where they clash."""
    if opts.sandwich_genomes is not None and sampling != "sandwich":
        raise OptionError(
            f"--sandwich-genomes needs --sampling sandwich, but sampling is {sampling}"
        )
    if opts.fair and opts.train_budget is not None:
        raise OptionError(
            f"--fair true draws from the whole space, so --train-budget must not be"
            f" given, but got --train-budget {opts.train_budget:g}"
        )
    paper = _PAPER_SAMPLING["sandwich_genomes"]  # the only count uniform sampling allows
    given = opts.sandwich_genomes or (recipe.sandwich_genomes if sampling == "sandwich" else paper)
    # the other levers' options default to the paper's values, so opts always hold one
    return {
        "fair": opts.fair,
        "sandwich_genomes": given,
        "bn_per_choice": opts.bn_per_choice,
        "weight_decay": opts.weight_decay,
    }


@dataclass(frozen=True)
class TrainConfig:
    """One training's settings; a checkpoint is resumed only with the same ones.

    Attributes:
        epochs, batch_size, lr: Adam with ``lr`` decayed linearly to 0 over all steps.
        seed: initialises the network (when built under :func:`evogroup.torch.train.trainer.seeded`),
            orders the data, drives augmentation and draws the supernet's genomes.
        sampling: the supernet's genomes per step (:func:`evogroup.torch.train.trainer.train_supernet`):
            ``"uniform"``, one random genome (the paper, SPOS); ``"sandwich"``, the largest,
            the smallest and one random genome, their gradients summed (BigNAS).
        distill: with ``"sandwich"``, the smallest and the random genome learn the
            largest genome's predictions (in-place distillation) instead of the labels.
        budget: the random genome is drawn under this cost budget (SPOS's constrained
            sampling; ``train_supernet`` is given the draw), ``None`` from the whole space.
        fair: strictly fair sampling of the random genomes (every choice of every gene
            used equally often within a cycle; :class:`~evogroup.torch.train.steps.FairDraw`).
        sandwich_genomes: genomes per ``"sandwich"`` step: the largest, the smallest and
            ``sandwich_genomes - 2`` random ones.
        bn_per_choice: separate BatchNorm statistics and affine per choice of the preceding
            searchable conv's groups (:mod:`evogroup.torch.nn.choice_bn`; ``train_supernet``
            converts the net, :func:`~evogroup.torch.nn.weights.load_supernet` again).
        weight_decay: decoupled weight decay (AdamW) on every weight; 0 is plain Adam.
        eval_batch_size: images per forward pass of the test evaluation (changes no
            weight, so no part of what a resumed run must match).
    """

    epochs: int
    batch_size: int
    lr: float
    seed: int
    sampling: str = "uniform"
    distill: bool = False
    budget: float | None = None
    eval_batch_size: int = EVAL_BATCH
    fair: bool = False
    sandwich_genomes: int = 3
    bn_per_choice: bool = False
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0 or self.eval_batch_size < 1:
            raise InvalidValueError(
                f"epochs >= 1, batch_size >= 1, lr > 0 and eval_batch_size >= 1 must hold, but"
                f" got {self.to_json() | {'eval_batch_size': self.eval_batch_size}}"
            )
        if self.sampling not in SAMPLING or (self.distill and self.sampling != "sandwich"):
            raise InvalidValueError(
                f"sampling must be one of {SAMPLING} and distill needs 'sandwich', but got"
                f" {self.to_json()}"
            )
        _check_levers(self)

    def to_json(self) -> dict[str, Any]:
        """The settings, the supernet's sampling ones and levers only where they differ from
        the paper's (so a checkpoint written before they existed still resumes)."""
        out = {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "seed": self.seed,
        }
        extra = {k: getattr(self, k) for k in _PAPER_SAMPLING}
        return out | {k: v for k, v in extra.items() if v != _PAPER_SAMPLING[k]}


def _check_levers(config: TrainConfig) -> None:
    """Refuse supernet levers that contradict each other (one line naming the values)."""
    if config.sandwich_genomes < 3 or (
        config.sandwich_genomes != 3 and config.sampling != "sandwich"
    ):
        raise InvalidValueError(
            f"sandwich_genomes >= 3 must hold and needs sampling 'sandwich', but got"
            f" sandwich_genomes={config.sandwich_genomes}, sampling={config.sampling!r}"
        )
    if config.fair and config.budget is not None:
        raise InvalidValueError(
            f"fair sampling draws from the whole space, so no budget may be given, but got"
            f" budget={config.budget}"
        )
    if not config.weight_decay >= 0:
        raise InvalidValueError(
            f"weight_decay >= 0 must hold, but got weight_decay={config.weight_decay}"
        )
