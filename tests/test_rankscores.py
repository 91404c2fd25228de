"""rank-check --scores: the statistics of a scores file equal direct scipy computations
on a slice of NAS-Bench-201's one-shot supernet (tests/data/README.md), and bad files are
refused in one line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evogroup.core.errors import DataError
from evogroup.runs.rank_scores import read_scores
from evogroup.testing.fixtures import invoke

SLICE = Path(__file__).parent / "data" / "nb201_slice.csv"


def _columns(path: Path) -> dict[str, np.ndarray]:
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return {c: np.array([float(r[c]) for r in rows]) for c in ("proxy", "truth", "cost")}


def test_json_reproduces_scipy_on_a_nasbench201_slice():
    got = json.loads(
        invoke(["rank-check", "--scores", SLICE, "--json", "--resamples", "50"]).output
    )
    c = _columns(SLICE)
    half = c["truth"] >= np.median(c["truth"])
    assert got["rows"] == 300
    assert abs(got["kendall_tau"] - stats.kendalltau(c["proxy"], c["truth"]).statistic) < 1e-9
    expected_half = stats.kendalltau(c["proxy"][half], c["truth"][half]).statistic
    assert abs(got["kendall_tau_better_half"] - expected_half) < 1e-9
    assert abs(got["spearman_rho"] - stats.spearmanr(c["proxy"], c["truth"]).statistic) < 1e-9
    best_pick = c["truth"][np.argsort(-c["proxy"], kind="stable")[:3]].max()
    assert got["regret_at_3"] == pytest.approx(c["truth"].max() - best_pick)
    cost_tau = stats.kendalltau(c["cost"], c["truth"]).statistic
    assert got["cost_alone"]["kendall_tau"]["value"] == pytest.approx(cost_tau, abs=1e-9)
    low, high = got["intervals"]["kendall_tau"]
    assert low <= got["kendall_tau"] <= high


def test_without_json_a_table_beside_cost_alone(tmp_path):
    output = invoke(["rank-check", "--scores", SLICE, "--resamples", "20"]).output
    assert "300 genomes" in output and "cost alone" in output
    assert "Kendall tau, better half" in output and "regret@3" in output


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scores.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("genome,proxy,truth\n1 2,1,2\n", "the columns genome, proxy, truth, cost must be"),
        (
            "genome,proxy,truth,cost\n1 2,1,2,3\n",
            "at least 2 rows of scores must be given, but got 1",
        ),
        (
            "genome,proxy,truth,cost\n1 2,1,2,3\n2 2,x,2,3\n",
            "line 3: proxy must be a finite number, but got 'x'",
        ),
        (
            "genome,proxy,truth,cost\n1 2,1,nan,3\n2 2,1,2,3\n",
            "line 2: truth must be a finite number",
        ),
        ("genome,proxy,truth,cost\n1;2,1,2,3\n2 2,1,2,3\n", "genome must be group counts"),
        ("genome,proxy,truth,cost\n0 2,1,2,3\n2 2,1,2,3\n", "(integers >= 1)"),
    ],
)
def test_bad_files_are_refused_in_one_line(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_scores(path)
    result = invoke(["rank-check", "--scores", path], exit_code=1)
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_training_options_are_refused_with_scores(tmp_path):
    result = invoke(["rank-check", "--scores", SLICE, "--samples", "6"], exit_code=2)
    assert "--samples must not be given with it" in result.output
    result = invoke(["rank-check", "--scores", SLICE, "--backend", "synthetic"], exit_code=2)
    assert "--backend must not be given" in result.output


def test_a_check_needs_a_backend_or_scores():
    assert "--backend NAME" in invoke(["rank-check"], exit_code=2).output
    assert (
        "--json needs --scores"
        in invoke(["rank-check", "--backend", "synthetic", "--json"], exit_code=2).output
    )
