r"""The fixed-shape ("masked") kernel of a weight-sharing conv: a dense conv over a
block-diagonal masked weight.

With :math:`g` groups the grouped kernel (:func:`~evogroup.torch.nn.shared.block_diagonal`)
slices the full weight :math:`W \in \mathbb{R}^{C_{out} \times C_{in} \times k \times k}`
and calls ``F.conv2d(groups=g)``: every genome meets other conv shapes. The masked kernel
runs one dense conv (``groups=1``) over :math:`W \odot M^{(g)}`, with the block-diagonal
mask

.. math::

    M^{(g)}_{o,i} = \mathbb{1}\big[\lfloor o\,g / C_{out} \rfloor = \lfloor i\,g / C_{in} \rfloor\big],

so output block :math:`j` reads input block :math:`j` only: the same function as the
grouped conv, computed at :math:`g = 1` arithmetic, with one shape for every genome (so
cuDNN tunes once, bf16 runs on tensor cores and one ``torch.compile`` serves all).

Binary convs keep XNOR's scale over the *active block* only (not the whole row):

.. math::

    W_b = \alpha \odot \operatorname{sign}(W) \odot M, \qquad
    \alpha_o = \frac{\lVert W_o \odot M_o \rVert_1}{(C_{in}/g)\,k^2}, \qquad
    \frac{\partial L}{\partial W} \approx
        \frac{\partial L}{\partial W_b} \odot \mathbb{1}_{|W| \le 1} \odot M,

and a real conv uses :math:`W \odot M` (gradient :math:`\partial L/\partial (W \odot M)
\odot M`): off-block entries are zero in the forward pass and get zero gradient, as in
the grouped kernel. The activation sign and its gradient are unchanged.

The mask (``[C_out, C_in]``) and :math:`1/((C_{in}/g)k^2)` are non-persistent buffers,
rewritten in place by :func:`set_mask`: a compiled graph reads the same tensors under every
genome (no recompilation), and checkpoints are the same for both kernels.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from evogroup.torch.nn.binary import _sign, binarize_activation

__all__ = ["binarize_masked_weight", "block_mask_", "masked_conv", "set_mask"]


def block_mask_(mask: Tensor, groups: int) -> Tensor:
    """Overwrite the ``[C_out, C_in]`` tensor ``mask`` with the ``groups``-block-diagonal
    0/1 mask, in place (two kernels whatever ``groups``), and return it.

    Example:
        >>> block_mask_(torch.empty(4, 2), 2)
        tensor([[1., 0.],
                [1., 0.],
                [0., 1.],
                [0., 1.]])
    """
    cout, cin = mask.shape
    mask.zero_()
    blocks = mask.view(groups, cout // groups, groups, cin // groups)
    blocks.diagonal(dim1=0, dim2=2).fill_(1)
    return mask


class _MaskedScaledSignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w: Tensor, mask: Tensor, inv_count: Tensor) -> Tensor:
        ctx.save_for_backward(w, mask)
        alpha = w.abs().mul(mask).sum(dim=(1, 2, 3), keepdim=True).mul_(inv_count)
        return _sign(w).mul_(alpha).mul_(mask)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:
        w, mask = ctx.saved_tensors
        return grad * w.abs().le(1).to(grad.dtype) * mask, None, None


def binarize_masked_weight(w: Tensor, mask: Tensor, inv_count: Tensor) -> Tensor:
    r""":math:`\alpha \odot \operatorname{sign}(W) \odot M` with :math:`\alpha_o` the mean
    :math:`|W|` over output channel :math:`o`'s active block (``inv_count`` is
    :math:`1/((C_{in}/g)k^2)`); straight-through gradient where :math:`|W| \le 1` on the
    block, zero elsewhere. ``mask`` broadcasts against ``w`` (``[C_out, C_in, 1, 1]``).

    Example:
        >>> w = torch.tensor([[0.5, -1.5], [0.0, 2.0]]).view(2, 2, 1, 1)
        >>> mask = torch.eye(2).view(2, 2, 1, 1)
        >>> binarize_masked_weight(w, mask, torch.tensor(1.0)).flatten(1)
        tensor([[0.5000, -0.0000],
                [0.0000, 2.0000]])
    """
    return _MaskedScaledSignSTE.apply(w, mask, inv_count)


def add_mask_buffers(conv: nn.Module) -> None:
    """Give a :class:`~evogroup.torch.nn.shared.SharedConv2d` its (non-persistent) buffers:
    ``mask`` ``[C_out, C_in]`` and, when binary, ``inv_count`` (a 0-d tensor)."""
    w = conv.weight.detach()
    conv.register_buffer("mask", w.new_ones(w.shape[:2]), persistent=False)
    if conv.binary:
        conv.register_buffer("inv_count", w.new_zeros(()), persistent=False)
    set_mask(conv, conv.groups)


def drop_mask_buffers(conv: nn.Module) -> None:
    """Remove what :func:`add_mask_buffers` added (back to the grouped kernel)."""
    for name in ("mask", "inv_count"):
        conv._buffers.pop(name, None)


def set_mask(conv: nn.Module, groups: int) -> None:
    """Rewrite ``conv``'s mask (and ``inv_count``) for ``groups`` in place."""
    block_mask_(conv.mask, groups)
    if conv.binary:
        cin, k = conv.in_channels, conv.weight.shape[-1]
        conv.inv_count.fill_(groups / (cin * k * k))


def masked_conv(conv: nn.Module, x: Tensor) -> Tensor:
    """The forward pass of a masked :class:`~evogroup.torch.nn.shared.SharedConv2d`."""
    mask = conv.mask[:, :, None, None]
    if conv.binary:
        w = binarize_masked_weight(conv.weight, mask, conv.inv_count)
        x = binarize_activation(x)
    else:
        w = conv.weight * mask
    return F.conv2d(x, w, None, conv.stride, conv.padding)
