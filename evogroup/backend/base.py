"""The interface a network backend implements to plug into evogroup.

A backend declares its options once, as a frozen dataclass of
:func:`~evogroup.core.options.option` fields (:attr:`Backend.Options`), and implements
explicit lifecycle steps. The commands call them in this order:

================  =====================================================================
command           steps
================  =====================================================================
``space``         :meth:`~Backend.space`, :meth:`~Backend.cost`
``flops``         :meth:`~Backend.cost_report`
``train-supernet`` :meth:`~Backend.train_supernet`
``search``        :meth:`~Backend.check_budget`; :meth:`~Backend.train_supernet` when
                  :attr:`~Backend.needs_supernet` and none is given; :meth:`~Backend.problem`
``train``         :meth:`~Backend.train`
``reproduce``     as ``search``, then :meth:`~Backend.train` for every genome of the table
``rank-check``    as ``search`` up to :meth:`~Backend.problem`; :meth:`~Backend.proxies`;
                  :meth:`~Backend.train` for every sampled genome
================  =====================================================================

``problem`` never trains: the supernet it searches with is trained (or given) before.

Register a backend under the entry-point group ``evogroup.backends``::

    [project.entry-points."evogroup.backends"]
    mynet = "mypackage.backend:MyNetBackend"
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from evogroup.backend.options import BackendOptions
from evogroup.core.budget_range import check_budget_range
from evogroup.core.cost import CostTable
from evogroup.core.errors import BackendError
from evogroup.core.latency import LatencySpec, LatencyTable
from evogroup.core.launch import Coordinator, SingleProcess
from evogroup.core.problem import Fitness, Problem
from evogroup.core.space import Genome, SearchSpace
from evogroup.rundir.layout import RunLayout


@dataclass
class Run:
    """Where and how a command runs: its directory, seed, resume flag and user channel.

    Attributes:
        dir: the run directory (see :attr:`layout` for its files).
        seed: governs everything random in the step (initialisation, data order, genomes).
        echo: prints one line to the user.
        progress: show progress bars.
        resume: continue what an earlier run left in ``dir``.
        cache: per-command memo a backend may use so that a command loads its data once.
    """

    dir: Path
    seed: int = 0
    echo: Callable[[str], None] = print
    progress: bool = True
    resume: bool = False
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.dir = Path(self.dir)

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.dir)

    def child(self, directory: Path, seed: int | None = None) -> Run:
        """A run in ``directory`` (e.g. a retraining inside a reproduce run) sharing the cache."""
        return Run(
            directory,
            self.seed if seed is None else seed,
            self.echo,
            self.progress,
            self.resume,
            self.cache,
        )


@dataclass(frozen=True)
class TrainResult:
    """What :meth:`Backend.train` returns: the test accuracy of a network trained from scratch.

    Attributes:
        top1, top5: test accuracy in percent (``top5`` None when not measured).
        seed: the seed of the training.
        genome: the genome trained.
        cost: its cost (e.g. FLOPs).
        extra: anything else worth keeping (epochs, seconds, checkpoint path, ...).
    """

    top1: float
    top5: float | None
    seed: int
    genome: Genome
    cost: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "top1": self.top1,
            "top5": self.top5,
            "seed": self.seed,
            "genome": list(self.genome),
            "cost": self.cost,
            **self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainResult:
        known = ("top1", "top5", "seed", "genome", "cost")
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(
            data["top1"], data.get("top5"), data["seed"], tuple(data["genome"]), data["cost"], extra
        )


class Backend(abc.ABC):
    """Base class of backends.

    Subclasses set :attr:`name`, :attr:`summary`, :attr:`Options` (a frozen dataclass
    deriving from :class:`~evogroup.backend.options.BackendOptions`) and implement :meth:`space`,
    :meth:`cost` and :meth:`problem`; backends that train also implement
    :meth:`train_supernet` (setting :attr:`needs_supernet`) and :meth:`train`.
    Every step receives the parsed options object, never loose keywords.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    Options: ClassVar[type[BackendOptions]] = BackendOptions
    #: True when :meth:`problem` needs a trained supernet (``search`` trains one first).
    needs_supernet: ClassVar[bool] = False

    def options(self, **values: Any) -> BackendOptions:
        """Parse and validate options once; unknown names are a :class:`BackendError`."""
        return self.Options.parse(self.name, values)

    def _opts(self, opts: BackendOptions | None) -> Any:
        if opts is None:
            return self.options()
        if not isinstance(opts, self.Options):
            raise BackendError(
                f"backend {self.name!r} takes {self.Options.__name__}, but got {type(opts).__name__}"
            )
        return opts

    # -- every command ------------------------------------------------------------------
    @abc.abstractmethod
    def space(self, opts: BackendOptions | None = None) -> SearchSpace:
        """The searchable layers. Called by every command, first."""

    @abc.abstractmethod
    def cost(self, opts: BackendOptions | None = None) -> CostTable:
        """The additive cost table of :meth:`space` (e.g. FLOPs at a reference resolution)."""

    def cost_label(self, opts: BackendOptions | None = None) -> str:
        """What the cost means, printed next to cost values and saved in ``config.json``."""
        return "cost"

    def fitness_label(self, opts: BackendOptions | None = None) -> str:
        """What the fitness means, printed next to fitness values."""
        return "fitness"

    def device(self, opts: BackendOptions | None = None) -> str | None:
        """The device the backend computes on (recorded in ``env.json``); None when not applicable."""
        return None

    def coordinator(self, opts: BackendOptions | None = None) -> Coordinator:
        """How the processes of a ``torchrun`` launch agree (called by the pipeline before it
        hands rank 0's decisions to the other ranks). By default one process alone."""
        return SingleProcess()

    def check_budget_range(
        self, budget: float, budget_min: float = 0.0, opts: BackendOptions | None = None
    ) -> None:
        """A command's budget range, checked by the core's one owner
        (:func:`evogroup.core.budget_range.check_budget_range`) on this backend's space and
        cost, after :meth:`check_budget` (a backend's own words for a budget below every
        genome, when it overrides it).

        Raises:
            InfeasibleBudgetError: naming the cheapest (and the dearest) genome.
        """
        self.check_budget(budget, opts)
        check_budget_range(
            self.space(opts),
            self.cost(opts),
            budget,
            budget_min,
            hint=self.budget_hint(budget, opts),
        )

    def check_budget(self, budget: float, opts: BackendOptions | None = None) -> None:
        """Raise :class:`InfeasibleBudgetError` when no genome fits ``budget``, naming the
        cheapest genome and :meth:`budget_hint` (the core's check of ``[0, budget]``)."""
        table = self.cost(opts)
        if table.min_cost > budget:
            check_budget_range(self.space(opts), table, budget, hint=self.budget_hint(budget, opts))

    def budget_hint(self, budget: float, opts: BackendOptions | None = None) -> str:
        """What to say after "no genome fits": by default the range of costs; a backend may
        name what it knows (the modules that fit, the floor no group count moves)."""
        table = self.cost(opts)
        return f"costs range from {table.min_cost:.4g} to {table.max_cost:.4g}"

    def cost_report(self, genome: Genome, opts: BackendOptions | None = None) -> dict[str, Any]:
        """Total and per-layer cost of ``genome`` (``evogroup flops``); backends may add fields."""
        space, table = self.space(opts), self.cost(opts)
        genome = space.validate(genome)
        return {
            "cost": table(genome),
            "constant": table.constant,
            "genome": list(genome),
            "layers": [
                {"name": layer.name, "groups": g, "cost": c}
                for layer, g, c in zip(space.layers, genome, table.breakdown(genome))
            ],
        }

    def named_genomes(self, opts: BackendOptions | None = None) -> dict[str, Genome]:
        """Genomes this backend names (e.g. ``native``: a model's own group counts), accepted
        wherever the command line takes a genome (``--groups``, ``--genome``). Default: none."""
        return {}

    def unused_options(self, opts: BackendOptions) -> dict[str, str]:
        """Options that ``opts`` leaves without effect, each with why (e.g. supernet training
        options beside a trained supernet): the CLI refuses them when typed. None by default."""
        return {}

    def search_defaults(self, opts: BackendOptions | None = None) -> dict[str, Any]:
        """Search settings (:class:`~evogroup.core.settings.SearchSettings` field names) that
        this backend's recipe uses when the user gives none, e.g. a shorter search on a
        CPU demo's data; the CLI applies each only where the option was left at its
        default, and says so. Default: none (the paper's settings)."""
        return {}

    # -- lifecycle steps ----------------------------------------------------------------
    def given_supernet(self, opts: BackendOptions | None = None) -> Path | None:
        """A trained supernet the user passed (e.g. ``--supernet``), or None."""
        return None

    def train_supernet(self, run: Run, opts: BackendOptions | None = None) -> Path:
        """Step 1 (``train-supernet``; ``search``/``reproduce`` without a given supernet):
        train the weight-sharing supernet into ``run.dir``, continuing it when
        ``run.resume``; return the checkpoint path."""
        raise BackendError(f"backend {self.name!r} has no supernet to train")

    @abc.abstractmethod
    def problem(
        self,
        budget: float,
        run: Run,
        opts: BackendOptions | None = None,
        supernet: Path | None = None,
        budget_min: float = 0.0,
    ) -> Problem:
        """Step 2 (``search``, ``reproduce``, ``rank-check``): the Problem to search within
        ``[budget_min, budget]``, whose fitness scores genomes on ``supernet`` (None for
        backends without one). The command checked the range already
        (:meth:`check_budget_range`); this never checks it again and never trains; it may
        write what describes its fitness into ``run.layout.fitness``."""

    def proxies(self, problem: Problem, opts: BackendOptions | None = None) -> dict[str, Fitness]:
        """The fitnesses ``rank-check`` compares with training from scratch, the search's own
        (``problem.fitness``) first; a backend may add variants (e.g. without BatchNorm
        recalibration)."""
        return {"fitness": problem.fitness}

    def train(self, genome: Genome, run: Run, opts: BackendOptions | None = None) -> TrainResult:
        """Step 3 (``train``, ``reproduce``): train ``genome``'s network from scratch with
        ``run.seed`` into ``run.dir`` and report its test accuracy."""
        raise BackendError(f"backend {self.name!r} cannot train networks")

    # -- latency (``evogroup latency``, ``--latency-budget``) ------------------------------
    def latency(
        self, spec: LatencySpec, opts: BackendOptions | None = None, echo: Callable = print
    ) -> LatencyTable:
        """The measured latency table of :meth:`space` on ``spec``'s device, in ms
        (:mod:`evogroup.core.latency`); ``spec.resolution`` None means the backend's."""
        raise BackendError(f"backend {self.name!r} cannot time its networks (no latency table)")

    def measure_latency(
        self, genome: Genome, spec: LatencySpec, opts: BackendOptions | None = None
    ) -> dict[str, float]:
        """Time ``genome``'s whole network: ``{"measured_ms": median, "noise_ms": spread}``."""
        raise BackendError(f"backend {self.name!r} cannot time its networks (no latency table)")
