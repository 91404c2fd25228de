"""SIGTERM ends a command as Ctrl-C does: by an exception that unwinds it.

Killed outright by the default SIGTERM action, a command would leave the processes it
started (pool workers, multiprocessing's resource tracker, Ray) running, holding models,
data, device memory and the command's stdout. Raised as :class:`Terminated`, SIGTERM runs
every ``finally`` and ``with`` exit on its way out, as Ctrl-C's ``KeyboardInterrupt`` does:
executors end their workers (:func:`evogroup.executors.workers.make_executor`), run directories are
unlocked, and the command exits with 128 + the signal's number.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

INTERRUPTED, TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main thread is; a ``KeyboardInterrupt`` so that every
    clean-up written for Ctrl-C serves it too."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (in the main thread only; the
    previous handler is restored on exit)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
