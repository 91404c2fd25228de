"""SIGTERM, Ctrl-C or an error end every process a run started, with one line and no worker
traceback (SIGKILL too, on Linux, silently); ``--resume`` then gives the uninterrupted
result (issue 22, items 6 and 7)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import pytest

from evogroup.core.result import SearchResult
from evogroup.executors.workers import make_executor
from tests.faults.helpers import ENV, evogroup, lines, run, wait_for
from tests.helpers import strip_timing

posix = pytest.mark.skipif(sys.platform != "linux", reason="signals and /proc")
# 40 iterations: with an instant fitness 10 last about a second; 40 leave the signal sent
# after two iterations a margin of seconds on a loaded machine.
SEARCH = ["search", "--backend", "synthetic", "--budget", "0.8e8", "--iterations", 40, "--seed", 5]


def alive_in_group(pgid: int) -> list[str]:
    """The live (not zombie) processes of process group ``pgid``, from ``/proc``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                state, _ppid, group = f.read().rsplit(")", 1)[1].split()[:3]
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended while we looked
            continue
        if int(group) == pgid and state != "Z":
            found.append(f"{pid}: {command[:120]}")
    return found


def _interruptible() -> None:
    """Ctrl-C as from a terminal: a test run started in the background by a non-interactive
    shell inherits SIGINT ignored (POSIX), and Python then installs no handler for it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    run(evogroup(*SEARCH, "--out", out))
    return strip_timing(SearchResult.load(out / "result.json"))


@posix
@pytest.mark.parametrize(
    ("signum", "to_group", "code", "said"),
    [
        (signal.SIGTERM, False, 143, "Terminated;"),
        (signal.SIGINT, True, 130, "Interrupted;"),
        (signal.SIGKILL, False, -signal.SIGKILL, None),
    ],
    ids=["sigterm-to-the-command", "ctrl-c-to-its-process-group", "sigkill-to-the-command"],
)
def test_a_signalled_parallel_search_ends_every_process_it_started(
    tmp_path, uninterrupted, signum, to_group, code, said
):
    out = tmp_path / "run"
    args = evogroup(*SEARCH, "--workers", 2, "--out", out)
    proc = subprocess.Popen(
        args,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group
        preexec_fn=_interruptible,
    )
    started = wait_for(proc, lambda: lines(out / "evaluations.jsonl") >= 100, "two iterations")
    assert started, proc.communicate()[0]
    workers = alive_in_group(proc.pid)
    assert len(workers) >= 3, workers  # the command, its 2 workers (and the resource tracker)
    (os.killpg if to_group else os.kill)(proc.pid, signum)
    output = proc.communicate(timeout=60)[0]  # returns only once nothing holds its stdout
    time.sleep(1)
    assert alive_in_group(proc.pid) == [], output
    assert proc.returncode == code, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    if said is not None:  # SIGKILL: nothing said, but the kernel ends the workers too
        assert output.rstrip().splitlines()[-1].startswith(said), output
    run(evogroup(*SEARCH, "--workers", 2, "--out", out, "--resume"))
    assert strip_timing(SearchResult.load(out / "result.json")) == uninterrupted


def _sleep_then_mark(marker_and_seconds):
    marker, seconds = marker_and_seconds
    time.sleep(seconds)
    marker.touch()
    return seconds


def test_an_error_ends_the_workers_without_waiting_for_their_evaluations(tmp_path):
    jobs = [(tmp_path / "quick", 0), (tmp_path / "slow", 120)]
    with pytest.raises(RuntimeError, match="in the caller"), make_executor(2) as pool:
        results = pool.map(_sleep_then_mark, jobs)
        assert next(results) == 0  # the slow one is running now
        raise RuntimeError("in the caller")
    assert multiprocessing.active_children() == []
    assert (tmp_path / "quick").exists() and not (tmp_path / "slow").exists()
