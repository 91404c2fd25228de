"""One process per run directory (an advisory lock, gone with its process) and file
modes that follow the user's umask."""

from __future__ import annotations

import json
import os
import signal
import sys

import pytest
from click.testing import CliRunner

from evogroup.cli.main import main
from evogroup.rundir.layout import RunLayout
from evogroup.rundir.lock import RunLock
from tests.faults.helpers import evogroup, run, sigkill, start, wait_for
from tests.helpers import strip_timing

posix = pytest.mark.skipif(sys.platform == "win32", reason="flock, SIGSTOP and umask are POSIX")
SEARCH = ["search", "--backend", "synthetic", "--budget", "0.8e8", "--population", "10"]


def load(path):
    from evogroup.core.result import SearchResult

    return strip_timing(SearchResult.load(path))


@posix
def test_a_second_search_into_a_live_run_is_refused_and_the_first_ends_intact(tmp_path):
    out = tmp_path / "run"
    args = evogroup(*SEARCH, "--iterations", 3, "--out", out)
    first = start(args)
    assert wait_for(first, lambda: (out / "evaluations.jsonl").exists(), "the first search")
    os.kill(first.pid, signal.SIGSTOP)  # keep it alive, mid-run, while the others try
    try:
        for second in (
            evogroup(*SEARCH, "--iterations", 3, "--out", out, "--resume"),
            evogroup(*SEARCH, "--iterations", 3, "--out", out),
            evogroup("report", out),
        ):
            done = run(second, code=1)
            assert done.stderr.strip().splitlines() == [
                f"Error: {out} is in use by pid {first.pid}; wait for it to end (or stop it),"
                " then try again"
            ], done.stderr
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert first.wait(timeout=300) == 0, first.stderr.read().decode()
    first.stderr.close()
    run(evogroup(*SEARCH, "--iterations", 3, "--out", tmp_path / "alone"))
    assert load(out / "result.json") == load(tmp_path / "alone" / "result.json")
    assert (out / "evaluations.jsonl").read_text().count("\n") == 10 + 3 * 50


@posix
def test_a_lock_left_by_a_killed_run_does_not_block_its_resume(tmp_path):
    out = tmp_path / "run"
    args = evogroup(*SEARCH, "--iterations", 3, "--out", out)
    proc = start(args)
    assert wait_for(proc, lambda: (out / "checkpoint.json").exists(), "a checkpoint")
    sigkill(proc)
    assert (out / ".lock").read_text().split()[0] == str(proc.pid)  # stale, and harmless
    run([*args, "--resume"])
    run(evogroup(*SEARCH, "--iterations", 3, "--out", tmp_path / "alone"))
    assert load(out / "result.json") == load(tmp_path / "alone" / "result.json")


def test_the_lock_is_taken_once_and_released(tmp_path):
    layout = RunLayout(tmp_path / "a" / "b")
    lock = RunLock.acquire(layout)
    assert layout.dir.is_dir() and layout.lock.exists()
    lock.release()
    lock.release()  # twice is harmless
    RunLock.acquire(layout).release()  # free again
    assert RunLock.acquire(RunLayout(tmp_path / "missing"), create=False)._fd is None
    assert not (tmp_path / "missing").exists()


def test_a_refused_out_is_left_as_it_was(tmp_path):
    """A command that refuses --out leaves no lock file and no new directory behind."""
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, [*SEARCH, "--iterations", "0", "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    args = [*SEARCH, "--out", str(tmp_path / "new" / "run"), "--resume"]
    assert CliRunner().invoke(main, args).exit_code == 1
    assert not (tmp_path / "new").exists()


@posix
@pytest.mark.parametrize("umask, mode", [(0o002, 0o664), (0o022, 0o644), (0o077, 0o600)])
def test_run_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        args = [*SEARCH, "--iterations", "1", "--out", str(tmp_path / "run")]
        assert CliRunner().invoke(main, args).exit_code == 0
    finally:
        os.umask(old)
    files = [p for p in (tmp_path / "run").iterdir() if p.is_file()]
    assert {"config.json", "checkpoint.json", "result.json", "evaluations.jsonl"} <= {
        p.name for p in files
    }
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {
        p.name: oct(mode) for p in files
    }
    assert json.loads((tmp_path / "run" / "config.json").read_text())["command"] == "search"
