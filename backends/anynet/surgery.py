r"""Module surgery: which convs of a model become genes, and the convs that replace them.

**Policy.** ``convs="grouped"`` (the default) makes a gene of every ``nn.Conv2d`` that is
already grouped or depthwise (``groups > 1``); otherwise ``convs`` is a comma list of
module-name glob patterns (``"layer*.conv2,features.*.conv.1.0"``) matched against the
qualified names of the model's convs. A gene is named by its module's qualified name;
its choices are the divisors of :math:`\gcd(C_{in}, C_{out})`, clipped to ``max_groups``.
Its *native* value is the model's own group count.

**Binarization.** Every conv but the stem (the first conv registered) and the classifier
(the last conv registered, when no ``nn.Linear`` comes after it) becomes binary, and every
``ReLU``/``ReLU6`` a ``PReLU`` (whose output a binary conv's ``sign`` can read).

A searchable conv must be square, unbiased, undilated and zero-padded by
``kernel // 2`` with equal strides (what :class:`~evogroup.torch.nn.shared.SharedConv2d` and
the FLOP table's single-layer counts compute); the convs of torchvision's CNNs are.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

import torch
from torch import nn

from evogroup.core.errors import OptionError
from evogroup.core.space import Genome, Layer, SearchSpace
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.shared import SharedConv2d

GROUPED = "grouped"


@dataclass(frozen=True)
class Genes:
    """The searchable convs of a model: the space (gene names = module names) and the
    model's own group counts (``native``)."""

    space: SearchSpace
    native: Genome


def convs_of(model: nn.Module) -> dict[str, nn.Conv2d]:
    """Every ``nn.Conv2d`` of ``model`` by qualified name, in registration order."""
    return {name: m for name, m in model.named_modules() if isinstance(m, nn.Conv2d)}


def select(model: nn.Module, convs: str = GROUPED, label: str = "the model") -> list[str]:
    """The names of the convs that ``convs`` (the policy, see the module docstring) selects."""
    found = convs_of(model)
    if convs == GROUPED:
        names = [name for name, conv in found.items() if conv.groups > 1]
        if not names:
            raise OptionError(
                f"{label} has no searchable conv: none of its {len(found)} convs is grouped or"
                f" depthwise; name the convs to search with --convs PATTERN (e.g."
                f" {_examples(found)})"
            )
        return names
    patterns = [p.strip() for p in convs.split(",") if p.strip()]
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(name, pattern) for name in found):
            raise OptionError(
                f"each --convs pattern must match a conv of {label}, but {pattern!r} matches"
                f" none; its convs are named like {_examples(found)}"
            )
    return [name for name in found if any(fnmatch.fnmatchcase(name, p) for p in patterns)]


def find_genes(
    model: nn.Module,
    convs: str = GROUPED,
    max_groups: int | None = None,
    label: str = "the model",
) -> Genes:
    """The genes of ``model`` under the ``convs`` policy, choices clipped to ``max_groups``.

    Raises:
        OptionError: no conv selected; a selected conv that cannot be searched (naming
            them); selected convs whose channels allow no group count but 1 (naming them).
    """
    names = select(model, convs, label)
    found = convs_of(model)
    odd = [f"{n} ({why})" for n in names if (why := unsupported(found[n]))]
    if odd:
        raise OptionError(
            f"a searchable conv must be square, unbiased, undilated and zero-padded by"
            f" kernel//2, but got {', '.join(odd)}; leave them out of --convs"
        )
    layers = [
        Layer.from_channels(n, found[n].in_channels, found[n].out_channels, max_groups=max_groups)
        for n in names
    ]
    only_one = [lay.name for lay in layers if lay.choices == (1,)]
    if only_one:
        why = "gcd(C_in, C_out) = 1" if max_groups is None else f"and max_groups={max_groups}"
        raise OptionError(
            f"a searchable conv must allow a group count other than 1, but the channels"
            f" ({why}) of {', '.join(only_one)} allow only 1; leave them out of --convs"
        )
    return Genes(SearchSpace(tuple(layers)), tuple(found[n].groups for n in names))


def unsupported(conv: nn.Conv2d) -> str | None:
    """Why ``conv`` cannot be a gene, or None when it can."""
    (kh, kw), (sh, sw) = conv.kernel_size, conv.stride
    if kh != kw:
        return f"kernel {kh}x{kw}"
    if conv.padding != (kh // 2, kh // 2) or conv.padding_mode != "zeros":
        return f"padding {conv.padding!r} ({conv.padding_mode})"
    if conv.dilation != (1, 1):
        return f"dilation {conv.dilation}"
    if conv.bias is not None:
        return "a bias"
    return None if sh == sw else f"stride {conv.stride}"


def real_convs(model: nn.Module) -> set[str]:
    """The convs that ``--binarize`` keeps real: the stem (the first conv registered) and
    the classifier (the last conv registered, when no ``nn.Linear`` follows it)."""
    names = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    convs = [name for name in names if isinstance(model.get_submodule(name), nn.Conv2d)]
    keep = set(convs[:1])
    if names and convs and names[-1] == convs[-1]:
        keep.add(convs[-1])
    return keep


def binarize_model(model: nn.Module) -> nn.Module:
    """Binarize ``model`` in place: every conv but :func:`real_convs` becomes a
    :class:`~evogroup.torch.nn.binary.BinaryConv2d` holding the same parameters, and every
    ``ReLU``/``ReLU6`` module a ``PReLU`` (one slope, as the paper's stem): ``sign`` of a
    ReLU's output is always +1, so a binary conv reading it would see a constant input."""
    keep = real_convs(model)
    for name, conv in convs_of(model).items():
        if name not in keep and not isinstance(conv, BinaryConv2d):
            model.set_submodule(name, regrouped(conv, conv.groups, binary=True, weight=conv.weight))
    for name, module in list(model.named_modules()):
        if type(module) in (nn.ReLU, nn.ReLU6):
            p = next(model.parameters())
            model.set_submodule(name, nn.PReLU(device=p.device, dtype=p.dtype))
    return model


def regrouped(
    conv: nn.Conv2d, groups: int, binary: bool, weight: torch.Tensor | None = None
) -> nn.Conv2d:
    """``conv`` as a ``groups``-group ``nn.Conv2d`` (``BinaryConv2d`` when ``binary``), with
    ``weight`` (``[C_out, C_in / groups, k, k]``) or, when None, PyTorch's default init."""
    cls, w = BinaryConv2d if binary else nn.Conv2d, conv.weight
    new = cls(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
        groups,
        conv.bias is not None,
        conv.padding_mode,
        device=w.device,
        dtype=w.dtype,
    )
    with torch.no_grad():
        if weight is not None:
            new.weight.copy_(weight)
        if conv.bias is not None:
            new.bias.copy_(conv.bias)
    return new.train(conv.training)


def shared_from(conv: nn.Conv2d, binary: bool) -> SharedConv2d:
    """A :class:`~evogroup.torch.nn.shared.SharedConv2d` whose full weight holds ``conv``'s
    weight on its ``conv.groups``-block diagonal (the rest: the shared conv's own init), so
    that under ``conv.groups`` groups it computes what ``conv`` computes."""
    shared = SharedConv2d(
        conv.in_channels, conv.out_channels, conv.kernel_size[0], conv.stride[0], binary
    )
    shared.to(device=conv.weight.device, dtype=conv.weight.dtype)
    with torch.no_grad():
        embed_block_diagonal(shared.weight, conv.weight, conv.groups)
    return shared.train(conv.training)


def embed_block_diagonal(full: torch.Tensor, weight: torch.Tensor, groups: int) -> None:
    r"""Write a ``groups``-group weight ``[C_out, C_in/g, k, k]`` into the block diagonal of
    the full weight ``[C_out, C_in, k, k]``, in place: the inverse of
    :func:`~evogroup.torch.nn.shared.block_diagonal`,
    :math:`W[j\,C_{out}/g + a,\ j\,C_{in}/g + b] = W^{(g)}[j\,C_{out}/g + a,\ b]`."""
    cout, cin, kh, kw = full.shape
    blocks = full.view(groups, cout // groups, groups, cin // groups, kh, kw)
    per_group = weight.reshape(groups, cout // groups, cin // groups, kh, kw)
    blocks.diagonal(dim1=0, dim2=2).copy_(per_group.permute(1, 2, 3, 4, 0))


def _examples(found: dict[str, nn.Conv2d], limit: int = 4) -> str:
    names = list(found)
    shown = names[:limit] + (["..."] if len(names) > limit else [])
    return ", ".join(shown) if shown else "(no conv at all)"
