"""``--executor``, ``--ray-address``, ``--ray-timeout`` and ``--gpus-per-worker``: where
candidates are evaluated.

Together with ``--workers`` (:func:`evogroup.cli.start.setting_options`) they make a
:class:`~evogroup.executors.workers.Workers`; none of them changes a result, so none is recorded in
``config.json`` and a run may be resumed with other values.
"""

from __future__ import annotations

import click

from evogroup.executors.workers import EXECUTORS, RAY_TIMEOUT, Workers


def executor_options(fn):
    """The four options, as keyword arguments ``executor``, ``ray_address``, ``ray_timeout``,
    ``gpus_per_worker``."""
    fn = click.option(
        "--ray-timeout",
        type=click.FloatRange(0, min_open=True),
        default=None,
        help=f"With --executor ray: seconds the cluster at --ray-address has to answer"
        f" [default: {RAY_TIMEOUT:g}].",
    )(fn)
    fn = click.option(
        "--gpus-per-worker",
        type=click.FloatRange(0),
        default=None,
        help="With --executor ray: GPU share of each actor [default: 1 on a cluster with GPUs, else 0].",
    )(fn)
    fn = click.option(
        "--ray-address",
        default=None,
        help="With --executor ray: the cluster to join [default: $RAY_ADDRESS, else a local one].",
    )(fn)
    return click.option(
        "--executor",
        type=click.Choice(EXECUTORS),
        default="local",
        show_default=True,
        help="Evaluate candidates in local processes or on Ray actors (extra [ray]).",
    )(fn)


def workers_from(
    ctx: click.Context,
    workers: int,
    executor: str,
    ray_address: str | None,
    gpus_per_worker: float | None,
    ray_timeout: float | None = None,
) -> Workers:
    """The :class:`Workers` the options describe; with Ray and no ``--workers``, the cluster's
    size. A missing Ray install, a malformed address or a cluster that does not answer in
    time is said here, before any run directory or training."""
    ray_only = (
        ("--ray-address", ray_address),
        ("--ray-timeout", ray_timeout),
        ("--gpus-per-worker", gpus_per_worker),
    )
    if executor != "ray":
        for flag, value in ray_only:
            if value is not None:
                raise click.UsageError(f"{flag} needs --executor ray")
        return Workers(workers)
    from evogroup.executors.ray import reach

    timeout = RAY_TIMEOUT if ray_timeout is None else ray_timeout
    reach(ray_address, timeout)
    given = ctx.get_parameter_source("workers") != click.core.ParameterSource.DEFAULT
    return Workers(workers if given else None, "ray", ray_address, gpus_per_worker, timeout)
