"""The supernet contract: what every weight-sharing network must do, to be subclassed by the
test suite of a backend deriving from
:class:`~evogroup.torch.backend.weight_sharing.WeightSharingBackend`.

Name the backend and define a ``supernet`` fixture (parametrize it to check several
architectures); pytest collects the inherited tests::

    class TestSupernet(SupernetContract):
        backend_name = "birealnet"

        @pytest.fixture(scope="class")
        def supernet(self):
            torch.manual_seed(0)
            return SuperNet(num_classes=10, width_mult=0.25)

The checks, for a few seeded genomes each: the forward pass gives one score per class for any
input size; the gradient of a forward under genome :math:`g` reaches, in each gene's full
weight :math:`W \\in \\mathbb{R}^{C_\\mathrm{out} \\times C_\\mathrm{in} \\times k \\times k}`,
exactly the :math:`g` diagonal blocks of shape :math:`C_\\mathrm{out}/g \\times C_\\mathrm{in}/g`
that the :math:`g`-group conv uses; the exported static network computes what the supernet
computes under its genome (in eval mode, with non-trivial BatchNorm statistics); the
backend's ``network_class`` rebuilds the export from ``(genome, **arch)`` (as training from a
saved model does) and ``supernet_class`` the supernet from its ``arch``. Keep the supernet
small (e.g. ``width_mult=0.25``, ten classes): every check runs on the CPU in a second or two.

This module imports torch; ``import evogroup.testing`` does not import it.
"""

from __future__ import annotations

import random
import re
from typing import Any, ClassVar

import pytest
import torch
from torch import nn

from evogroup.backend.registry import get_backend
from evogroup.core.errors import InvalidGenomeError
from evogroup.core.operators import sample
from evogroup.core.space import Genome
from evogroup.torch.nn.masked import block_mask_
from evogroup.torch.nn.protocol import StaticNet, WeightSharingNet
from evogroup.torch.nn.shared import SharedConv2d


class SupernetContract:
    """Checks a backend's weight-sharing supernet: forward, gradient masks, export.

    Attributes:
        backend_name: the entry-point name of the backend (required).
        num_classes: the supernet's classes (its output width).
        input_size: the ``(H, W)`` of the inputs the checks draw.
        other_input_sizes: sizes the forward pass must take as well (odd ones included).
        seeds: the seeds of the random genomes checked (uniform draws from the space).
        rtol, atol: how close the export's output must be to the supernet's.
    """

    backend_name: ClassVar[str] = ""
    num_classes: ClassVar[int] = 10
    input_size: ClassVar[tuple[int, int]] = (32, 32)
    other_input_sizes: ClassVar[tuple[tuple[int, int], ...]] = ((33, 47), (64, 48))
    seeds: ClassVar[tuple[int, ...]] = (0, 1, 5)
    rtol: ClassVar[float] = 1e-5
    atol: ClassVar[float] = 1e-5

    @pytest.fixture
    def supernet(self) -> nn.Module:
        pytest.fail(f"{type(self).__name__} must define a supernet fixture")

    @pytest.fixture(scope="class")
    def backend(self) -> Any:
        if not self.backend_name:
            pytest.fail(f"{type(self).__name__} must set backend_name")
        return get_backend(self.backend_name)

    def inputs(self, n: int, size: tuple[int, int] | None = None) -> torch.Tensor:
        """``n`` seeded random images: every check sees the same inputs, run after run."""
        generator = torch.Generator().manual_seed(n)
        return torch.randn(n, 3, *(size or self.input_size), generator=generator)

    def genomes(self, net: nn.Module) -> list[Genome]:
        return [sample(net.space, random.Random(seed)) for seed in self.seeds]

    # -- the protocol and the forward pass -------------------------------------------------

    def test_supernet_and_export_satisfy_the_protocols(self, supernet: nn.Module) -> None:
        assert isinstance(supernet, WeightSharingNet)
        static = supernet.export(supernet.space.uniform(1))
        assert isinstance(static, StaticNet)
        assert static.genome == supernet.space.uniform(1)

    def test_forward_gives_one_score_per_class_for_any_input_size(self, supernet) -> None:
        net = supernet.eval()
        for size in (self.input_size, *self.other_input_sizes):
            out = net(self.inputs(2, size), net.space.uniform(1))
            assert out.shape == (2, self.num_classes), f"input size {size}"

    def test_set_genome_then_forward_equals_forward_with_genome(self, supernet: nn.Module) -> None:
        net, x = supernet.eval(), self.inputs(2)
        for genome in self.genomes(net):
            assert net.set_genome(genome) == genome
            expected = net(x)
            torch.testing.assert_close(net(x, genome), expected)
            assert net.genome == genome

    def test_invalid_genomes_name_the_count_or_the_layer(self, supernet: nn.Module) -> None:
        space, n = supernet.space, len(supernet.space)
        count = rf"one group count per layer \({n}\), but got {n + 1}"
        with pytest.raises(InvalidGenomeError, match=count):
            supernet.set_genome((1,) * (n + 1))
        layer = space.layers[-1]
        bad = (*space.uniform(1)[:-1], layer.choices[-1] + 1)  # larger than every choice
        message = re.escape(f"{layer.name!r} cannot have {bad[-1]} groups")
        with pytest.raises(InvalidGenomeError, match=message):
            supernet(self.inputs(1), bad)
        with pytest.raises(InvalidGenomeError, match=message):
            supernet.export(bad)

    # -- weight sharing: gradients -----------------------------------------------------------

    def test_gradient_reaches_exactly_the_blocks_the_genome_uses(self, supernet: nn.Module) -> None:
        net = supernet.train()
        for genome in self.genomes(net):
            net.zero_grad(set_to_none=True)
            net(self.inputs(4), genome).square().mean().backward()
            for name, g in zip(net.space.names, genome):
                grad = net.get_submodule(net.gene_path(name)).weight.grad
                where = f"{name} (groups={g}, genome {genome})"
                assert grad is not None and torch.isfinite(grad).all(), where
                mask = block_mask_(grad.new_empty(grad.shape[:2]), g).bool()
                mask = mask[..., None, None].expand_as(grad)
                assert grad[mask].abs().sum() > 0, f"{where} got no gradient"
                assert not grad[~mask].any(), f"{where} has gradient outside its blocks"

    # -- export --------------------------------------------------------------------------

    def test_export_computes_what_the_supernet_computes_in_eval_mode(
        self, supernet: nn.Module
    ) -> None:
        net, x = supernet, self.inputs(4)
        for genome in self.genomes(net):
            net.train()
            with torch.no_grad():  # give BatchNorm non-trivial running statistics
                for _ in range(2):
                    net(self.inputs(8), genome)
            static = net.eval().export(genome)
            assert not static.training and static.genome == genome
            assert not any(isinstance(m, SharedConv2d) for m in static.modules())
            for name, g in zip(net.space.names, genome):
                assert static.get_submodule(static.gene_path(name)).groups == g, name
            with torch.no_grad():
                torch.testing.assert_close(
                    static(x),
                    net(x, genome),
                    rtol=self.rtol,
                    atol=self.atol,
                    msg=lambda m, genome=genome: f"genome {genome}: {m}",
                )

    def test_export_reloads_into_the_backends_network_and_trains(
        self, supernet: nn.Module, backend: Any
    ) -> None:
        genome = sample(supernet.space, random.Random(7))
        static = supernet.eval().export(genome)
        rebuilt = backend.network_class(genome, **supernet.arch).eval()
        assert type(rebuilt) is type(static)
        rebuilt.load_state_dict(static.state_dict())
        x = self.inputs(2)
        with torch.no_grad():
            torch.testing.assert_close(rebuilt(x), static(x))
        static.train()
        static(x).sum().backward()
        for name, p in static.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), name

    def test_arch_rebuilds_the_supernet(self, supernet: nn.Module, backend: Any) -> None:
        rebuilt = backend.supernet_class(**supernet.arch)
        assert isinstance(rebuilt, WeightSharingNet)
        assert rebuilt.arch == supernet.arch and rebuilt.space == supernet.space
        assert rebuilt.state_dict().keys() == supernet.state_dict().keys()
