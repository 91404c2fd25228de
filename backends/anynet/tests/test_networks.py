"""The supernet of a torchvision model computes what the model computes; its exports are
the model's own class, computing what the supernet computes under their genome."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import pytest
import torch
import torchvision
from torch import nn

from anynet.networks import ModuleSupernet, build_network, build_supernet
from evogroup.testing import SupernetContract
from evogroup.torch.nn.binary import BinaryConv2d
from evogroup.torch.nn.shared import SharedConv2d

MODELS = [
    "mobilenet_v2",
    "resnext50_32x4d",
    "regnet_x_400mf",
    "shufflenet_v2_x1_0",
    "efficientnet_b0",
]


def _with_running_stats(model: nn.Module) -> nn.Module:
    """``model`` in eval mode with BatchNorm statistics that are not the identity."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    return model.eval()


@pytest.mark.parametrize("name", MODELS)
def test_native_supernet_equals_the_model_and_exports_equal_the_supernet(name, random_genome):
    torch.manual_seed(0)
    model = _with_running_stats(torchvision.models.get_model(name, num_classes=10))
    untouched = copy.deepcopy(model)
    net = ModuleSupernet.from_model(model).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(net(x, net.genes.native), untouched(x), rtol=0, atol=1e-5)
        genome = random_genome(net, 1)
        static = net.export(genome)
        assert type(static) is type(untouched) and static.genome == genome
        torch.testing.assert_close(static(x), net(x, genome), rtol=1e-4, atol=1e-5)
    assert [static.get_submodule(n).groups for n in net.space.names] == list(genome)


def test_the_export_is_torch_saveable_and_loads_with_torchvision_alone(tmp_path):
    torch.manual_seed(0)
    net = build_supernet(model="mobilenet_v2", num_classes=10, model_kwargs='{"width_mult": 0.25}')
    static = net.eval().export(net.space.uniform(4))
    torch.save(static, tmp_path / "model.pt")
    x = torch.randn(1, 3, 32, 32)
    torch.save(x, tmp_path / "x.pt")
    torch.save(static(x), tmp_path / "y.pt")
    code = (
        "import sys, torch, torchvision\n"
        f"m = torch.load({str(tmp_path / 'model.pt')!r}, weights_only=False)\n"
        "assert type(m) is torchvision.models.MobileNetV2, type(m)\n"
        f"x, y = torch.load({str(tmp_path / 'x.pt')!r}), torch.load({str(tmp_path / 'y.pt')!r})\n"
        "assert torch.equal(m(x), y)\n"
        "assert not [k for k in sys.modules if k.split('.')[0] in ('evogroup', 'anynet')]\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no anynet on the path
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr


def test_the_static_network_of_the_native_genome_is_the_untouched_model():
    torch.manual_seed(0)
    arch = {"model": "mobilenet_v2", "num_classes": 10, "model_kwargs": '{"width_mult": 0.25}'}
    native = build_supernet(**arch).genes.native
    torch.manual_seed(0)
    built = build_network(native, **arch)
    torch.manual_seed(0)
    plain = torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.25)
    assert built.state_dict().keys() == plain.state_dict().keys()
    assert all(
        torch.equal(a, b) for a, b in zip(built.state_dict().values(), plain.state_dict().values())
    )
    regrouped = build_network((1,) * len(native), **arch)
    assert all(regrouped.get_submodule(n).groups == 1 for n in build_supernet(**arch).space.names)


def test_a_binarized_supernet_keeps_stem_and_classifier_real():
    arch = {"model": "anynet.tests.models:tiny_net", "num_classes": 10, "binarize": True}
    net = build_supernet(**arch)
    assert not isinstance(net.net[0], BinaryConv2d | SharedConv2d)
    assert all(net.get_submodule(net.gene_path(n)).binary for n in net.space.names)
    static = build_network(net.space.uniform(2), **arch)
    assert {type(m) for m in static.modules() if isinstance(m, nn.Conv2d)} == {
        nn.Conv2d,
        BinaryConv2d,
    }


@pytest.mark.parametrize("binarize", [False, True])
def test_the_masked_kernel_computes_what_the_grouped_one_does(binarize, random_genome):
    torch.manual_seed(0)
    arch = {"model": "anynet.tests.models:tiny_net", "num_classes": 10, "binarize": binarize}
    grouped = _with_running_stats(build_supernet(**arch))
    masked = build_supernet(**arch, kernel="masked").eval()
    masked.load_state_dict(grouped.state_dict())
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        for seed in range(3):
            genome = random_genome(grouped, seed)
            torch.testing.assert_close(masked(x, genome), grouped(x, genome))


class TestSupernet(SupernetContract):
    """Forward, gradient masks and export of a small model's supernet (evogroup's contract),
    real and binarized."""

    backend_name = "module"

    @pytest.fixture(scope="class", params=[False, True], ids=["real", "binary"])
    def supernet(self, request: pytest.FixtureRequest) -> ModuleSupernet:
        torch.manual_seed(0)
        arch = {"model": "anynet.tests.models:tiny_net", "num_classes": 10}
        return build_supernet(**arch, binarize=request.param)
