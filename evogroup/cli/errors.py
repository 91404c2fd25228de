"""How the command line reports an exception: one line and an exit code, or a traceback.

Exit codes: ``2`` (:data:`USAGE`) when the command asked for something that cannot be
(an option value, a genome, a backend), like click's own usage errors; ``1``
(:data:`FAILED`) when a well-formed command could not be carried out (data, checkpoint,
budget, device, a run directory in use, the file system, out of memory); ``3``
(:data:`PLUGIN`) when code the command ran but evogroup does not own broke its contract or
raised (a strategy plug-in, a user's model factory: a
:class:`~evogroup.core.errors.PluginError`, shown with that code's own traceback lines);
``130`` on Ctrl-C, ``143`` on SIGTERM (:mod:`evogroup.cli.signals`). Who raised an error
is told by its type: evogroup raises a :class:`~evogroup.core.errors.EvogroupError` for everything a user can cause, so
any other exception is a bug (or comes from outside evogroup) and keeps its traceback, and ``--debug`` or ``EVOGROUP_DEBUG=1`` keeps every traceback, for bug
reports.
"""

from __future__ import annotations

from evogroup.core.errors import (
    BackendError,
    EvogroupError,
    InvalidGenomeError,
    OptionError,
    PluginError,
)

USAGE, FAILED, PLUGIN = 2, 1, 3
_USAGE_ERRORS = (OptionError, InvalidGenomeError, BackendError)


def describe(exc: BaseException) -> tuple[str, int] | None:
    """``(one-line message, exit code)`` for an error a user can cause, else None (a bug).

    Example:
        >>> describe(OptionError("width_mult > 0 must hold, but got width_mult=0.0"))
        ('width_mult > 0 must hold, but got width_mult=0.0', 2)
        >>> describe(OSError(28, "No space left on device", "runs/x/checkpoint.json"))
        ('No space left on device: runs/x/checkpoint.json', 1)
    """
    if isinstance(exc, PluginError):
        frames = "".join(f"\n  at {frame}" for frame in exc.frames)
        return (
            f"{one_line(str(exc))}{frames}\n  (--debug or EVOGROUP_DEBUG=1: the whole traceback)",
            PLUGIN,
        )
    if isinstance(exc, _USAGE_ERRORS):
        return one_line(str(exc)), USAGE
    if isinstance(exc, EvogroupError):
        return one_line(str(exc)), FAILED
    if isinstance(exc, OSError) and exc.strerror:
        where = exc.filename if exc.filename is not None else ""
        return (f"{exc.strerror}: {where}" if where else exc.strerror), FAILED
    if type(exc).__name__ == "OutOfMemoryError" or isinstance(exc, MemoryError) or _no_memory(exc):
        return f"out of memory ({one_line(str(exc))[:120]}); try a smaller --batch-size", FAILED
    return None


def one_line(message: str) -> str:
    """The message an exception was raised with, even when a DataLoader worker wrapped it
    (``Caught DataError in DataLoader worker process 0. Original Traceback ... DataError: msg``)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "(no message)"
    if len(lines) > 1 and "Original Traceback" in message:
        last = lines[-1]
        head, sep, tail = last.partition(": ")
        return tail if sep and "." in head and " " not in head else last
    return " ".join(lines)


def _no_memory(exc: BaseException) -> bool:
    """torch's CPU allocator refusing a size (a RuntimeError, not a MemoryError)."""
    return isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc)
