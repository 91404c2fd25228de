"""A search killed with SIGKILL mid-iteration resumes to the result of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from evogroup import SearchResult
from evogroup.core.plugins import list_strategies
from tests.helpers import strip_timing

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

SCRIPT = textwrap.dedent(
    """
    import sys, time
    from dataclasses import replace
    from pathlib import Path

    from evogroup.backend.registry import get_backend
    from evogroup.core.loop import search

    class Slow:
        def __init__(self, fitness, delay):
            self.fitness, self.delay = fitness, delay

        def __call__(self, genome):
            time.sleep(self.delay)
            return self.fitness(genome)

    out, delay, strategy = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    problem = get_backend("synthetic").problem(0.8e8)
    problem = replace(problem, fitness=Slow(problem.fitness, delay))
    result = search(
        problem, population=20, crossovers=10, mutations=10, iterations=6, seed=5,
        strategy=strategy, checkpoint=out / "checkpoint.json", log=out / "evaluations.jsonl",
    )
    result.save(out / "result.json")
    """
)


def start(script, out, delay, strategy):
    out.mkdir(exist_ok=True)
    return subprocess.Popen([sys.executable, str(script), str(out), str(delay), strategy])


def run(script, out, strategy, delay=0.0):
    proc = start(script, out, delay, strategy)
    assert proc.wait(timeout=120) == 0
    return SearchResult.load(out / "result.json")


def logged_past_checkpoint(out):
    """How many evaluations the log holds beyond the checkpoint's history (None: no checkpoint)."""
    try:
        checkpointed = len(json.loads((out / "checkpoint.json").read_text())["history"])
    except FileNotFoundError:
        return None
    return (out / "evaluations.jsonl").read_text().count("\n") - checkpointed  # whole lines


@pytest.mark.parametrize("strategy", sorted(list_strategies()))
def test_sigkill_then_resume_equals_uninterrupted(tmp_path, strategy):
    script = tmp_path / "search.py"
    script.write_text(SCRIPT)
    expected = run(script, tmp_path / "reference", strategy)

    out = tmp_path / "killed"
    proc = start(script, out, 0.005, strategy)  # 20 evaluations, ~0.1 s, per iteration
    deadline = time.monotonic() + 60
    while not (logged_past_checkpoint(out) or 0) > 0:
        assert proc.poll() is None, "the search finished before it could be killed"
        assert time.monotonic() < deadline, "no checkpoint followed by logged evaluations"
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert not (out / "result.json").exists()
    assert logged_past_checkpoint(out) > 0

    resumed = run(script, out, strategy)
    assert strip_timing(resumed) == strip_timing(expected)
    lines = (out / "evaluations.jsonl").read_text().splitlines()
    assert [tuple(json.loads(line)["genome"]) for line in lines] == [
        e.genome for e in resumed.history
    ]
