"""Checkpoints of supernets and final models: atomic writes, strict loads, RNG states.

A checkpoint is a ``torch.save`` dict with ``kind`` (what it holds, e.g.
``evogroup.binmobilenet.supernet``), ``epoch``, ``complete``, ``meta`` (the network's
``arch``, image_size, data, and for a model its genome), ``recipe``
(epochs, batch_size, lr, seed, and the supernet's sampling and levers where they differ
from the paper's: :meth:`~evogroup.torch.options.recipe.TrainConfig.to_json`), ``history`` (per-epoch metrics), the model, optimizer and
scheduler states, and ``rng`` (the run's RNG states). Loading uses ``weights_only=True``:
a file that is not such a checkpoint is refused with one line, never unpickled.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from evogroup.core.errors import CheckpointError
from evogroup.core.io import atomic_write_bytes
from evogroup.torch.nn.choice_bn import per_choice_bn


def supernet_kind(backend: str) -> str:
    return f"evogroup.{backend}.supernet"


def model_kind(backend: str) -> str:
    return f"evogroup.{backend}.model"


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """``torch.save`` into memory, then an atomic write: a crash leaves the old file whole."""
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | os.PathLike, kind: str) -> dict[str, Any]:
    """The checkpoint dict at ``path``, or :class:`CheckpointError` when it is not one of ``kind``."""
    what = kind.rsplit(".", 1)[-1]
    if not Path(path).is_file():
        raise CheckpointError(f"{path}: no such {what} checkpoint")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises many types on foreign or corrupt files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path}: not a {what} checkpoint ({first[:200]})") from None
    if not isinstance(ckpt, dict) or ckpt.get("kind") != kind:
        found = ckpt.get("kind") if isinstance(ckpt, dict) else type(ckpt).__name__
        raise CheckpointError(
            f"{path}: not a {what} checkpoint written by evogroup (found {found!r})"
        )
    return ckpt


def check_resumable(path: Path, ckpt: dict, meta: dict, recipe: dict) -> None:
    """Refuse to continue a checkpoint whose recipe or metadata differ from this run's."""
    for key, want in [*recipe.items(), *meta.items()]:
        have = {**ckpt["recipe"], **ckpt["meta"]}.get(key)
        if have != want:
            raise CheckpointError(
                f"cannot resume {path}: it was trained with {key}={have!r}, but this run has"
                f" {key}={want!r}; resume with the same settings or start over without resume"
            )


def load_supernet(
    path: str | os.PathLike,
    backend: str,
    build: Callable[..., nn.Module],
    map_location: str | torch.device = "cpu",
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a trained supernet from its checkpoint with ``build(**meta["arch"])``, with a
    BatchNorm per group choice when its recipe says ``bn_per_choice`` (whether it suits a
    search is :func:`evogroup.torch.fitness.supernet_file.check_supernet`'s question, asked before
    any search starts).

    Raises:
        CheckpointError: the file is missing or is not a supernet checkpoint of ``backend``.

    Returns:
        ``(net, meta)``: the supernet in eval mode, and the checkpoint's metadata plus
        ``epoch``, ``complete``, ``recipe`` and ``history``.
    """
    path = Path(path)
    ckpt = load_checkpoint(path, supernet_kind(backend))
    meta = dict(ckpt["meta"])
    net = build(**meta["arch"])
    if ckpt["recipe"].get("bn_per_choice"):  # trained with a BatchNorm per group choice
        per_choice_bn(net)
    net.load_state_dict(ckpt["model"])
    net.to(map_location).eval()
    meta.update({k: ckpt[k] for k in ("epoch", "complete", "recipe", "history")})
    return net, meta


def rng_states(rng: random.Random, loader_gen: torch.Generator, device: torch.device) -> dict:
    """The states of a run's RNGs: genomes, data order, torch (augmentation), CUDA."""
    states = {
        "genome": rng.getstate(),
        "loader": loader_gen.get_state(),
        "torch": torch.get_rng_state(),
    }
    if device.type == "cuda":
        states["cuda"] = torch.cuda.get_rng_state(device)
    return states


def set_rng_states(states: dict, rng: random.Random, loader_gen: torch.Generator, device) -> None:
    version, internal, gauss = states["genome"]
    rng.setstate((version, tuple(internal), gauss))
    loader_gen.set_state(states["loader"])
    torch.set_rng_state(states["torch"])
    if device.type == "cuda" and "cuda" in states:
        torch.cuda.set_rng_state(states["cuda"], device)
