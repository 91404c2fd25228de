"""The whole pipeline (Algorithm 2 and the Table 1 ablation) on a tiny setting, through the CLI."""

from __future__ import annotations

import csv
import json

import pytest
import torch

from evogroup import SearchResult, get_backend
from evogroup.testing.fixtures import invoke

pytestmark = pytest.mark.slow  # the whole pipeline: about a minute on 2 cores

TINY = ["--backend", "binmobilenet", "--module", "M2", "--width-mult", "0.25"]


@pytest.fixture(scope="module")
def budget() -> float:
    backend = get_backend("binmobilenet")
    table = backend.cost(backend.options(module="M2", width_mult=0.25))
    return (table.min_cost + table.max_cost) / 2


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory, budget):
    out = tmp_path_factory.mktemp("reproduce")
    args = [
        "reproduce",
        *TINY,
        "--budget",
        budget,
        "--epochs",
        1,
        "--final-epochs",
        1,
        "--population",
        4,
        "--iterations",
        1,
        "--out",
        out,
    ]
    return out, invoke(args)


def test_reproduce_writes_the_ablation_table(reproduced, budget):
    out, result = reproduced
    for name in (
        "config.json",
        "env.json",
        "fitness.json",
        "supernet.pt",
        "supernet_metrics.csv",
        "random_search.json",
        "table.md",
        "table.csv",
        "table.json",
        "acc_vs_flops.png",
        "search/result.json",
        "search/evaluations.jsonl",
        "search/iterations.csv",
        "search/search_progress.png",
        "search/fitness_vs_cost.png",
    ):
        assert (out / name).is_file(), name
    rows = list(csv.DictReader((out / "table.csv").open()))
    assert [r["method"] for r in rows] == [
        "groups = 1",
        "groups = 4",
        "groups = 16",
        "random genome",
        "random search",
        "evolutionary search",
    ]
    for row in rows:
        assert 0 <= float(row["top1_mean"]) <= 100 and 0 <= float(row["top5_mean"]) <= 100
    searched = {r["method"]: r for r in rows}["evolutionary search"]
    assert float(searched["cost"]) <= budget
    assert "evolutionary search" in result.output
    assert json.loads((out / "fitness.json").read_text())["recal_images"] == 128


def test_searched_genome_respects_the_budget_and_history_is_complete(reproduced, budget):
    out, _ = reproduced
    result = SearchResult.load(out / "search" / "result.json")
    assert result.best.cost <= budget
    assert all(e.cost <= budget for e in result.history)
    lines = (out / "search" / "evaluations.jsonl").read_text().splitlines()
    assert len(lines) == result.evaluations == len({tuple(e.genome) for e in result.history})
    random_search = SearchResult.load(out / "random_search.json")
    assert random_search.evaluations == result.evaluations


def test_reproduce_resumes_without_redoing_work(reproduced, budget):
    out, _ = reproduced
    before = (out / "table.csv").read_text()
    args = [
        "reproduce",
        *TINY,
        "--budget",
        budget,
        "--epochs",
        1,
        "--final-epochs",
        1,
        "--population",
        4,
        "--iterations",
        1,
        "--out",
        out,
        "--resume",
    ]
    result = invoke(args)
    assert "retraining" not in result.output and "random search baseline" not in result.output
    assert (out / "table.csv").read_text() == before


def test_train_a_searched_genome_and_load_it(reproduced, tmp_path):
    out, _ = reproduced
    args = [
        "train",
        *TINY,
        "--genome",
        out / "search" / "result.json",
        "--final-epochs",
        1,
        "--out",
        tmp_path / "t",
    ]
    result = invoke(args)
    assert "top1" in result.output
    metrics = json.loads((tmp_path / "t" / "metrics.json").read_text())
    model = get_backend("binmobilenet").load_model(tmp_path / "t" / "model.pt")
    assert list(model.genome) == metrics["genome"]
    with torch.inference_mode():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_search_reuses_a_supernet_and_refuses_another_modules(reproduced, budget, tmp_path):
    out, _ = reproduced
    supernet = out / "supernet.pt"
    args = [
        "search",
        *TINY,
        "--budget",
        budget,
        "--supernet",
        supernet,
        "--population",
        3,
        "--iterations",
        0,
        "--out",
        tmp_path / "s",
    ]
    assert "no --supernet given" not in invoke(args).output
    m1 = [
        "search",
        "--backend",
        "binmobilenet",
        "--module",
        "M3",
        "--width-mult",
        "0.25",
        "--budget",
        "1e8",
        "--supernet",
        supernet,
        "--out",
        tmp_path / "m3",
    ]
    assert "module='M2'" in invoke(m1, exit_code=1).output


def test_report_of_a_reproduce_run_labels_the_cost_as_flops(reproduced):
    out, _ = reproduced
    config = json.loads((out / "config.json").read_text())
    assert config["command"] == "reproduce" and config["cost_label"].startswith("FLOPs")


def test_report_redraws_a_run(reproduced):
    out, _ = reproduced
    (out / "acc_vs_flops.png").unlink()
    result = invoke(["report", out])
    assert (out / "acc_vs_flops.png").is_file()
    assert "evolutionary search" in result.output


def test_infeasible_budget_stops_before_training(tmp_path):
    result = invoke(
        [
            "search",
            "--backend",
            "binmobilenet",
            "--module",
            "M1",
            "--budget",
            "0.8e8",
            "--out",
            tmp_path / "r",
        ],
        exit_code=1,
    )
    assert "modules that fit: M2, M3" in result.output
    assert not (tmp_path / "r").exists()


def test_rank_check_on_a_tiny_setting_prints_kendall(tmp_path):
    trained = ["--epochs", 1, "--final-epochs", 1]
    output = invoke(
        ["rank-check", *TINY, *trained, "--samples", 6, "--out", tmp_path / "rc"]
    ).output
    assert "recalibrated: Kendall tau" in output and "not recalibrated: Kendall tau" in output
    assert "recalibrated, by loss: Kendall tau" in output  # the other fitness metric
    data = json.loads((tmp_path / "rc" / "rank_check.json").read_text())
    assert data["samples"] == 6 and data["main"] == "recalibrated"
    search = [
        "search",
        *TINY,
        "--budget",
        1e8,
        "--supernet",
        tmp_path / "rc" / "supernet.pt",
        "--population",
        3,
        "--iterations",
        0,
        "--out",
        tmp_path / "s",
    ]
    summary = invoke(search).output
    fitness = json.loads((tmp_path / "s" / "fitness.json").read_text())
    assert fitness["measured_on"] == 269 and fitness["rank_check"]["samples"] == 6
    cost = fitness["rank_check"]["cost_kendall"]["value"]
    assert cost == data["cost_kendall"]["value"] and f"cost alone {cost:.2f}" in summary
    by_loss = invoke([*search[:-1], tmp_path / "l", "--fitness-metric", "loss"]).output
    assert "(supernet negative cross-entropy on search-val" in by_loss
    fitness = json.loads((tmp_path / "l" / "fitness.json").read_text())
    assert fitness["metric"] == "loss" and fitness["fitness"].startswith("supernet negative")
    best = json.loads((tmp_path / "l" / "result.json").read_text())["best"]["fitness"]
    assert best < 0  # a negative mean cross-entropy
