"""Benchmark: candidate evaluations per second on each executor, and each executor's overhead.

Prints, side by side from one run on this CPU:

1. a real candidate (binmobilenet M2 supernet at width 0.25 on the embedded digits: BatchNorm
   recalibration plus search-val top-1) evaluated serially, by a pool of 2 local
   processes and by 2 Ray actors, one thread each: evaluations per second once the
   workers hold the supernet, and the first map's time (starting workers, loading it);
2. the overhead per evaluation of each executor with a trivial fitness (a sum).

Run: ``python benchmarks/parallel.py [--workers 2 --candidates 64 --trivial 2000]``
(Ray columns need the ``[ray]`` extra; without it they are skipped).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per worker, this process too

from evogroup import get_backend  # noqa: E402
from evogroup.backend.base import Run  # noqa: E402
from evogroup.core.evaluation import timed_call  # noqa: E402
from evogroup.core.operators import sample  # noqa: E402
from evogroup.executors.workers import Workers, make_executor  # noqa: E402


def trivial(genome: tuple[int, ...]) -> float:
    return float(sum(genome))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--candidates", type=int, default=64, help="real candidates timed per executor")
    p.add_argument("--trivial", type=int, default=2000, help="trivial evaluations per executor")
    p.add_argument(
        "--supernet", type=Path, help="a width-0.25 M2 supernet.pt (else one is trained)"
    )
    return p.parse_args()


def real_fitness(supernet: Path | None, tmp: Path):
    import torch

    torch.set_num_threads(1)
    backend = get_backend("binmobilenet")
    opts = backend.options(module="M2", width_mult=0.25, epochs=1, device="cpu")
    run = Run(tmp, progress=False)
    supernet = supernet or backend.train_supernet(run, opts)
    table = backend.cost(opts)
    problem = backend.problem(table.max_cost, run, opts, supernet)
    return problem.fitness, problem.space


def timed_map(executor, fn, genomes) -> float:
    start = time.perf_counter()
    results = list(executor.map(partial(timed_call, fn), genomes))
    assert all(error is None for _, error, _ in results), results[:3]
    return time.perf_counter() - start


def measure(spec: Workers, fitness, genomes, warm, trivial_genomes) -> dict[str, float]:
    start = time.perf_counter()
    with make_executor(spec) as executor:
        timed_map(executor, fitness, warm)
        first = time.perf_counter() - start
        steady = timed_map(executor, fitness, genomes)
        overhead = timed_map(executor, trivial, trivial_genomes)
    return {
        "first": first,
        "rate": len(genomes) / steady,
        "overhead_ms": 1e3 * overhead / len(trivial_genomes),
    }


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fitness, space = real_fitness(args.supernet, Path(tmp))
        rng = random.Random(0)
        genomes = [sample(space, rng) for _ in range(args.candidates)]
        warm = [sample(space, rng) for _ in range(2 * args.workers)]  # every worker loads
        trivial_genomes = [sample(space, rng) for _ in range(args.trivial)]
        specs = {
            "serial (in process)": Workers(1),
            f"pool, {args.workers} processes": Workers(args.workers),
        }
        try:
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=args.workers, include_dashboard=False, logging_level="WARNING")
            ray_start = time.perf_counter() - t0
            specs[f"Ray, {args.workers} actors"] = Workers(args.workers, kind="ray")
        except ImportError:
            ray_start = None
        rows = {
            name: measure(spec, fitness, genomes, warm, trivial_genomes)
            for name, spec in specs.items()
        }
    serial = rows["serial (in process)"]["rate"]
    print(
        f"{os.cpu_count()} CPUs; candidate: M2 width 0.25, digits (BN recalibration on "
        f"{fitness.recal_images} images + top-1 on search-val); {args.candidates} timed"
    )
    print(
        f"{'executor':<24}{'evals/s':>10}{'speed-up':>10}{'first map (s)':>15}"
        f"{'overhead/eval (ms)':>20}"
    )
    for name, r in rows.items():
        print(
            f"{name:<24}{r['rate']:>10.2f}{r['rate'] / serial:>9.2f}x{r['first']:>15.2f}"
            f"{r['overhead_ms']:>20.3f}"
        )
    if ray_start is not None:
        print(f"(starting the local Ray cluster: {ray_start:.1f} s, not counted above)")
    print(f"per candidate, serial: {1e3 / serial:.0f} ms")


if __name__ == "__main__":
    main()
