"""One optimisation step's forward(s) and backward(s), before the optimizer steps.

A static network learns the labels. A supernet learns under the genomes of its
:class:`~evogroup.torch.options.recipe.TrainConfig`'s ``sampling``: ``uniform``, one random
genome per step (the paper, SPOS); ``sandwich``, the largest, the smallest and
``sandwich_genomes - 2`` random genomes (default one), their gradients summed (BigNAS),
with ``distill`` the smaller ones learning the largest one's predictions (in-place
distillation). With ``fair`` the random genomes are drawn strictly fairly
(:class:`FairDraw`) instead of uniformly.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from evogroup.core.operators import sample
from evogroup.core.space import SearchSpace
from evogroup.torch.device import distributed
from evogroup.torch.device.accel import Speed
from evogroup.torch.nn.protocol import WeightSharingNet

Learned = tuple[torch.Tensor, torch.Tensor]  # one step's loss and logits, gradients taken
Step = Callable[[nn.Module, torch.Tensor, torch.Tensor, random.Random, Speed], Learned]
CHECK_GENOME_EVERY = 50  # supernet steps between two cross-rank genome checks under DDP


class FairDraw:
    r"""Strictly fair sampling: draw :math:`d` (0, 1, 2, ...) of the random genomes gives
    gene :math:`i`, which has :math:`k_i` choices, element :math:`d \bmod k_i` of a
    permutation of its choices drawn afresh for each cycle :math:`\lfloor d / k_i \rfloor`.
    Within every cycle of a gene each of its choices is used exactly once (FairNAS's
    strict fairness; FairNAS also gives every gene the same number of choices and one
    optimizer step per cycle, which group counts' unequal choice lists do not allow).

    A draw is a pure function of ``(seed, d)``: a resumed run continues the same sequence
    (``supernet_step`` counts the draws, and the trainer tells it where to resume).

    Example:
        >>> from evogroup import Layer, SearchSpace
        >>> fair = FairDraw(SearchSpace((Layer("a", (1, 2)), Layer("b", (1, 2, 4)))), seed=0)
        >>> sorted(fair(d)[1] for d in range(3)), sorted(fair(d)[0] for d in range(2))
        ([1, 2, 4], [1, 2])
    """

    def __init__(self, space: SearchSpace, seed: int):
        self.choices = [layer.choices for layer in space.layers]
        self.seed = seed
        self._latest: dict[int, tuple[int, list[int]]] = {}  # gene -> its last cycle's order

    def __call__(self, d: int) -> tuple[int, ...]:
        return tuple(self._cycle(i, d // len(c))[d % len(c)] for i, c in enumerate(self.choices))

    def _cycle(self, gene: int, cycle: int) -> list[int]:
        known, order = self._latest.get(gene, (-1, []))
        if known != cycle:
            choices = self.choices[gene]
            order = random.Random(f"{self.seed}:{gene}:{cycle}").sample(choices, len(choices))
            self._latest[gene] = (cycle, order)
        return order


def supernet_step(
    net: WeightSharingNet, config: Any, draw: Callable[[random.Random], tuple] | None = None
) -> Step:
    """The step of a supernet trained with ``config`` (its ``sampling``, ``distill``,
    ``sandwich_genomes`` and ``fair``).

    The random genomes of each step come from ``draw(rng)`` (default: uniform over
    ``net.space``) with the run's own ``rng``, or with ``config.fair`` from a
    :class:`FairDraw` seeded by ``config.seed``; under ``torchrun`` every rank draws the
    same ones, checked across ranks every :data:`CHECK_GENOME_EVERY` steps. The step's
    ``resume_at(n)`` continues after ``n`` finished steps (the fair draws' position).
    """
    space = net.space
    largest = tuple(layer.choices[0] for layer in space.layers)  # fewest groups: most weights
    smallest = tuple(layer.choices[-1] for layer in space.layers)
    randoms = 1 if config.sampling == "uniform" else config.sandwich_genomes - 2
    fair = FairDraw(space, config.seed) if config.fair else None
    steps = 0

    def one(rng: random.Random, j: int) -> tuple:
        if fair is not None:
            return fair(steps * randoms + j)
        return draw(rng) if draw is not None else sample(space, rng)

    def step(
        model: nn.Module, x: torch.Tensor, y: torch.Tensor, rng: random.Random, speed: Speed
    ) -> Learned:
        nonlocal steps
        genomes = [one(rng, j) for j in range(randoms)]
        if steps % CHECK_GENOME_EVERY == 0:
            distributed.check_same(genomes[0], f"the genome of step {steps + 1} of this process")
        steps += 1
        if config.sampling == "uniform":
            return learn_genomes(model, net, genomes, x, y, speed)
        return learn_genomes(
            model, net, [largest, smallest, *genomes], x, y, speed, distill=config.distill
        )

    def resume_at(done: int) -> None:
        nonlocal steps
        steps = done

    step.resume_at = resume_at  # type: ignore[attr-defined]
    return step


def learn_static(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, rng: random.Random, speed: Speed
) -> Learned:
    """A static network's step: cross-entropy on the labels, backward.

    Example:
        >>> net, speed = nn.Linear(4, 3), Speed(torch.device("cpu"))
        >>> loss, logits = learn_static(net, torch.ones(2, 4), torch.tensor([0, 2]), None, speed)
        >>> logits.shape, net.weight.grad is not None
        (torch.Size([2, 3]), True)
    """
    with speed.autocast():
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
    loss.backward()
    return loss.detach(), logits.detach()


def learn_genomes(
    model: nn.Module,
    net: WeightSharingNet,
    genomes: list,
    x: torch.Tensor,
    y: torch.Tensor,
    speed: Speed,
    *,
    distill: bool = False,
) -> Learned:
    r"""Forward and backward ``x`` under each genome in turn, summing the gradients.

    With ``distill`` the first genome (the largest) learns the labels and every other one
    the largest's predictions, :math:`\mathrm{KL}(\mathrm{softmax}(z_{large})\,\|\,
    \mathrm{softmax}(z))` (in-place distillation, BigNAS). Each genome backpropagates
    before the next is set, because the masked kernel's masks change in place; under DDP
    gradients are all-reduced once, after the last. Returns the last genome's (the random
    one's) loss and logits, which the epoch's metrics report.

    ``model`` runs the forward (``net`` itself, or it under DDP and/or torch.compile);
    ``net`` takes the genome.
    """
    ddp = getattr(model, "_orig_mod", model)
    teacher = None
    for i, genome in enumerate(genomes):
        last = i == len(genomes) - 1
        sync = contextlib.nullcontext() if last or not hasattr(ddp, "no_sync") else ddp.no_sync()
        with sync:
            net.set_genome(genome)
            with speed.autocast():
                logits = model(x)
            if distill and teacher is not None:
                loss = nn.functional.kl_div(
                    logits.float().log_softmax(1), teacher, reduction="batchmean"
                )
            else:
                loss = nn.functional.cross_entropy(logits, y)
            if distill and teacher is None:
                teacher = logits.detach().float().softmax(1)
            loss.backward()
    return loss.detach(), logits.detach()
