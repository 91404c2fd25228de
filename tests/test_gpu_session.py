"""``benchmarks/gpu_session.sh --dry-run``: the device check's every step, tiny, on the CPU,
so that the script a lent GPU runs in its few minutes cannot rot between sessions."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STEPS = (
    "jpegs",
    "gpu",
    "loader",
    "latency",
    "cuda_tests",
    "search",
    "finalists",
    "torchrun",
    "ray",
    "rank_recipes",
)


@pytest.mark.slow  # trains three tiny supernets, starts torchrun twice and a Ray cluster
@pytest.mark.skipif(sys.platform == "win32", reason="a bash script")
def test_the_device_check_runs_every_step_tiny_on_the_cpu(tmp_path):
    env = {
        **os.environ,
        "OUT": str(tmp_path / "out"),
        "WORK": str(tmp_path / "work"),
        "OMP_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",
    }
    done = subprocess.run(
        ["bash", "benchmarks/gpu_session.sh", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert done.returncode == 0, summary + done.stdout[-4000:] + done.stderr[-2000:]
    rows = {line.split("|")[1].strip(): line for line in summary.splitlines()[4:] if "|" in line}
    assert set(STEPS) <= set(rows), summary
    for step in STEPS:
        ray_missing = (
            step == "ray"
            and subprocess.run([sys.executable, "-c", "import ray"], capture_output=True).returncode
        )
        assert ("| SKIPPED |" if ray_missing else "| passed |") in rows[step], rows[step]
    killed = re.search(r"epochs before the kill: (\d+); after --resume: 30 of 30", summary)
    assert killed and 1 <= int(killed.group(1)) < 30, summary
    assert (tmp_path / "work" / "search" / "result.json").is_file()
    assert (tmp_path / "work" / "finalists" / "finalists.csv").is_file()
