r"""Why does the digits supernet learn so slowly? Training accuracy when only some genes vary.

The demo supernet (M2, width 1.0, digits) stays near chance for its first 10-15 epochs under
a new uniformly random genome every step, where any one genome trained alone reaches
40 % after one epoch. This trains the same supernet with the library's trainer
(:func:`evogroup.torch.train.trainer.train_supernet`) while only some genes are drawn at random
per step, the others held at one fixed genome:

    none      every gene fixed: one genome trained through the shared weights
    conv3x3   the 13 binary 3x3 convs' group counts random, the 5 real 1x1 fixed
    pw_real   the 5 real 1x1 convs' group counts random, the 3x3 fixed
    all       every gene random (the paper's sampling, the demo's)

and prints the training accuracy (under each step's own genome) epoch by epoch, and the
trained supernet's *feature agreement*: the mean cosine similarity of the features the
classifier reads for the same image under two genomes drawn the same way,

.. math::

    A = \mathbb{E}_{x,\,a,\,b}\ \frac{\langle f_a(x), f_b(x)\rangle}{\lVert f_a(x)\rVert\,\lVert f_b(x)\rVert}

over 128 search-val images and 8 pairs of genomes (BatchNorm on batch statistics, as in
training). 1 means every genome computes the same features; 0 that they share nothing.
``--supernet PATH`` measures the agreement of trained supernet checkpoints of the demo
(all genes random) instead of training.

Run: python benchmarks/supernet_sampling.py [--epochs 6] [--lr 5e-3] [--random none,all]
[--workers 2] [--threads 1] [--supernet runs/demo/supernet.pt ...]
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


def drawer(space, which: str):
    """``rng -> genome``: the genes named by ``which`` uniformly random, the others :data:`FIXED`."""
    from evogroup.core.operators import sample

    varies = [which == "all" or name.endswith(which) for name in space.names]

    def draw(rng: random.Random) -> tuple:
        drawn = sample(space, rng)
        return tuple(d if v else f for d, f, v in zip(drawn, FIXED, varies, strict=True))

    return draw


def agreement(net, which: str, pairs: int = 8, images: int = 128) -> float:
    """Feature agreement of ``net`` under genomes drawn by :func:`drawer` (module docstring)."""
    import torch
    import torch.nn.functional as F

    from evogroup.torch.data.sources import load_data

    data = load_data(None, seed=0)
    x = torch.stack([data.search_val[i][0] for i in range(images)])
    draw, rng, seen = drawer(net.space, which), random.Random(1), []
    hook = net.classifier.register_forward_hook(lambda m, inp, out: seen.append(inp[0]))
    net.train()  # batch statistics, as in training (the running ones fit no genome)
    try:
        with torch.no_grad():
            for _ in range(pairs):
                net(x, draw(rng)), net(x, draw(rng))
                a, b = seen[-2:]
                seen.append(F.cosine_similarity(a, b, dim=1).mean())
    finally:
        hook.remove()
    return float(torch.stack(seen[2::3]).mean())


def train(which: str, epochs: int, lr: float, threads: int, root: str) -> tuple[list[dict], float]:
    """Train the digits M2 supernet with the genes named by ``which`` random: its history and
    feature agreement."""
    import torch
    from binmobilenet.supernet import SuperNet

    from evogroup.rundir.layout import RunLayout
    from evogroup.torch.data.sources import load_data
    from evogroup.torch.device.runtime import Runtime
    from evogroup.torch.nn.weights import supernet_kind
    from evogroup.torch.options.recipe import TrainConfig
    from evogroup.torch.train.trainer import seeded, train_supernet

    torch.set_num_threads(threads)
    with seeded(0):
        net = SuperNet("M2", num_classes=10)
    config = TrainConfig(epochs=epochs, batch_size=64, lr=lr, seed=0)
    files = RunLayout(Path(root) / which)
    path = train_supernet(
        net,
        load_data(None, seed=0),
        config,
        files,
        kind=supernet_kind("binmobilenet"),
        meta={},
        runtime=Runtime.resolve("cpu"),
        progress=False,
        draw=drawer(net.space, which),
    )
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    net.load_state_dict(ckpt["model"])
    return ckpt["history"], agreement(net, which)


def checkpoint_agreement(path: str, threads: int) -> float:
    """Feature agreement of a trained digits supernet checkpoint, every gene random."""
    import torch
    from binmobilenet.supernet import build_model

    from evogroup.torch.nn.weights import load_supernet

    torch.set_num_threads(threads)
    net, _ = load_supernet(path, "binmobilenet", build_model, map_location="cpu")
    return agreement(net, "all")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--lr", type=float, default=5e-3, help="Adam, decayed linearly to 0")
    p.add_argument("--random", default=",".join(CHOICES), help=f"of {', '.join(CHOICES)}")
    p.add_argument("--workers", type=int, default=2, help="processes")
    p.add_argument("--threads", type=int, default=1, help="torch threads per process")
    p.add_argument(
        "--supernet",
        nargs="+",
        default=None,
        metavar="PATH",
        help="measure these digits supernet checkpoints instead of training",
    )
    args = p.parse_args()
    if args.supernet:
        print("feature agreement under two random genomes (1: identical features, 0: none shared)")
        for path in args.supernet:
            print(f"  {checkpoint_agreement(path, args.threads):.3f}  {path}", flush=True)
        return
    names = [n for n in args.random.split(",") if n]
    if not names or set(names) - set(CHOICES):
        p.error(f"--random: choose from {', '.join(CHOICES)}, but got {args.random!r}")
    root = tempfile.mkdtemp(prefix="supernet-sampling-")
    print(
        f"digits, M2 width 1.0, batch 64, lr {args.lr:g}, {args.epochs} epochs;"
        f" training accuracy (%) under each step's genome",
        flush=True,
    )
    with ProcessPoolExecutor(args.workers, mp_context=get_context("spawn")) as pool:
        jobs = {n: pool.submit(train, n, args.epochs, args.lr, args.threads, root) for n in names}
        results = {n: f.result() for n, f in jobs.items()}
    epochs = "".join(f"{'ep ' + str(e):>8}" for e in range(1, args.epochs + 1))
    print(f"{'random genes':<14}{epochs}{'agreement':>11}")
    for n, (history, agree) in results.items():
        print(f"{n:<14}" + "".join(f"{h['train_acc']:8.1f}" for h in history) + f"{agree:11.3f}")


if __name__ == "__main__":
    main()
