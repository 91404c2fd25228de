"""A fitness shipped to workers once: pickled once per ``map``, unpickled once per worker.

Every worker keeps the function of a ``map`` for the maps that follow with the same function
(a search maps the same fitness every iteration), so a fitness that loads a supernet and its
data on first call loads them once per worker, in a process pool as on Ray actors.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import Any


class Shipped:
    """A function pickled once per ``map``, unpickled once per worker and kept there.

    ``key`` names the function by its pickled bytes, so the fitness of every iteration
    of a search (a new ``partial`` each time, the same bytes) is the same key.
    """

    def __init__(self, fn: Callable[..., Any], dumps: Callable[[Any], bytes] = pickle.dumps):
        self.blob = dumps(fn)
        self.key = hashlib.blake2b(self.blob, digest_size=16).hexdigest()


_loaded: dict[str, Callable[..., Any]] = {}  # in a worker process: the last function shipped


def call_shipped(key: str, blob: bytes, *args: Any) -> Any:
    """Run in a worker: the function named ``key`` (unpickled from ``blob`` on first use)."""
    fn = _loaded.get(key)
    if fn is None:
        _loaded.clear()  # one function at a time: a new one frees the old one's supernet
        fn = _loaded[key] = pickle.loads(blob)
    return fn(*args)
