"""The lifecycle every weight-sharing backend shares, written once against the protocol.

A backend derives from :class:`WeightSharingBackend`, declares its architecture options
(a dataclass deriving from :class:`TrainingOptions`) and names its two network classes;
this class supplies the rest: the FLOP table (fvcore, cached), the data (loaded once per
command), the runtime (:class:`~evogroup.torch.device.runtime.Runtime`: device, kernel, decode,
compile, sync-BN, resolved once per command) and the recipe (merged once with the
options), supernet training with a random genome per step, the search problem whose
fitness is the BN-recalibrated supernet accuracy, and training a genome from scratch.

Nothing here imports torch at import time, so loading a backend (``evogroup backends``)
stays cheap; the steps import what they need.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from evogroup.backend.base import Backend, Run, TrainResult
from evogroup.backend.options import BackendOptions
from evogroup.core.errors import CheckpointError
from evogroup.core.io import atomic_write_json
from evogroup.core.lazy import Imported
from evogroup.core.operators import sample_feasible
from evogroup.core.problem import Problem
from evogroup.core.space import Genome
from evogroup.torch.backend.flop_steps import FlopSteps
from evogroup.torch.backend.latency_steps import FLOP_CLASSES, LatencySteps
from evogroup.torch.backend.training_options import TrainingOptions, WidthOptions
from evogroup.torch.fitness.supernet_file import check_supernet, trust

if TYPE_CHECKING:  # torch is imported by the steps that need it, not by loading a backend
    from evogroup.torch.device.runtime import Runtime

#: The digits demo's search: 4 iterations (250 evaluations, not the paper's 1,050) keep
#: the default CPU run under 10 minutes with the supernet's full 30 epochs (measured:
#: 30 epochs ~365 s, 0.76 s per candidate); on digits the supernet's fitness moves by
#: ~2.7 points with the float summation order alone, far more than what more
#: evaluations gain (docs/benchmarks.md, "The default run on this CPU").
DEMO_SEARCH = {"iterations": 4}


__all__ = [
    "FLOP_CLASSES",
    "TrainingOptions",
    "WeightSharingBackend",
    "WidthOptions",
    "check_supernet",
]


class WeightSharingBackend(FlopSteps, LatencySteps, Backend):
    """A backend whose fitness is a weight-sharing supernet (Algorithm 2 of the paper).

    A subclass declares, and writes nothing else but :meth:`space`:

    - :attr:`Options`: its options dataclass, deriving from :class:`TrainingOptions` (or
      :class:`WidthOptions`, which adds ``width_mult``);
    - :attr:`arch_fields`: the options that are the architecture's constructor arguments;
    - :attr:`supernet_class` and :attr:`network_class`: ``"package.module:Name"`` (imported
      when first called, so loading the backend imports no torch) or picklable callables:
      ``supernet_class(num_classes=..., **arch, kernel=...)`` builds a
      :class:`~evogroup.torch.nn.protocol.WeightSharingNet` whose searchable convs compute with
      ``kernel``, ``"grouped"`` or ``"masked"`` (:class:`~evogroup.torch.nn.shared.SharedConv2d`),
      ``network_class(genome, num_classes=..., **arch)`` its static network.
    """

    needs_supernet = True
    Options: ClassVar[type[BackendOptions]] = TrainingOptions
    arch_fields: ClassVar[tuple[str, ...]] = ()
    supernet_class: ClassVar[Any] = None
    network_class: ClassVar[Any] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for attr in ("supernet_class", "network_class"):
            if isinstance(cls.__dict__.get(attr), str):
                setattr(cls, attr, Imported(cls.__dict__[attr]))

    def arch(self, opts: Any) -> dict[str, Any]:
        """The architecture's constructor arguments besides ``num_classes`` (the options named
        by :attr:`arch_fields`): what a supernet checkpoint must match to be searched."""
        return {name: getattr(opts, name) for name in self.arch_fields}

    def __init__(self) -> None:
        self._runtimes: dict[tuple, Runtime] = {}

    def coordinator(self, opts: BackendOptions | None = None) -> Any:
        """The ranks of a ``torchrun`` launch agree through torch.distributed."""
        from evogroup.torch.device import distributed

        return distributed

    def device(self, opts: BackendOptions | None = None) -> str | None:
        """The device of :meth:`runtime` (a missing GPU is refused before any work)."""
        return str(self.runtime(opts).device)

    def runtime(self, opts: BackendOptions | None = None) -> Runtime:
        """The :class:`~evogroup.torch.device.runtime.Runtime` of ``opts``' device, kernel, decode,
        compile and sync-BN options: resolved once per command (cached on this backend)
        and passed to training and the fitness."""
        from evogroup.torch.device.runtime import Runtime

        o = self._opts(opts)
        from evogroup.torch.data.decode import check_decode

        key = (o.device, o.kernel, o.decode, o.compile, o.sync_bn)
        if key not in self._runtimes:
            runtime = Runtime.resolve(
                o.device, kernel=o.kernel, decode=o.decode, compile=o.compile, sync_bn=o.sync_bn
            )
            check_decode(runtime.decode, runtime.device.type)  # refused before any work
            self._runtimes[key] = runtime
        return self._runtimes[key]

    def fitness_label(self, opts: BackendOptions | None = None) -> str:
        loss = self._opts(opts).fitness_metric == "loss"
        what = "negative cross-entropy" if loss else "top-1 %"
        return f"supernet {what} on search-val after BatchNorm recalibration"

    # -- data -----------------------------------------------------------------------------
    def data(self, run: Run, opts: Any):
        """The data split by ``split_seed`` (never the run seed), loaded once per command;
        images the network cannot take are refused here, before any training."""
        from evogroup.torch.data.sources import load_data

        key = ("data", opts.data, opts.split_seed)
        if key not in run.cache:
            run.cache[key] = load_data(opts.data, seed=opts.split_seed)
            self.check_input_size(opts, run.cache[key].image_size)
        return run.cache[key]

    def check_input_size(self, opts: Any, size: int) -> None:
        """Refuse images of ``size`` the network cannot take (shipped ones take any >= 32)."""

    def unused_options(self, opts: Any) -> dict[str, str]:
        """Beside ``--supernet PATH`` no supernet is trained: its training options do nothing."""
        from evogroup.torch.backend.training_options import SUPERNET_TRAINING

        why = "--supernet PATH is searched as trained (nothing is trained)"
        return (
            {} if getattr(opts, "supernet", None) is None else dict.fromkeys(SUPERNET_TRAINING, why)
        )

    def search_defaults(self, opts: BackendOptions | None = None) -> dict[str, Any]:
        """On the embedded digits, :data:`DEMO_SEARCH` (a CPU demo); elsewhere the paper's."""
        return dict(DEMO_SEARCH) if self._opts(opts).data in (None, "digits") else {}

    def recipe(self, data: Any, opts: BackendOptions | None = None):
        """The data's default recipe (:func:`~evogroup.torch.options.recipe.default_recipe`) with the
        values given in ``opts`` in its place (:func:`~evogroup.torch.options.recipe.merge_options`)."""
        from evogroup.torch.options.recipe import default_recipe, merge_options

        return merge_options(default_recipe(data.name, data.image_size), self._opts(opts))

    def _network_arch(self, opts: Any, data: Any) -> dict[str, Any]:
        return {**self.arch(opts), "num_classes": data.num_classes}

    # -- lifecycle ------------------------------------------------------------------------
    def given_supernet(self, opts: BackendOptions | None = None) -> Path | None:
        given = self._opts(opts).supernet
        return None if given is None else Path(given)

    def train_supernet(self, run: Run, opts: BackendOptions | None = None) -> Path:
        from evogroup.torch.nn.weights import supernet_kind
        from evogroup.torch.train.trainer import seeded, train_supernet

        o = self._opts(opts)
        data, runtime = self.data(run, o), self.runtime(o)
        config = self.recipe(data, o).supernet(run.seed, o.train_budget)
        draw = None
        if o.train_budget is not None:
            self.check_budget(o.train_budget, o)
            under = Problem.unscored(self.space(o), self.cost(o), o.train_budget)
            draw = functools.partial(sample_feasible, under)
        arch = self._network_arch(o, data)
        with seeded(run.seed):  # the seed governs the initial weights too
            net = self.supernet_class(**arch, kernel=runtime.kernel)
        meta = {"arch": arch, "image_size": data.image_size, "data": data.describe()}
        return train_supernet(
            net,
            data,
            config,
            run.layout,
            kind=supernet_kind(self.name),
            meta=meta,
            runtime=runtime,
            resume=run.resume,
            progress=run.progress,
            draw=draw,
        )

    def problem(
        self,
        budget: float,
        run: Run,
        opts: BackendOptions | None = None,
        supernet: Path | None = None,
        budget_min: float = 0.0,
    ) -> Problem:
        """Fitness = top-1 (or with ``--fitness-metric loss`` the negative cross-entropy) of
        ``supernet`` on search-val after BatchNorm recalibration."""
        from evogroup.torch.fitness.supernet_fitness import SupernetFitness
        from evogroup.torch.nn.weights import load_checkpoint, supernet_kind

        o = self._opts(opts)
        if supernet is None:
            raise CheckpointError(f"backend {self.name!r} needs a trained supernet to search")
        data = self.data(run, o)
        meta = load_checkpoint(supernet, supernet_kind(self.name))["meta"]
        check_supernet(supernet, meta, self._network_arch(o, data), data.describe())
        recipe = self.recipe(data, o)
        fitness = SupernetFitness(
            supernet,
            self.name,
            self.supernet_class,
            data.source,
            data.split_seed,
            data=data,
            recal_images=recipe.recal_images,
            batch_size=recipe.eval_batch_size,
            seed=run.seed,
            runtime=self.runtime(o),
            metric=o.fitness_metric,
        )
        atomic_write_json(run.layout.fitness, {**fitness.describe(), **trust(supernet, data)})
        # Re-scoring of the final top genomes: BatchNorm recalibrated on 4x the images, so
        # the reported fitness of the winner carries less of the recalibration sample's noise.
        precise = fitness.variant(recal_images=4 * fitness.recal_images)
        return Problem(
            self.space(o), fitness, self.cost(o), budget, budget_min, rescore=precise, proxy=True
        )

    def proxies(self, problem: Problem, opts: BackendOptions | None = None) -> dict[str, Any]:
        """The supernet's fitness after BatchNorm recalibration (what the search uses), with
        the running statistics left from training, and by the other metric (negative loss
        when the search uses accuracy, else accuracy): scoring is cheap beside training."""
        fitness = problem.fitness
        other = "accuracy" if fitness.metric == "loss" else "loss"
        return {
            "recalibrated": fitness,
            "not recalibrated": fitness.variant(recalibrate=False),
            f"recalibrated, by {other}": fitness.variant(metric=other),
        }

    def train(self, genome: Genome, run: Run, opts: BackendOptions | None = None) -> TrainResult:
        from evogroup.torch.nn.weights import model_kind
        from evogroup.torch.train.trainer import seeded, train_network

        o = self._opts(opts)
        genome = self.space(o).validate(genome)
        data = self.data(run, o)
        config = self.recipe(data, o).final(run.seed)
        arch = self._network_arch(o, data)
        with seeded(run.seed):
            model = self.network_class(genome, **arch)
        cost = self.cost(o)(genome)
        meta = {
            "arch": arch,
            "genome": list(genome),
            "flops": cost,
            "flop_resolution": o.resolution,
            "image_size": data.image_size,
            "data": data.describe(),
        }
        metrics = train_network(
            model,
            data,
            config,
            run.layout,
            kind=model_kind(self.name),
            meta=meta,
            runtime=self.runtime(o),
            resume=run.resume,
            progress=run.progress,
        )
        top1, top5 = metrics.pop("top1"), metrics.pop("top5")
        return TrainResult(top1, top5, run.seed, genome, cost, metrics)

    def load_model(self, path: str | Path):
        """The trained static network saved by ``evogroup train`` (``model.pt``), in eval mode."""
        from evogroup.torch.nn.weights import load_checkpoint, model_kind

        meta = (ckpt := load_checkpoint(path, model_kind(self.name)))["meta"]
        model = self.network_class(tuple(meta["genome"]), **meta["arch"])
        model.load_state_dict(ckpt["model"])
        return model.eval()
