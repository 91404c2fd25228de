"""SIGKILL at random moments of ``train-supernet``, ``search`` and ``reproduce``, then
``--resume``: the result equals the uninterrupted run's (weights, history, table).

The moments are drawn from ``EVOGROUP_FAULT_SEED`` (default 11): each kill comes a random
fraction of a second after an event (the run started, a checkpoint or log line appeared),
so it lands inside a training step, a fitness evaluation or a file write. Complements
tests/torch/test_reproducible.py (a kill right after an epoch) and tests/test_kill_resume.py
(the search core, in process).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.faults.helpers import (
    TINY,
    TINY_BUDGET,
    Killer,
    assert_same_weights,
    evogroup,
    lines,
    load_json,
    log_records,
    run,
)

pytestmark = [
    pytest.mark.slow,  # trainings in subprocesses, each run twice: ~4 minutes on 2 cores
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


def test_train_supernet_killed_twice_resumes_to_the_same_weights(tmp_path):
    args = evogroup("train-supernet", *TINY, "--epochs", 2, "--seed", 1)
    run([*args, "--out", tmp_path / "ref"])
    out = tmp_path / "killed"
    killer = Killer([*args, "--out", out], out, jitter=2.0)
    kills = killer.run(
        [
            (lambda: (out / "config.json").exists(), "the run to start"),
            (lambda: (out / "supernet.pt").exists(), "the first epoch's checkpoint"),
        ]
    )
    assert kills >= 1, "no kill interrupted the training"
    assert_same_weights(tmp_path / "ref" / "supernet.pt", out / "supernet.pt")
    assert (out / "supernet_metrics.csv").read_text().count("\n") == 3  # header + 2 epochs


SEARCH = [
    *TINY,
    "--epochs",
    1,
    "--budget",
    TINY_BUDGET,
    "--population",
    4,
    "--iterations",
    2,
    "--crossovers",
    2,
    "--mutations",
    2,
    "--top-k",
    2,
    "--recal-images",
    64,
]


def _trainings(out: Path) -> int:
    state = out / "finalists" / "state.json"
    return len(json.loads(state.read_text())["trained"]) if state.exists() else 0


def test_search_killed_in_training_in_search_and_in_finalists_resumes_to_the_same_result(
    tmp_path,
):
    args = evogroup("search", *SEARCH, "--finalists", 3, "--finalist-epochs", "1,2")
    ref = tmp_path / "ref"
    run([*args, "--out", ref])
    out = tmp_path / "killed"
    killer = Killer([*args, "--out", out], out, jitter=0.5)
    evaluated = killer.rng.randint(1, lines(ref / "evaluations.jsonl") - 1)
    trained = killer.rng.randint(1, 3)  # of 3 at the first rung, then 1 at the second
    finished: dict[Path, int] = {}
    kills = killer.run(
        [
            (lambda: (out / "config.json").exists(), "the supernet training to start"),
            (lambda: lines(out / "evaluations.jsonl") >= evaluated, f"{evaluated} evaluations"),
            (lambda: _trainings(out) >= trained, f"{trained} finalists' trainings"),
        ],
        before_resume=lambda: finished.update(_finished(out)),
    )
    assert kills >= 1, "no kill interrupted the search"
    assert_same_weights(ref / "supernet.pt", out / "supernet.pt")
    assert log_records(out / "evaluations.jsonl") == log_records(ref / "evaluations.jsonl")
    assert load_json(out / "result.json") == load_json(ref / "result.json")
    assert (out / "finalists.csv").read_text() == (ref / "finalists.csv").read_text()
    assert finished and finished == {p: t for p, t in _finished(out).items() if p in finished}
    models = sorted(p.relative_to(ref) for p in ref.glob("finalists/retrain/*/model.pt"))
    assert models == sorted(p.relative_to(out) for p in out.glob("finalists/retrain/*/model.pt"))
    for model in models:
        assert_same_weights(ref / model, out / model)


def _finished(out: Path) -> dict[Path, int]:
    """Each finished training's metrics.json, with the time it was written: a training made
    again would write it again."""
    return {p: p.stat().st_mtime_ns for p in out.glob("finalists/retrain/*/metrics.json")}


def test_reproduce_killed_in_search_and_in_retraining_resumes_to_the_same_table(tmp_path):
    args = evogroup(
        "reproduce",
        *TINY,
        "--epochs",
        1,
        "--final-epochs",
        1,
        "--recal-images",
        64,
        "--budget",
        TINY_BUDGET,
        "--population",
        4,
        "--iterations",
        0,
    )
    ref = tmp_path / "ref"
    run([*args, "--out", ref])
    out = tmp_path / "killed"
    killer = Killer([*args, "--out", out], out, jitter=1.0)
    trained = killer.rng.randint(1, 4)
    kills = killer.run(
        [
            (lambda: lines(out / "search" / "evaluations.jsonl") >= 1, "the search to start"),
            (
                lambda: len(list(out.glob("retrain/*/metrics.json"))) >= trained,
                f"{trained} trainings",
            ),
        ]
    )
    assert kills >= 1, "no kill interrupted the pipeline"
    assert load_json(out / "table.json") == load_json(ref / "table.json")
    assert load_json(out / "search" / "result.json") == load_json(ref / "search" / "result.json")
    assert load_json(out / "random_search.json") == load_json(ref / "random_search.json")
    models = sorted(p.relative_to(ref) for p in ref.glob("retrain/*/model.pt"))
    assert models == sorted(p.relative_to(out) for p in out.glob("retrain/*/model.pt"))
    for model in models:
        assert_same_weights(ref / model, out / model)
