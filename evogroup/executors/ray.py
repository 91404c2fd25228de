"""Ray actors as an executor: candidate evaluation across GPUs and machines (``[ray]`` extra).

Each actor holds the fitness of the running search (for a supernet fitness: the loaded
supernet and its data, loaded on the actor's first call) and evaluates one genome at a
time; :class:`ray.util.ActorPool` hands genomes to idle actors and returns the results in
order. An actor that dies is restarted by Ray and its genome retried
(``max_restarts``/``max_task_retries``), so a lost worker costs a retry, not the run.

Example:
    >>> from evogroup.executors.processes import Workers, make_executor
    >>> with make_executor(Workers(2, kind="ray")) as executor:  # doctest: +SKIP
    ...     list(executor.map(sum, [(1, 2), (3, 4)]))
    [3, 7]
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from evogroup.core.errors import EvogroupError, MissingExtraError
from evogroup.executors.shipped import Shipped

INSTALL = "pip install 'evogroup[ray]'  (or: pip install 'ray[default]')"


def import_ray() -> Any:
    """The ``ray`` module, or an error saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise MissingExtraError(
            f"--executor ray needs Ray, which is not installed; install it with {INSTALL}"
        ) from exc
    return ray


class _Evaluator:
    """The body of one actor: keeps the last function shipped to it (see :class:`Shipped`)."""

    def __init__(self) -> None:
        self._key: str | None = None
        self._fn: Callable[..., Any] | None = None

    def call(self, key: str, box: list[Any], args: tuple[Any, ...]) -> Any:
        # ``box`` holds the ObjectRef of the pickled function; inside a list Ray does not
        # resolve it, so it is fetched only when this actor does not hold it yet.
        if key != self._key:
            import ray

            self._fn = None  # frees the previous fitness (and its supernet) first
            self._fn, self._key = pickle.loads(ray.get(box[0])), key
        return self._fn(*args)


class RayActors:
    """An in-order executor over Ray actors (one per GPU share, or per CPU).

    Args:
        workers: actors (``None``: as many as the cluster's GPUs hold ``gpus_per_worker``
            shares, or one per CPU without GPUs).
        address: the Ray cluster to join (``None``: ``RAY_ADDRESS``, else a local cluster
            started here and stopped by :meth:`shutdown`). An already initialised Ray is used
            as it is.
        gpus_per_worker: each actor's GPU share (``None``: 1 when the cluster has GPUs, else 0);
            Ray sets each actor's ``CUDA_VISIBLE_DEVICES``.
        retries: restarts of a dead actor (and retries of its genome) before giving up.
    """

    def __init__(
        self, workers: int | None = None, address: str | None = None,
        gpus_per_worker: float | None = None, retries: int = 3,
    ) -> None:  # fmt: skip
        ray = self._ray = import_ray()
        from ray.util import ActorPool

        self._started = not ray.is_initialized()
        if self._started:
            ray.init(address=address, include_dashboard=False, logging_level="WARNING")
        resources = ray.cluster_resources()
        gpus = resources.get("GPU", 0.0)
        share = (1.0 if gpus else 0.0) if gpus_per_worker is None else gpus_per_worker
        if share > gpus:
            self.shutdown()
            raise EvogroupError(
                f"--gpus-per-worker <= the cluster's GPUs must hold, but got {share} > {gpus}"
            )
        if workers is None:
            workers = int(gpus // share) if share else max(1, int(resources.get("CPU", 1)))
        actor = ray.remote(_Evaluator).options(
            num_cpus=1, num_gpus=share, max_restarts=retries, max_task_retries=retries
        )
        self.workers, self.gpus_per_worker = workers, share
        self._actors = [actor.remote() for _ in range(workers)]
        self._pool = ActorPool(self._actors)

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        shipped = Shipped(fn, self._ray.cloudpickle.dumps)
        box = [self._ray.put(shipped.blob)]
        items = list(zip(*iterables))
        yield from self._pool.map(lambda a, args: a.call.remote(shipped.key, box, args), items)

    def shutdown(self) -> None:
        for actor in getattr(self, "_actors", []):
            self._ray.kill(actor)
        self._actors = []
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()
