"""The lifecycle every weight-sharing backend shares, written once against the protocol.

A backend derives from :class:`WeightSharingBackend`, declares its architecture options
(a dataclass deriving from :class:`TrainingOptions`) and names its two network classes;
this class supplies the rest: the FLOP table (fvcore, cached), the data (loaded once per
command), supernet training with a random genome per step, the search problem whose
fitness is the BN-recalibrated supernet accuracy, and training a genome from scratch.

Nothing here imports torch at import time, so loading a backend (``evogroup backends``)
stays cheap; the steps import what they need.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from evogroup.backend.base import Backend, Run, TrainResult
from evogroup.core.cost import CostTable
from evogroup.core.errors import CheckpointError, OptionError
from evogroup.core.io import atomic_write_json
from evogroup.core.operators import sample_feasible
from evogroup.backend.options import FINAL, FITNESS, SUPERNET, TRAINING, BackendOptions, option
from evogroup.core.problem import Problem
from evogroup.core.space import Genome

FLOP_CLASSES = 1000  # classes of the FLOP table when num_classes is not set (ImageNet)
_SEARCHING = ("search", "reproduce", "rank-check")
KERNELS = ("grouped", "masked", "auto")  # evogroup.torch.masked.KERNEL_CHOICES, without torch
DECODES = ("cpu", "gpu", "auto")  # evogroup.torch.jpeg.DECODE_CHOICES, without torch
SAMPLING = ("uniform", "sandwich")  # evogroup.torch.trainer.SAMPLING, without torch
METRICS = ("accuracy", "loss")  # evogroup.torch.fitness.METRICS, without torch
#: The digits demo's search: 4 iterations (250 evaluations, not the paper's 1,050) keep
#: the default CPU run under 10 minutes with the supernet's full 30 epochs (measured:
#: 30 epochs ~365 s, 0.76 s per candidate); on digits the supernet's fitness moves by
#: ~2.7 points with the float summation order alone, far more than what more
#: evaluations gain (docs/benchmarks.md, "The default run on this CPU").
DEMO_SEARCH = {"iterations": 4}


@dataclass(frozen=True)
class TrainingOptions(BackendOptions):
    """Options every weight-sharing backend takes; a backend adds its architecture's."""

    resolution: int = option(224, "input size at which FLOP budgets are counted", low=32)
    num_classes: int | None = option(
        None, "classes of the FLOP table's classifier [default: 1000, ImageNet]", low=1
    )
    data: str | None = option(
        None, "ImageFolder tree or CIFAR-10 batches folder [default: embedded digits]",
        commands=TRAINING,
    )  # fmt: skip
    split_seed: int = option(0, "seed of the fixed train/search-val/test split", commands=TRAINING)
    supernet: str | None = option(
        None, "a trained supernet.pt to search with (else one is trained)", commands=_SEARCHING
    )
    epochs: int | None = option(
        None, "supernet training epochs [default: the data's recipe]", low=1, commands=SUPERNET
    )
    lr: float | None = option(
        None, "supernet Adam learning rate, decayed linearly [default: recipe]", low=0,
        low_open=True, commands=SUPERNET,
    )  # fmt: skip
    final_epochs: int | None = option(
        None, "epochs of training from scratch [default: recipe]", low=1, commands=FINAL
    )
    final_lr: float | None = option(
        None, "learning rate of training from scratch [default: recipe]", low=0, low_open=True,
        commands=FINAL,
    )  # fmt: skip
    batch_size: int | None = option(
        None, "images per step [default: recipe]", low=1, commands=TRAINING
    )
    recal_images: int | None = option(
        None, "training images for BatchNorm recalibration per genome [default: recipe]",
        low=1, commands=FITNESS,
    )  # fmt: skip
    device: str | None = option(
        None, "torch device [default: cuda when available]", commands=TRAINING
    )
    sync_bn: bool = option(
        False, "under torchrun on GPUs: BatchNorm statistics over the global batch (SyncBatchNorm)",
        commands=TRAINING,
    )  # fmt: skip
    sampling: str | None = option(
        None, "supernet genomes per step: uniform (one random genome, the paper) or sandwich"
        " (largest + smallest + random, gradients summed; BigNAS) [default: recipe]",
        choices=SAMPLING, commands=SUPERNET,
    )  # fmt: skip
    distill: bool | None = option(
        None, "with sandwich sampling: the smaller genomes learn the largest one's predictions"
        " (in-place distillation) [default: recipe]", commands=SUPERNET,
    )  # fmt: skip
    train_budget: float | None = option(
        None, "supernet training draws its random genomes under this cost budget (SPOS's"
        " constrained sampling) [default: the whole space]", low=0, low_open=True,
        commands=SUPERNET,
    )  # fmt: skip
    fair: bool = option(
        False, "strictly fair sampling of the supernet's random genomes: every choice of every"
        " gene used equally often within a cycle (FairNAS); not with --train-budget",
        commands=SUPERNET,
    )  # fmt: skip
    sandwich_genomes: int | None = option(
        None, "with sandwich sampling: genomes per step, the largest, the smallest and N-2"
        " random ones [default: 3]", low=3, commands=SUPERNET,
    )  # fmt: skip
    bn_per_choice: bool = option(
        False, "separate BatchNorm statistics and affine per choice of the preceding searchable"
        " conv's group count (keep --compile off: each new choice recompiles)",
        commands=SUPERNET,
    )  # fmt: skip
    weight_decay: float = option(
        0.0, "supernet decoupled weight decay (AdamW; 0: plain Adam, the paper)", low=0,
        commands=SUPERNET,
    )  # fmt: skip
    fitness_metric: str = option(
        "accuracy", "supernet fitness: accuracy (top-1 % on search-val, the paper) or loss"
        " (negative cross-entropy on search-val: separates genomes whose accuracies tie)",
        choices=METRICS, commands=FITNESS,
    )  # fmt: skip
    kernel: str = option(
        "auto", "weight-sharing conv kernel: grouped (sliced group convs), masked (dense convs"
        " over a block-diagonal masked weight: fixed shapes), auto (masked on CUDA, grouped"
        " on CPU)", choices=KERNELS, commands=SUPERNET,
    )  # fmt: skip
    decode: str = option(
        "auto", "where training JPEGs are decoded: cpu (PIL in loader workers), gpu (nvjpeg,"
        " batched, on the training device), auto (gpu on CUDA for ImageFolder data at the"
        " ImageNet recipe, else cpu)", choices=DECODES, commands=TRAINING,
    )  # fmt: skip
    compile: bool | None = option(
        None, "torch.compile training and evaluation [default: on for fixed-shape nets on"
        " CUDA, off on CPU]", commands=TRAINING,
    )  # fmt: skip


class WeightSharingBackend(Backend):
    """A backend whose fitness is a weight-sharing supernet (Algorithm 2 of the paper).

    Subclasses set :attr:`Options`, :attr:`supernet_class` and :attr:`network_class`
    (picklable callables: ``supernet_class(num_classes=..., **arch, kernel=...)`` builds a
    :class:`~evogroup.torch.protocol.WeightSharingNet` whose searchable convs compute with
    ``kernel``, ``"grouped"`` or ``"masked"`` (:class:`~evogroup.torch.shared.SharedConv2d`),
    ``network_class(genome, num_classes=..., **arch)`` its static network) and implement
    :meth:`arch` and :meth:`space`.
    """

    needs_supernet = True
    Options: ClassVar[type[BackendOptions]] = TrainingOptions
    supernet_class: ClassVar[Any] = None
    network_class: ClassVar[Any] = None

    def arch(self, opts: Any) -> dict[str, Any]:
        """The architecture's constructor arguments besides ``num_classes`` (e.g. module,
        width): what a supernet checkpoint must match to be searched with these options."""
        return {}

    def arch_label(self, opts: Any) -> str:
        """Extra words for :meth:`cost_label` (e.g. ``", width 0.25"``)."""
        return ""

    def __init__(self) -> None:
        self._tables: dict[tuple, CostTable] = {}

    # -- cost -----------------------------------------------------------------------------
    def cost(self, opts: BackendOptions | None = None) -> CostTable:
        """The FLOP table at ``resolution`` with ``num_classes`` (default 1000) classes,
        counted once per architecture (then cached on disk and on this backend)."""
        from evogroup.torch.flops import cost_table

        o = self._opts(opts)
        arch, classes = self.arch(o), _flop_classes(o)
        key = (tuple(sorted(arch.items())), o.resolution, classes)
        if key not in self._tables:
            space = self.space(o)

            def build():
                return self.network_class(space.uniform(2**62), num_classes=classes, **arch)

            ident = {"backend": self.name, **arch, "num_classes": classes}
            self._tables[key] = cost_table(ident, space, build, o.resolution)
        return self._tables[key]

    def cost_label(self, opts: BackendOptions | None = None) -> str:
        o = self._opts(opts)
        return (f"FLOPs (binary MACs/64 + real MACs) at {o.resolution}x{o.resolution},"
                f" {_flop_classes(o)} classes{self.arch_label(o)}")  # fmt: skip

    def cost_report(self, genome: Genome, opts: BackendOptions | None = None) -> dict[str, Any]:
        """The base report plus ``flops``, ``binary_macs``, ``real_macs`` (a whole-model
        fvcore count of the static net) and each searched layer's binary/real MACs."""
        from evogroup.torch.flops import count_flops

        o = self._opts(opts)
        report = super().cost_report(genome, o)
        net = self.network_class(tuple(report["genome"]), num_classes=_flop_classes(o),
                                 **self.arch(o))  # fmt: skip
        counted = count_flops(net, o.resolution)
        report.update(flops=counted.flops, binary_macs=counted.binary_macs,
                      real_macs=counted.real_macs)  # fmt: skip
        for layer in report["layers"]:
            macs = counted.per_layer[net.gene_path(layer["name"])]
            layer["binary"] = macs.binary
            layer["binary_macs" if macs.binary else "real_macs"] = macs.macs
        return report

    def device(self, opts: BackendOptions | None = None) -> str | None:
        from evogroup.torch.jpeg import check_decode_device
        from evogroup.torch.trainer import resolve_device

        o = self._opts(opts)
        device = resolve_device(o.device)
        check_decode_device(o.decode, device)  # like a missing GPU: refused before any work
        return str(device)

    def fitness_label(self, opts: BackendOptions | None = None) -> str:
        if self._opts(opts).fitness_metric == "loss":
            return "supernet negative cross-entropy on search-val after BatchNorm recalibration"
        return "supernet top-1 % on search-val after BatchNorm recalibration"

    # -- data -----------------------------------------------------------------------------
    def data(self, run: Run, opts: Any):
        """The data split by ``split_seed`` (never the run seed), loaded once per command."""
        from evogroup.torch.data import load_data

        key = ("data", opts.data, opts.split_seed)
        if key not in run.cache:
            run.cache[key] = load_data(opts.data, seed=opts.split_seed)
        return run.cache[key]

    def search_defaults(self, opts: BackendOptions | None = None) -> dict[str, Any]:
        """On the embedded digits, :data:`DEMO_SEARCH` (a CPU demo); elsewhere the paper's."""
        return dict(DEMO_SEARCH) if self._opts(opts).data in (None, "digits") else {}

    def recipe(self, data: Any):
        from evogroup.torch.trainer import default_recipe

        return default_recipe(data.name, data.image_size)

    def _network_arch(self, opts: Any, data: Any) -> dict[str, Any]:
        return {**self.arch(opts), "num_classes": data.num_classes}

    # -- lifecycle ------------------------------------------------------------------------
    def given_supernet(self, opts: BackendOptions | None = None) -> Path | None:
        given = self._opts(opts).supernet
        return None if given is None else Path(given)

    def train_supernet(self, run: Run, opts: BackendOptions | None = None) -> Path:
        from evogroup.torch.checkpoints import supernet_kind
        from evogroup.torch.masked import resolve_kernel
        from evogroup.torch.trainer import TrainConfig, seeded, train_supernet

        o = self._opts(opts)
        data = self.data(run, o)
        recipe = self.recipe(data)
        sampling = o.sampling or recipe.sampling
        distill = recipe.distill and sampling == "sandwich" if o.distill is None else o.distill
        if distill and sampling != "sandwich":
            raise OptionError(f"--distill needs --sampling sandwich, but sampling is {sampling}")
        config = TrainConfig(o.epochs or recipe.supernet_epochs, o.batch_size or recipe.batch_size,
                             o.lr or recipe.lr, run.seed, sampling, distill, o.train_budget,
                             **_levers(o, sampling))  # fmt: skip
        draw = None
        if o.train_budget is not None:
            self.check_budget(o.train_budget, o)
            under = Problem(self.space(o), _no_fitness, self.cost(o), o.train_budget)
            draw = functools.partial(sample_feasible, under)
        arch = self._network_arch(o, data)
        with seeded(run.seed):  # the seed governs the initial weights too
            net = self.supernet_class(**arch, kernel=resolve_kernel(o.kernel, self.device(o)))
        meta = {"arch": arch, "image_size": data.image_size, "data": data.describe()}
        return train_supernet(net, data, config, run.layout, kind=supernet_kind(self.name),
                              meta=meta, device=o.device, resume=run.resume,
                              progress=run.progress, compile=o.compile, sync_bn=o.sync_bn,
                              decode=o.decode, draw=draw)  # fmt: skip

    def problem(
        self, budget: float, run: Run, opts: BackendOptions | None = None,
        supernet: Path | None = None,
    ) -> Problem:  # fmt: skip
        """Fitness = top-1 of ``supernet`` on search-val after BatchNorm recalibration."""
        from evogroup.torch.checkpoints import load_checkpoint, supernet_kind
        from evogroup.torch.fitness import SupernetFitness

        o = self._opts(opts)
        if supernet is None:
            raise CheckpointError(f"backend {self.name!r} needs a trained supernet to search")
        self.check_budget(budget, o)
        data = self.data(run, o)
        meta = load_checkpoint(supernet, supernet_kind(self.name))["meta"]
        check_supernet(supernet, meta, self._network_arch(o, data), data.describe())
        recipe = self.recipe(data)
        fitness = SupernetFitness(
            supernet, self.name, self.supernet_class, data.source, data.split_seed, data=data,
            recal_images=o.recal_images or recipe.recal_images, seed=run.seed, device=o.device,
            kernel=o.kernel, compile=o.compile, metric=o.fitness_metric,
        )  # fmt: skip
        measured_on = len(data.search_val)
        trust = {"measured_on": measured_on, "resolution_points": 100.0 / measured_on,
                 "rank_check": _rank_check_of(supernet)}  # fmt: skip
        atomic_write_json(run.layout.fitness, {**fitness.describe(), **trust})
        # Re-scoring of the final top genomes: BatchNorm recalibrated on 4x the images, so
        # the reported fitness of the winner carries less of the recalibration sample's noise.
        precise = fitness.variant(recal_images=4 * fitness.recal_images)
        return Problem(self.space(o), fitness, self.cost(o), budget, rescore=precise)

    def proxies(self, problem: Problem, opts: BackendOptions | None = None) -> dict[str, Any]:
        """The supernet's fitness after BatchNorm recalibration (what the search uses), with
        the running statistics left from training, and by the other metric (negative loss
        when the search uses accuracy, else accuracy): scoring is cheap beside training."""
        fitness = problem.fitness
        other = "accuracy" if fitness.metric == "loss" else "loss"
        return {"recalibrated": fitness, "not recalibrated": fitness.variant(recalibrate=False),
                f"recalibrated, by {other}": fitness.variant(metric=other)}  # fmt: skip

    def train(self, genome: Genome, run: Run, opts: BackendOptions | None = None) -> TrainResult:
        from evogroup.torch.checkpoints import model_kind
        from evogroup.torch.trainer import TrainConfig, seeded, train_network

        o = self._opts(opts)
        genome = self.space(o).validate(genome)
        data = self.data(run, o)
        recipe = self.recipe(data)
        config = TrainConfig(o.final_epochs or recipe.final_epochs,
                             o.batch_size or recipe.batch_size, o.final_lr or recipe.final_lr,
                             run.seed)  # fmt: skip
        arch = self._network_arch(o, data)
        with seeded(run.seed):
            model = self.network_class(genome, **arch)
        cost = self.cost(o)(genome)
        meta = {"arch": arch, "genome": list(genome), "flops": cost,
                "flop_resolution": o.resolution, "image_size": data.image_size,
                "data": data.describe()}  # fmt: skip
        metrics = train_network(model, data, config, run.layout, kind=model_kind(self.name),
                                meta=meta, device=o.device, resume=run.resume,
                                progress=run.progress, compile=o.compile, sync_bn=o.sync_bn,
                                decode=o.decode)  # fmt: skip
        top1, top5 = metrics.pop("top1"), metrics.pop("top5")
        return TrainResult(top1, top5, run.seed, genome, cost, metrics)

    def load_model(self, path: str | Path):
        """The trained static network saved by ``evogroup train`` (``model.pt``), in eval mode."""
        from evogroup.torch.checkpoints import load_checkpoint, model_kind

        meta = (ckpt := load_checkpoint(path, model_kind(self.name)))["meta"]
        model = self.network_class(tuple(meta["genome"]), **meta["arch"])
        model.load_state_dict(ckpt["model"])
        return model.eval()


def check_supernet(path: Path, meta: dict, arch: dict, data: dict) -> None:
    """Refuse a supernet trained for another architecture or on other data (search-val
    must stay unseen by it): the one place a supernet's compatibility is checked."""
    found = {**{f"arch {k}": v for k, v in meta["arch"].items()},
             **{f"data {k}": meta["data"].get(k) for k in ("name", "split_seed", "sizes")}}  # fmt: skip
    wanted = {**{f"arch {k}": v for k, v in arch.items()},
              **{f"data {k}": data.get(k) for k in ("name", "split_seed", "sizes")}}  # fmt: skip
    for key, want in wanted.items():
        if found.get(key) != want:
            what, name = key.split(" ", 1)
            hint = ("train a supernet for it (evogroup train-supernet)" if what == "arch" else
                    "search with the supernet's data and split seed so search-val stays unseen")  # fmt: skip
            raise CheckpointError(
                f"{path}: the supernet was trained with {name}={found.get(key)!r}, but"
                f" {name}={want!r} is needed; {hint}"
            )


def _rank_check_of(supernet: Path) -> dict[str, Any] | None:
    """Kendall's tau of a rank check run on this supernet (``rank_check.json`` beside it)."""
    import json

    path = Path(supernet).parent / "rank_check.json"
    try:
        data = json.loads(path.read_text())
        return {"kendall": data["kendall"][data["main"]], "samples": data["samples"],
                "cost_kendall": data.get("cost_kendall"), "file": str(path)}  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _levers(o: Any, sampling: str) -> dict[str, Any]:
    """The supernet levers of ``TrainConfig`` from the options, refused where they clash."""
    if o.sandwich_genomes is not None and sampling != "sandwich":
        raise OptionError(f"--sandwich-genomes needs --sampling sandwich, but sampling is {sampling}")
    if o.fair and o.train_budget is not None:
        raise OptionError(f"--fair true draws from the whole space, so --train-budget must not be"
                          f" given, but got --train-budget {o.train_budget:g}")  # fmt: skip
    return {"fair": o.fair, "sandwich_genomes": o.sandwich_genomes or 3,
            "bn_per_choice": o.bn_per_choice, "weight_decay": o.weight_decay}  # fmt: skip


def _no_fitness(genome: Genome) -> float:
    """The fitness of the problem that only bounds supernet training's genomes (never called)."""
    raise AssertionError("a supernet's sampling problem has no fitness")


def _flop_classes(opts: Any) -> int:
    return FLOP_CLASSES if opts.num_classes is None else opts.num_classes
