"""The latency table of a backend's space on one device, measured once and cached.

The cache key is everything a timing depends on: the device's name (the CPU model or
the GPU), the torch version, the threads, the batch, the resolution, the backend's
options and the search space, plus how it is timed. A file is used only when its stored
key equals the asked one; a file whose key differs (measured on another device or torch
version and copied, edited or stale) is rebuilt, and the user is told so, never used.
Files live beside the FLOP tables (:func:`evogroup.core.io.cache_dir`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from evogroup.core.io import atomic_write_json, cache_dir
from evogroup.core.latency import LatencySpec, LatencyTable
from evogroup.core.space import SearchSpace
from evogroup.torch.device.runtime import resolve_device
from evogroup.torch.latency.correction import errors, fit_correction, fit_genomes
from evogroup.torch.latency.measure import Build, layer_times, network_time
from evogroup.torch.latency.timing import REPEATS, clock_name, device_name, pinned_threads

CACHE_VERSION = 1
FIT_GENOMES = 16  # whole networks timed to fit the correction (the table's ends + random)
FIT_REPEATS = 5


def full_key(key: dict[str, Any], space: SearchSpace, spec: LatencySpec) -> dict[str, Any]:
    """``key`` (the backend and its options) plus what the timing depends on."""
    device = resolve_device(spec.device)
    return {
        **key,
        "device": device_name(device),
        "device_type": device.type,
        "torch": torch.__version__,
        "threads": spec.threads,
        "batch": spec.batch,
        "resolution": spec.resolution,
        "space": space.fingerprint(),
        "version": CACHE_VERSION,
        "timing": {
            "clock": clock_name(spec.threads) if device.type == "cpu" else "CUDA events",
            "repeats": REPEATS,
            "fit_genomes": FIT_GENOMES,
            "fit_repeats": FIT_REPEATS,
        },
    }


def cache_path(key: dict[str, Any]) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    name = f"{key.get('backend', 'net')}-latency-{key['device_type']}-r{key['resolution']}"
    return cache_dir() / f"{name}-b{key['batch']}-t{key['threads']}-{digest}.json"


def latency_table(
    key: dict[str, Any],
    space: SearchSpace,
    build: Build,
    spec: LatencySpec,
    *,
    cache: bool = True,
    echo: Callable[[str], None] = print,
) -> LatencyTable:
    """The table of ``space`` for ``spec`` (its resolution set): read from the cache when
    the stored key is the asked one, else measured (:func:`measure_table`) and cached."""
    if spec.resolution is None:
        raise ValueError("latency_table needs spec.resolution set")
    key = full_key(key, space, spec)
    path = cache_path(key)
    if cache and path.exists():
        stored = _read(path)
        if stored is not None and stored.get("key") == key:
            return LatencyTable.from_json(stored, str(path))
        echo(
            f"the cached latency table {path} was measured for another key"
            f" ({_differs(stored, key)}): measuring it again"
        )
    table = measure_table(space, build, spec, key, echo)
    if cache:
        try:
            atomic_write_json(path, table.to_json())
        except OSError as exc:
            warnings.warn(f"could not cache the latency table at {path}: {exc}", stacklevel=2)
    fresh = LatencyTable.from_json(table.to_json(), str(path) if cache else None)
    return dataclasses.replace(fresh, cached=False)


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _differs(stored: dict | None, key: dict[str, Any]) -> str:
    if stored is None or not isinstance(stored.get("key"), dict):
        return "unreadable"
    names = [k for k in key if stored["key"].get(k) != key[k]]
    return ", ".join(f"{k} {stored['key'].get(k)!r} here {key[k]!r}" for k in names[:3])


def measure_table(
    space: SearchSpace,
    build: Build,
    spec: LatencySpec,
    key: dict[str, Any],
    echo: Callable[[str], None] = print,
) -> LatencyTable:
    """Time every (layer, choice), then ``FIT_GENOMES`` whole networks, and fit the
    correction (:func:`~evogroup.torch.latency.correction.fit_correction`)."""
    device = resolve_device(spec.device)
    began = time.perf_counter()
    cells = sum(len(layer.choices) for layer in space.layers)
    echo(
        f"measuring the latency table on {key['device']} ({device.type}, {spec.threads}"
        f" thread(s), batch {spec.batch}, {spec.resolution} px): {cells} layer timings,"
        f" {min(FIT_GENOMES, space.size)} whole networks"
    )
    args = (spec.batch, spec.resolution, device)
    with pinned_threads(spec.threads):
        layers = layer_times(build, space, *args, repeats=REPEATS)
        genomes = fit_genomes(space, layers, FIT_GENOMES)
        timed = [network_time(build, g, *args, repeats=FIT_REPEATS) for g in genomes]
    measured = [t.median_ms for t in timed]
    offset, scale = fit_correction([layers(g) for g in genomes], measured)
    predicted = [offset + scale * layers(g) for g in genomes]
    fit = {
        **errors(predicted, measured),
        "genomes": len(genomes),
        "noise_ms": float(sorted(t.noise_ms for t in timed)[len(timed) // 2]),
        "built_s": time.perf_counter() - began,
    }
    return LatencyTable.corrected(layers, offset, scale, fit=fit, key=key)
