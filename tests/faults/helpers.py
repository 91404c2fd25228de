"""Shared by the fault-injection tests: run the CLI in a subprocess, kill it at a chosen
moment with SIGKILL, resume it, and compare run directories."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}  # the same thread count in every run
TINY = ["--backend", "binmobilenet", "--width-mult", "0.25", "--device", "cpu"]
#: (min + max) / 2 of the width-0.25 M2 FLOP table (0.038e8 .. 0.156e8).
TINY_BUDGET = "0.097e8"
#: Seeds the kill moments; set EVOGROUP_FAULT_SEED to replay a failure.
FAULT_SEED = int(os.environ.get("EVOGROUP_FAULT_SEED", "11"))


def evogroup(*args) -> list[str]:
    return [sys.executable, "-m", "evogroup", *map(str, args)]


def run(args: list[str], code: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(args, env=ENV, capture_output=True, text=True, timeout=600)
    assert done.returncode == code, f"{' '.join(map(str, args))}\n{done.stdout}{done.stderr}"
    return done


def start(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(proc: subprocess.Popen, ready: Callable[[], bool], what: str, timeout=300) -> bool:
    """Wait until ``ready()``; False when the process ended first."""
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return True


def sigkill(proc: subprocess.Popen) -> bool:
    """SIGKILL ``proc``; True when it was still running (the kill did interrupt it)."""
    alive = proc.poll() is None
    if alive:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    return alive


def lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


class Killer:
    """Runs ``args`` into ``out`` again and again, each time SIGKILLed at the moment the
    next of ``moments`` picks, resuming from the second start on; then to the end.

    A moment is ``(ready, what)``: the kill comes a random 0..``jitter`` seconds after
    ``ready()`` turns true, so it lands anywhere: in a step, in a checkpoint write, in a
    log append. Returns how many kills interrupted a live process.
    """

    def __init__(self, args: list[str], out: Path, jitter: float = 1.0):
        self.args, self.out, self.jitter = args, out, jitter
        self.rng = random.Random(FAULT_SEED)

    def run(
        self,
        moments: list[tuple[Callable[[], bool], str]],
        before_resume: Callable[[], object] = lambda: None,
    ) -> int:
        """``before_resume`` runs after the last kill, before the run that goes to the end."""
        kills = 0
        for ready, what in moments:
            resume = ["--resume"] if (self.out / "config.json").exists() else []
            proc = start([*self.args, *resume])
            if wait_for(proc, ready, what):
                time.sleep(self.rng.uniform(0, self.jitter))
            kills += sigkill(proc)
        before_resume()
        run([*self.args, "--resume"])
        return kills


def strip_seconds(obj):
    """JSON data without wall-clock fields (``seconds``, paths of the run directory)."""
    if isinstance(obj, dict):
        return {
            k: strip_seconds(v)
            for k, v in obj.items()
            if k not in ("seconds", "checkpoint", "metrics_csv")
        }
    if isinstance(obj, list):
        return [strip_seconds(v) for v in obj]
    return obj


def load_json(path: Path):
    return strip_seconds(json.loads(path.read_text()))


def log_records(path: Path) -> list:
    return [strip_seconds(json.loads(line)) for line in path.read_text().splitlines()]


def assert_same_weights(a: Path, b: Path) -> None:
    """Two checkpoints hold bit-identical model weights."""
    import torch

    wa = torch.load(a, map_location="cpu", weights_only=True)["model"]
    wb = torch.load(b, map_location="cpu", weights_only=True)["model"]
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), f"{key} of {a} and {b} differ"
