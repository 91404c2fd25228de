"""The ``module`` backend's user models (issue 30, items 5-9): a FLOP table is keyed by the
model itself, so an edited factory never reuses an old table; a model that cannot run at the
input size, a typo in a model's name and an error in the user's own code are one line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from anynet.factory import build_model
from click.testing import CliRunner

from evogroup.cli.errors import PLUGIN
from evogroup.cli.main import main
from evogroup.core.errors import PluginError
from tests.faults.helpers import ENV
from tests.test_mistakes import check

STRIDED = """
from torch import nn


def net(num_classes=10):
    return nn.Sequential(nn.Conv2d(3, 16, 3, STRIDE, 1), nn.ReLU(),
                         nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False), nn.Conv2d(16, 32, 1),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, num_classes))
"""

FORWARD = """
from torch import nn


class Stem(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1)

    def forward(self, x):
        return self.conv(x)SUBSAMPLE


def net(num_classes=10):
    return nn.Sequential(Stem(), nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False),
                         nn.Conv2d(16, 32, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(32, num_classes))
"""


def _flops(tmp_path, source: str) -> dict:
    (tmp_path / "usermodel.py").write_text(source)
    cmd = [
        sys.executable,
        "-m",
        "evogroup",
        "flops",
        "--backend",
        "module",
        "--factory",
        "usermodel:net",
        "--groups",
        "native",
        "--json",
    ]
    env = {
        **ENV,
        "EVOGROUP_CACHE": str(tmp_path / "cache"),
        "PYTHONPATH": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("template", "before", "after"),
    [
        (STRIDED, {"STRIDE": "2"}, {"STRIDE": "1"}),  # a shape changes
        (FORWARD, {"SUBSAMPLE": "[:, :, ::2, ::2]"}, {"SUBSAMPLE": ""}),
    ],  # only forward() does
    ids=["stem-stride", "forward-code"],
)
def test_an_edited_factory_gets_its_new_cost(tmp_path, template, before, after):
    def source(values):
        text = template
        for name, value in values.items():
            text = text.replace(name, value)
        return text

    first = _flops(tmp_path, source(before))
    assert first["cost"] == pytest.approx(first["flops"])
    second = _flops(tmp_path, source(after))
    assert second["cost"] == pytest.approx(second["flops"])  # the table is not the old one
    assert second["cost"] > 1.5 * first["cost"]


FACTORY = ["space", "--backend", "module", "--factory"]


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (
            [*FACTORY, "anynet.tests.models:fixed_size", "--resolution", "96"],
            ["resolution 96", "layer '3' (Linear)", "mat1 and mat2"],
        ),
        (
            [
                "flops",
                "--backend",
                "module",
                "--factory",
                "anynet.tests.models:fixed_size",
                "--resolution",
                "64",
                "--groups",
                "1",
            ],
            ["resolution 64", "layer '3' (Linear)"],
        ),
        (
            ["space", "--backend", "torchvision", "--arch", "mobilenetv2"],
            ["arch='mobilenetv2'", "did you mean 'mobilenet_v2'?"],
        ),
        (["space", "--backend", "torchvision", "--arch", "ResNet18"], ["did you mean 'resnet18'?"]),
        ([*FACTORY, ":tiny_net"], ["factory must be an import path", "':tiny_net'"]),
        ([*FACTORY, "anynet.tests.models:"], ["factory must be an import path"]),
        ([*FACTORY, "anynet.tests.models:nope"], ["has no 'nope'"]),
        ([*FACTORY, "anynet.tests.models.nope:net"], ["ModuleNotFoundError"]),
    ],
)
def test_a_model_mistake_is_one_usage_line(args, needles):
    line = check(args, 2, *needles)
    assert len(line) < 400  # not every torchvision model on one line


def test_the_digits_a_model_cannot_take_are_refused_before_training(tmp_path):
    out = tmp_path / "sn"
    check(
        [
            "train-supernet",
            "--backend",
            "module",
            "--factory",
            "anynet.tests.models:fixed_size",
            "--epochs",
            "1",
            "--out",
            out,
        ],
        2,
        "the data's image size 32",
        "layer '3' (Linear)",
    )
    assert not out.exists()


BROKEN = {
    "raises_on_import": ("raise RuntimeError('no GPU here')\n", "RuntimeError in importing"),
    "syntax_error": ("def net(num_classes=10:\n    pass\n", "SyntaxError in importing"),
    "missing_dependency": ("import no_such_dependency\n", "ModuleNotFoundError in importing"),
    "factory_raises": (
        "def net(num_classes=10):\n    return helper()\n\n\ndef helper():\n"
        "    raise ValueError('bad width')\n",
        "ValueError in building the model",
    ),
    "factory_type_error": (
        "def net(num_classes=10):\n    return len(5)\n",
        "TypeError in building the model",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_an_error_in_the_users_factory_names_it_with_the_users_frames(tmp_path, monkeypatch, name):
    source, needle = BROKEN[name]
    module = f"broken_{name}"
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError) as caught:
        build_model(f"{module}:net", None, 10)
    message = str(caught.value)
    assert message.startswith(f"factory '{module}:net' raised") and needle in message
    assert "\n" not in message
    assert caught.value.frames and all(str(tmp_path) in f for f in caught.value.frames)
    assert not any("anynet" in f or "evogroup" in f for f in caught.value.frames)


def test_the_command_line_shows_a_factory_error_with_exit_code_3(tmp_path, monkeypatch):
    (tmp_path / "broken_cli_factory.py").write_text(BROKEN["factory_raises"][0])
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(main, [*FACTORY, "broken_cli_factory:net"])
    assert result.exit_code == PLUGIN, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "factory 'broken_cli_factory:net' raised ValueError" in errors[0]
    assert "broken_cli_factory.py:6 in helper: raise ValueError('bad width')" in result.output
    assert "Traceback" not in result.output and "anynet/" not in result.output
