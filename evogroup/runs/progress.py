"""A search's progress bar: an executor wrapped so that tqdm advances with every finished evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from tqdm import tqdm


class Progress:
    """Wraps an executor so that a tqdm bar advances with every finished evaluation."""

    def __init__(self, executor: Any, bar: tqdm):
        self.executor, self.bar = executor, bar

    def map(self, fn: Callable[..., Any], *iterables: Iterable[Any]) -> Iterator[Any]:
        for value in self.executor.map(fn, *iterables):
            self.bar.update(1)
            yield value
