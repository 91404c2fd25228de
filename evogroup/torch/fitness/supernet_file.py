"""What a trained supernet file tells a search, read without torch: whether it suits the
search (:func:`check_supernet`) and how far its fitness can be trusted (:func:`trust`,
recorded in the search's ``fitness.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evogroup.core.errors import CheckpointError
from evogroup.rundir.layout import RunLayout

__all__ = ["check_supernet", "trust"]


def check_supernet(path: Path, meta: dict, arch: dict, data: dict) -> None:
    """Refuse a supernet trained for another architecture or on other data (search-val
    must stay unseen by it): the one place a supernet's compatibility is checked."""
    found = {
        **{f"arch {k}": v for k, v in meta["arch"].items()},
        **{f"data {k}": meta["data"].get(k) for k in ("name", "split_seed", "sizes")},
    }
    wanted = {
        **{f"arch {k}": v for k, v in arch.items()},
        **{f"data {k}": data.get(k) for k in ("name", "split_seed", "sizes")},
    }
    for key, want in wanted.items():
        if found.get(key) != want:
            what, name = key.split(" ", 1)
            hint = (
                "train a supernet for it (evogroup train-supernet)"
                if what == "arch"
                else "search with the supernet's data and split seed so search-val stays unseen"
            )
            raise CheckpointError(
                f"{path}: the supernet was trained with {name}={found.get(key)!r}, but"
                f" {name}={want!r} is needed; {hint}"
            )


def trust(supernet: Path, data: Any) -> dict[str, Any]:
    """How far a fitness of ``supernet`` on ``data``'s search-val can be trusted: the
    images it is measured on, the fitness step one image makes (in accuracy points), and
    the rank check run on this supernet, if any."""
    measured_on = len(data.search_val)
    return {
        "measured_on": measured_on,
        "resolution_points": 100.0 / measured_on,
        "rank_check": _rank_check_of(supernet),
    }


def _rank_check_of(supernet: Path) -> dict[str, Any] | None:
    """Kendall's tau of a rank check run on this supernet (``rank_check.json`` beside it)."""
    path = RunLayout(Path(supernet).parent).rank_check_json
    try:
        data = json.loads(path.read_text())
        return {
            "kendall": data["kendall"][data["main"]],
            "samples": data["samples"],
            "cost_kendall": data.get("cost_kendall"),
            "file": str(path),
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None
