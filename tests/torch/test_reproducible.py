"""The seed governs a training: the same seed gives bit-identical weights on CPU, and a
training killed with SIGKILL after an epoch resumes to the weights of an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

pytestmark = [
    pytest.mark.slow,  # several short trainings in subprocesses: ~1 minute on 2 cores
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]

TINY = ["--backend", "binmobilenet", "--width-mult", "0.25", "--device", "cpu"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}  # the same thread count in every run


def command(name, out, *extra):
    return [sys.executable, "-m", "evogroup", name, *TINY, "--out", str(out), *map(str, extra)]


def run(args):
    done = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def weights(path):
    return torch.load(path, map_location="cpu", weights_only=True)["model"]


def assert_identical(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"{key} differs"


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    run(command("train-supernet", out, "--epochs", 3, "--seed", 4))
    return out / "supernet.pt"


def test_the_same_seed_gives_bit_identical_supernets(reference, tmp_path):
    run(command("train-supernet", tmp_path / "again", "--epochs", 3, "--seed", 4))
    assert_identical(weights(reference), weights(tmp_path / "again" / "supernet.pt"))
    run(command("train-supernet", tmp_path / "other", "--epochs", 3, "--seed", 5))
    assert not torch.equal(
        weights(reference)["stem.0.weight"],
        weights(tmp_path / "other" / "supernet.pt")["stem.0.weight"],
    )


def test_sigkill_after_an_epoch_then_resume_equals_uninterrupted(reference, tmp_path):
    out = tmp_path / "killed"
    args = command("train-supernet", out, "--epochs", 3, "--seed", 4)
    proc = subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = out / "supernet_metrics.csv"
    deadline = time.monotonic() + 300
    while not (metrics.exists() and metrics.read_text().count("\n") >= 2):  # header + epoch 1
        assert proc.poll() is None, "the training ended before it could be killed"
        assert time.monotonic() < deadline, "no epoch finished in time"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    epoch = torch.load(out / "supernet.pt", weights_only=True)["epoch"]
    assert epoch < 3, "killed too late: the training had finished"
    run([*args, "--resume"])
    assert_identical(weights(reference), weights(out / "supernet.pt"))
    assert (out / "supernet_metrics.csv").read_text().count("\n") == 4  # no duplicated rows
