r"""Costs of genomes.

Any ``Callable[[Genome], float]`` is a cost. The fast, exact form is the additive
:class:`CostTable`:

.. math::

    \mathrm{cost}(G) = c_0 + \sum_{l=1}^{L} T_l[G_l]

where :math:`T_l` maps each group choice of layer :math:`l` to the cost that layer
adds (e.g. its FLOPs at that group count) and :math:`c_0` is the cost of
everything that is not searched (stem, classifier, fixed layers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from evogroup.core.errors import InvalidValueError
from evogroup.core.space import Genome, SearchSpace

Cost = Callable[[Genome], float]


class CostTable:
    """An additive per-layer cost table, evaluated in about a microsecond per genome.

    Args:
        table: ``table[l]`` maps each group choice of layer ``l`` to its cost.
        constant: the cost of everything outside the searched layers.

    Example:
        >>> t = CostTable([{1: 10.0, 2: 5.0}, {1: 8.0, 4: 2.0}], constant=1.0)
        >>> t((2, 4))
        8.0
        >>> t.min_genome(), t.min_cost
        ((2, 4), 8.0)
    """

    __slots__ = ("table", "constant")

    def __init__(self, table: Sequence[Mapping[int, float]], constant: float = 0.0):
        self.table: tuple[dict[int, float], ...] = tuple(
            {int(g): float(c) for g, c in layer.items()} for layer in table
        )
        if not self.table or any(not layer for layer in self.table):
            raise InvalidValueError(
                "a CostTable needs at least one layer, each with at least one choice"
            )
        self.constant = float(constant)

    def __call__(self, genome: Genome) -> float:
        total = self.constant
        for layer, g in zip(self.table, genome, strict=True):
            total += layer[g]
        return total

    def __len__(self) -> int:
        return len(self.table)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CostTable)
            and self.table == other.table
            and self.constant == other.constant
        )

    def __repr__(self) -> str:
        return f"CostTable(<{len(self.table)} layers>, constant={self.constant:g})"

    def min_genome(self) -> Genome:
        """The genome of least cost (the larger group count on ties)."""
        return tuple(min(layer, key=lambda g: (layer[g], -g)) for layer in self.table)

    def max_genome(self) -> Genome:
        return tuple(max(layer, key=lambda g: (layer[g], -g)) for layer in self.table)

    @property
    def min_cost(self) -> float:
        return self(self.min_genome())

    @property
    def max_cost(self) -> float:
        return self(self.max_genome())

    def breakdown(self, genome: Genome) -> list[float]:
        """Per-layer costs of ``genome`` (the constant not included)."""
        return [layer[g] for layer, g in zip(self.table, genome, strict=True)]

    def check_space(self, space: SearchSpace) -> None:
        """Raise ``ValueError`` unless the table has exactly the space's layers and choices."""
        if len(self.table) != len(space.layers):
            raise InvalidValueError(
                f"the cost table must have one row per layer ({len(space.layers)}),"
                f" but has {len(self.table)}"
            )
        for layer, row in zip(space.layers, self.table):
            if set(row) != set(layer.choices):
                raise InvalidValueError(
                    f"the cost table row of layer {layer.name!r} must cover its choices"
                    f" {list(layer.choices)}, but covers {sorted(row)}"
                )

    def to_json(self) -> dict:
        return {
            "constant": self.constant,
            "table": [{str(g): c for g, c in sorted(layer.items())} for layer in self.table],
        }

    @classmethod
    def from_json(cls, data: Mapping) -> CostTable:
        return cls([{int(g): c for g, c in row.items()} for row in data["table"]], data["constant"])
