"""The supernet contract is not vacuous: a supernet whose gradients leak off the genome's
blocks, or whose export drops the shared weights, fails exactly the checks it breaks."""

from __future__ import annotations

pytest_plugins = ["pytester"]

BROKEN = """
import pytest
import torch
from birealnet.supernet import SuperNet

from evogroup.testing import SupernetContract
from evogroup.testing.fixtures import one_thread  # noqa: F401


class Leaky(SuperNet):
    def forward(self, x, genome=None):  # in training, every weight touches the output
        out = super().forward(x, genome)
        if self.training:
            out = out + 1e-6 * sum(conv.weight.sum() for conv in self._genes)
        return out


class Forgetful(SuperNet):
    def export(self, genome):  # the static net of the genome, with fresh weights
        genome = self.space.validate(genome)
        return self.static_class(genome, **self.arch).train(self.training)


class TestLeaky(SupernetContract):
    backend_name = "birealnet"
    seeds = (0,)

    @pytest.fixture(scope="class")
    def supernet(self):
        torch.manual_seed(0)
        return Leaky(num_classes=10, width_mult=0.25)


class TestForgetful(TestLeaky):
    @pytest.fixture(scope="class")
    def supernet(self):
        torch.manual_seed(0)
        return Forgetful(num_classes=10, width_mult=0.25)
"""


def test_contract_fails_a_broken_supernet_on_the_checks_it_breaks(pytester):
    """In a subprocess: an in-process run would re-import torch's operator libraries."""
    pytester.makepyfile(test_broken=BROKEN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rf")
    failed = {line.split()[1] for line in result.outlines if line.startswith("FAILED ")}
    leak = "test_broken.py::TestLeaky::test_gradient_reaches_exactly_the_blocks_the_genome_uses"
    forgot = "test_broken.py::TestForgetful::test_export_computes_what_the_supernet_computes_in_eval_mode"
    assert failed == {leak, forgot}, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*has gradient outside its blocks*", "*Tensor-likes are not close*"]
    )
    assert result.parseoutcomes() == {"failed": 2, "passed": 2 * 8 - 2}  # two classes of 8 checks


def test_contract_without_a_supernet_fixture_says_so(pytester):
    pytester.makepyfile(
        "from evogroup.testing import SupernetContract\n"
        "class TestUnbuilt(SupernetContract):\n"
        "    backend_name = 'birealnet'\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "protocols")
    result.stdout.fnmatch_lines(["*TestUnbuilt must define a supernet fixture*"])
    assert result.parseoutcomes() == {"errors": 1, "deselected": 7}
