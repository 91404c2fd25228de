"""Damaged run files: a log line cut off by a kill, truncated checkpoints and results, and a
disk that fills up mid-write. The error is one line; nothing already computed is lost."""

from __future__ import annotations

import errno
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from evogroup.cli.main import main
from evogroup.core.result import SearchResult
from tests.helpers import strip_timing

SEARCH = [
    "search",
    "--backend",
    "synthetic",
    "--budget",
    "0.8e8",
    "--population",
    "10",
    "--strategy",
    "paper",
]  # a fixed split: extending --iterations is the longer run
TINY = ["--backend", "binmobilenet", "--width-mult", "0.25", "--device", "cpu"]
linux = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd")


def invoke(args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output
    if code:
        assert "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1, result.output
        return errors[0]
    return result.output


def result(out: Path):
    return strip_timing(SearchResult.load(out / "result.json"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted two-iteration search."""
    out = tmp_path_factory.mktemp("faults") / "ref"
    invoke([*SEARCH, "--iterations", 2, "--out", out])
    return out


@pytest.mark.parametrize("complete", [0, 7])
@pytest.mark.parametrize("tail", ["half", "nul"])
def test_a_log_line_cut_off_by_a_kill_is_dropped_and_the_rest_reused(
    reference, tmp_path, complete, tail
):
    """Killed during iteration 2 after ``complete`` evaluations, mid-way through the next
    log line: resuming reuses the complete ones and ends as the uninterrupted run."""
    out = tmp_path / "run"
    invoke([*SEARCH, "--iterations", 1, "--out", out])  # checkpointed after iteration 1
    ref_log = (reference / "evaluations.jsonl").read_text().splitlines(keepends=True)
    done = 10 + 50
    cut = ref_log[done + complete]
    partial = cut[: len(cut) // 2] if tail == "half" else "\0" * 40
    with (out / "evaluations.jsonl").open("a") as fh:
        fh.write("".join(ref_log[done : done + complete]) + partial)
    invoke([*SEARCH, "--iterations", 2, "--out", out, "--resume"])
    assert result(out) == result(reference)
    log = (out / "evaluations.jsonl").read_text().splitlines(keepends=True)
    assert log[done : done + complete] == ref_log[done : done + complete]  # reused, timings too


@pytest.mark.parametrize(
    "name, command, message",
    [
        ("checkpoint.json", "resume", "checkpoint.json is corrupt or truncated"),
        ("config.json", "resume", "config.json is unreadable"),
        ("result.json", "report", "result.json is damaged or truncated"),
    ],
)
def test_a_truncated_search_file_is_one_line_and_left_as_it_is(
    reference, tmp_path, name, command, message
):
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    damaged = (out / name).read_bytes()[: (out / name).stat().st_size // 2]
    (out / name).write_bytes(damaged)
    args = (
        [*SEARCH, "--iterations", 2, "--out", out, "--resume"]
        if command == "resume"
        else ["report", out]
    )
    assert message in invoke(args, code=1)
    assert (out / name).read_bytes() == damaged  # the evidence is not overwritten


class FullDisk:
    """``os.fsync`` that fails with ENOSPC for the atomic writes of ``name`` after ``ok``
    successful ones, remembering what ``name`` held at that moment."""

    def __init__(self, name: str, ok: int):
        self.name, self.ok, self.fsync, self.before = name, ok, os.fsync, None

    def __call__(self, fd: int) -> None:
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        if target.name.startswith(f".{self.name}."):
            if self.ok == 0:
                self.before = (target.parent / self.name).read_bytes()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.ok -= 1
        self.fsync(fd)


@linux
def test_a_full_disk_keeps_the_last_search_checkpoint(reference, tmp_path, monkeypatch):
    out = tmp_path / "run"
    disk = FullDisk("checkpoint.json", ok=2)  # the initial one and iteration 0's
    monkeypatch.setattr(os, "fsync", disk)
    line = invoke([*SEARCH, "--iterations", 2, "--out", out], code=1)
    assert line == f"Error: No space left on device: {out / 'checkpoint.json'}"
    assert (out / "checkpoint.json").read_bytes() == disk.before
    assert not list(out.glob(".*.tmp"))
    monkeypatch.undo()
    invoke([*SEARCH, "--iterations", 2, "--out", out, "--resume"])
    assert result(out) == result(reference)


@linux
@pytest.mark.slow  # three short trainings in process
def test_a_full_disk_keeps_the_last_supernet_checkpoint(tmp_path, monkeypatch):
    import torch

    from tests.faults.helpers import assert_same_weights

    args = ["train-supernet", *TINY, "--epochs", 2, "--seed", 3]
    invoke([*args, "--out", tmp_path / "ref"])
    out = tmp_path / "run"
    disk = FullDisk("supernet.pt", ok=1)
    monkeypatch.setattr(os, "fsync", disk)
    line = invoke([*args, "--out", out], code=1)
    assert line == f"Error: No space left on device: {out / 'supernet.pt'}"
    assert (out / "supernet.pt").read_bytes() == disk.before
    assert torch.load(out / "supernet.pt", weights_only=True)["epoch"] == 1
    monkeypatch.undo()
    invoke([*args, "--out", out, "--resume"])
    assert_same_weights(tmp_path / "ref" / "supernet.pt", out / "supernet.pt")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_a_truncated_supernet_is_refused_in_one_line(tmp_path):
    """A damaged supernet.pt, given to search or resumed, names the file; nothing is written."""
    bad = tmp_path / "supernet.pt"
    bad.write_bytes(b"PK\x03\x04" + b"\0" * 100)  # the start of a torch zip, cut off
    line = invoke(
        ["search", *TINY, "--budget", "0.097e8", "--supernet", bad, "--out", tmp_path / "s"], code=1
    )
    assert f"{bad}: not a supernet checkpoint" in line
    assert bad.read_bytes() == b"PK\x03\x04" + b"\0" * 100
