"""FLOP tables counted from the model itself match torchvision's own ``_ops`` (GMACs).

torchvision's ``weights.meta["_ops"]`` counts the MACs of convolutions and linear layers
(SE blocks' 1x1 convs included; BatchNorm, activations, pooling and the SE product count
zero), which is the project's convention for a real network: the totals agree to the
three decimals torchvision gives.
"""

from __future__ import annotations

import json

import pytest
import torchvision.models as tvm

from evogroup.testing.fixtures import invoke

OPS = {
    "mobilenet_v2": tvm.MobileNet_V2_Weights.IMAGENET1K_V1,
    "resnext50_32x4d": tvm.ResNeXt50_32X4D_Weights.IMAGENET1K_V1,
    "regnet_x_400mf": tvm.RegNet_X_400MF_Weights.IMAGENET1K_V1,
    "shufflenet_v2_x1_0": tvm.ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1,
    "efficientnet_b0": tvm.EfficientNet_B0_Weights.IMAGENET1K_V1,
}


def _flops(*args) -> dict:
    out = invoke(["flops", "--backend", "torchvision", *args, "--json"]).output
    return json.loads(out)


@pytest.mark.parametrize("name", OPS)
def test_native_total_equals_torchvisions_own_ops(name):
    report = _flops(
        "--arch", name, "--groups", "native", "--resolution", 224, "--num-classes", 1000
    )
    assert round(report["cost"] / 1e9, 3) == OPS[name].meta["_ops"]
    assert report["flops"] == pytest.approx(report["cost"], rel=1e-12)  # table == whole count
    assert report["binary_macs"] == 0


def test_binarized_genes_count_a_64th_and_the_stem_and_classifier_stay_real():
    args = [
        "--arch",
        "mobilenet_v2",
        "--width-mult",
        "0.25",
        "--resolution",
        64,
        "--num-classes",
        10,
    ]
    real = _flops(*args, "--groups", "native")
    binary = _flops(*args, "--groups", "native", "--binarize")
    assert binary["cost"] == pytest.approx(binary["binary_macs"] / 64 + binary["real_macs"])
    assert binary["binary_macs"] + binary["real_macs"] == real["real_macs"]
    assert all(layer["binary"] for layer in binary["layers"])
    stem = 3 * 8 * 9 * 32 * 32  # features.0.0: 3 -> 8 channels, 3x3, stride 2, at 64x64
    classifier = 1280 * 10
    assert binary["real_macs"] == stem + classifier
