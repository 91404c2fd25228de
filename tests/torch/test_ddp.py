"""DDP under torchrun: two gloo processes on the CPU train the supernet as one process does.

Each rank's BatchNorm normalizes over its own half of the global batch (SyncBatchNorm is
CUDA-only in torch), so the one-process reference forwards each half separately and
averages the two losses, which is the gradient DDP averages.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler

from evogroup.core.operators import sample
from tests.torch.ddp_worker import CONFIG, setup

ROOT = Path(__file__).parents[2]


def torchrun(*args, nproc: int = 2) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={nproc}",
        *map(str, args),
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def one_process_on_the_same_batches(world: int = 2) -> dict[str, torch.Tensor]:
    torch.set_num_threads(1)
    net, data = setup()
    samplers = [
        DistributedSampler(data.train, world, r, shuffle=True, seed=CONFIG.seed)
        for r in range(world)
    ]
    loaders = [DataLoader(data.train, CONFIG.batch_size // world, sampler=s) for s in samplers]
    total = CONFIG.epochs * len(loaders[0])
    opt = torch.optim.Adam(net.parameters(), lr=CONFIG.lr, betas=(0.9, 0.999), fused=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1.0 - s / total))
    rng = random.Random(CONFIG.seed)
    net.train()
    for epoch in range(1, CONFIG.epochs + 1):
        for s in samplers:
            s.set_epoch(epoch)
        for parts in zip(*loaders):
            net.set_genome(sample(net.space, rng))
            loss = sum(nn.functional.cross_entropy(net(x), y) for x, y in parts) / world
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return net.state_dict()


def test_two_gloo_ranks_train_as_one_process(tmp_path):
    torchrun("tests/torch/ddp_worker.py", tmp_path)
    rank0, rank1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    reference = one_process_on_the_same_batches()
    for name, weight in rank0.items():
        if "running" in name or "num_batches" in name:
            continue  # BatchNorm statistics: DDP keeps rank 0's, the reference both halves'
        assert torch.equal(weight, rank1[name]), name
        torch.testing.assert_close(weight, reference[name], rtol=1e-4, atol=1e-5, msg=name)


def test_torchrun_train_supernet_cli_writes_one_checkpoint(tmp_path):
    out = tmp_path / "run"
    done = torchrun(
        "-m",
        "evogroup",
        "train-supernet",
        "--backend",
        "binmobilenet",
        "--width-mult",
        "0.25",
        "--epochs",
        "1",
        "--batch-size",
        "256",
        "--device",
        "cpu",
        "--out",
        out,
    )
    assert "DDP: 2 processes, global batch 256 (128 per process)" in done.stdout + done.stderr
    files = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert files == ["config.json", "env.json", "supernet.pt", "supernet_metrics.csv"]
    assert len((out / "supernet_metrics.csv").read_text().splitlines()) == 2  # header, epoch 1


def test_a_global_batch_must_split_evenly():
    pytest.importorskip("torch.distributed")
    from evogroup.core.errors import OptionError
    from evogroup.torch.device.runtime import Runtime

    with pytest.raises(OptionError, match="multiple of the 2 processes, but got 15"):
        Runtime(torch.device("cpu"), world=2).per_process(15)
