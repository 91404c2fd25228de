"""Why does the digits supernet learn so slowly? Training accuracy when only some genes vary.

The demo supernet (M2, width 1.0, digits) stays near chance for its first 10-15 epochs under
a new uniformly random genome every step, where any one genome trained alone reaches
40 % after one epoch. This trains the same supernet with the library's trainer
(:func:`evogroup.torch.trainer.train_supernet`) while only some genes are drawn at random
per step, the others held at one fixed genome:

    none      every gene fixed: one genome trained through the shared weights
    conv3x3   the 13 binary 3x3 convs' group counts random, the 5 real 1x1 fixed
    pw_real   the 5 real 1x1 convs' group counts random, the 3x3 fixed
    all       every gene random (the paper's sampling, the demo's)

and prints the training accuracy (under each step's own genome) epoch by epoch.

Run: python benchmarks/supernet_sampling.py [--epochs 6] [--lr 5e-3] [--random none,all]
[--workers 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import random
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

CHOICES = ("none", "conv3x3", "pw_real", "all")
# a mid-cost genome of the digits rank check (cost 6.1e7, 94-95 % stand-alone top-1)
FIXED = (2, 8, 1, 64, 8, 1, 128, 1, 4, 2, 4, 256, 8, 2, 2, 64, 8, 256)


def train(which: str, epochs: int, lr: float, threads: int, root: str) -> list[dict]:
    """Train the digits M2 supernet with the genes named by ``which`` random; its history."""
    import torch
    from binmobilenet.supernet import SuperNet

    from evogroup.layout import RunLayout
    from evogroup.operators import sample
    from evogroup.torch.data import load_data
    from evogroup.torch.trainer import TrainConfig, seeded, train_supernet

    torch.set_num_threads(threads)
    with seeded(0):
        net = SuperNet("M2", num_classes=10)
    varies = [which == "all" or name.endswith(which) for name in net.space.names]

    def draw(rng: random.Random) -> tuple:
        drawn = sample(net.space, rng)
        return tuple(d if v else f for d, f, v in zip(drawn, FIXED, varies, strict=True))

    config = TrainConfig(epochs=epochs, batch_size=64, lr=lr, seed=0)
    files = RunLayout(Path(root) / which)
    path = train_supernet(net, load_data(None, seed=0), config, files, kind="binmobilenet.supernet",
                          meta={}, device="cpu", progress=False, draw=draw)  # fmt: skip
    return torch.load(path, map_location="cpu", weights_only=False)["history"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--lr", type=float, default=5e-3, help="Adam, decayed linearly to 0")
    p.add_argument("--random", default=",".join(CHOICES), help=f"of {', '.join(CHOICES)}")
    p.add_argument("--workers", type=int, default=2, help="processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    args = p.parse_args()
    names = [n for n in args.random.split(",") if n]
    if not names or set(names) - set(CHOICES):
        p.error(f"--random: choose from {', '.join(CHOICES)}, but got {args.random!r}")
    root = tempfile.mkdtemp(prefix="supernet-sampling-")
    print(f"digits, M2 width 1.0, batch 64, lr {args.lr:g}, {args.epochs} epochs;"
          f" training accuracy (%) under each step's genome", flush=True)  # fmt: skip
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        jobs = {n: pool.submit(train, n, args.epochs, args.lr, args.threads, root) for n in names}
        histories = {n: f.result() for n, f in jobs.items()}
    print(f"{'random genes':<14}" + "".join(f"{'ep ' + str(e):>8}" for e in range(1, args.epochs + 1)))
    for n, history in histories.items():
        print(f"{n:<14}" + "".join(f"{h['train_acc']:8.1f}" for h in history))


if __name__ == "__main__":
    main()
