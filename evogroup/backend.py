"""The interface a network backend implements to plug into evogroup.

A backend turns its options (declared torch-free as :class:`Option`) into a
:class:`~evogroup.space.SearchSpace`, a :class:`~evogroup.cost.CostTable` and,
for a search, a :class:`~evogroup.problem.Problem`. Backends that can train
(supernet, final model) also implement :meth:`Backend.train_supernet` and
:meth:`Backend.train`; the CLI commands ``train-supernet``, ``train`` and
``reproduce`` use them.

Register a backend under the entry-point group ``evogroup.backends``::

    [project.entry-points."evogroup.backends"]
    mynet = "mypackage.backend:MyNetBackend"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from evogroup.cost import CostTable
from evogroup.errors import BackendError, InfeasibleBudgetError
from evogroup.problem import Problem
from evogroup.space import Genome, SearchSpace


@dataclass(frozen=True)
class Option:
    """A backend option, shown by the CLI as ``--name`` (underscores become dashes).

    Attributes:
        name: a Python identifier; the keyword the backend's methods receive.
        default: the value when the flag is not given (``None``: not set).
        help: one line for ``--help``.
        type: ``str``, ``int``, ``float``, ``bool`` or ``Path``.
        choices: when not empty, the only admissible values.
        commands: the CLI commands that show it (empty: all of them).
    """

    name: str
    default: Any
    help: str
    type: type = str
    choices: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass
class Run:
    """Where and how a command runs: its directory, its seed, and how it talks to the user."""

    dir: Path
    seed: int = 0
    echo: Callable[[str], None] = print
    progress: bool = True
    device: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dir = Path(self.dir)


class Backend:
    """Base class of backends. Subclasses set :attr:`name`, :attr:`summary`, :attr:`options`
    and implement :meth:`space`, :meth:`cost` and :meth:`problem`."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()

    def defaults(self, **opts: Any) -> dict[str, Any]:
        """The backend's options with defaults filled in; an unknown option is an error."""
        known = {o.name: o.default for o in self.options}
        unknown = sorted(set(opts) - set(known))
        if unknown:
            raise BackendError(
                f"backend {self.name!r} has no option {unknown[0]!r}; it has: {', '.join(known) or 'none'}"
            )
        known.update({k: v for k, v in opts.items() if v is not None})
        return known

    def space(self, **opts: Any) -> SearchSpace:
        raise NotImplementedError

    def cost(self, **opts: Any) -> CostTable:
        """The additive cost table of :meth:`space` (e.g. FLOPs at a reference resolution)."""
        raise NotImplementedError

    def cost_label(self, **opts: Any) -> str:
        """What the cost means, printed next to cost values (units, convention, resolution)."""
        return "cost"

    def device(self, **opts: Any) -> str | None:
        """The device the backend computes on (recorded in ``env.json``); None when not applicable."""
        return None

    def fitness_label(self, **opts: Any) -> str:
        """What the fitness means, printed next to fitness values."""
        return "fitness"

    def problem(self, budget: float, run: Run, **opts: Any) -> Problem:
        """The Problem to search under ``budget``; may prepare what its fitness needs in ``run.dir``."""
        raise NotImplementedError

    def check_budget(self, budget: float, **opts: Any) -> None:
        """Raise :class:`InfeasibleBudgetError` when no genome fits ``budget``."""
        table = self.cost(**opts)
        if table.min_cost > budget:
            raise InfeasibleBudgetError.below(budget, table.min_cost, table.min_genome())

    def cost_report(self, genome: Genome, **opts: Any) -> dict[str, Any]:
        """Total and per-layer cost of ``genome``; backends may add fields (e.g. binary/real MACs)."""
        space, table = self.space(**opts), self.cost(**opts)
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

    def train_supernet(self, run: Run, **opts: Any) -> Path:
        """Train the weight-sharing supernet into ``run.dir``; return its checkpoint path."""
        raise BackendError(f"backend {self.name!r} has no supernet to train")

    def train(self, genome: Genome, run: Run, **opts: Any) -> Mapping[str, Any]:
        """Train ``genome``'s network from scratch; return its metrics (e.g. top1, top5, cost)."""
        raise BackendError(f"backend {self.name!r} cannot train networks")
