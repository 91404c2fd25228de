"""Run directories: one folder per command run, holding its config, environment and outputs.

A directory that holds another run is never overwritten: a command refuses it unless
asked to resume, and resuming checks that the configuration is the same.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from evogroup.errors import CheckpointError
from evogroup.io import atomic_write_json

CONFIG = "config.json"
_PACKAGES = ("evogroup", "deap", "numpy", "click", "torch", "torchvision", "fvcore", "scikit-learn")


def default_run_dir(command: str, root: str | Path = "runs") -> Path:
    """``runs/<YYYYmmdd-HHMMSS>-<command>``, made unique with a suffix if it exists."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path(root) / f"{stamp}-{command}"
    n = 1
    while path.exists():
        n += 1
        path = Path(root) / f"{stamp}-{command}-{n}"
    return path


def prepare(
    out: Path, config: dict[str, Any], *, resume: bool, extendable: tuple[str, ...] = ()
) -> bool:
    """Make ``out`` ready for a run of ``config``; return True when it resumes an earlier run.

    Raises:
        CheckpointError: ``out`` holds another run, or holds this run and ``resume`` is False,
            or ``resume`` is asked of a directory without a run.
    """
    path = out / CONFIG
    if not path.exists():
        if resume:
            raise CheckpointError(f"--resume: {out} holds no run to resume (no {CONFIG})")
        if out.exists() and any(out.iterdir()):
            raise CheckpointError(
                f"--out {out} is not empty and holds no evogroup run; choose another directory"
            )
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, config)
        return False
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is unreadable ({exc}); choose another --out") from None
    if not resume:
        raise CheckpointError(
            f"--out {out} already holds a {old.get('command', 'previous')} run;"
            " pass --resume to continue it or choose another directory"
        )
    for key in sorted(set(old) | set(config)):
        if key not in extendable and old.get(key) != config.get(key):
            raise CheckpointError(
                f"--resume: {out} was run with {key}={old.get(key)!r}, not {config.get(key)!r};"
                " resume with the same options or choose another directory"
            )
    atomic_write_json(path, config)
    return True


def environment(seed: int, device: str | None = None) -> dict[str, Any]:
    """Package versions (read from metadata, nothing imported), Python, platform, seed, device."""
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": versions,
        "seed": seed,
        "device": device,
        "argv": sys.argv,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_environment(out: Path, seed: int, device: str | None = None) -> None:
    atomic_write_json(out / "env.json", environment(seed, device))
