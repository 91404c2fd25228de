"""``rank-check --scores`` with the files a spreadsheet writes and with large files (issue 30,
items 10 and 11): any common encoding is read, a guessed one is said, and the bootstrap of
a large file agrees with the exact one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from evogroup.runs import rank_bootstrap
from evogroup.runs.rank_scores import read_scores
from evogroup.runs.rank_stats import kendall_tau, rank_statistics, spearman_rho
from evogroup.testing.fixtures import invoke

TEXT = "genome,proxy,truth,cost,note\n1 2,71.5,90.2,3.1e7,café\n2 2,70.1,89.7,2.9e7,naïve\n2 4,69,88,3e7,x\n"


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"]
)
def test_unicode_files_are_read_silently(tmp_path, encoding):
    path = tmp_path / "scores.csv"
    path.write_bytes(TEXT.encode(encoding))
    scores = read_scores(path)
    assert scores.genomes == [(1, 2), (2, 2), (2, 4)] and scores.note is None
    assert list(scores.truth) == [90.2, 89.7, 88.0]
    result = invoke(["rank-check", "--scores", path, "--json", "--resamples", "5"])
    assert json.loads(result.output)["rows"] == 3


@pytest.mark.parametrize("delimiter", ["\t", ";"])
def test_a_spreadsheets_tab_or_semicolon_export_is_read(tmp_path, delimiter):
    path = tmp_path / "scores.txt"
    path.write_bytes(TEXT.replace(",", delimiter).encode("utf-16"))  # Excel's "Unicode text"
    scores = read_scores(path)
    assert scores.genomes == [(1, 2), (2, 2), (2, 4)] and list(scores.cost) == [3.1e7, 2.9e7, 3e7]


def test_a_latin1_file_is_read_with_a_warning(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_bytes(TEXT.encode("latin-1"))
    scores = read_scores(path)
    assert scores.genomes == [(1, 2), (2, 2), (2, 4)]
    assert "not UTF-8" in scores.note and "Latin-1" in scores.note
    result = invoke(["rank-check", "--scores", path, "--resamples", "5"])
    assert "read as Latin-1" in result.output and "Traceback" not in result.output


def test_broken_utf16_after_its_bom_is_refused_in_one_line(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_bytes(TEXT.encode("utf-16")[:-1])  # an odd byte count
    result = invoke(["rank-check", "--scores", path], exit_code=1)
    assert "not valid UTF-16" in result.output and "Traceback" not in result.output


def _data(n: int, seed: int = 1, ties: bool = True):
    rng = np.random.default_rng(seed)
    p = rng.normal(size=n)
    t = p + rng.normal(size=n)
    if ties:
        p, t = np.round(p, 1), np.round(t, 1)
    return p, t, rng.uniform(size=n)


@pytest.mark.parametrize("ties", [True, False])
def test_the_first_order_values_match_the_statistics_on_resamples(ties):
    p, t, _ = _data(3000, ties=ties)
    tau, u = rank_bootstrap.tau_influence(p, t)
    rho, v = rank_bootstrap.rho_influence(p, t)
    assert tau == pytest.approx(kendall_tau(p, t)) and rho == pytest.approx(spearman_rho(p, t))
    rng = np.random.default_rng(0)
    for _ in range(5):
        idx = rng.integers(0, len(p), len(p))
        w = np.bincount(idx, minlength=len(p)) - 1.0
        assert tau + w @ u == pytest.approx(kendall_tau(p[idx], t[idx]), abs=2e-3)
        assert rho + w @ v == pytest.approx(spearman_rho(p[idx], t[idx]), abs=2e-3)


def test_a_large_file_gets_intervals_like_the_exact_bootstrap(monkeypatch):
    p, t, c = _data(800)
    fast = rank_statistics(p, t, c, resamples=300)
    monkeypatch.setattr(rank_bootstrap, "EXACT_ROWS", 10**9)
    exact = rank_statistics(p, t, c, resamples=300)
    for name in ("kendall_tau", "spearman_rho", "kendall_tau_cost_bins"):
        a, b = fast[name], exact[name]
        width = b.high - b.low
        assert a.value == pytest.approx(b.value, abs=1e-12)
        assert abs(a.low - b.low) < 0.2 * width and abs(a.high - b.high) < 0.2 * width, name
    for name in ("regret_at_1", "regret_at_3", "regret_at_5"):
        assert fast[name].value == exact[name].value
        assert fast[name].low <= fast[name].value <= fast[name].high


def test_the_large_file_bootstrap_is_seeded_and_handles_a_constant_ranking():
    p, t, c = _data(1200)
    assert rank_statistics(p, t, c, resamples=50, seed=4) == rank_statistics(
        p, t, c, resamples=50, seed=4
    )
    flat = rank_statistics(np.ones_like(p), t, c, resamples=50)
    assert math.isnan(flat["kendall_tau"].value) and math.isnan(flat["kendall_tau"].low)


def test_a_large_file_with_default_settings(tmp_path):
    p, t, c = _data(20_000, ties=False)
    path = tmp_path / "big.csv"
    rows = "".join(f"{i % 7 + 1} 2,{a},{b},{d}\n" for i, (a, b, d) in enumerate(zip(p, t, c)))
    path.write_text("genome,proxy,truth,cost\n" + rows)
    got = json.loads(invoke(["rank-check", "--scores", path, "--json"]).output)
    assert got["rows"] == 20_000
    assert got["kendall_tau"] == pytest.approx(kendall_tau(p, t))
    low, high = got["intervals"]["kendall_tau"]
    assert low < got["kendall_tau"] < high and high - low < 0.05
