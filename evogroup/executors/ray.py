"""Ray actors as an executor: candidate evaluation across GPUs and machines (``[ray]`` extra).

Each actor holds the fitness of the running search (for a supernet fitness: the loaded
supernet and its data, loaded on the actor's first call) and evaluates one genome at a
time; :class:`ray.util.ActorPool` hands genomes to idle actors and returns the results in
order. An actor that dies is restarted by Ray and its genome retried
(``max_restarts``/``max_task_retries``), so a lost worker costs a retry, not the run.

Example:
    >>> from evogroup.executors.workers import Workers, make_executor
    >>> with make_executor(Workers(2, kind="ray")) as executor:  # doctest: +SKIP
    ...     list(executor.map(sum, [(1, 2), (3, 4)]))
    [3, 7]
"""

from __future__ import annotations

import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from evogroup.core.errors import EvogroupError, MissingExtraError, OptionError
from evogroup.executors.shipped import Shipped

INSTALL = "pip install 'evogroup[ray]'  (or: pip install 'ray[default]')"
RAY_TIMEOUT = 30.0  # seconds a Ray cluster has to answer at its address (--ray-timeout)


def import_ray() -> Any:
    """The ``ray`` module, or an error saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise MissingExtraError(
            f"--executor ray needs Ray, which is not installed; install it with {INSTALL}"
        ) from exc
    return ray


def check_address(address: str | None) -> None:
    """Refuse an address that is not ``host:port``, ``ray://host:port``, ``auto`` or
    ``local`` (Ray would print a traceback, or log one)."""
    if address is None or address in ("auto", "local"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not (sep and host and port.isdigit() and 0 < int(port) < 65536) or any(
        c in host for c in " /"
    ):
        raise OptionError(
            "--ray-address must be host:port (or ray://host:port, auto, local), but got"
            f" {address!r}"
        )


def reach(address: str | None, timeout: float = RAY_TIMEOUT) -> None:
    """Check within ``timeout`` seconds that a Ray cluster answers at ``address``
    (``None``: ``$RAY_ADDRESS``; nothing to check when that is unset or ``local``), so
    a wrong address fails in one line instead of Ray retrying it for many minutes.

    First a TCP connection to the address (refused, unreachable or an unknown host fail
    at once); then, but for a Ray Client address (``ray://``), the handshake of Ray's own
    GCS client, in a daemon thread abandoned when it does not finish in time (something
    that is not a Ray cluster may accept the connection and never answer).

    Raises:
        OptionError: a malformed address.
        EvogroupError: no Ray cluster answered in time.
    """
    import_ray()
    from ray._private.services import canonicalize_bootstrap_address

    check_address(address)
    try:
        target = (
            address
            if (address or "").startswith("ray://")
            else (canonicalize_bootstrap_address(address))
        )
    except (ValueError, ConnectionError) as exc:  # "auto" without a running cluster
        raise EvogroupError(f"{_given(address)}: {exc}") from None
    if target is None:
        return
    deadline = time.monotonic() + timeout
    host, _, port = target.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise _unreachable(address, target, reason) from None
    if not target.startswith("ray://"):
        _handshake(address, target, max(0.0, deadline - time.monotonic()), timeout)


def _handshake(address: str | None, target: str, left: float, timeout: float) -> None:
    from ray._raylet import GcsClient

    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            GcsClient(address=target)
            outcome.append(None)
        except Exception as exc:  # Ray's RpcError, after its own retries
            outcome.append(exc)

    thread = threading.Thread(target=connect, name="ray-address-check", daemon=True)
    thread.start()
    thread.join(left)
    if not outcome:
        raise _unreachable(
            address,
            target,
            f"no answer from a Ray cluster within {timeout:g} s; --ray-timeout sets the wait",
        )
    if outcome[0] is not None:
        raise _unreachable(address, target, str(outcome[0]).strip().splitlines()[0])


def _given(address: str | None) -> str:
    return "$RAY_ADDRESS" if address is None else f"--ray-address {address}"


def _unreachable(address: str | None, target: str, reason: str) -> EvogroupError:
    given = _given(address)
    return EvogroupError(
        f"{given}: no Ray cluster answers at {target} ({reason}); check the address"
        f" (`ray status` on the head node shows it), or drop {given.split()[0]} for a local"
        " cluster"
    )


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
        timeout: seconds to wait for the cluster at ``address`` to answer (:func:`reach`).
    """

    def __init__(
        self,
        workers: int | None = None,
        address: str | None = None,
        gpus_per_worker: float | None = None,
        retries: int = 3,
        timeout: float = RAY_TIMEOUT,
    ) -> None:
        ray = self._ray = import_ray()
        from ray.util import ActorPool

        self._started = not ray.is_initialized()
        if self._started:
            reach(address, timeout)
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

    abort = shutdown
