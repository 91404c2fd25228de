"""The torchvision and module backends: evogroup's backend contract, options, native genomes."""

from __future__ import annotations

import pytest

from anynet.backend import ModuleBackend, TorchvisionBackend
from evogroup.core.errors import OptionError
from evogroup.testing import BackendContract
from evogroup.testing.fixtures import invoke

TINY = {
    "arch": "mobilenet_v2",
    "width_mult": 0.25,
    "resolution": 32,
    "num_classes": 10,
    "epochs": 1,
    "final_epochs": 1,
}


class TestContractTorchvision(BackendContract):
    backend_name = "torchvision"
    options = TINY


class TestContractModuleBinarized(BackendContract):
    backend_name = "module"
    options = {
        "factory": "anynet.tests.models:tiny_net",
        "binarize": True,
        "resolution": 32,
        "num_classes": 10,
        "epochs": 1,
        "final_epochs": 1,
    }


def test_native_is_the_models_own_group_counts_and_labels_say_what_is_counted():
    backend = TorchvisionBackend()
    opts = backend.options(arch="shufflenet_v2_x0_5")
    native, space = backend.named_genomes(opts)["native"], backend.space(opts)
    assert len(native) == 16 + 3  # every depthwise conv: groups = channels, the largest choice
    assert native == tuple(layer.choices[-1] for layer in space.layers)
    assert native[:2] == (24, 24) and space.names[0] == "stage2.0.branch1.0"
    assert backend.cost_label(backend.options(width_mult=0.5, binarize=True)) == (
        "FLOPs (binary MACs/64 + real MACs) at 224x224, 1000 classes, mobilenet_v2"
        ' {"width_mult": 0.5}, binarized'
    )


def test_bad_models_and_factory_arguments_are_one_line_errors():
    backend = TorchvisionBackend()
    with pytest.raises(
        OptionError, match=r"arch must be one of torchvision's .*but got arch='mobilenet_v9'"
    ):
        backend.space(backend.options(arch="mobilenet_v9"))
    with pytest.raises(
        OptionError, match=r"must accept num_classes .*\['width_mult'\].*unexpected"
    ):
        backend.space(backend.options(arch="resnet18", width_mult=0.5))
    with pytest.raises(OptionError, match=r"width_mult must be given once"):
        backend.space(backend.options(width_mult=0.5, model_kwargs='{"width_mult": 1.0}'))
    with pytest.raises(OptionError, match=r"model_kwargs must be a JSON object"):
        backend.space(backend.options(model_kwargs="[1]"))
    module = ModuleBackend()
    with pytest.raises(OptionError, match=r"factory must be an import path .*factory=None"):
        module.space(module.options())
    with pytest.raises(OptionError, match=r"must return an nn.Module, but got int"):
        module.space(module.options(factory="anynet.tests.models:not_a_module"))
    with pytest.raises(OptionError, match=r"importable .*factory='anynet.nope:f'"):
        module.space(module.options(factory="anynet.nope:f"))


def test_the_cli_reports_a_model_without_searchable_convs_in_one_line():
    result = invoke(["space", "--backend", "torchvision", "--arch", "resnet18"], exit_code=2)
    assert "resnet18 has no searchable conv: none of its 20 convs is grouped" in result.output
    result = invoke(
        [
            "flops",
            "--backend",
            "torchvision",
            "--arch",
            "resnet18",
            "--convs",
            "layer1.0.conv1",
            "--groups",
            "native",
        ]
    )
    assert "layer1.0.conv1" in result.output
