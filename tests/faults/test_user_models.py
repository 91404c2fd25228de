"""The ``module`` backend's user models (issue 30, items 5-7): a FLOP table is keyed by the
model itself, so an edited factory never reuses an old table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.faults.helpers import ENV

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
    cmd = [sys.executable, "-m", "evogroup", "flops", "--backend", "module", "--factory",
           "usermodel:net", "--groups", "native", "--json"]  # fmt: skip
    env = {**ENV, "EVOGROUP_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path),
           "PYTHONDONTWRITEBYTECODE": "1"}  # fmt: skip
    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(
    ("template", "before", "after"),
    [(STRIDED, {"STRIDE": "2"}, {"STRIDE": "1"}),  # a shape changes
     (FORWARD, {"SUBSAMPLE": "[:, :, ::2, ::2]"}, {"SUBSAMPLE": ""})],  # only forward() does
    ids=["stem-stride", "forward-code"],
)  # fmt: skip
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
