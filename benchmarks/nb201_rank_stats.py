"""``evogroup rank-check --scores`` on NAS-Bench-201's one-shot supernet, checked against scipy.

Turns the two files of ``nasbench201/`` (a supernet's predicted CIFAR-10 accuracy and the
ground truth of every one of the 15,625 cells; see the data README) into a scores CSV
(``genome``: each of the 6 edges' operation as 1..5 in the order none, skip_connect,
nor_conv_1x1, nor_conv_3x3, avg_pool_3x3; ``cost``: MACs, additive over the edges), runs
``evogroup rank-check --scores FILE --json`` on it, and prints its ``kendall_tau`` and
``kendall_tau_better_half`` beside ``scipy.stats.kendalltau`` computed here directly, and
the difference (must be below 1e-9). With ``--slice N`` it also writes a seeded sample of
N cells (the test fixture ``tests/data/nb201_slice.csv`` is ``--slice 300``).

Run: python benchmarks/nb201_rank_stats.py --data /path/to/nasbench201 [--resamples 200]
[--slice 300 --slice-out tests/data/nb201_slice.csv]
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import random
import tempfile
import time
from pathlib import Path

OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGE_MACS = {"nor_conv_3x3": 35_389_440, "nor_conv_1x1": 3_932_160}
REST_MACS = 7_783_040


def cell_row(key: str, proxy: float, truth: float) -> dict:
    """The CSV row of one cell (its key as in the JSON files)."""
    edges = [op for node in ast.literal_eval(key) for op, _ in node]
    return {
        "genome": " ".join(str(OPS.index(op) + 1) for op in edges),
        "proxy": proxy,
        "truth": truth,
        "cost": REST_MACS + sum(EDGE_MACS.get(op, 0) for op in edges),
    }


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["genome", "proxy", "truth", "cost"])
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="the nasbench201 folder")
    p.add_argument("--resamples", type=int, default=200)
    p.add_argument("--slice", type=int, default=0, help="also write a seeded sample of N cells")
    p.add_argument("--slice-out", default="nb201_slice.csv")
    args = p.parse_args()

    import numpy as np
    from scipy import stats

    from evogroup.testing.fixtures import invoke

    data = Path(args.data)
    truth = json.loads((data / "ground-truth-cifar10.json").read_text())
    proxy = json.loads((data / "one-shot-supernet-cifar10.json").read_text())
    rows = [cell_row(k, proxy[k], truth[k]) for k in sorted(truth)]
    path = Path(tempfile.mkdtemp()) / "nb201.csv"
    write_csv(path, rows)
    t0 = time.perf_counter()
    out = invoke(["rank-check", "--scores", path, "--json", "--resamples", args.resamples])
    seconds = time.perf_counter() - t0
    got = json.loads(out.output)
    p_, t_ = np.array([r["proxy"] for r in rows]), np.array([r["truth"] for r in rows])
    half = t_ >= np.median(t_)
    direct = {
        "kendall_tau": stats.kendalltau(p_, t_).statistic,
        "kendall_tau_better_half": stats.kendalltau(p_[half], t_[half]).statistic,
    }
    print(f"{len(rows)} cells, {args.resamples} resamples, {seconds:.0f} s")
    for name, want in direct.items():
        print(
            f"{name}: rank-check {got[name]:.12f}  scipy {want:.12f}"
            f"  |difference| {abs(got[name] - want):.1e};"
            f" cost alone {got['cost_alone'][name]['value']:.4f}"
        )
    for name in ("kendall_tau_cost_bins", "regret_at_1", "regret_at_3", "regret_at_5"):
        low, high = got["intervals"][name]
        cost = got["cost_alone"][name]
        print(f"{name}: {got[name]:.4f} [{low:.4f}, {high:.4f}]; cost alone {cost['value']:.4f}")
    if args.slice:
        sample = random.Random(0).sample(rows, args.slice)
        write_csv(Path(args.slice_out), sample)
        print(f"wrote {args.slice} cells (random.Random(0).sample) to {args.slice_out}")


if __name__ == "__main__":
    main()
