"""Where candidates are evaluated: the :class:`Workers` a command asks for, and
:func:`make_executor`, the executor it describes, ended with the work that uses it.

``make_executor(1)`` evaluates in the calling process, ``make_executor(n)`` in a pool of
``n`` processes (:mod:`evogroup.executors.processes`), ``make_executor(Workers(n,
kind="ray"))`` on Ray actors across GPUs and machines (:mod:`evogroup.executors.ray`, the
``[ray]`` extra). None of them changes a search's result, only its speed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from evogroup.core.errors import InvalidValueError
from evogroup.executors.ray import RAY_TIMEOUT, RayActors

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class Workers:
    """Where candidates are evaluated; never changes a search's result, only its speed.

    Attributes:
        count: workers (``None``: 1 locally; with Ray one per GPU share of the cluster,
            else one per CPU).
        kind: ``local`` (in this process for one worker, else a process pool) or ``ray``.
        address: with Ray, the cluster to join (``None``: a cluster started by
            ``RAY_ADDRESS``, else a local one started here).
        gpus_per_worker: with Ray, the GPU share of each actor (``None``: 1 when the
            cluster has GPUs, else 0).
        timeout: with Ray, the seconds the cluster at ``address`` has to answer.
    """

    count: int | None = 1
    kind: str = "local"
    address: str | None = None
    gpus_per_worker: float | None = None
    timeout: float = RAY_TIMEOUT

    def __post_init__(self) -> None:
        if self.kind not in EXECUTORS:
            raise InvalidValueError(f"kind must be one of {EXECUTORS}, but got {self.kind!r}")
        if self.count is not None and self.count < 1:
            raise InvalidValueError(f"count >= 1 must hold, but got {self.count}")
        if self.gpus_per_worker is not None and self.gpus_per_worker < 0:
            raise InvalidValueError(
                f"gpus_per_worker >= 0 must hold, but got {self.gpus_per_worker}"
            )
        if not self.timeout > 0:
            raise InvalidValueError(f"timeout > 0 must hold, but got {self.timeout}")


@contextlib.contextmanager
def make_executor(workers: int | Workers = 1) -> Iterator[Any]:
    """The executor ``workers`` describes (a count means local workers), shut down on exit;
    aborted (its workers ended without waiting for their evaluations) on an exception.

    Example:
        >>> with make_executor(1) as executor:
        ...     list(executor.map(sum, [(1, 2), (3, 4)]))
        [3, 7]
    """
    spec = workers if isinstance(workers, Workers) else Workers(workers)
    if spec.kind == "ray":
        executor: Any = RayActors(
            spec.count, spec.address, spec.gpus_per_worker, timeout=spec.timeout
        )
    elif (spec.count or 1) <= 1:
        from evogroup.executors.processes import InProcess

        executor = InProcess()
    else:
        from evogroup.executors.processes import RetryingProcessPool

        executor = RetryingProcessPool(spec.count)
    try:
        yield executor
    except BaseException:  # Ctrl-C, SIGTERM (see evogroup.cli.main) or an error
        executor.abort()
        raise
    executor.shutdown()
