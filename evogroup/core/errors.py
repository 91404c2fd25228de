"""Exception types of evogroup.

Every error a user can cause derives from :class:`EvogroupError` *and* from the
built-in type that fits it, so callers may catch either (``except ValueError``
keeps working for code that does not know evogroup).
"""

from __future__ import annotations


class EvogroupError(Exception):
    """Base class of every error raised on purpose by evogroup."""


class InvalidValueError(EvogroupError, ValueError):
    """A value evogroup checked and refused that is not a command-line option: a search space,
    a cost table, a problem, settings or a network given through the library."""


class InvalidGenomeError(EvogroupError, ValueError):
    """A genome does not fit its search space (wrong length or a non-choice group count)."""


class InfeasibleBudgetError(EvogroupError, ValueError):
    """No genome of the search space has a cost within the budget.

    Attributes:
        budget: the budget that was asked for.
        min_cost: the smallest cost any genome reaches.
        genome: a genome that reaches ``min_cost``.
    """

    def __init__(self, message: str, *, budget: float, min_cost: float, genome: tuple[int, ...]):
        super().__init__(message)
        self.budget = budget
        self.min_cost = min_cost
        self.genome = genome

    @classmethod
    def below(
        cls,
        budget: float,
        min_cost: float,
        genome: tuple[int, ...],
        *,
        what: str = "the smallest reachable cost",
        hint: str | None = None,
    ) -> InfeasibleBudgetError:
        """The error for ``budget < min_cost``, naming both values, the cheapest genome and a hint."""
        from evogroup.core.units import format_flops

        message = (
            f"budget {format_flops(budget)} is below {what} {format_flops(min_cost)}"
            f" (genome {list(genome)})" + (f"; {hint}" if hint else "")
        )
        return cls(message, budget=budget, min_cost=min_cost, genome=tuple(genome))


class OptionError(EvogroupError, ValueError):
    """An option value breaks its rule (type, choices or range)."""


class CheckpointError(EvogroupError, ValueError):
    """A checkpoint or run directory cannot be used (corrupt, or from another problem)."""


class BackendError(EvogroupError, LookupError):
    """A backend cannot be found, loaded, or does not offer what was asked of it."""


class DataError(EvogroupError, ValueError):
    """A dataset path is missing, empty or in a format evogroup does not read."""


class MissingExtraError(EvogroupError, ImportError):
    """An optional dependency is not installed; the message says which extra installs it."""


class DeviceError(EvogroupError, RuntimeError):
    """A requested torch device does not exist or is not available on this machine."""


class RunInUseError(EvogroupError, RuntimeError):
    """Another live process holds the run directory (see :mod:`evogroup.rundir.lock`).

    Attributes:
        pid: the process holding it, when it could be read (else None).
    """

    def __init__(self, message: str, *, pid: int | None = None):
        super().__init__(message)
        self.pid = pid


class PluginError(EvogroupError, RuntimeError):
    """A plug-in (a search strategy) or a user's model factory broke its contract or raised.

    Not the user's command: the code named by ``plugin`` has to be fixed. The run directory
    stays whole, so ``--resume`` after the fix continues it.

    Attributes:
        plugin: what failed, e.g. ``"strategy 'climb'"`` or ``"factory 'pkg.mod:net'"``.
        frames: the failing code's own traceback lines (``file:line in function: code``),
            evogroup's, torch's and the standard library's left out; empty for a returned
            value that broke the contract.
    """

    def __init__(self, message: str, *, plugin: str, frames: tuple[str, ...] = ()):
        super().__init__(message)
        self.plugin = plugin
        self.frames = tuple(frames)
