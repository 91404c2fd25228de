"""Search spaces: one gene per group convolution, its choices the admissible group counts.

A conv with ``C_in`` input and ``C_out`` output channels can be split into ``g``
groups exactly when ``g`` divides both, i.e. when ``g | gcd(C_in, C_out)``. A
*genome* is the tuple of group counts, one per layer, in layer order. Operators
work on indices into each layer's sorted choices; users only see group counts.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from evogroup.core.errors import InvalidGenomeError, InvalidValueError
from evogroup.core.io import json_fingerprint

Genome = tuple[int, ...]


def divisors(n: int) -> tuple[int, ...]:
    """All positive divisors of ``n`` in increasing order.

    >>> divisors(12)
    (1, 2, 3, 4, 6, 12)
    """
    value = _as_int(n)
    if value is None or value < 1:
        raise InvalidValueError(f"channel counts must be positive integers, but got {n!r}")
    n = value
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return tuple(sorted(set(small + [n // d for d in small])))


@dataclass(frozen=True)
class Layer:
    """One searchable convolution.

    Attributes:
        name: a readable, unique name (``block3.conv3x3``).
        choices: the admissible group counts, sorted increasingly.
    """

    name: str
    choices: tuple[int, ...]

    def __post_init__(self) -> None:
        choices = tuple(sorted(set(int(c) for c in self.choices)))
        if not choices:
            raise InvalidValueError(f"layer {self.name!r} must have at least one group choice")
        if choices[0] < 1:
            raise InvalidValueError(
                f"group counts must be >= 1, but layer {self.name!r} has {choices[0]}"
            )
        object.__setattr__(self, "choices", choices)

    @classmethod
    def from_channels(
        cls,
        name: str,
        in_channels: int,
        out_channels: int | None = None,
        *,
        min_groups: int | None = None,
        max_groups: int | None = None,
    ) -> Layer:
        """A layer whose choices are the divisors of ``gcd(in_channels, out_channels)``,
        clipped to ``[min_groups, max_groups]``."""
        out_channels = in_channels if out_channels is None else out_channels
        choices = divisors(math.gcd(_positive(in_channels, name), _positive(out_channels, name)))
        lo = 1 if min_groups is None else min_groups
        hi = choices[-1] if max_groups is None else max_groups
        clipped = tuple(c for c in choices if lo <= c <= hi)
        if not clipped:
            raise InvalidValueError(
                f"min_groups <= max_groups must leave a divisor of {math.gcd(in_channels, out_channels)}"
                f" for layer {name!r}, but got (min_groups={min_groups}, max_groups={max_groups})"
            )
        return cls(name, clipped)

    def index(self, groups: int) -> int:
        """Index of ``groups`` in :attr:`choices`."""
        try:
            return self.choices.index(groups)
        except ValueError:
            raise InvalidGenomeError(
                f"layer {self.name!r} cannot have {groups!r} groups; allowed: {_short(self.choices)}"
            ) from None

    def clip(self, groups: int) -> int:
        """The admissible choice closest to ``groups`` (ties go to the larger count)."""
        return min(self.choices, key=lambda c: (abs(c - groups), -c))


def _as_int(n: object) -> int | None:
    """``n`` as an int when it is an integer (numpy integers included, bools excluded)."""
    if isinstance(n, bool):
        return None
    try:
        return operator.index(n)
    except TypeError:
        return None


def _positive(n: int, name: str) -> int:
    value = _as_int(n)
    if value is None or value < 1:
        raise InvalidValueError(
            f"channel counts must be positive integers, but layer {name!r} got {n!r}"
        )
    return value


def _short(values: Sequence[int], limit: int = 12) -> str:
    if len(values) <= limit:
        return ", ".join(map(str, values))
    return ", ".join(map(str, values[: limit - 2])) + f", ..., {values[-1]}"


@dataclass(frozen=True)
class SearchSpace:
    """An ordered tuple of :class:`Layer`; a genome has one group count per layer.

    Example:
        >>> space = SearchSpace.from_channels([32, 64], names=["dw1", "dw2"])
        >>> space.validate((4, 64))
        (4, 64)
        >>> space.size  # 6 divisors of 32 times 7 of 64
        42
    """

    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        if not layers:
            raise InvalidValueError("a search space needs at least one layer")
        names = [layer.name for layer in layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise InvalidValueError(f"layer names must be unique, but got duplicates {dupes}")
        object.__setattr__(self, "layers", layers)

    @classmethod
    def from_channels(
        cls,
        channels: Iterable[int | tuple[int, int]],
        names: Sequence[str] | None = None,
        *,
        min_groups: int | None = None,
        max_groups: int | None = None,
    ) -> SearchSpace:
        """One layer per entry: an int ``C`` (a ``C -> C`` conv) or a pair ``(C_in, C_out)``."""
        channels = list(channels)
        if names is None:
            names = [f"layer{i}" for i in range(len(channels))]
        if len(names) != len(channels):
            raise InvalidValueError(
                f"names must match channels one to one, but got {len(names)} names"
                f" for {len(channels)} layers"
            )
        layers = []
        for name, ch in zip(names, channels):
            cin, cout = (ch, ch) if isinstance(ch, int) else tuple(ch)
            layers.append(
                Layer.from_channels(name, cin, cout, min_groups=min_groups, max_groups=max_groups)
            )
        return cls(tuple(layers))

    def __len__(self) -> int:
        return len(self.layers)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers)

    @property
    def size(self) -> int:
        """Number of distinct genomes."""
        return math.prod(len(layer.choices) for layer in self.layers)

    def validate(self, genome: Iterable[int]) -> Genome:
        """Return ``genome`` as a tuple of ints, or raise :class:`InvalidGenomeError`."""
        genes = tuple(genome)
        if len(genes) != len(self.layers):
            raise InvalidGenomeError(
                f"a genome needs one group count per layer ({len(self.layers)}), but got {len(genes)}"
            )
        for layer, g in zip(self.layers, genes):
            if isinstance(g, bool) or not isinstance(g, int | float) or int(g) != g:
                raise InvalidGenomeError(
                    f"layer {layer.name!r}: group counts are integers, got {g!r}"
                )
            layer.index(int(g))
        return tuple(int(g) for g in genes)

    def to_indices(self, genome: Genome) -> tuple[int, ...]:
        return tuple(layer.index(g) for layer, g in zip(self.layers, self.validate(genome)))

    def from_indices(self, indices: Iterable[int]) -> Genome:
        return tuple(layer.choices[i] for layer, i in zip(self.layers, indices, strict=True))

    def uniform(self, groups: int) -> Genome:
        """The same group count in every layer, clipped to each layer's choices."""
        return tuple(layer.clip(groups) for layer in self.layers)

    def to_json(self) -> dict:
        return {"layers": [{"name": lay.name, "choices": list(lay.choices)} for lay in self.layers]}

    @classmethod
    def from_json(cls, data: dict) -> SearchSpace:
        return cls(tuple(Layer(d["name"], tuple(d["choices"])) for d in data["layers"]))

    def fingerprint(self) -> str:
        """A short hash identifying the space (names and choices)."""
        return json_fingerprint(self.to_json())
