r"""BatchNorm per group choice: separate statistics and affine for each choice of the
preceding searchable conv's group count.

A searchable conv's output statistics depend on its group count :math:`g` (a
:math:`g`-group conv sums :math:`C_{in}/g` inputs per output), so one BatchNorm shared by
every choice normalizes each of them with statistics that fit none (the channel-search
literature keeps BatchNorm per width choice for this reason). :func:`per_choice_bn`
replaces, in a :class:`~evogroup.torch.nn.shared.SharedSupernet`, every BatchNorm that
directly follows a searchable conv (the next conv-or-BatchNorm module in registration
order) by a :class:`ChoiceBatchNorm2d` holding one ``BatchNorm2d`` per choice of that gene,
each starting as a copy of the original; the conv's current group count picks the one
that runs. :func:`choice_state` turns a supernet state dict into the static network's
(the chosen BatchNorm under the plain name), for :meth:`SharedSupernet.export`.

BatchNorm recalibration (:func:`~evogroup.torch.fitness.supernet_fitness.recalibrate_bn`) needs nothing
new: it resets every BatchNorm and the active choice's gathers the statistics. The
forward pass reads the conv's group count (a Python int): under ``torch.compile`` every
new combination of choices recompiles, so keep ``--compile`` off with this option.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import Tensor, nn

_CONVS = (nn.Conv2d,)


class ChoiceBatchNorm2d(nn.Module):
    """One ``BatchNorm2d`` per group choice of ``conv`` (the searchable conv before it);
    the one of ``conv.groups`` runs.

    Example:
        >>> conv = nn.Conv2d(4, 4, 1, groups=2)
        >>> bn = ChoiceBatchNorm2d(nn.BatchNorm2d(4), conv, (1, 2, 4))
        >>> _ = bn(torch.randn(8, 4, 2, 2))
        >>> [int(b.num_batches_tracked) for b in bn.choices]
        [0, 1, 0]
    """

    def __init__(self, bn: nn.BatchNorm2d, conv: nn.Module, choices: Iterable[int]):
        super().__init__()
        self.groups = tuple(choices)
        self.choices = nn.ModuleList(_copy(bn) for _ in self.groups)
        self._index = {g: i for i, g in enumerate(self.groups)}
        self.__dict__["conv"] = conv  # read, not owned: not a submodule

    def active(self) -> nn.BatchNorm2d:
        """The BatchNorm of the conv's current group count."""
        return self.choices[self._index[self.conv.groups]]

    def forward(self, x: Tensor) -> Tensor:
        bn = self.active()
        y = bn(x)
        if self.training and torch.is_grad_enabled():
            # every weight in the graph (DDP needs no find_unused_parameters): the other
            # choices' affine parameters get an exact zero gradient, as unused slices do
            unused = [p.sum() for b in self.choices if b is not bn for p in b.parameters()]
            if unused:
                y = y + 0.0 * torch.stack(unused).sum()
        return y

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


def _copy(bn: nn.BatchNorm2d) -> nn.BatchNorm2d:
    out = nn.BatchNorm2d(bn.num_features, bn.eps, bn.momentum, bn.affine, bn.track_running_stats)
    out.load_state_dict(bn.state_dict())
    return out.to(next(iter(bn.state_dict().values())).device)


def per_choice_bn(net: nn.Module) -> int:
    """Give every BatchNorm that directly follows one of ``net``'s searchable convs (its
    ``_genes``, in ``net.space`` order) one copy per choice of that gene, in place.

    Returns:
        How many BatchNorms were split (a net already converted gives 0).
    """
    genes = {id(conv): layer.choices for conv, layer in zip(net._genes, net.space.layers)}
    found: list[tuple[str, ChoiceBatchNorm2d]] = []
    pending: tuple[nn.Module, tuple[int, ...]] | None = None
    for name, module in net.named_modules():
        if isinstance(module, ChoiceBatchNorm2d):
            return 0
        if id(module) in genes:
            pending = (module, genes[id(module)])
        elif isinstance(module, _CONVS):
            pending = None
        elif isinstance(module, nn.BatchNorm2d) and pending is not None:
            conv, choices = pending
            if module.num_features == conv.out_channels:
                found.append((name, ChoiceBatchNorm2d(module, conv, choices)))
            pending = None
    for name, choice_bn in found:
        parent, _, attr = name.rpartition(".")
        setattr(net.get_submodule(parent) if parent else net, attr, choice_bn)
    return len(found)


def choice_state(net: nn.Module, state: Mapping[str, Tensor], genome: Iterable[int]) -> dict:
    """``state`` (a supernet state dict) with each :class:`ChoiceBatchNorm2d`'s entries
    replaced by those of ``genome``'s choice under the plain BatchNorm names: what the
    static network of ``genome`` loads. Unchanged when ``net`` has none."""
    groups = {id(conv): g for conv, g in zip(net._genes, net.space.validate(genome))}
    out = dict(state)
    for name, module in net.named_modules():
        if not isinstance(module, ChoiceBatchNorm2d):
            continue
        chosen = module.groups.index(groups[id(module.conv)])
        prefix = f"{name}.choices."
        for key in [k for k in out if k.startswith(prefix)]:
            index, _, rest = key[len(prefix) :].partition(".")
            value = out.pop(key)
            if int(index) == chosen:
                out[f"{name}.{rest}"] = value
    return out
