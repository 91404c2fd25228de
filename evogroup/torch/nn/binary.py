r"""Binarization of activations and weights, and the binary convolution built on them.

Activations (Bi-Real Net, Liu et al. 2018; the paper's eq. 1, 3, 4):

.. math::

    x_b = \operatorname{sign}(x) = \begin{cases} +1 & x \ge 0 \\ -1 & x < 0 \end{cases}
    \qquad
    \frac{\partial x_b}{\partial x} \approx \frac{\partial A}{\partial x} = \begin{cases}
        2 + 2x & -1 \le x < 0 \\
        2 - 2x & 0 \le x < 1 \\
        0 & \text{otherwise}
    \end{cases} = \max(0,\, 2 - 2|x|)

Weights (XNOR-Net, Rastegari et al. 2016; the paper's eq. 6), per output channel
:math:`o` of a weight :math:`W \in \mathbb{R}^{C_{out} \times C_{in}/g \times k \times k}`:

.. math::

    W_b[o] = \alpha_o \operatorname{sign}(W[o]), \qquad
    \alpha_o = \frac{\lVert W[o] \rVert_1}{(C_{in}/g)\,k^2}
    \qquad
    \frac{\partial L}{\partial W} \approx \frac{\partial L}{\partial W_b}\,\mathbb{1}_{|W| \le 1}

Decisions: ``sign(0) = +1`` for both (so the output is always in ``{-1, +1}``, the
usual choice of BNN code). :math:`\alpha` is treated as a constant in the backward
pass (straight-through estimator clipped to ``|w| <= 1``, as in Bi-Real Net's released
code): the gradient stays element-wise and cheap, and the exact term
:math:`\operatorname{sign}(W_i)/n \sum_j g_j \operatorname{sign}(W_j)` that would couple
every weight of a filter is dropped.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BinaryActivation", "BinaryConv2d", "binarize_activation", "binarize_weight"]


def _sign(x: Tensor) -> Tensor:
    """``sign`` with ``sign(0) = +1``, in ``x``'s dtype."""
    return x.ge(0).to(x.dtype).mul_(2).sub_(1)


class _SignBiReal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        ctx.save_for_backward(x)
        return _sign(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (x,) = ctx.saved_tensors
        return grad * (2 - 2 * x.abs()).clamp_(min=0)


class _ScaledSignSTE(torch.autograd.Function):
    @staticmethod
    def forward(ctx, w: Tensor) -> Tensor:
        ctx.save_for_backward(w)
        alpha = w.abs().mean(dim=tuple(range(1, w.dim())), keepdim=True)
        return _sign(w).mul_(alpha)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        (w,) = ctx.saved_tensors
        return grad * w.abs().le(1).to(grad.dtype)


def binarize_activation(x: Tensor) -> Tensor:
    r"""``sign(x)`` in ``{-1, +1}`` with Bi-Real Net's gradient :math:`\max(0, 2 - 2|x|)`.

    Example:
        >>> binarize_activation(torch.tensor([-0.5, 0.0, 2.0]))
        tensor([-1.,  1.,  1.])
    """
    return _SignBiReal.apply(x)


def binarize_weight(w: Tensor) -> Tensor:
    r"""``alpha * sign(w)``, ``alpha`` the mean ``|w|`` of each output channel (dim 0);
    straight-through gradient where ``|w| <= 1``, zero elsewhere.

    Example:
        >>> binarize_weight(torch.tensor([[0.5, -1.5], [0.0, 2.0]]))
        tensor([[ 1., -1.],
                [ 1.,  1.]])
    """
    return _ScaledSignSTE.apply(w)


class BinaryActivation(nn.Module):
    """Module form of :func:`binarize_activation`."""

    def forward(self, x: Tensor) -> Tensor:
        return binarize_activation(x)


class BinaryConv2d(nn.Conv2d):
    """An ``nn.Conv2d`` that binarizes its input and its weight in every forward pass.

    It stores real weights (what the optimizer updates); the maps are those of
    :func:`binarize_activation` and :func:`binarize_weight`. Zero padding stays zero.

    Example:
        >>> conv = BinaryConv2d(8, 8, 3, padding=1, groups=4, bias=False)
        >>> conv(torch.randn(2, 8, 5, 5)).shape
        torch.Size([2, 8, 5, 5])
    """

    binary = True  # FLOP counting reads this: its MACs count 1/64

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(
            binarize_activation(x),
            binarize_weight(self.weight),
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
        )
