"""The pipeline under torchrun: two gloo processes on the CPU run ``reproduce`` and resume
it, and a 2-process ``train-supernet`` killed after an epoch resumes to the weights of an
uninterrupted 2-process run.

A 2-process supernet differs slightly from a 1-process one (each rank's BatchNorm
normalizes over half the batch), so these tests compare 2-process runs with each other,
never with a 1-process run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.faults.helpers import ENV, TINY, TINY_BUDGET, assert_same_weights
from tests.torch.test_ddp import ROOT, torchrun

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="torchrun and SIGKILL: POSIX"),
    pytest.mark.slow,  # two gloo processes train, are killed and resume: 15-45 s a test
]

METHODS = [
    "groups = 1",
    "groups = 4",
    "groups = 16",
    "random genome",
    "random search",
    "evolutionary search",
]


def test_the_ranks_follow_rank_0_on_what_to_retrain_and_wait_for_it_past_timeouts(tmp_path):
    torchrun("tests/torch/pipeline_worker.py", tmp_path)
    rank0, rank1 = (json.loads((tmp_path / f"report{r}.json").read_text()) for r in (0, 1))
    # rank 1 saw a finished metrics.json that rank 0 did not: both trained, rank 0 wrote
    assert rank0["trained_once"] and rank1["trained_once"]
    assert rank0["retrain_top1"] == rank1["retrain_top1"] != -1.0
    assert rank0["metrics_written"] and not rank1["metrics_written"]
    assert rank0["late"] == rank1["late"] == "from rank 0"
    assert rank0["failed"] == "ZeroDivisionError: division by zero"
    assert rank1["failed"].startswith("MainFailedError: rank 0 failed (ZeroDivisionError")
    assert rank0["rows"] == rank1["rows"]
    assert [row["method"] for row in rank0["rows"]] == METHODS
    assert rank0["trained"] == rank1["trained"] == [row["genome"] for row in rank0["rows"]]
    assert (tmp_path / "reproduce" / "table.json").is_file()


def test_reproduce_under_torchrun_retrains_rank_0s_genomes_and_resumes(tmp_path):
    out = tmp_path / "run"
    args = [
        "-m",
        "evogroup",
        "reproduce",
        *TINY,
        "--epochs",
        1,
        "--final-epochs",
        1,
        "--batch-size",
        640,
        "--recal-images",
        64,
        "--budget",
        TINY_BUDGET,
        "--population",
        4,
        "--iterations",
        0,
        "--out",
        out,
    ]
    done = torchrun(*args)
    assert done.stdout.count("| evolutionary search") == 1, "rank 0 alone prints the table"
    table = json.loads((out / "table.json").read_text())
    assert [row["method"] for row in table["rows"]] == METHODS
    retrained = {}
    for path in out.glob("retrain/*/metrics.json"):
        metrics = json.loads(path.read_text())
        assert (path.parent / "model.pt").is_file()
        retrained[tuple(metrics["genome"])] = metrics["top1"]
    for row in table["rows"]:  # every row's genome was retrained, and its accuracy is that one
        assert retrained[tuple(row["genome"])] == row["top1_mean"], row["method"]
    assert len(list(out.glob("retrain/*/metrics.json"))) == len(METHODS)
    assert (out / "search" / "result.json").is_file() and (out / "random_search.json").is_file()

    # Killed after the last training but before its metrics.json: on --resume rank 0 alone
    # decides what is finished, and all ranks read that one back from its checkpoint.
    last = next(out.glob("retrain/evolutionary-search-*/metrics.json"))
    last.unlink()
    for name in ("table.json", "table.md", "table.csv"):
        (out / name).unlink()
    done = torchrun(*args, "--resume")
    log = done.stdout + done.stderr
    assert "retraining from scratch: evolutionary search" in log
    assert "retraining from scratch: groups = 1" not in log
    assert json.loads((out / "table.json").read_text()) == table
    assert last.is_file()


def test_two_process_supernet_killed_after_an_epoch_resumes_to_the_uninterrupted_weights(
    tmp_path,
):
    args = [
        "-m",
        "evogroup",
        "train-supernet",
        *TINY,
        "--epochs",
        3,
        "--batch-size",
        256,
        "--seed",
        4,
    ]
    torchrun(*args, "--out", tmp_path / "ref")
    out = tmp_path / "killed"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        *map(str, args),
        "--out",
        str(out),
    ]
    # Its own session: one killpg stops torchrun and both ranks, as a lost machine would.
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    metrics = out / "supernet_metrics.csv"
    deadline = time.monotonic() + 300
    try:
        while not (metrics.exists() and metrics.read_text().count("\n") >= 2):  # + epoch 1
            assert proc.poll() is None, "the training ended before it could be killed"
            assert time.monotonic() < deadline, "no epoch finished in time"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    epoch = torch.load(out / "supernet.pt", weights_only=True)["epoch"]
    assert epoch < 3, "killed too late: the training had finished"
    torchrun(*args, "--out", out, "--resume")
    assert_same_weights(tmp_path / "ref" / "supernet.pt", out / "supernet.pt")
    assert metrics.read_text().count("\n") == 4  # header + 3 epochs, none duplicated
