"""``evogroup rank-check --scores`` on a large file, and the vectorised bootstrap beside the
exact one (issue 30, item 11).

1. Writes a seeded synthetic scores file of ``--rows`` rows (proxy = truth + noise, cost
   uniform) and times ``evogroup rank-check --scores FILE --json`` with default settings
   (2,000 resamples) in a subprocess: the whole command, reading the file included.
2. On ``--compare-rows`` rows, with ``--compare-resamples`` resamples, computes every
   interval both ways (the vectorised first-order bootstrap used above 500 rows, and the
   exact loop that recomputes each statistic on each resample) and prints both, the largest
   endpoint difference as a share of the exact interval's width, and both times.

Run: python benchmarks/rank_bootstrap.py [--rows 200000] [--compare-rows 2000]
[--compare-resamples 200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from evogroup.runs import rank_bootstrap
from evogroup.runs.rank_stats import rank_statistics


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = np.round(rng.normal(70, 5, n), 2)  # accuracies with ties, as real ones have
    return truth + rng.normal(0, 5, n), truth, rng.uniform(1e7, 1e8, n)


def time_command(rows: int) -> None:
    proxy, truth, cost = synthetic(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scores.csv"
        lines = (
            f"{i % 5 + 1} {i % 3 + 1},{p:.6g},{t},{c:.6g}"
            for i, (p, t, c) in enumerate(zip(proxy, truth, cost))
        )
        path.write_text("genome,proxy,truth,cost\n" + "\n".join(lines) + "\n")
        cmd = [sys.executable, "-m", "evogroup", "rank-check", "--scores", str(path), "--json"]
        start, cpu = time.perf_counter(), _child_cpu()
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        seconds, cpu = time.perf_counter() - start, _child_cpu() - cpu
    got = json.loads(out)
    print(
        f"rank-check --scores, {rows:,} rows, default settings: {seconds:.1f} s wall,"
        f" {cpu:.1f} s CPU (user + system), load average {os.getloadavg()[0]:.1f}"
        f" (kendall_tau {got['kendall_tau']:.4f}, 95% CI {got['intervals']['kendall_tau']})"
    )


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compare(rows: int, resamples: int) -> None:
    proxy, truth, cost = synthetic(rows, seed=1)
    start = time.perf_counter()
    fast = rank_statistics(proxy, truth, cost, resamples=resamples)
    fast_s = time.perf_counter() - start
    rank_bootstrap.EXACT_ROWS = 10**9
    start = time.perf_counter()
    exact = rank_statistics(proxy, truth, cost, resamples=resamples)
    exact_s = time.perf_counter() - start
    print(
        f"\n{rows:,} rows, {resamples} resamples: vectorised {fast_s:.1f} s, exact"
        f" {exact_s:.1f} s (ratio {exact_s / fast_s:.1f})"
    )
    print(f"{'statistic':28}{'vectorised':28}{'exact':28}shift/width")
    for name, e in exact.items():
        f = fast[name]
        width = (e.high - e.low) or float("nan")
        shift = max(abs(f.low - e.low), abs(f.high - e.high)) / width
        print(f"{name:28}{f.text()[6:]:28}{e.text()[6:]:28}{shift:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--compare-rows", type=int, default=2000)
    parser.add_argument("--compare-resamples", type=int, default=200)
    args = parser.parse_args()
    time_command(args.rows)
    compare(args.compare_rows, args.compare_resamples)


if __name__ == "__main__":
    main()
