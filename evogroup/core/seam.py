"""The seam between evogroup and code it calls but does not own: a strategy plug-in, a
user's model factory.

Everything a strategy proposes, from :meth:`~evogroup.core.strategy.Strategy.initial` or
:meth:`~evogroup.core.strategy.Strategy.breed`, is checked here before anything is
evaluated (:func:`checked_offspring`): an :class:`~evogroup.core.strategy.Offspring` of
genomes (tuples) in the search space, within the budget range, none evaluated or proposed
before. An exception raised inside a plug-in (:func:`calling`) or a factory becomes a
:class:`~evogroup.core.errors.PluginError` naming it and the exception, carrying the
plug-in's own traceback frames (evogroup's, torch's and the standard library's left out).
"""

from __future__ import annotations

import contextlib
import functools
import sys
import types
from collections.abc import Iterable, Iterator
from typing import Any

from evogroup.core.errors import InvalidGenomeError, PluginError
from evogroup.core.records import Evaluation
from evogroup.core.strategy import Offspring, Strategy
from evogroup.core.units import format_flops

_NOT_THEIRS = frozenset(
    {
        "evogroup",
        "torch",
        "click",
        "importlib",
        "runpy",
        "contextlib",
        "functools",
        "concurrent",
        "multiprocessing",
        "threading",
    }
)


def strategy_label(cls: type) -> str:
    """``strategy 'name'`` with where it lives for a plug-in: ``strategy 'climb' (pkg.mod.Climb)``."""
    name = getattr(cls, "name", cls.__name__)
    return f"strategy {name!r}" + (
        "" if _built_in(cls) else f" ({cls.__module__}.{cls.__qualname__})"
    )


def _built_in(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "evogroup"


@contextlib.contextmanager
def calling(cls: type, method: str) -> Iterator[None]:
    """Within the block, an exception from a strategy plug-in ``cls`` (not a built-in one,
    whose exceptions are evogroup's own) becomes a :class:`PluginError` naming it."""
    try:
        yield
    except PluginError:
        raise
    except Exception as exc:
        if _built_in(cls):
            raise
        raise plugin_error(strategy_label(cls), method, exc) from exc


def plugin_error(plugin: str, where: str, exc: BaseException) -> PluginError:
    """The :class:`PluginError` for ``exc`` raised by ``plugin`` while evogroup ran ``where``."""
    message = str(exc).strip().splitlines()
    text = f": {message[0]}" if message else ""
    frames = own_frames(exc.__traceback__)
    if isinstance(exc, SyntaxError) and exc.filename:  # the line that does not compile
        frames += (f"{exc.filename}:{exc.lineno}: {(exc.text or '').strip()}",)
    return PluginError(
        f"{plugin} raised {type(exc).__name__} in {where}{text}", plugin=plugin, frames=frames
    )


def own_frames(tb: types.TracebackType | None) -> tuple[str, ...]:
    """``file:line in function: code`` of every frame of ``tb`` that belongs to neither
    evogroup (its package and shipped backends), torch nor the standard library."""
    import linecache

    out = []
    while tb is not None:
        frame, line = tb.tb_frame, tb.tb_lineno
        top = str(frame.f_globals.get("__name__", "")).split(".")[0]
        if top not in _NOT_THEIRS | _shipped() and top not in sys.stdlib_module_names:
            code = linecache.getline(frame.f_code.co_filename, line).strip()
            out.append(f"{frame.f_code.co_filename}:{line} in {frame.f_code.co_name}: {code}")
        tb = tb.tb_next
    return tuple(out)


@functools.cache
def _shipped() -> frozenset[str]:
    """The top-level packages of the backends and strategies evogroup itself ships."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        eps = distribution("evogroup").entry_points
    except PackageNotFoundError:
        return frozenset()
    return frozenset(
        ep.value.split(":")[0].split(".")[0] for ep in eps if ep.group.startswith("evogroup.")
    )


def checked_offspring(
    proposer: Strategy, offspring: Any, taken: Iterable, method: str
) -> Offspring:
    """``offspring`` when it keeps the contract of :class:`Strategy`, else a
    :class:`PluginError` naming the strategy and what it returned."""
    who = f"{strategy_label(type(proposer))} {method}"
    if not isinstance(offspring, Offspring):
        raise PluginError(
            f"{who} must return an Offspring, but returned {_show(offspring)}",
            plugin=strategy_label(type(proposer)),
        )
    if not isinstance(offspring.genomes, list | tuple):
        raise PluginError(
            f"{who} must return Offspring(genomes=[...]), but its genomes are"
            f" {_show(offspring.genomes)}",
            plugin=strategy_label(type(proposer)),
        )
    if method == "initial()" and not offspring.genomes:
        raise PluginError(
            f"{who} returned no genomes: a search starts from at least one",
            plugin=strategy_label(type(proposer)),
        )
    # a strategy plans its initial design from N (evogroup.core.schedule), so N bounds it
    most = proposer.settings.evaluations if method == "initial()" else proposer.children
    if len(offspring.genomes) > most:
        what = "--evaluations" if method == "initial()" else "--crossovers + --mutations"
        raise PluginError(
            f"{who} returned {len(offspring.genomes)} genomes, more than {what} ({most})",
            plugin=strategy_label(type(proposer)),
        )
    seen, proposed = set(taken), []
    for genome in offspring.genomes:
        fault = _fault(proposer.problem, genome, seen, set(proposed))
        if fault:
            raise PluginError(
                f"{who} returned the genome {_show(genome)}, {fault}",
                plugin=strategy_label(type(proposer)),
            )
        proposed.append(genome)
    return offspring


def checked_ranking(proposer: Strategy, ranked: Any, history: list) -> list:
    """``ranked`` when it is a list of the successful evaluations of ``history``, else a
    :class:`PluginError` naming the strategy."""
    if not isinstance(ranked, list) or not all(isinstance(r, Evaluation) and r.ok for r in ranked):
        raise PluginError(
            f"{strategy_label(type(proposer))} rank() must return a list of the successful"
            f" evaluations it was given, but returned {_show(ranked)}",
            plugin=strategy_label(type(proposer)),
        )
    return ranked


def _fault(problem: Any, genome: Any, seen: set, proposed: set) -> str | None:
    """What is wrong with one proposed genome, or None."""
    if not isinstance(genome, tuple):
        return f"a {type(genome).__name__}; a genome is a tuple of group counts"
    try:
        genome = problem.space.validate(genome)
    except InvalidGenomeError as exc:
        return f"which is not in the search space ({exc})"
    cost = problem.cost(genome)
    if not problem.within(cost):
        return (
            f"of cost {format_flops(cost)}, outside the budget range"
            f" [{format_flops(problem.budget_min)}, {format_flops(problem.budget)}]"
        )
    if genome in seen:
        return "which was already evaluated (no genome is evaluated twice)"
    if genome in proposed:
        return "twice in one iteration"
    return None


def _show(value: Any) -> str:
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{type(value).__name__} {text}" if not isinstance(value, tuple) else text
