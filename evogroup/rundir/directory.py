"""Run directories: one folder per command run, holding its config, environment and outputs.

A directory that holds another run is never overwritten: a command refuses it unless
asked to resume, and resuming checks that the configuration is the same.
"""

from __future__ import annotations

import contextlib
import json
import platform
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from importlib import metadata
from pathlib import Path
from typing import Any

from evogroup.core.errors import CheckpointError
from evogroup.core.io import atomic_write_bytes, atomic_write_json
from evogroup.rundir.layout import RunLayout

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


@dataclass(frozen=True)
class RunConfig:
    """``config.json``: one schema for every command.

    Attributes:
        command: the command that made the run.
        backend: the backend's name; ``options`` its parsed options.
        seed: the run's seed.
        cost_label, fitness_label: what cost and fitness mean (for reports and plots).
        budget: the cost budget (search, reproduce).
        search: the search settings (search, reproduce).
        extra: what else defines the run (e.g. ``genome`` of a training, ``repeats``).
    """

    command: str
    backend: str
    options: dict[str, Any]
    seed: int
    cost_label: str = "cost"
    fitness_label: str = "fitness"
    budget: float | None = None
    search: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @classmethod
    def load(cls, layout: RunLayout) -> RunConfig:
        try:
            return cls.from_json(json.loads(layout.config.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise CheckpointError(f"{layout.config} is unreadable ({exc})") from None


def prepare(
    layout: RunLayout,
    config: RunConfig,
    *,
    resume: bool,
    extendable: tuple[str, ...] = (),
    defaults: dict[str, Any] | None = None,
) -> bool:
    """Make ``layout.dir`` ready for a run of ``config``; return True when it resumes.

    ``extendable`` names keys (``"search.iterations"`` for a nested one) that may differ
    on resume, e.g. more iterations or more retraining seeds for a finished run.

    Raises:
        CheckpointError: the directory holds another run, or holds this run and ``resume``
            is False, or ``resume`` is asked of a directory without a run.
    """
    out, path = layout.dir, layout.config
    if not path.exists():
        if resume:
            raise CheckpointError(f"--resume: {out} holds no run to resume (no {path.name})")
        if out.exists() and not out.is_dir():
            raise CheckpointError(f"--out {out} is a file; choose a directory")
        if out.exists() and any(p.name != layout.lock.name for p in out.iterdir()):
            raise CheckpointError(
                f"--out {out} is not empty and holds no evogroup run; choose another directory"
            )
        atomic_write_json(path, config.to_json())
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
    new, was = _flat(config.to_json()), _flat(old)
    for key, value in (defaults or {}).items():
        if key not in was and key in new and key.partition(".")[0] in old:  # predates the option
            was[key] = value
    for key in sorted(set(was) | set(new)):
        if key not in extendable and was.get(key) != new.get(key):
            raise CheckpointError(
                f"--resume: {out} was run with {key}={was.get(key)!r}, not {new.get(key)!r};"
                " resume with the same options or choose another directory"
            )
    atomic_write_json(path, config.to_json())
    return True


def discard_unused(layout: RunLayout) -> bool:
    """Empty ``layout.dir`` of what starting a run wrote (config, environment, the fitness's
    description, empty folders) when that is all it holds; False, and nothing touched, when
    it holds anything else: a run that did any work keeps it.

    The lock file and the directory itself are the lock's to remove
    (:meth:`~evogroup.rundir.lock.RunLock.abandon`), as only it knows whether it made them.
    """
    setup = {layout.config, layout.env, layout.fitness, layout.lock}
    paths = sorted(layout.dir.rglob("*"), reverse=True)  # a folder's contents before it
    if not all(p in setup or p.is_dir() for p in paths):
        return False
    for path in paths:
        if path != layout.lock:
            with contextlib.suppress(OSError):  # never hide the error that ended the command
                path.rmdir() if path.is_dir() else path.unlink()
    return True


@dataclass(frozen=True)
class Snapshot:
    """What a resumed run directory held before a command touched it: the bytes of the
    files that starting a run rewrites, and the size and time of every other file."""

    setup: dict[Path, bytes]
    others: dict[Path, tuple[int, int]]

    @classmethod
    def take(cls, layout: RunLayout) -> Snapshot:
        setup = {
            p: p.read_bytes() for p in (layout.config, layout.env, layout.fitness) if p.is_file()
        }
        return cls(setup, _file_stats(layout))

    def restore_if_untouched(self, layout: RunLayout) -> bool:
        """Put the setup files back as they were when no other file changed (the command
        was refused before it did any work): a refused resume leaves the run as it was."""
        if _file_stats(layout) != self.others:
            return False
        for path, data in self.setup.items():
            if not path.is_file() or path.read_bytes() != data:
                atomic_write_bytes(path, data)
        return True


def _file_stats(layout: RunLayout) -> dict[Path, tuple[int, int]]:
    skip = {layout.config, layout.env, layout.fitness, layout.lock}
    return {
        p: (p.stat().st_size, p.stat().st_mtime_ns)
        for p in layout.dir.rglob("*")
        if p.is_file() and p not in skip
    }


def _flat(config: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts of a config as dotted keys (``search.iterations``)."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


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


def write_environment(layout: RunLayout, seed: int, device: str | None = None) -> None:
    atomic_write_json(layout.env, environment(seed, device))
