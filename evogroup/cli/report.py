"""Plain-text tables and summaries printed by the commands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evogroup.core.space import SearchSpace


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A left-aligned text table."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def choices_text(choices: Sequence[int], limit: int = 10) -> str:
    if len(choices) <= limit:
        return ",".join(map(str, choices))
    return ",".join(map(str, choices[: limit - 1])) + f",...,{choices[-1]}"


def genome_table(report: dict[str, Any]) -> str:
    """Per-layer groups and cost of a backend's ``cost_report``."""
    rows = [(lay["name"], lay["groups"], f"{lay['cost'] / 1e6:.3f}") for lay in report["layers"]]
    return table(rows, ("layer", "groups", "cost (millions)"))


def space_table(space: SearchSpace) -> str:
    rows = [(layer.name, len(layer.choices), choices_text(layer.choices)) for layer in space.layers]
    return table(rows, ("layer", "#choices", "group choices"))
