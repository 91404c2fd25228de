"""One process at a time per run directory: an advisory lock on ``RunLayout.lock``.

Every command that writes into a run directory takes the lock before it reads or writes
``config.json`` and keeps it until it ends. The lock is ``flock`` on the ``.lock`` file,
which holds the owner's pid and host for the message a second process gets. The kernel
drops the lock when its process dies (even by SIGKILL), so a ``.lock`` file left behind
by a killed run never blocks ``--resume``. Where ``fcntl`` does not exist (Windows) the
lock is a no-op.

Example:
    >>> import tempfile
    >>> from evogroup.rundir.layout import RunLayout
    >>> layout = RunLayout(Path(tempfile.mkdtemp()) / "run")
    >>> lock = RunLock.acquire(layout)
    >>> layout.lock.read_text().split()[0] == str(os.getpid())
    True
    >>> lock.release()
"""

from __future__ import annotations

import contextlib
import os
import socket
from pathlib import Path

from evogroup.core.errors import CheckpointError, RunInUseError
from evogroup.rundir.layout import RunLayout

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RunLock:
    """The lock on one run directory, held by this process until :meth:`release`."""

    def __init__(self, layout: RunLayout, fd: int | None, created: list[Path]):
        self.layout, self._fd, self._created = layout, fd, created

    @classmethod
    def acquire(cls, layout: RunLayout, *, create: bool = True) -> RunLock:
        """Lock ``layout.dir``, creating it (and its parents) when ``create``.

        Without ``create`` a missing directory is not locked (there is nothing to protect;
        the caller reports it).

        Raises:
            RunInUseError: another live process holds the directory.
            CheckpointError: the directory cannot be created or locked (one line, with the
                system's reason).
        """
        out = layout.dir
        if not out.is_dir() and not create:
            return cls(layout, None, [])
        created = _make_dirs(out)
        if fcntl is None:  # pragma: no cover - Windows
            return cls(layout, None, created)
        existed = layout.lock.exists()
        try:
            fd = os.open(layout.lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise CheckpointError(f"cannot lock {out}: {exc.strerror} ({layout.lock})") from None
        if not existed:
            created.append(layout.lock)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            owner = os.read(fd, 200).decode(errors="replace").split()
            os.close(fd)
            _remove(created)
            raise _in_use(out, owner) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        return cls(layout, fd, created)

    def release(self) -> None:
        """Let another process have the directory (a no-op when already released)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None

    def abandon(self) -> None:
        """Release, and remove the directories and lock file :meth:`acquire` created
        (the command refused the directory before writing anything into it)."""
        self.release()
        _remove(self._created)
        self._created = []


def _make_dirs(out: Path) -> list[Path]:
    """Create ``out`` and missing parents; return the ones created (deepest last)."""
    missing = [p for p in [out, *out.parents] if not p.exists()][::-1]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CheckpointError(
            f"--out {out}: cannot create the run directory ({reason}: {exc.filename or out})"
        ) from None
    return missing


def _remove(paths: list[Path]) -> None:
    for path in reversed(paths):  # the lock file, then the deepest directory first
        with contextlib.suppress(OSError):
            path.rmdir() if path.is_dir() else path.unlink()


def _in_use(out: Path, owner: list[str]) -> RunInUseError:
    pid = int(owner[0]) if owner and owner[0].isdigit() else None
    who = f"pid {pid}" if pid is not None else "another process"
    if len(owner) > 1 and owner[1] != socket.gethostname():
        who += f" on {owner[1]}"
    return RunInUseError(
        f"{out} is in use by {who}; wait for it to end (or stop it), then try again",
        pid=pid,
    )
