"""One optimisation step's forward(s) and backward(s), before the optimizer steps.

A static network learns the labels. A supernet learns under the genomes of its
:class:`~evogroup.torch.recipe.TrainConfig`'s ``sampling``: ``uniform``, one random
genome per step (the paper, SPOS); ``sandwich``, the largest, the smallest and one
random genome, their gradients summed (BigNAS), with ``distill`` the two smaller ones
learning the largest one's predictions (in-place distillation).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from evogroup.core.operators import sample
from evogroup.torch import distributed
from evogroup.torch.accel import Speed
from evogroup.torch.protocol import WeightSharingNet

Learned = tuple[torch.Tensor, torch.Tensor]  # one step's loss and logits, gradients taken
Step = Callable[[nn.Module, torch.Tensor, torch.Tensor, random.Random, Speed], Learned]
CHECK_GENOME_EVERY = 50  # supernet steps between two cross-rank genome checks under DDP


def supernet_step(
    net: WeightSharingNet, config: Any, draw: Callable[[random.Random], tuple] | None = None
) -> Step:
    """The step of a supernet trained with ``config`` (its ``sampling`` and ``distill``).

    The random genome of each step comes from ``draw(rng)`` (default: uniform over
    ``net.space``) with the run's own ``rng``; under ``torchrun`` every rank draws the
    same one, checked across ranks every :data:`CHECK_GENOME_EVERY` steps.
    """
    space = net.space
    largest = tuple(layer.choices[0] for layer in space.layers)  # fewest groups: most weights
    smallest = tuple(layer.choices[-1] for layer in space.layers)
    steps = 0

    def step(model: nn.Module, x: torch.Tensor, y: torch.Tensor, rng: random.Random,
             speed: Speed) -> Learned:  # fmt: skip
        nonlocal steps
        genome = draw(rng) if draw is not None else sample(space, rng)
        if steps % CHECK_GENOME_EVERY == 0:
            distributed.check_same(genome, f"the genome of step {steps + 1} of this process")
        steps += 1
        if config.sampling == "uniform":
            return learn_genomes(model, net, [genome], x, y, speed)
        return learn_genomes(model, net, [largest, smallest, genome], x, y, speed,
                             distill=config.distill)  # fmt: skip

    return step


def learn_static(model: nn.Module, x: torch.Tensor, y: torch.Tensor, rng: random.Random,
                 speed: Speed) -> Learned:  # fmt: skip
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
                loss = nn.functional.kl_div(logits.float().log_softmax(1), teacher,
                                            reduction="batchmean")  # fmt: skip
            else:
                loss = nn.functional.cross_entropy(logits, y)
            if distill and teacher is None:
                teacher = logits.detach().float().softmax(1)
            loss.backward()
    return loss.detach(), logits.detach()
