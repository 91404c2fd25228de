"""Numbers a user types are finite and sane (issue 30, items 8 and 12): an infinite
--weight-decay trained to NaN, --width-mult inf was an OverflowError and 1e4 an allocator's
traceback; memory the allocator refuses is the one out-of-memory line."""

from __future__ import annotations

import pytest

from evogroup.cli.errors import FAILED, describe
from tests.test_mistakes import check

SUPERNET = ["train-supernet", "--backend", "binmobilenet", "--width-mult", "0.25", "--epochs", "1"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([*SUPERNET, "--weight-decay", "inf"], "weight_decay must be a finite number"),
        ([*SUPERNET, "--weight-decay", "-inf"], "-inf is not in the range x>=0"),
        ([*SUPERNET, "--weight-decay", "nan"], "weight_decay must be a finite number"),
        ([*SUPERNET, "--lr", "inf"], "lr must be a finite number"),
        ([*SUPERNET, "--train-budget", "inf"], "train_budget must be a finite number"),
        (["space", "--backend", "binmobilenet", "--width-mult", "inf"], "--width-mult"),
        (["space", "--backend", "binmobilenet", "--width-mult", "1e4"], "0<x<=8.0"),
        (["space", "--backend", "birealnet", "--width-mult", "9"], "0<x<=8.0"),
        (
            ["space", "--backend", "torchvision", "--arch", "mobilenet_v2", "--width-mult", "inf"],
            "0<x<=8.0",
        ),
        (
            ["space", "--backend", "binmobilenet", "--width-mult", "nan"],
            "width_mult must be a finite",
        ),
        (["space", "--backend", "synthetic", "--noise", "inf"], "noise must be a finite number"),
    ],
)
def test_a_number_that_is_not_finite_or_sane_is_refused(tmp_path, args, needle):
    check([*args, *(["--out", tmp_path / "r"] if args[0] != "space" else [])], 2, needle)
    assert not (tmp_path / "r").exists()


def test_the_cpu_allocator_refusing_a_size_is_the_out_of_memory_line():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError) as caught:
        torch.empty(10**14)
    message, code = describe(caught.value)
    assert message.startswith("out of memory (") and "--batch-size" in message
    assert code == FAILED and "\n" not in message
