"""The command line's search on a torchvision model, real and binarized, in a tiny setting."""

from __future__ import annotations

import pytest

from evogroup import SearchResult
from evogroup.testing.fixtures import invoke

TINY = [
    "--backend",
    "torchvision",
    "--arch",
    "mobilenet_v2",
    "--width-mult",
    "0.25",
    "--resolution",
    32,
    "--num-classes",
    10,
    "--epochs",
    1,
    "--recal-images",
    64,
    "--population",
    4,
    "--iterations",
    1,
]
BUDGET = 4e6  # between the min (0.75M) and max (9.1M) at 32x32 with 10 classes


def _search(tmp_path, *extra) -> SearchResult:
    result = invoke(["search", *TINY, "--budget", BUDGET, *extra, "--out", tmp_path])
    assert "results in" in result.output
    found = SearchResult.load(tmp_path / "result.json")
    assert found.best.cost <= BUDGET and all(e.cost <= BUDGET for e in found.history)
    return found


def test_search_runs_on_a_torchvision_model_out_of_the_box(tmp_path):
    found = _search(tmp_path)
    assert len(found.best.genome) == 17  # MobileNetV2's depthwise convs


@pytest.mark.slow  # another minute: the binarized net's supernet and search
def test_search_runs_binarized_with_the_bare_flag(tmp_path):
    _search(tmp_path, "--binarize")
    assert '"binarize": true' in (tmp_path / "config.json").read_text()
