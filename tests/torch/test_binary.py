"""Binarization: forward maps and autograd gradients against NumPy copies of the formulas."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evogroup.torch.nn.binary import (
    BinaryActivation,
    BinaryConv2d,
    binarize_activation,
    binarize_weight,
)


def np_sign(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, 1.0, -1.0)


def np_bireal_grad(x: np.ndarray) -> np.ndarray:
    """The paper's eq. 4, piece by piece."""
    return np.select([(x >= -1) & (x < 0), (x >= 0) & (x < 1)], [2 + 2 * x, 2 - 2 * x], 0.0)


def np_binary_weight(w: np.ndarray) -> np.ndarray:
    alpha = np.abs(w).reshape(w.shape[0], -1).mean(axis=1)
    return np_sign(w) * alpha.reshape((-1,) + (1,) * (w.ndim - 1))


floats = st.floats(-3, 3, allow_nan=False, width=32)
edges = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0], dtype=np.float32)


def test_sign_maps_zero_to_plus_one():
    out = binarize_activation(torch.from_numpy(edges))
    np.testing.assert_array_equal(out.numpy(), [-1, -1, -1, 1, 1, 1, 1])
    assert out.dtype == torch.float32


@settings(max_examples=30, deadline=None)
@given(arrays(np.float32, st.integers(1, 64), elements=floats))
def test_activation_forward_and_bireal_grad(x: np.ndarray):
    x = np.concatenate([x, edges])
    t = torch.tensor(x, requires_grad=True)
    upstream = torch.linspace(-1, 2, len(x))
    out = BinaryActivation()(t)
    out.backward(upstream)
    np.testing.assert_array_equal(out.detach().numpy(), np_sign(x))
    np.testing.assert_allclose(t.grad.numpy(), upstream.numpy() * np_bireal_grad(x), rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(1, 6), st.integers(1, 4), st.just(3), st.just(3)),
        elements=floats,
    )
)
def test_weight_forward_alpha_and_clipped_ste(w: np.ndarray):
    t = torch.tensor(w, requires_grad=True)
    upstream = torch.randn(w.shape, generator=torch.Generator().manual_seed(0))
    out = binarize_weight(t)
    out.backward(upstream)
    np.testing.assert_allclose(out.detach().numpy(), np_binary_weight(w), rtol=1e-6)
    np.testing.assert_array_equal(t.grad.numpy(), upstream.numpy() * (np.abs(w) <= 1))


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_binary_conv_is_conv_of_binarized_tensors(groups: int):
    torch.manual_seed(0)
    conv = BinaryConv2d(8, 4, 3, stride=2, padding=1, groups=groups, bias=False)
    x = torch.randn(2, 8, 7, 7)
    w_b = torch.from_numpy(np_binary_weight(conv.weight.detach().numpy())).float()
    x_b = torch.from_numpy(np_sign(x.numpy())).float()
    expected = F.conv2d(x_b, w_b, stride=2, padding=1, groups=groups)
    torch.testing.assert_close(conv(x), expected)
