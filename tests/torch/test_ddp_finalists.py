"""The finalists stage under torchrun: two gloo processes on the CPU search with
``--finalists``, training each finalist together (DDP); a stage cut off after its first
training resumes with ``evogroup finalists --out`` to the same winner, training only the
finalist that was missing."""

from __future__ import annotations

import csv
import json
import sys

import pytest

from tests.faults.helpers import TINY, TINY_BUDGET
from tests.torch.test_ddp import torchrun

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="torchrun: POSIX"),
    pytest.mark.slow,  # two gloo processes: a supernet epoch, a search, four trainings
]

STAGE = ["--finalists", 2, "--finalist-epochs", 1]


def _rows(out) -> list[dict]:
    with (out / "finalists.csv").open() as fh:
        return list(csv.DictReader(fh))


def test_finalists_under_torchrun_train_each_finalist_on_every_rank_and_resume(tmp_path):
    out = tmp_path / "run"
    search = ["-m", "evogroup", "search", *TINY, "--epochs", 1, "--batch-size", 640]
    search += ["--recal-images", 64, "--budget", TINY_BUDGET, "--evaluations", 6]
    done = torchrun(*search, *STAGE, "--out", out)
    assert done.stdout.count("finalists: ") == 1, "rank 0 alone prints the summary"
    rows = _rows(out)
    assert len(rows) == 2 and all(row["top1_1ep"] for row in rows)
    trained = sorted(p.parent.name for p in out.glob("finalists/retrain/*/metrics.json"))
    pick = json.loads((out / "result.json").read_text())["finalists"]["proxy_pick"]
    finalists = {tuple(map(int, row["genome"].split())) for row in rows}
    assert len(trained) == 2 + (tuple(pick) not in finalists), "each genome trained once"
    result = json.loads((out / "result.json").read_text())
    winner = next(row for row in rows if row["winner"] == "True")
    assert result["best"]["genome"] == list(map(int, winner["genome"].split()))
    assert result["chosen_by"].startswith("finalists rung 1 of 1")

    # Cut off after the first finalist: the checkpoint holds one training, the second's
    # directory none. Resumed, the ranks replay rank 0's checkpoint and train the second.
    state_path = out / "finalists" / "state.json"
    state = json.loads(state_path.read_text())
    first, second = state["trained"][0], state["trained"][1]
    state["trained"] = [first]
    state_path.write_text(json.dumps(state))
    method = "1ep-" + "-".join(map(str, second["genome"]))
    for path in out.glob(f"finalists/retrain/{method}-*/metrics.json"):
        path.unlink()
    for name in ("finalists.csv", "finalists.png"):
        (out / name).unlink()
    done = torchrun("-m", "evogroup", "finalists", "--out", out, *STAGE)
    log = done.stdout + done.stderr
    assert log.count("retraining from scratch") == 1, log[-3000:]
    assert f"retraining from scratch: {method}" in log
    assert _rows(out) == rows
    assert json.loads((out / "result.json").read_text()) == result


def test_finalists_under_torchrun_refuse_workers_of_their_own(tmp_path):
    out = tmp_path / "missing"
    out.mkdir()
    command = ["-m", "evogroup", "finalists", "--out", out, "--workers", 2]
    with pytest.raises(AssertionError, match="--workers 1 and --executor local must hold"):
        torchrun(*command)
