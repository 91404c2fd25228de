"""``evogroup search --finalists`` and ``evogroup finalists`` on a tiny binmobilenet, through the CLI."""

from __future__ import annotations

import csv
import json

import pytest

from evogroup import SearchResult
from evogroup.testing.fixtures import invoke

pytestmark = (
    pytest.mark.slow
)  # a supernet and five short trainings from scratch: minutes on 2 cores

TINY = ["--backend", "binmobilenet", "--module", "M2", "--width-mult", "0.25", "--epochs", 1]
LADDER = ["--finalists", 3, "--finalist-epochs", "1,2", "--eta", 2]


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    out = tmp_path_factory.mktemp("finalists")
    args = [
        "search",
        *TINY,
        "--budget",
        "1e7",
        "--population",
        4,
        "--iterations",
        1,
        *LADDER,
        "--out",
        out,
    ]
    return out, invoke(args).output


def test_the_stage_writes_its_files_and_the_winner_is_best(searched):
    out, output = searched
    rows = list(csv.DictReader((out / "finalists.csv").open()))
    assert len(rows) == 3 and (out / "finalists.png").is_file()
    assert sum(r["top1_2ep"] != "" for r in rows) == 1  # 3 // 2 = 1 promoted
    winner = next(r for r in rows if r["winner"] == "True")
    data = json.loads((out / "result.json").read_text())
    assert data["best"]["genome"] == [int(g) for g in winner["genome"].split()]
    assert data["chosen_by"] == "finalists rung 2 of 2 (2 epochs from scratch)"
    assert SearchResult.load(out / "result.json").best.genome == tuple(data["best"]["genome"])
    assert "finalists: " in output and ("changed the proxy's pick" in output or "won" in output)


def test_the_finalists_command_continues_without_training_again(searched):
    out, _ = searched
    trained = sorted(p.name for p in (out / "finalists" / "retrain").iterdir())
    before = (out / "finalists.csv").read_text()
    invoke(["finalists", "--out", out, *LADDER])
    assert sorted(p.name for p in (out / "finalists" / "retrain").iterdir()) == trained
    assert (out / "finalists.csv").read_text() == before


def test_finalists_on_a_backend_that_cannot_train_is_one_line(tmp_path):
    result = invoke(
        [
            "search",
            "--backend",
            "synthetic",
            "--budget",
            "0.8e8",
            "--finalists",
            4,
            "--out",
            tmp_path / "run",
        ],
        exit_code=2,
    )
    assert "--finalists needs a backend that trains networks from scratch" in result.output
    assert not (tmp_path / "run").exists()
    zero = invoke(
        ["search", "--backend", "synthetic", "--budget", "0.8e8", "--finalists", 0], exit_code=2
    )
    assert "0 is not in the range x>=1" in zero.output
