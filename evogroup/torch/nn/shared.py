r"""Weight sharing: one full weight per searchable conv, used as a g-group conv.

A searchable conv owns one full weight
:math:`W \in \mathbb{R}^{C_{out} \times C_{in} \times k \times k}`. With :math:`g` groups
it uses the block-diagonal slice, output block :math:`j` reading input block :math:`j`:

.. math::

    W^{(g)}[j\,C_{out}/g + a,\ b] = W[j\,C_{out}/g + a,\ j\,C_{in}/g + b],
    \qquad 0 \le a < C_{out}/g,\ 0 \le b < C_{in}/g,

reshaped to :math:`[C_{out}, C_{in}/g, k, k]` for ``F.conv2d(groups=g)``, binarized after
slicing. Parts of :math:`W` a genome does not use get a zero gradient.

That is the ``"grouped"`` kernel. The ``"masked"`` kernel (:mod:`evogroup.torch.nn.masked`)
computes the same function as a dense conv over :math:`W \odot M^{(g)}`, with shapes fixed
for every genome (fast on a GPU). The kernel is a runtime choice: checkpoints and
:meth:`SharedSupernet.export` are the same for both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evogroup.core.errors import InvalidValueError
from evogroup.torch.nn.binary import binarize_activation, binarize_weight
from evogroup.torch.nn.choice_bn import choice_state
from evogroup.torch.nn.masked import add_mask_buffers, drop_mask_buffers, masked_conv, set_mask
from evogroup.torch.options.choices import KERNELS


def block_diagonal(weight: Tensor, groups: int) -> Tensor:
    """The ``groups``-block-diagonal slice of a full ``[C_out, C_in, k, k]`` weight, shaped
    ``[C_out, C_in / groups, k, k]`` as ``F.conv2d(groups=groups)`` expects."""
    if groups == 1:
        return weight
    cout, cin, kh, kw = weight.shape
    blocks = weight.view(groups, cout // groups, groups, cin // groups, kh, kw)
    diag = blocks.diagonal(dim1=0, dim2=2)  # [C_out/g, C_in/g, kh, kw, g]
    return diag.permute(4, 0, 1, 2, 3).reshape(cout, cin // groups, kh, kw)


class SharedConv2d(nn.Module):
    """A searchable conv: one full weight, used as a ``groups``-group conv (set by the net).

    Args:
        binary: binarize activations and (sliced) weights, as :class:`BinaryConv2d`.
        kernel: ``"grouped"`` (slice, ``F.conv2d(groups=g)``) or ``"masked"`` (dense conv
            over the block-diagonal masked weight; :mod:`evogroup.torch.nn.masked`).
    """

    def __init__(
        self,
        cin: int,
        cout: int,
        kernel_size: int,
        stride: int,
        binary: bool,
        kernel: str = "grouped",
    ):
        super().__init__()
        self.in_channels, self.out_channels, self.binary = cin, cout, binary
        self.stride, self.padding = stride, kernel_size // 2
        self.groups, self.kernel = 1, "grouped"
        self.weight = nn.Parameter(torch.empty(cout, cin, kernel_size, kernel_size))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # nn.Conv2d's default
        self.use_kernel(kernel)

    def use_kernel(self, kernel: str) -> None:
        """Compute with ``kernel`` (``"grouped"`` or ``"masked"``) from now on; the weight
        and the group count are kept."""
        if kernel not in KERNELS:
            raise InvalidValueError(
                f"kernel must be one of {', '.join(KERNELS)}, but got {kernel!r}"
            )
        self.kernel = kernel
        if kernel == "masked":
            add_mask_buffers(self)
        else:
            drop_mask_buffers(self)

    def set_groups(self, groups: int) -> None:
        """Use ``groups`` groups from now on (the masked kernel rewrites its mask in place)."""
        self.groups = groups
        if self.kernel == "masked":
            set_mask(self, groups)

    def forward(self, x: Tensor) -> Tensor:
        if self.kernel == "masked":  # never reads self.groups: no recompilation per genome
            return masked_conv(self, x)
        w = block_diagonal(self.weight, self.groups)
        if self.binary:
            x, w = binarize_activation(x), binarize_weight(w)
        return F.conv2d(x, w, None, self.stride, self.padding, 1, self.groups)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.weight.shape[-1]},"
            f" stride={self.stride}, binary={self.binary}, groups={self.groups},"
            f" kernel={self.kernel!r}"
        )


def searchable_conv(
    cin: int,
    cout: int,
    kernel_size: int,
    stride: int,
    binary: bool,
    groups: int | None,
    kernel: str = "grouped",
) -> nn.Module:
    """A :class:`SharedConv2d` computed by ``kernel`` (grouped or masked) when ``groups``
    is None (a supernet's gene), else the static ``groups``-group conv it exports to
    (binary or real, padding ``kernel_size // 2``)."""
    if groups is None:
        return SharedConv2d(cin, cout, kernel_size, stride, binary, kernel)
    from evogroup.torch.nn.binary import BinaryConv2d

    cls = BinaryConv2d if binary else nn.Conv2d
    return cls(cin, cout, kernel_size, stride, kernel_size // 2, groups=groups, bias=False)


class SharedSupernet:
    """Mixin that turns a static network class into its weight-sharing supernet.

    Put it first in the bases of a subclass of the static class, set :attr:`static_class`
    to that class, and have ``__init__`` build the net with genome ``None`` (every gene a
    :class:`SharedConv2d`, see :func:`searchable_conv`) and then call :meth:`_bind_genes`. The static class provides ``space``, ``arch`` (its constructor
    arguments besides the genome) and ``gene_path``. This gives the
    :class:`~evogroup.torch.nn.protocol.WeightSharingNet` protocol: ``set_genome``,
    ``forward(x, genome=None)`` and ``export``.
    """

    static_class: ClassVar[type[nn.Module]]

    def _bind_genes(self, kernel: str = "grouped") -> None:
        self._genes = tuple(self.get_submodule(self.gene_path(n)) for n in self.space.names)
        self.use_kernel(kernel)
        self.set_genome(self.space.uniform(1))

    @property
    def kernel(self) -> str:
        """How the searchable convs compute: ``"grouped"`` or ``"masked"`` (a runtime
        choice, not architecture: it is not in :attr:`arch` nor in checkpoints)."""
        return self._genes[0].kernel

    def use_kernel(self, kernel: str) -> None:
        """Compute every searchable conv with ``kernel`` from now on (the genome is kept)."""
        for conv in self._genes:
            conv.use_kernel(kernel)

    def set_genome(self, genome: Iterable[int]) -> tuple[int, ...]:
        """Validate ``genome`` against ``space`` and use it until the next call."""
        genome = self.space.validate(genome)
        set_groups(self._genes, genome)
        self.genome = genome
        return genome

    def forward(self, x: Tensor, genome: Iterable[int] | None = None) -> Tensor:
        """Run under ``genome`` (which then stays set), or under the current genome."""
        if genome is not None:
            self.set_genome(genome)
        return super().forward(x)

    @property
    def config(self) -> dict:
        """What rebuilds this supernet (its ``arch``)."""
        return self.arch

    def export(self, genome: Iterable[int]) -> nn.Module:
        """The static network of ``genome`` holding the sliced weights (copies), on the
        supernet's device and dtype and in its mode."""
        genome = self.space.validate(genome)
        static = self.static_class(genome, **self.arch)
        groups = {f"{self.gene_path(n)}.weight": g for n, g in zip(self.space.names, genome)}
        static.load_state_dict(choice_state(self, sliced_state(self.state_dict(), groups), genome))
        p = next(self.parameters())
        return static.to(device=p.device, dtype=p.dtype).train(self.training)


def set_groups(convs: Sequence[SharedConv2d], genome: Iterable[int]) -> None:
    """Give each searchable conv its gene's group count (the genome already validated)."""
    for conv, g in zip(convs, genome, strict=True):
        conv.set_groups(g)


def sliced_state(state: Mapping[str, Tensor], groups: Mapping[str, int]) -> dict[str, Tensor]:
    """A copy of a supernet ``state`` dict in which each weight named in ``groups`` is its
    block-diagonal slice: the state dict of the static network of that genome."""
    return {
        k: block_diagonal(v, groups[k]).clone() if k in groups else v.clone()
        for k, v in state.items()
    }
